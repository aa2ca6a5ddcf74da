//! ## What it does
//! Reports a Helm values file whose `resources` give the container requests
//! but not both a CPU and a memory limit. A values file without `resources`,
//! or with `resources: {}`, leaves them to the chart and is not reported.
//!
//! ## Why is this bad
//! The chart turns `resources` into the container's: requests without limits
//! let one pod take a node's memory or CPU from every other pod on it, as a
//! manifest without limits does (PIPE502).
//!
//! ## Example
//! ```yaml
//! image: { repository: ghcr.io/acme/api, tag: "1.4.2" }
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
    id: "PIPE511",
    name: "helm-values-without-limits",
    summary: "Helm values that request resources also limit them",
    severity: Severity::Error,
    group: Group::Policy,
    inputs: &[Input::Kubernetes],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for v in cx.helm_values() {
        let Some((loc, requests, cpu, memory)) = &v.resources else {
            continue;
        };
        let mut missing = Vec::new();
        if !cpu {
            missing.push("CPU");
        }
        if !memory {
            missing.push("memory");
        }
        if !(*requests || *cpu || *memory) || missing.is_empty() {
            continue;
        }
        out.report(
            loc.key(),
            format!(
                "the resources of `{}` have no {} limit",
                v.repository,
                missing.join(" or ")
            ),
        )
        .label("no limit")
        .help("set resources.limits (in .pipe: resources { cpu 250m..500m, memory 256Mi..512Mi })");
    }
}
