//! Progressive delivery through the Kustomize target: a service that rolls
//! out by canary in prod and blue-green in staging, rendered with `kubectl
//! kustomize` overlay by overlay. The Rollout replaces the Deployment where
//! the program says and only there, the autoscaler and the disruption budget
//! follow it, every object passes its schema (Kubernetes 1.32 for the
//! built-in kinds, the Argo Rollouts and Prometheus operator models for the
//! others), and the analysis queries, run by `promtool` on series made for the
//! purpose, measure the error rate and latency of the new version only, against
//! the thresholds the program states.

mod manifests;

use std::path::Path;

use pipec_tests::{run, scratch, text, tool, write_tree};
use serde_json::Value;

use manifests::{documents, id, kustomize, overlays};

const PROGRAM: &str = r#"use std.docker

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
  replicas 1
  url "https://dev.app.example.com"
}
environment staging {
  namespace "app-staging"
  promote from dev
  replicas 2
  url "https://staging.app.example.com"
}
environment prod    {
  namespace "app-prod"
  promote from staging, approvals 2
  tier production
  autoscale { replicas 3..10, cpu 70% }
}

service app {
  image app
  port 8000
  metrics "/metrics" port 9100 {
    requests "flask_http_request_total" labels [method, status]
    latency  "flask_http_request_duration_seconds" labels [method, status]
  }
  probes { live "/health", ready "/ready" }
  resources { cpu 100m..200m, memory 64Mi..128Mi }
  min_available 1
  ingress { host "app.example.com", class "nginx" }
  rollout canary in [prod] {
    traffic nginx
    step 10% pause 5m
    step 30% pause 5m
    step 60% pause 10m
    step 100%
    analysis {
      prometheus "http://prometheus-operated.monitoring.svc:9090"
      error_rate max 1% by status
      latency p95 max 500ms
      interval 1m
      failures 2
    }
  }
  rollout blue_green in [staging] {
    analysis {
      prometheus "http://prometheus-operated.monitoring.svc:9090"
      error_rate max 2.5%
    }
  }
  alerts {
    error_rate   max 5% for 5m
    latency      p99 max 2s for 10m
    availability min 50%
    restarts     max 3 within 1h
    rule queue_backlog "sum(celery_queue_length) > 100" for 15m severity critical
  }
  deploy to [dev, staging, prod] via argocd
}

gitops { repo "https://github.com/acme/deploy.git" }
"#;

const CUSTOM_KINDS: &[&str] = &[
    "Rollout",
    "AnalysisTemplate",
    "ServiceMonitor",
    "PrometheusRule",
];

/// Each environment with the documents of its rendered overlay.
type Rendered = Vec<(String, Vec<Value>)>;

/// Every overlay rendered, with the scratch folder.
fn rendered(name: &str) -> Option<(Rendered, std::path::PathBuf)> {
    let kubectl = tool("kubectl")?;
    let (p, _) = manifests::program(PROGRAM);
    let tree = pipec::emit(&p, &["kustomize"]).unwrap_or_else(|d| panic!("{d:#?}"));
    let dir = scratch(name);
    write_tree(&tree, &dir);
    let mut out = Vec::new();
    for (service, env) in overlays(&tree) {
        let text = kustomize(
            &kubectl,
            &dir.join(format!("deploy/{service}/overlays/{env}")),
        );
        std::fs::write(dir.join(format!("{env}.rendered.yaml")), &text).expect("write");
        out.push((env, documents(&text)));
    }
    Some((out, dir))
}

fn find<'d>(docs: &'d [Value], kind: &str) -> Vec<&'d Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

fn one<'d>(docs: &'d [Value], kind: &str, env: &str) -> &'d Value {
    let found = find(docs, kind);
    assert_eq!(found.len(), 1, "{env}: {kind}: {found:?}");
    found[0]
}

