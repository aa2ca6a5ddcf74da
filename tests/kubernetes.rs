//! The Kustomize target: whole-tree snapshots of every example, every overlay
//! built by `kubectl kustomize` and validated against the Kubernetes 1.32
//! schemas (strict: unknown fields are errors; Argo Rollouts and Prometheus
//! operator objects against their models), the security properties of every
//! pod, the tag edit of the deployment job, and the diagnostics.

mod manifests;

use std::path::Path;

use pipec_emit::header::CI_OWNED;
use pipec_graph::{DeployMethod, JobKind, Program};
use pipec_tests::{examples, program, render, run, scratch, tool, write_tree};
use serde_json::Value;

use manifests::{app_with, documents, id, kustomize, overlays, target_errors};

#[test]
fn whole_tree_snapshots() {
    for e in examples() {
        let tree = render(&e, &["kustomize"]);
        insta::assert_snapshot!(format!("kustomize-{e}"), tree.render());
    }
}

/// Builds every overlay of `tree` and validates the result; returns the
/// rendered documents by (service folder, environment).
fn build_and_validate(
    name: &str,
    tree: &pipec_emit::OutputTree,
) -> Vec<(String, String, Vec<Value>)> {
    let (Some(kubectl), Some(validate), Some(crds)) = (
        tool("kubectl"),
        tool("kubernetes-validate"),
        tool("crd-validate"),
    ) else {
        return Vec::new();
    };
    let dir = scratch(name);
    write_tree(tree, &dir);
    let mut out = Vec::new();
    let list = overlays(tree);
    assert!(!list.is_empty(), "{name}: no overlays");
    for (service, env) in list {
        let rendered = kustomize(
            &kubectl,
            &dir.join(format!("deploy/{service}/overlays/{env}")),
        );
        let docs = documents(&rendered);
        // Built-in kinds against the Kubernetes schemas, the custom resources
        // against their projects' models.
        let (custom, builtin): (Vec<&Value>, Vec<&Value>) =
            docs.iter().partition(|d| manifests::is_custom(d));
        let write = |file: &str, docs: &[&Value]| {
            manifests::write_stream(&dir.join(file), docs);
        };
        let file = format!("{service}-{env}.custom.yaml");
        write(&file, &custom);
        let res = run(&crds, &[&file], &dir);
        let stderr = String::from_utf8_lossy(&res.stderr);
        assert!(
            res.status.success()
                && stderr.contains(&format!("checked {} document(s)", custom.len())),
            "{name} {service}/{env}: crd-validate:\n{}{stderr}",
            String::from_utf8_lossy(&res.stdout)
        );
        let file = format!("{service}-{env}.rendered.yaml");
        write(&file, &builtin);
        let res = run(&validate, &["--strict", &file], &dir);
        let stdout = String::from_utf8_lossy(&res.stdout);
        assert!(
            res.status.success() && !stdout.contains("ERROR"),
            "{name} {service}/{env}: kubernetes-validate:\n{stdout}{}",
            String::from_utf8_lossy(&res.stderr)
        );
        // Every document was checked against a schema (none skipped as unknown).
        assert_eq!(
            stdout.matches(" passed for resource ").count(),
            builtin.len(),
            "{name} {service}/{env}:\n{stdout}"
        );
        out.push((service, env, docs));
    }
    out
}

#[test]
fn every_overlay_of_every_example_builds_and_validates() {
    for e in examples() {
        // A library deploys nothing.
        if program(&e).services.is_empty() {
            continue;
        }
        let tree = render(&e, &["kustomize"]);
        let built = build_and_validate(&format!("kustomize-{e}"), &tree);
        for (service, env, docs) in &built {
            assert!(
                docs.iter().any(manifests::is_workload),
                "{e} {service}/{env}: no Deployment, Rollout or CronJob"
            );
        }
    }
}

