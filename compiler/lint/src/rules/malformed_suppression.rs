//! ## What it does
//! Reports a `# pipec: allow` comment without a rule id or without a reason.
//!
//! ## Why is this bad
//! A suppression is a decision someone will have to revisit; without the reason,
//! nobody can tell whether it still holds.
//!
//! ## Example
//! ```yaml
//! - uses: ./vendor/deploy # pipec: allow PIPE201
//! ```
//!
//! ## Use instead
//! ```yaml
//! - uses: ./vendor/deploy # pipec: allow PIPE201 vendored copy, reviewed in #123
//! ```

use pipec_diagnostics::Severity;

use crate::rule::{Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE006",
    name: "malformed-suppression",
    summary: "a suppression comment lacks its rule or reason",
    severity: Severity::Error,
    group: Group::File,
    inputs: &[
        Input::GitHub,
        Input::GitLab,
        Input::ArgoCd,
        Input::Kubernetes,
    ],
    module: module_path!(),
    check: None,
};
