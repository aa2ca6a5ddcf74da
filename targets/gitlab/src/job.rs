//! One GitLab job: what every job has (stage, `needs:`, `rules:`, timeout,
//! runner tags, `interruptible`), around the body its kind of work gives it
//! ([`crate::body`]).

use std::collections::BTreeMap;

use pipec_diagnostics::{Diagnostic, Span, code};
use pipec_emit::{Map, Yaml};
use pipec_graph::{
    Duration, Job, JobId, JobKind, Pipeline, Program, Role, RunOn, Runner, SecretRef, Text,
};

use crate::body::Body;
use crate::expr::{Expr, from_cond_in, merge_request};
use crate::plan::Plan;
use crate::stages::Stages;
use crate::text::{Unwritable, gitlab_value, server_value};

/// GitLab's limit on `needs:` entries.
pub const MAX_NEEDS: usize = 50;

/// A CI/CD variable the pipeline reads, for the set-up notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    /// Read only by publish and deploy jobs, which run on protected refs only:
    /// the variable can (and should) be protected.
    pub protected: bool,
    /// Holds a credential: masked.
    pub masked: bool,
}

/// What the jobs share while they are written.
pub struct Ctx<'a> {
    pub program: &'a Program,
    pub pipeline: &'a Pipeline,
    pub plan: &'a Plan,
    pub stages: &'a Stages,
    pub diags: Vec<Diagnostic>,
    /// CI/CD variables by name.
    pub variables: BTreeMap<String, Variable>,
    /// Whether the pipeline is a child pipeline of a program's
    /// `.gitlab-ci.yml` (it has several pipelines).
    pub child: bool,
}

impl<'a> Ctx<'a> {
    /// Records that a job (every job, for `None`) reads a CI/CD variable.
    pub fn uses_variable(&mut self, job: Option<&Job>, name: &str, masked: bool) {
        let protected_job =
            job.is_some_and(|j| matches!(j.kind, JobKind::PublishImage(_) | JobKind::Deploy(_)));
        let v = self.variables.entry(name.to_string()).or_insert(Variable {
            protected: protected_job,
            masked,
        });
        v.protected &= protected_job;
        v.masked |= masked;
    }

    /// A secret as a CI/CD variable name, or an error when GitLab cannot have
    /// a variable of that name.
    pub fn secret(&mut self, job: Option<&Job>, s: &SecretRef) -> Option<String> {
        let valid = !s.name.is_empty()
            && s.name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            self.diags.push(
                Diagnostic::new(
                    code::GITLAB_VARIABLE_NAME,
                    s.span,
                    format!("`{}` cannot be a GitLab CI/CD variable name", s.name),
                )
                .label("not a GitLab variable name")
                .help(format!(
                    "GitLab variable names use letters, digits and `_`: secret(\"{}\")",
                    s.name
                        .chars()
                        .map(|c| if c.is_ascii_alphanumeric() {
                            c.to_ascii_uppercase()
                        } else {
                            '_'
                        })
                        .collect::<String>()
                )),
            );
            return None;
        }
        self.uses_variable(job, &s.name, true);
        Some(s.name.clone())
    }

    fn job(&self, id: JobId) -> &'a Job {
        self.pipeline.job(id)
    }

    /// A text for a field the runner expands (`image:`, service names,
    /// artifact and report paths): literal `$` doubled, run-time values as
    /// variables. The short SHA has no GitLab variable: an error (E0430)
    /// naming `what`.
    pub fn value(&mut self, text: &Text, span: Span, what: &str) -> String {
        match gitlab_value(text) {
            Some(v) => v,
            None => {
                self.no_variable(span, what);
                String::new()
            }
        }
    }

    /// A text for a field GitLab expands itself, with no escape (runner
    /// `tags:`, `environment:url`); `None`, with an error, when literal text
    /// would be read as a variable (E0429) or a value has no variable (E0430).
    pub fn server_value(&mut self, text: &Text, span: Span, what: &str) -> Option<String> {
        match server_value(text) {
            Ok(v) => Some(v),
            Err(Unwritable::ShortSha) => {
                self.no_variable(span, what);
                None
            }
            Err(Unwritable::Expanded(reference)) => {
                self.diags.push(
                    Diagnostic::new(
                        code::GITLAB_EXPANDED_TEXT,
                        span,
                        format!("GitLab CI would replace `{reference}` in {what} with a variable's value"),
                    )
                    .label("GitLab expands variables here and has no escape for `$` or `%NAME%`")
                    .help("write the text without it, or take the value from {{ matrix.AXIS }} or {{ inputs.NAME }}"),
                );
                None
            }
        }
    }

    pub fn no_variable(&mut self, span: Span, what: &str) {
        self.diags.push(
            Diagnostic::new(
                code::GITLAB_NO_VARIABLE,
                span,
                format!("GitLab CI cannot compute `ci.short_sha` in {what}"),
            )
            .label("GitLab fills this in from its variables before any script runs")
            .help("use `ci.sha`, or build the short form inside a `run` script, where `{{ ci.short_sha }}` works"),
        );
    }
}

