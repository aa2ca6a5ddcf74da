//! Services deployed from a Helm chart. The values files pipec writes are
//! rendered with Helm's own template engine (`helm-template`, Helm v4 from
//! the PyPI package helm-python-sdk) and a chart laid out as `helm create`
//! lays one out (`tests/fixtures/helm/chart`), after the deployment job's own
//! edit has set the image: what the program says about each environment
//! reaches the objects, and they pass `kubernetes-validate`. The Applications
//! pass `argocd-validate` and point at the values file deployments write;
//! keys the program names are where the values go; `pipec build --check`
//! guards the values files like any generated file.

use std::path::{Path, PathBuf};
use std::process::Command;

use pipec_graph::{JobKind, Program};
use pipec_tests::{program_from, run, scratch, text, tool, write_tree};
use serde_json::Value;

const PROGRAM: &str = r#"use std.docker

pipeline shop {
  on push to main
  image shop = docker.build()
  publish shop to ghcr("acme/shop") { tags [sha] }
}

environment staging {
  namespace "shop-staging"
  deploy on branch main
  replicas 2
  config { LOG_LEVEL: "DEBUG" }
}

environment prod {
  namespace "shop-prod"
  promote from staging, approvals 1
  tier production
  url "https://shop.example.com"
  autoscale { replicas 2..6, cpu 70% }
  resources { memory 512Mi..1Gi }
}

service shop {
  image shop
  port 8000
  resources { cpu 250m..500m, memory 256Mi..512Mi }
  config { WORKERS: "4", LOG_LEVEL: "INFO" }
  ingress { host "staging.shop.example.com", class "nginx", tls "shop-tls" }
  pull_secrets secret("registry-credentials")
  helm {
    repo "oci://ghcr.io/acme/charts"
    chart "app"
    version "1.4.2"
    release "shop"
  }
  deploy to [staging, prod] via argocd
}

gitops {
  repo "https://github.com/acme/shop-deploy.git"
  argocd secret("ARGOCD_KUBECONFIG")
}
"#;

const DIGEST: &str = "sha256:abababababababababababababababababababababababababababababababab";

fn chart() -> PathBuf {
    pipec_tests::root().join("tests/fixtures/helm/chart")
}

/// The documents of a YAML stream, parsed.
fn documents(stream: &str) -> Vec<Value> {
    stream
        .split("\n---\n")
        .map(|d| d.trim_start_matches("---\n"))
        .filter(|d| {
            d.lines()
                .any(|l| !l.trim().is_empty() && !l.starts_with('#'))
        })
        .map(|d| yaml_serde::from_str(d).unwrap_or_else(|e| panic!("{e}:\n{d}")))
        .collect()
}

fn kind<'a>(docs: &'a [Value], kind: &str) -> Option<&'a Value> {
    docs.iter().find(|d| d["kind"] == kind)
}

/// Runs the deployment job's own values edit (`pipec_set_values_image`,
/// from `deploy_script`) on the values file of each environment, as the job
/// does on the environment's copy of it.
fn set_images(program: &Program, dir: &Path, tag: &str) {
    let mut edits = 0;
    for job in program.pipelines.iter().flat_map(|p| &p.jobs) {
        let JobKind::Deploy(d) = &job.kind else {
            continue;
        };
        let env = program.environment(d.env);
        let script = pipec_emit::release::deploy_script(program, job, d, true);
        let start = script.find("pipec_set_values_image() {").expect("the edit");
        let function = &script[start..start + script[start..].find("\n}\n").expect("end") + 3];
        for (s, _) in &d.services {
            let file = pipec_emit::layout::values_file(program, program.service(*s), env);
            let copy = pipec_emit::layout::environment_values(program, program.service(*s), env);
            assert!(
                script.contains(&format!("pipec_set_values_image '{copy}'")),
                "the job edits the environment's copy"
            );
            let sh =
                format!("set -eu\n{function}pipec_set_values_image '{file}' '{tag}' '{DIGEST}'\n");
            let out = run(Path::new("/bin/sh"), &["-c", &sh], dir);
            assert!(out.status.success(), "{file}: {}", text(&out));
            edits += 1;
        }
    }
    assert_eq!(edits, 2);
}

