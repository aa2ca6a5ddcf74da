//! ## What it does
//! When jobs declare how long they take (`duration 2m`; the standard library's
//! templates do), adds up the longest chain of jobs that a successful run goes
//! through (failure hooks left out) and reports it when it exceeds the budget:
//! 5 minutes, or `max_duration` in the `policy` block.
//!
//! ## Why is this bad
//! A pipeline that takes longer than the budget is run less, waited on more, and
//! its feedback arrives after the author moved on.
//!
//! ## Example
//! ```pipe
//! job integration { … duration 4m }
//! image app = docker.build(after: [integration])   // 2m
//! ```
//!
//! ## Use instead
//! Run independent jobs side by side (only `after` what a job really needs), split
//! slow suites, or agree on a larger budget: `policy { max_duration 7m }`.

use pipec_diagnostics::Severity;

use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE108",
    name: "critical-path-budget",
    summary: "the pipeline's estimated critical path fits the time budget",
    severity: Severity::Warning,
    group: Group::Policy,
    inputs: &[Input::Pipe],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    let budget = cx.config.max_duration;
    for p in cx.pipelines() {
        let Some(e) = &p.estimate else { continue };
        if e.total <= budget {
            continue;
        }
        let path: Vec<String> = e
            .jobs
            .iter()
            .map(|i| &p.jobs[*i])
            .map(|j| j.name.clone())
            .collect();
        out.report(p.loc.clone(), format!("the estimated critical path of `{}` is {}, over the {} budget", p.name, e.total, budget))
            .label(format!("{} along its longest chain", e.total))
            .note(format!("longest chain: {}", path.join(" → ")))
            .help("run independent jobs in parallel, or agree on a larger budget: policy { max_duration … }");
    }
}
