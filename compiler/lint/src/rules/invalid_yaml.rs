//! ## What it does
//! Reports a YAML file that cannot be read: a syntax error, nesting deeper than
//! 128 levels, or aliases that expand to more than 100 000 nodes.
//!
//! ## Why is this bad
//! The CI system or Argo CD rejects the file too, or, for an alias bomb, spends
//! its memory on it. Nothing else in the file can be checked.
//!
//! ## Example
//! ```yaml
//! jobs:
//!   build: [steps
//! ```
//!
//! ## Use instead
//! ```yaml
//! jobs:
//!   build:
//!     steps: []
//! ```

use pipec_diagnostics::Severity;

use crate::rule::{Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE001",
    name: "invalid-yaml",
    summary: "the file is not YAML the linter can read",
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