/// A duration as GitLab reads it: `45m`, `2h`, `1h 30m` (whole minutes,
/// rounded up).
pub fn minutes(d: Duration) -> String {
    let m = d.minutes_ceil();
    match (m / 60, m % 60) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h {m}m"),
    }
}

/// Whether the job leaves artifacts for later jobs. Images travel through
/// the registry; a publish job leaves the release it pushed (a dotenv
/// report).
fn produces_artifacts(job: &Job) -> bool {
    match &job.kind {
        JobKind::PublishImage(_) => true,
        JobKind::Run(r) => !r.artifacts.is_empty() || !r.reports.is_empty(),
        _ => false,
    }
}

/// Whether `job` uses the artifacts of `need`: the release a deployment
/// ships, or files `need` declared as artifacts.
fn wants_artifacts(_program: &Program, job: &Job, need: &Job) -> bool {
    match &need.kind {
        JobKind::PublishImage(p) => match &job.kind {
            JobKind::Deploy(d) => d.services.iter().any(|(_, s)| s == p),
            _ => false,
        },
        JobKind::Run(r) => !r.artifacts.is_empty(),
        _ => false,
    }
}

/// `needs:` and `dependencies:` of a job. A job that waits for exactly the
/// jobs of the earlier stages is written without `needs:`, since GitLab's
/// stage order says the same (and is not limited to 50 jobs).
fn needs(ctx: &mut Ctx, id: JobId, out: &mut Map) {
    let job = ctx.job(id);
    let needs = ctx.pipeline.needs(id);
    let stage = ctx.stages.of_job[id.index()];
    let earlier: Vec<JobId> = (0..ctx.pipeline.jobs.len())
        .map(|i| JobId(i as u32))
        .filter(|j| ctx.stages.of_job[j.index()] < stage)
        .collect();
    let same = needs.len() == earlier.len() && earlier.iter().all(|e| needs.contains(e));
    if same {
        let producers: Vec<&Job> = earlier
            .iter()
            .map(|e| ctx.job(*e))
            .filter(|j| produces_artifacts(j))
            .collect();
        if !producers.is_empty() {
            let wanted: Vec<Yaml> = producers
                .iter()
                .filter(|n| wants_artifacts(ctx.program, job, n))
                .map(|n| Yaml::from(&n.name))
                .collect();
            out.insert("dependencies", Yaml::Seq(wanted));
        }
        return;
    }
    if needs.len() > MAX_NEEDS {
        ctx.diags.push(
            Diagnostic::new(
                code::GITLAB_TOO_MANY_NEEDS,
                job.span,
                format!(
                    "`{}` waits for {} jobs; GitLab allows {MAX_NEEDS} in `needs:`",
                    job.name,
                    needs.len()
                ),
            )
            .label("too many dependencies for GitLab")
            .help("make it wait for one job that waits for the others, or use `after all`"),
        );
    }
    let entries: Vec<Yaml> = needs
        .iter()
        .map(|n| {
            let need = ctx.job(*n);
            let optional = ctx.plan.optional[id.index()].contains(n);
            let artifacts = !produces_artifacts(need) || wants_artifacts(ctx.program, job, need);
            if artifacts && !optional {
                return Yaml::from(&need.name);
            }
            let mut m = Map::new();
            m.insert("job", need.name.clone());
            if !artifacts {
                m.insert("artifacts", false);
            }
            if optional {
                m.insert("optional", true);
            }
            Yaml::Map(m)
        })
        .collect();
    out.insert("needs", Yaml::Seq(entries));
}