#[test]
fn variants_build_and_validate() {
    let variants = [
        (
            "env-autoscale",
            app_with(&[
                (
                    "  url \"https://dev.app.example.com\"\n",
                    "  url \"https://dev.app.example.com\"\n  autoscale { replicas 2..4, cpu 60%, memory 75% }\n  config { MODE: \"dev\" }\n  resources { cpu 300m..600m }\n",
                ),
                (
                    "  deploy to",
                    "  migrate \"./manage migrate\"\n  smoke_test \"curl -fsS http://app/health\"\n  ingress { host \"app.example.com\", path \"/api\" }\n  deploy to",
                ),
            ]),
        ),
        (
            "metrics-port",
            app_with(&[(
                "  probes { live \"/health\", ready \"/ready\" }",
                "  metrics \"/prom\" port 9100\n  probes { live \"/health\" { port 9100 }, ready \"/ready\" { port 8081 }, startup \"/health\" { delay 5s, period 2s, failures 60 } }\n  replicas 2\n  min_available 1\n  user 4242\n  secrets { TOKEN: secret(\"app-token\") }",
            )]),
        ),
        (
            "pods",
            app_with(&[(
                "  probes { live \"/health\", ready \"/ready\" }",
                concat!(
                    "  probes { live \"/health\" { period 2s }, ready \"/ready\" { timeout 1s } }\n",
                    "  pull_secrets [secret(\"registry\"), secret(\"mirror.example.com\")]\n",
                    "  volume cache \"/var/cache/app\" { size 256Mi }\n",
                    "  volume tmp \"/tmp\" { size 64Mi }\n",
                    "  volume settings \"/etc/app\" { files { \"app.json\": \"{\\\"a\\\": 1}\", \"x.txt\": \"'quoted'\" } }\n",
                    "  expose node_port port 8080 affinity 10m\n",
                    "  selector { app: \"app\", \"example.com/tier\": \"web\" }\n",
                    "  migrate \"./migrate\"\n",
                    "  smoke_test \"curl -fsS http://app:8080/health\"",
                ),
            )]),
        ),
        (
            "kubectl",
            app_with(&[
                (
                    "via argocd",
                    "via kubectl(kubeconfig: secret(\"KUBE_CONFIG\"))",
                ),
                (
                    "gitops { repo \"https://github.com/acme/deploy.git\" }\n",
                    "",
                ),
            ]),
        ),
    ];
    for (name, src) in variants {
        let (p, _) = manifests::program(&src);
        let tree = pipec::emit(&p, &["kustomize"]).unwrap_or_else(|d| panic!("{name}: {d:#?}"));
        let built = build_and_validate(&format!("kustomize-variant-{name}"), &tree);
        for (folder, env, docs) in &built {
            check_pods(&p, folder, env, docs);
        }
    }
}

/// The pod properties `security.md` requires of every workload.
fn check_pods(program: &Program, folder: &str, env: &str, docs: &[Value]) {
    let service = program
        .services
        .iter()
        .find(|s| pipec_emit::layout::k8s_name(s) == folder)
        .unwrap_or_else(|| panic!("no service for deploy/{folder}"));
    manifests::pods::expect_service_shape(service, docs);
    for d in docs
        .iter()
        .filter(|d| manifests::is_workload(d) || d["kind"] == "Job")
    {
        let pod = &manifests::template(d)["spec"];
        let who = format!("{env} {}", id(d));
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true, "{who}");
        assert_eq!(
            pod["securityContext"]["runAsUser"], service.run_as_user,
            "{who}"
        );
        assert_eq!(
            pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault",
            "{who}"
        );
        for c in pod["containers"].as_array().expect("containers") {
            let sc = &c["securityContext"];
            assert_eq!(sc["allowPrivilegeEscalation"], false, "{who}");
            assert_eq!(sc["readOnlyRootFilesystem"], true, "{who}");
            assert_eq!(
                sc["capabilities"]["drop"],
                serde_json::json!(["ALL"]),
                "{who}"
            );
            if service.resources.is_some() {
                assert!(c["resources"]["limits"].is_object(), "{who}: no limits");
            }
        }
        if d["kind"] == "Job" {
            let deployment = docs
                .iter()
                .find(|d| manifests::is_workload(d))
                .expect("Deployment or Rollout");
            assert_eq!(
                pod["containers"][0]["resources"],
                deployment["spec"]["template"]["spec"]["containers"][0]["resources"],
                "{who}: a hook with other resources than the service"
            );
        }
        if d["kind"] == "Deployment" {
            let ru = &d["spec"]["strategy"]["rollingUpdate"];
            assert_eq!(
                (ru["maxSurge"].clone(), ru["maxUnavailable"].clone()),
                (1.into(), 0.into()),
                "{who}"
            );
            let c = &pod["containers"][0];
            assert_eq!(
                c["livenessProbe"].is_object(),
                service.probes.liveness.is_some(),
                "{who}"
            );
            assert_eq!(
                c["readinessProbe"].is_object(),
                service.probes.readiness.is_some(),
                "{who}"
            );
        }
    }
}

