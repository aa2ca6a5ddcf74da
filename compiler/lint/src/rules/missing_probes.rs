//! ## What it does
//! Reports containers of Deployments, StatefulSets and DaemonSets (and `.pipe`
//! services) without a liveness or a readiness probe. Workers — `.pipe`
//! workers, which say how they are probed (E0481), and pods labelled
//! `app.kubernetes.io/component: worker` — answer no requests and are not
//! asked.
//!
//! ## Why is this bad
//! Without a readiness probe, traffic reaches a pod before it can answer and a
//! rolling update cannot tell a broken version from a working one; without a
//! liveness probe, a hung process keeps its place forever.
//!
//! ## Example
//! ```pipe
//! service api { image app; port 8000; deploy to [prod] via argocd }
//! ```
//!
//! ## Use instead
//! ```pipe
//! service api { image app; port 8000; probes { live "/health", ready "/ready" }; deploy to [prod] via argocd }
//! ```

use pipec_diagnostics::Severity;

use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE501",
    name: "missing-probes",
    summary: "services have liveness and readiness probes",
    severity: Severity::Error,
    group: Group::Policy,
    inputs: &[Input::Pipe, Input::Kubernetes],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for w in cx.workloads().filter(|w| w.serving) {
        for c in w.containers.iter().filter(|c| !c.init) {
            let mut missing = Vec::new();
            if !c.liveness {
                missing.push("liveness");
            }
            if !c.readiness {
                missing.push("readiness");
            }
            if missing.is_empty() {
                continue;
            }
            out.report(c.loc.clone(), format!("container `{}` of {} `{}` has no {} probe", c.name, w.kind, w.name, missing.join(" or ")))
                .label("no probe")
                .help("probe an HTTP endpoint: livenessProbe on /health, readinessProbe on /ready (in .pipe: probes { live \"/health\", ready \"/ready\" })");
        }
    }
}
