//! PIPE520 (a Rollout's analysis that cannot fail) on real Argo Rollouts
//! manifests of `tests/corpus` — silent on them as they are, and reporting
//! the metric once its condition is taken away — and one verdict with the
//! compiler, which refuses the same analysis in a program (E0504) and whose
//! output for the analysis it accepts lints clean.

use std::path::{Path, PathBuf};

use pipec_check::{MemoryFs, check};
use pipec_lint::{Batch, Config, Session};

/// The corpus' files about Argo Rollouts analyses, by repository.
const REAL: &[&[&str]] = &[
    &[
        "argoproj/argo-rollouts/examples/rollout-secret.yaml",
        "argoproj/argo-rollouts/examples/rollout-analysis-step.yaml",
        "argoproj/argo-rollouts/examples/rollout-background-analysis.yaml",
        "argoproj/argo-rollouts/examples/analysis-templates.yaml",
        "argoproj/argo-rollouts/examples/cluster-analysis-templates.yaml",
        "argoproj/argo-rollouts/examples/appmesh/canary-rollout.yaml",
    ],
    &[
        "raghib1992/kubernetes-tuts/ArgoRollout/08-rollout-analysis/01-mock-analysis-template.yaml",
        "raghib1992/kubernetes-tuts/ArgoRollout/08-rollout-analysis/02-webapp-rollout.yaml",
        "raghib1992/kubernetes-tuts/ArgoRollout/08-rollout-analysis/resource-usage-analysis-template.yaml",
    ],
];

fn corpus(file: &str) -> String {
    let path = pipec_tests::root().join("tests/corpus").join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn lint(files: &[(&str, String)]) -> Batch {
    let mut s = Session::new(Default::default(), Config::default());
    for (name, text) in files {
        s.add_yaml(name, text);
    }
    s.finish()
}

fn pipe520(b: &Batch) -> Vec<String> {
    b.findings
        .iter()
        .filter(|f| f.code == "PIPE520")
        .map(|f| f.diagnostic.message.clone())
        .collect()
}

#[test]
fn real_analyses_that_judge_are_not_reported() {
    for repo in REAL {
        let files: Vec<(&str, String)> = repo.iter().map(|f| (*f, corpus(f))).collect();
        assert_eq!(pipe520(&lint(&files)), Vec::<String>::new(), "{repo:?}");
    }
}

#[test]
fn a_real_metric_without_its_condition_is_reported() {
    // Argo Rollouts' own example of a web metric, with a Rollout naming it.
    let file = REAL[0][0];
    let text = corpus(file);
    assert!(text.contains("successCondition: result == 'It worked!'"));
    let mutated: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("successCondition:"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        pipe520(&lint(&[(file, mutated)])),
        vec![
            "metric `webmetric` of `analysis-secret` has no successCondition or failureCondition (analysis of Rollout `rollout-secret`)"
                .to_string()
        ]
    );
    // And without its provider's URL, it measures nothing.
    let mutated: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("url:"))
        .map(|l| format!("{l}\n"))
        .collect();
    let found = pipe520(&lint(&[(file, mutated)]));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("has no web `url`"), "{found:?}");
}

const PROGRAM: &str = r#"use std.docker

pipeline app {
  on push to main
  image app = docker.build()
  publish app to ghcr("acme/app") { tags [sha] }
}

environment staging { namespace "app-staging"; deploy on branch main }
environment prod { namespace "app-prod"; promote from staging, approvals 1 }

service api {
  image app
  port 8000
  metrics "/metrics"
  rollout STRATEGY in [prod] {
    STEPS
    analysis {
      prometheus "http://prometheus-operated.monitoring.svc:9090"
      MEASURE
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
fn the_compiler_refuses_what_the_linter_reports() {
    for (strategy, steps) in [
        ("canary", "step 20% pause 5m\n    step 100%"),
        ("blue_green", ""),
    ] {
        let text = |measure: &str| {
            PROGRAM
                .replace("STRATEGY", strategy)
                .replace("STEPS", steps)
                .replace("MEASURE", measure)
        };
        let fs = |t: String| MemoryFs([(PathBuf::from("app.pipe"), t)].into());
        let refused = check(Path::new("app.pipe"), &fs(text(""))).expect("in memory");
        let codes: Vec<&str> = refused
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.code.as_str())
            .collect();
        assert_eq!(codes, ["E0504"], "{strategy}");
        // What it accepts, it writes as an analysis the linter finds nothing
        // wrong with.
        for measure in ["error_rate max 1%", "latency p95 max 500ms"] {
            let program = pipec_tests::program_from(&text(measure));
            let tree = pipec::emit(&program, &["kustomize"]).expect("emits");
            let files: Vec<(&str, String)> = tree
                .files()
                .filter(|f| f.path.ends_with(".yaml"))
                .map(|f| (f.path.as_str(), f.body.clone()))
                .collect();
            assert!(
                files
                    .iter()
                    .any(|(_, b)| b.contains("kind: AnalysisTemplate")),
                "{strategy}"
            );
            assert_eq!(
                pipe520(&lint(&files)),
                Vec::<String>::new(),
                "{strategy} {measure}"
            );
        }
    }
}
