//! ## What it does
//! Reports a key written twice in one YAML mapping.
//!
//! ## Why is this bad
//! YAML forbids it, and tools that accept it disagree on which value wins: GitHub
//! rejects the workflow, some readers keep the first, others the last. A
//! reviewer reads one value while the pipeline runs with the other.
//!
//! ## Example
//! ```yaml
//! deploy:
//!   when: manual
//!   script: [./deploy.sh]
//!   when: on_success
//! ```
//!
//! ## Use instead
//! ```yaml
//! deploy:
//!   when: manual
//!   script: [./deploy.sh]
//! ```

use pipec_diagnostics::Severity;

use crate::rule::{Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE002",
    name: "duplicate-key",
    summary: "a mapping gives the same key twice",
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
