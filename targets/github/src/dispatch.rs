//! The deploy workflow, `<pipeline>-deploy.yml`: "deploy version X to
//! environment Y" by hand — a promotion, or a rollback.
//!
//! It is started (`workflow_dispatch`) on the ref to deploy — a release tag
//! such as `v1.0.0`, or a branch — with the environment as its one input.
//! Each environment's job is the deployment job of CI, with the same
//! environment (reviewers, deployment branch policy, secrets), approval
//! gates and concurrency group: started by hand, it looks up the digest the
//! ref's commit was published as instead of taking it from a publish job,
//! and refuses refs the environment does not accept (`pipec_emit::release`).

use pipec_diagnostics::Diagnostic;
use pipec_emit::{Map, Yaml, yaml};
use pipec_graph::{JobKind, Pipeline, Program};

use crate::deploy::{DeployText, EnvPolicies};
use crate::expr::{self, Expr};
use crate::job::runner;
use crate::workflow::Lower;

/// The input naming the environment.
const INPUT: &str = "environment";

/// A release tag of the pipeline, for the example of the workflow's
/// comment: its first `on tag` pattern with `1.0.0` for a final `*`
/// (`api-v*`: `api-v1.0.0`), or the pattern itself when it is a tag name.
fn example_tag(pipeline: &Pipeline) -> Option<String> {
    let pattern = pipeline.release_tags().into_iter().next()?;
    let p = pattern.as_str();
    let prefix = p.trim_end_matches('*');
    if prefix.contains(['*', '?', '[', '{']) {
        return None;
    }
    Some(if prefix.len() < p.len() {
        format!("{prefix}1.0.0")
    } else {
        prefix.to_string()
    })
}

/// The deploy workflow of a pipeline that deploys, and its diagnostics;
/// `text` is what the CI workflow's deployment jobs said.
pub fn render(
    program: &Program,
    pipeline: &Pipeline,
    text: DeployText,
    policies: &EnvPolicies,
) -> Option<(String, Vec<Diagnostic>)> {
    let deploys: Vec<_> = pipeline
        .topo_order()
        .into_iter()
        .map(|id| pipeline.job(id))
        .filter(|j| matches!(j.kind, JobKind::Deploy(_)))
        .collect();
    if deploys.is_empty() {
        return None;
    }
    let mut cx = Lower {
        program,
        pipeline,
        inputs: Vec::new(),
        releases: false,
        dispatch: true,
        diags: Vec::new(),
        deploys: text,
        policies,
    };
    let names: Vec<String> = deploys
        .iter()
        .filter_map(|j| j.environment())
        .map(|e| program.environment(e).name.clone())
        .collect();
    let mut w = Map::new();
    w.insert("name", format!("{} deploy", pipeline.name));
    w.insert(
        "run-name",
        format!("Deploy ${{{{ github.ref_name }}}} to ${{{{ inputs.{INPUT} }}}}"),
    );
    let mut input = Map::new();
    input.insert(
        "description",
        "The environment to deploy the ref this workflow runs on to",
    );
    input.insert("required", true);
    input.insert("type", "choice");
    input.insert("options", names.clone());
    let dispatch = yaml::map([("inputs", Yaml::Map(yaml::map([(INPUT, Yaml::Map(input))])))]);
    let file = pipec_emit::layout::github_deploy_workflow(pipeline);
    let file = file.rsplit('/').next().unwrap_or(&file);
    let env = names
        .last()
        .cloned()
        .unwrap_or_else(|| "ENVIRONMENT".into());
    let started = match example_tag(pipeline) {
        Some(tag) => format!(
            "Started by hand on the ref to deploy (a release tag such as {tag}, or a\nbranch): gh workflow run {file} --ref {tag} -f environment={env}"
        ),
        None => format!(
            "Started by hand on the ref to deploy (a branch, or a release tag):\ngh workflow run {file} --ref BRANCH -f environment={env}"
        ),
    };
    w.insert_commented(
        "on",
        yaml::map([("workflow_dispatch", Yaml::Map(dispatch))]),
        started,
    );
    w.insert_commented(
        "permissions",
        Map::new(),
        "Nothing by default: each job asks for the scopes it needs.",
    );
    let mut concurrency = Map::new();
    concurrency.insert(
        "group",
        format!("${{{{ github.workflow }}}}-${{{{ inputs.{INPUT} }}}}"),
    );
    concurrency.insert("cancel-in-progress", false);
    w.insert_commented(
        "concurrency",
        concurrency,
        "One deployment by hand per environment at a time; its job also queues with\nthe environment's deployments from CI.",
    );
    let mut run = Map::new();
    run.insert("shell", "bash");
    w.insert("defaults", yaml::map([("run", Yaml::Map(run))]));
    let mut jobs = Map::new();
    for job in deploys {
        let JobKind::Deploy(d) = &job.kind else {
            continue;
        };
        let env = program.environment(d.env);
        let cond = Some(Expr::atom(format!(
            "inputs.{INPUT} == {}",
            expr::lit(&env.name)
        )));
        let body = cx.deploy_job(job, d, &cond);
        for (key, gate, comment) in body.before {
            match comment {
                Some(c) => jobs.insert_commented(key, gate, c),
                None => jobs.insert(key, gate),
            };
        }
        let mut m = Map::new();
        let title = cx.value_of(
            &job.title,
            job.title_span.unwrap_or(job.span),
            "the job's title",
        );
        m.insert("name", title);
        if !body.extra_needs.is_empty() {
            m.insert("needs", body.extra_needs.clone());
        }
        if let Some(c) = &cond {
            m.insert("if", expr::if_value(&c.text));
        }
        m.insert("runs-on", runner(&job.runner));
        if let Some((environment, comment)) = body.environment {
            m.insert_commented("environment", environment, comment);
        }
        if let Some(c) = body.concurrency {
            m.insert("concurrency", c);
        }
        m.insert("permissions", body.permissions.to_yaml());
        m.insert(
            "steps",
            Yaml::Seq(body.steps.into_iter().map(Yaml::Map).collect()),
        );
        jobs.insert(job.name.clone(), m);
    }
    w.insert("jobs", jobs);
    Some((yaml::to_string(&Yaml::Map(w)), cx.diags))
}
