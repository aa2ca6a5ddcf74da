//! `workflow:` — which pipelines GitLab creates, from the pipeline's
//! triggers, and the `PIPEC_EVENT` / `PIPEC_REF_TYPE` each kind of pipeline
//! gives its scripts.
//!
//! Pushes and merge requests are not duplicated: a push to a branch with an
//! open merge request creates no branch pipeline (GitLab's documented
//! `$CI_OPEN_MERGE_REQUESTS` rule), since the merge request pipeline tests
//! the same commit. Branches that jobs single out by name (`main`,
//! `develop`: where images are pushed and environments deployed) are the
//! exception: their branch pipeline always runs, because it is the one that
//! publishes and deploys, and a merge request from such a branch gets no
//! pipeline of its own.

use pipec_emit::{Map, Yaml};
use pipec_graph::{Glob, InputKind, Pipeline, TriggerKind};

use crate::expr::{DISPATCH, MERGE_REQUEST, regex_literal};

fn rule(condition: String, event: &str, ref_type: &str, paths: &[Glob]) -> Yaml {
    let mut vars = Map::new();
    vars.insert("PIPEC_EVENT", event);
    vars.insert("PIPEC_REF_TYPE", ref_type);
    let mut r = Map::new();
    r.insert("if", condition);
    if !paths.is_empty() {
        r.insert("changes", changes(paths));
    }
    r.insert("variables", vars);
    Yaml::Map(r)
}

/// Path filters as `rules:changes` patterns. GitLab matches them with
/// Ruby's `File.fnmatch`, where a final `**` does not cross `/`: `dir/**`
/// becomes `dir/**/*`, every file below `dir`.
pub fn changes(paths: &[Glob]) -> Vec<String> {
    paths
        .iter()
        .map(|g| {
            let p = g.as_str();
            if p == "**" {
                "**/*".to_string()
            } else if let Some(dir) = p.strip_suffix("/**") {
                format!("{dir}/**/*")
            } else {
                p.to_string()
            }
        })
        .collect()
}

fn never(condition: String) -> Yaml {
    let mut r = Map::new();
    r.insert("if", condition);
    r.insert("when", "never");
    Yaml::Map(r)
}

/// `&& $VAR =~ /…/` when the list restricts the names, nothing when empty.
fn restricted(var: &str, globs: &[Glob]) -> String {
    if globs.is_empty() {
        String::new()
    } else {
        format!(" && ${var} =~ {}", regex_literal(globs))
    }
}

/// The branches whose pushes always get their own pipeline: those job
/// conditions name (`main`, `release/*`; not `**`), when a push trigger
/// covers them.
pub fn named_branches(pipeline: &Pipeline) -> Vec<Glob> {
    let pushes: Vec<&Vec<Glob>> = pipeline
        .triggers
        .iter()
        .filter_map(|t| match &t.kind {
            TriggerKind::Push { branches } => Some(branches),
            _ => None,
        })
        .collect();
    let mut found = Vec::new();
    for job in &pipeline.jobs {
        job.when.globs(&mut found);
    }
    let mut out: Vec<Glob> = Vec::new();
    for (is_tag, g) in found {
        // A pattern that starts with a wildcard names no branch in particular.
        // Tags (every release tag a deployment accepts, in a large program)
        // are passed over before anything is computed for them.
        if is_tag || g.prefix().0.is_empty() || out.contains(&g) {
            continue;
        }
        let example = g.example();
        let pushed = pushes
            .iter()
            .any(|b| b.is_empty() || b.iter().any(|p| p.matches(&example)));
        if pushed {
            out.push(g);
        }
    }
    out
}

