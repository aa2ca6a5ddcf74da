//! mts-deploy-ai (seed 000) has its alert rules back: each environment's
//! PrometheusRule passes `promtool check rules`, its own expressions watch
//! only that environment's namespace (`$namespace`), and `promtool test
//! rules` shows them firing on that namespace's pods and not on the other's.

use pipec_tests::{render, run, scratch, text, tool};
use serde_json::Value;

const ENVS: [(&str, &str, &str); 2] = [
    ("staging", "telecom-staging", "telecom"),
    ("production", "telecom", "telecom-staging"),
];

fn rule_spec(env: &str) -> Value {
    let tree = render("mts-deploy-ai", &["kustomize"]);
    let path = format!("deploy/mts-deploy-ai/overlays/{env}/prometheusrule.yaml");
    let body = &tree
        .files()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("no {path}"))
        .body;
    let doc: Value = yaml_serde::from_str(body).expect("yaml");
    doc["spec"].clone()
}

#[test]
fn each_environment_watches_its_own_pods() {
    for (env, ns, other) in ENVS {
        let spec = rule_spec(env);
        let rules = spec["groups"][0]["rules"].as_array().expect("rules");
        let names: Vec<&str> = rules.iter().filter_map(|r| r["alert"].as_str()).collect();
        for alert in [
            "MtsDeployAiUnavailable",
            "MtsDeployAiRestarting",
            "MtsDeployAiPodNotReady",
            "MtsDeployAiHighCpuUsage",
            "MtsDeployAiHighMemoryUsage",
        ] {
            assert!(names.contains(&alert), "{env}: {names:?}");
        }
        for r in rules {
            let expr = r["expr"].as_str().expect("expr");
            assert!(!expr.contains('$'), "{env}: {expr}");
            assert!(
                expr.contains(&format!("namespace=\"{ns}\"")),
                "{env}: {expr}"
            );
            assert!(
                !expr.contains(&format!("namespace=\"{other}\"")),
                "{env}: {expr}"
            );
        }
    }
}

#[test]
fn the_rules_pass_promtool_and_fire_on_their_environment() {
    let Some(promtool) = tool("promtool") else {
        return;
    };
    let dir = scratch("seed-alerts");
    for (env, ns, other) in ENVS {
        let file = format!("{env}.rules.yaml");
        let spec = rule_spec(env);
        std::fs::write(dir.join(&file), yaml_serde::to_string(&spec).expect("yaml"))
            .expect("write");
        let res = run(&promtool, &["check", "rules", &file], &dir);
        assert!(res.status.success(), "{env}: {}", text(&res));
        assert!(
            text(&res).contains("SUCCESS: 5 rules found"),
            "{env}: {}",
            text(&res)
        );
        // A pod of this environment not ready for 10 minutes, and one of the
        // other environment: only the first alerts, after the 5 minutes the
        // rule holds; a pod using 90% of a CPU alerts, and one of 95% of its
        // memory limit.
        let series = |name: &str, labels: &str, values: &str| {
            format!("      - series: '{name}{{{labels}}}'\n        values: '{values}'\n")
        };
        let mut input = String::new();
        for n in [ns, other] {
            input += &series(
                "kube_pod_status_ready",
                &format!("namespace=\"{n}\",pod=\"mts-deploy-ai-{n}-1\",condition=\"false\""),
                "1x20",
            );
            let c = format!(
                "namespace=\"{n}\",pod=\"mts-deploy-ai-{n}-1\",container=\"mts-deploy-ai\""
            );
            input += &series("container_cpu_usage_seconds_total", &c, "0+54x20");
            input += &series("container_memory_working_set_bytes", &c, "950x20");
            input += &series("container_spec_memory_limit_bytes", &c, "1000x20");
        }
        let expect = |alert: &str, severity: &str| {
            format!(
                "      - alertname: {alert}\n        eval_time: 3m\n        exp_alerts: []\n      - alertname: {alert}\n        eval_time: 15m\n        exp_alerts:\n          - exp_labels: {{severity: {severity}, service: mts-deploy-ai, environment: {env}, pod: mts-deploy-ai-{ns}-1}}\n            exp_annotations: {{summary: '{}'}}\n",
                summary(&spec, alert)
            )
        };
        let test = format!(
            "rule_files: [{file}]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n{input}    alert_rule_test:\n{}{}{}",
            expect("MtsDeployAiPodNotReady", "critical"),
            expect("MtsDeployAiHighCpuUsage", "warning"),
            expect("MtsDeployAiHighMemoryUsage", "warning"),
        );
        let t = format!("{env}.test.yaml");
        std::fs::write(dir.join(&t), &test).expect("write");
        let res = run(&promtool, &["test", "rules", &t], &dir);
        assert!(res.status.success(), "{env}:\n{test}\n{}", text(&res));
    }
}

fn summary(spec: &Value, alert: &str) -> String {
    spec["groups"][0]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|r| r["alert"] == alert)
        .unwrap_or_else(|| panic!("no {alert}"))["annotations"]["summary"]
        .as_str()
        .expect("summary")
        .to_string()
}
