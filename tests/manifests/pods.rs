//! What a service's rendered objects must carry of its pod statements: the
//! selector, registry credentials, volumes and their mounts, probe timeouts,
//! and the Service's type, port and affinity.

use pipec_graph::{Service, VolumeKind};
use serde_json::{Value, json};

use super::{id, is_hashed};

/// The selector the program gives, or the generated one.
fn expected_selector(s: &Service) -> Value {
    let name = pipec_emit::layout::k8s_name(s);
    match &s.selector {
        Some(labels) => labels
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        None => json!({
            "app.kubernetes.io/name": name,
            "app.kubernetes.io/component": if s.serves_http() { "server" } else { "worker" },
        }),
    }
}

/// Checks the rendered objects of one environment against the service.
pub fn expect_service_shape(s: &Service, docs: &[Value]) {
    let find = |kind: &str| docs.iter().find(|d| d["kind"] == kind);
    let selector = expected_selector(s);
    let deployment = docs
        .iter()
        .find(|d| super::is_workload(d))
        .expect("Deployment, Rollout or CronJob");
    let who = format!("{} {}", s.name, id(deployment));
    if s.is_deployment() {
        assert_eq!(
            deployment["spec"]["selector"]["matchLabels"], selector,
            "{who}: the selector"
        );
        let pod_labels = &deployment["spec"]["template"]["metadata"]["labels"];
        for (k, v) in selector.as_object().expect("labels") {
            assert_eq!(&pod_labels[k], v, "{who}: the pods lack the selector's {k}");
        }
    }
    // A worker or a CronJob serves no port: no Service, no Ingress.
    if !s.serves_http() {
        assert!(find("Service").is_none(), "{who}: a Service without a port");
        assert!(
            find("Ingress").is_none(),
            "{who}: an Ingress without a port"
        );
    }
    let service = find("Service");
    if let Some(service) = service {
        expect_kubernetes_service(s, service, &selector);
    }
    expect_pods(s, docs, deployment, &selector);
}

/// The Kubernetes Service of an HTTP service.
fn expect_kubernetes_service(s: &Service, service: &Value, selector: &Value) {
    assert_eq!(service["spec"]["selector"], *selector, "{}", id(service));
    assert_eq!(
        service["spec"]["type"],
        s.expose.kind.kubernetes(),
        "{}",
        id(service)
    );
    assert_eq!(service["spec"]["ports"][0]["port"], s.expose.port);
    match s.expose.affinity {
        Some(d) => {
            assert_eq!(service["spec"]["sessionAffinity"], "ClientIP");
            assert_eq!(
                service["spec"]["sessionAffinityConfig"]["clientIP"]["timeoutSeconds"],
                d.seconds
            );
        }
        None => assert!(service["spec"].get("sessionAffinity").is_none()),
    }
}

/// The pods' disruption budget, spread, probes, credentials and volumes.
fn expect_pods(s: &Service, docs: &[Value], deployment: &Value, selector: &Value) {
    let name = pipec_emit::layout::k8s_name(s);
    let find = |kind: &str| docs.iter().find(|d| d["kind"] == kind);
    let who = format!("{} {}", s.name, id(deployment));
    let selector = selector.clone();
    if let Some(pdb) = find("PodDisruptionBudget") {
        assert_eq!(pdb["spec"]["selector"]["matchLabels"], selector);
    }
    let spread = &deployment["spec"]["template"]["spec"]["topologySpreadConstraints"];
    for c in spread.as_array().into_iter().flatten() {
        assert_eq!(c["labelSelector"]["matchLabels"], selector, "{who}");
    }

    let probes = [
        ("livenessProbe", &s.probes.liveness),
        ("readinessProbe", &s.probes.readiness),
        ("startupProbe", &s.probes.startup),
    ];
    let container = &super::template(deployment)["spec"]["containers"][0];
    for (key, probe) in probes {
        if let Some(p) = probe {
            assert_eq!(
                container[key]["timeoutSeconds"], p.timeout.seconds,
                "{who} {key}"
            );
        }
    }

    for pod in docs
        .iter()
        .filter(|d| super::is_workload(d) || d["kind"] == "Job")
    {
        let who = format!("{} {}", s.name, id(pod));
        let hook = pod["kind"] == "Job";
        let spec = &super::template(pod)["spec"];
        let secrets: Vec<&str> = spec["imagePullSecrets"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|x| x["name"].as_str().expect("name"))
            .collect();
        assert_eq!(secrets, s.pull_secrets, "{who}: imagePullSecrets");
        // Hook pods do not carry the service's selector.
        let labels = &super::template(pod)["metadata"]["labels"];
        if hook {
            let all = selector
                .as_object()
                .expect("labels")
                .iter()
                .all(|(k, v)| &labels[k] == v);
            assert!(!all, "{who}: a hook pod matches the service's selector");
        }
        let mounts = spec["containers"][0]["volumeMounts"]
            .as_array()
            .expect("volumeMounts");
        let volumes = spec["volumes"].as_array().expect("volumes");
        let mount_at = |path: &str| mounts.iter().find(|m| m["mountPath"] == path);
        let volume_named = |n: &Value| volumes.iter().find(|v| &v["name"] == n);
        // `/tmp` is always writable.
        let tmp = mount_at("/tmp").unwrap_or_else(|| panic!("{who}: no /tmp"));
        let tmp_volume = volume_named(&tmp["name"]).expect("the /tmp volume");
        assert!(tmp_volume["emptyDir"].is_object(), "{who}: /tmp");
        assert_eq!(mounts.len(), volumes.len(), "{who}: a volume without mount");
        for v in &s.volumes {
            let m = mount_at(&v.mount).unwrap_or_else(|| panic!("{who}: {} missing", v.mount));
            let vol = volume_named(&m["name"]).expect("volume");
            match &v.kind {
                VolumeKind::Scratch { size } => {
                    assert!(m.get("readOnly").is_none(), "{who}: {}", v.mount);
                    let expected = size.map_or(Value::Null, |s| s.to_string().into());
                    assert_eq!(vol["emptyDir"]["sizeLimit"], expected, "{who}");
                }
                VolumeKind::Files(files) => {
                    assert_eq!(m["readOnly"], true, "{who}: {}", v.mount);
                    let cm = vol["configMap"]["name"].as_str().expect("configMap");
                    let prefix = format!("{name}-{}", v.name.replace('_', "-"));
                    if hook {
                        assert_eq!(cm, format!("{prefix}-hooks"), "{who}");
                    } else {
                        assert!(is_hashed(cm, &prefix), "{who}: {cm}");
                    }
                    let doc = docs
                        .iter()
                        .find(|d| d["kind"] == "ConfigMap" && d["metadata"]["name"] == cm)
                        .unwrap_or_else(|| panic!("{who}: no ConfigMap {cm}"));
                    for (file, content) in files {
                        assert_eq!(doc["data"][file], content.as_str(), "{who} {cm}");
                    }
                }
            }
        }
    }
}