#[test]
fn helm_renders_what_the_program_says_in_each_environment() {
    let (Some(helm), Some(validate)) = (tool("helm-template"), tool("kubernetes-validate")) else {
        return;
    };
    let program = program_from(PROGRAM);
    let tree = pipec::emit(&program, &[]).unwrap_or_else(|d| panic!("{d:#?}"));
    let dir = scratch("helm-render");
    write_tree(&tree, &dir);
    assert!(
        !dir.join("deploy/shop/base").exists(),
        "a Helm service has no Kustomize base"
    );
    set_images(&program, &dir, "sha-1a2b3c4");
    for (env, ns) in [("staging", "shop-staging"), ("prod", "shop-prod")] {
        let values = dir.join(format!("deploy/shop/values/{env}.yaml"));
        let out = Command::new(&helm)
            .arg(chart())
            .arg("-f")
            .arg(&values)
            .args(["--name", "shop", "--namespace", ns])
            .output()
            .expect("helm-template");
        assert!(out.status.success(), "{env}: {}", text(&out));
        let rendered = String::from_utf8(out.stdout).unwrap();
        let docs = documents(&rendered);
        let deployment = kind(&docs, "Deployment").expect("a Deployment");
        let pod = &deployment["spec"]["template"]["spec"];
        let container = &pod["containers"][0];
        assert_eq!(
            container["image"],
            format!("ghcr.io/acme/shop:sha-1a2b3c4@{DIGEST}"),
            "{env}: exactly the published digest"
        );
        assert_eq!(container["ports"][0]["containerPort"], 8000);
        assert_eq!(pod["imagePullSecrets"][0]["name"], "registry-credentials");
        let env_vars: Vec<(String, String)> = container["env"]
            .as_array()
            .expect("env")
            .iter()
            .map(|v| {
                (
                    v["name"].as_str().unwrap().to_string(),
                    v["value"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let log_level = if env == "staging" { "DEBUG" } else { "INFO" };
        assert_eq!(
            env_vars,
            [
                ("LOG_LEVEL".to_string(), log_level.to_string()),
                ("WORKERS".to_string(), "4".to_string())
            ],
            "{env}: the environment's configuration over the service's"
        );
        let resources = &container["resources"];
        assert_eq!(resources["requests"]["cpu"], "250m");
        assert_eq!(resources["limits"]["cpu"], "500m");
        let ingress = kind(&docs, "Ingress").expect("an Ingress");
        let host = if env == "staging" {
            "staging.shop.example.com"
        } else {
            "shop.example.com"
        };
        assert_eq!(ingress["spec"]["rules"][0]["host"], host);
        assert_eq!(ingress["spec"]["tls"][0]["hosts"][0], host);
        assert_eq!(ingress["spec"]["ingressClassName"], "nginx");
        match env {
            "staging" => {
                assert_eq!(deployment["spec"]["replicas"], 2);
                assert!(kind(&docs, "HorizontalPodAutoscaler").is_none());
                assert_eq!(resources["limits"]["memory"], "512Mi");
            }
            _ => {
                assert!(deployment["spec"].get("replicas").is_none());
                let hpa = kind(&docs, "HorizontalPodAutoscaler").expect("an autoscaler");
                assert_eq!(hpa["spec"]["minReplicas"], 2);
                assert_eq!(hpa["spec"]["maxReplicas"], 6);
                assert_eq!(
                    hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"],
                    70
                );
                assert_eq!(resources["requests"]["memory"], "512Mi");
                assert_eq!(resources["limits"]["memory"], "1Gi");
            }
        }
        let file = dir.join(format!("rendered-{env}.yaml"));
        std::fs::write(&file, &rendered).unwrap();
        let out = run(&validate, &["--strict", file.to_str().unwrap()], &dir);
        assert!(out.status.success(), "{env}: {}", text(&out));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn applications_read_the_chart_and_the_values_deployments_write() {
    let program = program_from(PROGRAM);
    let tree = pipec::emit(&program, &["argocd"]).unwrap_or_else(|d| panic!("{d:#?}"));
    for env in ["staging", "prod"] {
        let path = format!("deploy/argocd/shop-{env}.yaml");
        let body = &tree.files().find(|f| f.path == path).expect("app").body;
        let app: Value = yaml_serde::from_str(body).unwrap();
        let spec = &app["spec"];
        assert!(spec.get("source").is_none(), "one of source and sources");
        let sources = spec["sources"].as_array().expect("sources");
        assert_eq!(sources.len(), 2);
        assert_eq!(
            sources[0]["repoURL"],
            "https://github.com/acme/shop-deploy.git"
        );
        assert_eq!(sources[0]["ref"], "values");
        assert_eq!(sources[0]["targetRevision"], "main");
        assert_eq!(sources[1]["repoURL"], "ghcr.io/acme/charts");
        assert_eq!(sources[1]["chart"], "app");
        assert_eq!(sources[1]["targetRevision"], "1.4.2");
        assert_eq!(sources[1]["helm"]["releaseName"], "shop");
        assert_eq!(
            sources[1]["helm"]["valueFiles"][0],
            format!("$values/deploy/environments/{env}/shop/values.yaml")
        );
    }
    let project: Value = yaml_serde::from_str(
        &tree
            .files()
            .find(|f| f.path == "deploy/argocd/shop.appproject.yaml")
            .unwrap()
            .body,
    )
    .unwrap();
    assert_eq!(
        project["spec"]["sourceRepos"],
        serde_json::json!([
            "https://github.com/acme/shop-deploy.git",
            "ghcr.io/acme/charts"
        ])
    );
    let Some(validate) = tool("argocd-validate") else {
        return;
    };
    let dir = scratch("helm-argocd");
    write_tree(&tree, &dir);
    let files: Vec<String> = tree
        .files()
        .filter(|f| f.path.starts_with("deploy/argocd/"))
        .map(|f| f.path.clone())
        .collect();
    let args: Vec<&str> = files.iter().map(String::as_str).collect();
    let out = run(&validate, &args, &dir);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("0 error(s)"), "{}", text(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn values_go_where_the_program_names_them() {
    let program = program_from(&PROGRAM.replace(
        "    release \"shop\"\n",
        "    release \"shop\"\n    values { image: \"app.image\", replicas: \"app.replicaCount\", env: \"app.extraEnv\", ingress: \"web.ingress\" }\n",
    ));
    let tree = pipec::emit(&program, &["kustomize"]).unwrap_or_else(|d| panic!("{d:#?}"));
    let body = &tree
        .files()
        .find(|f| f.path == "deploy/shop/values/staging.yaml")
        .expect("values")
        .body;
    let v: Value = yaml_serde::from_str(body).unwrap();
    assert_eq!(v["app"]["image"]["repository"], "ghcr.io/acme/shop");
    assert_eq!(v["app"]["image"]["tag"], "pending");
    assert_eq!(v["app"]["replicaCount"], 2);
    assert_eq!(v["app"]["extraEnv"][0]["name"], "LOG_LEVEL");
    assert_eq!(
        v["web"]["ingress"]["hosts"][0]["host"],
        "staging.shop.example.com"
    );
    // The parts not moved keep the default layout.
    assert_eq!(v["service"]["port"], 8000);
    assert_eq!(v["resources"]["limits"]["cpu"], "500m");
    for moved in ["image", "replicaCount", "env", "ingress"] {
        assert!(v.get(moved).is_none(), "{moved} written twice");
    }
    assert!(
        body.contains("\n    tag: 'pending' # pipec: set by CI\n"),
        "the one line CI sets:\n{body}"
    );
}

/// `pipec build --check` treats values files like overlays: the tag a
/// deployment set is CI's, any other edit is reported.
#[test]
fn build_check_guards_the_values_files() {
    let pipec = pipec_tests::pipec_exe();
    let dir = scratch("helm-check");
    std::fs::write(dir.join("main.pipe"), PROGRAM).unwrap();
    let out = run(&pipec, &["build", "."], &dir);
    assert!(out.status.success(), "{}", text(&out));
    let values = dir.join("deploy/shop/values/prod.yaml");
    let written = std::fs::read_to_string(&values).unwrap();
    assert!(
        written.starts_with("# Generated by pipec from "),
        "{written}"
    );
    let deployed = written.replace(
        "tag: 'pending' # pipec: set by CI",
        &format!("tag: 'sha-1a2b3c4@{DIGEST}' # pipec: set by CI"),
    );
    assert_ne!(deployed, written);
    std::fs::write(&values, &deployed).unwrap();
    let out = run(&pipec, &["build", "--check", "."], &dir);
    assert!(out.status.success(), "a set tag is CI's: {}", text(&out));
    std::fs::write(&values, deployed.replace("port: 8000", "port: 9000")).unwrap();
    let out = run(&pipec, &["build", "--check", "."], &dir);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("deploy/shop/values/prod.yaml"),
        "{}",
        text(&out)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Lint reads the values files pipec writes as Helm values: the tag is a
/// deployment's to set, and the limits the program gives are there; the same
/// file with its limits cut is reported, as a manifest would be.
#[test]
fn lint_sees_the_values_files() {
    let program = program_from(PROGRAM);
    let tree = pipec::emit(&program, &["kustomize"]).unwrap_or_else(|d| panic!("{d:#?}"));
    let lint = |name: &str, text: &str| -> Vec<String> {
        let mut s = pipec_lint::Session::new(
            pipec_diagnostics::SourceMap::new(),
            pipec_lint::Config::default(),
        );
        let found = s.add_yaml(name, text);
        assert_eq!(
            found,
            [pipec_lint::Input::Kubernetes],
            "{name} is Helm values"
        );
        s.finish()
            .findings
            .iter()
            .map(|f| f.code.to_string())
            .collect()
    };
    for f in tree.files() {
        let text = pipec_emit::header::wrap(&f.body, &f.source);
        assert_eq!(lint(&f.path, &text), Vec::<String>::new(), "{}", f.path);
        // The memory limit removed.
        let mut in_limits = false;
        let mut cut = String::new();
        for l in text.lines() {
            if !l.starts_with("    ") {
                in_limits = l.trim() == "limits:";
            }
            if !(in_limits && l.trim_start().starts_with("memory:")) {
                cut.push_str(l);
                cut.push('\n');
            }
        }
        assert_eq!(lint(&f.path, &cut), ["PIPE511"], "{}", f.path);
        let by_hand = text
            .lines()
            .filter(|l| !l.starts_with("# "))
            .map(|l| l.replace("'pending' # pipec: set by CI", "latest"))
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(lint(&f.path, &by_hand), ["PIPE510"], "{}", f.path);
    }
}

/// The deployment jobs of a Helm service (the values edit, the sync of an
/// Application with two sources) pass shellcheck.
#[test]
fn deployment_scripts_pass_shellcheck() {
    let Some(shellcheck) = tool("shellcheck") else {
        return;
    };
    let program = program_from(PROGRAM);
    let dir = scratch("helm-shellcheck");
    let mut checked = 0;
    for job in program.pipelines.iter().flat_map(|p| &p.jobs) {
        let JobKind::Deploy(d) = &job.kind else {
            continue;
        };
        let script = pipec_emit::release::deploy_script(&program, job, d, true);
        assert!(script.contains("pipec_set_values_image '"), "{script}");
        let path = dir.join(format!("{}.sh", job.name));
        std::fs::write(&path, &script).unwrap();
        let out = run(
            &shellcheck,
            &["-s", "bash", "-f", "gcc", path.to_str().unwrap()],
            &dir,
        );
        assert!(out.status.success(), "{}: {}", job.name, text(&out));
        checked += 1;
    }
    assert_eq!(checked, 2);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The wait of a deployment reads the commit an Application is synced to
/// with the jsonpath of its script: `revision` for one source, the first of
/// `revisions` for a chart and its values. Evaluated by the real kubectl
/// (`annotate --local` prints an object through the jsonpath, no cluster).
#[test]
fn the_wait_reads_the_commit_of_either_kind_of_application() {
    let Some(kubectl) = tool("kubectl") else {
        return;
    };
    let program = program_from(PROGRAM);
    let job = program
        .pipelines
        .iter()
        .flat_map(|p| &p.jobs)
        .find(|j| matches!(j.kind, JobKind::Deploy(_)))
        .expect("a deployment");
    let JobKind::Deploy(d) = &job.kind else {
        unreachable!()
    };
    let script = pipec_emit::release::deploy_script(&program, job, d, true);
    let start = script
        .find("--output jsonpath='")
        .expect("the wait's jsonpath")
        + 19;
    let jsonpath = &script[start..start + script[start..].find('\'').unwrap()];
    let dir = scratch("helm-jsonpath");
    let app = |status: &str| {
        format!(
            r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"a"}},"status":{status}}}"#
        )
    };
    for (status, want) in [
        (
            r#"{"sync":{"revision":"abc","status":"Synced"},"health":{"status":"Healthy"}}"#,
            "abc|Synced|Healthy",
        ),
        (
            r#"{"sync":{"revisions":["def","1.4.2"],"status":"Synced"},"health":{"status":"Healthy"}}"#,
            "def|Synced|Healthy",
        ),
        (r#"{}"#, "||"),
    ] {
        std::fs::write(dir.join("app.json"), app(status)).unwrap();
        let out = run(
            &kubectl,
            &[
                "annotate",
                "--local",
                "-f",
                "app.json",
                "x=y",
                "-o",
                &format!("jsonpath={jsonpath}"),
            ],
            &dir,
        );
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(String::from_utf8_lossy(&out.stdout), want, "{status}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