#[test]
fn every_pod_of_every_example_is_locked_down() {
    for e in examples() {
        let p = program(&e);
        if p.services.is_empty() {
            continue;
        }
        let tree = render(&e, &["kustomize"]);
        for (folder, env, docs) in build_and_validate(&format!("kustomize-pods-{e}"), &tree) {
            check_pods(&p, &folder, &env, &docs);
        }
    }
}

#[test]
fn the_image_tag_line_is_the_one_the_deployment_job_edits() {
    for e in examples() {
        let tree = render(&e, &["kustomize"]);
        for (service, env) in overlays(&tree) {
            let path = format!("deploy/{service}/overlays/{env}/kustomization.yaml");
            let body = &tree.get(&path).expect("overlay").body;
            let expected = format!("    newTag: 'pending'{CI_OWNED}");
            assert_eq!(
                body.lines().filter(|l| *l == expected).count(),
                1,
                "{e} {path}:\n{body}"
            );
            assert!(body.contains("\nimages:\n  - name: "), "{path}");
        }
    }
}

/// Runs the deployment job's own image edit (`pipec_set_image`, from
/// `deploy_script`) on each overlay of the written tree, as CI does on the
/// environment's copy of it. Returns the overlays edited.
fn run_deploy_edits(
    program: &Program,
    dir: &Path,
    tag: impl Fn(&str) -> String,
    digest: &str,
) -> usize {
    let mut edits = 0;
    for job in program.pipelines.iter().flat_map(|p| &p.jobs) {
        let JobKind::Deploy(d) = &job.kind else {
            continue;
        };
        if d.method != DeployMethod::ArgoCd {
            continue;
        }
        let env = program.environment(d.env);
        let script = pipec_emit::release::deploy_script(program, job, d, true);
        let start = script.find("pipec_set_image() {").expect("the edit");
        let function = &script[start..start + script[start..].find("\n}\n").expect("end") + 3];
        for (s, _) in &d.services {
            let svc = program.service(*s);
            let file = format!(
                "{}/kustomization.yaml",
                pipec_emit::layout::overlay_dir(program, svc, env)
            );
            let sh = format!(
                "set -eu\n{function}pipec_set_image '{file}' '{}' '{digest}'\n",
                tag(&env.name)
            );
            let out = run(Path::new("/bin/sh"), &["-c", &sh], dir);
            assert!(
                out.status.success(),
                "{file}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            edits += 1;
        }
    }
    edits
}

#[test]
fn the_deployment_job_sets_the_image_kustomize_deploys() {
    let Some(kubectl) = tool("kubectl") else {
        return;
    };
    let digest = format!("sha256:{}", "ab".repeat(32));
    for e in examples() {
        let p = program(&e);
        let tree = render(&e, &["kustomize"]);
        let dir = scratch(&format!("kustomize-tags-{e}"));
        write_tree(&tree, &dir);
        let tag = |env: &str| format!("sha-{env}12");
        if run_deploy_edits(&p, &dir, tag, &digest) == 0 {
            continue;
        }
        for s in p
            .services
            .iter()
            .filter(|s| s.method == DeployMethod::ArgoCd)
        {
            let image = p
                .publishes_of(s.image)
                .next()
                .expect("published")
                .image_name();
            for env_id in &s.deploy {
                let env = p.environment(*env_id);
                let overlay = dir.join(pipec_emit::layout::overlay_dir(&p, s, env));
                let docs = documents(&kustomize(&kubectl, &overlay));
                let deployment = docs
                    .iter()
                    .find(|d| manifests::is_workload(d))
                    .expect("Deployment, Rollout or CronJob");
                // The version people read, and the digest the cluster pulls.
                assert_eq!(
                    manifests::template(deployment)["spec"]["containers"][0]["image"],
                    format!("{image}:{}@{digest}", tag(&env.name)),
                    "{e}/{}",
                    env.name
                );
            }
        }
    }
}

#[test]
fn diagnostics_point_at_the_cause() {
    let kubectl = "via kubectl(kubeconfig: secret(\"KUBE_CONFIG\"))";
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "E0440",
            app_with(&[("ghcr(\"acme/app\")", "gitlab_registry()")]),
            "publish app to gitlab_registry()",
        ),
        (
            "E0441",
            app_with(&[(
                "  deploy on branch main\n",
                "  deploy on branch main\n  replicas 2\n  autoscale { replicas 2..4, cpu 50% }\n",
            )]),
            "dev",
        ),
        (
            "E0442",
            app_with(&[
                (
                    "  deploy on branch main\n",
                    "  deploy on branch main\n  replicas 0\n",
                ),
                (
                    "  deploy to",
                    "  autoscale { replicas 2..4, cpu 50% }\n  deploy to",
                ),
            ]),
            "dev",
        ),
        (
            "E0443",
            app_with(&[
                ("cpu 100m..200m, ", ""),
                (
                    "  deploy to",
                    "  autoscale { replicas 2..4, cpu 50% }\n  deploy to",
                ),
            ]),
            "app",
        ),
        (
            "E0444",
            app_with(&[
                ("via argocd", kubectl),
                (
                    "  deploy to",
                    "  smoke_test \"curl -fsS http://app/health\"\n  deploy to",
                ),
            ]),
            "app",
        ),
        (
            "E0445",
            app_with(&[
                ("  url \"https://dev.app.example.com\"\n", ""),
                (
                    "  deploy to",
                    "  ingress { host \"app.example.com\" }\n  deploy to",
                ),
            ]),
            "prod",
        ),
        (
            "E0446",
            app_with(&[("namespace \"app-prod\"", "namespace \"app-dev\"")]),
            "prod",
        ),
    ];
    for (code, src, at) in cases {
        let errors = target_errors(&src, "kustomize");
        assert!(
            matches!(errors.as_slice(), [(c, text)] if c == code && text.starts_with(at)),
            "expected one {code} at `{at}`, got {errors:?} for:\n{src}"
        );
    }
    assert_eq!(target_errors(manifests::APP, "kustomize"), vec![]);
}

