//! pipec and the real pre-commit framework, offline: this repository's hooks
//! (`.pre-commit-hooks.yaml`) in a sample project, and the
//! `.pre-commit-config.yaml` the pre-commit target generates, run with stand-in
//! tools that record how they were called.

mod support;

use std::path::{Path, PathBuf};

use support::{Repo, Run, repo_root, tool};

/// Runs pre-commit in `repo` with pipec and `extra` first on PATH, and a
/// pre-commit cache of the repository's own.
fn pre_commit(pre_commit: &Path, repo: &Repo, extra: Option<&Path>, args: &[&str]) -> Run {
    pre_commit_with(pre_commit, repo, extra, &[], args)
}

fn pre_commit_with(
    pre_commit: &Path,
    repo: &Repo,
    extra: Option<&Path>,
    env: &[(&str, &str)],
    args: &[&str],
) -> Run {
    let mut path: Vec<PathBuf> = extra.map(Path::to_path_buf).into_iter().collect();
    path.push(support::pipec_bin().parent().unwrap().to_path_buf());
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let out = std::process::Command::new(pre_commit)
        .args(args)
        .args(["--color", "never"])
        .current_dir(&repo.dir)
        .env("PATH", std::env::join_paths(path).unwrap())
        .env(
            "PRE_COMMIT_HOME",
            repo.dir.with_extension("pre-commit-home"),
        )
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .output()
        .expect("run pre-commit");
    Run::from(out)
}

