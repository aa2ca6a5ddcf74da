//! ## What it does
//! Reports workflows triggered by `pull_request_target`, `workflow_run`,
//! `issue_comment` and similar events that check out the pull request's head
//! (`ref: ${{ github.event.pull_request.head.sha }}`, `refs/pull/…`, or the
//! `workflow_run`'s `head_sha` / `head_branch`, which are a pull request's
//! when that run was one) in a job that then runs anything.
//!
//! ## Why is this bad
//! These triggers run with the base repository's secrets and a token that can
//! write. Checking out the contributor's code and building, testing or even
//! installing it runs their code with those privileges.
//!
//! ## Example
//! ```yaml
//! on: pull_request_target
//! jobs:
//!   test:
//!     steps:
//!       - uses: actions/checkout@…
//!         with: { ref: ${{ github.event.pull_request.head.sha }} }
//!       - run: npm ci && npm test
//! ```
//!
//! ## Use instead
//! Use `pull_request` (no secrets, read-only token) for building contributed
//! code, and a separate `workflow_run` workflow that only reads its artifacts
//! for anything that needs privileges.

use pipec_diagnostics::Severity;

use crate::facts::RunEvent;
use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE204",
    name: "dangerous-trigger",
    summary: "privileged triggers never build a pull request's code",
    severity: Severity::Error,
    group: Group::Security,
    inputs: &[Input::GitHub],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for p in cx.pipelines() {
        let Some(t) = p
            .triggers
            .iter()
            .find(|t| matches!(t.event, RunEvent::PullRequestTarget | RunEvent::Privileged))
        else {
            continue;
        };
        for j in &p.jobs {
            let runs_code = !j.scripts.is_empty() || j.actions.len() > 1;
            for c in j.checkouts.iter().filter(|c| c.pr_head.is_some()) {
                if runs_code {
                    out.report(c.pr_head.clone().unwrap_or_else(|| c.loc.clone()), format!("job `{}` checks out the pull request's code and runs it with the base repository's secrets", j.name))
                        .label("pull request head")
                        .secondary(t.loc.clone(), "privileged trigger")
                        .help("build contributed code under `pull_request`; keep privileged workflows away from it");
                }
            }
        }
    }
}
