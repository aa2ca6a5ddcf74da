//! Facts of cluster manifests: Argo CD Applications and AppProjects, and
//! Kubernetes workloads (probes, limits, user, rollout strategy) and Secrets.

use pipec_diagnostics::SourceId;
use pipec_graph::Tier;

use super::{ArgoApp, ArgoProject, Container, Facts, Plaintext, Workload};
use crate::config::Config;
use crate::loc::Loc;
use crate::rule::Input;
use crate::yaml::{Document, Node, YamlPath};

const WORKLOADS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "Pod",
];

/// What a manifest document is.
pub fn kind_of(doc: &Document) -> Option<Input> {
    let kind = doc.root.get("kind").and_then(Node::text)?;
    let api = doc
        .root
        .get("apiVersion")
        .and_then(Node::text)
        .unwrap_or("");
    if api.starts_with("argoproj.io/") && matches!(kind, "Application" | "AppProject") {
        Some(Input::ArgoCd)
    } else if WORKLOADS.contains(&kind) || kind == "Secret" {
        Some(Input::Kubernetes)
    } else {
        None
    }
}

/// Adds the facts of one manifest document.
pub fn extract(file: SourceId, doc: &Document, config: &Config, facts: &mut Facts) {
    let root = &doc.root;
    let at = |p: YamlPath| Loc::yaml(file, doc.index, p);
    let top = YamlPath::root();
    let kind = root.get("kind").and_then(Node::text).unwrap_or("");
    let name = root
        .at(&["metadata", "name"])
        .and_then(Node::text)
        .unwrap_or("<unnamed>")
        .to_string();
    let name_loc = if root.at(&["metadata", "name"]).is_some() {
        at(top.key("metadata").key("name"))
    } else {
        at(top.key("kind"))
    };
    match kind {
        "Application" => {
            let spec = top.key("spec");
            let source = root
                .at(&["spec", "source"])
                .map(|_| spec.key("source"))
                .or_else(|| {
                    root.at(&["spec", "sources"])
                        .map(|_| spec.key("sources").index(0))
                });
            let source_node = source.as_ref().and_then(|p| p.find(root)).map(|(n, _)| n);
            let path = source_node
                .and_then(|s| s.get("path"))
                .and_then(Node::text)
                .unwrap_or("");
            let ns = root
                .at(&["spec", "destination", "namespace"])
                .and_then(Node::text)
                .unwrap_or("");
            // The most specific name first: the overlay folder, the
            // Application's name, then the namespace.
            let tier = [path.rsplit('/').next().unwrap_or(""), &name, ns]
                .iter()
                .map(|n| config.tier(n))
                .find(|t| *t != Tier::Other)
                .unwrap_or(Tier::Other);
            let automated = root.at(&["spec", "syncPolicy", "automated"]);
            facts.apps.push(ArgoApp {
                input: Input::ArgoCd,
                name: name.clone(),
                loc: name_loc,
                tier,
                project: match root.at(&["spec", "project"]).and_then(Node::text) {
                    Some(p) => Some((p.to_string(), at(spec.key("project")))),
                    None => Some(("default".into(), at(top.key("spec")).key())),
                },
                automated: automated
                    .filter(|a| a.as_bool() != Some(false))
                    .map(|_| at(spec.key("syncPolicy").key("automated")).key()),
                allow_empty: automated
                    .and_then(|a| a.get("allowEmpty"))
                    .and_then(Node::as_bool)
                    .filter(|b| *b)
                    .map(|_| at(spec.key("syncPolicy").key("automated").key("allowEmpty"))),
                revision: source.as_ref().and_then(|p| {
                    let rev = source_node?.get("targetRevision")?.as_str()?;
                    Some((rev.to_string(), at(p.key("targetRevision"))))
                }),
            });
        }
        "AppProject" => {
            let spec = top.key("spec");
            let mut wildcards = Vec::new();
            for (i, r) in root
                .at(&["spec", "sourceRepos"])
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                if r.text() == Some("*") {
                    wildcards.push((
                        "source repository".to_string(),
                        at(spec.key("sourceRepos").index(i)),
                    ));
                }
            }
            for (i, d) in root
                .at(&["spec", "destinations"])
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                for field in ["server", "namespace", "name"] {
                    if d.get(field).and_then(Node::text) == Some("*") {
                        wildcards.push((
                            format!("destination {field}"),
                            at(spec.key("destinations").index(i).key(field)),
                        ));
                    }
                }
            }
            facts.projects.push(ArgoProject {
                name,
                loc: name_loc,
                wildcards,
            });
        }
        "Secret" => {
            for key in ["data", "stringData"] {
                if root.get(key).is_some_and(|d| !d.entries().is_empty()) {
                    facts.plaintext.push(Plaintext {
                        input: Input::Kubernetes,
                        what: format!("Secret `{name}` has its values in the manifest (`{key}`)"),
                        loc: at(top.key(key)).key(),
                    });
                }
            }
        }
        k if WORKLOADS.contains(&k) => workload(file, doc, k, name, name_loc, facts),
        _ => {}
    }
}

