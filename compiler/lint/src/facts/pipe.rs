//! Facts of a `.pipe` program, read from the pipeline graph. Every location is
//! a span in the user's source (IR nodes carry the span of the user code that
//! produced them, even when a template expanded them).

use pipec_graph::estimate::estimates;
use pipec_graph::{DeployMethod, JobKind, Part, Program, Role, TagKind, Text, TriggerKind};

use super::script::{self, commands};
use super::when::When;
use super::{
    ArgoApp, Container, Coverage, DeployEstimate, DeployTarget, Environment, Estimate, Facts, Job,
    Pattern, Pipeline, Push, PushedTag, RunEvent, Scan, Script, Tag, Trigger, Workload,
};
use crate::loc::Loc;
use crate::rule::Input;

/// Adds the facts of a checked program.
pub fn extract(program: &Program, facts: &mut Facts) {
    let env_base = facts.environments.len();
    for e in &program.environments {
        facts.environments.push(Environment {
            name: e.name.clone(),
            loc: Loc::Span(e.span),
            tier: e.tier,
            promotes_from: e
                .promotion
                .as_ref()
                .map(|p| (env_base + p.from.index(), Loc::Span(p.span))),
            trigger: e.trigger_span.map(Loc::Span),
            deployed: program.services_in(e.id).next().is_some(),
        });
        if program
            .services_in(e.id)
            .any(|s| s.method == DeployMethod::ArgoCd)
        {
            facts.apps.push(ArgoApp {
                input: Input::Pipe,
                name: e.name.clone(),
                loc: Loc::Span(e.span),
                tier: e.tier,
                project: None,
                automated: e
                    .sync
                    .automated
                    .then(|| Loc::Span(e.sync.span.unwrap_or(e.span))),
                allow_empty: None,
                revision: e
                    .revision
                    .clone()
                    .map(|r| (r, Loc::Span(e.revision_span.unwrap_or(e.span)))),
            });
        }
    }
    for p in &program.pipelines {
        facts.pipelines.push(pipeline(program, p));
    }
    for s in &program.services {
        let limits = |r: &Option<pipec_graph::Resources>| {
            r.as_ref()
                .map_or((false, false), |r| (r.cpu.is_some(), r.memory.is_some()))
        };
        let own = limits(&s.resources);
        // An environment's resources replace the service's there.
        let in_every_env = |pick: fn((bool, bool)) -> bool| {
            !s.deploy.is_empty()
                && s.deploy
                    .iter()
                    .all(|e| pick(limits(&program.environment(*e).resources)))
        };
        let cpu = own.0 || in_every_env(|l| l.0);
        let memory = own.1 || in_every_env(|l| l.1);
        facts.workloads.push(Workload {
            input: Input::Pipe,
            kind: s.kind_name().into(),
            name: s.name.clone(),
            loc: Loc::Span(s.span),
            // A worker answers no requests and a CronJob runs to completion:
            // what they are probed by (if at all) is stated in the program.
            serving: s.serves_http(),
            containers: vec![Container {
                name: s.name.clone(),
                loc: Loc::Span(s.span),
                init: false,
                // A Helm chart's templates write the probes, which the
                // program cannot say (E0494): not a missing probe.
                liveness: s.probes.liveness.is_some() || s.helm.is_some(),
                readiness: s.probes.readiness.is_some() || s.helm.is_some(),
                cpu_limit: cpu,
                memory_limit: memory,
                non_root: Some(s.run_as_user != 0),
                root_loc: None,
            }],
            pod_non_root: s.run_as_user != 0,
            pod_root: None,
            zero_downtime: true,
            strategy_loc: None,
        });
    }
}

fn pipeline(program: &Program, p: &pipec_graph::Pipeline) -> Pipeline {
    let globs = |g: &[pipec_graph::Glob]| g.iter().cloned().map(Pattern::Glob).collect::<Vec<_>>();
    let mut triggers = Vec::new();
    for t in &p.triggers {
        let loc = Loc::Span(t.span);
        let (event, branches, tags) = match &t.kind {
            TriggerKind::Push { branches } => (RunEvent::Push, globs(branches), None),
            TriggerKind::PullRequest { branches } => (RunEvent::PullRequest, globs(branches), None),
            TriggerKind::Tag { patterns } => (RunEvent::Tag, Vec::new(), Some(globs(patterns))),
            TriggerKind::Schedule { .. } => (RunEvent::Schedule, Vec::new(), None),
            TriggerKind::Dispatch { .. } => (RunEvent::Dispatch, Vec::new(), None),
        };
        triggers.push(Trigger {
            event,
            branches,
            branches_ignore: Vec::new(),
            tags,
            loc,
        });
    }
    let mut jobs: Vec<Job> = p.jobs.iter().map(|j| job(program, j)).collect();
    for (i, j) in p.jobs.iter().enumerate() {
        jobs[i].needs = p.needs(j.id).iter().map(|n| n.index()).collect();
    }
    let e = estimates(program, p);
    let estimate = e.ci.map(|c| Estimate {
        total: c.total,
        jobs: c.jobs.iter().map(|j| j.index()).collect(),
    });
    let deploy_estimates = e
        .deploys
        .into_iter()
        .map(|d| DeployEstimate {
            env: program.environment(d.env).name.clone(),
            total: d.total,
            after_ci: d.after_ci,
            jobs: d.path.jobs.iter().map(|j| j.index()).collect(),
        })
        .collect();
    Pipeline {
        input: Input::Pipe,
        name: p.name.clone(),
        loc: Loc::Span(p.span),
        triggers,
        jobs,
        permissions: None,
        estimate,
        deploy_estimates,
    }
}

