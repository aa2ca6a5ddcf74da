//! Every ```` ```pipe ```` example of `docs/language.md` and of the README is
//! a program that `pipec check` accepts without a single diagnostic and that
//! `pipec build` builds with its default targets (every target), written as
//! `pipec fmt` lays it out. Lines `// file: NAME` split an example into the
//! files of one directory program.

use std::path::{Path, PathBuf};

use pipec_check::{MemoryFs, check};

/// The examples: the line each starts on and its files.
fn examples(doc: &str) -> Vec<(usize, Vec<(PathBuf, String)>)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, Vec<(PathBuf, String)>)> = None;
    for (n, line) in doc.lines().enumerate() {
        match &mut current {
            None if line == "```pipe" => {
                current = Some((n + 2, vec![(PathBuf::from("main.pipe"), String::new())]));
            }
            None => {}
            Some(_) if line == "```" => out.extend(current.take()),
            Some((_, files)) => {
                if let Some(name) = line.strip_prefix("// file: ") {
                    // A named file replaces the implicit one while it is empty.
                    if files.len() == 1 && files[0].1.trim().is_empty() {
                        files.clear();
                    }
                    files.push((PathBuf::from(name.trim()), String::new()));
                } else if let Some((_, text)) = files.last_mut() {
                    text.push_str(line);
                    text.push('\n');
                }
            }
        }
    }
    out
}

/// The diagnostics of checking the example and building every target, as
/// `pipec build` would print them; empty when it builds clean.
fn build(files: &[(PathBuf, String)]) -> String {
    let fs = MemoryFs(
        files
            .iter()
            .map(|(p, t)| (Path::new("example").join(p), t.clone()))
            .collect(),
    );
    let checked = check(Path::new("example"), &fs).expect("readable");
    let mut diags = checked.diagnostics.clone();
    if let Some(program) = &checked.program {
        let (_, d) = pipec::render(program, &[]).expect("targets write disjoint files");
        diags.extend(d);
    }
    pipec_diagnostics::render::human(&diags, &checked.sources, Default::default())
}

#[test]
fn every_example_in_the_language_reference_builds_clean() {
    let path = pipec_tests::root().join("docs/language.md");
    let doc = std::fs::read_to_string(&path).expect("docs/language.md");
    let examples = examples(&doc);
    assert!(
        examples.len() >= 15,
        "found only {} examples",
        examples.len()
    );
    let failures: Vec<String> = examples
        .iter()
        .map(|(line, files)| (line, build(files)))
        .filter(|(_, shown)| !shown.is_empty())
        .map(|(line, shown)| format!("docs/language.md:{line}:\n{shown}"))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_program_in_the_readme_builds_clean() {
    let doc = std::fs::read_to_string(pipec_tests::root().join("README.md")).expect("README.md");
    let examples = examples(&doc);
    assert!(!examples.is_empty(), "README.md has a ```pipe example");
    for (line, files) in examples {
        let shown = build(&files);
        assert!(shown.is_empty(), "README.md:{line}:\n{shown}");
    }
}

/// The examples are in the layout `pipec fmt` gives them, so the reference
/// shows programs as they look in a formatted repository.
#[test]
fn every_example_in_the_language_reference_is_formatted() {
    let path = pipec_tests::root().join("docs/language.md");
    let doc = std::fs::read_to_string(&path).expect("docs/language.md");
    let mut unformatted = Vec::new();
    for (line, files) in examples(&doc) {
        for (name, text) in files {
            match pipec_syntax::fmt::format(&text) {
                // The blank line before a `// file:` line separates files.
                Ok(formatted) if formatted.trim_end() == text.trim_end() => {}
                Ok(formatted) => unformatted.push(format!(
                    "docs/language.md:{line} ({}):\n{formatted}",
                    name.display()
                )),
                Err(e) => unformatted.push(format!("docs/language.md:{line}: {e:?}")),
            }
        }
    }
    assert!(unformatted.is_empty(), "{}", unformatted.join("\n"));
}
