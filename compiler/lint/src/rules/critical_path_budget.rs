//! ## What it does
//! Adds up how long a push takes, from the jobs' expected durations
//! (`duration 2m`; the standard library's templates declare theirs, and
//! publish and deploy jobs have defaults), and reports an estimate over its
//! budget:
//!
//! - CI time, the longest chain of jobs a push runs without waiting for a
//!   person (deployments that need approval and what follows them are left
//!   out, and so are failure hooks), over 5 minutes or the policy's
//!   `max_duration`;
//! - for each environment deployed without approval, the time from the push
//!   until it runs the new version — the chain up to its deployment job, plus
//!   Argo CD's default three-minute reconciliation for GitOps deployments —
//!   over 8 minutes or the policy's `max_deploy_duration`.
//!
//! ## Why is this bad
//! A pipeline that takes longer than the budget is run less, waited on more, and
//! its feedback arrives after the author moved on; a change that takes long to
//! reach an environment is tested late and fixed late.
//!
//! ## Example
//! ```pipe
//! job integration { … duration 4m }
//! image app = docker.build(after: [integration])   // 2m
//! ```
//!
//! ## Use instead
//! Run independent jobs side by side (only `after` what a job really needs), split
//! slow suites, let Argo CD hear of commits by webhook, or agree on a larger
//! budget: `policy { max_duration 7m, max_deploy_duration 10m }`.

use pipec_diagnostics::Severity;

use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE108",
    name: "critical-path-budget",
    summary: "the pipeline's estimated CI time and time to deploy fit their budgets",
    severity: Severity::Warning,
    group: Group::Policy,
    inputs: &[Input::Pipe],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for p in cx.pipelines() {
        let chain = |jobs: &[usize]| -> String {
            jobs.iter()
                .map(|i| p.jobs[*i].name.as_str())
                .collect::<Vec<_>>()
                .join(" → ")
        };
        let budget = cx.config.max_duration;
        if let Some(e) = p.estimate.as_ref().filter(|e| e.total > budget) {
            out.report(p.loc.clone(), format!("the estimated critical path of `{}` is {}, over the {} budget", p.name, e.total, budget))
                .label(format!("{} along its longest chain", e.total))
                .note(format!("longest chain: {}", chain(&e.jobs)))
                .help("run independent jobs in parallel, or agree on a larger budget: policy { max_duration … }");
        }
        let budget = cx.config.max_deploy_duration;
        for d in p.deploy_estimates.iter().filter(|d| d.total > budget) {
            let f = out.report(
                p.loc.clone(),
                format!(
                    "a push reaches `{}` in an estimated {}, over the {} budget",
                    d.env, d.total, budget
                ),
            );
            f.label(format!("{} from push to `{}`", d.total, d.env))
                .note(format!("chain: {}", chain(&d.jobs)));
            if d.after_ci.seconds > 0 {
                f.note(format!("then {} until Argo CD applies the commit (its default reconciliation, without a webhook)", d.after_ci));
            }
            f.help("run independent jobs in parallel, configure an Argo CD webhook, or agree on a larger budget: policy { max_deploy_duration … }");
        }
    }
}
