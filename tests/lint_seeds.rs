//! The source documents' own pipelines (`tests/fixtures/lint/seeds/`, saved
//! byte for byte) get exactly the findings a reviewer would expect, and
//! nothing else. Each expectation says why.

use pipec_diagnostics::{SourceFile, SourceMap};
use pipec_lint::{Config, Session};

/// `(line, rule)` of every finding of one seed file.
fn lint(file: &str, config: Option<&str>) -> Vec<(usize, &'static str)> {
    let path = pipec_tests::root()
        .join("tests/fixtures/lint/seeds")
        .join(file);
    let text = std::fs::read_to_string(&path).expect("seed fixture");
    let mut sources = SourceMap::new();
    let config = match config {
        Some(t) => {
            let id = sources.add(SourceFile::new("pipec.toml", t, false));
            let (c, problems) = Config::from_toml(t, id);
            assert!(problems.is_empty());
            c
        }
        None => Config::default(),
    };
    let mut s = Session::new(sources, config);
    assert!(!s.add_yaml(file, &text).is_empty(), "{file} not recognised");
    let batch = s.finish();
    batch
        .findings
        .iter()
        .map(|f| {
            let span = f.diagnostic.primary_span();
            (
                batch.sources.get(span.source).line_col(span.start).0,
                f.code,
            )
        })
        .collect()
}

fn sorted(mut v: Vec<(usize, &'static str)>) -> Vec<(usize, &'static str)> {
    v.sort();
    v
}

#[test]
fn seed_000_github_workflow() {
    let expected = vec![
        // build: no permissions, an unpinned checkout that keeps the token,
        // unpinned buildx and login.
        (17, "PIPE202"),
        (20, "PIPE201"),
        (20, "PIPE205"),
        (23, "PIPE201"),
        (26, "PIPE201"),
        // build-push-action: pushes in pull-request runs too, before any
        // scan, unpinned; and `latest` on every push to main and develop.
        (33, "PIPE103"),
        (33, "PIPE105"),
        (33, "PIPE201"),
        (39, "PIPE104"),
        // test: no permissions, token kept, unpinned actions, and pytest
        // without --cov-fail-under.
        (44, "PIPE202"),
        (47, "PIPE201"),
        (47, "PIPE205"),
        (50, "PIPE201"),
        (61, "PIPE102"),
        (64, "PIPE201"),
        // security: Trivy pinned to a branch, results uploaded, but the scan
        // has no exit code and so never fails.
        (71, "PIPE202"),
        (76, "PIPE201"),
        (83, "PIPE201"),
        // deploy-staging: after a scan that cannot fail, with no dependency
        // audit, SAST or secret scan.
        (90, "PIPE105"),
        (90, "PIPE202"),
        (99, "PIPE201"),
        // deploy-production: the same, and its environment shows no approval.
        (114, "PIPE105"),
        (114, "PIPE202"),
        (119, "PIPE101"),
        (123, "PIPE201"),
    ];
    assert_eq!(sorted(lint("000-deploy.yml", None)), expected);
}

#[test]
fn seed_000_gitlab_ci() {
    let expected = vec![
        // build pushes before any scan has run (scans are two stages later),
        // and moves `latest` with every build of main and develop.
        (28, "PIPE105"),
        (29, "PIPE104"),
        // pytest measures coverage but nothing fails under a threshold; the
        // `coverage:` regex only displays it.
        (48, "PIPE102"),
        // `- echo "✅ Unit tests passed: 43/43"` is a mapping: GitLab rejects the file.
        (49, "PIPE007"),
        // Both deployments follow a Trivy run without --exit-code and a SAST
        // job with allow_failure: true; no dependency audit, no secret scan.
        (103, "PIPE105"),
        (126, "PIPE105"),
    ];
    assert_eq!(sorted(lint("000.gitlab-ci.yml", None)), expected);
}

#[test]
fn seed_003_github_workflow() {
    let expected = vec![
        // test: no permissions, token kept, unpinned actions, no coverage gate.
        (17, "PIPE202"),
        (24, "PIPE201"),
        (24, "PIPE205"),
        (27, "PIPE201"),
        (52, "PIPE102"),
        (61, "PIPE201"),
        // build: no permissions, token kept, unpinned actions, and the image
        // is pushed without any security scan. (metadata-action adds
        // `latest` only for tag events, which this workflow never has.)
        (69, "PIPE202"),
        (75, "PIPE201"),
        (75, "PIPE205"),
        (78, "PIPE201"),
        (81, "PIPE201"),
        (89, "PIPE201"),
        (99, "PIPE105"),
        (99, "PIPE201"),
        // deploy: production on every push to main with no visible approval,
        // no scans, the kubeconfig secret pasted into the script, and an
        // image tag nobody pushed.
        (111, "PIPE105"),
        (111, "PIPE202"),
        (116, "PIPE101"),
        (120, "PIPE201"),
        (120, "PIPE205"),
        (123, "PIPE201"),
        (128, "PIPE203"),
        // It deploys `main-<full sha>`; the build pushed `main-<short sha>`.
        (132, "PIPE110"),
        (146, "PIPE201"),
    ];
    assert_eq!(sorted(lint("003-ci.yml", None)), expected);
}

#[test]
fn seed_manifests() {
    // No securityContext. No rolling-update strategy either, but with 3
    // replicas Kubernetes' default 25% rounds down to 0 pods unavailable
    // (and up to 1 surge pod): the rollout keeps every pod serving.
    assert_eq!(
        sorted(lint("000-deployment.yaml", None)),
        vec![(24, "PIPE503")]
    );
    // The migration init container has no resources.
    assert_eq!(sorted(lint("003-k8s.yaml", None)), vec![(49, "PIPE502")]);
    // Nothing in the Application says which environment it is ...
    assert_eq!(lint("000-argocd.yaml", None), vec![]);
    // ... but its namespace `telecom` is production in the GitLab pipeline:
    // once configured as such, it follows HEAD and syncs automatically.
    let telecom = "[lint.environments.telecom]\ntier = \"production\"\n";
    assert_eq!(
        sorted(lint("000-argocd.yaml", Some(telecom))),
        vec![(10, "PIPE403"), (16, "PIPE106")]
    );
}
