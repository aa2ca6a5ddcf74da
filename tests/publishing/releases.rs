//! Releases of pushed tags (`release`): the python-library example's
//! release job on both targets, its shell run against stub `gh` and
//! `release-cli` commands that record their arguments — the tag, the title,
//! the notes (the changelog's section for the version) and the files.

use std::path::Path;

use pipec_tests::shell::{github_step, gitlab_script, run_sh, stub, text};
use pipec_tests::{emitted, program, program_from, scratch};
use yaml_serde::Value;

const CHANGELOG: &str = "# Changelog\n\n## [Unreleased]\n\n- nothing yet\n\n## [1.2.0] - 2026-11-30\n\n### Added\n\n- the `frobnicate` option\n\n## [1.1.0] - 2026-10-01\n\n- first release\n";

/// A checkout with the changelog and the files `dist` kept.
fn checkout(name: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    std::fs::create_dir_all(dir.join("dist")).unwrap();
    std::fs::write(dir.join("CHANGELOG.md"), CHANGELOG).unwrap();
    std::fs::write(dir.join("dist/lib-1.2.0.tar.gz"), "sdist").unwrap();
    std::fs::write(dir.join("dist/lib-1.2.0-py3-none-any.whl"), "wheel").unwrap();
    dir
}

/// A stub that records each call, one argument a line, and exits with
/// `status` for the subcommand `fails` (`release view`: no release yet).
fn recorder(bin: &Path, name: &str, log: &Path, fails: &str) {
    stub(
        bin,
        name,
        &format!(
            "{{ echo '---'; for a in \"$@\"; do printf '%s\\n' \"$a\"; done; }} >> '{}'\ncase \"$1 $2\" in '{fails}') exit 1 ;; esac\n",
            log.display()
        ),
    );
}

fn calls(log: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.split("---\n")
        .filter(|c| !c.is_empty())
        .map(|c| c.lines().map(String::from).collect())
        .collect()
}

