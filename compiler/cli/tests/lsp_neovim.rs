//! `pipec lsp` in a real editor: Neovim's built-in LSP client, headless,
//! set up as docs/editors.md says (`editors/neovim/pipec.lua`), opens an
//! example with a mistake and reads its diagnostics, a hover, and a
//! standard-library template it jumps to. Without `nvim` (scripts/
//! install-tools.sh installs it) the test is skipped with a note, or fails
//! under `PIPEC_REQUIRE_TOOLS=1`.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{Repo, repo_root, tool};

/// How long Neovim may take: generous, since the machine may be busy.
const PATIENCE: Duration = Duration::from_secs(120);

/// The 0-based line and column of `needle` in `text`, plus `skip`.
fn at(text: &str, needle: &str, skip: usize) -> (usize, usize) {
    let i = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` in the text"));
    let line = text[..i].matches('\n').count();
    let col = i - text[..i].rfind('\n').map_or(0, |n| n + 1) + skip;
    (line, col)
}

#[test]
fn neovim_shows_the_diagnostics_of_an_example() {
    let Some(nvim) = tool("nvim") else { return };
    let repo = Repo::with_example("lsp-neovim", "flask-api");
    let file = repo.path("ci/pipeline.pipe");
    let text = repo
        .read("ci/pipeline.pipe")
        .replace("after [lint, test,", "after [lint, tset,");
    repo.write("ci/pipeline.pipe", &text);
    let out = repo.path("nvim-out.txt");
    let hover = at(&text, "coverage: 70%", 10);
    let definition = at(&text, "pytest(", 1);
    let mut run = Command::new(nvim)
        .args(["--headless", "--clean", "-n", "-i", "NONE"])
        .arg("-c")
        .arg(format!(
            "luafile {}",
            repo_root()
                .join("compiler/cli/tests/neovim/session.lua")
                .display()
        ))
        .env("PIPEC", env!("CARGO_BIN_EXE_pipec"))
        .env("PIPEC_PLUGIN", repo_root().join("editors/neovim/pipec.lua"))
        .env("PIPEC_FILE", &file)
        .env("PIPEC_OUT", &out)
        .env("PIPEC_HOVER_LINE", hover.0.to_string())
        .env("PIPEC_HOVER_COL", hover.1.to_string())
        .env("PIPEC_DEFINITION_LINE", definition.0.to_string())
        .env("PIPEC_DEFINITION_COL", definition.1.to_string())
        .current_dir(&repo.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("nvim runs");
    // The session script always quits; a Neovim that does not is stopped.
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(s) = run.try_wait().expect("nvim's status") {
            break Some(s);
        }
        if Instant::now() > deadline {
            let _ = run.kill();
            let _ = run.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    if let Some(mut e) = run.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut stderr);
    }
    let report = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(
        status.is_some_and(|s| s.success()),
        "nvim failed or did not quit within {PATIENCE:?} ({status:?}): {stderr}\n{report}"
    );
    let lines: Vec<&str> = report.lines().collect();
    let (line, col) = at(&text, "tset", 0);
    let expected = format!(
        "diagnostic {}:{} E0101 no job named `tset`",
        line + 1,
        col + 1
    );
    assert_eq!(
        lines[..3],
        ["filetype pipe", "published true", expected.as_str()],
        "{report}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("hover ") && l.contains("70 percent")),
        "{report}"
    );
    assert!(
        lines.contains(&"jumped pipec-std://std/python.pipe"),
        "{report}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("line template pytest(")),
        "{report}"
    );
    assert!(lines.contains(&"modifiable false"), "{report}");
}
