//! `via kubectl` deployments apply the environment's overlay, with the image
//! tag and digest the publish job handed over set in it: the deployment job's
//! own shell, from the GitHub workflow and from `.gitlab-ci.yml`, runs in a
//! checkout of the generated files against a `kubectl` that records its calls
//! and renders each overlay it is asked to apply with the real `kubectl
//! kustomize`.

use std::path::Path;

use pipec_tests::shell::{github_step, gitlab_script, run_sh, stub, text};
use pipec_tests::{program_from, scratch, tool, write_tree};

const PROGRAM: &str = r#"use std.docker

pipeline shop {
  on push to [main]
  on tag "shop-v*"

  image users  = docker.build(context: "users")
  image orders = docker.build(context: "orders")
  publish users to ghcr("acme/users") { tags [sha, semver] }
  publish orders to ghcr("acme/orders") { tags [sha, semver] }
}

environment live {
  namespace "shop-live"
  deploy    on branch main or release
}

service users {
  image  users
  port   8080
  probes { live "/healthz", ready "/ready" }
  deploy to [live] via kubectl(kubeconfig: secret("KUBE_CONFIG"))
}

service orders {
  image  orders
  port   8081
  probes { live "/healthz", ready "/ready" }
  deploy to [live] via kubectl(kubeconfig: secret("KUBE_CONFIG"))
}
"#;

/// A `kubectl` that appends its arguments to `calls.log`; `apply -k DIR`
/// renders DIR with the real kubectl into `rendered/`, and fails as the
/// cluster would when `REFUSE` names the kind of apply to refuse.
fn kubectl_stub(bin: &Path, real: &Path, dir: &Path) {
    stub(
        bin,
        "kubectl",
        &format!(
            r#"set -eu
printf '%s\n' "$*" >> '{log}'
grep -q 'server: https://cluster.example' "$KUBECONFIG"
if [ "$1" = apply ]; then
  for a; do overlay="$a"; done
  case "$*" in *--dry-run=server*) kind=dry-run ;; *) kind=apply ;; esac
  if [ "${{REFUSE:-}}" = "$kind" ]; then echo "refused by the cluster" >&2; exit 1; fi
  mkdir -p '{rendered}'
  '{real}' kustomize "$overlay" > '{rendered}'/"$(printf '%s' "$overlay" | tr / _)-$kind.yaml"
fi
"#,
            log = dir.join("calls.log").display(),
            rendered = dir.join("rendered").display(),
            real = real.display(),
        ),
    );
}

const USERS: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const ORDERS: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

/// The release a publish job hands over for a run of `ref_type`.
fn release(ref_type: &str, digest: &str) -> String {
    let tag = if ref_type == "tag" {
        "1.2.3"
    } else {
        "sha-0123456"
    };
    format!("{tag}@{digest}")
}

struct Deployed {
    ok: bool,
    output: String,
    calls: Vec<String>,
    images: Vec<String>,
}

/// Runs `script` in a fresh checkout of `tree` for a run of `ref_type` `name`.
fn deploy(
    script: &str,
    tree: &pipec_emit::OutputTree,
    real: &Path,
    ref_type: &str,
    name: &str,
    refuse: &str,
    dir: &Path,
) -> Deployed {
    let _ = std::fs::remove_dir_all(dir);
    let checkout = dir.join("checkout");
    write_tree(tree, &checkout);
    let bin = dir.join("bin");
    kubectl_stub(&bin, real, dir);
    let env = [
        ("PIPEC_REF_TYPE", ref_type),
        ("PIPEC_REF_NAME", name),
        ("PIPEC_SHA", "0123456789abcdef0123456789abcdef01234567"),
        (
            "PIPEC_EVENT",
            if ref_type == "tag" { "tag" } else { "push" },
        ),
        (
            "PIPEC_KUBECONFIG",
            "apiVersion: v1\nclusters:\n- cluster:\n    server: https://cluster.example\n",
        ),
        ("REFUSE", refuse),
        // What the publish jobs of the run hand over: `<tag>@<digest>`.
        ("PIPEC_RELEASE_0", &release(ref_type, USERS)),
        ("PIPEC_RELEASE_1", &release(ref_type, ORDERS)),
    ];
    let out = run_sh(script, &env, &bin, &checkout);
    let calls = std::fs::read_to_string(dir.join("calls.log")).unwrap_or_default();
    let mut images = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir.join("rendered")) {
        let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        for f in files
            .iter()
            .filter(|f| f.to_string_lossy().ends_with("-apply.yaml"))
        {
            let rendered = std::fs::read_to_string(f).expect("rendered");
            images.extend(
                rendered
                    .lines()
                    .filter_map(|l| l.trim().trim_start_matches("- ").strip_prefix("image: "))
                    .map(String::from),
            );
        }
    }
    Deployed {
        ok: out.status.success(),
        output: text(&out),
        calls: calls.lines().map(String::from).collect(),
        images,
    }
}

