//! A canary routed by Istio (`traffic istio`): in the environment that rolls
//! out by canary, the Rollout names the stable and canary Services and the
//! VirtualService whose route Argo Rollouts sets the weights of; the
//! VirtualService sends the requests to the service's name to those two
//! Services, on their port, all to the stable one to start with. Rendered
//! with `kubectl kustomize`; the Rollout passes the Argo Rollouts models
//! (`crd-validate`) and the built-in kinds the Kubernetes schemas. No Istio
//! model is pinned: the VirtualService is checked here against what Argo
//! Rollouts requires of it.

mod manifests;

use pipec_tests::{scratch, tool, write_tree};
use serde_json::Value;

use manifests::{documents, find, kustomize};

const PROGRAM: &str = r#"use std.docker

pipeline app {
  on push to [main]
  image app = docker.build()
  publish app to ghcr("acme/app") { when branch main; tags [sha] }
}

environment staging { namespace "app-staging"; deploy on branch main; replicas 2 }
environment prod {
  namespace "app-prod"
  promote   from staging, approvals 2
  tier      production
  replicas  4
}

service app {
  image app
  port  8000
  metrics "/metrics"
  rollout canary in [prod] {
    traffic istio
    step 10% pause 5m
    step 50% pause 10m
    step 100%
    analysis {
      prometheus "http://prometheus-operated.monitoring.svc:9090"
      error_rate max 1%
    }
  }
  deploy to [staging, prod] via argocd
}

gitops {
  repo   "https://github.com/acme/deploy.git"
  argocd secret("ARGOCD_KUBECONFIG")
}
"#;

#[test]
fn the_virtual_service_routes_what_the_rollout_names() {
    let Some(kubectl) = tool("kubectl") else {
        return;
    };
    let (p, _) = manifests::program(PROGRAM);
    let tree = pipec::emit(&p, &["kustomize", "argocd"]).unwrap_or_else(|d| panic!("{d:#?}"));
    let dir = scratch("rollouts-istio");
    write_tree(&tree, &dir);
    let prod = documents(&kustomize(&kubectl, &dir.join("deploy/app/overlays/prod")));
    let staging = documents(&kustomize(
        &kubectl,
        &dir.join("deploy/app/overlays/staging"),
    ));
    assert!(
        staging
            .iter()
            .all(|d| d["kind"] != "VirtualService" && d["kind"] != "Rollout")
    );

    let rollout = find(&prod, "Rollout", "app");
    let canary = &rollout["spec"]["strategy"]["canary"];
    let stable = canary["stableService"].as_str().expect("stableService");
    let canary_svc = canary["canaryService"].as_str().expect("canaryService");
    let vs_ref = &canary["trafficRouting"]["istio"]["virtualService"];
    let routes: Vec<&str> = vs_ref["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let weights: Vec<u64> = canary["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["setWeight"].as_u64())
        .collect();
    assert_eq!(weights, [10, 50, 100]);

    let vs = find(
        &prod,
        "VirtualService",
        vs_ref["name"].as_str().expect("name"),
    );
    assert_eq!(vs["apiVersion"], "networking.istio.io/v1beta1");
    assert_eq!(vs["metadata"]["namespace"], "app-prod");
    assert_eq!(vs["spec"]["hosts"], serde_json::json!([stable]));
    // Argo Rollouts sets the weights of each route it is given: one route of
    // the VirtualService by that name, with exactly the two Services.
    for r in &routes {
        let http: Vec<&Value> = vs["spec"]["http"]
            .as_array()
            .expect("http")
            .iter()
            .filter(|h| h["name"] == *r)
            .collect();
        assert_eq!(http.len(), 1, "route {r}");
        let dest = http[0]["route"].as_array().expect("route");
        let hosts: Vec<&str> = dest
            .iter()
            .filter_map(|d| d["destination"]["host"].as_str())
            .collect();
        assert_eq!(hosts, [stable, canary_svc]);
        let w: Vec<u64> = dest.iter().filter_map(|d| d["weight"].as_u64()).collect();
        assert_eq!(w, [100, 0]);
        // Each destination's port is one its Service serves.
        for d in dest {
            let svc = find(
                &prod,
                "Service",
                d["destination"]["host"].as_str().expect("host"),
            );
            let port = &d["destination"]["port"]["number"];
            assert!(
                svc["spec"]["ports"]
                    .as_array()
                    .expect("ports")
                    .iter()
                    .any(|p| p["port"] == *port),
                "{svc}"
            );
        }
    }
    // The analysis measures the new version by its pods, whichever Service
    // its requests came through.
    let template = find(&prod, "AnalysisTemplate", "app");
    let query = template["spec"]["metrics"][0]["provider"]["prometheus"]["query"]
        .as_str()
        .expect("query");
    assert!(
        query.contains("rollouts_pod_template_hash=\"{{args.pod-template-hash}}\""),
        "{query}"
    );

    // The Argo CD project lets the Application create it.
    let project: Value = yaml_serde::from_str(
        &tree
            .files()
            .find(|f| f.path.ends_with("app.appproject.yaml"))
            .expect("project")
            .body,
    )
    .expect("yaml");
    assert!(
        project["spec"]["namespaceResourceWhitelist"]
            .as_array()
            .expect("whitelist")
            .iter()
            .any(|k| k["group"] == "networking.istio.io" && k["kind"] == "VirtualService"),
        "{project}"
    );

    // No Istio model is pinned: the VirtualService is checked above.
    manifests::validate_rendered(&dir, &prod, &["VirtualService"]);
}
