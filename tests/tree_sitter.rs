//! The tree-sitter grammar of `editors/tree-sitter-pipe` agrees with the
//! grammar pipec parses with (compiler/syntax/src/pipe.pest).
//!
//! The parser is generated from `grammar.js` and run by the pinned
//! `tree-sitter` command-line tool (scripts/install-tools.sh), as Neovim and
//! Helix build it. Every `.pipe` text of the repository — the examples, the
//! standard library, the reference's programs, the diagnostics corpus
//! (tests/ui) and the fuzzing seeds (fuzz/seeds) — is read by both parsers:
//! a text pipec parses has no error node in tree-sitter's tree, and a text
//! pipec refuses as a syntax error has one. The highlighting queries are checked against
//! the grammar and give the examples the captures a theme colours.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pipec_diagnostics::SourceId;
use pipec_tests::{root, run, scratch, text, tool};

const GRAMMAR: &str = "editors/tree-sitter-pipe";

/// The `.pipe` files under `dir`, recursively.
fn pipe_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("a directory") {
        let p = e.expect("an entry").path();
        if p.is_dir() {
            pipe_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "pipe") {
            out.push(p);
        }
    }
}

/// The ```` ```pipe ```` blocks of a Markdown file, each written to its own
/// file in `dir`.
fn markdown_blocks(doc: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let text = std::fs::read_to_string(doc).expect("a Markdown file");
    let mut block: Option<String> = None;
    for line in text.lines() {
        match &mut block {
            None if line == "```pipe" => block = Some(String::new()),
            None => {}
            Some(b) if line == "```" => {
                let path = dir.join(format!("block-{}.pipe", out.len()));
                std::fs::write(&path, b).expect("write a block");
                out.push(path);
                block = None;
            }
            Some(b) => {
                b.push_str(line);
                b.push('\n');
            }
        }
    }
}

/// Runs the tree-sitter tool in `dir`, the grammar's directory. The parser
/// it compiles goes to `dir`, not to a library directory the tests share:
/// they run at the same time, each with its own copy of the grammar.
fn tree_sitter(ts: &Path, args: &[&str], dir: &Path) -> Output {
    Command::new(ts)
        .args(args)
        .current_dir(dir)
        .env("TREE_SITTER_LIBDIR", dir.join("lib"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", ts.display()))
}

/// The grammar generated into a scratch directory: the directory to run
/// `tree-sitter parse` in.
fn generated(ts: &Path, name: &str) -> PathBuf {
    let dir = scratch(name).join("tree-sitter-pipe");
    std::fs::create_dir_all(dir.join("queries")).unwrap();
    for f in ["grammar.js", "tree-sitter.json", "queries/highlights.scm"] {
        std::fs::copy(root().join(GRAMMAR).join(f), dir.join(f)).expect(f);
    }
    let out = tree_sitter(ts, &["generate"], &dir);
    assert!(
        out.status.success(),
        "tree-sitter generate:\n{}",
        text(&out)
    );
    dir
}

/// Parses `files` with tree-sitter; the files whose tree has an error or a
/// missing node.
fn tree_sitter_errors(ts: &Path, dir: &Path, files: &[PathBuf]) -> BTreeSet<PathBuf> {
    let list = dir.join("paths.txt");
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    std::fs::write(&list, names.join("\n")).unwrap();
    let out = tree_sitter(
        ts,
        &["parse", "--quiet", "--paths", &list.display().to_string()],
        dir,
    );
    let report = text(&out);
    // With --quiet, a line names each file whose tree has an ERROR or a
    // MISSING node.
    let errors: BTreeSet<PathBuf> = files
        .iter()
        .filter(|f| {
            let name = f.display().to_string();
            report
                .lines()
                .any(|l| l.starts_with(&name) && (l.contains("ERROR") || l.contains("MISSING")))
        })
        .cloned()
        .collect();
    assert_eq!(
        out.status.success(),
        errors.is_empty(),
        "the exit status says what the report says:\n{report}"
    );
    errors
}

/// What pipec checks beyond its grammar, which a highlighting grammar does
/// not: invisible and bidirectional characters (E0003), the depth of
/// nesting (E0004), and text that is not UTF-8 (E0007).
const BEYOND_THE_GRAMMAR: [&str; 3] = ["E0003", "E0004", "E0007"];

/// pipec's parser on `path`: `Some(true)` when it parses without an error,
/// `Some(false)` on a syntax error, `None` when it refuses the text for a
/// reason beyond the grammar.
fn pipec_parses(path: &Path) -> Option<bool> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return None; // not UTF-8 (E0007): refused before parsing
    };
    let diagnostics = pipec_syntax::parse(SourceId(0), &text).1;
    if diagnostics
        .iter()
        .any(|d| BEYOND_THE_GRAMMAR.contains(&d.code.as_str()))
    {
        return None;
    }
    Some(diagnostics.is_empty())
}