/// A git repository holding this repository's `.pre-commit-hooks.yaml`, as a
/// project would reference it; returns it and its commit.
fn hooks_repo(name: &str) -> (Repo, String) {
    let hooks = Repo::new(name);
    std::fs::copy(
        repo_root().join(".pre-commit-hooks.yaml"),
        hooks.path(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    hooks.commit_all("hooks");
    let rev = hooks.git(&["rev-parse", "HEAD"]).trim().to_string();
    (hooks, rev)
}

fn has_lint() -> bool {
    let out = std::process::Command::new(support::pipec_bin())
        .args(["lint", "--help"])
        .output()
        .unwrap();
    out.status.success()
}

#[test]
fn the_repository_hooks_run_in_a_sample_project() {
    let Some(pc) = tool("pre-commit") else { return };
    let v = std::process::Command::new(&pc)
        .args(["validate-manifest", ".pre-commit-hooks.yaml"])
        .current_dir(repo_root())
        .output()
        .unwrap();
    assert!(v.status.success(), "{:?}", Run::from(v));

    let (hooks, rev) = hooks_repo("hooks-repo");
    let project = Repo::with_example("hooks-project", "flask-api");
    let mut ids = vec!["pipec-check"];
    let mut names = vec!["pipec generated files are up to date"];
    if has_lint() {
        ids.push("pipec-lint");
        names.push("pipec lint");
    } else {
        eprintln!("note: `pipec lint` is not built in; the pipec-lint hook is not run");
    }
    let hook_list: String = ids
        .iter()
        .map(|id| {
            if *id == "pipec-lint" {
                format!("      - id: {id}\n        args: [ci]\n")
            } else {
                format!("      - id: {id}\n")
            }
        })
        .collect();
    project.write(
        "hooks.yaml",
        &format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n{hook_list}",
            hooks.dir.display()
        ),
    );
    let built = project.pipec(&["build", "ci", "--target", "pre-commit"]);
    assert_eq!(built.code, 0, "{built:?}");
    project.commit_all("project");

    let run = pre_commit(
        &pc,
        &project,
        None,
        &["run", "-c", "hooks.yaml", "--all-files"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let passed = |name: &str| {
        run.stdout
            .lines()
            .any(|l| l.starts_with(name) && l.ends_with("Passed"))
    };
    for name in &names {
        assert!(passed(name), "{name}: {run:?}");
    }

    if ids.contains(&"pipec-lint") {
        // A coverage gate under 70% breaks a policy rule: the lint hook fails.
        let source = project.read("ci/pipeline.pipe");
        project.write(
            "ci/pipeline.pipe",
            &source.replace("coverage: 70%", "coverage: 50%"),
        );
        let run = pre_commit(
            &pc,
            &project,
            None,
            &["run", "-c", "hooks.yaml", "--all-files"],
        );
        assert_eq!(run.code, 1, "{run:?}");
        let lint_failed = run
            .stdout
            .lines()
            .any(|l| l.starts_with("pipec lint") && l.ends_with("Failed"));
        assert!(lint_failed, "{run:?}");
        project.write("ci/pipeline.pipe", &source);
    }

    // A hand edit makes the commit fail, and says why.
    let config = project.read(".pre-commit-config.yaml");
    project.write(
        ".pre-commit-config.yaml",
        &config.replace("flake8 .", "flake8 app"),
    );
    let run = pre_commit(
        &pc,
        &project,
        None,
        &["run", "-c", "hooks.yaml", "--all-files"],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("Failed"), "{run:?}");
    assert!(
        run.stdout
            .contains("edited by hand  .pre-commit-config.yaml"),
        "{run:?}"
    );
}

/// Stand-ins for the tools the examples' checks call: each records its
/// command line in `calls.log` and exits with the status in `FAIL_<name>`
/// (0 by default).
fn stand_in_tools(dir: &Path) -> PathBuf {
    let bin = dir.with_extension("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = dir.with_extension("calls.log");
    for name in [
        "flake8", "pylint", "black", "isort", "mypy", "ruff", "bandit", "gitleaks", "poetry",
    ] {
        let script = format!(
            "#!/bin/sh\necho \"{name} $*\" >> '{}'\nexit \"${{FAIL_{name}:-0}}\"\n",
            log.display()
        );
        let p = bin.join(name);
        std::fs::write(&p, script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

#[test]
fn the_generated_config_is_valid_and_runs_the_pipelines_checks() {
    let Some(pc) = tool("pre-commit") else { return };
    for (example, expected) in [
        (
            "flask-api",
            &[
                "flake8 .",
                "pylint .",
                "black --check --diff .",
                "bandit --recursive app --severity-level medium",
                "gitleaks git --redact --verbose .",
            ][..],
        ),
        (
            "archon-agent",
            &[
                "poetry run black --check .",
                "poetry run mypy src/",
                "bandit --recursive src --severity-level medium",
            ],
        ),
    ] {
        let project = Repo::with_example(&format!("generated-{example}"), example);
        project.write("app/main.py", "print('hello')\n");
        let built = project.pipec(&["build", "ci", "--target", "pre-commit"]);
        assert_eq!(built.code, 0, "{built:?}");
        project.commit_all("project");
        let v = pre_commit(
            &pc,
            &project,
            None,
            &["validate-config", ".pre-commit-config.yaml"],
        );
        assert_eq!(v.code, 0, "{example}: {v:?}");

        let bin = stand_in_tools(&project.dir);
        let log = project.dir.with_extension("calls.log");
        let _ = std::fs::remove_file(&log);
        let run = pre_commit(&pc, &project, Some(&bin), &["run", "--all-files"]);
        assert_eq!(run.code, 0, "{example}: {run:?}");
        let calls = std::fs::read_to_string(&log).unwrap_or_default();
        for call in expected {
            assert!(
                calls.lines().any(|l| l == *call),
                "{example}: `{call}` not run:\n{calls}"
            );
        }
        // Set-up steps are CI's, not the developer's.
        assert!(!calls.contains("install"), "{example}: {calls}");
        assert!(
            run.stdout
                .contains("pipec: generated CI files are up to date"),
            "{run:?}"
        );
    }
}

#[test]
fn a_failing_check_fails_the_commit() {
    let Some(pc) = tool("pre-commit") else { return };
    let project = Repo::with_example("generated-failing", "flask-api");
    project.write("app/main.py", "import os\n");
    assert_eq!(
        project
            .pipec(&["build", "ci", "--target", "pre-commit"])
            .code,
        0
    );
    project.commit_all("project");
    let bin = stand_in_tools(&project.dir);
    let run = pre_commit_with(
        &pc,
        &project,
        Some(&bin),
        &[("FAIL_flake8", "1")],
        &["run", "--all-files"],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains("flake8 (lint)") && run.stdout.contains("Failed"),
        "{run:?}"
    );
}
