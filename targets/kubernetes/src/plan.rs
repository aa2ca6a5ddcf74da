//! What each environment of a service gets, decided once from the program:
//! how many pods (a fixed count or autoscaler bounds), which resources and
//! configuration, the ingress host, and whether the PodDisruptionBudget stays.
//! Everything the program cannot express in Kubernetes is reported here, so
//! the writers in `base` and `overlay` never meet an impossible case.

use pipec_diagnostics::{Diagnostic, code};
use pipec_graph::{Autoscale, DeployMethod, Environment, Program, Resources, Service};

use crate::workload::{MIGRATE, SMOKE_TEST};
use crate::{COMPONENT_LABEL, NAME_LABEL};

/// How many pods an environment runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    /// Exactly this many (`replicas` of the environment, else of the service).
    Fixed(u32),
    /// A HorizontalPodAutoscaler decides, within these bounds.
    Auto(Autoscale),
}

impl Scale {
    /// The fewest pods the environment may run.
    pub fn floor(&self) -> u32 {
        match self {
            Scale::Fixed(n) => *n,
            Scale::Auto(a) => a.min,
        }
    }

    /// The most pods the environment may run.
    pub fn ceiling(&self) -> u32 {
        match self {
            Scale::Fixed(n) => *n,
            Scale::Auto(a) => a.max,
        }
    }
}

/// The PodDisruptionBudget of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// `min_available N`, as the program says.
    MinAvailable(u32),
    /// The default for a service that runs more than one pod somewhere:
    /// evictions take one pod at a time, and never block a node drain.
    MaxUnavailableOne,
}

/// One environment of a service.
pub struct EnvPlan<'p> {
    pub env: &'p Environment,
    pub scale: Scale,
    /// The environment autoscales a service that does not: its overlay adds
    /// the HorizontalPodAutoscaler.
    pub adds_autoscaler: bool,
    /// Resources the environment sets, field by field over the service's.
    pub resources: Option<Resources>,
    /// Configuration values the environment sets over the service's.
    pub config: &'p [(String, String)],
    /// The Ingress host here, when the service has an Ingress.
    pub ingress_host: Option<String>,
    /// Whether the PodDisruptionBudget stays in this environment; `min_available
    /// N` with at most N pods would block every node drain.
    pub keeps_budget: bool,
}

/// A service and its environments.
pub struct ServicePlan<'p> {
    pub service: &'p Service,
    pub name: String,
    /// The image as the cluster pulls it, without a tag.
    pub image: String,
    pub budget: Option<Budget>,
    /// Whether a ConfigMap is generated (the service or an environment has
    /// configuration values).
    pub config_map: bool,
    /// Whether Argo CD deploys it: its resources then carry sync waves and hooks.
    pub argocd: bool,
    pub envs: Vec<EnvPlan<'p>>,
}

impl ServicePlan<'_> {
    pub fn has_hooks(&self) -> bool {
        self.service.hooks.pre_sync.is_some() || self.service.hooks.post_sync.is_some()
    }
}

/// Plans a service, or reports why it cannot be deployed as written.
pub fn plan<'p>(
    program: &'p Program,
    service: &'p Service,
) -> Result<ServicePlan<'p>, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let name = pipec_emit::layout::k8s_name(service);
    let image = image_address(program, service, &mut diags);
    let argocd = service.method == DeployMethod::ArgoCd;
    if !argocd && (service.hooks.pre_sync.is_some() || service.hooks.post_sync.is_some()) {
        diags.push(
            Diagnostic::new(
                code::HOOKS_WITHOUT_ARGOCD,
                service.span,
                format!(
                    "`{}` has `migrate` or `smoke_test`, but is deployed with kubectl",
                    service.name
                ),
            )
            .secondary(
                service.deploy_span,
                "deployed with `kubectl apply`, which runs no hooks",
            )
            .label("hooks would never run")
            .help("deploy it `via argocd`, or run the command as a job of the pipeline"),
        );
    }
    selector_spares_hooks(service, &name, argocd, &mut diags);
    let mut envs = Vec::new();
    for id in &service.deploy {
        let env = program.environment(*id);
        if let Some(p) = env_plan(service, env, &mut diags) {
            envs.push(p);
        }
    }
    shared_names(service, &envs, &mut diags);
    if !diags.is_empty() {
        return Err(diags);
    }
    let budget = match service.min_available {
        // A CronJob's pods run to completion; evicting one fails the run,
        // which its retries repeat.
        _ if !service.is_deployment() => None,
        Some(n) => Some(Budget::MinAvailable(n)),
        None if envs.iter().any(|e| e.scale.ceiling() > 1) => Some(Budget::MaxUnavailableOne),
        None => None,
    };
    for e in &mut envs {
        e.keeps_budget = match budget {
            Some(Budget::MinAvailable(n)) => e.scale.floor() > n,
            Some(Budget::MaxUnavailableOne) => true,
            None => false,
        };
    }
    let config_map = !service.config.is_empty() || envs.iter().any(|e| !e.config.is_empty());
    Ok(ServicePlan {
        service,
        name,
        image: image.unwrap_or_default(),
        budget,
        config_map,
        argocd,
        envs,
    })
}