fn workload(file: SourceId, doc: &Document, kind: &str, name: String, loc: Loc, facts: &mut Facts) {
    let root = &doc.root;
    let at = |p: &YamlPath| Loc::yaml(file, doc.index, p.clone());
    let top = YamlPath::root();
    let pod_path = match kind {
        "Pod" => top.key("spec"),
        "CronJob" => top
            .key("spec")
            .key("jobTemplate")
            .key("spec")
            .key("template")
            .key("spec"),
        _ => top.key("spec").key("template").key("spec"),
    };
    let Some((pod, _)) = pod_path.find(root) else {
        return;
    };
    let non_root = |sc: Option<&Node>| -> Option<bool> {
        let sc = sc?;
        if sc.get("runAsNonRoot").and_then(Node::as_bool) == Some(true) {
            return Some(true);
        }
        match sc.get("runAsUser").and_then(Node::as_str) {
            Some("0") => Some(false),
            Some(_) => Some(true),
            None => sc.get("runAsNonRoot").and_then(Node::as_bool),
        }
    };
    let pod_sc = pod.get("securityContext");
    let pod_non_root = non_root(pod_sc) == Some(true);
    let pod_root = (non_root(pod_sc) == Some(false)).then(|| at(&pod_path.key("securityContext")));
    let mut containers = Vec::new();
    for (key, init) in [("initContainers", true), ("containers", false)] {
        for (i, c) in pod
            .get(key)
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let cp = pod_path.key(key).index(i);
            let limits = c.at(&["resources", "limits"]);
            let sc = c.get("securityContext");
            containers.push(Container {
                name: c.get("name").and_then(Node::text).unwrap_or("").to_string(),
                loc: if c.get("name").is_some() {
                    at(&cp.key("name"))
                } else {
                    at(&cp)
                },
                init,
                liveness: c.get("livenessProbe").is_some(),
                readiness: c.get("readinessProbe").is_some(),
                cpu_limit: limits.and_then(|l| l.get("cpu")).is_some(),
                memory_limit: limits.and_then(|l| l.get("memory")).is_some(),
                non_root: non_root(sc),
                root_loc: (non_root(sc) == Some(false)).then(|| at(&cp.key("securityContext"))),
            });
        }
    }
    let serving = matches!(kind, "Deployment" | "StatefulSet" | "DaemonSet");
    let strategy = root.at(&["spec", "strategy"]);
    let (zero_downtime, strategy_loc) = match kind {
        "Deployment" => {
            let kind = strategy
                .and_then(|s| s.get("type"))
                .and_then(Node::text)
                .unwrap_or("RollingUpdate");
            let unavailable = strategy
                .and_then(|s| s.at(&["rollingUpdate", "maxUnavailable"]))
                .and_then(Node::text);
            let ok = kind == "RollingUpdate" && matches!(unavailable, Some("0" | "0%"));
            let loc = match (strategy, unavailable) {
                (Some(_), Some(_)) => at(&top
                    .key("spec")
                    .key("strategy")
                    .key("rollingUpdate")
                    .key("maxUnavailable")),
                (Some(_), None) => at(&top.key("spec").key("strategy")).key(),
                (None, _) => loc.clone(),
            };
            (ok, Some(loc))
        }
        _ => (true, None),
    };
    facts.workloads.push(Workload {
        input: Input::Kubernetes,
        kind: kind.to_string(),
        name,
        loc,
        serving,
        containers,
        pod_non_root,
        pod_root,
        zero_downtime,
        strategy_loc,
    });
}
