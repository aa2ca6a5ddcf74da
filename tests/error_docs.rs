//! The explanation pages in `docs/errors/` (what `pipec explain CODE` prints):
//! each has the registered title and the sections of the format, its example
//! really produces its code, and its fix really checks clean. The example and
//! the fix of a code a target reports are also rendered with that target, as
//! `pipec build --target NAME` would.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pipec_check::{MemoryFs, check};
use pipec_diagnostics::code::{self, CodeInfo};

/// The target that reports each code of the `E04xx` groups in
/// `compiler/diagnostics/src/code.rs`; the checker reports every other code.
fn target_of(code: &str) -> Option<&'static str> {
    let number: u32 = code.strip_prefix('E')?.parse().ok()?;
    match number {
        401..=419 => Some("github"),
        420..=439 => Some("gitlab"),
        440..=446 | 449 => Some("kustomize"),
        447..=459 => Some("argocd"),
        _ => None,
    }
}

/// Pages whose example cannot be a `.pipe` block: it would have to contain an
/// invisible character, 65 nested brackets, or bytes that are not UTF-8.
const PROSE_EXAMPLES: &[&str] = &["E0003", "E0004", "E0007"];

#[test]
fn every_page_has_the_registered_title_and_the_sections() {
    let mut problems = Vec::new();
    for c in code::ALL {
        let page = c.explanation;
        let title = format!("# {}: {}\n", c.code, c.summary);
        if !page.starts_with(&title) {
            problems.push(format!(
                "{}: the page must start with `{}`",
                c.code,
                title.trim()
            ));
        }
        for heading in ["## Why", "## Example", "## Fix"] {
            if !page.lines().any(|l| l == heading) {
                problems.push(format!("{}: no `{heading}` section", c.code));
            }
        }
        if page.contains("DRAFT") || page.contains("TODO") {
            problems.push(format!("{}: the page is not finished", c.code));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_example_reports_its_code_and_every_fix_checks_clean() {
    let mut problems = Vec::new();
    for c in code::ALL {
        let example = blocks(c, "## Example");
        let fix = blocks(c, "## Fix");
        if PROSE_EXAMPLES.contains(&c.code.as_str()) {
            if !example.is_empty() {
                problems.push(format!(
                    "{}: listed as a prose example but has a pipe block",
                    c.code
                ));
            }
        } else {
            match codes_of(&example, target_of(c.code.as_str())) {
                None => problems.push(format!("{}: no ```pipe block under ## Example", c.code)),
                Some(found) if !found.contains(&c.code.to_string()) => problems.push(format!(
                    "{}: the example reports {found:?}, not {}",
                    c.code, c.code
                )),
                Some(_) => {}
            }
        }
        match codes_of(&fix, target_of(c.code.as_str())) {
            None => problems.push(format!("{}: no ```pipe block under ## Fix", c.code)),
            Some(found) if !found.is_empty() => {
                problems.push(format!("{}: the fix still reports {found:?}", c.code))
            }
            Some(_) => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_index_lists_every_code() {
    let index = std::fs::read_to_string(pipec_tests::root().join("docs/errors/README.md"))
        .expect("docs/errors/README.md");
    let missing: Vec<String> = code::ALL
        .iter()
        .filter(|c| !index.contains(&format!("[{}]({}.md) | {} |", c.code, c.code, c.summary)))
        .map(|c| c.code.to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "docs/errors/README.md lacks the rows `| [CODE](CODE.md) | summary |` of {}",
        missing.join(", ")
    );
}

/// The ```pipe blocks of one section, as files: a block whose first line is
/// `// file: PATH` is that file of the program, any other is `main.pipe`.
fn blocks(c: &CodeInfo, heading: &str) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let mut in_section = false;
    let mut block: Option<String> = None;
    for line in c.explanation.lines() {
        if let Some(text) = &mut block {
            if line == "```" {
                let text = std::mem::take(text);
                let name = text
                    .lines()
                    .next()
                    .and_then(|l| l.strip_prefix("// file: "))
                    .unwrap_or("main.pipe")
                    .to_string();
                files.insert(name, text);
                block = None;
            } else {
                text.push_str(line);
                text.push('\n');
            }
            continue;
        }
        if line.starts_with("## ") {
            in_section = line == heading;
        } else if in_section && line == "```pipe" {
            block = Some(String::new());
        }
    }
    files
}

/// The codes reported for a program made of `files` by the checker and then,
/// when the program checks without errors, by `target`; `None` without files.
fn codes_of(files: &BTreeMap<String, String>, target: Option<&str>) -> Option<Vec<String>> {
    if files.is_empty() {
        return None;
    }
    let dir = Path::new("example");
    let fs = MemoryFs(
        files
            .iter()
            .map(|(name, text)| (dir.join(name), text.clone()))
            .collect::<BTreeMap<PathBuf, String>>(),
    );
    let checked = check(dir, &fs).expect("the example has a main.pipe");
    let mut diagnostics = checked.diagnostics;
    if let (Some(program), Some(target)) = (&checked.program, target)
        && let Err(d) = pipec::emit(program, &[target])
    {
        diagnostics.extend(d);
    }
    Some(diagnostics.iter().map(|d| d.code.to_string()).collect())
}