/// A script as text, run-time parts shown as variables.
fn render(t: &Text) -> String {
    t.render(|part| match part {
        Part::Lit(s) => s.clone(),
        Part::Matrix(a) => format!("${{MATRIX_{}}}", a.to_ascii_uppercase()),
        Part::Input(i) => format!("${{INPUT_{}}}", i.to_ascii_uppercase()),
        Part::Ci(v) => format!("${{CI_{}}}", v.name().to_ascii_uppercase()),
        Part::Image(i) => format!("{i}:ci"),
        Part::ImageSource(i) => format!("--input {i}.tar"),
    })
}

fn job(program: &Program, j: &pipec_graph::Job) -> Job {
    let loc = Loc::Span(j.span);
    let mut job = Job::new(j.name.clone(), loc.clone());
    job.add_role(j.role);
    job.when = When::from(&j.when);
    if j.allow_failure {
        job.allow_failure = Some(loc.clone());
    }
    match &j.kind {
        JobKind::Run(r) => {
            // The images the job runs in and beside, as the targets write
            // them (`container:` and `services:` on GitHub).
            if let Some(c) = r.container.as_ref().and_then(|c| c.as_literal()) {
                job.images
                    .push((c, Loc::Span(r.container_span.unwrap_or(j.span))));
            }
            for svc in &r.services {
                if let Some(image) = svc.image.as_literal() {
                    job.images.push((image, Loc::Span(svc.span)));
                }
            }
            if let Some(min) = r.coverage_gate() {
                let at = r
                    .reports
                    .iter()
                    .find(|x| x.min.is_some())
                    .map_or(j.span, |x| x.span);
                job.coverage.push(Coverage {
                    min: Some(min),
                    loc: Loc::Span(at),
                });
            }
            for (i, step) in r.steps.iter().enumerate() {
                let text = render(&step.script);
                let at = Loc::Span(step.span);
                for c in commands(&text) {
                    if let Some(integration) = script::test_command(&c.text) {
                        if integration || j.role == Role::Integration {
                            job.add_role(Role::Integration);
                        } else {
                            job.add_role(Role::Test);
                            job.tests.push(at.clone());
                        }
                    }
                    if let Some((role, tool, blocking)) = script::scanner(&c.text) {
                        job.add_role(role);
                        job.scans.push(Scan {
                            role,
                            tool: tool.into(),
                            blocking: blocking && !j.allow_failure,
                            loc: at.clone(),
                            step: i,
                        });
                    }
                    if job.coverage.is_empty()
                        && let Some(min) = script::coverage_threshold(&c.text)
                    {
                        job.coverage.push(Coverage {
                            min,
                            loc: at.clone(),
                        });
                    }
                    if script::git_push(&c.text) {
                        job.pushes_commits = true;
                    }
                }
                job.scripts.push(Script {
                    text,
                    loc: at,
                    env: Vec::new(),
                    javascript: false,
                });
            }
            // A job whose declared role is a scan counts as that scan even when
            // its commands are not ones the linter recognises.
            job.declare_role(j.role, &loc);
        }
        JobKind::BuildImage(_) => job.add_role(Role::Build),
        JobKind::PublishImage(id) => {
            let publish = program.publish(*id);
            let at = Loc::Span(publish.span);
            let tags = publish
                .tags
                .iter()
                .map(|t| PushedTag {
                    tag: match &t.kind {
                        TagKind::Latest => Tag::Latest,
                        TagKind::Sha | TagKind::BranchSha => Tag::Sha,
                        TagKind::Branch => Tag::Branch,
                        TagKind::Semver | TagKind::GitTag => Tag::Version,
                        TagKind::Literal(s) if s.as_literal().as_deref() == Some("latest") => {
                            Tag::Latest
                        }
                        TagKind::Literal(s) => Tag::Literal(s.to_string()),
                    },
                    when: When::from(&t.when),
                    loc: at.clone(),
                    image: None,
                    template: None,
                })
                .collect();
            job.pushes.push(Push {
                image: Some(publish.image_name()),
                tags,
                when: When::from(&publish.when),
                loc: at,
                step: 0,
            });
        }
        JobKind::Deploy(d) => {
            let env = program.environment(d.env);
            job.deploy = Some(DeployTarget {
                name: env.name.clone(),
                tier: env.tier,
                loc: Loc::Span(env.approvals_span.unwrap_or(env.span)),
                approvals: Some(env.approvals),
                github_environment: false,
            });
            job.deploy_step = Some(0);
        }
    }
    job
}
