//! ## What it does
//! Reports Argo Rollouts canaries in production (by their namespace, else
//! their name, as the tiers of `pipec.toml` say) that name no analysis: no
//! background `analysis` and no `analysis` step.
//!
//! ## Why is this bad
//! A canary without analysis only waits: its steps give the new version more
//! pods whatever it does, and a version that fails every request reaches all
//! of production when the last pause ends. Nothing aborts it or rolls it back
//! unless someone is watching.
//!
//! ## Example
//! ```yaml
//! kind: Rollout
//! metadata: { name: api, namespace: shop-prod }
//! spec:
//!   strategy:
//!     canary:
//!       steps: [{ setWeight: 20 }, { pause: { duration: 5m } }]
//! ```
//!
//! ## Use instead
//! ```yaml
//! kind: Rollout
//! metadata: { name: api, namespace: shop-prod }
//! spec:
//!   strategy:
//!     canary:
//!       analysis: { templates: [{ templateName: api }] }
//!       steps: [{ setWeight: 20 }, { pause: { duration: 5m } }]
//! ```

use pipec_diagnostics::Severity;
use pipec_graph::Tier;

use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE505",
    name: "canary-without-analysis",
    summary: "production canaries are watched by an analysis",
    severity: Severity::Error,
    group: Group::Policy,
    inputs: &[Input::Kubernetes],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for r in cx.rollouts() {
        let Some(canary) = &r.canary else { continue };
        if r.tier != Tier::Production || !r.analyses.is_empty() {
            continue;
        }
        out.report(
            canary.clone(),
            format!("the production canary `{}` has no analysis", r.name),
        )
        .label("nothing aborts a bad version")
        .help("analysis: { templates: [{ templateName: NAME }] } with an AnalysisTemplate on its error rate");
    }
}
