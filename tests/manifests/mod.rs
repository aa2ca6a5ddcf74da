//! Helpers for the Kustomize and Argo CD tests: small programs checked from
//! memory, the targets' diagnostics, rendered overlays read back as JSON.

#![allow(dead_code)]

pub mod pods;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pipec_check::{MemoryFs, check};
use pipec_diagnostics::Diagnostic;
use pipec_graph::Program;
use serde_json::Value;

/// A program with one service deployed to dev and prod via Argo CD; tests
/// replace parts of it to reach each case.
pub const APP: &str = r#"use std.docker

pipeline app {
  on push to [main]
  image app = docker.build()
  publish app to ghcr("acme/app") {
    when branch main
    tags [sha]
  }
}

environment dev {
  namespace "app-dev"
  deploy on branch main
  url "https://dev.app.example.com"
}

environment prod {
  namespace "app-prod"
  promote from dev, approvals 2
  tier production
  url "https://app.example.com"
}

service app {
  image app
  port 8000
  probes { live "/health", ready "/ready" }
  resources { cpu 100m..200m, memory 64Mi..128Mi }
  deploy to [dev, prod] via argocd
}

gitops { repo "https://github.com/acme/deploy.git" }
"#;

/// [`APP`] with each `(from, to)` replacement made once; panics when `from`
/// is not there, so a test cannot silently test the unchanged program.
pub fn app_with(edits: &[(&str, &str)]) -> String {
    let mut src = APP.to_string();
    for (from, to) in edits {
        assert!(src.contains(from), "`{from}` is not in the test program");
        src = src.replacen(from, to, 1);
    }
    src
}

/// Checks a one-file program held in memory; panics on checker errors.
pub fn program(src: &str) -> (Program, pipec_diagnostics::SourceMap) {
    let mut files = BTreeMap::new();
    files.insert(PathBuf::from("app.pipe"), src.to_string());
    let checked = check(Path::new("app.pipe"), &MemoryFs(files)).expect("in memory");
    match checked.program {
        Some(p) => (p, checked.sources),
        None => panic!(
            "the test program has errors:\n{}",
            pipec_diagnostics::render::human(
                &checked.diagnostics,
                &checked.sources,
                Default::default()
            )
        ),
    }
}

/// The diagnostics of one target on a program, as (code, the source text of
/// the primary span).
pub fn target_errors(src: &str, target: &str) -> Vec<(String, String)> {
    let (p, sources) = program(src);
    match pipec::emit(&p, &[target]) {
        Ok(_) => Vec::new(),
        Err(diags) => diags
            .iter()
            .map(|d: &Diagnostic| {
                let span = d.primary_span();
                let text = sources.get(span.source).text[span.start as usize..span.end as usize]
                    .to_string();
                (d.code.to_string(), text)
            })
            .collect(),
    }
}

/// `kubectl kustomize DIR`, which must succeed.
pub fn kustomize(kubectl: &Path, dir: &Path) -> String {
    let out = pipec_tests::run(kubectl, &["kustomize", &dir.to_string_lossy()], dir);
    assert!(
        out.status.success(),
        "kubectl kustomize {} failed:\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// The documents of a multi-document YAML stream.
pub fn documents(text: &str) -> Vec<Value> {
    let mut docs = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        if line == "---" {
            docs.push(std::mem::take(&mut current));
        } else {
            current.push_str(line);
            current.push('\n');
        }
    }
    docs.push(current);
    docs.into_iter()
        .filter(|d| !d.trim().is_empty())
        .map(|d| yaml_serde::from_str(&d).unwrap_or_else(|e| panic!("{e}:\n{d}")))
        .collect()
}

/// Whether a document is a custom resource of Argo Rollouts or the
/// Prometheus operator, which the Kubernetes schemas do not know.
pub fn is_custom(doc: &Value) -> bool {
    let api = doc["apiVersion"].as_str().unwrap_or("");
    api.starts_with("argoproj.io/")
        || api.starts_with("monitoring.coreos.com/")
        || api.starts_with("gateway.networking.k8s.io/")
}

/// The document of `kind` named `name`; panics when there is none.
pub fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind}/{name}"))
}

/// Writes `docs` to `path` as one YAML stream; returns how many.
pub fn write_stream(path: &Path, docs: &[&Value]) -> usize {
    let body: Vec<String> = docs
        .iter()
        .map(|d| yaml_serde::to_string(d).expect("yaml"))
        .collect();
    std::fs::write(path, body.join("---\n")).expect("write");
    docs.len()
}

