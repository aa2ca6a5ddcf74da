//! The GitLab CI target: the pipeline graph as one `.gitlab-ci.yml`.
//!
//! - [`workflow`]: which pipelines GitLab creates (branches, tags, merge
//!   requests without duplicates, schedules, runs by hand) and the run
//!   variables scripts read;
//! - [`stages`]: stages named by what they hold, in graph order;
//! - [`plan`]: when each job exists in a pipeline, so that `rules:` and
//!   `needs:` agree with the dependency graph;
//! - [`expr`]: run conditions as `rules:if` expressions;
//! - [`job`] and [`body`]: each job, from what every job has to what its kind
//!   of work runs; [`release`]: image builds, publishes and deployments, and
//!   the deployments started by hand; [`tag_release`]: the release of a
//!   pushed tag;
//! - [`matrix`], [`images`], [`text`]: matrices as `parallel: matrix`, the
//!   pinned images, and text with run-time parts.
//!
//! GitLab has one pipeline definition per project: a program with several
//! pipelines becomes a parent `.gitlab-ci.yml` ([`parent`]) that starts each
//! pipeline as a child pipeline of its own file, under the conditions (and
//! path filters) of its triggers. Settings that live outside the file —
//! protected branches and environments with their approvals, CI/CD
//! variables, pipeline schedules — are listed in a comment at the top.

pub mod body;
pub mod expr;
pub mod images;
pub mod job;
pub mod matrix;
pub mod parent;
pub mod plan;
pub mod release;
pub mod stages;
pub mod tag_release;
pub mod text;
pub mod upload;
pub mod workflow;

use std::collections::BTreeMap;

use pipec_diagnostics::{Diagnostic, code};
use pipec_emit::{Map, OutputTree, Target, Yaml, layout, yaml};
use pipec_graph::{JobId, Pipeline, Program, TriggerKind};

use crate::job::{Ctx, Variable};

/// Top-level keywords of `.gitlab-ci.yml` that a job may not be named after,
/// and `pages`, GitLab's Pages deployment job.
pub const RESERVED: &[&str] = &[
    "after_script",
    "before_script",
    "cache",
    "default",
    "image",
    "include",
    "pages",
    "services",
    "stages",
    "types",
    "variables",
    "workflow",
];

/// The GitLab CI target (`--target gitlab`).
pub struct GitLab;

impl Target for GitLab {
    fn name(&self) -> &'static str {
        "gitlab"
    }

    fn emit(&self, program: &Program, out: &mut OutputTree) -> Result<(), Vec<Diagnostic>> {
        let Some(first) = program.pipelines.first() else {
            return Ok(());
        };
        let several = program.pipelines.len() > 1;
        let mut diags = Vec::new();
        let mut files = Vec::new();
        if several {
            let (body, d) = parent::render(program);
            diags.extend(d);
            files.push((layout::GITLAB_CI.to_string(), first.file.clone(), body));
        }
        for pipeline in &program.pipelines {
            let (body, d) = render(program, pipeline, several);
            diags.extend(d);
            let path = if several {
                layout::gitlab_child(pipeline)
            } else {
                layout::GITLAB_CI.to_string()
            };
            files.push((path, pipeline.file.clone(), body));
        }
        if diags.iter().any(Diagnostic::is_error) {
            return Err(diags);
        }
        for (path, source, body) in files {
            // Pipeline names are unique and map to distinct file names.
            if let Err(clash) = out.add(self.name(), path, source, body) {
                unreachable!("two GitLab pipelines write {}", clash.path);
            }
        }
        Ok(())
    }
}

