//! What every job has, whatever it does: name, `needs` from the graph, the
//! `if:` condition, runner, timeout, matrix, and the environment variables.

use pipec_emit::{Map, Yaml};
use pipec_graph::{Job, JobId, JobKind, Matrix, Role, RunOn, Runner};

use crate::expr::{Expr, escape_literal};
use crate::permissions::Permissions;
use crate::workflow::Lower;

/// One job of the workflow: its key, its body, and a comment written above it.
pub type JobEntry = (String, Map, Option<String>);

/// What a kind of job adds to the common fields.
#[derive(Default)]
pub struct Body {
    pub permissions: Permissions,
    pub steps: Vec<Map>,
    /// `environment:` of a deployment, with the comment above it.
    pub environment: Option<(Map, String)>,
    /// A job-level `concurrency:` group (deployments).
    pub concurrency: Option<Map>,
    /// `outputs:` for the jobs after it (the release a publish job pushed).
    pub outputs: Option<Map>,
    pub container: Option<Yaml>,
    pub services: Option<Map>,
    /// A shell other than the workflow's `bash` (jobs in a container).
    pub shell: Option<&'static str>,
    /// Jobs this one waits for besides its graph dependencies (approval
    /// gates), and jobs to add before it.
    pub extra_needs: Vec<String>,
    pub before: Vec<JobEntry>,
    /// Jobs to add after it, which wait for other jobs than it (the layer
    /// cache of an image).
    pub after: Vec<JobEntry>,
}

impl Lower<'_> {
    /// The job `id`, with any jobs it adds (approval gates before it, the
    /// layer cache push after it).
    pub fn job(&mut self, id: JobId) -> Vec<JobEntry> {
        let job = self.pipeline.job(id);
        let cond = self.job_condition(job);
        let body = match &job.kind {
            JobKind::Run(r) => self.run_job(job, r),
            JobKind::BuildImage(image) => self.build_job(*image),
            JobKind::PublishImage(publish) => self.publish_job(*publish),
            JobKind::Deploy(d) => self.deploy_job(job, d, &cond),
        };
        let mut needs: Vec<String> = self
            .pipeline
            .needs(id)
            .into_iter()
            .map(|d| self.pipeline.job(d).name.clone())
            .collect();
        for n in &body.extra_needs {
            if !needs.contains(n) {
                needs.push(n.clone());
            }
        }

        let mut m = Map::new();
        let title = self.value_of(
            &job.title,
            job.title_span.unwrap_or(job.span),
            "the job's title",
        );
        m.insert("name", title);
        if !needs.is_empty() {
            m.insert("needs", needs);
        }
        if let Some(c) = &cond {
            m.insert("if", crate::expr::if_value(&c.text));
        }
        let runs_on = self.runner(job);
        m.insert("runs-on", runs_on);
        if let Some((env, comment)) = body.environment {
            m.insert_commented("environment", env, comment);
        }
        if let Some(c) = body.concurrency {
            m.insert("concurrency", c);
        }
        m.insert("permissions", body.permissions.to_yaml());
        if let Some(o) = body.outputs {
            m.insert("outputs", o);
        }
        if let Some(t) = job.timeout {
            m.insert("timeout-minutes", t.minutes_ceil().max(1));
        }
        if job.allow_failure {
            m.insert("continue-on-error", true);
        }
        if let Some(matrix) = &job.matrix {
            m.insert("strategy", Yaml::Map(strategy(matrix)));
        }
        if let Some(c) = body.container {
            m.insert("container", c);
        }
        if let Some(s) = body.services {
            m.insert("services", s);
        }
        if let Some(shell) = body.shell {
            let run = pipec_emit::yaml::map([("shell", Yaml::from(shell))]);
            m.insert("defaults", pipec_emit::yaml::map([("run", Yaml::Map(run))]));
        }
        let mut env = self.env(&job.env);
        if job.role == Role::Notify {
            env.insert(pipec_emit::NOTIFY_STATUS, outcome(job.run_on));
        }
        if !env.is_empty() {
            m.insert("env", env);
        }
        m.insert(
            "steps",
            Yaml::Seq(body.steps.into_iter().map(Yaml::Map).collect()),
        );
        let mut out = body.before;
        out.push((
            job.name.clone(),
            m,
            pipec_emit::layout::job_comment(self.program, job),
        ));
        out.extend(body.after);
        out
    }

    /// The job's `if:`: its own condition, and for failure and always hooks
    /// the status function that lets it run after a failed dependency.
    fn job_condition(&mut self, job: &Job) -> Option<Expr> {
        let span = job.when_span.unwrap_or(job.span);
        let own = self.condition(&job.when, span);
        let status = match job.run_on {
            RunOn::Success => None,
            RunOn::Failure => Some(Expr::atom("failure()")),
            // `always()` would also run after the run was cancelled.
            RunOn::Always => Some(Expr::atom("!cancelled()")),
        };
        match (status, own) {
            (None, own) => own,
            (Some(s), None) => Some(s),
            (Some(s), Some(o)) => Some(Expr::and(vec![s, o])),
        }
    }
}