#[test]
fn github_creates_the_release_of_the_tag_with_the_changelog_and_the_files() {
    let workflow = emitted(
        &program("python-library"),
        &["github"],
        ".github/workflows/library.yml",
    );
    let doc: Value = yaml_serde::from_str(&workflow).unwrap();
    let job = &doc["jobs"]["tag_release"];
    // Write access to the repository's contents on this job only.
    assert_eq!(job["permissions"]["contents"], "write", "{workflow}");
    for (name, other) in doc["jobs"].as_mapping().unwrap() {
        if name.as_str() != Some("tag_release") {
            assert_ne!(other["permissions"]["contents"], "write", "{name:?}");
        }
    }
    let script = github_step(&workflow, "tag_release", "Create the release");
    let dir = checkout("release-github");
    let bin = dir.join("bin");
    let log = dir.join("gh.log");
    recorder(&bin, "gh", &log, "release view");
    let temp = dir.join("tmp");
    std::fs::create_dir_all(&temp).unwrap();
    let env = [
        ("PIPEC_TAG", "v1.2.0"),
        ("GH_TOKEN", "token"),
        ("RUNNER_TEMP", temp.to_str().unwrap()),
    ];
    let out = run_sh(&script, &env, &bin, &dir);
    assert!(out.status.success(), "{}", text(&out));
    let made = calls(&log);
    let create = made.last().unwrap();
    let notes = temp.join("pipec-release-notes.md");
    assert_eq!(
        create,
        &[
            "release",
            "create",
            "v1.2.0",
            "--verify-tag",
            "--title",
            "v1.2.0",
            "--notes-file",
            notes.to_str().unwrap(),
            "dist/lib-1.2.0-py3-none-any.whl",
            "dist/lib-1.2.0.tar.gz",
        ]
    );
    let notes = std::fs::read_to_string(notes).unwrap();
    assert!(notes.contains("the `frobnicate` option"), "{notes}");
    assert!(notes.contains("### Added"), "{notes}");
    assert!(!notes.contains("first release"), "{notes}");

    // A pre-release version is released as one; a version the changelog
    // does not describe stops the job.
    std::fs::write(
        dir.join("CHANGELOG.md"),
        CHANGELOG.replace("## [1.2.0]", "## [1.3.0-rc.1]"),
    )
    .unwrap();
    let env_rc = [("PIPEC_TAG", "v1.3.0-rc.1"), env[1], env[2]];
    let out = run_sh(&script, &env_rc, &bin, &dir);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        calls(&log)
            .last()
            .unwrap()
            .contains(&"--prerelease".to_string())
    );
    let out = run_sh(&script, &env, &bin, &dir);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("has no section for v1.2.0"),
        "{}",
        text(&out)
    );

    // A re-run finds the release and attaches the files again.
    std::fs::write(dir.join("CHANGELOG.md"), CHANGELOG).unwrap();
    recorder(&bin, "gh", &log, "never");
    let out = run_sh(&script, &env, &bin, &dir);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        calls(&log).last().unwrap(),
        &[
            "release",
            "upload",
            "v1.2.0",
            "--clobber",
            "dist/lib-1.2.0-py3-none-any.whl",
            "dist/lib-1.2.0.tar.gz",
        ]
    );

    // Files that are not there stop the job before anything is created.
    std::fs::remove_dir_all(dir.join("dist")).unwrap();
    std::fs::remove_file(&log).unwrap();
    let out = run_sh(&script, &env, &bin, &dir);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("no file matches dist/*"),
        "{}",
        text(&out)
    );
    assert!(calls(&log).iter().all(|c| c[1] != "create"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gitlab_keeps_the_files_and_links_them_from_the_release() {
    let ci = emitted(&program("python-library"), &["gitlab"], ".gitlab-ci.yml");
    let doc: Value = yaml_serde::from_str(&ci).unwrap();
    let keep = &doc["tag_release"];
    assert_eq!(keep["artifacts"]["expire_in"], "never");
    assert_eq!(
        keep["artifacts"]["reports"]["dotenv"],
        "pipec-release-job.env"
    );
    let create = &doc["tag_release_create"];
    assert_eq!(create["needs"][0]["job"], "tag_release");
    assert_eq!(create["rules"], keep["rules"]);
    assert!(
        create["image"]
            .as_str()
            .is_some_and(|i| i.starts_with("registry.gitlab.com/gitlab-org/release-cli:")),
        "{ci}"
    );

    let dir = checkout("release-gitlab");
    let bin = dir.join("bin");
    let env = [
        ("CI_COMMIT_TAG", "v1.2.0"),
        ("CI_JOB_ID", "4242"),
        ("PIPEC_TAG", "v1.2.0"),
        ("CI_PROJECT_URL", "https://gitlab.example.com/acme/lib"),
    ];
    let out = run_sh(&gitlab_script(&ci, "tag_release"), &env, &bin, &dir);
    assert!(out.status.success(), "{}", text(&out));
    let report = std::fs::read_to_string(dir.join("pipec-release-job.env")).unwrap();
    assert_eq!(report.trim(), "PIPEC_RELEASE_JOB=4242");

    let log = dir.join("release-cli.log");
    recorder(&bin, "release-cli", &log, "get --tag-name");
    let env = [env[0], ("PIPEC_RELEASE_JOB", "4242"), env[2], env[3]];
    let out = run_sh(&gitlab_script(&ci, "tag_release_create"), &env, &bin, &dir);
    assert!(out.status.success(), "{}", text(&out));
    let link = |f: &str| {
        format!(
            "{{\"name\":\"{f}\",\"url\":\"https://gitlab.example.com/acme/lib/-/jobs/4242/artifacts/raw/dist/{f}\",\"link_type\":\"package\"}}"
        )
    };
    assert_eq!(
        calls(&log).last().unwrap(),
        &[
            "create".to_string(),
            "--name".into(),
            "v1.2.0".into(),
            "--tag-name".into(),
            "v1.2.0".into(),
            "--description".into(),
            "pipec-release-notes.md".into(),
            "--assets-link".into(),
            link("lib-1.2.0-py3-none-any.whl"),
            "--assets-link".into(),
            link("lib-1.2.0.tar.gz"),
        ]
    );
    let notes = std::fs::read_to_string(dir.join("pipec-release-notes.md")).unwrap();
    assert!(notes.contains("the `frobnicate` option"), "{notes}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn notes_from_the_forge_or_the_tag() {
    let program = |notes: &str| {
        program_from(&format!(
            "pipeline lib {{\n  on tag \"v*\"\n\n  job publish {{\n    run     \"make dist\"\n    release \"dist/*\"{notes}\n  }}\n}}\n"
        ))
    };
    for (notes, flag) in [
        ("", "--generate-notes"),
        (" notes message", "--notes-from-tag"),
    ] {
        let workflow = emitted(&program(notes), &["github"], ".github/workflows/lib.yml");
        let script = github_step(&workflow, "publish", "Create the release");
        assert!(script.contains(flag), "{script}");
    }
}
