//! Facts of cluster manifests: Argo CD Applications and AppProjects, and
//! Kubernetes workloads (probes, limits, user, rollout strategy) and Secrets;
//! Argo Rollouts objects are read in [`super::rollouts`].

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
    } else if WORKLOADS.contains(&kind)
        || kind == "Secret"
        || (api.starts_with("argoproj.io/") && super::rollouts::KINDS.contains(&kind))
    {
        Some(Input::Kubernetes)
    } else {
        None
    }
}

/// Adds the facts of one manifest document.
pub fn extract(file: SourceId, doc: &Document, config: &Config, facts: &mut Facts) {
    let root = &doc.root;
    let at = |p: YamlPath| Loc::yaml(file, doc, p);
    let top = YamlPath::root();
    let kind = root.get("kind").and_then(Node::text).unwrap_or("");
    if super::rollouts::KINDS.contains(&kind) {
        // `kind_of` took only the argoproj.io ones.
        super::rollouts::extract(file, doc, config, facts);
        return;
    }
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
                let values: Vec<String> = root
                    .get(key)
                    .map(Node::entries)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|e| e.value.text())
                    .map(|v| {
                        if key == "data" {
                            decode_base64(v)
                        } else {
                            v.to_string()
                        }
                    })
                    .collect();
                if values.iter().any(|v| !example_value(v)) {
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
    let at = |p: &YamlPath| Loc::yaml(file, doc, p.clone());
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
    if is_partial(kind, root, pod) {
        return;
    }
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
    // Pods labelled as a worker's (as pipec labels a `worker`'s, which says
    // in its program how it is probed) answer no requests: nothing routes to
    // them by readiness.
    let worker = root
        .at(&[
            "spec",
            "template",
            "metadata",
            "labels",
            "app.kubernetes.io/component",
        ])
        .and_then(Node::text)
        == Some("worker");
    let serving = matches!(kind, "Deployment" | "StatefulSet" | "DaemonSet") && !worker;
    let strategy = root.at(&["spec", "strategy"]);
    let (zero_downtime, strategy_loc) = match kind {
        "Deployment" => {
            let kind = strategy
                .and_then(|s| s.get("type"))
                .and_then(Node::text)
                .unwrap_or("RollingUpdate");
            let unavailable_node =
                strategy.and_then(|s| s.at(&["rollingUpdate", "maxUnavailable"]));
            let surge_node = strategy.and_then(|s| s.at(&["rollingUpdate", "maxSurge"]));
            let replicas = match root.at(&["spec", "replicas"]) {
                None => Some(1),
                Some(r) => r.text().and_then(|t| t.parse::<u64>().ok()),
            };
            let ok = kind == "RollingUpdate"
                && rollout_keeps_serving(
                    replicas,
                    unavailable_node.map_or(Some("25%"), Node::text),
                    surge_node.map_or(Some("25%"), Node::text),
                );
            let loc = match (strategy, unavailable_node) {
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

/// A workload that is only part of an object — a Kustomize patch, which
/// names the object and the fields it changes. Rules about whole workloads
/// (probes, limits, users, rollouts) are for what the kustomization renders,
/// not for its patches: an apps/v1 controller without a selector, or a pod
/// whose containers name no image, cannot be applied as it is.
fn is_partial(kind: &str, root: &Node, pod: &Node) -> bool {
    let needs_selector = matches!(
        kind,
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet"
    );
    let no_selector = needs_selector && root.at(&["spec", "selector"]).is_none();
    let containers = pod.get("containers").map(Node::items).unwrap_or_default();
    let no_image = containers.is_empty() || containers.iter().all(|c| c.get("image").is_none());
    no_selector || no_image
}

/// Whether a rolling update keeps every pod serving, with Kubernetes' own
/// arithmetic: a percentage of `maxUnavailable` rounds down and one of
/// `maxSurge` rounds up (of the replicas, 1 when unset), and when both come
/// to 0 the controller takes one pod down anyway. So the default 25%/25%
/// keeps every pod serving below 4 replicas. Values it cannot read (a
/// variable, a replica count set elsewhere) are given the benefit of the
/// doubt only when they cannot matter.
fn rollout_keeps_serving(
    replicas: Option<u64>,
    unavailable: Option<&str>,
    surge: Option<&str>,
) -> bool {
    let resolve = |v: Option<&str>, up: bool| -> Option<u64> {
        let v = v?.trim();
        match v.strip_suffix('%') {
            Some(p) => {
                let p: u64 = p.trim().parse().ok()?;
                let r = replicas?;
                Some(if up {
                    (r * p).div_ceil(100)
                } else {
                    r * p / 100
                })
            }
            None => v.parse().ok(),
        }
    };
    let unavailable = match unavailable.map(str::trim) {
        Some("0" | "0%") => Some(0),
        u => resolve(u, false),
    };
    let surge = resolve(surge, true);
    match (unavailable, surge) {
        (Some(0), Some(s)) => s > 0,
        // The surge cannot be read: it is not 0 unless written so.
        (Some(0), None) => true,
        _ => false,
    }
}

/// Values that are no credential: empty or short, one character repeated,
/// a URL without a user or password, or words of examples and tests.
fn example_value(v: &str) -> bool {
    let v = v.trim();
    let lower = v.to_ascii_lowercase();
    let mut chars = v.chars();
    let first = chars.next();
    v.len() < 6
        || chars.all(|c| Some(c) == first)
        || ((lower.starts_with("http://") || lower.starts_with("https://")) && !v.contains('@'))
        || [
            "example",
            "changeme",
            "change-me",
            "dummy",
            "test",
            "sample",
            "placeholder",
            "password",
            "secret",
        ]
        .iter()
        .any(|w| {
            lower == *w
                || lower.starts_with(&format!("{w}-"))
                || lower.starts_with(&format!("{w}_"))
        })
}

/// The text of a base64 value (what the manifest means), or the value as it
/// is when it is not base64.
fn decode_base64(v: &str) -> String {
    let mut bits: u32 = 0;
    let mut n = 0;
    let mut out = Vec::new();
    for c in v.trim().bytes() {
        let d = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' | b'\n' | b'\r' | b' ' => continue,
            _ => return v.to_string(),
        };
        bits = (bits << 6) | u32::from(d);
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| v.to_string())
}
