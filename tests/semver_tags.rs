//! `semver` tags read the version from release tags whose pattern has a
//! prefix (`users-v*` → `1.2.3` from `users-v1.2.3`), on both CI targets: the
//! publish job's own shell runs with sample refs and a `docker` that records
//! what it pushes.

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

/// The tags the publish script pushes for a run of `ref_type` `name`.
fn pushed(script: &str, ref_type: &str, name: &str, dir: &std::path::Path) -> Vec<String> {
    let bin = dir.join("bin");
    let log = dir.join("docker.log");
    let _ = std::fs::remove_file(&log);
    stub(
        &bin,
        "docker",
        &format!("printf '%s\\n' \"$*\" >> '{}'\n", log.display()),
    );
    let env = [
        ("PIPEC_REF_TYPE", ref_type),
        ("PIPEC_REF_NAME", name),
        ("PIPEC_SHA", "0123456789abcdef0123456789abcdef01234567"),
        (
            "PIPEC_EVENT",
            if ref_type == "tag" { "tag" } else { "push" },
        ),
        ("RUNNER_TEMP", dir.to_str().expect("utf-8")),
        ("GHCR_USERNAME", "bot"),
        ("GHCR_TOKEN", "token"),
    ];
    let out = run_sh(script, &env, &bin, dir);
    assert!(out.status.success(), "{}\n{script}", text(&out));
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    log.lines()
        .filter_map(|l| l.strip_prefix("push ghcr.io/acme/users:"))
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
        assert_eq!(
            pushed(script, "tag", "users-v2.0.0-rc.1", &dir),
            ["sha-0123456", "2.0.0-rc.1", "latest"],
            "{target}"
        );
        assert_eq!(
            pushed(script, "branch", "main", &dir),
            ["sha-0123456"],
            "{target}"
        );
    }
}