/// A `selector` must not match the pods of the hook Jobs: they carry the
/// service's name and their own component, and nothing else.
fn selector_spares_hooks(service: &Service, name: &str, argocd: bool, diags: &mut Vec<Diagnostic>) {
    let Some(labels) = &service.selector else {
        return;
    };
    let hooks = [
        (service.hooks.pre_sync.is_some(), MIGRATE, "migrate"),
        (service.hooks.post_sync.is_some(), SMOKE_TEST, "smoke_test"),
    ];
    for (present, role, statement) in hooks {
        let carried = |(k, v): &(String, String)| {
            (k == NAME_LABEL && v == name) || (k == COMPONENT_LABEL && v == role)
        };
        if !(present && argocd && labels.iter().all(carried)) {
            continue;
        }
        diags.push(
            Diagnostic::new(
                code::SELECTOR_SELECTS_HOOKS,
                service.selector_span.unwrap_or(service.span),
                format!(
                    "the selector of `{}` also selects the pods of its `{statement}` Job",
                    service.name
                ),
            )
            .label(format!(
                "the hook's pods carry {NAME_LABEL}: {name} and {COMPONENT_LABEL}: {role}"
            ))
            .help(format!(
                "add a label only the service's pods carry, such as `app: \"{name}\"`"
            )),
        );
        return;
    }
}

/// The published name of the service's image (its first publish rule).
fn image_address(
    program: &Program,
    service: &Service,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    // The checker guarantees a publish rule for every deployed image (E0304).
    let publish = program.publishes_of(service.image).next()?;
    let name = publish.image_name();
    if name.is_empty() {
        let image = program.image(service.image);
        diags.push(
            Diagnostic::new(
                code::IMAGE_WITHOUT_ADDRESS,
                publish.span,
                format!("image `{}` is published to GitLab's own registry, whose address only the pipeline knows", image.name),
            )
            .label("no address the manifests can name")
            .secondary(service.span, format!("`{}` runs this image", service.name))
            .help("publish to registry(\"registry.gitlab.com\", \"group/project\", username: …, password: …)"),
        );
        return None;
    }
    Some(name)
}