#[test]
fn kubectl_deployments_apply_the_overlay_after_a_server_side_dry_run() {
    let Some(real) = tool("kubectl") else {
        return;
    };
    let program = program_from(PROGRAM);
    let tree = pipec::emit(&program, &["github", "gitlab", "kustomize"])
        .unwrap_or_else(|d| panic!("{d:#?}"));
    let file = |path: &str| {
        tree.files()
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("no {path}"))
            .body
            .clone()
    };
    let workflow = file(".github/workflows/shop.yml");
    let scripts = [
        (
            "github",
            github_step(&workflow, "deploy_live", "Deploy to live"),
        ),
        (
            "gitlab",
            gitlab_script(&file(".gitlab-ci.yml"), "deploy_live"),
        ),
    ];
    // The GitHub job checks out the overlays it applies.
    assert!(
        workflow.contains("check out the overlays to apply"),
        "{workflow}"
    );
    let dir = scratch("kubectl-deploy");
    for (target, script) in &scripts {
        let run = deploy(script, &tree, &real, "tag", "shop-v1.2.3", "", &dir);
        assert!(run.ok, "{target}: {}\n{script}", run.output);
        assert_eq!(
            run.calls,
            [
                "apply --dry-run=server -k deploy/users/overlays/live",
                "apply --dry-run=server -k deploy/orders/overlays/live",
                "apply -k deploy/users/overlays/live",
                "apply -k deploy/orders/overlays/live",
                "--namespace shop-live rollout status deployment/users --timeout=5m",
                "--namespace shop-live rollout status deployment/orders --timeout=5m",
            ],
            "{target}"
        );
        assert_eq!(
            run.images,
            [
                format!("ghcr.io/acme/orders:1.2.3@{ORDERS}"),
                format!("ghcr.io/acme/users:1.2.3@{USERS}")
            ],
            "{target}"
        );

        let run = deploy(script, &tree, &real, "branch", "main", "", &dir);
        assert!(run.ok, "{target}: {}", run.output);
        assert_eq!(
            run.images,
            [
                format!("ghcr.io/acme/orders:sha-0123456@{ORDERS}"),
                format!("ghcr.io/acme/users:sha-0123456@{USERS}")
            ],
            "{target}"
        );

        // A dry run the cluster refuses stops the deployment before any apply.
        let run = deploy(script, &tree, &real, "branch", "main", "dry-run", &dir);
        assert!(!run.ok, "{target}: {:?}", run.calls);
        assert_eq!(
            run.calls,
            ["apply --dry-run=server -k deploy/users/overlays/live"],
            "{target}"
        );
    }
}

/// A worker and a CronJob deployed `via kubectl` are applied with the
/// services, each with its image's release; the job waits for the rollout of
/// the Deployments, not of the CronJob, whose next run takes the new image.
#[test]
fn kubectl_deployments_apply_workers_and_cronjobs_and_wait_for_deployments() {
    let Some(real) = tool("kubectl") else {
        return;
    };
    let source = format!(
        "{PROGRAM}{}",
        r#"
worker orders_relay {
  image   orders
  command ["/orders", "relay"]
  probes  none
  deploy  to [live] via kubectl(kubeconfig: secret("KUBE_CONFIG"))
}

cronjob users_report {
  image    users
  schedule "0 4 * * *"
  command  "python -m users.report"
  deploy   to [live] via kubectl(kubeconfig: secret("KUBE_CONFIG"))
}
"#
    );
    let program = program_from(&source);
    let tree = pipec::emit(&program, &["github", "gitlab", "kustomize"])
        .unwrap_or_else(|d| panic!("{d:#?}"));
    let file = |path: &str| {
        tree.files()
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("no {path}"))
            .body
            .clone()
    };
    let scripts = [
        (
            "github",
            github_step(
                &file(".github/workflows/shop.yml"),
                "deploy_live",
                "Deploy to live",
            ),
        ),
        (
            "gitlab",
            gitlab_script(&file(".gitlab-ci.yml"), "deploy_live"),
        ),
    ];
    let dir = scratch("kubectl-deploy-workloads");
    for (target, script) in &scripts {
        let run = deploy(script, &tree, &real, "tag", "shop-v1.2.3", "", &dir);
        assert!(run.ok, "{target}: {}\n{script}", run.output);
        let applied: Vec<&String> = run
            .calls
            .iter()
            .filter(|c| c.starts_with("apply -k"))
            .collect();
        assert_eq!(
            applied,
            [
                "apply -k deploy/users/overlays/live",
                "apply -k deploy/orders/overlays/live",
                "apply -k deploy/orders-relay/overlays/live",
                "apply -k deploy/users-report/overlays/live",
            ],
            "{target}"
        );
        let waits: Vec<&String> = run
            .calls
            .iter()
            .filter(|c| c.contains("rollout status"))
            .collect();
        assert_eq!(
            waits,
            [
                "--namespace shop-live rollout status deployment/users --timeout=5m",
                "--namespace shop-live rollout status deployment/orders --timeout=5m",
                "--namespace shop-live rollout status deployment/orders-relay --timeout=5m",
            ],
            "{target}"
        );
        let mut images = run.images.clone();
        images.sort();
        assert_eq!(
            images,
            [
                format!("ghcr.io/acme/orders:1.2.3@{ORDERS}"),
                format!("ghcr.io/acme/orders:1.2.3@{ORDERS}"),
                format!("ghcr.io/acme/users:1.2.3@{USERS}"),
                format!("ghcr.io/acme/users:1.2.3@{USERS}"),
            ],
            "{target}: the worker runs the orders release, the CronJob the users one"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