impl Lower<'_> {
    /// The job's `runs-on:`: a label may hold values of the run
    /// (`${{ matrix.os }}`, one runner per matrix cell).
    pub fn runner(&mut self, job: &Job) -> String {
        match &job.runner {
            Runner::Label(l) => {
                self.value_of(l, job.runner_span.unwrap_or(job.span), "the job's runner")
            }
            // Each instance's hosted runner, chosen by the axis value. A
            // chain of comparisons rather than an index into a table:
            // zizmor's pedantic audit calls a computed index obfuscation.
            Runner::Matrix(axis) => {
                let chain: Vec<String> = job
                    .runners()
                    .iter()
                    .filter_map(|r| {
                        Some(format!(
                            "matrix.{axis} == '{}' && '{}'",
                            r.word()?,
                            runner(r)
                        ))
                    })
                    .collect();
                crate::expr::fenced(&chain.join(" || "))
            }
            r => runner(r),
        }
    }
}

/// How the jobs a notification waits for went: `failure` when one failed,
/// `cancelled` when one was cancelled, `success` otherwise (jobs skipped by
/// their conditions count as nothing).
fn outcome(run_on: RunOn) -> &'static str {
    match run_on {
        RunOn::Failure => "failure",
        RunOn::Success => "success",
        RunOn::Always => {
            "${{ contains(needs.*.result, 'failure') && 'failure' || contains(needs.*.result, 'cancelled') && 'cancelled' || 'success' }}"
        }
    }
}

/// `runs-on:` in messages, and for the hosted runners. Hosted runner images
/// are pinned to a release rather than `-latest`, so a new image is a
/// reviewed change of pipec, not a surprise.
pub fn runner(r: &Runner) -> String {
    match r {
        Runner::Ubuntu => "ubuntu-24.04".into(),
        Runner::UbuntuArm => "ubuntu-24.04-arm".into(),
        Runner::Macos => "macos-15".into(),
        Runner::Windows => "windows-2025".into(),
        Runner::Label(l) => l.to_string(),
        Runner::Matrix(axis) => format!("the runner `matrix.{axis}` names"),
    }
}

/// The operating system of a runner, for cache paths and tool archives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    Linux,
    Macos,
    Windows,
}

/// The condition that holds in the instances of `job` that run on one of
/// `runners`; `None` when they are all its instances.
pub fn on_runners(job: &Job, runners: &[Runner]) -> Option<String> {
    let Runner::Matrix(axis) = &job.runner else {
        return None;
    };
    if job.runners().iter().all(|r| runners.contains(r)) {
        return None;
    }
    let tests: Vec<String> = runners
        .iter()
        .filter_map(Runner::word)
        .map(|w| format!("matrix.{axis} == '{w}'"))
        .collect();
    Some(tests.join(" || "))
}

pub fn os(r: &Runner) -> Os {
    match r {
        Runner::Macos => Os::Macos,
        Runner::Windows => Os::Windows,
        _ => Os::Linux,
    }
}

fn strategy(matrix: &Matrix) -> Map {
    let mut m = Map::new();
    // GitHub evaluates expressions in matrix values too.
    for axis in &matrix.axes {
        let values: Vec<String> = axis.values.iter().map(|v| escape_literal(v)).collect();
        m.insert(axis.name.clone(), values);
    }
    let combos = |list: &[Vec<(String, String)>]| {
        Yaml::Seq(
            list.iter()
                .map(|c| {
                    let mut e = Map::new();
                    for (k, v) in c {
                        e.insert(k.clone(), escape_literal(v));
                    }
                    Yaml::Map(e)
                })
                .collect(),
        )
    };
    if !matrix.include.is_empty() {
        m.insert("include", combos(&matrix.include));
    }
    if !matrix.exclude.is_empty() {
        m.insert("exclude", combos(&matrix.exclude));
    }
    pipec_emit::yaml::map([("matrix", Yaml::Map(m))])
}

/// A name unique to each instance of a matrix job, for artifacts: the job
/// name, then each axis value. Artifact names cannot hold some characters, so
/// when a value has one the instance's index is used instead.
pub fn instance_name(job: &Job, what: &str) -> String {
    let Some(matrix) = &job.matrix else {
        return format!("{}-{what}", job.name);
    };
    let values = matrix
        .axes
        .iter()
        .flat_map(|a| a.values.iter())
        .chain(matrix.include.iter().flatten().map(|(_, v)| v));
    let safe = values.into_iter().all(|v| {
        !v.is_empty()
            && !v.chars().any(|c| {
                matches!(c, '"' | ':' | '<' | '>' | '|' | '*' | '?' | '\\' | '/') || c.is_control()
            })
    });
    let mut axes: Vec<&str> = matrix.axes.iter().map(|a| a.name.as_str()).collect();
    for combo in &matrix.include {
        for (k, _) in combo {
            if !axes.contains(&k.as_str()) {
                axes.push(k);
            }
        }
    }
    if safe {
        let parts: Vec<String> = axes
            .iter()
            .map(|a| format!("${{{{ matrix.{a} }}}}"))
            .collect();
        format!("{}-{what}-{}", job.name, parts.join("-"))
    } else {
        format!("{}-{what}-${{{{ strategy.job-index }}}}", job.name)
    }
}