#[test]
fn the_rollout_replaces_the_deployment_only_where_the_program_says() {
    let Some((envs, _)) = rendered("rollouts-kinds") else {
        return;
    };
    let names: Vec<&str> = envs.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(names, ["dev", "prod", "staging"]);
    let dev = &envs[0].1;
    let deployment = one(dev, "Deployment", "dev");
    assert!(find(dev, "Rollout").is_empty(), "dev has a Rollout");
    assert!(find(dev, "AnalysisTemplate").is_empty());
    for (env, docs) in &envs[1..] {
        assert!(
            find(docs, "Deployment").is_empty(),
            "{env}: a Deployment beside the Rollout"
        );
        let rollout = one(docs, "Rollout", env);
        assert_eq!(rollout["apiVersion"], "argoproj.io/v1alpha1");
        // The pods are the Deployment's: same selector, same labels, same
        // containers but for the environment's image tag and resources.
        assert_eq!(
            rollout["spec"]["selector"], deployment["spec"]["selector"],
            "{env}"
        );
        assert_eq!(
            rollout["spec"]["template"]["metadata"], deployment["spec"]["template"]["metadata"],
            "{env}"
        );
        assert_eq!(
            rollout["spec"]["template"]["spec"]["containers"][0]["image"],
            deployment["spec"]["template"]["spec"]["containers"][0]["image"],
            "{env}"
        );
        // The disruption budget keeps selecting the pods.
        let pdb = one(docs, "PodDisruptionBudget", env);
        let labels = rollout["spec"]["template"]["metadata"]["labels"]
            .as_object()
            .expect("labels");
        for (k, v) in pdb["spec"]["selector"]["matchLabels"]
            .as_object()
            .expect("selector")
        {
            assert_eq!(labels.get(k), Some(v), "{env}: the budget misses the pods");
        }
        let template = one(docs, "AnalysisTemplate", env);
        let strategy = &rollout["spec"]["strategy"];
        match env.as_str() {
            "prod" => {
                let canary = &strategy["canary"];
                let steps: Vec<String> = canary["steps"]
                    .as_array()
                    .expect("steps")
                    .iter()
                    .map(|s| match s.get("setWeight") {
                        Some(w) => format!("{w}%"),
                        None => s["pause"]["duration"].as_str().expect("pause").to_string(),
                    })
                    .collect();
                assert_eq!(steps, ["10%", "5m", "30%", "5m", "60%", "10m", "100%"]);
                assert_eq!(
                    canary["analysis"]["templates"][0]["templateName"],
                    template["metadata"]["name"]
                );
                // NGINX sends each step's share of the requests to the
                // canary Service, beside the service's own.
                assert_eq!(canary["stableService"], "app");
                assert_eq!(canary["canaryService"], "app-canary");
                assert_eq!(canary["trafficRouting"]["nginx"]["stableIngress"], "app");
                let ingress = one(docs, "Ingress", env);
                assert_eq!(ingress["metadata"]["name"], "app");
                assert_eq!(
                    ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"],
                    "app"
                );
                let svc = find(docs, "Service");
                let names: Vec<&str> = svc
                    .iter()
                    .map(|s| s["metadata"]["name"].as_str().expect("name"))
                    .collect();
                assert_eq!(names, ["app", "app-canary"]);
                assert_eq!(svc[0]["spec"]["selector"], svc[1]["spec"]["selector"]);
                // The autoscaler scales the Rollout, within prod's bounds.
                let hpa = one(docs, "HorizontalPodAutoscaler", env);
                assert_eq!(
                    hpa["spec"]["scaleTargetRef"],
                    serde_json::json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "app"})
                );
                assert_eq!(hpa["spec"]["minReplicas"], 3);
                assert!(rollout["spec"].get("replicas").is_none());
            }
            _ => {
                let bg = &strategy["blueGreen"];
                let services: Vec<&str> = find(docs, "Service")
                    .iter()
                    .map(|s| s["metadata"]["name"].as_str().expect("name"))
                    .collect();
                assert_eq!(services, ["app", "app-preview"], "{env}");
                assert_eq!(bg["activeService"], "app");
                assert_eq!(bg["previewService"], "app-preview");
                let svc = find(docs, "Service");
                assert_eq!(svc[0]["spec"]["selector"], svc[1]["spec"]["selector"]);
                assert_eq!(
                    bg["postPromotionAnalysis"]["templates"][0]["templateName"],
                    template["metadata"]["name"]
                );
                // A fixed count, set on the Rollout itself (Kustomize's
                // `replicas:` does not reach a Rollout).
                assert_eq!(rollout["spec"]["replicas"], 2);
                assert!(find(docs, "HorizontalPodAutoscaler").is_empty());
            }
        }
        // Prometheus scrapes the pods with their template hash.
        let monitor = one(docs, "ServiceMonitor", env);
        assert_eq!(
            monitor["spec"]["podTargetLabels"][0],
            "rollouts-pod-template-hash"
        );
        assert_eq!(monitor["spec"]["endpoints"][0]["path"], "/metrics");
        assert_eq!(monitor["spec"]["endpoints"][0]["targetPort"], "metrics");
    }
}

