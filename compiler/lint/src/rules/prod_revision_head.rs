//! ## What it does
//! Reports production Argo CD Applications whose `targetRevision` is `HEAD` or
//! missing (which means `HEAD`).
//!
//! ## Why is this bad
//! `HEAD` is whatever the repository's default branch points at, so production
//! changes with every merge there — without the promotion and approval the
//! pipeline enforces — and "what is deployed" has no stable answer.
//!
//! Follow the branch your deployments commit to instead: each approved
//! deployment commits production's tree there, with the image pinned by
//! digest, and nothing else writes it. A tag or a commit is right only when the
//! release itself moves the Application to it; pinned while CI commits the
//! release to a branch, production never receives it (pipec refuses that
//! combination in programs: E0311).
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
//!     targetRevision: deploy
//!     path: deploy/environments/prod/shop/overlays/prod
//! ```

use pipec_diagnostics::Severity;
use pipec_graph::Tier;

use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE403",
    name: "prod-revision-head",
    summary: "production follows the branch its deployments commit to, not HEAD",
    severity: Severity::Error,
    group: Group::Policy,
    inputs: &[Input::ArgoCd],
    module: module_path!(),
    check: Some(check),
};

const HELP: &str = "follow the branch your deployments commit to (the commit pins the image digest), or a tag only if each release moves targetRevision to it";

fn check(cx: &Context, out: &mut Findings) {
    for a in cx.apps() {
        if a.tier != Tier::Production {
            continue;
        }
        match &a.revision {
            Some((r, at)) if r.eq_ignore_ascii_case("HEAD") => {
                out.report(at.clone(), format!("production `{}` follows HEAD", a.name))
                    .label("HEAD")
                    .help(HELP);
            }
            None => {
                out.report(
                    a.loc.clone(),
                    format!(
                        "production `{}` has no targetRevision, so it follows HEAD",
                        a.name
                    ),
                )
                .label("no targetRevision")
                .help(HELP);
            }
            _ => {}
        }
    }
}