#[test]
fn environments_differ_only_where_the_program_says() {
    let Some(kubectl) = tool("kubectl") else {
        return;
    };
    for e in examples() {
        let p = program(&e);
        let tree = render(&e, &["kustomize"]);
        let dir = scratch(&format!("kustomize-envs-{e}"));
        write_tree(&tree, &dir);
        for s in &p.services {
            // Each environment gets its own tag, as after a deployment.
            for env_id in &s.deploy {
                let env = p.environment(*env_id);
                let file = dir
                    .join(pipec_emit::layout::overlay_dir(&p, s, env))
                    .join("kustomization.yaml");
                let text = std::fs::read_to_string(&file).expect("overlay");
                let edited: String = text
                    .lines()
                    .map(|l| match l.strip_suffix(CI_OWNED) {
                        Some(_) => format!("    newTag: 'tag-{}'{CI_OWNED}\n", env.name),
                        None => format!("{l}\n"),
                    })
                    .collect();
                std::fs::write(&file, edited).expect("write");
            }
            let mut normalized: Vec<(String, Vec<Value>)> = Vec::new();
            for env_id in &s.deploy {
                let env = p.environment(*env_id);
                let overlay = dir.join(pipec_emit::layout::overlay_dir(&p, s, env));
                let mut docs = documents(&kustomize(&kubectl, &overlay));
                manifests::expect_program_values(&p, s, env, &docs);
                for d in &mut docs {
                    manifests::strip_environment_values(s, d);
                }
                // What a rollout adds to its environments is checked in
                // tests/rollouts.rs.
                docs.retain(|d| {
                    d["kind"] != "PodDisruptionBudget"
                        && d["kind"] != "AnalysisTemplate"
                        && !d["metadata"]["name"].as_str().is_some_and(|n| {
                            d["kind"] == "Service"
                                && (n.ends_with("-preview") || n.ends_with("-canary"))
                        })
                });
                docs.sort_by_key(id);
                normalized.push((env.name.clone(), docs));
            }
            for pair in normalized.windows(2) {
                assert_eq!(
                    pair[0].1, pair[1].1,
                    "{e}: {} and {} differ in more than the program says",
                    pair[0].0, pair[1].0
                );
            }
        }
    }
}

