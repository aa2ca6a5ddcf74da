//! The two laws of `pipec fmt`, over every `.pipe` file of the repository —
//! the examples, the standard library and the ui test corpus:
//! - formatting is idempotent: fmt(fmt(x)) == fmt(x);
//! - formatting preserves meaning: checking fmt(x) gives the same pipeline
//!   graph (as JSON) and the same diagnostic codes as checking x.
//!
//! A property test adds that indentation and trailing spaces never matter.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pipec_check::{MemoryFs, check};
use pipec_syntax::fmt::format;
use proptest::prelude::*;

fn fmt(path: &Path, text: &str) -> String {
    format(text).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()))
}

/// `.pipe` files under `dir`, recursively, sorted.
fn pipe_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(pipe_files(&p));
        } else if p.extension().is_some_and(|x| x == "pipe") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// What checking a program yields, spans aside: the graph as JSON, or the
/// diagnostic codes.
fn meaning(files: &BTreeMap<PathBuf, String>, entry: &Path) -> String {
    let checked = check(entry, &MemoryFs(files.clone())).expect("entry exists");
    let codes: Vec<String> = checked
        .diagnostics
        .iter()
        .map(|d| format!("{} {:?}", d.code.as_str(), d.severity))
        .collect();
    let graph = checked
        .program
        .map(|p| serde_json::to_string(&p).expect("graph serializes"))
        .unwrap_or_default();
    format!("{codes:?}\n{graph}")
}

/// Formats every file of a program and checks both laws; returns how many
/// files were formatted.
fn laws(entry: &Path, files: &[PathBuf]) -> usize {
    let root = pipec_tests::root();
    let rel = |p: &Path| p.strip_prefix(&root).unwrap_or(p).to_path_buf();
    let mut original = BTreeMap::new();
    let mut formatted = BTreeMap::new();
    let mut parsed = 0;
    for f in files {
        // Cases about bytes that are not UTF-8 are not text to format.
        let Ok(text) = String::from_utf8(std::fs::read(f).expect("readable")) else {
            continue;
        };
        let out = match format(&text) {
            Ok(out) => {
                parsed += 1;
                assert_eq!(fmt(f, &out), out, "{}: not idempotent", f.display());
                out
            }
            // Files that do not parse (syntax-error cases of the ui corpus)
            // are refused, and left as they are.
            Err(pipec_syntax::fmt::FormatError::Syntax(_)) => text.clone(),
            Err(e) => panic!("{}: {e:?}", f.display()),
        };
        original.insert(rel(f), text);
        formatted.insert(rel(f), out);
    }
    let entry = rel(entry);
    if original.is_empty() {
        return 0;
    }
    assert_eq!(
        meaning(&formatted, &entry),
        meaning(&original, &entry),
        "{}: formatting changed the meaning",
        entry.display()
    );
    parsed
}

#[test]
fn examples_keep_their_meaning() {
    for e in pipec_tests::examples() {
        let dir = pipec_tests::root().join("examples").join(&e);
        assert!(laws(&dir, &pipe_files(&dir)) > 0, "{e}");
    }
}

#[test]
fn the_standard_library_formats_idempotently() {
    let files = pipe_files(&pipec_tests::root().join("stdlib"));
    assert!(files.len() >= 4);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let once = fmt(&f, &text);
        assert_eq!(fmt(&f, &once), once, "{}", f.display());
    }
}

#[test]
fn the_ui_corpus_keeps_its_meaning() {
    let dir = pipec_tests::root().join("tests/ui");
    let files = pipe_files(&dir);
    if files.is_empty() {
        eprintln!("note: no ui corpus under tests/ui yet");
    }
    let mut by_dir: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    for f in files {
        // A directory with several `.pipe` files is one program.
        by_dir
            .entry(f.parent().unwrap().to_path_buf())
            .or_default()
            .push(f);
    }
    for (dir, files) in by_dir {
        if dir == pipec_tests::root().join("tests/ui") || files.len() == 1 {
            for f in &files {
                laws(f, std::slice::from_ref(f));
            }
        } else {
            laws(&dir, &files);
        }
    }
}

/// Every line of `text` outside `"""` strings, with its indentation replaced
/// and trailing spaces added as `edits` says.
fn respace(text: &str, edits: &[(u8, bool)]) -> String {
    let mut out = String::new();
    let mut in_triple = false;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let quotes = line.matches("\"\"\"").count();
        let (indent, trailing) = edits
            .get(i % edits.len().max(1))
            .copied()
            .unwrap_or((0, false));
        if in_triple || quotes > 0 {
            out.push_str(line);
        } else {
            let body = line.trim_start_matches([' ', '\t']);
            let (code, nl) = body.strip_suffix('\n').map_or((body, ""), |b| (b, "\n"));
            out.push_str(&" ".repeat(indent as usize));
            out.push_str(code);
            if trailing && !code.is_empty() {
                out.push_str("  ");
            }
            out.push_str(nl);
        }
        if quotes % 2 == 1 {
            in_triple = !in_triple;
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn indentation_and_trailing_spaces_do_not_matter(
        edits in proptest::collection::vec((0u8..9, any::<bool>()), 1..40),
    ) {
        let mut files = pipe_files(&pipec_tests::root().join("examples"));
        files.extend(pipe_files(&pipec_tests::root().join("stdlib")));
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let respaced = respace(&text, &edits);
            prop_assert_eq!(fmt(&f, &respaced), fmt(&f, &text), "{}", f.display());
        }
    }
}