#[test]
fn every_object_passes_its_schema() {
    let (Some(validate), Some(crds)) = (tool("kubernetes-validate"), tool("crd-validate")) else {
        return;
    };
    let Some((envs, dir)) = rendered("rollouts-schemas") else {
        return;
    };
    for (env, docs) in &envs {
        let (custom, builtin): (Vec<&Value>, Vec<&Value>) = docs
            .iter()
            .partition(|d| CUSTOM_KINDS.contains(&d["kind"].as_str().unwrap_or("")));
        let write = |name: &str, docs: &[&Value]| {
            manifests::write_stream(&dir.join(name), docs);
        };
        let b = format!("{env}.builtin.yaml");
        write(&b, &builtin);
        let res = run(&validate, &["--strict", &b], &dir);
        let stdout = String::from_utf8_lossy(&res.stdout);
        assert!(
            res.status.success() && !stdout.contains("ERROR"),
            "{env}: {}",
            text(&res)
        );
        assert_eq!(
            stdout.matches(" passed for resource ").count(),
            builtin.len(),
            "{env}: {stdout}"
        );
        let c = format!("{env}.custom.yaml");
        write(&c, &custom);
        let res = run(&crds, &[&c], &dir);
        assert!(res.status.success(), "{env}: crd-validate:\n{}", text(&res));
        let checked = format!("checked {} document(s)", custom.len());
        assert!(text(&res).contains(&checked), "{env}: {}", text(&res));
        let kinds: Vec<String> = custom.iter().map(|d| id(d)).collect();
        let expected: &[&str] = if env == "dev" {
            &["ServiceMonitor/app", "PrometheusRule/app"]
        } else {
            &[
                "ServiceMonitor/app",
                "PrometheusRule/app",
                "AnalysisTemplate/app",
                "Rollout/app",
            ]
        };
        let mut kinds_sorted = kinds.clone();
        kinds_sorted.sort();
        let mut expected_sorted: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        expected_sorted.sort();
        assert_eq!(kinds_sorted, expected_sorted, "{env}");
    }
}

/// A `promtool test rules` file that evaluates `query` (its analysis argument
/// set to the hash `new`) over the given series at 10 minutes and expects
/// `value`.
fn promql_test(series: &[(&str, &str)], query: &str, value: &str) -> String {
    let q = query.replace("{{args.pod-template-hash}}", "new");
    let mut s = String::from(
        "rule_files: []\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n",
    );
    for (name, values) in series {
        s.push_str(&format!(
            "      - series: '{name}'\n        values: '{values}'\n"
        ));
    }
    s.push_str("    promql_expr_test:\n      - expr: |\n");
    for line in q.lines() {
        s.push_str(&format!("          {line}\n"));
    }
    s.push_str(&format!(
        "        eval_time: 10m\n        exp_samples:\n          - labels: '{{}}'\n            value: {value}\n"
    ));
    s
}

/// Requests of version `hash` in app-prod with `status`, `per_minute` a minute.
fn requests(hash: &str, status: &str, per_minute: u32) -> (String, String) {
    (
        format!(
            "flask_http_request_total{{namespace=\"app-prod\",rollouts_pod_template_hash=\"{hash}\",method=\"GET\",status=\"{status}\"}}"
        ),
        format!("0+{per_minute}x20"),
    )
}

fn bucket(hash: &str, le: &str, per_minute: u32) -> (String, String) {
    (
        format!(
            "flask_http_request_duration_seconds_bucket{{namespace=\"app-prod\",rollouts_pod_template_hash=\"{hash}\",le=\"{le}\"}}"
        ),
        format!("0+{per_minute}x20"),
    )
}

fn promtool_expects(promtool: &Path, dir: &Path, name: &str, test: &str) {
    let file = format!("{name}.test.yaml");
    std::fs::write(dir.join(&file), test).expect("write");
    let res = run(promtool, &["test", "rules", &file], dir);
    assert!(res.status.success(), "{name}:\n{test}\n{}", text(&res));
}