#[test]
fn config_values_reach_the_config_map_unchanged() {
    let Some(kubectl) = tool("kubectl") else {
        return;
    };
    let values = [
        ("QUOTED", "\"quoted\""),
        ("SINGLE", "'single'"),
        ("EQUALS", "a=b"),
        ("SPACED", " spaced "),
        ("BOOL", "yes"),
        ("OCTAL", "0755"),
        ("EMPTY", ""),
    ];
    let config: Vec<String> = values
        .iter()
        .map(|(k, v)| format!("{k}: \"{}\"", v.replace('"', "\\\"")))
        .collect();
    let src = app_with(&[(
        "  deploy to",
        &format!("  config {{ {} }}\n  deploy to", config.join(", ")),
    )]);
    let (p, _) = manifests::program(&src);
    assert_eq!(p.services[0].config.len(), values.len(), "{src}");
    let tree = pipec::emit(&p, &["kustomize"]).expect("renders");
    let dir = scratch("kustomize-config-values");
    write_tree(&tree, &dir);
    let docs = documents(&kustomize(&kubectl, &dir.join("deploy/app/overlays/dev")));
    let cm = docs
        .iter()
        .find(|d| d["kind"] == "ConfigMap")
        .expect("ConfigMap");
    for (k, v) in values {
        assert_eq!(cm["data"][k], v, "{k}");
    }
}