/// The body of `.gitlab-ci.yml` for a pipeline, or of its child pipeline
/// (`child`), with the diagnostics found.
pub fn render(program: &Program, pipeline: &Pipeline, child: bool) -> (String, Vec<Diagnostic>) {
    let plan = plan::Plan::new(pipeline);
    let stages = stages::assign(program, pipeline);
    let mut ctx = Ctx {
        program,
        pipeline,
        plan: &plan,
        stages: &stages,
        diags: Vec::new(),
        variables: BTreeMap::new(),
        child,
    };
    for job in &pipeline.jobs {
        if RESERVED.contains(&job.name.as_str()) {
            ctx.diags.push(
                Diagnostic::new(
                    code::GITLAB_RESERVED_JOB_NAME,
                    job.span,
                    format!("a GitLab job cannot be named `{}`", job.name),
                )
                .label(if job.name == "pages" {
                    "the name of GitLab's Pages job, which publishes `public/` as a web site"
                } else {
                    "a top-level keyword of `.gitlab-ci.yml`"
                })
                .help(format!("rename the job, for example `{}_job`", job.name)),
            );
        }
    }

    for (i, when) in plan.when.iter().enumerate() {
        let mut inputs = Vec::new();
        when.inputs(&mut inputs);
        let job = pipeline.job(JobId(i as u32));
        for (name, value) in inputs {
            if !expr::writable_value(&value) {
                ctx.diags.push(
                    Diagnostic::new(
                        code::GITLAB_EXPRESSION_VALUE,
                        job.when_span.unwrap_or(job.span),
                        format!(
                            "GitLab CI cannot compare input `{name}` with {value:?}: a `rules:if` expression cannot hold a line break or a control character"
                        ),
                    )
                    .label("compared in this condition")
                    .help("compare the input with a value of printable characters"),
                );
            }
        }
    }

    let mut root = Map::new();
    if child {
        root.insert_commented(
            "workflow",
            workflow::child(),
            "Started by .gitlab-ci.yml, which passes PIPEC_EVENT and PIPEC_REF_TYPE on.",
        );
    } else {
        root.insert("workflow", workflow::workflow(pipeline));
    }
    root.insert("stages", stages.names.clone());

    let mut variables = Map::new();
    variables.insert("PIPEC_REF_NAME", "${CI_COMMIT_REF_NAME}");
    variables.insert("PIPEC_SHA", "${CI_COMMIT_SHA}");
    let mut exports = Vec::new();
    body::env_vars(&mut ctx, None, &pipeline.env, &mut variables, &mut exports);
    for (name, value) in workflow::inputs(pipeline) {
        variables.insert(name, value);
    }
    root.insert_commented(
        "variables",
        variables,
        if child {
            "The run, as pipec's scripts read it; PIPEC_EVENT and PIPEC_REF_TYPE come\nfrom the rule of .gitlab-ci.yml that started the pipeline."
        } else {
            "The run, as pipec's scripts read it; PIPEC_EVENT and PIPEC_REF_TYPE come\nfrom the workflow rule that created the pipeline."
        },
    );

    let mut order = pipeline.topo_order();
    order.sort_by_key(|id| stages.of_job[id.index()]);
    for id in order {
        for (i, (name, run_on)) in job::variants(pipeline.job(id)).into_iter().enumerate() {
            let before = ctx.diags.len();
            let (mut job, note) = job::job(&mut ctx, id, run_on);
            if i > 0 {
                // The same job again: its diagnostics were reported once.
                ctx.diags.truncate(before);
            }
            if !exports.is_empty()
                && let Some(Yaml::Seq(script)) = job.get_mut("script")
            {
                for (i, e) in exports.iter().enumerate() {
                    script.insert(i, Yaml::Str(e.clone()));
                }
            }
            // What `pipec lint` reads comes last, right above the job.
            let note = match (
                note,
                pipec_emit::layout::job_comment(program, pipeline.job(id)),
            ) {
                (Some(n), Some(r)) => Some(format!("{n}\n{r}")),
                (n, r) => n.or(r),
            };
            let release = match pipeline.job(id).run().and_then(|r| r.release.as_deref()) {
                Some(rel) if i == 0 => Some(tag_release::job(
                    &name,
                    stages.name_of(id.index()),
                    job.get("rules"),
                    rel,
                )),
                _ => None,
            };
            match note {
                Some(n) => root.insert_commented(name, job, n),
                None => root.insert(name, job),
            };
            if let Some((name, job, note)) = release {
                root.insert_commented(name, job, note);
            }
        }
    }

    let mut extra = release::latest_jobs(&mut ctx);
    extra.extend(release::dispatch_jobs(&mut ctx));
    for (name, job, note) in extra {
        match note {
            Some(n) => root.insert_commented(name, job, n),
            None => root.insert(name, job),
        };
    }

    let setup = setup_notes(program, pipeline, &plan, &ctx.variables);
    let mut doc = yaml::to_string(&Yaml::Map(root));
    if !setup.is_empty() {
        doc = format!("{}\n{doc}", yaml::comment(&setup, 0));
    }
    (doc, ctx.diags)
}

