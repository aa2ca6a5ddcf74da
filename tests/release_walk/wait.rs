//! The wait after a GitOps deployment, run for real: the generated
//! `pipec_argocd_wait` (the same shell on both CI targets) against a
//! `kubectl` that reports a chosen Application status, in a repository whose
//! commits do or do not change the environment's tree. A deployment job is
//! green only when Argo CD reports the commit (or a later one with the same
//! tree) Synced and Healthy; Degraded fails it at once, anything else fails it
//! at the deadline.

use std::path::Path;

use pipec_tests::shell::{github_step, gitlab_script, run_sh, stub, text};
use pipec_tests::{emitted, program, scratch};

const TREE: &str = "deploy/environments/prod/flask-api";

/// The shell function as the generated deployment job defines it.
fn function(script: &str) -> String {
    let start = script
        .find("pipec_argocd_wait() {")
        .expect("the deployment waits for Argo CD");
    let len = script[start..].find("\n}\n").expect("the function ends") + 3;
    script[start..start + len].to_string()
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn commit(dir: &Path, file: &str, body: &str) -> String {
    let path = dir.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, body).unwrap();
    git(dir, &["add", "--all"]);
    git(dir, &["commit", "--quiet", "--message", file]);
    git(dir, &["rev-parse", "HEAD"])
}

#[test]
fn deployments_are_green_only_when_argo_cd_reports_the_commit_healthy() {
    let program = program("flask-api");
    let file = |path: &str| emitted(&program, &["github", "gitlab"], path);
    let wait = function(&github_step(
        &file(".github/workflows/flask-api.yml"),
        "deploy_prod",
        "Deploy to prod",
    ));
    assert_eq!(
        function(&gitlab_script(&file(".gitlab-ci.yml"), "deploy_prod")),
        wait,
        "both targets wait alike"
    );

    let dir = scratch("argocd-wait");
    let repo = dir.join("gitops");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "--quiet"]);
    git(&repo, &["config", "user.email", "ci@example.com"]);
    git(&repo, &["config", "user.name", "CI"]);
    let deployed = commit(&repo, &format!("{TREE}/kustomization.yaml"), "one\n");
    let same_tree = commit(&repo, "deploy/environments/dev/x.yaml", "dev\n");
    let other_tree = commit(&repo, &format!("{TREE}/kustomization.yaml"), "two\n");
    let bin = dir.join("bin");
    stub(&bin, "kubectl", "printf '%s' \"$ARGOCD_STATUS\"\n");

    let later = 4_000_000_000u64.to_string();
    let run = |status: String, deadline: &str| {
        let script =
            format!("{wait}\npipec_argocd_wait flask-api-prod {deployed} {TREE} {deadline}\n");
        let out = run_sh(&script, &[("ARGOCD_STATUS", &status)], &bin, &repo);
        (out.status.success(), text(&out))
    };

    let (ok, out) = run(format!("{deployed}|Synced|Healthy"), &later);
    assert!(ok && out.contains("Synced and Healthy"), "{out}");
    // A later commit that leaves production's tree as it is (another
    // environment's deployment) is what was deployed.
    let (ok, out) = run(format!("{same_tree}|Synced|Healthy"), &later);
    assert!(ok, "{out}");
    let (ok, out) = run(format!("{deployed}|Synced|Degraded"), &later);
    assert!(!ok && out.contains("is Degraded"), "{out}");
    // Not yet there at the deadline: red, saying what Argo CD reports.
    for status in [
        format!("{other_tree}|Synced|Healthy"),
        format!("{deployed}|OutOfSync|Progressing"),
        "||".to_string(),
    ] {
        let (ok, out) = run(status.clone(), "0");
        assert!(
            !ok && out.contains("not Synced and Healthy at"),
            "{status}: {out}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
