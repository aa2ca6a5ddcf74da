//! The YAML reader on the inputs lint has to survive.

use pipec_diagnostics::SourceId;

use super::*;

fn one(text: &str) -> (Node, Vec<Problem>) {
    let (mut docs, problems) = read(text, SourceId(0));
    let root = docs
        .drain(..)
        .next()
        .map(|d| d.root)
        .unwrap_or_else(|| panic!("no document: {problems:?}"));
    (root, problems)
}

#[test]
fn spans_are_byte_offsets_even_after_multibyte_text() {
    let text = "a: \"✅ ok\"\nb: x\n";
    let (root, _) = one(text);
    let b = root.get("b").expect("b");
    assert_eq!(&text[b.span.range()], "x");
    let a = root.get("a").expect("a");
    assert_eq!(&text[a.span.range()], "\"✅ ok\"");
}

#[test]
fn crlf_and_paths() {
    let text = "jobs:\r\n  build:\r\n    steps:\r\n      - uses: a/b@v1\r\n";
    let (root, problems) = one(text);
    assert!(problems.is_empty());
    let path = YamlPath::root()
        .key("jobs")
        .key("build")
        .key("steps")
        .index(0)
        .key("uses");
    assert_eq!(path.to_string(), "jobs.build.steps[0].uses");
    let (node, key) = path.find(&root).expect("found");
    assert_eq!(&text[node.span.range()], "a/b@v1");
    assert_eq!(&text[key.expect("key").range()], "uses");
}

#[test]
fn duplicate_keys_are_reported_and_the_first_kept() {
    let (root, problems) = one("a: 1\nb: 2\na: 3\n");
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].kind, ProblemKind::DuplicateKey);
    assert_eq!(root.get("a").and_then(Node::as_str), Some("1"));
    // A quoted `<<` is an ordinary key, not a merge key.
    let (_, problems) = one("'<<': a\n\"<<\": b\n");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].kind, ProblemKind::DuplicateKey);
}

#[test]
fn merge_keys_and_aliases() {
    let (root, problems) =
        one(".base: &base\n  image: python\n  stage: test\njob:\n  <<: *base\n  stage: build\n");
    assert!(problems.is_empty(), "{problems:?}");
    let job = root.get("job").expect("job");
    assert_eq!(job.get("image").and_then(Node::as_str), Some("python"));
    assert_eq!(job.get("stage").and_then(Node::as_str), Some("build"));
}

#[test]
fn alias_bombs_are_refused() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        let list = [prev.as_str(); 10].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{list}]\n"));
    }
    let (_, problems) = read(&text, SourceId(0));
    assert!(
        problems.iter().any(|p| p.message.contains("alias")),
        "{problems:?}"
    );
}

#[test]
fn deep_nesting_and_syntax_errors_are_problems() {
    let deep = format!("{}{}", "[".repeat(500), "]".repeat(500));
    let (_, problems) = read(&deep, SourceId(0));
    assert_eq!(problems.len(), 1);
    let (_, problems) = read("a: [1, 2\nb: c: d\n", SourceId(0));
    assert_eq!(problems[0].kind, ProblemKind::Invalid);
}

#[test]
fn several_documents() {
    let (docs, problems) = read("kind: A\n---\nkind: B\n", SourceId(0));
    assert!(problems.is_empty());
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[1].index, 1);
}

#[test]
fn a_colon_in_a_sequence_item_is_a_mapping() {
    let (root, _) = one("script:\n  - echo \"✅ passed: 43/43\"\n");
    assert!(root.get("script").expect("script").items()[0].is_map());
}

/// One large scalar reached through many aliases: few nodes, many bytes.
/// The byte budget refuses it (the node budget alone let 318 KB of YAML grow
/// to 895 MB).
#[test]
fn aliases_are_budgeted_in_bytes() {
    let big = "x".repeat(300_000);
    let aliases = vec!["*a"; 3000].join(", ");
    let text = format!("a: &a \"{big}\"\nb: [{aliases}]\n");
    let (docs, problems) = read(&text, SourceId(0));
    assert!(docs.is_empty(), "the document is refused");
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].kind, ProblemKind::Invalid);
    assert!(problems[0].message.contains("alias bomb"), "{problems:?}");
    // A few copies of a large scalar stay within the budget.
    let text = format!("a: &a \"{big}\"\nb: [*a, *a]\n");
    let (root, problems) = one(&text);
    assert!(problems.is_empty());
    assert_eq!(root.get("b").map(|b| b.items().len()), Some(2));
}

/// A mapping of 40,000 keys is read with every key found through the
/// index, and a key given again at its end is still reported.
#[test]
fn large_mappings_are_indexed() {
    let mut text: String = (0..40_000).map(|i| format!("k{i}: v{i}\n")).collect();
    text.push_str("k17: again\n");
    let (root, problems) = one(&text);
    assert_eq!(root.entries().len(), 40_000);
    assert_eq!(root.get("k39999").and_then(Node::as_str), Some("v39999"));
    assert_eq!(root.get("k17").and_then(Node::as_str), Some("v17"));
    assert_eq!(problems.len(), 1);
    assert!(problems[0].message.contains("`k17`"));
    // Merge keys into a large mapping keep its own values first.
    let mut text = String::from("base: &b\n  k1: base\n  extra: yes\nm:\n  <<: *b\n");
    text.extend((0..100).map(|i| format!("  k{i}: own\n")));
    let (root, problems) = one(&text);
    assert!(problems.is_empty(), "{problems:?}");
    let m = root.get("m").expect("m");
    assert_eq!(m.get("k1").and_then(Node::as_str), Some("own"));
    assert_eq!(m.get("extra").and_then(Node::as_str), Some("yes"));
}

/// 10,000 keys given twice are the first `MAX_DUPLICATE_KEYS`, one by one,
/// and one count of the rest.
#[test]
fn duplicate_keys_are_capped_per_file() {
    let text = "k: v\n".repeat(10_001);
    let (_, problems) = one(&text);
    assert_eq!(problems.len(), MAX_DUPLICATE_KEYS + 1);
    assert!(problems.iter().all(|p| p.kind == ProblemKind::DuplicateKey));
    let last = problems.last().expect("count");
    assert!(
        last.message
            .starts_with(&format!("{} more key(s)", 10_000 - MAX_DUPLICATE_KEYS)),
        "{}",
        last.message
    );
}

/// A flow sequence whose closing bracket sits at its key's column, as in
/// pytest's main workflow: GitHub and PyYAML read it, and so does lint, with
/// spans in the original text.
#[test]
fn flow_sequence_closed_at_the_key_column() {
    let text = "jobs:\n  test:\n    strategy:\n      matrix:\n        name: [\n          \"a\",\n          \"b\",\n        ]\n        os: [x]\n    runs-on: ✅ ubuntu\n";
    let (root, problems) = one(text);
    assert!(problems.is_empty(), "{problems:?}");
    let matrix = root
        .at(&["jobs", "test", "strategy", "matrix"])
        .expect("matrix");
    assert_eq!(matrix.get("name").map(Node::strings), Some(vec!["a", "b"]));
    let os = matrix.get("os").expect("os");
    assert_eq!(&text[os.span.range()], "[x]");
    let runs_on = root.at(&["jobs", "test", "runs-on"]).expect("runs-on");
    assert_eq!(&text[runs_on.span.range()], "✅ ubuntu");
}