fn corpus(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    // The fuzzing seeds as committed: scripts/fuzz.sh copies them, with the
    // standard library and the examples, into fuzz/corpus/seeds, which a
    // fresh clone does not have (CI fuzzes after the tests).
    for d in ["examples", "stdlib", "tests/ui", "fuzz/seeds"] {
        pipe_files(&root().join(d), &mut files);
    }
    let blocks = dir.join("blocks");
    std::fs::create_dir_all(&blocks).unwrap();
    markdown_blocks(&root().join("docs/language.md"), &blocks, &mut files);
    markdown_blocks(&root().join("README.md"), &blocks, &mut files);
    files.sort();
    files
}

#[test]
fn tree_sitter_and_pipec_agree_on_every_program_of_the_repository() {
    let Some(ts) = tool("tree-sitter") else {
        return;
    };
    let dir = generated(&ts, "tree-sitter-agree");
    let files = corpus(&dir);
    let errors = tree_sitter_errors(&ts, &dir, &files);
    let (mut accepted, mut refused) = (0, 0);
    let mut disagree = Vec::new();
    for f in &files {
        let Some(pipec) = pipec_parses(f) else {
            continue;
        };
        accepted += usize::from(pipec);
        refused += usize::from(!pipec);
        if pipec == errors.contains(f) {
            let verdict = if pipec {
                "pipec parses it, tree-sitter does not"
            } else {
                "pipec refuses it, tree-sitter parses it"
            };
            disagree.push(format!("{}: {verdict}", f.display()));
        }
    }
    assert!(
        disagree.is_empty(),
        "{} of {} texts:\n{}",
        disagree.len(),
        files.len(),
        disagree.join("\n")
    );
    // The corpus has both kinds, in numbers.
    assert!(accepted > 100, "{accepted} texts pipec parses");
    assert!(refused >= 20, "{refused} texts pipec refuses");
}

/// Texts one edit away from a valid program, as an editor sees them while
/// someone types: each example and standard library file with one
/// character taken away, at 8 places spread over it and at 24 of its
/// brackets, quotes, separators and operators.
fn mutants(dir: &Path) -> Vec<PathBuf> {
    let mut sources = Vec::new();
    pipe_files(&root().join("examples"), &mut sources);
    pipe_files(&root().join("stdlib"), &mut sources);
    sources.sort();
    let out = dir.join("mutants");
    std::fs::create_dir_all(&out).unwrap();
    let mut files = Vec::new();
    for (n, source) in sources.iter().enumerate() {
        let text = std::fs::read_to_string(source).expect("a program");
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let marks: Vec<(usize, char)> = chars
            .iter()
            .copied()
            .filter(|(_, c)| "{}()[]\"=:,.\n@<>".contains(*c))
            .collect();
        let picks = (0..8)
            .map(|k| chars[(k * 7919 + n * 104_729) % chars.len()])
            .chain((0..24).map(|k| marks[(k * 7919 + n * 104_729) % marks.len()]));
        for (k, (at, c)) in picks.enumerate() {
            let mut mutant = text.clone();
            mutant.replace_range(at..at + c.len_utf8(), "");
            let path = out.join(format!("m{n}-{k}.pipe"));
            std::fs::write(&path, mutant).unwrap();
            files.push(path);
        }
    }
    files
}

#[test]
fn tree_sitter_and_pipec_agree_on_texts_one_edit_from_a_program() {
    let Some(ts) = tool("tree-sitter") else {
        return;
    };
    let dir = generated(&ts, "tree-sitter-mutants");
    let files = mutants(&dir);
    let errors = tree_sitter_errors(&ts, &dir, &files);
    let mut refused = 0;
    let mut disagree = Vec::new();
    for f in &files {
        let Some(pipec) = pipec_parses(f) else {
            continue;
        };
        refused += usize::from(!pipec);
        if pipec == errors.contains(f) {
            let text = std::fs::read_to_string(f).unwrap();
            disagree.push(format!("{} (pipec parses: {pipec}):\n{text}", f.display()));
        }
    }
    assert!(
        disagree.is_empty(),
        "{} of {} texts:\n{}",
        disagree.len(),
        files.len(),
        disagree.join("\n---\n")
    );
    // Most single deletions leave a program (a shorter name or comment);
    // enough of them break it.
    assert!(
        refused >= 100,
        "{refused} of {} texts pipec refuses",
        files.len()
    );
}

