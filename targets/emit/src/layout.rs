//! Names and paths that several targets must agree on: the Kubernetes names of
//! services, where overlays live, where the environment trees deployments
//! write (and Argo CD reads) live, and where each target's files go.

use pipec_graph::{Environment, Job, JobKind, Program, Role, Service};

/// How a generated CI file says what a job is for, in the comment above the
/// job: `pipec: role sast`. `pipec lint` reads it in files whose header and
/// hash are intact, so that a job the program declares a scan or a test is
/// one in the generated YAML too, whatever its commands.
pub const ROLE_MARK: &str = "pipec: role ";

/// The comment above a generated job that `pipec lint` reads, so that it
/// judges the job as it judges the program: the `@allow` suppressions of
/// the statement the job comes from (`pipec: allow RULE reason`), then the
/// role of a job that runs steps (other jobs' YAML shows what they are).
pub fn job_comment(program: &Program, job: &Job) -> Option<String> {
    let mut lines: Vec<String> = program
        .suppressions
        .iter()
        .filter(|s| {
            s.target.source == job.span.source
                && s.target.start <= job.span.start
                && job.span.end <= s.target.end
        })
        .map(|s| format!("pipec: allow {} {}", s.rule, one_line(&s.reason)))
        .collect();
    if matches!(job.kind, JobKind::Run(_)) && job.role != Role::Other {
        lines.push(format!("{ROLE_MARK}{}", job.role.name()));
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The Kubernetes name of a service: `flask_api` → `flask-api`. Deployment,
/// container, Service, ConfigMap and HPA all carry it.
pub fn k8s_name(service: &Service) -> String {
    service.name.replace('_', "-")
}

/// The Kubernetes-safe name of an environment.
pub fn env_name(env: &Environment) -> String {
    env.name.replace('_', "-")
}

/// The folder all Kubernetes and Argo CD files live in (`deploy`).
pub fn manifests_root(program: &Program) -> &str {
    program
        .gitops
        .as_ref()
        .map_or("deploy", |g| g.path.as_str())
}

/// `deploy/flask-api/base`
pub fn base_dir(program: &Program, service: &Service) -> String {
    format!("{}/{}/base", manifests_root(program), k8s_name(service))
}

/// `deploy/flask-api/overlays/dev`
pub fn overlay_dir(program: &Program, service: &Service, env: &Environment) -> String {
    format!(
        "{}/{}/overlays/{}",
        manifests_root(program),
        k8s_name(service),
        env_name(env)
    )
}

/// The values file of a service deployed from a Helm chart, in one
/// environment: `deploy/flask-api/values/dev.yaml`. It takes the place of
/// the overlay (there is no base: the chart is the base).
pub fn values_file(program: &Program, service: &Service, env: &Environment) -> String {
    format!(
        "{}/{}/values/{}.yaml",
        manifests_root(program),
        k8s_name(service),
        env_name(env)
    )
}

/// The copy of [`values_file`] a deployment writes into the environment's
/// tree, with the image tag and digest set, and which the environment's
/// Application hands to Helm: `deploy/environments/dev/flask-api/values.yaml`.
pub fn environment_values(program: &Program, service: &Service, env: &Environment) -> String {
    format!("{}/values.yaml", environment_dir(program, service, env))
}

/// The tree a deployment writes for one service in one environment, and the
/// only place the environment's Application reads:
/// `deploy/environments/dev/flask-api`. It holds a copy of the service's
/// `base/` and of `overlays/dev/` from the commit being deployed, with the
/// image tag and digest set, so that `../../base` resolves inside it and a
/// change reaches an environment only when a deployment (or promotion) of a
/// commit that has it does.
pub fn environment_dir(program: &Program, service: &Service, env: &Environment) -> String {
    format!(
        "{}/{}/{}",
        environments_root(program),
        env_name(env),
        k8s_name(service)
    )
}

/// `deploy/environments`: everything deployments commit, and nothing else.
pub fn environments_root(program: &Program) -> String {
    format!("{}/environments", manifests_root(program))
}

/// What a deployment records next to the environment tree: the commit, tag
/// and digest the environment runs (`commit=…` lines), read back by
/// promotions and by the guard against deploying an older commit.
pub const DEPLOYED_FILE: &str = "deployed.env";

/// The folder of an environment tree Argo CD renders:
/// `deploy/environments/dev/flask-api/overlays/dev`.
pub fn environment_overlay(program: &Program, service: &Service, env: &Environment) -> String {
    format!(
        "{}/overlays/{}",
        environment_dir(program, service, env),
        env_name(env)
    )
}

/// The Argo CD Application of a service in an environment: `flask-api-dev`
/// (also its file name under `deploy/argocd/`).
pub fn application_name(service: &Service, env: &Environment) -> String {
    format!("{}-{}", k8s_name(service), env_name(env))
}

/// The namespace Argo CD runs in and its Applications live in.
pub const ARGOCD_NAMESPACE: &str = "argocd";

/// `deploy/argocd`
pub fn argocd_dir(program: &Program) -> String {
    format!("{}/argocd", manifests_root(program))
}

/// `.github/workflows/flask-api.yml`
pub fn github_workflow(pipeline: &pipec_graph::Pipeline) -> String {
    format!(".github/workflows/{}.yml", pipeline.name.replace('_', "-"))
}

/// `.github/workflows/flask-api-deploy.yml`: promotions and rollbacks by hand.
pub fn github_deploy_workflow(pipeline: &pipec_graph::Pipeline) -> String {
    format!(
        ".github/workflows/{}-deploy.yml",
        pipeline.name.replace('_', "-")
    )
}

pub const GITLAB_CI: &str = ".gitlab-ci.yml";

/// The child pipeline of a pipeline, when a program has several: the
/// parent `.gitlab-ci.yml` starts each of them.
pub fn gitlab_child(p: &pipec_graph::Pipeline) -> String {
    format!(".gitlab/pipelines/{}.gitlab-ci.yml", p.name)
}
pub const PRE_COMMIT_CONFIG: &str = ".pre-commit-config.yaml";
