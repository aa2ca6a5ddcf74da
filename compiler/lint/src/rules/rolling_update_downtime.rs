//! ## What it does
//! Reports Deployments whose update strategy may take pods out of service before
//! their replacements are ready: `Recreate`, or a rolling update whose
//! `maxUnavailable` is not 0 (the default is 25 %).
//!
//! ## Why is this bad
//! During every rollout some of the capacity is gone; with few replicas, all of
//! it. A rollout of a broken version takes serving pods away before the new ones
//! prove themselves.
//!
//! ## Example
//! ```yaml
//! spec:
//!   replicas: 3
//! ```
//!
//! ## Use instead
//! ```yaml
//! spec:
//!   replicas: 3
//!   strategy:
//!     type: RollingUpdate
//!     rollingUpdate: { maxSurge: 1, maxUnavailable: 0 }
//! ```

use pipec_diagnostics::Severity;

use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE504",
    name: "rolling-update-downtime",
    summary: "rolling updates keep every pod serving",
    severity: Severity::Error,
    group: Group::Policy,
    inputs: &[Input::Kubernetes],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for w in cx.workloads() {
        if w.zero_downtime {
            continue;
        }
        if let Some(at) = &w.strategy_loc {
            out.report(at.clone(), format!("{} `{}` may take pods out of service during a rollout", w.kind, w.name))
                .label("maxUnavailable is not 0")
                .help("strategy: { type: RollingUpdate, rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }");
        }
    }
}
