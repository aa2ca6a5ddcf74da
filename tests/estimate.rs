//! How long a push takes (`pipec_graph::estimate`): the CI time counts the
//! publish and deploy jobs and leaves out what waits for an approval; the
//! time to each automatically deployed environment adds what the cluster
//! takes after the job. Checked on the examples and on small programs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pipec_check::{MemoryFs, check};
use pipec_graph::estimate::{self, ARGOCD_SYNC, GITOPS_COMMIT, KUBECTL_ROLLOUT, PUBLISH};
use pipec_graph::{Duration, JobKind, Program};

fn names(p: &Program, jobs: &[pipec_graph::JobId]) -> Vec<String> {
    jobs.iter()
        .map(|j| p.pipelines[0].job(*j).name.clone())
        .collect()
}

fn checked(src: &str) -> Program {
    let mut files = BTreeMap::new();
    files.insert(PathBuf::from("app.pipe"), src.to_string());
    let c = check(Path::new("app.pipe"), &MemoryFs(files)).expect("in memory");
    c.program
        .unwrap_or_else(|| panic!("errors: {:#?}", c.diagnostics))
}

/// The sum of the expected durations of a chain.
fn sum(p: &Program, jobs: &[pipec_graph::JobId]) -> u64 {
    jobs.iter()
        .map(|j| p.pipelines[0].job(*j).duration.map_or(0, |d| d.seconds))
        .sum()
}

#[test]
fn the_ci_time_of_flask_api_runs_through_publish_and_the_dev_deployment() {
    let p = pipec_tests::program("flask-api");
    let pipeline = &p.pipelines[0];
    let e = estimate::estimates(&p, pipeline);
    let ci = e.ci.expect("durations are declared");
    assert_eq!(
        names(&p, &ci.jobs),
        ["build_app", "trivy", "publish_app", "deploy_dev"]
    );
    assert_eq!(ci.total.seconds, sum(&p, &ci.jobs));
    // Seed 002: CI under five minutes, push to deployment under eight.
    assert!(ci.total <= Duration::from_secs(300), "{}", ci.total);
    let deploys: Vec<(&str, u64)> = e
        .deploys
        .iter()
        .map(|d| (p.environment(d.env).name.as_str(), d.total.seconds))
        .collect();
    // Staging and prod wait for approvals: no push reaches them by itself.
    assert_eq!(deploys, [("dev", ci.total.seconds + ARGOCD_SYNC.seconds)]);
    assert!(e.deploys[0].total <= Duration::from_secs(480));
}

#[test]
fn deployments_behind_an_approval_are_not_ci_time() {
    let p = pipec_tests::program("mts-deploy-ai");
    let e = estimate::estimates(&p, &p.pipelines[0]);
    let ci = e.ci.expect("durations are declared");
    let path = names(&p, &ci.jobs);
    assert_eq!(
        path.last().map(String::as_str),
        Some("publish_app"),
        "{path:?}"
    );
    assert!(e.deploys.is_empty(), "both environments need approvals");
    // The deploy jobs still have their expected duration, for the graph.
    for j in &p.pipelines[0].jobs {
        if let JobKind::Deploy(_) = j.kind {
            assert_eq!(j.duration, Some(KUBECTL_ROLLOUT), "{}", j.name);
        }
    }
}

const APP: &str = r#"use std.docker

pipeline app {
  on push to [main]
  job test { run "make test"; duration 1m }
  image app = docker.build(after: [test])
  publish app to ghcr("acme/app") { tags [sha] PUBLISH }
  job notify { run "echo failed"; after all; run_if failure; duration 5m }
}

environment dev { namespace "app-dev"; deploy on branch main }

service app { image app; port 8000; deploy to [dev] via METHOD }

gitops { repo "https://github.com/acme/deploy.git" }
"#;

fn app(publish: &str, method: &str) -> String {
    APP.replace(" PUBLISH", publish).replace("METHOD", method)
}

#[test]
fn publish_and_deploy_jobs_have_default_durations_the_program_may_override() {
    let kubectl = "kubectl(kubeconfig: secret(\"KUBE_CONFIG\"))";
    let p = checked(&app("", kubectl));
    let e = estimate::estimates(&p, &p.pipelines[0]);
    let ci = e.ci.expect("declared");
    assert_eq!(
        names(&p, &ci.jobs),
        ["test", "build_app", "publish_app", "deploy_dev"]
    );
    // 1m of tests, 2m of build, then the defaults; the failure hook is not
    // part of a successful run.
    assert_eq!(
        ci.total.seconds,
        60 + 120 + PUBLISH.seconds + KUBECTL_ROLLOUT.seconds
    );
    // kubectl waits for the rollout in the job itself.
    assert_eq!(e.deploys[0].after_ci.seconds, 0);
    assert_eq!(e.deploys[0].total, ci.total);

    let p = checked(&app("; duration 3m", "argocd"));
    let e = estimate::estimates(&p, &p.pipelines[0]);
    let ci = e.ci.expect("declared");
    assert_eq!(ci.total.seconds, 60 + 120 + 180 + GITOPS_COMMIT.seconds);
    assert_eq!(e.deploys[0].after_ci, ARGOCD_SYNC);
}