/// Whether the job waits for a person: a deployment to an environment that
/// needs approvals.
pub fn is_manual(program: &Program, job: &Job) -> bool {
    match &job.kind {
        JobKind::Deploy(d) => program.environment(d.env).is_manual(),
        _ => false,
    }
}

/// The GitLab jobs a job becomes: its name and when it runs. GitLab tells a
/// job nothing about how the jobs before it went, so a notification that runs
/// in any case is two jobs, one after success and one after a failure, each
/// knowing the outcome it reports.
pub fn variants(job: &Job) -> Vec<(String, RunOn)> {
    if job.role == Role::Notify && job.run_on == RunOn::Always {
        vec![
            (job.name.clone(), RunOn::Success),
            (format!("{}:failure", job.name), RunOn::Failure),
        ]
    } else {
        vec![(job.name.clone(), job.run_on)]
    }
}

/// `rules:` (or a plain `when:`) and `allow_failure:`.
fn rules(ctx: &Ctx, id: JobId, run_on: RunOn, out: &mut Map) {
    let manual = is_manual(ctx.program, ctx.job(id));
    rules_as(ctx, id, run_on, manual, out);
}

/// The `rules:` of job `id` for a job that runs when it does, after it,
/// without waiting for a person.
pub fn rules_after(ctx: &Ctx, id: JobId, out: &mut Map) {
    rules_as(ctx, id, RunOn::Success, false, out);
}

fn rules_as(ctx: &Ctx, id: JobId, run_on: RunOn, manual: bool, out: &mut Map) {
    let job = ctx.job(id);
    let when = if manual {
        "manual"
    } else {
        match run_on {
            RunOn::Success => "on_success",
            RunOn::Failure => "on_failure",
            RunOn::Always => "always",
        }
    };
    let condition = from_cond_in(&ctx.plan.when[id.index()], ctx.child);
    let exclude_mr = ctx.plan.no_merge_requests[id.index()];
    // A deployment started by hand runs its own jobs only.
    let exclude_deploys = ctx
        .pipeline
        .jobs
        .iter()
        .any(|j| matches!(j.kind, JobKind::Deploy(_)));
    if !exclude_mr && !exclude_deploys && condition == Expr::Const(true) {
        if when != "on_success" {
            out.insert("when", when);
        }
    } else {
        let mut rules = Vec::new();
        if exclude_deploys {
            let mut r = Map::new();
            r.insert("if", format!("${}", crate::release::DEPLOY_VARIABLE));
            r.insert("when", "never");
            rules.push(Yaml::Map(r));
        }
        if exclude_mr {
            let mut r = Map::new();
            r.insert("if", merge_request(ctx.child));
            r.insert("when", "never");
            rules.push(Yaml::Map(r));
        }
        let mut r = Map::new();
        match condition.render() {
            Some(e) => {
                r.insert("if", e);
            }
            None if condition == Expr::Const(false) => {
                r.insert("when", "never");
            }
            None => {}
        }
        if condition != Expr::Const(false) {
            if when != "on_success" || r.is_empty() {
                r.insert("when", when);
            }
            if manual {
                // A manual job with `allow_failure: false` blocks the pipeline
                // until someone runs it: the gate holds.
                r.insert("allow_failure", job.allow_failure);
            }
        }
        rules.push(Yaml::Map(r));
        out.insert("rules", Yaml::Seq(rules));
    }
    if job.allow_failure && !manual {
        out.insert("allow_failure", true);
    }
}

/// The tag of GitLab's hosted Linux runners of the architecture; `None` for
/// macOS and Windows, whose runners do not run the Linux images every job
/// uses.
pub fn hosted_tag(r: &Runner) -> Option<&'static str> {
    match r {
        Runner::Ubuntu => Some("saas-linux-small-amd64"),
        Runner::UbuntuArm => Some("saas-linux-small-arm64"),
        _ => None,
    }
}