#[test]
fn the_analysis_measures_the_new_version_against_the_programs_thresholds() {
    let Some(promtool) = tool("promtool") else {
        return;
    };
    let Some((envs, dir)) = rendered("rollouts-analysis") else {
        return;
    };
    let prod = &envs.iter().find(|(e, _)| e == "prod").expect("prod").1;
    let template = one(prod, "AnalysisTemplate", "prod");
    let metrics = template["spec"]["metrics"].as_array().expect("metrics");
    let by_name = |n: &str| {
        metrics
            .iter()
            .find(|m| m["name"] == n)
            .unwrap_or_else(|| panic!("no measurement {n}"))
    };
    for m in metrics {
        assert_eq!(m["interval"], "1m");
        assert_eq!(m["failureLimit"], 2);
        assert_eq!(
            m["provider"]["prometheus"]["address"],
            "http://prometheus-operated.monitoring.svc:9090"
        );
    }
    // 1% and 500ms, as ratios and seconds, the units of the series.
    let errors = by_name("error-rate");
    assert_eq!(errors["successCondition"], "result[0] <= 0.01");
    let latency = by_name("latency-p95");
    assert_eq!(latency["successCondition"], "result[0] <= 0.5");

    let q = errors["provider"]["prometheus"]["query"]
        .as_str()
        .expect("query");
    // The new version answers 2% of its requests with 500; the stable one,
    // half of them, and it must not count.
    let series = [
        requests("new", "200", 98),
        requests("new", "500", 2),
        requests("old", "200", 50),
        requests("old", "503", 50),
    ];
    let refs: Vec<(&str, &str)> = series
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    promtool_expects(
        &promtool,
        &dir,
        "error-rate",
        &promql_test(&refs, q, "0.02"),
    );
    // No requests to the new version yet: nothing to fail on.
    promtool_expects(
        &promtool,
        &dir,
        "error-rate-quiet",
        &promql_test(&refs[2..], q, "0"),
    );

    let q = latency["provider"]["prometheus"]["query"]
        .as_str()
        .expect("query");
    // 90% of the requests within 0.5s, all within 1s: p95 is 0.75s (the
    // stable version answers everything within 0.1s, and must not count).
    let series = [
        bucket("new", "0.1", 60),
        bucket("new", "0.5", 540),
        bucket("new", "1", 600),
        bucket("new", "+Inf", 600),
        bucket("old", "0.1", 600),
        bucket("old", "+Inf", 600),
    ];
    let refs: Vec<(&str, &str)> = series
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    promtool_expects(&promtool, &dir, "latency", &promql_test(&refs, q, "0.75"));
    promtool_expects(
        &promtool,
        &dir,
        "latency-quiet",
        &promql_test(&refs[4..], q, "0"),
    );

    // staging's blue-green analysis: its own threshold, its own namespace.
    let staging = &envs
        .iter()
        .find(|(e, _)| e == "staging")
        .expect("staging")
        .1;
    let t = one(staging, "AnalysisTemplate", "staging");
    let m = &t["spec"]["metrics"][0];
    assert_eq!(m["successCondition"], "result[0] <= 0.025");
    assert!(
        m["provider"]["prometheus"]["query"]
            .as_str()
            .expect("query")
            .contains("namespace=\"app-staging\"")
    );
    assert_eq!(t["spec"]["metrics"].as_array().map(Vec::len), Some(1));
}

/// The `spec` of an environment's PrometheusRule, which is a rule file.
fn rule_file(docs: &[Value], env: &str) -> String {
    let rule = one(docs, "PrometheusRule", env);
    yaml_serde::to_string(&rule["spec"]).expect("yaml")
}

