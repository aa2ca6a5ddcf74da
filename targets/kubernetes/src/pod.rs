//! What every pod of a service shares besides its container: the labels the
//! service's selectors match, registry credentials, and the volumes — the
//! writable `/tmp`, the program's writable directories and its read-only
//! files, each file volume a ConfigMap generated beside the service's own.

use pipec_emit::yaml::{Map, Yaml, map};
use pipec_graph::{Volume, VolumeKind};

use crate::plan::ServicePlan;
use crate::{COMPONENT_LABEL, NAME_LABEL, argo_annotations, hook_annotations, literals};

/// The component label of the service's own pods (hook Jobs have theirs, so
/// that no selector of the service ever matches a hook pod).
pub const SERVER: &str = "server";
/// The component label of a worker's pods.
pub const WORKER: &str = "worker";

/// The name and path of the writable `/tmp` every pod gets, unless the program
/// mounts a volume there itself.
const TMP: (&str, &str) = ("tmp", "/tmp");

/// The suffix of the copies the hook Jobs read of the service's ConfigMaps.
/// They are themselves PreSync hooks, so they exist before the migration
/// runs, even on the first sync (when the hashed ConfigMaps do not yet).
pub const HOOK_COPY: &str = "hooks";

/// The labels the service's selectors match: the program's `selector`, or
/// the service's name and the server component. Selectors cannot change once
/// a Deployment exists, so the generated ones depend on nothing but the
/// service's name.
pub fn selector(plan: &ServicePlan) -> Map {
    match &plan.service.selector {
        Some(labels) => map(labels
            .iter()
            .map(|(k, v)| (k.as_str(), Yaml::from(v.as_str())))),
        None => default_labels(plan),
    }
}

fn default_labels(plan: &ServicePlan) -> Map {
    let component = if plan.service.serves_http() {
        SERVER
    } else {
        WORKER
    };
    map([
        (NAME_LABEL, Yaml::from(plan.name.as_str())),
        (COMPONENT_LABEL, Yaml::from(component)),
    ])
}

/// The labels of the service's own pods: the generated ones and the
/// selector's, so that both the program's selector and tools that look for
/// the standard labels find them.
pub fn pod_labels(plan: &ServicePlan) -> Map {
    let mut labels = default_labels(plan);
    if let Some(own) = &plan.service.selector {
        for (k, v) in own {
            labels.insert(k.as_str(), v.as_str());
        }
    }
    labels
}

/// `imagePullSecrets` of a pod, when the program names registry credentials.
pub fn pull_secrets(plan: &ServicePlan, pod: &mut Map) {
    let secrets = &plan.service.pull_secrets;
    if !secrets.is_empty() {
        let list: Vec<Yaml> = secrets
            .iter()
            .map(|s| map([("name", Yaml::from(s.as_str()))]).into())
            .collect();
        pod.insert("imagePullSecrets", list);
    }
}

/// The Kubernetes name of a volume: `app_logs` → `app-logs`.
fn volume_name(v: &Volume) -> String {
    v.name.replace('_', "-")
}

/// The ConfigMap holding a file volume's files: `<service>-<volume>`.
pub fn files_config_map(plan: &ServicePlan, v: &Volume) -> String {
    format!("{}-{}", plan.name, volume_name(v))
}

fn replaces_tmp(plan: &ServicePlan) -> bool {
    plan.service.volumes.iter().any(|v| v.mount == TMP.1)
}

/// `volumeMounts` of a container: `/tmp`, then the program's volumes.
pub fn mounts(plan: &ServicePlan) -> Yaml {
    let mut out = Vec::new();
    if !replaces_tmp(plan) {
        out.push(Yaml::Map(map([
            ("name", Yaml::from(TMP.0)),
            ("mountPath", Yaml::from(TMP.1)),
        ])));
    }
    for v in &plan.service.volumes {
        let mut m = map([
            ("name", Yaml::from(volume_name(v))),
            ("mountPath", Yaml::from(v.mount.as_str())),
        ]);
        if matches!(v.kind, VolumeKind::Files(_)) {
            m.insert("readOnly", true);
        }
        out.push(m.into());
    }
    Yaml::Seq(out)
}

/// `volumes` of a pod. `hook` pods read the hook copies of file volumes.
pub fn volumes(plan: &ServicePlan, hook: bool) -> Yaml {
    let mut out = Vec::new();
    if !replaces_tmp(plan) {
        out.push(Yaml::Map(map([
            ("name", Yaml::from(TMP.0)),
            ("emptyDir", Map::new().into()),
        ])));
    }
    for v in &plan.service.volumes {
        let source = match &v.kind {
            VolumeKind::Scratch { size } => {
                let mut dir = Map::new();
                dir.insert_opt("sizeLimit", size.map(|s| s.to_string()));
                ("emptyDir", Yaml::Map(dir))
            }
            VolumeKind::Files(_) => {
                let mut name = files_config_map(plan, v);
                if hook {
                    name = format!("{name}-{HOOK_COPY}");
                }
                ("configMap", map([("name", Yaml::from(name))]).into())
            }
        };
        out.push(Yaml::Map(map([
            ("name", Yaml::from(volume_name(v))),
            source,
        ])));
    }
    Yaml::Seq(out)
}

/// `configMapGenerator` entries of the file volumes: each one's ConfigMap,
/// whose name carries a hash of the files (a change rolls the pods), and,
/// for services with hooks, its fixed-name copy for the hook Jobs.
pub fn file_generators(plan: &ServicePlan) -> Vec<Yaml> {
    let mut out = Vec::new();
    for v in &plan.service.volumes {
        let VolumeKind::Files(files) = &v.kind else {
            continue;
        };
        let name = files_config_map(plan, v);
        let mut g = map([
            ("name", Yaml::from(name.as_str())),
            ("literals", literals(files)),
        ]);
        if let Some(a) = argo_annotations(plan, -1) {
            g.insert("options", map([("annotations", a)]));
        }
        out.push(g.into());
        if plan.has_hooks() {
            out.push(hook_copy(&format!("{name}-{HOOK_COPY}"), files));
        }
    }
    out
}

/// A ConfigMap the hook Jobs read: a PreSync hook itself, recreated by every
/// sync, so one fixed name.
pub fn hook_copy(name: &str, values: &[(String, String)]) -> Yaml {
    map([
        ("name", Yaml::from(name)),
        ("literals", literals(values)),
        (
            "options",
            map([
                ("disableNameSuffixHash", Yaml::from(true)),
                ("annotations", hook_annotations("PreSync", Some(-1))),
            ])
            .into(),
        ),
    ])
    .into()
}
