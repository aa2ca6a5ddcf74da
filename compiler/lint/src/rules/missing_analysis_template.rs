//! ## What it does
//! Reports a Rollout that names an analysis template no file of the same run
//! defines (as an `AnalysisTemplate` or a `ClusterAnalysisTemplate`).
//!
//! ## Why is this bad
//! Argo Rollouts cannot start the analysis: the rollout stops with an error
//! instead of measuring the new version, and a misspelled name looks, in
//! review, exactly like a rollout that is watched.
//!
//! ## Example
//! ```yaml
//! kind: Rollout
//! metadata: { name: api }
//! spec:
//!   strategy:
//!     canary:
//!       analysis: { templates: [{ templateName: api-error-rate }] }
//! ---
//! kind: AnalysisTemplate
//! metadata: { name: api-errors }
//! ```
//!
//! ## Use instead
//! ```yaml
//! kind: Rollout
//! metadata: { name: api }
//! spec:
//!   strategy:
//!     canary:
//!       analysis: { templates: [{ templateName: api-errors }] }
//! ---
//! kind: AnalysisTemplate
//! metadata: { name: api-errors }
//! ```

use pipec_diagnostics::{Severity, did_you_mean};

use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE506",
    name: "missing-analysis-template",
    summary: "the analysis templates a Rollout names exist",
    severity: Severity::Error,
    group: Group::Policy,
    inputs: &[Input::Kubernetes],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for r in cx.rollouts() {
        for (name, loc) in &r.analyses {
            if cx.defines_analysis_template(name) {
                continue;
            }
            let known = cx.facts.analysis_templates.iter().map(String::as_str);
            let help = match did_you_mean(name, known) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("define an AnalysisTemplate named `{name}` with the Rollout"),
            };
            out.report(
                loc.clone(),
                format!(
                    "Rollout `{}` names the analysis template `{name}`, which no file defines",
                    r.name
                ),
            )
            .label("no such AnalysisTemplate")
            .help(help);
        }
    }
}