/// Validates rendered documents as the tests of progressive delivery do: the
/// custom resources ([`is_custom`]) against the pinned models
/// (`crd-validate`), the others against the Kubernetes schemas in strict
/// mode (`kubernetes-validate`), except the kinds in `unmodelled` (no model
/// is pinned for them). Every document must be checked and pass. Returns
/// what `crd-validate` printed; `None` without the tools.
pub fn validate_rendered(dir: &Path, docs: &[Value], unmodelled: &[&str]) -> Option<String> {
    let (Some(crds), Some(k8s)) = (
        pipec_tests::tool("crd-validate"),
        pipec_tests::tool("kubernetes-validate"),
    ) else {
        return None;
    };
    let write = |file: &str, docs: &[&Value]| write_stream(&dir.join(file), docs);
    let custom: Vec<&Value> = docs.iter().filter(|d| is_custom(d)).collect();
    let n = write("custom.yaml", &custom);
    let res = pipec_tests::run(&crds, &["custom.yaml"], dir);
    let crd_out = pipec_tests::text(&res);
    assert!(
        res.status.success() && crd_out.contains(&format!("checked {n} document(s)")),
        "{crd_out}"
    );
    let builtin: Vec<&Value> = docs
        .iter()
        .filter(|d| !is_custom(d) && !unmodelled.iter().any(|k| d["kind"] == *k))
        .collect();
    let n = write("builtin.yaml", &builtin);
    let res = pipec_tests::run(&k8s, &["--strict", "builtin.yaml"], dir);
    let out = pipec_tests::text(&res);
    assert!(res.status.success() && !out.contains("ERROR"), "{out}");
    assert_eq!(out.matches(" passed for resource ").count(), n, "{out}");
    Some(crd_out)
}

/// Whether a document runs the service's pods: its Deployment, the Rollout
/// that replaces it, or a `cronjob`'s CronJob.
pub fn is_workload(doc: &Value) -> bool {
    doc["kind"] == "Deployment" || doc["kind"] == "Rollout" || doc["kind"] == "CronJob"
}

/// The pod template of a workload or a Job.
pub fn template(doc: &Value) -> &Value {
    if doc["kind"] == "CronJob" {
        &doc["spec"]["jobTemplate"]["spec"]["template"]
    } else {
        &doc["spec"]["template"]
    }
}

/// `kind/name` of a document.
pub fn id(doc: &Value) -> String {
    format!(
        "{}/{}",
        doc["kind"].as_str().unwrap_or("?"),
        doc["metadata"]["name"].as_str().unwrap_or("?")
    )
}

/// The overlay directories of a rendered tree: (service folder, environment).
pub fn overlays(tree: &pipec_emit::OutputTree) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = tree
        .files()
        .filter_map(|f| {
            let rest = f.path.strip_prefix("deploy/")?;
            let (service, rest) = rest.split_once("/overlays/")?;
            let (env, file) = rest.split_once('/')?;
            (file == "kustomization.yaml").then(|| (service.to_string(), env.to_string()))
        })
        .collect();
    out.sort();
    out
}

