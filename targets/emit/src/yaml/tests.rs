//! The writer's output, and what readers make of it.
use super::*;

#[test]
fn quotes_what_readers_would_change() {
    for s in [
        "on",
        "Off",
        "yes",
        "N",
        "~",
        "null",
        "3.10",
        "0755",
        "1e3",
        "0x1F",
        "12:30",
        ".inf",
        "-1",
        " x",
        "x ",
        "a: b",
        "a #b",
        "",
        "@x",
        "*x",
        "2001-12-14",
        "<<",
    ] {
        assert!(!is_plain_safe(s), "{s:?} must be quoted");
    }
    for s in [
        "ubuntu-latest",
        "ghcr.io/acme/api:sha-1",
        "actions/checkout@abc",
        "${{ matrix.python }}",
        "pip install -r requirements.txt",
        "Build image app",
    ] {
        assert!(is_plain_safe(s), "{s:?} can stay plain");
    }
}

#[test]
fn renders_nested_structures() {
    let mut steps = Map::new();
    steps.insert("name", "Test");
    steps.insert("run", "pytest\necho done\n");
    let mut job = Map::new();
    job.insert_commented("runs-on", "ubuntu-24.04", "the runner");
    job.insert("steps", Yaml::Seq(vec![Yaml::Map(steps)]));
    job.insert("env", Map::new());
    let mut root = Map::new();
    root.insert("on", vec!["push"]);
    root.insert("jobs", map([("test", Yaml::Map(job))]));
    assert_eq!(
        to_string(&Yaml::Map(root)),
        "'on':\n  - push\njobs:\n  test:\n    # the runner\n    runs-on: ubuntu-24.04\n    steps:\n      - name: Test\n        run: |\n          pytest\n          echo done\n    env: {}\n"
    );
}

#[test]
fn notes_end_their_line() {
    let mut m = Map::new();
    m.insert_noted("uses", "actions/checkout@abc", "v4.2.2");
    m.insert_noted("with", map([("a", Yaml::from("b"))]), "inputs");
    m.insert_noted("run", "a\nb\n", "script");
    assert_eq!(
        to_string(&Yaml::Map(m)),
        "uses: actions/checkout@abc # v4.2.2\nwith: # inputs\n  a: b\nrun: | # script\n  a\n  b\n"
    );
}

#[test]
fn block_scalar_chomping() {
    let y = |s: &str| to_string(&Yaml::Map(map([("k", Yaml::from(s))])));
    assert_eq!(y("a\nb"), "k: |-\n  a\n  b\n");
    assert_eq!(y("a\n\nb\n"), "k: |\n  a\n\n  b\n");
    assert_eq!(y("a\n\n"), "k: |+\n  a\n\n");
    assert_eq!(y("  a\nb"), "k: |2-\n    a\n  b\n");
}

#[test]
fn ci_owned_values_have_one_shape() {
    let mut image = Map::new();
    image.insert("name", "ghcr.io/acme/api");
    image.insert_ci_owned("newTag", "pending");
    let mut root = Map::new();
    root.insert("images", Yaml::Seq(vec![Yaml::Map(image)]));
    root.insert_ci_owned("odd", "it's\n");
    root.insert_noted("replicas", 2u32, "pipec: set by CI");
    assert_eq!(
        to_string(&Yaml::Map(root)),
        "images:\n  - name: ghcr.io/acme/api\n    newTag: 'pending' # pipec: set by CI\nodd: |\n  it's\nreplicas: 2 # pipec\\u{3a} set by CI\n"
    );
}

/// Every kind of line break some reader honours.
const BREAKS: &[&str] = &[
    "\n", "\r", "\r\n", "\u{0B}", "\u{0C}", "\u{1C}", "\u{1D}", "\u{1E}", "\u{85}", "\u{2028}",
    "\u{2029}",
];

#[test]
fn comments_never_leave_their_line() {
    for br in BREAKS {
        let text = format!("first{br}evil: injected{br}- also{br}");
        let mut m = Map::new();
        m.insert_commented("a", "1", text.as_str());
        m.insert_noted("b", "2", text.as_str());
        m.insert("c", map([("d", Yaml::from("3"))]));
        m.insert_commented(
            "e",
            Yaml::Seq(vec![Yaml::Map(map([("f", Yaml::from("4"))]))]),
            text.as_str(),
        );
        let doc = to_string(&Yaml::Map(m));
        for line in doc.lines() {
            assert!(
                !line.contains([
                    '\r', '\u{0B}', '\u{0C}', '\u{1C}', '\u{85}', '\u{2028}', '\u{2029}'
                ]),
                "{br:?}: {doc}"
            );
            let t = line.trim_start();
            assert!(
                !t.starts_with("evil") && !t.starts_with("- also"),
                "{br:?}: {doc}"
            );
        }
        let back: serde_json::Value = yaml_serde::from_str(&doc).unwrap();
        assert_eq!(
            back,
            serde_json::json!({"a": "1", "b": "2", "c": {"d": "3"}, "e": [{"f": "4"}]}),
            "{br:?}: {doc}"
        );
    }
}