/// The `workflow:` block.
pub fn workflow(pipeline: &Pipeline) -> Map {
    let mut pushes: Vec<(&Vec<Glob>, &Vec<Glob>)> = Vec::new();
    let mut merge_requests: Vec<(&Vec<Glob>, &Vec<Glob>)> = Vec::new();
    let mut tags: Vec<Glob> = Vec::new();
    let mut schedule = false;
    let mut dispatch = false;
    for t in &pipeline.triggers {
        match &t.kind {
            TriggerKind::Push { branches } => pushes.push((branches, &t.paths)),
            TriggerKind::PullRequest { branches } => merge_requests.push((branches, &t.paths)),
            TriggerKind::Tag { patterns } => tags.extend(patterns.iter().cloned()),
            TriggerKind::Schedule { .. } => schedule = true,
            TriggerKind::Dispatch { .. } => dispatch = true,
        }
    }
    let named = named_branches(pipeline);
    let mut rules = Vec::new();
    // A deployment started by hand: Run pipeline on the ref to deploy, with
    // the environment named (`crate::release`).
    if pipeline
        .jobs
        .iter()
        .any(|j| matches!(j.kind, pipec_graph::JobKind::Deploy(_)))
    {
        let var = crate::release::DEPLOY_VARIABLE;
        // By hand: whatever changed.
        rules.push(rule(
            format!("${var} && $CI_COMMIT_TAG"),
            "dispatch",
            "tag",
            &[],
        ));
        rules.push(rule(format!("${var}"), "dispatch", "branch", &[]));
    }

    if !merge_requests.is_empty() {
        if !named.is_empty() && !pushes.is_empty() {
            rules.push(never(format!(
                "{MERGE_REQUEST} && $CI_MERGE_REQUEST_SOURCE_BRANCH_NAME =~ {}",
                regex_literal(&named)
            )));
        }
        for (targets, paths) in &merge_requests {
            rules.push(rule(
                format!(
                    "{MERGE_REQUEST}{}",
                    restricted("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", targets)
                ),
                "pull_request",
                "branch",
                paths,
            ));
        }
    }
    if !pushes.is_empty() {
        if !merge_requests.is_empty() {
            let keep = if named.is_empty() {
                String::new()
            } else {
                format!(" && $CI_COMMIT_BRANCH !~ {}", regex_literal(&named))
            };
            rules.push(never(format!(
                "$CI_PIPELINE_SOURCE == \"push\" && $CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS{keep}"
            )));
        }
        for (branches, paths) in &pushes {
            rules.push(rule(
                format!(
                    "$CI_PIPELINE_SOURCE == \"push\" && $CI_COMMIT_BRANCH{}",
                    restricted("CI_COMMIT_BRANCH", branches)
                ),
                "push",
                "branch",
                paths,
            ));
        }
    }
    if !tags.is_empty() {
        rules.push(rule(
            format!(
                "$CI_PIPELINE_SOURCE == \"push\" && $CI_COMMIT_TAG =~ {}",
                regex_literal(&tags)
            ),
            "tag",
            "tag",
            &[],
        ));
    }
    // Schedules and pipelines started by hand run on a branch or, rarely, a tag.
    for (enabled, source, event) in [
        (schedule, "$CI_PIPELINE_SOURCE == \"schedule\"", "schedule"),
        (dispatch, DISPATCH, "dispatch"),
    ] {
        if enabled {
            rules.push(rule(
                format!("{source} && $CI_COMMIT_TAG"),
                event,
                "tag",
                &[],
            ));
            rules.push(rule(source.to_string(), event, "branch", &[]));
        }
    }

    let mut auto_cancel = Map::new();
    auto_cancel.insert("on_new_commit", "interruptible");
    let mut w = Map::new();
    w.insert_commented(
        "auto_cancel",
        auto_cancel,
        "A newer pipeline on the same ref cancels the jobs marked interruptible;\npublish and deploy jobs always finish.",
    );
    w.insert("rules", Yaml::Seq(rules));
    w
}

/// The `workflow:` of a child pipeline: created by its parent's trigger job,
/// which decided when it runs.
pub fn child() -> Map {
    let mut r = Map::new();
    r.insert("if", "$CI_PIPELINE_SOURCE == \"parent_pipeline\"");
    let mut w = Map::new();
    w.insert("rules", Yaml::Seq(vec![Yaml::Map(r)]));
    w
}

/// Top-level `variables:` entries for the dispatch inputs, shown and
/// prefilled in the "Run pipeline" form.
pub fn inputs(pipeline: &Pipeline) -> Vec<(String, Yaml)> {
    let mut out = Vec::new();
    for t in &pipeline.triggers {
        let TriggerKind::Dispatch { inputs } = &t.kind else {
            continue;
        };
        for input in inputs {
            let options: Option<Vec<String>> = match &input.kind {
                InputKind::Bool => Some(vec!["true".into(), "false".into()]),
                InputKind::Choice(c) | InputKind::Environment(c) => Some(c.clone()),
                _ => None,
            };
            // GitLab needs a value, and one of the options when there are
            // options: without a default, the first choice (or `false`).
            let value = input
                .default
                .clone()
                .unwrap_or_else(|| match (&input.kind, &options) {
                    (InputKind::Bool, _) => "false".to_string(),
                    (_, Some(o)) => o.first().cloned().unwrap_or_default(),
                    (_, None) => String::new(),
                });
            // A `$` in a value would be read as a variable reference.
            let literal = value.contains('$') || options.iter().flatten().any(|o| o.contains('$'));
            let mut v = Map::new();
            v.insert("value", value);
            if let Some(o) = options {
                v.insert("options", o);
            }
            if literal {
                v.insert("expand", false);
            }
            v.insert(
                "description",
                format!("Input `{}` of a pipeline started by hand.", input.name),
            );
            out.push((crate::text::input_var(&input.name), Yaml::Map(v)));
        }
    }
    out
}