#[test]
fn the_highlighting_queries_colour_the_examples() {
    let Some(ts) = tool("tree-sitter") else {
        return;
    };
    let dir = generated(&ts, "tree-sitter-highlight");
    let example = root().join("examples/flask-api/deploy.pipe");
    let example = example.display().to_string();
    let out = tree_sitter(
        &ts,
        &["query", "--captures", "queries/highlights.scm", &example],
        &dir,
    );
    let report = text(&out);
    assert!(out.status.success(), "tree-sitter query:\n{report}");
    // Lines read `pattern: P, capture: N - NAME, start: …, text: `TEXT``.
    let captured = |capture: &str, covered: &str| {
        report.lines().any(|l| {
            l.contains(&format!(" - {capture}, start:"))
                && l.ends_with(&format!("text: `{covered}`"))
        })
    };
    for (capture, covered) in [
        (
            "comment",
            "// Where the Flask API runs: three environments promoted in order, the",
        ),
        ("keyword", "environment"),
        ("keyword", "branch"),
        ("string", "\"flask-dev\""),
        ("number", "500m"),
        ("number", "10%"),
        ("property", "LOG_LEVEL"),
        ("function.call", "secret"),
    ] {
        assert!(
            captured(capture, covered),
            "{capture} `{covered}` in:\n{report}"
        );
    }
}

/// What Neovim does with the grammar: the parser built as Neovim loads it
/// (ABI 14, which Neovim 0.7 and later read), the file parsed without an
/// error, and the highlighting queries' captures on it.
const NEOVIM_SCRIPT: &str = r#"
local so, queries, file = PIPE_SO, PIPE_QUERIES, PIPE_FILE
vim.treesitter.require_language("pipe", so)
vim.cmd("edit " .. vim.fn.fnameescape(file))
local root = vim.treesitter.get_parser(0, "pipe"):parse()[1]:root()
local f = io.open(queries); local text = f:read("*a"); f:close()
local query = vim.treesitter.query.parse_query("pipe", text)
io.stdout:write("error=" .. tostring(root:has_error()) .. "\n")
for id, node in query:iter_captures(root, 0, 0, -1) do
  local t = vim.treesitter.get_node_text(node, 0):gsub("\n", " ")
  io.stdout:write(query.captures[id] .. " " .. t .. "\n")
end
"#;

#[test]
fn neovim_loads_the_parser_and_colours_an_example() {
    let (Some(ts), Some(nvim)) = (tool("tree-sitter"), tool("nvim")) else {
        return;
    };
    let dir = scratch("tree-sitter-neovim").join("tree-sitter-pipe");
    std::fs::create_dir_all(dir.join("queries")).unwrap();
    for f in ["grammar.js", "tree-sitter.json", "queries/highlights.scm"] {
        std::fs::copy(root().join(GRAMMAR).join(f), dir.join(f)).expect(f);
    }
    let out = tree_sitter(&ts, &["generate", "--abi", "14"], &dir);
    assert!(
        out.status.success(),
        "tree-sitter generate:\n{}",
        text(&out)
    );
    let so = dir.join("pipe.so");
    let out = tree_sitter(&ts, &["build", "-o", &so.display().to_string()], &dir);
    assert!(out.status.success(), "tree-sitter build:\n{}", text(&out));
    let quote = |p: &Path| format!("{:?}", p.display().to_string());
    let script = NEOVIM_SCRIPT
        .replace("PIPE_SO", &quote(&so))
        .replace("PIPE_QUERIES", &quote(&dir.join("queries/highlights.scm")))
        .replace(
            "PIPE_FILE",
            &quote(&root().join("examples/flask-api/deploy.pipe")),
        );
    let lua = dir.join("colour.lua");
    std::fs::write(&lua, script).unwrap();
    let source = format!("luafile {}", lua.display());
    let out = run(
        &nvim,
        &[
            "--headless",
            "--clean",
            "-u",
            "NONE",
            "-c",
            &source,
            "-c",
            "qa!",
        ],
        &dir,
    );
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "nvim:\n{}", text(&out));
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.first(), Some(&"error=false"), "{report}");
    for line in [
        "keyword environment",
        "keyword branch",
        "string \"flask-dev\"",
        "number 500m",
        "property LOG_LEVEL",
        "function.call secret",
    ] {
        assert!(lines.contains(&line), "{line:?} in:\n{report}");
    }
}
