//! The registry cannot drift: ids sorted and unique, names match file names,
//! every page is complete, and `docs/rules/` holds exactly the pages the
//! registry renders (`PIPEC_BLESS=1` rewrites them).

use crate::rules;

#[test]
fn ids_are_sorted_unique_and_named_after_their_files() {
    let all = rules::all();
    for w in all.windows(2) {
        assert!(w[0].id < w[1].id, "{} before {}", w[0].id, w[1].id);
    }
    for r in all {
        let stem = r.module.rsplit("::").next().unwrap_or("");
        assert_eq!(r.name, stem.replace('_', "-"), "{}", r.id);
        assert!(r.id.starts_with("PIPE") && r.id.len() == 7, "{}", r.id);
        assert!(!rules::doc(r).is_empty(), "{} has no doc", r.id);
        assert!(!r.inputs.is_empty(), "{}", r.id);
    }
    for id in [
        "PIPE001", "PIPE002", "PIPE003", "PIPE004", "PIPE005", "PIPE006",
    ] {
        assert_eq!(rules::rule(id).id, id);
    }
}

#[test]
fn docs_rules_match_the_registry() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules");
    let bless = std::env::var_os("PIPEC_BLESS").is_some();
    let mut expected: Vec<(String, String)> = rules::all()
        .iter()
        .map(|r| (format!("{}.md", r.id), rules::explanation(r)))
        .collect();
    let index_path = dir.join("index.md");
    let index = std::fs::read_to_string(&index_path).unwrap_or_default();
    expected.push(("index.md".into(), crate::report::rules_index(&index)));
    let mut stale = Vec::new();
    for (name, text) in &expected {
        let path = dir.join(name);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text) {
            if bless {
                std::fs::create_dir_all(&dir).expect("docs/rules");
                std::fs::write(&path, text).expect("write page");
            } else {
                stale.push(name.clone());
            }
        }
    }
    let mut extra: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().to_string())
                .filter(|n| !expected.iter().any(|(x, _)| x == n))
                .collect()
        })
        .unwrap_or_default();
    extra.sort();
    assert!(
        stale.is_empty() && extra.is_empty(),
        "docs/rules is out of date (run with PIPEC_BLESS=1): stale {stale:?}, not in the registry {extra:?}"
    );
}
