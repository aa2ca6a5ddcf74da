//! ## What it does
//! Reports containers (init containers included) without a CPU or a memory
//! limit. For `.pipe` services, limits are the upper end of `resources { cpu
//! …, memory … }`, on the service or on every environment it deploys to.
//!
//! ## Why is this bad
//! A container without limits can take a node's memory or CPU from every other
//! pod on it; a memory leak becomes an outage of unrelated services.
//!
//! ## Example
//! ```yaml
//! resources:
//!   requests: { cpu: 250m, memory: 256Mi }
//! ```
//!
//! ## Use instead
//! ```yaml
//! resources:
//!   requests: { cpu: 250m, memory: 256Mi }
//!   limits: { cpu: 500m, memory: 512Mi }
//! ```

use pipec_diagnostics::Severity;

use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE502",
    name: "missing-resource-limits",
    summary: "containers have CPU and memory limits",
    severity: Severity::Error,
    group: Group::Policy,
    inputs: &[Input::Pipe, Input::Kubernetes],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for w in cx.workloads() {
        for c in &w.containers {
            let mut missing = Vec::new();
            if !c.cpu_limit {
                missing.push("CPU");
            }
            if !c.memory_limit {
                missing.push("memory");
            }
            if missing.is_empty() {
                continue;
            }
            out.report(c.loc.clone(), format!("container `{}` of {} `{}` has no {} limit", c.name, w.kind, w.name, missing.join(" or ")))
                .label("no limit")
                .help("set resources.limits (in .pipe: resources { cpu 250m..500m, memory 256Mi..512Mi })");
        }
    }
}
