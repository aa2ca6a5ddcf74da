//! ## What it does
//! Reports an `@allow(RULE, "reason")` attribute or a `# pipec: allow RULE reason`
//! comment that suppressed nothing in this run.
//!
//! ## Why is this bad
//! The problem it was written for is gone (or the suppression sits on the wrong
//! line). Left in place, it would silently hide the next real finding there.
//!
//! ## Example
//! ```yaml
//! steps:
//!   # pipec: allow PIPE201 vendored action
//!   - uses: ./local-action
//! ```
//!
//! ## Use instead
//! Remove the comment.

use pipec_diagnostics::Severity;

use crate::rule::{Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE003",
    name: "unused-suppression",
    summary: "a suppression matches no finding",
    severity: Severity::Warning,
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
