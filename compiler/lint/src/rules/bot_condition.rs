//! ## What it does
//! Reports `if:` conditions that trust a run because `github.actor` or
//! `github.triggering_actor` is a bot (`dependabot[bot]`, `renovate[bot]`).
//!
//! ## Why is this bad
//! The actor is whoever caused the latest event, not who wrote the code: a
//! contributor can get a bot to act on their pull request (a rebase, a
//! comment) and the condition then lets their code through — typically into
//! an auto-merge or a job with secrets.
//!
//! ## Example
//! ```yaml
//! if: github.actor == 'dependabot[bot]'
//! ```
//!
//! ## Use instead
//! ```yaml
//! if: github.event.pull_request.user.login == 'dependabot[bot]'
//! ```
//! (the author of the pull request), together with a trigger that does not
//! run a contributor's code with secrets.

use pipec_diagnostics::Severity;

use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE210",
    name: "bot-condition",
    summary: "conditions do not trust a run because its actor is a bot",
    severity: Severity::Warning,
    group: Group::Security,
    inputs: &[Input::GitHub],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for p in cx.pipelines() {
        for j in &p.jobs {
            for (cond, at) in &j.conditions {
                let compact: String = cond
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect::<String>()
                    .to_ascii_lowercase();
                let Some(actor) = ["github.triggering_actor==", "github.actor=="]
                    .into_iter()
                    .find(|a| compact.contains(a))
                else {
                    continue;
                };
                let rest = &compact[compact.find(actor).unwrap_or(0) + actor.len()..];
                if !rest
                    .trim_start_matches(['\'', '"'])
                    .split(['\'', '"'])
                    .next()
                    .is_some_and(|v| v.ends_with("[bot]"))
                {
                    continue;
                }
                let actor = actor.trim_end_matches("==");
                out.report(
                    at.clone(),
                    format!("job `{}` trusts `{actor}` to be a bot: the actor is whoever caused the latest event", j.name),
                )
                .label("spoofable check")
                .help("check the pull request's author (github.event.pull_request.user.login) instead");
            }
        }
    }
}
