//! The Argo CD target: whole-tree snapshots, every AppProject and Application
//! validated by `argocd-validate` (Argo CD v3 API types, unknown fields
//! rejected), their fields checked against the program, the projects'
//! allow-lists checked against what the overlays really contain, and the
//! diagnostics.

mod manifests;

use pipec_graph::{DeployMethod, Program};
use pipec_tests::{emitted, examples, program, render, root, run, scratch, tool, write_tree};
use serde_json::Value;

use manifests::{app_with, documents, kustomize, target_errors};

#[test]
fn whole_tree_snapshots() {
    for e in examples() {
        let tree = render(&e, &["argocd"]);
        insta::assert_snapshot!(format!("argocd-{e}"), tree.render());
    }
}

/// The notifications controller's configuration, beside the Argo CD objects.
const NOTIFICATIONS_CM: &str = "/argocd-notifications-cm.yaml";

/// The Argo CD documents of an example, by file.
fn argo_documents(e: &str) -> Vec<(String, Value)> {
    render(e, &["argocd"])
        .files()
        .filter(|f| !f.path.ends_with("/kustomization.yaml") && !f.path.ends_with(NOTIFICATIONS_CM))
        .map(|f| (f.path.clone(), documents(&f.body).remove(0)))
        .collect()
}

#[test]
fn every_argo_cd_object_validates() {
    let Some(validate) = tool("argocd-validate") else {
        return;
    };
    let kubectl = tool("kubectl");
    let kubernetes = tool("kubernetes-validate");
    let mut checked = 0;
    for e in examples() {
        let tree = render(&e, &["argocd"]);
        if tree.is_empty() {
            continue;
        }
        let dir = scratch(&format!("argocd-{e}"));
        write_tree(&tree, &dir);
        let files: Vec<&str> = tree.files().map(|f| f.path.as_str()).collect();
        let res = run(&validate, &files, &dir);
        let stderr = String::from_utf8_lossy(&res.stderr);
        assert!(
            res.status.success(),
            "{e}: argocd-validate:\n{}{stderr}",
            String::from_utf8_lossy(&res.stdout)
        );
        let expected = argo_documents(&e).len();
        assert!(
            stderr.contains(&format!("checked {expected} document(s)")),
            "{e}: {stderr}"
        );
        checked += expected;
        // The notifications configuration against Kubernetes' schemas.
        let cm: Vec<&str> = files
            .iter()
            .copied()
            .filter(|f| f.ends_with(NOTIFICATIONS_CM))
            .collect();
        if let (Some(path), Some(k8s)) = (cm.first(), &kubernetes) {
            let res = run(k8s, &["--strict", path], &dir);
            let stdout = String::from_utf8_lossy(&res.stdout);
            assert!(
                res.status.success() && stdout.contains(" passed for resource "),
                "{e}: kubernetes-validate:\n{stdout}"
            );
        }
        // The index builds, and lists every object.
        if let Some(kubectl) = &kubectl {
            let index = kustomize(kubectl, &dir.join("deploy/argocd"));
            assert_eq!(documents(&index).len(), expected + cm.len(), "{e}");
        }
    }
    assert!(checked >= 5, "only {checked} Argo CD objects checked");
}

fn service_named<'p>(p: &'p Program, k8s_name: &str) -> &'p pipec_graph::Service {
    p.services
        .iter()
        .find(|s| pipec_emit::layout::k8s_name(s) == k8s_name)
        .unwrap_or_else(|| panic!("no service {k8s_name}"))
}

