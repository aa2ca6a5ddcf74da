//! A canary routed by a Gateway (`traffic gateway` with `gateway
//! "NAMESPACE/NAME"`): in the environment that rolls out by canary, the
//! Rollout hands its weights to Argo Rollouts' Gateway API plugin, which sets
//! them on the two backends of an HTTPRoute; the HTTPRoute attaches to the
//! Gateway named, answers for the environment's host and the service's
//! ingress path, and sends
//! everything to the stable Service to start with; the Ingress of that
//! environment is gone, so that no second route bypasses the split. The
//! other environments keep their Ingress. Rendered with `kubectl kustomize`;
//! the Rollout, the AnalysisTemplate and the HTTPRoute pass the Argo Rollouts
//! and Gateway API models (`crd-validate`), the built-in kinds the Kubernetes
//! schemas.

mod manifests;

use pipec_tests::{scratch, tool, write_tree};
use serde_json::{Value, json};

use manifests::{documents, find, kustomize};

const PROGRAM: &str = r#"use std.docker

pipeline app {
  on push to [main]
  image app = docker.build()
  publish app to ghcr("acme/app") { when branch main; tags [sha] }
}

environment staging {
  namespace "app-staging"
  deploy on branch main
  replicas 2
  url "https://staging.app.example.com"
}
environment prod {
  namespace "app-prod"
  url       "https://app.example.com"
  promote   from staging, approvals 2
  tier      production
  replicas  4
}

service app {
  image app
  port  8000
  metrics "/metrics"
  ingress { host "app.example.com", path "/api" }
  rollout canary in [prod] {
    traffic gateway
    gateway "infra/public"
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
fn the_http_route_splits_what_the_rollout_names() {
    let Some(kubectl) = tool("kubectl") else {
        return;
    };
    let (p, _) = manifests::program(PROGRAM);
    let tree = pipec::emit(&p, &["kustomize", "argocd"]).unwrap_or_else(|d| panic!("{d:#?}"));
    let dir = scratch("rollouts-gateway");
    write_tree(&tree, &dir);
    let prod = documents(&kustomize(&kubectl, &dir.join("deploy/app/overlays/prod")));
    let staging = documents(&kustomize(
        &kubectl,
        &dir.join("deploy/app/overlays/staging"),
    ));
    // Staging keeps its Deployment and Ingress; prod has no Ingress.
    assert!(
        staging
            .iter()
            .all(|d| d["kind"] != "HTTPRoute" && d["kind"] != "Rollout")
    );
    assert_eq!(
        find(&staging, "Ingress", "app")["spec"]["rules"][0]["host"],
        "staging.app.example.com"
    );
    assert!(prod.iter().all(|d| d["kind"] != "Ingress"), "{prod:#?}");

    let rollout = find(&prod, "Rollout", "app");
    let canary = &rollout["spec"]["strategy"]["canary"];
    let stable = canary["stableService"].as_str().expect("stableService");
    let canary_svc = canary["canaryService"].as_str().expect("canaryService");
    let plugin = &canary["trafficRouting"]["plugins"]["argoproj-labs/gatewayAPI"];
    let weights: Vec<u64> = canary["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["setWeight"].as_u64())
        .collect();
    assert_eq!(weights, [10, 50, 100]);

    // The plugin finds the route by name in the namespace it names, which is
    // where the overlay puts it.
    let route = find(
        &prod,
        "HTTPRoute",
        plugin["httpRoute"].as_str().expect("httpRoute"),
    );
    assert_eq!(route["apiVersion"], "gateway.networking.k8s.io/v1");
    assert_eq!(route["metadata"]["namespace"], "app-prod");
    assert_eq!(plugin["namespace"], "app-prod");
    assert_eq!(
        route["spec"]["parentRefs"],
        json!([{ "name": "public", "namespace": "infra" }])
    );
    assert_eq!(route["spec"]["hostnames"], json!(["app.example.com"]));
    // One rule, the Ingress's path, with exactly the two Services: the
    // plugin sets the weights of the rule's backends.
    let rules = route["spec"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), 1);
    assert_eq!(
        rules[0]["matches"],
        json!([{ "path": { "type": "PathPrefix", "value": "/api" } }])
    );
    let backends = rules[0]["backendRefs"].as_array().expect("backendRefs");
    let names: Vec<&str> = backends.iter().filter_map(|b| b["name"].as_str()).collect();
    assert_eq!(names, [stable, canary_svc]);
    let w: Vec<u64> = backends
        .iter()
        .filter_map(|b| b["weight"].as_u64())
        .collect();
    assert_eq!(w, [100, 0]);
    // Each backend's port is one its Service serves, and the canary
    // Service selects the same pods (Argo Rollouts narrows it by hash).
    for b in backends {
        let svc = find(&prod, "Service", b["name"].as_str().expect("name"));
        assert!(
            svc["spec"]["ports"]
                .as_array()
                .expect("ports")
                .iter()
                .any(|p| p["port"] == b["port"]),
            "{svc}"
        );
        assert_eq!(
            svc["spec"]["selector"],
            find(&prod, "Service", stable)["spec"]["selector"]
        );
    }

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
            .any(|k| k["group"] == "gateway.networking.k8s.io" && k["kind"] == "HTTPRoute"),
        "{project}"
    );

    let Some(crds) = manifests::validate_rendered(&dir, &prod, &[]) else {
        return;
    };
    for kind in ["1 Rollout", "1 AnalysisTemplate", "1 HTTPRoute"] {
        assert!(crds.contains(kind), "{crds}");
    }
}
