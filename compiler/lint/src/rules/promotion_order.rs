//! ## What it does
//! In a `.pipe` program, checks that each environment promotes from the one
//! just before it (dev → staging → production) rather than deploying on its own
//! trigger or skipping a stage. In CI YAML, checks that a deployment to a later
//! environment waits for the deployment to an earlier one whenever both run in
//! the same run.
//!
//! ## Why is this bad
//! Staging exists to catch what dev did not; a production deployment that does
//! not come through it ships a build nobody ran in a production-like place.
//!
//! ## Example
//! ```pipe
//! environment staging { namespace "shop-staging"; deploy on branch main; approvals 1 }
//! environment prod    { namespace "shop";         deploy on release; approvals 2; tier production }
//! ```
//!
//! ## Use instead
//! ```pipe
//! environment prod { namespace "shop"; promote from staging, approvals 2, on release; tier production }
//! ```

use pipec_diagnostics::Severity;
use pipec_graph::Tier;

use crate::flow;
use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE107",
    name: "promotion-order",
    summary: "changes reach production through every earlier environment",
    severity: Severity::Error,
    group: Group::Policy,
    inputs: &[Input::Pipe, Input::GitHub, Input::GitLab],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    let envs: Vec<_> = cx.environments().collect();
    for e in &envs {
        if !e.deployed || e.tier == Tier::Other {
            continue;
        }
        let Some(prev) = envs
            .iter()
            .filter(|x| x.deployed && x.tier != Tier::Other && x.tier < e.tier)
            .max_by_key(|x| x.tier)
        else {
            continue;
        };
        match &e.promotes_from {
            None => {
                out.report(
                    e.trigger.clone().unwrap_or_else(|| e.loc.clone()),
                    format!(
                        "`{}` deploys on its own trigger, skipping `{}`",
                        e.name, prev.name
                    ),
                )
                .label("not promoted")
                .help(format!(
                    "promote from {}: `promote from {}`",
                    prev.name, prev.name
                ));
            }
            Some((src, at)) => {
                let from = &envs[*src];
                if from.tier < prev.tier {
                    out.report(
                        at.clone(),
                        format!(
                            "`{}` promotes from `{}`, skipping `{}`",
                            e.name, from.name, prev.name
                        ),
                    )
                    .label("skips an environment")
                    .help(format!("promote from {}", prev.name));
                } else if from.tier > e.tier {
                    out.report(
                        at.clone(),
                        format!(
                            "`{}` promotes from `{}`, which comes after it",
                            e.name, from.name
                        ),
                    )
                    .label("backwards");
                }
            }
        }
    }
    for p in cx.pipelines().filter(|p| p.input != Input::Pipe) {
        let runs = flow::runs(p);
        let eff = flow::effective(p);
        for (i, j) in p.jobs.iter().enumerate() {
            let Some(d) = &j.deploy else { continue };
            if d.tier == Tier::Other {
                continue;
            }
            let before = flow::ancestors(p, i);
            for (k, other) in p.jobs.iter().enumerate() {
                let Some(o) = &other.deploy else { continue };
                if o.tier == Tier::Other || o.tier >= d.tier || before.contains(&k) {
                    continue;
                }
                if runs.iter().any(|r| eff[i].holds(r) && eff[k].holds(r)) {
                    out.report(j.loc.clone(), format!("`{}` deploys to {} without waiting for `{}` ({}), which runs in the same runs", j.name, d.name, other.name, o.name))
                        .label("does not wait")
                        .secondary(other.loc.clone(), "the earlier environment")
                        .help(format!("add `{}` to its `needs`", other.name));
                }
            }
        }
    }
}