#[test]
fn applications_say_what_the_program_says() {
    for e in examples() {
        let p = program(&e);
        let docs = argo_documents(&e);
        let argo_services: Vec<_> = p
            .services
            .iter()
            .filter(|s| s.method == DeployMethod::ArgoCd)
            .collect();
        let apps: Vec<&Value> = docs
            .iter()
            .map(|(_, d)| d)
            .filter(|d| d["kind"] == "Application")
            .collect();
        let projects: Vec<&Value> = docs
            .iter()
            .map(|(_, d)| d)
            .filter(|d| d["kind"] == "AppProject")
            .collect();
        assert_eq!(
            projects.len(),
            argo_services.len(),
            "{e}: one AppProject per service"
        );
        assert_eq!(
            apps.len(),
            argo_services.iter().map(|s| s.deploy.len()).sum::<usize>(),
            "{e}: one Application per environment"
        );
        let kustomize = render(&e, &["kustomize"]);
        let Some(gitops) = &p.gitops else {
            assert!(docs.is_empty(), "{e}: Argo CD objects without gitops");
            continue;
        };
        for project in &projects {
            let spec = &project["spec"];
            let s = service_named(&p, project["metadata"]["name"].as_str().expect("name"));
            assert_eq!(project["metadata"]["namespace"], "argocd");
            assert_eq!(spec["sourceRepos"], serde_json::json!([gitops.repo]), "{e}");
            let namespaces: Vec<&str> = s
                .deploy
                .iter()
                .map(|id| p.environment(*id).namespace.as_str())
                .collect();
            let destinations: Vec<(&str, &str)> = spec["destinations"]
                .as_array()
                .expect("destinations")
                .iter()
                .map(|d| {
                    (
                        d["server"].as_str().expect("server"),
                        d["namespace"].as_str().expect("namespace"),
                    )
                })
                .collect();
            let expected: Vec<(&str, &str)> = namespaces
                .iter()
                .map(|n| ("https://kubernetes.default.svc", *n))
                .collect();
            assert_eq!(destinations, expected, "{e}");
            let text = serde_json::to_string(project).expect("json");
            assert!(!text.contains("\"*\""), "{e}: a wildcard in {text}");
        }
        let p = &p;
        for app in &apps {
            let name = app["metadata"]["name"].as_str().expect("name");
            let (s, env) = argo_services
                .iter()
                .flat_map(|s| s.deploy.iter().map(move |id| (*s, p.environment(*id))))
                .find(|(s, env)| {
                    format!(
                        "{}-{}",
                        pipec_emit::layout::k8s_name(s),
                        pipec_emit::layout::env_name(env)
                    ) == name
                })
                .unwrap_or_else(|| panic!("{e}: unexpected Application {name}"));
            let spec = &app["spec"];
            assert_eq!(app["metadata"]["namespace"], "argocd");
            assert_eq!(spec["project"], pipec_emit::layout::k8s_name(s), "{name}");
            assert_ne!(spec["project"], "default");
            assert_eq!(spec["source"]["repoURL"], gitops.repo.as_str(), "{name}");
            assert_eq!(
                spec["source"]["targetRevision"],
                env.revision.as_deref().unwrap_or(&gitops.branch),
                "{name}"
            );
            // The environment's tree, which deployments copy from the overlay
            // of the commit they ship (and which nothing else writes).
            let path = spec["source"]["path"].as_str().expect("path");
            assert_eq!(
                path,
                pipec_emit::layout::environment_overlay(p, s, env),
                "{name}"
            );
            let overlay = pipec_emit::layout::overlay_dir(p, s, env);
            assert!(
                kustomize
                    .get(&format!("{overlay}/kustomization.yaml"))
                    .is_some(),
                "{name}: {overlay} is not an overlay"
            );
            assert_eq!(
                spec["destination"]["namespace"],
                env.namespace.as_str(),
                "{name}"
            );
            assert_eq!(
                spec["destination"]["server"], "https://kubernetes.default.svc",
                "{name}"
            );
            let sync = &spec["syncPolicy"];
            assert!(
                sync["syncOptions"]
                    .as_array()
                    .expect("options")
                    .contains(&"CreateNamespace=true".into()),
                "{name}"
            );
            match env.sync.automated {
                true => {
                    assert_eq!(sync["automated"]["prune"], env.sync.prune, "{name}");
                    assert_eq!(sync["automated"]["selfHeal"], env.sync.self_heal, "{name}");
                    assert!(sync["automated"].get("allowEmpty").is_none(), "{name}");
                }
                false => assert!(sync.get("automated").is_none(), "{name}: automated sync"),
            }
            let annotations = app["metadata"]["annotations"].as_object();
            for n in &env.notifications {
                let key = format!(
                    "notifications.argoproj.io/subscribe.{}.{}",
                    n.trigger,
                    n.service.name()
                );
                let value = annotations
                    .and_then(|a| a.get(&key))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                assert!(value.split(';').any(|r| r == n.recipient), "{name}: {key}");
            }
            if env.notifications.is_empty() {
                assert!(annotations.is_none(), "{name}");
            }
        }
    }
}

