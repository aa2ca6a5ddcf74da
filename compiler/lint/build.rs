//! Builds the rule registry's documentation table from the rule files, and
//! refuses to build when `src/rules/mod.rs` and the folder disagree.
//!
//! Each rule file starts with a `//!` doc comment with the headings
//! `## What it does`, `## Why is this bad`, `## Example` and `## Use instead`;
//! that text is what `pipec explain RULE` prints and what `docs/rules/` holds.

use std::fmt::Write as _;
use std::path::Path;

const HEADINGS: [&str; 4] = [
    "## What it does",
    "## Why is this bad",
    "## Example",
    "## Use instead",
];

fn main() {
    let dir = Path::new("src/rules");
    println!("cargo:rerun-if-changed=src/rules");
    let registry = std::fs::read_to_string(dir.join("mod.rs")).expect("src/rules/mod.rs");
    let mut stems: Vec<String> = std::fs::read_dir(dir)
        .expect("src/rules")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".rs") && n != "mod.rs")
        .map(|n| n.trim_end_matches(".rs").to_string())
        .collect();
    stems.sort();
    let mut out = String::from(
        "/// Doc comment of each rule file, by file stem.\npub(crate) static DOCS: &[(&str, &str)] = &[\n",
    );
    let mut problems = Vec::new();
    for stem in &stems {
        println!("cargo:rerun-if-changed=src/rules/{stem}.rs");
        let text = std::fs::read_to_string(dir.join(format!("{stem}.rs"))).expect("rule file");
        let doc: Vec<&str> = text
            .lines()
            .take_while(|l| l.starts_with("//!"))
            .map(|l| {
                l.strip_prefix("//! ")
                    .unwrap_or(l.trim_start_matches("//!"))
            })
            .collect();
        let doc = doc.join("\n");
        let mut at = 0;
        for h in HEADINGS {
            match doc[at..].find(h) {
                Some(i) => at += i + h.len(),
                None => problems.push(format!(
                    "src/rules/{stem}.rs: doc comment lacks `{h}` (in order)"
                )),
            }
        }
        if !registry.contains(&format!("mod {stem};"))
            || !registry.contains(&format!("&{stem}::RULE"))
        {
            problems.push(format!("src/rules/{stem}.rs is not registered in src/rules/mod.rs (`mod {stem};` and `&{stem}::RULE`)"));
        }
        let _ = writeln!(out, "    ({stem:?}, {:?}),", doc.trim());
    }
    for line in registry.lines() {
        if let Some(m) = line
            .trim()
            .strip_prefix("mod ")
            .and_then(|m| m.strip_suffix(';'))
            && !stems.iter().any(|s| s == m)
        {
            problems.push(format!(
                "src/rules/mod.rs declares `mod {m};` but src/rules/{m}.rs does not exist"
            ));
        }
    }
    if !problems.is_empty() {
        panic!(
            "the rule registry disagrees with src/rules/:\n  {}",
            problems.join("\n  ")
        );
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("rule_docs.rs");
    std::fs::write(dest, out).expect("write rule_docs.rs");
}
