//! ## What it does
//! Reports GitLab jobs that deploy (an `environment:` or a deployment command)
//! and can run in merge-request pipelines.
//!
//! ## Why is this bad
//! A merge request is code nobody has approved yet, and merge-request pipelines
//! of forks can be started by anyone. A deployment from there ships it, with
//! the deployment's credentials in reach of the code being deployed.
//!
//! ## Example
//! ```yaml
//! deploy:
//!   environment: staging
//!   rules:
//!     - if: $CI_PIPELINE_SOURCE == "merge_request_event"
//! ```
//!
//! ## Use instead
//! ```yaml
//! deploy:
//!   environment: staging
//!   rules:
//!     - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
//! ```

use pipec_diagnostics::Severity;

use crate::flow;
use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE301",
    name: "deploy-on-merge-request",
    summary: "deployments never run in merge-request pipelines",
    severity: Severity::Error,
    group: Group::Policy,
    inputs: &[Input::GitLab],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for p in cx.pipelines() {
        let runs = flow::runs(p);
        let eff = flow::effective(p);
        for (i, j) in p.jobs.iter().enumerate() {
            if j.deploy.is_none() {
                continue;
            }
            if let Some(r) = runs.iter().find(|r| r.is_pull_request() && eff[i].holds(r)) {
                out.report(j.loc.clone(), format!("deployment job `{}` runs in {}", j.name, flow::describe(r)))
                    .label("deploys unreviewed code")
                    .help("restrict it to protected refs: rules: [{ if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH }]");
            }
        }
    }
}
