//! ## What it does
//! Reports an item of a GitLab `script`, `before_script` or `after_script` that
//! YAML reads as a mapping instead of a string — typically an `echo` whose text
//! contains `: `.
//!
//! ## Why is this bad
//! GitLab rejects the whole `.gitlab-ci.yml` ("script contains non string
//! value"): no job of the pipeline runs.
//!
//! ## Example
//! ```yaml
//! script:
//!   - echo "Unit tests passed: 43/43"
//! ```
//!
//! ## Use instead
//! ```yaml
//! script:
//!   - 'echo "Unit tests passed: 43/43"'
//! ```

use pipec_diagnostics::Severity;

use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE007",
    name: "malformed-script",
    summary: "a script line is not a command",
    severity: Severity::Error,
    group: Group::File,
    inputs: &[Input::GitLab],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for m in cx.malformed() {
        out.report(m.loc.clone(), &m.message)
            .label("read as a mapping")
            .help(&m.help);
    }
}
