//! `pipec init` per ecosystem: in a fresh repository holding only one
//! ecosystem's marker file, it writes that ecosystem's starter, which checks
//! clean, lints clean, builds, and passes every validator; `--lang`
//! overrides what the files say.

mod support;

use support::Repo;
use support::validators::validate_all;

/// `pipec init` then `pipec build` in a repository holding only `marker`;
/// returns the program written.
fn init_and_build(name: &str, marker: &str, extra: &[&str]) -> (Repo, String) {
    let repo = Repo::new(name);
    if !marker.is_empty() {
        repo.write(marker, "");
    }
    let mut args = vec!["init"];
    args.extend(extra);
    let run = repo.pipec(&args);
    assert_eq!(run.code, 0, "{run:?}");
    let program = repo.read("pipeline.pipe");
    let check = repo.pipec(&["check", "pipeline.pipe", "--deny-warnings"]);
    assert_eq!(check.code, 0, "{check:?}\n{program}");
    assert_eq!(repo.pipec(&["fmt", "--check", "pipeline.pipe"]).code, 0);
    let built = repo.pipec(&["build", "pipeline.pipe"]);
    assert_eq!(built.code, 0, "{built:?}\n{program}");
    // The default policy holds: every scan before a publish, the budgets.
    let lint = repo.pipec(&["lint", "pipeline.pipe"]);
    assert_eq!(lint.code, 0, "{lint:?}\n{program}");
    (repo, program)
}

/// A starter for a service: it deploys through Argo CD from this very
/// repository, so the manifests `pipec build` wrote, the Applications and
/// the deployment commits name one place.
fn assert_service_starter(repo: &Repo, program: &str, uses: &str, port: u16) {
    assert!(program.contains(&format!("use std.{uses}\n")), "{program}");
    let port = port.to_string();
    assert!(
        program
            .lines()
            .any(|l| l.split_whitespace().eq(["port", port.as_str()])),
        "{program}"
    );
    let name = repo
        .dir
        .file_name()
        .and_then(|n| n.to_str())
        .expect("utf-8 name")
        .to_string();
    let url = format!("https://github.com/your-org/{name}.git");
    assert!(program.contains(&format!("repo   \"{url}\"")), "{program}");
    let app = repo.read("deploy/argocd/app-dev.yaml");
    assert!(app.contains(&format!("repoURL: {url}")), "{app}");
    assert!(app.contains("targetRevision: deploy\n"), "{app}");
    assert!(
        app.contains("path: deploy/environments/dev/app/overlays/dev"),
        "{app}"
    );
    let ci = repo.read(".github/workflows/ci.yml");
    // No token of another repository: the deployment pushes to this one's
    // `deploy` branch, the one Argo CD reads, and its commits start no run.
    assert!(!ci.contains("PIPEC_GITOPS_TOKEN"), "{ci}");
    assert!(ci.contains("git push --quiet origin HEAD:'deploy'"), "{ci}");
    assert!(
        ci.contains("paths-ignore:\n      - deploy/environments/**"),
        "{ci}"
    );
    assert!(
        repo.path("deploy/app/overlays/dev/kustomization.yaml")
            .is_file()
    );
    validate_all(&repo.dir);
}

#[test]
fn node_from_package_json() {
    let (repo, program) = init_and_build("init-node", "package.json", &[]);
    assert!(
        program.contains("node.test(manager: npm, coverage: 70%)"),
        "{program}"
    );
    assert_service_starter(&repo, &program, "node", 3000);
}

#[test]
fn node_with_pnpm_from_its_lock_file() {
    let repo = Repo::new("init-pnpm");
    repo.write("package.json", "{}");
    repo.write("pnpm-lock.yaml", "");
    let run = repo.pipec(&["init", "--out", "-"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("node.lint(manager: pnpm)"), "{run:?}");
}

#[test]
fn go_from_go_mod() {
    let (repo, program) = init_and_build("init-go", "go.mod", &[]);
    assert!(program.contains("go.test(coverage: 70%)"), "{program}");
    assert!(program.contains("go.vulncheck()"), "{program}");
    assert_service_starter(&repo, &program, "go", 8080);
}

#[test]
fn gradle_from_build_gradle_kts() {
    let (repo, program) = init_and_build("init-gradle", "build.gradle.kts", &[]);
    assert!(
        program.contains("jvm.gradle_test(coverage: 70%)"),
        "{program}"
    );
    assert_service_starter(&repo, &program, "jvm", 8080);
}

#[test]
fn gradle_from_build_gradle() {
    let repo = Repo::new("init-gradle-groovy");
    repo.write("build.gradle", "");
    let run = repo.pipec(&["init", "--out", "-"]);
    assert!(run.stdout.contains("jvm.gradle_lint()"), "{run:?}");
}

#[test]
fn maven_from_pom_xml() {
    let (repo, program) = init_and_build("init-maven", "pom.xml", &[]);
    assert!(
        program.contains("jvm.maven_test(coverage: 70%)"),
        "{program}"
    );
    assert_service_starter(&repo, &program, "jvm", 8080);
}

#[test]
fn rust_from_cargo_toml() {
    let (repo, program) = init_and_build("init-rust", "Cargo.toml", &[]);
    assert!(program.contains("rust.test(coverage: 70%)"), "{program}");
    assert_service_starter(&repo, &program, "rust", 8080);
}

#[test]
fn python_service_from_pyproject_and_dockerfile() {
    let repo = Repo::new("init-python-service");
    repo.write("Dockerfile", "FROM python:3.12-slim\n");
    repo.write("pyproject.toml", "");
    let run = repo.pipec(&["init"]);
    assert_eq!(run.code, 0, "{run:?}");
    let program = repo.read("pipeline.pipe");
    assert!(program.contains("security.bandit"), "{program}");
    let built = repo.pipec(&["build", "pipeline.pipe"]);
    assert_eq!(built.code, 0, "{built:?}");
    assert_eq!(repo.pipec(&["lint", "pipeline.pipe"]).code, 0);
    assert_service_starter(&repo, &program, "python", 8000);
}

#[test]
fn python_library_from_pyproject_alone() {
    let (repo, program) = init_and_build("init-python-library", "pyproject.toml", &[]);
    assert!(program.contains("project: true"), "{program}");
    assert!(!program.contains("service "), "{program}");
    assert!(!program.contains("gitops"), "{program}");
    assert!(!repo.path("deploy").exists());
    let ci = repo.read(".github/workflows/ci.yml");
    assert!(ci.contains("python -m build"), "{ci}");
    assert!(ci.contains("pypa/gh-action-pypi-publish@"), "{ci}");
    assert!(ci.contains("pip install --editable '.[test]'"), "{ci}");
    validate_all(&repo.dir);
}

#[test]
fn lang_overrides_the_marker_files() {
    let (repo, program) = init_and_build("init-override", "package.json", &["--lang", "go"]);
    assert!(program.contains("use std.go\n"), "{program}");
    assert!(!program.contains("std.node"), "{program}");
    assert_service_starter(&repo, &program, "go", 8080);
}

#[test]
fn repo_must_be_an_https_url() {
    let repo = Repo::new("init-bad-repo");
    let run = repo.pipec(&[
        "init",
        "--repo",
        "git@github.com:acme/app.git",
        "--out",
        "-",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    let run = repo.pipec(&[
        "init",
        "--repo",
        "https://github.com/acme/deploy.git",
        "--out",
        "-",
    ]);
    assert!(
        run.stdout
            .contains("repo   \"https://github.com/acme/deploy.git\""),
        "{run:?}"
    );
}
