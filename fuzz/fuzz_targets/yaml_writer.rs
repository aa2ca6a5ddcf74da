//! Any string through the YAML writer reads back as the same string, and no
//! comment becomes YAML: written as a value, a key, a list item, a nested
//! value and a CI-owned value, with comments above and after entries, the
//! document must parse, hold exactly those entries, and end no line with the
//! CI-owned marker except the one written as such.
//!
//! The input is split at NUL bytes: the string, then the comment text.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pipec_emit::header::CI_OWNED;
use pipec_emit::yaml::{self, Map, Yaml};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(2, '\0');
    let s = parts.next().unwrap_or_default().to_string();
    let comment = parts.next().unwrap_or_default().to_string();

    let mut m = Map::new();
    m.insert_commented("value", s.as_str(), comment.as_str());
    m.insert_noted("list", vec![s.as_str()], comment.as_str());
    m.insert_commented(
        "nested",
        yaml::map([("x", Yaml::from(s.as_str()))]),
        comment.as_str(),
    );
    m.insert_ci_owned("owned", "pending");
    m.insert(s.as_str(), "key");
    let doc = yaml::to_string(&Yaml::Map(m));

    let back: serde_json::Value = match yaml_serde::from_str(&doc) {
        Ok(v) => v,
        Err(e) => panic!("the writer's output does not parse: {e}\n{doc:?}"),
    };
    let mut expected = serde_json::json!({
        "value": s,
        "list": [s],
        "nested": { "x": s },
        "owned": "pending",
    });
    // A key equal to one of the others replaces its value.
    expected[&s] = serde_json::json!("key");
    assert_eq!(back, expected, "{doc:?}");
    let owned = doc.lines().filter(|l| l.ends_with(CI_OWNED)).count();
    let expected_owned = usize::from(s != "owned");
    assert_eq!(owned, expected_owned, "{doc:?}");
});