/// The deployments of seeds 000 (mts-deploy-ai) and 003 (archon-agent), as
/// the seeds wrote them, in what the examples render: what a cluster running
/// the seed's manifests needs to keep working after the first apply.
#[test]
fn the_examples_keep_their_seeds_deployment() {
    let Some(kubectl) = tool("kubectl") else {
        return;
    };
    let render_env = |example: &str, service: &str, env: &str| -> Vec<Value> {
        let tree = render(example, &["kustomize"]);
        let dir = scratch(&format!("kustomize-seed-{example}-{env}"));
        write_tree(&tree, &dir);
        documents(&kustomize(
            &kubectl,
            &dir.join(format!("deploy/{service}/overlays/{env}")),
        ))
    };
    let find = |docs: &[Value], kind: &str| -> Value {
        docs.iter()
            .find(|d| d["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind}"))
            .clone()
    };

    // Seed 000: the running Deployment `mts-deploy-ai`, selected by
    // `app: mts-deploy-ai`, pulled from registry.mts.ru with a Secret.
    for (env, ns, host) in [
        ("staging", "telecom-staging", "staging.mts-deploy-ai.local"),
        ("production", "telecom", "mts-deploy-ai.mts.ru"),
    ] {
        let docs = render_env("mts-deploy-ai", "mts-deploy-ai", env);
        let d = find(&docs, "Deployment");
        assert_eq!(d["metadata"]["name"], "mts-deploy-ai");
        assert_eq!(d["metadata"]["namespace"], ns);
        assert_eq!(
            d["spec"]["selector"],
            serde_json::json!({"matchLabels": {"app": "mts-deploy-ai"}})
        );
        let pod = &d["spec"]["template"]["spec"];
        assert_eq!(
            pod["imagePullSecrets"],
            serde_json::json!([{"name": "mts-registry-secret"}])
        );
        let c = &pod["containers"][0];
        assert_eq!(c["name"], "mts-deploy-ai", "kubectl set image names it");
        assert_eq!(c["livenessProbe"]["initialDelaySeconds"], 30);
        assert_eq!(c["readinessProbe"]["periodSeconds"], 5);
        let s = find(&docs, "Service");
        assert_eq!(
            s["spec"]["selector"],
            serde_json::json!({"app": "mts-deploy-ai"})
        );
        let ingress = find(&docs, "Ingress");
        assert_eq!(ingress["spec"]["rules"][0]["host"], host);
    }

    // Seed 003: `app: archon-agent`, config.yaml from a ConfigMap at
    // /app/config, a writable /app/logs, probe timeouts 5s and 3s, a
    // LoadBalancer Service on port 80 with three hours of client-IP affinity.
    for (env, environment) in [("staging", "staging"), ("production", "production")] {
        let docs = render_env("archon-agent", "archon-agent", env);
        let d = find(&docs, "Deployment");
        assert_eq!(
            d["spec"]["selector"],
            serde_json::json!({"matchLabels": {"app": "archon-agent"}})
        );
        let pod = &d["spec"]["template"]["spec"];
        let c = &pod["containers"][0];
        assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
        assert_eq!(c["livenessProbe"]["timeoutSeconds"], 5);
        assert_eq!(c["readinessProbe"]["timeoutSeconds"], 3);
        assert_eq!(c["readinessProbe"]["failureThreshold"], 2);
        let mount = |path: &str| -> Value {
            c["volumeMounts"]
                .as_array()
                .expect("mounts")
                .iter()
                .find(|m| m["mountPath"] == path)
                .unwrap_or_else(|| panic!("{env}: nothing mounted at {path}"))
                .clone()
        };
        let volume = |name: &Value| -> Value {
            pod["volumes"]
                .as_array()
                .expect("volumes")
                .iter()
                .find(|v| &v["name"] == name)
                .expect("volume")
                .clone()
        };
        let logs = mount("/app/logs");
        assert!(logs.get("readOnly").is_none());
        assert!(volume(&logs["name"])["emptyDir"].is_object());
        let config = mount("/app/config");
        assert_eq!(config["readOnly"], true);
        let cm_name = volume(&config["name"])["configMap"]["name"].clone();
        let cm = docs
            .iter()
            .find(|x| x["kind"] == "ConfigMap" && x["metadata"]["name"] == cm_name)
            .expect("the config.yaml ConfigMap");
        assert_eq!(
            cm["data"]["config.yaml"],
            "log_level: INFO\nmax_workers: 4\ntimeout: 30\nretry_attempts: 3"
        );
        let env_config = docs
            .iter()
            .find(|x| {
                x["kind"] == "ConfigMap"
                    && manifests::is_hashed(
                        x["metadata"]["name"].as_str().unwrap_or(""),
                        "archon-agent",
                    )
            })
            .expect("the service's ConfigMap");
        assert_eq!(env_config["data"]["ENVIRONMENT"], environment, "{env}");
        let s = find(&docs, "Service");
        assert_eq!(s["spec"]["type"], "LoadBalancer");
        assert_eq!(s["spec"]["ports"][0]["port"], 80);
        assert_eq!(s["spec"]["sessionAffinity"], "ClientIP");
        assert_eq!(
            s["spec"]["sessionAffinityConfig"]["clientIP"]["timeoutSeconds"],
            10800
        );
        assert!(
            docs.iter().any(|x| x["kind"] == "Ingress"),
            "{env}: Ingress"
        );
    }
}
