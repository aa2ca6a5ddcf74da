//! The AppProject of a service: the one repository its Applications may read,
//! the namespaces of its environments as the only destinations, the only
//! cluster-scoped object it may create (those namespaces), and the kinds of
//! object its overlays contain.

use pipec_emit::layout;
use pipec_emit::yaml::{Yaml, map};
use pipec_graph::{GitOps, Program, Service, Strategy, Traffic};

use crate::{IN_CLUSTER, metadata};

/// The AppProject's name: the service's Kubernetes name.
pub fn name(service: &Service) -> String {
    layout::k8s_name(service)
}

pub fn project(program: &Program, gitops: &GitOps, service: &Service) -> Yaml {
    let namespaces: Vec<&str> = service
        .deploy
        .iter()
        .map(|id| program.environment(*id).namespace.as_str())
        .collect();
    let destinations: Vec<Yaml> = namespaces
        .iter()
        .map(|ns| {
            map([
                ("server", Yaml::from(IN_CLUSTER)),
                ("namespace", Yaml::from(*ns)),
            ])
            .into()
        })
        .collect();
    // CreateNamespace needs the Namespace kind allowed; each by its name only.
    let cluster: Vec<Yaml> = namespaces
        .iter()
        .map(|ns| {
            map([
                ("group", Yaml::from("")),
                ("kind", Yaml::from("Namespace")),
                ("name", Yaml::from(*ns)),
            ])
            .into()
        })
        .collect();
    let kinds: Vec<Yaml> = namespaced_kinds(program, service)
        .into_iter()
        .map(|(group, kind)| map([("group", Yaml::from(group)), ("kind", Yaml::from(kind))]).into())
        .collect();
    map([
        ("apiVersion", Yaml::from("argoproj.io/v1alpha1")),
        ("kind", Yaml::from("AppProject")),
        ("metadata", metadata(&name(service)).into()),
        (
            "spec",
            map([
                (
                    "description",
                    // Not the source file: its path depends on how pipec
                    // was called, and the file's header names it anyway.
                    Yaml::from(format!("Deployments of {}", service.name)),
                ),
                ("sourceRepos", source_repos(gitops, service).into()),
                ("destinations", Yaml::Seq(destinations)),
                ("clusterResourceWhitelist", Yaml::Seq(cluster)),
                ("namespaceResourceWhitelist", Yaml::Seq(kinds)),
            ])
            .into(),
        ),
    ])
    .into()
}

/// The GitOps repository, and the chart's repository for a service
/// deployed from a Helm chart.
fn source_repos<'a>(gitops: &'a GitOps, service: &'a Service) -> Vec<&'a str> {
    let mut repos = vec![gitops.repo.as_str()];
    if let Some(h) = &service.helm {
        repos.push(crate::application::chart_repo_url(&h.repo));
    }
    repos
}

/// (API group, kind) of every object the service's overlays can contain.
pub fn namespaced_kinds(program: &Program, service: &Service) -> Vec<(&'static str, &'static str)> {
    let mut kinds = vec![("", "ConfigMap")];
    // A worker has no Service; a CronJob is neither scaled nor disrupted
    // as a Deployment is.
    if service.serves_http() {
        kinds.push(("", "Service"));
    }
    kinds.push(("", "ServiceAccount"));
    if service.is_deployment() {
        kinds.push(("apps", "Deployment"));
    } else {
        kinds.push(("batch", "CronJob"));
    }
    let autoscales = service.autoscale.is_some()
        || service
            .deploy
            .iter()
            .any(|id| program.environment(*id).autoscale.is_some());
    if autoscales && service.is_deployment() {
        kinds.push(("autoscaling", "HorizontalPodAutoscaler"));
    }
    if service.hooks.pre_sync.is_some() || service.hooks.post_sync.is_some() {
        kinds.push(("batch", "Job"));
    }
    if service.ingress.is_some() {
        kinds.push(("networking.k8s.io", "Ingress"));
    }
    // A disruption budget only ever restricts evictions; it is allowed
    // whether or not an overlay keeps one.
    if service.is_deployment() {
        kinds.push(("policy", "PodDisruptionBudget"));
    }
    if !service.rollouts.is_empty() {
        kinds.push(("argoproj.io", "Rollout"));
    }
    // The object whose weights Argo Rollouts sets, for a canary that splits
    // the requests through a mesh or a Gateway.
    for (routed_by, group, kind) in [
        (Traffic::Istio, "networking.istio.io", "VirtualService"),
        (Traffic::Gateway, "gateway.networking.k8s.io", "HTTPRoute"),
    ] {
        if service
            .rollouts
            .iter()
            .any(|r| matches!(r.strategy, Strategy::Canary { traffic, .. } if traffic == routed_by))
        {
            kinds.push((group, kind));
        }
    }
    if service.rollouts.iter().any(|r| r.analysis.is_some()) {
        kinds.push(("argoproj.io", "AnalysisTemplate"));
    }
    if service.is_monitored() {
        kinds.push(("monitoring.coreos.com", "ServiceMonitor"));
    }
    if service.alerts.is_some() {
        kinds.push(("monitoring.coreos.com", "PrometheusRule"));
    }
    kinds
}