#[test]
fn hidden_characters_are_escaped_in_comments() {
    assert_eq!(
        comment("a\u{1b}[31m\u{202E}b\u{FEFF}\u{FFFE}\tc  \n\nd", 2),
        "  # a\\u{1b}[31m\\u{202e}b\\u{feff}\\u{fffe}\tc\n  #\n  # d\n"
    );
    assert_eq!(comment_text("a\nb\r.pipe"), "a\\u{a}b\\u{d}.pipe");
    assert_eq!(
        comment_lines("x # pipec: set by CI"),
        ["x # pipec\\u{3a} set by CI"]
    );
}

#[test]
fn scalars_with_any_line_break_are_double_quoted() {
    for br in BREAKS {
        let s = format!("a{br}b");
        let out = scalar(&s);
        assert!(out.starts_with('"'), "{br:?}: {out}");
        assert!(out.chars().all(|c| !is_line_break(c)), "{br:?}: {out}");
    }
    assert_eq!(scalar("a\u{FFFE}"), "\"a\\uFFFE\"");
    assert_eq!(scalar("\u{202E}x"), "\"\\u202Ex\"");
}

#[test]
fn scripts_ending_like_ci_owned_values_are_not_blocks() {
    let y = |s: &str| to_string(&Yaml::Map(map([("run", Yaml::from(s))])));
    assert_eq!(
        y("a\nb # pipec: set by CI\n"),
        "run: \"a\\nb # pipec: set by CI\\n\"\n"
    );
    assert_eq!(y("a\nb\r\n"), "run: \"a\\nb\\r\\n\"\n");
}

#[test]
fn long_keys_are_explicit() {
    let long = "k".repeat(1500);
    let mut m = Map::new();
    m.insert(long.as_str(), "v");
    m.insert("n", map([(long.as_str(), Yaml::from("w"))]));
    let doc = to_string(&Yaml::Map(m));
    assert!(doc.starts_with(&format!("? {long}\n: v\n")), "{doc}");
    let back: serde_json::Value = yaml_serde::from_str(&doc).unwrap();
    assert_eq!(back[&long], "v");
    assert_eq!(back["n"][&long], "w");
}

/// Pieces of text that YAML readers, shells or CI systems treat specially.
const PIECES: &[&str] = &[
    "\n",
    "\r",
    "\r\n",
    "\u{0B}",
    "\u{0C}",
    "\u{1C}",
    "\u{1D}",
    "\u{1E}",
    "\u{85}",
    "\u{2028}",
    "\u{2029}",
    "\t",
    "\0",
    "\u{1b}",
    "\u{7f}",
    "\u{9b}",
    "\u{FEFF}",
    "\u{FFFE}",
    "\u{FFFF}",
    "\u{202E}",
    "\u{200B}",
    "\u{A0}",
    " ",
    "  ",
    "#",
    " #",
    ": ",
    ":",
    "-",
    "- ",
    "?",
    "'",
    "\"",
    "\\",
    "|",
    ">",
    "&a",
    "*a",
    "!",
    "%",
    "@",
    "`",
    "[",
    "]",
    "{",
    "}",
    ",",
    "---",
    "...",
    "~",
    "on",
    "no",
    "y",
    "null",
    "0755",
    "1.10",
    "1e3",
    ".inf",
    "<<",
    "=",
    "${{ x }}",
    "$HOME",
    "pipec: set by CI",
    " # pipec: set by CI",
    "é",
    "🙂",
];

/// Strings biased toward the characters that break YAML.
fn dangerous() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    prop::collection::vec(
        prop_oneof![
            3 => prop::sample::select(PIECES).prop_map(str::to_string),
            1 => "\\PC{0,4}",
            1 => any::<char>().prop_map(String::from),
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

proptest::proptest! {
    #[test]
    fn strings_read_back_unchanged(s in "\\PC{0,40}|[ -~\\n]{0,40}") {
        let doc = to_string(&Yaml::Map(map([("k", Yaml::from(s.clone()))])));
        let back: std::collections::BTreeMap<String, String> = yaml_serde::from_str(&doc).unwrap();
        proptest::prop_assert_eq!(&back["k"], &s, "document: {:?}", doc);
    }

    #[test]
    fn dangerous_strings_stay_strings(s in dangerous(), c in dangerous()) {
        let mut m = Map::new();
        m.insert_commented("value", s.as_str(), c.as_str());
        m.insert_noted("list", vec![s.as_str()], c.as_str());
        m.insert(s.as_str(), "key");
        m.insert_commented("nested", map([("x", Yaml::from(s.as_str()))]), c.as_str());
        let doc = to_string(&Yaml::Map(m));
        let back: serde_json::Value = yaml_serde::from_str(&doc)
            .map_err(|e| proptest::test_runner::TestCaseError::fail(format!("{e}: {doc:?}")))?;
        let mut expected = serde_json::json!({"value": s, "list": [s], "nested": {"x": s}});
        // A key equal to one of the others replaces its value.
        expected[&s] = serde_json::json!("key");
        proptest::prop_assert_eq!(&back, &expected, "document: {:?}", doc);
        // The only line that can end like a CI-owned value is one the writer
        // wrote as such.
        proptest::prop_assert!(!doc.lines().any(|l| l.ends_with(crate::header::CI_OWNED)), "{:?}", doc);
    }
}
