//! The Application of one environment of a service: the environment tree its
//! deployments commit (`layout::environment_overlay`) on the branch they
//! commit to, synced into its namespace — automatically only when the
//! environment says so — with the notifications it subscribes to.

use pipec_emit::layout;
use pipec_emit::yaml::{Map, Yaml, map};
use pipec_graph::{Environment, GitOps, Program, Service};

use crate::{IN_CLUSTER, metadata, project};

/// `flask-api-dev`: also the file name, under `deploy/argocd/`.
pub fn name(service: &Service, env: &Environment) -> String {
    layout::application_name(service, env)
}

pub fn application(
    program: &Program,
    gitops: &GitOps,
    service: &Service,
    env: &Environment,
) -> Yaml {
    let mut meta = metadata(&name(service, env));
    if let Some(a) = notifications(env) {
        meta.insert("annotations", a);
    }
    let revision = gitops.branch_of(env);
    let mut spec = map([
        ("project", Yaml::from(project::name(service))),
        (
            "source",
            map([
                ("repoURL", Yaml::from(gitops.repo.as_str())),
                ("targetRevision", Yaml::from(revision)),
                (
                    "path",
                    Yaml::from(layout::environment_overlay(program, service, env)),
                ),
            ])
            .into(),
        ),
        (
            "destination",
            map([
                ("server", Yaml::from(IN_CLUSTER)),
                ("namespace", Yaml::from(env.namespace.as_str())),
            ])
            .into(),
        ),
        ("syncPolicy", Yaml::Map(sync_policy(env))),
    ]);
    if let Some(url) = &env.url {
        spec.insert(
            "info",
            vec![Yaml::Map(map([
                ("name", Yaml::from("URL")),
                ("value", Yaml::from(url.as_str())),
            ]))],
        );
    }
    map([
        ("apiVersion", Yaml::from("argoproj.io/v1alpha1")),
        ("kind", Yaml::from("Application")),
        ("metadata", Yaml::Map(meta)),
        ("spec", Yaml::Map(spec)),
    ])
    .into()
}

/// Automated sync only when the environment asks for it (by default: no
/// approvals and not production), pruning unless it says otherwise; never
/// `allowEmpty`. The namespace is created by Argo CD, before anything else,
/// with the `restricted` Pod Security Standard enforced, which the pods
/// pipec writes meet.
fn sync_policy(env: &Environment) -> Map {
    let mut policy = Map::new();
    let mut options = vec!["CreateNamespace=true"];
    if env.sync.automated {
        policy.insert(
            "automated",
            map([
                ("prune", Yaml::from(env.sync.prune)),
                ("selfHeal", Yaml::from(env.sync.self_heal)),
            ]),
        );
        if env.sync.prune {
            // Old objects go only once the new ones are healthy.
            options.push("PruneLast=true");
        }
    }
    policy.insert("syncOptions", options);
    policy.insert(
        "managedNamespaceMetadata",
        map([(
            "labels",
            map([(
                "pod-security.kubernetes.io/enforce",
                Yaml::from("restricted"),
            )])
            .into(),
        )]),
    );
    policy
}

/// `notifications.argoproj.io/subscribe.<trigger>.<service>: <recipients>`,
/// recipients of one trigger and service joined with `;`.
fn notifications(env: &Environment) -> Option<Yaml> {
    let mut subs: Vec<(String, Vec<&str>)> = Vec::new();
    for n in &env.notifications {
        let key = format!(
            "notifications.argoproj.io/subscribe.{}.{}",
            n.trigger,
            n.service.name()
        );
        match subs.iter_mut().find(|(k, _)| *k == key) {
            Some((_, r)) if r.contains(&n.recipient.as_str()) => {}
            Some((_, r)) => r.push(&n.recipient),
            None => subs.push((key, vec![&n.recipient])),
        }
    }
    if subs.is_empty() {
        return None;
    }
    let mut m = Map::new();
    for (k, r) in subs {
        m.insert(k, r.join(";"));
    }
    Some(m.into())
}