/// Checks that an environment's rendered objects carry what the program says
/// for it: namespace, image tag (`tag-<env>`, as the tests set it), pod count
/// or autoscaler bounds, resources, configuration values, ingress host, and
/// the disruption budget that follows from the pod count.
pub fn expect_program_values(
    p: &Program,
    s: &pipec_graph::Service,
    env: &pipec_graph::Environment,
    docs: &[Value],
) {
    let who = format!("{}/{}", s.name, env.name);
    let find = |kind: &str| docs.iter().find(|d| d["kind"] == kind);
    for d in docs {
        assert_eq!(
            d["metadata"]["namespace"],
            env.namespace.as_str(),
            "{who} {}",
            id(d)
        );
    }
    let deployment = docs
        .iter()
        .find(|d| is_workload(d))
        .expect("Deployment, Rollout or CronJob");
    assert_eq!(
        deployment["kind"] == "CronJob",
        !s.is_deployment(),
        "{who}: a CronJob for a cronjob, and only there"
    );
    assert_eq!(
        deployment["kind"] == "Rollout",
        s.rollout(env.id).is_some(),
        "{who}: a Rollout where the program has a rollout, and only there"
    );
    let container = &template(deployment)["spec"]["containers"][0];
    let image = p
        .publishes_of(s.image)
        .next()
        .expect("published")
        .image_name();
    assert_eq!(
        container["image"],
        format!("{image}:tag-{}", env.name),
        "{who}"
    );

    let (bounds, autoscale) = match (env.autoscale, env.replicas, s.autoscale) {
        (Some(a), _, _) => (Some((a.min, a.max)), Some(a)),
        (None, Some(n), Some(a)) => (Some((n, a.max.max(n))), Some(a)),
        (None, None, Some(a)) => (Some((a.min, a.max)), Some(a)),
        (None, _, None) => (None, None),
    };
    let hpa = find("HorizontalPodAutoscaler");
    match bounds {
        // A CronJob starts one pod per run, whatever the environment's size.
        _ if !s.is_deployment() => {
            assert!(hpa.is_none(), "{who}: an autoscaler of a CronJob");
            assert!(
                find("PodDisruptionBudget").is_none(),
                "{who}: a disruption budget of a CronJob"
            );
        }
        Some((min, max)) => {
            let hpa = hpa.expect("HorizontalPodAutoscaler");
            assert_eq!(
                hpa["spec"]["scaleTargetRef"]["kind"], deployment["kind"],
                "{who}"
            );
            assert_eq!(hpa["spec"]["minReplicas"], min, "{who}");
            assert_eq!(hpa["spec"]["maxReplicas"], max, "{who}");
            assert!(
                deployment["spec"].get("replicas").is_none(),
                "{who}: replicas next to an autoscaler"
            );
            let a = autoscale.expect("autoscale");
            let targets: Vec<(String, u64)> = hpa["spec"]["metrics"]
                .as_array()
                .expect("metrics")
                .iter()
                .map(|m| {
                    (
                        m["resource"]["name"].as_str().expect("name").to_string(),
                        m["resource"]["target"]["averageUtilization"]
                            .as_u64()
                            .expect("target"),
                    )
                })
                .collect();
            let mut expected = Vec::new();
            if let Some(c) = a.cpu {
                expected.push(("cpu".to_string(), u64::from(c.ceil())));
            }
            if let Some(m) = a.memory {
                expected.push(("memory".to_string(), u64::from(m.ceil())));
            }
            assert_eq!(targets, expected, "{who}");
        }
        None => {
            assert!(hpa.is_none(), "{who}: an autoscaler without autoscale");
            assert_eq!(
                deployment["spec"]["replicas"],
                env.replicas.unwrap_or(s.replicas),
                "{who}"
            );
        }
    }

    let cpu = env
        .resources
        .and_then(|r| r.cpu)
        .or(s.resources.and_then(|r| r.cpu));
    let memory = env
        .resources
        .and_then(|r| r.memory)
        .or(s.resources.and_then(|r| r.memory));
    for pod in docs.iter().filter(|d| is_workload(d) || d["kind"] == "Job") {
        let res = &template(pod)["spec"]["containers"][0]["resources"];
        if let Some(c) = cpu {
            assert_eq!(
                res["requests"]["cpu"],
                c.min.to_string(),
                "{who} {}",
                id(pod)
            );
            assert_eq!(res["limits"]["cpu"], c.max.to_string(), "{who} {}", id(pod));
        }
        if let Some(m) = memory {
            assert_eq!(
                res["requests"]["memory"],
                m.min.to_string(),
                "{who} {}",
                id(pod)
            );
            assert_eq!(
                res["limits"]["memory"],
                m.max.to_string(),
                "{who} {}",
                id(pod)
            );
        }
    }

    let mut config: BTreeMap<&str, &str> = s
        .config
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    config.extend(env.config.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let name = pipec_emit::layout::k8s_name(s);
    for cm in docs.iter().filter(|d| d["kind"] == "ConfigMap") {
        let cm_name = cm["metadata"]["name"].as_str().expect("name");
        let data: BTreeMap<&str, &str> = cm["data"]
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.as_str(), v.as_str().expect("string")))
                    .collect()
            })
            .unwrap_or_default();
        // A file volume's ConfigMap holds its files, in every environment.
        let volume = s.volumes.iter().find(|v| {
            let prefix = format!("{name}-{}", v.name.replace('_', "-"));
            cm_name == format!("{prefix}-hooks") || is_hashed(cm_name, &prefix)
        });
        match volume.map(|v| &v.kind) {
            Some(pipec_graph::VolumeKind::Files(files)) => {
                let files: BTreeMap<&str, &str> = files
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                assert_eq!(data, files, "{who} {}", id(cm));
            }
            _ => assert_eq!(data, config, "{who} {}", id(cm)),
        }
    }

    if let Some(ingress) = &s.ingress {
        let host = env
            .url
            .as_deref()
            .and_then(|u| u.split("://").nth(1))
            .map(|rest| rest.split(['/', ':']).next().unwrap_or(rest))
            .unwrap_or(&ingress.host);
        let doc = find("Ingress").expect("Ingress");
        assert_eq!(doc["spec"]["rules"][0]["host"], host, "{who}");
    }

    let floor = bounds.map_or(env.replicas.unwrap_or(s.replicas), |(min, _)| min);
    let budget = match s.min_available {
        _ if !s.is_deployment() => false,
        Some(n) => floor > n,
        None => s.deploy.iter().any(|e| {
            let e = p.environment(*e);
            e.autoscale
                .map(|a| a.max)
                .or(s.autoscale.map(|a| a.max.max(e.replicas.unwrap_or(0))))
                .unwrap_or(e.replicas.unwrap_or(s.replicas))
                > 1
        }),
    };
    assert_eq!(
        find("PodDisruptionBudget").is_some(),
        budget,
        "{who}: disruption budget"
    );
}

