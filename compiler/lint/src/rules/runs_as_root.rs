//! ## What it does
//! Reports containers that may run as root: neither the container's nor the
//! pod's `securityContext` sets `runAsNonRoot: true` or a non-zero
//! `runAsUser`, or one of them sets `runAsUser: 0`. (`.pipe` services always
//! run as a non-root user.)
//!
//! ## Why is this bad
//! A process running as root in a container is one kernel bug or one mounted
//! host path away from root on the node.
//!
//! ## Example
//! ```yaml
//! spec:
//!   containers:
//!     - name: app
//!       image: registry/app:1.0
//! ```
//!
//! ## Use instead
//! ```yaml
//! spec:
//!   securityContext:
//!     runAsNonRoot: true
//!     runAsUser: 1000
//!   containers:
//!     - name: app
//!       image: registry/app:1.0
//! ```

use pipec_diagnostics::Severity;

use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE503",
    name: "runs-as-root",
    summary: "containers run as a non-root user",
    severity: Severity::Error,
    group: Group::Policy,
    inputs: &[Input::Kubernetes],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for w in cx.workloads() {
        for c in &w.containers {
            if c.non_root.unwrap_or(w.pod_non_root) {
                continue;
            }
            let at = c
                .root_loc
                .clone()
                .or_else(|| w.pod_root.clone())
                .unwrap_or_else(|| c.loc.clone());
            out.report(
                at,
                format!(
                    "container `{}` of {} `{}` may run as root",
                    c.name, w.kind, w.name
                ),
            )
            .label("no runAsNonRoot")
            .help("set securityContext.runAsNonRoot: true and a non-zero runAsUser on the pod");
        }
    }
}
