//! Programs nested 10,000 levels deep — brackets, blocks, operator chains and
//! string templates — get a diagnostic, never a stack overflow. They are
//! checked on the test thread, whose stack (2 MiB) is smaller than the main
//! thread's, through the public `pipec_check::check`; the same programs go
//! through the `pipec` binary in `compiler/cli/tests/deep_nesting.rs`.

use std::path::{Path, PathBuf};

use pipec_check::{MemoryFs, check};

const DEPTH: usize = 10_000;

/// `text` as the body of a job, inside a pipeline.
fn in_job(text: &str) -> String {
    format!("pipeline p {{\n  on push\n  job a {{\n    {text}\n  }}\n}}\n")
}

/// Each case and the diagnostic code it must get.
fn cases() -> Vec<(&'static str, String, &'static str)> {
    let n = DEPTH;
    let chain = |op: &str| vec!["branch main"; n].join(op);
    vec![
        (
            "parentheses",
            in_job(&format!(
                "run \"x\"\n    when {}branch main{}",
                "(".repeat(n),
                ")".repeat(n)
            )),
            "E0004",
        ),
        (
            "lists",
            format!("x = {}{}\n", "[".repeat(n), "]".repeat(n)),
            "E0004",
        ),
        (
            "records",
            format!("x = {}1{}\n", "{ a: ".repeat(n), " }".repeat(n)),
            "E0004",
        ),
        (
            "blocks",
            format!("x {}{}\n", "{ y ".repeat(n), "}".repeat(n)),
            "E0004",
        ),
        (
            "not",
            in_job(&format!(
                "run \"x\"\n    when {}branch main",
                "not ".repeat(n)
            )),
            "E0004",
        ),
        (
            "or",
            in_job(&format!("run \"x\"\n    when {}", chain(" or "))),
            "E0004",
        ),
        (
            "and",
            in_job(&format!("run \"x\"\n    when {}", chain(" and "))),
            "E0004",
        ),
        (
            "or over lines",
            in_job(&format!("run \"x\"\n    when {}", chain(" or\n      "))),
            "E0004",
        ),
        (
            "members",
            in_job(&format!("run \"x\"\n    when a{}", ".b".repeat(n))),
            "E0004",
        ),
        (
            "calls",
            in_job(&format!("run \"x\"\n    when a{}", "()".repeat(n))),
            "E0004",
        ),
        (
            "placeholder parentheses",
            in_job(&format!(
                "run \"{{{{ {}ci.sha{} }}}}\"",
                "(".repeat(n),
                ")".repeat(n)
            )),
            "E0207",
        ),
        (
            "placeholder blocks",
            in_job(&format!(
                "run \"{}x{}\"",
                "{% if true %}".repeat(n),
                "{% endif %}".repeat(n)
            )),
            "E0207",
        ),
    ]
}

#[test]
fn deep_programs_get_a_diagnostic() {
    for (name, text, code) in cases() {
        let fs = MemoryFs([(PathBuf::from("deep.pipe"), text)].into_iter().collect());
        let checked = check(Path::new("deep.pipe"), &fs).expect("readable");
        let codes: Vec<&str> = checked
            .diagnostics
            .iter()
            .map(|d| d.code.as_str())
            .collect();
        assert!(checked.has_errors(), "{name}: no error");
        assert!(
            codes.contains(&code),
            "{name}: expected {code}, got {codes:?}"
        );
        // Rendering walks the spans of the deep source too.
        let rendered = pipec_diagnostics::render::human(
            &checked.diagnostics,
            &checked.sources,
            Default::default(),
        );
        assert!(rendered.contains(code), "{name}: {rendered}");
    }
}