/// The variable holding each matrix instance's runner tag.
pub const RUNNER_TAG: &str = "PIPEC_RUNNER_TAG";

/// Runner `tags:`; `None` for GitLab's default Linux runners. macOS and
/// Windows runners do not run the Linux images every job uses.
fn tags(ctx: &mut Ctx, job: &Job) -> Option<Yaml> {
    let other = job.runners().into_iter().find(|r| hosted_tag(r).is_none());
    match &job.runner {
        Runner::Ubuntu => None,
        Runner::UbuntuArm => Some(vec!["saas-linux-small-arm64"].into()),
        Runner::Label(l) => {
            let span = job.runner_span.unwrap_or(job.span);
            Some(vec![ctx.server_value(l, span, "the job's runner tag")?].into())
        }
        Runner::Matrix(_) if other.is_none() => {
            // Each instance's tag, from its `parallel: matrix` entry.
            Some(vec![format!("${{{RUNNER_TAG}}}")].into())
        }
        Runner::Macos | Runner::Windows | Runner::Matrix(_) => {
            let what = match other.unwrap_or(Runner::Macos) {
                Runner::Windows => "Windows",
                _ => "macOS",
            };
            ctx.diags.push(
                Diagnostic::new(
                    code::GITLAB_RUNNER,
                    job.runner_span.unwrap_or(job.span),
                    format!("`{}` runs on {what}, but its GitLab job runs in a Linux container image", job.name),
                )
                .label(format!("{what} runner"))
                .help("run it on `ubuntu` or `ubuntu_arm`, or pick your own runner by tag: runs_on \"TAG\""),
            );
            None
        }
    }
}

/// The whole job, running when `run_on` says (one of its [`variants`]).
pub fn job(ctx: &mut Ctx, id: JobId, run_on: RunOn) -> (Map, Option<String>) {
    let job = ctx.pipeline.job(id);
    let mut body = crate::body::body(ctx, job);
    if job.role == Role::Notify {
        let status = if run_on == RunOn::Failure {
            "failure"
        } else {
            "success"
        };
        body.variables.insert(pipec_emit::NOTIFY_STATUS, status);
    }
    let mut out = Map::new();
    out.insert("stage", ctx.stages.name_of(id.index()).to_string());
    let Body {
        image,
        services,
        variables,
        variables_note,
        environment,
        resource_group,
        parallel,
        cache,
        id_tokens,
        script,
        coverage,
        artifacts,
        note,
    } = body;
    out.insert("image", image);
    if !services.is_empty() {
        out.insert("services", Yaml::Seq(services));
    }
    if !variables.is_empty() {
        match variables_note {
            Some(n) => out.insert_commented("variables", variables, n),
            None => out.insert("variables", variables),
        };
    }
    needs(ctx, id, &mut out);
    rules(ctx, id, run_on, &mut out);
    if let Some(t) = job.timeout {
        out.insert("timeout", minutes(t));
    }
    let uploads = job
        .run()
        .is_some_and(|r| r.upload.is_some() || r.release.is_some());
    if !matches!(job.kind, JobKind::PublishImage(_) | JobKind::Deploy(_)) && !uploads {
        out.insert("interruptible", true);
    }
    out.insert_opt("resource_group", resource_group);
    out.insert_opt("environment", environment);
    out.insert_opt("parallel", parallel);
    if let Some(t) = tags(ctx, job) {
        out.insert("tags", t);
    }
    if !cache.is_empty() {
        out.insert("cache", Yaml::Seq(cache));
    }
    out.insert_opt("id_tokens", id_tokens);
    out.insert("script", Yaml::Seq(script));
    out.insert_opt("coverage", coverage);
    out.insert_opt("artifacts", artifacts);
    // GitLab shows a job by its key; a title the program gives is noted above.
    let note = match (job.title_span, note) {
        (Some(_), note) => {
            let title = crate::text::display(&job.title);
            Some(match note {
                Some(n) => format!("{title}\n{n}"),
                None => title,
            })
        }
        (None, note) => note,
    };
    (out, note)
}