/// Removes from a rendered object what [`expect_program_values`] checked, so
/// that what remains must be the same in every environment.
pub fn strip_environment_values(s: &pipec_graph::Service, d: &mut Value) {
    let name = pipec_emit::layout::k8s_name(s);
    let hooks = format!("{name}-hooks");
    // The service's own ConfigMap: its values, and so its name's hash, are
    // the environment's.
    let plain = |n: &str| -> String {
        if is_hashed(n, &name) {
            name.clone()
        } else {
            n.to_string()
        }
    };
    if let Some(m) = d["metadata"].as_object_mut() {
        m.remove("namespace");
    }
    let kind = d["kind"].as_str().unwrap_or("").to_string();
    match kind.as_str() {
        "ConfigMap" => {
            let n = plain(d["metadata"]["name"].as_str().unwrap_or(""));
            if n == name || n == hooks {
                d.as_object_mut().expect("object").remove("data");
            }
            d["metadata"]["name"] = n.into();
        }
        "HorizontalPodAutoscaler" => {
            let spec = d["spec"].as_object_mut().expect("spec");
            for k in ["minReplicas", "maxReplicas", "metrics", "scaleTargetRef"] {
                spec.remove(k);
            }
        }
        // Its rules select the environment's namespace.
        "PrometheusRule" => {
            d.as_object_mut().expect("object").remove("spec");
        }
        "Ingress" => {
            for r in d["spec"]["rules"].as_array_mut().into_iter().flatten() {
                r.as_object_mut().expect("rule").remove("host");
            }
            for t in d["spec"]["tls"].as_array_mut().into_iter().flatten() {
                t.as_object_mut().expect("tls").remove("hosts");
            }
        }
        "Deployment" | "Rollout" | "Job" | "CronJob" => {
            // A Rollout is the Deployment with another strategy.
            if kind == "Rollout" {
                d["kind"] = "Deployment".into();
                d["apiVersion"] = "apps/v1".into();
            }
            if let Some(spec) = d["spec"].as_object_mut() {
                spec.remove("replicas");
                spec.remove("strategy");
            }
            let pod = if kind == "CronJob" {
                &mut d["spec"]["jobTemplate"]["spec"]["template"]["spec"]
            } else {
                &mut d["spec"]["template"]["spec"]
            };
            for c in pod["containers"].as_array_mut().into_iter().flatten() {
                let c = c.as_object_mut().expect("container");
                c.remove("image");
                c.remove("resources");
                for from in c
                    .get_mut("envFrom")
                    .and_then(Value::as_array_mut)
                    .into_iter()
                    .flatten()
                {
                    let n = plain(from["configMapRef"]["name"].as_str().unwrap_or(""));
                    from["configMapRef"]["name"] = n.into();
                }
            }
        }
        _ => {}
    }
}

/// Whether `name` is `prefix` with the hash suffix Kustomize appends to a
/// generated ConfigMap's name (`-` and ten letters or digits).
pub fn is_hashed(name: &str, prefix: &str) -> bool {
    name.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|h| h.len() == 10 && h.chars().all(|c| c.is_ascii_alphanumeric()))
}
