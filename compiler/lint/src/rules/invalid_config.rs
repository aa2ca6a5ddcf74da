//! ## What it does
//! Reports a `pipec.toml` that cannot be read, an unknown key, a value of the
//! wrong type, and thresholds set below what the policy requires (coverage under
//! 70 %, fewer than two production approvers).
//!
//! `pipec.toml` holds one `[lint]` table: `min_coverage` (percent),
//! `prod_approvals`, `max_duration` (`"5m"`), `protected_branches`, a
//! `[lint.rules]` table of `ID = "off" | "note" | "warning" | "error"`, and
//! `[lint.environments.NAME]` tables with `reviewers` (required reviewers set in
//! the CI system's settings) and `tier`.
//!
//! ## Why is this bad
//! An ignored setting is worse than none: the team believes a threshold is
//! enforced that is not.
//!
//! ## Example
//! ```toml
//! [lint]
//! min_coverage = 50
//! ```
//!
//! ## Use instead
//! ```toml
//! [lint]
//! min_coverage = 80
//! ```

use pipec_diagnostics::Severity;

use crate::rule::{Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE005",
    name: "invalid-config",
    summary: "the lint configuration is invalid",
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
