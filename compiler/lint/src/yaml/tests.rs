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
