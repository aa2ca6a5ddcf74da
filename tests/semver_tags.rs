//! `semver` tags read the version from release tags whose pattern has a
//! prefix (`users-v*` → `1.2.3` from `users-v1.2.3`), on both CI targets: the
//! publish job's own shell runs with sample refs and the release walk's
//! `docker`, which records the tags it gives images.

use pipec_tests::shell::{github_step, gitlab_script, run_sh, stub, text};
use pipec_tests::{emitted, program_from, scratch};

const PROGRAM: &str = r#"use std.docker

pipeline users {
  on push to [main]
  on tag ["users-v*", "api-*"]

  image users = docker.build()
  publish users to ghcr("acme/users") {
    when branch main or release
    tags [sha, semver, latest if release]
  }
}
"#;

/// The tags the publish script gives the image in a run of `ref_type` `name`,
/// in order: the release walk's recording `docker` stands in for the
/// registry (a push, then copies of the manifest for the other tags).
fn pushed(script: &str, ref_type: &str, name: &str, dir: &std::path::Path) -> Vec<String> {
    let _ = std::fs::remove_dir_all(dir);
    let bin = dir.join("bin");
    let state = dir.join("state");
    std::fs::create_dir_all(&state).expect("state");
    let docker = pipec_tests::root().join("tests/release_walk/stubs/docker");
    stub(
        &bin,
        "docker",
        &format!("exec '{}' \"$@\"\n", docker.display()),
    );
    let ci = "registry.example.com/acme/users/pipec-ci/users";
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let env = [
        ("PIPEC_REF_TYPE", ref_type),
        ("PIPEC_REF_NAME", name),
        ("PIPEC_SHA", sha),
        (
            "PIPEC_EVENT",
            if ref_type == "tag" { "tag" } else { "push" },
        ),
        ("PIPEC_WALK_STATE", state.to_str().expect("utf-8")),
        ("RUNNER_TEMP", dir.to_str().expect("utf-8")),
        ("GHCR_USERNAME", "bot"),
        ("GHCR_TOKEN", "token"),
        ("CI_REGISTRY_IMAGE", "registry.example.com/acme/users"),
        ("CI_COMMIT_SHA", sha),
    ];
    // The image the build job left: loaded as `users:ci` (GitHub), pushed
    // to the CI registry (GitLab).
    let archive = dir.join("users.tar");
    std::fs::write(&archive, "ref=users:ci\ncontent=the users image\n").expect("archive");
    let setup = format!(
        "docker load --input '{}' && docker tag users:ci '{ci}:{sha}' && docker push '{ci}:{sha}' >/dev/null",
        archive.display()
    );
    let out = run_sh(&setup, &env, &bin, dir);
    assert!(out.status.success(), "{}", text(&out));
    let out = run_sh(script, &env, &bin, dir);
    assert!(out.status.success(), "{}\n{script}", text(&out));
    let log = std::fs::read_to_string(state.join("tags.log")).unwrap_or_default();
    log.lines()
        .filter_map(|l| l.strip_prefix("ghcr.io/acme/users "))
        .filter_map(|l| l.split(' ').next())
        .map(String::from)
        .collect()
}

#[test]
fn prefixed_release_tags_give_the_version_on_both_targets() {
    let program = program_from(PROGRAM);
    let workflow = emitted(&program, &["github"], ".github/workflows/users.yml");
    let ci = emitted(&program, &["gitlab"], ".gitlab-ci.yml");
    let scripts = [
        ("github", github_step(&workflow, "publish_users", "Push")),
        ("gitlab", gitlab_script(&ci, "publish_users")),
    ];
    let dir = scratch("semver-tags");
    for (target, script) in &scripts {
        let release = ["sha-0123456", "1.2.3", "1.2", "1", "latest"];
        assert_eq!(
            pushed(script, "tag", "users-v1.2.3", &dir),
            release,
            "{target}"
        );
        assert_eq!(
            pushed(script, "tag", "api-1.2.3", &dir),
            release,
            "{target}"
        );
        // A pre-release is tagged with its version, and never `latest`.
        assert_eq!(
            pushed(script, "tag", "users-v2.0.0-rc.1", &dir),
            ["sha-0123456", "2.0.0-rc.1"],
            "{target}"
        );
        assert_eq!(
            pushed(script, "branch", "main", &dir),
            ["sha-0123456"],
            "{target}"
        );
    }
}
