//! ## What it does
//! Reports a rule id in `pipec.toml`, in a `policy { rule … }` statement or in a
//! suppression that no rule has.
//!
//! ## Why is this bad
//! A misspelt id changes nothing: the rule still runs at its default severity,
//! or the finding meant to be suppressed is still reported.
//!
//! ## Example
//! ```toml
//! [lint.rules]
//! PIPE1O4 = "off"
//! ```
//!
//! ## Use instead
//! ```toml
//! [lint.rules]
//! PIPE104 = "off"
//! ```

use pipec_diagnostics::Severity;

use crate::rule::{Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE004",
    name: "unknown-rule",
    summary: "a configuration or suppression names a rule that does not exist",
    severity: Severity::Error,
    group: Group::File,
    inputs: &[
        Input::Pipe,
        Input::GitHub,
        Input::GitLab,
        Input::ArgoCd,
        Input::Kubernetes,
    ],
    module: module_path!(),
    check: None,
};