/// What must be set up in GitLab for the pipeline to work as written.
fn setup_notes(
    program: &Program,
    pipeline: &Pipeline,
    plan: &plan::Plan,
    variables: &BTreeMap<String, Variable>,
) -> String {
    let mut out = String::new();
    // Refs where images are pushed and environments deployed.
    let mut globs = Vec::new();
    for (i, c) in plan.when.iter().enumerate() {
        if plan.no_merge_requests[i] && plan.can_run(JobId(i as u32)) {
            c.globs(&mut globs);
        }
    }
    let mut branches: Vec<&str> = Vec::new();
    let mut tags: Vec<&str> = Vec::new();
    for (is_tag, g) in &globs {
        let list = if *is_tag { &mut tags } else { &mut branches };
        if !list.contains(&g.as_str()) {
            list.push(g.as_str());
        }
    }
    if !branches.is_empty() || !tags.is_empty() {
        out.push_str("- Protect the refs that publish and deploy (Settings > Repository):");
        if !branches.is_empty() {
            out.push_str(&format!(" branches {}", branches.join(", ")));
        }
        if !tags.is_empty() {
            let sep = if branches.is_empty() { "" } else { ";" };
            out.push_str(&format!("{sep} tags {}", tags.join(", ")));
        }
        out.push_str(".\n");
    }
    if !variables.is_empty() {
        out.push_str("- CI/CD variables (Settings > CI/CD > Variables):\n");
        let width = variables.keys().map(String::len).max().unwrap_or(0);
        for (name, v) in variables {
            let mut flags = Vec::new();
            if v.protected {
                flags.push("protected");
            }
            if v.masked {
                flags.push("masked");
            }
            let flags = if flags.is_empty() {
                "plain".to_string()
            } else {
                flags.join(", ")
            };
            out.push_str(&format!("    {name:width$}  {flags}\n"));
        }
    }
    let gated: Vec<_> = pipeline
        .jobs
        .iter()
        .filter_map(|j| j.environment())
        .map(|e| program.environment(e))
        .filter(|e| e.is_manual())
        .collect();
    if !gated.is_empty() {
        out.push_str("- Protected environments with deployment approvals (Settings > CI/CD >\n  Protected environments; GitLab Premium or Ultimate, on Free see\n  docs/targets/gitlab.md, \"Approvals without GitLab Premium\"; by default\n  whoever starts a pipeline cannot approve it):\n");
        let width = gated.iter().map(|e| e.name.len()).max().unwrap_or(0);
        for e in gated {
            out.push_str(&format!(
                "    {:width$}  {} required approval{}\n",
                e.name,
                e.approvals,
                if e.approvals == 1 { "" } else { "s" }
            ));
        }
    }
    for t in &pipeline.triggers {
        if let TriggerKind::Schedule { cron } = &t.kind {
            out.push_str(&format!(
                "- A pipeline schedule (Build > Pipeline schedules): \"{cron}\", UTC.\n"
            ));
        }
    }
    if out.is_empty() {
        return out;
    }
    format!("GitLab settings this pipeline needs:\n{out}")
}
