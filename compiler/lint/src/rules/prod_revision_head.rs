//! ## What it does
//! Reports production Argo CD Applications whose `targetRevision` is `HEAD` or
//! missing (which means `HEAD`), and `.pipe` production environments with
//! `revision "HEAD"`.
//!
//! ## Why is this bad
//! `HEAD` is whatever the repository's default branch points at, so production
//! changes with every merge there — without the promotion and approval the
//! pipeline enforces — and "what is deployed" has no stable answer.
//!
//! ## Example
//! ```yaml
//! spec:
//!   source:
//!     targetRevision: HEAD
//! ```
//!
//! ## Use instead
//! ```yaml
//! spec:
//!   source:
//!     targetRevision: v1.4.2
//! ```

use pipec_diagnostics::Severity;
use pipec_graph::Tier;

use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE403",
    name: "prod-revision-head",
    summary: "production follows a tag or commit, not HEAD",
    severity: Severity::Error,
    group: Group::Policy,
    inputs: &[Input::Pipe, Input::ArgoCd],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for a in cx.apps() {
        if a.tier != Tier::Production {
            continue;
        }
        match &a.revision {
            Some((r, at)) if r.eq_ignore_ascii_case("HEAD") => {
                out.report(at.clone(), format!("production `{}` follows HEAD", a.name))
                    .label("HEAD")
                    .help("pin a release tag or a commit");
            }
            None if a.input == Input::ArgoCd => {
                out.report(
                    a.loc.clone(),
                    format!(
                        "production `{}` has no targetRevision, so it follows HEAD",
                        a.name
                    ),
                )
                .label("no targetRevision")
                .help("pin a release tag or a commit: targetRevision: v1.2.3");
            }
            _ => {}
        }
    }
}