fn env_plan<'p>(
    service: &'p Service,
    env: &'p Environment,
    diags: &mut Vec<Diagnostic>,
) -> Option<EnvPlan<'p>> {
    if !service.is_deployment() {
        // An environment's size is its Deployments': a CronJob starts one
        // pod per run wherever it is deployed.
        return Some(EnvPlan {
            env,
            scale: Scale::Fixed(1),
            adds_autoscaler: false,
            resources: env.resources,
            config: &env.config,
            ingress_host: None,
            keeps_budget: false,
        });
    }
    let scale = match (env.autoscale, env.replicas, service.autoscale) {
        (Some(_), Some(_), _) => {
            diags.push(
                Diagnostic::new(
                    code::REPLICAS_WITH_AUTOSCALE,
                    env.span,
                    format!(
                        "environment `{}` sets both `replicas` and `autoscale`",
                        env.name
                    ),
                )
                .label("two sizes for one environment")
                .help("keep `autoscale { replicas MIN..MAX, … }`, or `replicas N` alone"),
            );
            return None;
        }
        (Some(a), None, _) => Scale::Auto(a),
        (None, Some(0), Some(_)) => {
            diags.push(
                Diagnostic::new(
                    code::AUTOSCALE_TO_ZERO,
                    env.span,
                    format!(
                        "environment `{}` runs `{}` with 0 replicas, but it autoscales",
                        env.name, service.name
                    ),
                )
                .label("replicas 0")
                .secondary(
                    service.span,
                    "autoscales; an autoscaler keeps at least one pod",
                )
                .help("give the environment at least one replica"),
            );
            return None;
        }
        // The environment's size is the floor the service's autoscaler keeps there.
        (None, Some(n), Some(a)) => Scale::Auto(Autoscale {
            min: n,
            max: a.max.max(n),
            ..a
        }),
        (None, None, Some(a)) => Scale::Auto(a),
        (None, n, None) => Scale::Fixed(n.unwrap_or(service.replicas)),
    };
    let effective = merge_resources(service.resources, env.resources);
    if let Scale::Auto(a) = scale {
        let missing = [
            (
                "CPU",
                a.cpu.is_some(),
                effective.and_then(|r| r.cpu).is_some(),
            ),
            (
                "memory",
                a.memory.is_some(),
                effective.and_then(|r| r.memory).is_some(),
            ),
        ];
        for (what, targeted, requested) in missing {
            if targeted && !requested {
                // Reported once for the service when its own autoscale is the
                // cause, once per environment when the environment's is.
                let (span, message) = if env.autoscale.is_some() {
                    (
                        env.span,
                        format!(
                            "`{}` autoscales on {what} in `{}` without a {what} request",
                            service.name, env.name
                        ),
                    )
                } else {
                    (
                        service.span,
                        format!(
                            "`{}` autoscales on {what} without a {what} request",
                            service.name
                        ),
                    )
                };
                if diags
                    .iter()
                    .any(|d| d.primary_span() == span && d.message == message)
                {
                    continue;
                }
                diags.push(
                    Diagnostic::new(code::AUTOSCALE_WITHOUT_REQUEST, span, message)
                        .label(format!("no {what} request to measure utilization against"))
                        .help(format!("declare `resources {{ {} REQUEST..LIMIT }}` in the service or the environment", what.to_ascii_lowercase())),
                );
            }
        }
    }
    let ingress_host = service.ingress.as_ref().map(|i| {
        env.url
            .as_deref()
            .and_then(url_host)
            .unwrap_or(&i.host)
            .to_string()
    });
    Some(EnvPlan {
        env,
        scale,
        adds_autoscaler: env.autoscale.is_some() && service.autoscale.is_none(),
        resources: env.resources,
        config: &env.config,
        ingress_host,
        keeps_budget: false,
    })
}

/// The service's resources with the environment's fields laid over them.
pub fn merge_resources(service: Option<Resources>, env: Option<Resources>) -> Option<Resources> {
    match (service, env) {
        (Some(s), Some(e)) => Some(Resources {
            cpu: e.cpu.or(s.cpu),
            memory: e.memory.or(s.memory),
        }),
        (s, e) => e.or(s),
    }
}

/// `https://dev.example.com:8443/app` → `dev.example.com`.
fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = host.split(':').next()?;
    (!host.is_empty()).then_some(host)
}

/// Two environments of one service must not share a namespace or an ingress host.
fn shared_names(service: &Service, envs: &[EnvPlan], diags: &mut Vec<Diagnostic>) {
    for (i, b) in envs.iter().enumerate() {
        let Some(a) = envs[..i]
            .iter()
            .find(|a| a.env.namespace == b.env.namespace)
        else {
            continue;
        };
        diags.push(
            Diagnostic::new(
                code::SHARED_NAMESPACE,
                b.env.span,
                format!(
                    "`{}` and `{}` both deploy `{}` into namespace `{}`",
                    a.env.name, b.env.name, service.name, b.env.namespace
                ),
            )
            .label("same namespace")
            .secondary(a.env.span, "first environment in this namespace")
            .help("give each environment its own namespace"),
        );
    }
    for (i, b) in envs.iter().enumerate() {
        let Some(host) = &b.ingress_host else {
            continue;
        };
        let Some(a) = envs[..i]
            .iter()
            .find(|a| a.ingress_host.as_ref() == Some(host))
        else {
            continue;
        };
        diags.push(
            Diagnostic::new(
                code::SHARED_INGRESS_HOST,
                b.env.span,
                format!(
                    "`{}` and `{}` would both serve `{}` on `{host}`",
                    a.env.name, b.env.name, service.name
                ),
            )
            .label("same ingress host")
            .secondary(a.env.span, "already serves it")
            .secondary(service.span, "the service's ingress")
            .help("give each environment its own `url \"https://…\"`: its host is the environment's ingress host"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_hosts() {
        assert_eq!(url_host("https://dev.example.com"), Some("dev.example.com"));
        assert_eq!(
            url_host("https://a.example.com:8443/x?y"),
            Some("a.example.com")
        );
        assert_eq!(url_host("https://u@b.example.com/"), Some("b.example.com"));
        assert_eq!(url_host("https:///x"), None);
    }
}
