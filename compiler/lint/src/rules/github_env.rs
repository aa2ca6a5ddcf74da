//! ## What it does
//! Reports `run:` scripts that write to `$GITHUB_ENV` or `$GITHUB_PATH`
//! when what they write can come from outside the repository: an
//! attacker-controlled `${{ }}` expansion (a pull request title, a fork's
//! branch name) on the writing line or, in a `pull_request_target` or
//! `workflow_run` workflow, in the script's `env:`; or the content of a file (`cat`, `jq`,
//! `$(<file)`) in a job of a `pull_request_target` or `workflow_run`
//! workflow that checks out a pull request's code or downloads another run's
//! artifacts.
//!
//! ## Why is this bad
//! Every later step of the job reads `$GITHUB_ENV` and `$GITHUB_PATH`. A
//! variable such as `LD_PRELOAD`, `BASH_ENV` or `NODE_OPTIONS`, or a directory
//! put first on `PATH`, runs the attacker's code in those steps, with the
//! job's token and secrets.
//!
//! ## Example
//! ```yaml
//! on: pull_request_target
//! jobs:
//!   label:
//!     steps:
//!       - run: echo "TITLE=${{ github.event.pull_request.title }}" >> "$GITHUB_ENV"
//! ```
//!
//! ## Use instead
//! Pass the value to the steps that need it through their own `env:`; never
//! write contributed text into `$GITHUB_ENV` or `$GITHUB_PATH`.

use pipec_diagnostics::Severity;

use crate::facts::{RunEvent, expr};
use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE209",
    name: "github-env",
    summary: "no untrusted value is written to $GITHUB_ENV or $GITHUB_PATH",
    severity: Severity::Error,
    group: Group::Security,
    inputs: &[Input::GitHub],
    module: module_path!(),
    check: Some(check),
};

/// Actions that bring in another run's artifacts.
const ARTIFACT_DOWNLOADS: &[&str] = &[
    "actions/download-artifact",
    "dawidd6/action-download-artifact",
];

fn check(cx: &Context, out: &mut Findings) {
    for p in cx.pipelines() {
        let privileged = p
            .triggers
            .iter()
            .any(|t| matches!(t.event, RunEvent::PullRequestTarget | RunEvent::Privileged));
        for j in &p.jobs {
            let foreign = privileged
                && (j.checkouts.iter().any(|c| c.pr_head.is_some())
                    || j.actions.iter().any(|a| {
                        let uses = a.uses.to_ascii_lowercase();
                        ARTIFACT_DOWNLOADS.iter().any(|d| uses.starts_with(d))
                    }));
            for s in j.scripts.iter().filter(|s| !s.javascript) {
                // In a privileged run, a script given an attacker-controlled
                // value through `env:` may pass it on.
                let tainted_env = privileged
                    && s.env.iter().any(|(_, v)| {
                        expr::expansions(v)
                            .iter()
                            .any(|(_, text)| untrusted_expansion(text, &s.env))
                    });
                for line in s.text.lines() {
                    let Some(file) = ["GITHUB_ENV", "GITHUB_PATH"]
                        .into_iter()
                        .find(|f| line.contains(f))
                    else {
                        continue;
                    };
                    let untrusted = expr::expansions(line)
                        .iter()
                        .any(|(_, text)| untrusted_expansion(text, &s.env));
                    // Content of a file the pull request or artifact brought.
                    let from_file = ["cat ", "$(<", "< ", "jq ", "head ", "tail ", "unzip "]
                        .iter()
                        .any(|r| line.contains(r));
                    if !(untrusted || tainted_env || (foreign && from_file)) {
                        continue;
                    }
                    let why = if untrusted || tainted_env {
                        "a value from outside the repository"
                    } else {
                        "what a file of the pull request's code or artifacts says"
                    };
                    out.report(
                        s.loc.text(line.trim()),
                        format!(
                            "job `{}` writes to ${file} {why}: later steps run with what it sets",
                            j.name
                        ),
                    )
                    .label(format!("writes ${file}"))
                    .help("give the value to the steps that need it through their `env:` instead");
                }
            }
        }
    }
}

/// Whether the text of one `${{ }}` expansion reads an attacker-controlled
/// context.
fn untrusted_expansion(text: &str, env: &[(String, String)]) -> bool {
    let mut ctxs = Vec::new();
    if let Some(e) = expr::parse(text) {
        expr::contexts(&e, &mut ctxs);
    }
    ctxs.iter()
        .any(|c| super::template_injection::attacker_controlled(c, env))
}