#[test]
fn dev_syncs_itself_staging_and_prod_wait_for_a_person() {
    let docs = argo_documents("flask-api");
    let sync = |name: &str| -> Value {
        let (_, d) = docs
            .iter()
            .find(|(_, d)| d["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("no {name}"));
        d["spec"]["syncPolicy"].clone()
    };
    // Automated sync prunes: else the ConfigMap of every earlier
    // configuration stays, and dev is OutOfSync after each config change.
    assert_eq!(
        sync("flask-api-dev")["automated"],
        serde_json::json!({"prune": true, "selfHeal": true})
    );
    assert!(
        sync("flask-api-dev")["syncOptions"]
            .as_array()
            .expect("options")
            .contains(&"PruneLast=true".into())
    );
    assert!(sync("flask-api-staging").get("automated").is_none());
    assert!(sync("flask-api-prod").get("automated").is_none());
    // … unless the program says otherwise.
    let dir = root().join("examples/flask-api");
    let fs = pipec_check::MemoryFs(
        ["pipeline.pipe", "deploy.pipe"]
            .iter()
            .map(|f| {
                let text = std::fs::read_to_string(dir.join(f)).expect("example");
                let text = text.replacen(
                    "  replicas  1\n",
                    "  replicas  1\n  sync      automatic { prune false }\n",
                    1,
                );
                (std::path::Path::new("app").join(f), text)
            })
            .collect(),
    );
    let checked = pipec_check::check(std::path::Path::new("app"), &fs).expect("in memory");
    let p = checked.program.expect("the program checks");
    let dev = emitted(&p, &["argocd"], "deploy/argocd/flask-api-dev.yaml");
    let dev: Value = yaml_serde::from_str(&dev).expect("yaml");
    assert_eq!(
        dev["spec"]["syncPolicy"]["automated"],
        serde_json::json!({"prune": false, "selfHeal": true})
    );
    let options = dev["spec"]["syncPolicy"]["syncOptions"].as_array();
    assert!(
        !options.is_some_and(|o| o.contains(&"PruneLast=true".into())),
        "{options:?}"
    );
    let archon = argo_documents("archon-agent");
    let prod = archon
        .iter()
        .find(|(_, d)| d["metadata"]["name"] == "archon-agent-production")
        .expect("production");
    // Production follows the branch its deployments commit to; the release
    // it runs is pinned by the digest in its tree.
    assert_eq!(prod.1["spec"]["source"]["targetRevision"], "deploy");
}

#[test]
fn projects_allow_every_kind_their_overlays_contain() {
    let Some(kubectl) = tool("kubectl") else {
        return;
    };
    for e in examples() {
        let p = program(&e);
        let docs = argo_documents(&e);
        let tree = render(&e, &["kustomize"]);
        let dir = scratch(&format!("argocd-kinds-{e}"));
        write_tree(&tree, &dir);
        for s in p
            .services
            .iter()
            .filter(|s| s.method == DeployMethod::ArgoCd)
        {
            let name = pipec_emit::layout::k8s_name(s);
            let (_, project) = docs
                .iter()
                .find(|(_, d)| d["kind"] == "AppProject" && d["metadata"]["name"] == name.as_str())
                .expect("project");
            let allowed: Vec<(String, String)> = project["spec"]["namespaceResourceWhitelist"]
                .as_array()
                .expect("whitelist")
                .iter()
                .map(|k| {
                    (
                        k["group"].as_str().expect("group").into(),
                        k["kind"].as_str().expect("kind").into(),
                    )
                })
                .collect();
            for id in &s.deploy {
                let env = p.environment(*id);
                let overlay = dir.join(pipec_emit::layout::overlay_dir(&p, s, env));
                for d in documents(&kustomize(&kubectl, &overlay)) {
                    let api = d["apiVersion"].as_str().expect("apiVersion");
                    let group = api.rsplit_once('/').map_or("", |(g, _)| g).to_string();
                    let kind = d["kind"].as_str().expect("kind").to_string();
                    assert!(
                        allowed.contains(&(group.clone(), kind.clone())),
                        "{e}/{}: {group}/{kind} is not allowed by {name}'s AppProject",
                        env.name
                    );
                }
            }
        }
    }
}

#[test]
fn diagnostics_point_at_the_cause() {
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "E0447",
            app_with(&[("namespace \"app-dev\"", "namespace \"default\"")]),
            "dev",
        ),
        (
            "E0448",
            app_with(&[
                (
                    "service app {",
                    "environment eu_prod {\n  namespace \"app-eu-prod\"\n  promote from dev, approvals 2\n}\n\nservice app_eu {\n  image app\n  port 8000\n  deploy to [prod] via argocd\n}\n\nservice app {",
                ),
                (
                    "deploy to [dev, prod] via argocd",
                    "deploy to [dev, prod, eu_prod] via argocd",
                ),
            ]),
            "deploy to [dev, prod, eu_prod]",
        ),
    ];
    for (code, src, at) in cases {
        let errors = target_errors(&src, "argocd");
        assert!(
            matches!(errors.as_slice(), [(c, text)] if c == code && text.starts_with(at)),
            "expected one {code} at `{at}`, got {errors:?} for:\n{src}"
        );
    }
    assert_eq!(target_errors(manifests::APP, "argocd"), vec![]);
}
