//! Programs nested 10,000 levels deep, each with the diagnostic code it must
//! get. Shared by `tests/deep_nesting.rs` (through the library) and
//! `compiler/cli/tests/deep_nesting.rs` (through the binary).

pub const DEPTH: usize = 10_000;

/// `text` as the body of a job, inside a pipeline.
pub fn in_job(text: &str) -> String {
    format!("pipeline p {{\n  on push\n  job a {{\n    {text}\n  }}\n}}\n")
}

/// Each case and the diagnostic code it must get.
pub fn cases() -> Vec<(&'static str, String, &'static str)> {
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