#[test]
fn the_alerts_pass_promtool_and_fire_when_the_program_says() {
    let Some(promtool) = tool("promtool") else {
        return;
    };
    let Some((envs, dir)) = rendered("rollouts-alerts") else {
        return;
    };
    for (env, docs) in &envs {
        let file = format!("{env}.rules.yaml");
        std::fs::write(dir.join(&file), rule_file(docs, env)).expect("write");
        let res = run(&promtool, &["check", "rules", &file], &dir);
        assert!(res.status.success(), "{env}: {}", text(&res));
        assert!(
            text(&res).contains("SUCCESS: 5 rules found"),
            "{env}: {}",
            text(&res)
        );
    }
    // In prod, 10% of the requests fail from the start: after the 5 minutes
    // the program gives, ApiHighErrorRate fires; 2% never does. One pod of
    // three answers Prometheus (33% < 50%): the service is unavailable. A
    // container that restarted 4 times within the hour alerts; 3 do not.
    let prod = &envs.iter().find(|(e, _)| e == "prod").expect("prod").1;
    std::fs::write(dir.join("prod.rules.yaml"), rule_file(prod, "prod")).expect("write");
    let series = |service: &str, status: &str, per_minute: u32| {
        format!(
            "      - series: 'flask_http_request_total{{namespace=\"app-prod\",service=\"{service}\",status=\"{status}\"}}'\n        values: '0+{per_minute}x30'\n"
        )
    };
    let rule = one(prod, "PrometheusRule", "prod");
    let summary = |alert: &str| -> String {
        rule["spec"]["groups"][0]["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .find(|r| r["alert"] == alert)
            .unwrap_or_else(|| panic!("no alert {alert}"))["annotations"]["summary"]
            .as_str()
            .expect("summary")
            .to_string()
    };
    let test = |name: &str, input: String, alerts: &[(&str, &str, bool)]| {
        let mut t = format!(
            "rule_files: [prod.rules.yaml]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n{input}    alert_rule_test:\n"
        );
        for (alert, at, fires) in alerts {
            t.push_str(&format!(
                "      - alertname: {alert}\n        eval_time: {at}\n"
            ));
            if *fires {
                // A restart alert names the pod and container.
                let (severity, more) = if alert.ends_with("Restarting") {
                    ("warning", ", container: app, namespace: app-prod, pod: p")
                } else {
                    ("critical", "")
                };
                t.push_str(&format!(
                    "        exp_alerts:\n          - exp_labels: {{severity: {severity}, service: app, environment: prod{more}}}\n            exp_annotations: {{summary: '{}'}}\n",
                    summary(alert)
                ));
            } else {
                t.push_str("        exp_alerts: []\n");
            }
        }
        promtool_alerts(&promtool, &dir, name, &t);
    };
    let mut input = series("app", "200", 90) + &series("app", "500", 10);
    test(
        "error-rate-10",
        input.clone(),
        &[
            ("AppHighErrorRate", "4m", false),
            ("AppHighErrorRate", "10m", true),
        ],
    );
    input = series("app", "200", 98) + &series("app", "500", 2);
    test("error-rate-2", input, &[("AppHighErrorRate", "20m", false)]);
    let up = |pod: &str, v: &str| {
        format!(
            "      - series: 'up{{namespace=\"app-prod\",service=\"app\",pod=\"{pod}\"}}'\n        values: '{v}x30'\n"
        )
    };
    test(
        "availability",
        up("a", "1") + &up("b", "0") + &up("c", "0"),
        &[("AppUnavailable", "10m", true)],
    );
    test(
        "availability-ok",
        up("a", "1") + &up("b", "1") + &up("c", "0"),
        &[("AppUnavailable", "10m", false)],
    );
    let restarts = |n: u32| {
        format!(
            "      - series: 'kube_pod_container_status_restarts_total{{namespace=\"app-prod\",container=\"app\",pod=\"p\"}}'\n        values: '0x30 {n}x30'\n"
        )
    };
    test("restarts-4", restarts(4), &[("AppRestarting", "40m", true)]);
    test(
        "restarts-3",
        restarts(3),
        &[("AppRestarting", "40m", false)],
    );
}

fn promtool_alerts(promtool: &Path, dir: &Path, name: &str, test: &str) {
    let file = format!("{name}.test.yaml");
    std::fs::write(dir.join(&file), test).expect("write");
    let res = run(promtool, &["test", "rules", &file], dir);
    assert!(res.status.success(), "{name}:\n{test}\n{}", text(&res));
}

/// Every example's alerting rules and analysis queries, as `kubectl
/// kustomize` renders them, pass `promtool check rules`: the rules as they
/// are, the queries as the expressions of recording rules.
#[test]
fn every_example_rule_and_query_passes_promtool() {
    let (Some(kubectl), Some(promtool)) = (tool("kubectl"), tool("promtool")) else {
        return;
    };
    let mut checked = 0;
    for e in pipec_tests::examples() {
        let tree = pipec_tests::render(&e, &["kustomize"]);
        let dir = scratch(&format!("rollouts-promtool-{e}"));
        write_tree(&tree, &dir);
        for (service, env) in overlays(&tree) {
            let rendered = kustomize(
                &kubectl,
                &dir.join(format!("deploy/{service}/overlays/{env}")),
            );
            for d in documents(&rendered) {
                let rules = match d["kind"].as_str() {
                    Some("PrometheusRule") => d["spec"].clone(),
                    Some("AnalysisTemplate") => {
                        let records: Vec<Value> = d["spec"]["metrics"]
                            .as_array()
                            .expect("metrics")
                            .iter()
                            .map(|m| {
                                serde_json::json!({
                                    "record": format!("analysis:{}", m["name"].as_str().expect("name").replace('-', "_")),
                                    "expr": m["provider"]["prometheus"]["query"],
                                })
                            })
                            .collect();
                        serde_json::json!({"groups": [{"name": "analysis", "rules": records}]})
                    }
                    _ => continue,
                };
                let file = format!("{service}-{env}-{}.rules.yaml", id(&d).replace('/', "-"));
                std::fs::write(
                    dir.join(&file),
                    yaml_serde::to_string(&rules).expect("yaml"),
                )
                .expect("write");
                let res = run(&promtool, &["check", "rules", &file], &dir);
                assert!(
                    res.status.success(),
                    "{e} {service}/{env} {}: {}",
                    id(&d),
                    text(&res)
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 0, "no example has alerts or an analysis");
}
