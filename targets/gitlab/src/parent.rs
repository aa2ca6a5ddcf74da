//! The `.gitlab-ci.yml` of a program with several pipelines: a parent
//! pipeline whose jobs each start one pipeline as a child pipeline
//! (`trigger: include:` its file, [`pipec_emit::layout::gitlab_child`]).
//!
//! The parent is created for every run any of the pipelines has a trigger
//! for (the union of their `workflow:` rules, without path filters). Each
//! trigger job has the rules of its pipeline's own `workflow:` — its
//! triggers, their path filters as `changes:` — so a child pipeline exists
//! only in the runs its triggers select: a monorepo builds and deploys what
//! changed. Each rule passes on `PIPEC_EVENT` and `PIPEC_REF_TYPE`, which
//! the child's jobs test instead of `CI_PIPELINE_SOURCE` (it is
//! `parent_pipeline` there); values typed into the "Run pipeline" form are
//! forwarded too. `strategy: depend` makes the parent's status the child's.

use pipec_diagnostics::{Diagnostic, code};
use pipec_emit::{Map, Yaml, layout, yaml};
use pipec_graph::{Input, Pipeline, PipelineId, Program, Trigger, TriggerKind};

use crate::{RESERVED, workflow};

/// The stage of the trigger jobs.
const STAGE: &str = "pipelines";

/// The parent `.gitlab-ci.yml`, and its diagnostics.
pub fn render(program: &Program) -> (String, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut root = Map::new();
    let mut workflow = workflow::workflow(&union(program));
    // Pipelines with the same triggers give the same rules, once each.
    if let Some(Yaml::Seq(rules)) = workflow.get_mut("rules") {
        let mut unique: Vec<Yaml> = Vec::new();
        for r in rules.drain(..) {
            if !unique.contains(&r) {
                unique.push(r);
            }
        }
        *rules = unique;
    }
    root.insert_commented(
        "workflow",
        workflow,
        "Every run one of the pipelines below has a trigger for.",
    );
    root.insert("stages", vec![STAGE]);
    let inputs = inputs(program, &mut diags);
    if !inputs.is_empty() {
        let mut variables = Map::new();
        for (name, value) in inputs {
            variables.insert(name, value);
        }
        root.insert_commented(
            "variables",
            variables,
            "The inputs of pipelines started by hand, passed on to them.",
        );
    }
    for p in &program.pipelines {
        if RESERVED.contains(&p.name.as_str()) {
            diags.push(
                Diagnostic::new(
                    code::GITLAB_RESERVED_JOB_NAME,
                    p.span,
                    format!(
                        "the job that starts pipeline `{}` cannot be named so",
                        p.name
                    ),
                )
                .label("a top-level keyword of `.gitlab-ci.yml`")
                .help(format!("rename the pipeline, for example `{}_ci`", p.name)),
            );
        }
        let mut include = Map::new();
        include.insert("local", layout::gitlab_child(p));
        let mut forward = Map::new();
        forward.insert("pipeline_variables", true);
        let mut trigger = Map::new();
        trigger.insert("include", Yaml::Seq(vec![Yaml::Map(include)]));
        trigger.insert("strategy", "depend");
        trigger.insert("forward", forward);
        let mut job = Map::new();
        job.insert("stage", STAGE);
        job.insert("trigger", trigger);
        let rules = workflow::workflow(p)
            .get("rules")
            .cloned()
            .unwrap_or(Yaml::Seq(Vec::new()));
        job.insert("rules", rules);
        root.insert_commented(
            p.name.clone(),
            job,
            // The file's name only: the path it was built from depends on
            // where pipec ran, and the output must not.
            format!(
                "Pipeline `{}` ({}).",
                p.name,
                p.file.rsplit(['/', '\\']).next().unwrap_or(&p.file)
            ),
        );
    }
    (yaml::to_string(&Yaml::Map(root)), diags)
}

/// A pipeline with the triggers of every pipeline, without their path
/// filters, and every job (whose conditions name the branches that always
/// get a pipeline of their own): what the parent's `workflow:` is made of.
fn union(program: &Program) -> Pipeline {
    let first = &program.pipelines[0];
    let triggers: Vec<Trigger> = program
        .pipelines
        .iter()
        .flat_map(|p| p.triggers.iter())
        .map(|t| Trigger {
            kind: t.kind.clone(),
            paths: Vec::new(),
            span: t.span,
        })
        .collect();
    Pipeline {
        id: PipelineId(0),
        name: first.name.clone(),
        span: first.span,
        file: first.file.clone(),
        triggers,
        env: Vec::new(),
        jobs: program
            .pipelines
            .iter()
            .flat_map(|p| p.jobs.iter().cloned())
            .collect(),
        graph: Default::default(),
    }
}

/// The dispatch inputs of all pipelines, as the run form's variables; two
/// pipelines that declare one input differently cannot share the form's
/// variable (E0420).
fn inputs(program: &Program, diags: &mut Vec<Diagnostic>) -> Vec<(String, Yaml)> {
    let mut seen: Vec<(&Input, &Pipeline)> = Vec::new();
    let mut triggers = Vec::new();
    for p in &program.pipelines {
        let mut own = Vec::new();
        for t in &p.triggers {
            let TriggerKind::Dispatch { inputs } = &t.kind else {
                continue;
            };
            for i in inputs {
                match seen.iter().find(|(s, _)| s.name == i.name) {
                    Some((first, other)) if first.kind != i.kind || first.default != i.default => {
                        diags.push(
                            Diagnostic::new(
                                code::GITLAB_SEVERAL_PIPELINES,
                                i.span,
                                format!(
                                    "input `{}` of pipeline `{}` differs from the input of that name of pipeline `{}`",
                                    i.name, p.name, other.name
                                ),
                            )
                            .label("another type or default")
                            .secondary(first.span, "declared here")
                            .help("GitLab's \"Run pipeline\" form has one variable per name: give the inputs one declaration, or different names"),
                        );
                    }
                    Some(_) => {}
                    None => {
                        seen.push((i, p));
                        own.push(i.clone());
                    }
                }
            }
        }
        if !own.is_empty() {
            triggers.push(Trigger {
                kind: TriggerKind::Dispatch { inputs: own },
                paths: Vec::new(),
                span: p.span,
            });
        }
    }
    let holder = Pipeline {
        triggers,
        jobs: Vec::new(),
        ..union(program)
    };
    workflow::inputs(&holder)
}
