//! ## What it does
//! For every job that pushes an image or deploys, checks that the jobs it waits
//! for (through `needs`, `after` or earlier GitLab stages), or earlier steps of
//! the same job, include a blocking image scan (when the pipeline builds
//! images), dependency audit, SAST and secret scan. A scan that cannot fail the
//! pipeline does not count: `allow_failure`/`continue-on-error`, `|| true`,
//! Trivy without `--exit-code 1`, `trivy-action` without `exit-code: 1`,
//! `bandit --exit-zero`, CodeQL (which reports but never fails the job).
//!
//! A workflow that is only started by hand and builds and tests nothing, or a
//! deployment that never runs together with a build (a GitLab job for
//! pipelines started with a variable the build jobs exclude) — a promotion or
//! a rollback of something an earlier pipeline published — is not checked:
//! the scans ran where the image was built.
//!
//! ## Why is this bad
//! A vulnerable image or a leaked key that is already in the registry or running
//! in a cluster has done its harm; a scan that runs afterwards, or in parallel,
//! or cannot fail, only documents it.
//!
//! ## Example
//! ```yaml
//! stages: [build, test, security, deploy]
//! build:
//!   stage: build
//!   script: [docker build -t $IMAGE ., docker push $IMAGE]
//! trivy:
//!   stage: security
//!   script: [trivy image $IMAGE]
//! ```
//!
//! ## Use instead
//! ```yaml
//! stages: [build, scan, push, deploy]
//! trivy:
//!   stage: scan
//!   script: [trivy image --exit-code 1 --input image.tar]
//! ```
//! with the dependency audit, SAST and secret scan in the `scan` stage too, and
//! the push after them.

use pipec_diagnostics::Severity;
use pipec_graph::Role;

use crate::facts::Scan;
use crate::facts::when::RunEvent;
use crate::flow;
use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE105",
    name: "scans-before-release",
    summary: "image scan, dependency audit, SAST and secret scan pass before anything is published or deployed",
    severity: Severity::Error,
    group: Group::Policy,
    inputs: &[Input::Pipe, Input::GitHub, Input::GitLab],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for p in cx.pipelines() {
        let builds_images = p
            .jobs
            .iter()
            .any(|j| !j.pushes.is_empty() || j.has_role(Role::Build));
        // A workflow only started by hand that builds and publishes nothing
        // deploys what an earlier pipeline published: it promotes or rolls
        // back a release that passed its scans where it was built.
        // One that builds or tests is CI started by hand, and is checked.
        let by_hand =
            !p.triggers.is_empty() && p.triggers.iter().all(|t| t.event == RunEvent::Dispatch);
        let builds_or_tests = p.jobs.iter().any(|j| {
            j.has_role(Role::Build) || j.has_role(Role::Test) || j.has_role(Role::Integration)
        });
        if by_hand && !builds_or_tests {
            continue;
        }
        let mut required = vec![Role::DependencyAudit, Role::Sast, Role::SecretScan];
        if builds_images {
            required.insert(0, Role::ImageScan);
        }
        for (i, j) in p.jobs.iter().enumerate() {
            if !j.releases() {
                continue;
            }
            // A deployment (or a tag moved) that never runs with a build — a
            // pipeline started by hand to promote or roll back — ships what an
            // earlier pipeline built.
            let builds: Vec<&crate::facts::Job> =
                p.jobs.iter().filter(|b| b.has_role(Role::Build)).collect();
            if !builds.is_empty() && builds.iter().all(|b| j.when.excludes(&b.when)) {
                continue;
            }
            let before = flow::ancestors(p, i);
            let release_step = j
                .pushes
                .iter()
                .map(|x| x.step)
                .chain(j.deploy_step)
                .min()
                .unwrap_or(0);
            let scans: Vec<(&str, &Scan)> = before
                .iter()
                .flat_map(|a| {
                    p.jobs[*a]
                        .scans
                        .iter()
                        .map(move |s| (p.jobs[*a].name.as_str(), s))
                })
                .chain(
                    j.scans
                        .iter()
                        .filter(|s| s.step < release_step)
                        .map(|s| (j.name.as_str(), s)),
                )
                .collect();
            let missing: Vec<Role> = required
                .iter()
                .copied()
                .filter(|r| !scans.iter().any(|(_, s)| s.role == *r && s.blocking))
                .collect();
            if missing.is_empty() {
                continue;
            }
            let verb = if j.pushes.is_empty() {
                "deploys"
            } else {
                "publishes"
            };
            let names: Vec<&str> = missing.iter().map(|r| flow::scan_name(*r)).collect();
            let at = j.pushes.first().map_or_else(
                || j.deploy.as_ref().map_or(j.loc.clone(), |_| j.loc.clone()),
                |x| x.loc.clone(),
            );
            let f = out.report(
                at,
                format!(
                    "`{}` {verb} before a blocking {} has passed",
                    j.name,
                    list(&names)
                ),
            );
            f.label(format!("{verb} here"));
            for (job, s) in scans
                .iter()
                .filter(|(_, s)| !s.blocking && missing.contains(&s.role))
            {
                f.secondary(
                    s.loc.clone(),
                    format!("`{job}` runs {} but it cannot fail the pipeline", s.tool),
                );
            }
            f.help("run the missing scans first, failing on findings, and make this job wait for them (`needs:`)");
        }
    }
}

fn list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}
