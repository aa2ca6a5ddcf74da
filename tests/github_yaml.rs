//! Every string the YAML writer emits reads back as the identical string
//! through a YAML 1.1 reader (PyYAML, as GitHub's and GitLab's tooling and
//! Kubernetes read) and through the project's own reader (yaml_serde), and
//! every comment stays a comment.
//!
//! The strings are generated (printable Unicode, ASCII with line breaks, and
//! strings built from the words and characters YAML readers treat specially,
//! every kind of line break among them), written as values, as keys, as list
//! items and as comments in one document, and read by one Python process,
//! with both of PyYAML's safe loaders (libyaml and pure Python).

use pipec_emit::yaml::{self, Map, Yaml};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

const TRICKY: &[&str] = &[
    "on",
    "Off",
    "YES",
    "no",
    "y",
    "N",
    "true",
    "False",
    "NULL",
    "null",
    "~",
    "0",
    "0755",
    "0o17",
    "0x1F",
    "0b101",
    "1e3",
    "1.10",
    "3.10",
    "+1",
    "-1",
    ".5",
    ".inf",
    "-.Inf",
    ".NaN",
    "1:20",
    "12:30:45",
    "2001-12-14",
    "2001-12-14t21:59:43.10-05:00",
    "<<",
    "=",
    "-",
    "?",
    "---",
    "...",
    "#",
    "&a",
    "*a",
    "!tag",
    "%YAML",
    "@x",
    "`x`",
    "|",
    ">",
    "'",
    "\"",
    "${{ x }}",
    "a: b",
    "a #b",
    " ",
    ":",
    "- x",
    "[a]",
    "{a: 1}",
    ",",
    "\\",
    "\t",
    "\r",
    "\r\n",
    "\u{85}",
    "\u{2028}",
    "\u{2029}",
    "\u{0B}",
    "\u{0C}",
    "\u{1C}",
    "\u{1D}",
    "\u{1E}",
    "\u{0}",
    "\u{1B}",
    "\u{7F}",
    "\u{9B}",
    "\u{FFFE}",
    "\u{FFFF}",
    "\u{202E}",
    "\t#",
    " # pipec: set by CI",
    "\nkey: injected\n",
    "\r- injected",
    "\u{85}key: injected",
    "\u{A0}",
    "é",
    "日本",
    "🙂",
    "\u{200B}",
];

const SEPARATORS: &[&str] = &["", " ", "\n", "\n\n", ":", "  ", "\n  ", " #", ": "];

fn tricky() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            prop::sample::select(TRICKY),
            prop::sample::select(SEPARATORS),
        ),
        1..5,
    )
    .prop_map(|parts| parts.into_iter().map(|(w, s)| format!("{w}{s}")).collect())
}

fn strings(n: usize) -> Vec<String> {
    let strategy = prop_oneof![
        "\\PC{0,40}",
        "[ -~\\n]{0,40}",
        tricky(),
        tricky().prop_map(|s| s.trim_end_matches('\n').to_string()),
    ];
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let mut out: Vec<String> = TRICKY.iter().map(|s| s.to_string()).collect();
    while out.len() < n {
        out.push(
            strategy
                .new_tree(&mut runner)
                .expect("strategy generates")
                .current(),
        );
    }
    out
}

#[test]
fn every_emitted_string_reads_back_identical() {
    let strings = strings(3000);
    let mut values = Map::new();
    let mut keys = Map::new();
    let mut comments = Map::new();
    for (i, s) in strings.iter().enumerate() {
        values.insert(format!("k{i}"), s.as_str());
        keys.insert(s.as_str(), format!("k{i}"));
        comments.insert_commented(format!("c{i}"), "above", s.as_str());
        comments.insert_noted(format!("n{i}"), "after", s.as_str());
    }
    // Keys longer than readers take on one line.
    keys.insert("k".repeat(1100), "long");
    keys.insert(format!("{}\u{85}", "é".repeat(1100)), "long");
    let list = Yaml::Seq(strings.iter().map(|s| Yaml::from(s.as_str())).collect());
    let nested = Yaml::Seq(
        strings
            .iter()
            .take(200)
            .map(|s| Yaml::Map(yaml::map([("value", Yaml::from(s.as_str()))])))
            .collect(),
    );
    let doc = yaml::to_string(&Yaml::Map(yaml::map([
        ("values", Yaml::Map(values)),
        ("keys", Yaml::Map(keys)),
        ("list", list),
        ("nested", nested),
        ("comments", Yaml::Map(comments)),
    ])));

    // The document read back, as JSON; `keys` as a list of [key, is a string].
    let check = |reader: &str, back: &serde_json::Value| {
        let values = &back["values"];
        let keys: Vec<&str> = back["keys"]
            .as_array()
            .expect("keys read as a list")
            .iter()
            .map(|k| {
                assert_eq!(k[1], true, "{reader}: key {} is not a string", k[0]);
                k[0].as_str().expect("key")
            })
            .collect();
        for (i, s) in strings.iter().enumerate() {
            assert_eq!(
                values[format!("k{i}")].as_str(),
                Some(s.as_str()),
                "{reader}: value {s:?}"
            );
            assert!(keys.contains(&s.as_str()), "{reader}: key {s:?}");
            assert_eq!(
                back["list"][i].as_str(),
                Some(s.as_str()),
                "{reader}: list item {s:?}"
            );
        }
        let comments = back["comments"].as_object().expect("comments");
        assert_eq!(
            comments.len(),
            2 * strings.len(),
            "{reader}: a comment became YAML"
        );
        for i in 0..strings.len() {
            assert_eq!(comments[&format!("c{i}")], "above", "{reader}: comment {i}");
            assert_eq!(comments[&format!("n{i}")], "after", "{reader}: note {i}");
        }
        assert!(
            keys.contains(&"k".repeat(1100).as_str()),
            "{reader}: long key"
        );
        for (i, m) in back["nested"]
            .as_array()
            .expect("nested")
            .iter()
            .enumerate()
        {
            assert_eq!(
                m["value"].as_str(),
                Some(strings[i].as_str()),
                "{reader}: nested {i}"
            );
        }
    };

    let mut ours: serde_json::Value =
        yaml_serde::from_str(&doc).expect("yaml_serde reads the document");
    // yaml_serde only produces string keys here (the value type says so).
    let keys: Vec<serde_json::Value> = ours["keys"]
        .as_object()
        .expect("keys")
        .keys()
        .map(|k| serde_json::json!([k, true]))
        .collect();
    ours["keys"] = serde_json::Value::Array(keys);
    check("yaml_serde", &ours);

    let Some(python) = pipec_tests::tool("python") else {
        return;
    };
    let dir = pipec_tests::scratch("github-yaml-strings");
    std::fs::write(dir.join("strings.yaml"), &doc).expect("write");
    let out = pipec_tests::run(
        &python,
        &[
            "-c",
            concat!(
                "import json, yaml\n",
                "out = []\n",
                "for loader in (yaml.CSafeLoader, yaml.SafeLoader):\n",
                "    d = yaml.load(open('strings.yaml', encoding='utf-8'), Loader=loader)\n",
                "    d['keys'] = [[k, isinstance(k, str)] for k in d['keys']]\n",
                "    out.append(d)\n",
                "print(json.dumps(out))",
            ),
        ],
        &dir,
    );
    assert!(
        out.status.success(),
        "PyYAML cannot read the document: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pyyaml: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("PyYAML prints JSON");
    check("PyYAML (libyaml)", &pyyaml[0]);
    check("PyYAML (pure Python)", &pyyaml[1]);
}
