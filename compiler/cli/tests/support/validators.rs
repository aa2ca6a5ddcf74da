//! Every validator over the files `pipec build` wrote into a repository:
//! actionlint, zizmor (pedantic), the workflow and GitLab CI schemas,
//! gitlab-ci-local, `kubectl kustomize` of every overlay with
//! kubernetes-validate, argocd-validate and `pre-commit validate-config` —
//! each must find nothing. A validator that is not installed is skipped
//! (with `PIPEC_REQUIRE_TOOLS=1`, it fails instead).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Run, tool};

fn run(tool: &Path, args: &[&str], dir: &Path) -> Run {
    Command::new(tool)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", tool.display()))
        .into()
}

/// The files under `dir/sub` (relative to `dir`), sorted; none when it is
/// missing.
fn files_under(dir: &Path, sub: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::from(sub)];
    while let Some(rel) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(dir.join(&rel)) else {
            continue;
        };
        for e in entries.flatten() {
            let path = rel.join(e.file_name());
            if e.path().is_dir() {
                stack.push(path);
            } else {
                out.push(path.to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

/// Runs every validator on what `dir` holds; panics naming the validator and
/// its findings. Returns how many validators ran.
pub fn validate_all(dir: &Path) -> usize {
    let mut ran = 0;
    let workflows = files_under(dir, ".github/workflows");
    if !workflows.is_empty() {
        let files: Vec<&str> = workflows.iter().map(String::as_str).collect();
        if let Some(t) = tool("actionlint") {
            let r = run(&t, &files, dir);
            assert_eq!(r.code, 0, "actionlint: {r:?}");
            ran += 1;
        }
        if let Some(t) = tool("check-jsonschema") {
            let mut args = vec!["--builtin-schema", "vendor.github-workflows"];
            args.extend(&files);
            let r = run(&t, &args, dir);
            assert_eq!(r.code, 0, "workflow schema: {r:?}");
            ran += 1;
        }
        if let Some(t) = tool("zizmor") {
            let mut args = vec![
                "--offline",
                "--no-config",
                "--strict-collection",
                "--persona",
                "pedantic",
                "--format",
                "json",
                "-q",
            ];
            args.extend(&files);
            let r = run(&t, &args, dir);
            let findings: serde_json::Value = serde_json::from_str(&r.stdout)
                .unwrap_or_else(|e| panic!("zizmor output: {e}: {r:?}"));
            assert_eq!(
                findings.as_array().map_or(0, Vec::len),
                0,
                "zizmor --persona pedantic: {r:?}"
            );
            ran += 1;
        }
    }
    if dir.join(".gitlab-ci.yml").is_file() {
        if let Some(t) = tool("check-jsonschema") {
            let r = run(
                &t,
                &["--builtin-schema", "vendor.gitlab-ci", ".gitlab-ci.yml"],
                dir,
            );
            assert_eq!(r.code, 0, "GitLab CI schema: {r:?}");
            ran += 1;
        }
        if let Some(t) = tool("gitlab-ci-check") {
            let r = run(&t, &[dir.to_str().expect("utf-8")], dir);
            assert_eq!(r.code, 0, "gitlab-ci-local: {r:?}");
            ran += 1;
        }
    }
    let overlays: Vec<String> = files_under(dir, "deploy")
        .into_iter()
        .filter(|f| f.contains("/overlays/") && f.ends_with("/kustomization.yaml"))
        .map(|f| f.trim_end_matches("/kustomization.yaml").to_string())
        .collect();
    if let (Some(kubectl), Some(validate)) = (tool("kubectl"), tool("kubernetes-validate")) {
        for overlay in &overlays {
            let r = run(&kubectl, &["kustomize", overlay], dir);
            assert_eq!(r.code, 0, "kubectl kustomize {overlay}: {r:?}");
            let file = format!("{}.rendered.yaml", overlay.replace('/', "-"));
            std::fs::write(dir.join(&file), &r.stdout).expect("write rendered overlay");
            let v = run(&validate, &["--strict", &file], dir);
            assert!(
                v.code == 0 && !v.stdout.contains("ERROR"),
                "kubernetes-validate {overlay}: {v:?}"
            );
            std::fs::remove_file(dir.join(&file)).expect("remove rendered overlay");
        }
        ran += usize::from(!overlays.is_empty());
    }
    let argo = files_under(dir, "deploy/argocd");
    if !argo.is_empty()
        && let Some(t) = tool("argocd-validate")
    {
        let files: Vec<&str> = argo.iter().map(String::as_str).collect();
        let r = run(&t, &files, dir);
        assert_eq!(r.code, 0, "argocd-validate: {r:?}");
        ran += 1;
    }
    if dir.join(".pre-commit-config.yaml").is_file()
        && let Some(t) = tool("pre-commit")
    {
        let r = run(&t, &["validate-config", ".pre-commit-config.yaml"], dir);
        assert_eq!(r.code, 0, "pre-commit validate-config: {r:?}");
        ran += 1;
    }
    ran
}
