//! Names and paths that several targets must agree on: the Kubernetes names of
//! services, where overlays live (the GitOps job edits them, Argo CD reads
//! them), and where each target's files go.

use pipec_graph::{Environment, Program, Service};

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

/// `deploy/argocd`
pub fn argocd_dir(program: &Program) -> String {
    format!("{}/argocd", manifests_root(program))
}

/// `.github/workflows/flask-api.yml`
pub fn github_workflow(pipeline: &pipec_graph::Pipeline) -> String {
    format!(".github/workflows/{}.yml", pipeline.name.replace('_', "-"))
}

pub const GITLAB_CI: &str = ".gitlab-ci.yml";
pub const PRE_COMMIT_CONFIG: &str = ".pre-commit-config.yaml";
