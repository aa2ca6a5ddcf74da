//! `pipec lint` on the real files of `tests/corpus` (see its README): no
//! panic, no refusal of a file PyYAML reads, and the findings per rule as
//! in the committed snapshot, so that every change in what the rules find on
//! real repositories is reviewed.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use pipec_lint::{Batch, Config, Session};

struct Entry {
    file: String,
    repo: String,
    pyyaml_accepts: bool,
}

fn manifest() -> Vec<Entry> {
    let root = pipec_tests::root().join("tests/corpus");
    let text = std::fs::read_to_string(root.join("MANIFEST.tsv")).expect("MANIFEST.tsv");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 5, "{l}");
            Entry {
                file: cols[0].to_string(),
                repo: cols[1].to_string(),
                pyyaml_accepts: cols[4] == "accepts",
            }
        })
        .collect()
}

/// Each repository's files in one session, as `pipec lint` at its root.
fn lint_corpus() -> (Vec<Entry>, Vec<Batch>) {
    let root = pipec_tests::root().join("tests/corpus");
    let entries = manifest();
    let mut by_repo: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
    for e in &entries {
        by_repo.entry(&e.repo).or_default().push(e);
    }
    let mut batches = Vec::new();
    for files in by_repo.values() {
        let mut s = Session::new(Default::default(), Config::default());
        for e in files {
            let bytes = std::fs::read(root.join(&e.file)).expect("corpus file");
            s.add_yaml(&e.file, &String::from_utf8_lossy(&bytes));
        }
        batches.push(s.finish());
    }
    (entries, batches)
}

#[test]
fn the_corpus_is_what_the_issue_asks_for() {
    let entries = manifest();
    let workflows: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.file.contains("/.github/workflows/"))
        .collect();
    let mut repos: Vec<&str> = workflows.iter().map(|e| e.repo.as_str()).collect();
    repos.sort();
    repos.dedup();
    assert!(workflows.len() >= 500, "{} workflows", workflows.len());
    assert!(repos.len() >= 40, "{} repositories", repos.len());
    assert!(entries.iter().any(|e| e.file.ends_with(".gitlab-ci.yml")));
}

#[test]
fn real_files_lint_without_refusal_and_as_the_snapshot_says() {
    let (entries, batches) = lint_corpus();
    let accepted: BTreeMap<&str, bool> = entries
        .iter()
        .map(|e| (e.file.as_str(), e.pyyaml_accepts))
        .collect();
    let mut refused = Vec::new();
    let mut per_rule: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for b in &batches {
        for f in &b.findings {
            let span = f.diagnostic.primary_span();
            let file = b.sources.get(span.source);
            let (line, _) = file.line_col(span.start);
            if f.code == "PIPE001" && accepted.get(file.name.as_str()) == Some(&true) {
                refused.push(format!("{}: {}", file.name, f.diagnostic.message));
            }
            per_rule
                .entry(f.code)
                .or_default()
                .push(format!("{}:{line}: {}", file.name, f.diagnostic.message));
        }
    }
    assert!(
        refused.is_empty(),
        "PyYAML reads these:\n{}",
        refused.join("\n")
    );
    let mut snap = String::new();
    for (code, list) in &per_rule {
        let _ = writeln!(snap, "## {code}: {}", list.len());
        for l in list {
            let _ = writeln!(snap, "{l}");
        }
    }
    insta::assert_snapshot!("findings", snap);
}
