//! GitLab hands an image from the build job to the scans and the publish job
//! through the project's registry, never as an artifact: the build and publish
//! scripts of `.gitlab-ci.yml` run for real against the walk's recording
//! `docker`. The build logs in to every registry it reads its layer cache
//! from before it builds, a commit is built once, and the release published
//! is the very image handed over. The images those jobs run in are pinned by
//! digest.

use std::path::Path;

use pipec_tests::shell::{gitlab_script, run_sh, text};
use pipec_tests::{emitted, program};
use yaml_serde::Value;

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const CI_IMAGE: &str = "registry.example.com/acme/flask-api";

fn run(script: &str, bin: &Path, dir: &Path, state: &Path) -> String {
    let env = [
        ("PIPEC_WALK_STATE", state.to_str().unwrap()),
        ("CI_REGISTRY", "registry.example.com"),
        ("CI_REGISTRY_IMAGE", CI_IMAGE),
        ("CI_REGISTRY_USER", "gitlab-ci-token"),
        ("CI_REGISTRY_PASSWORD", "job-token"),
        ("CI_COMMIT_SHA", SHA),
        ("CI_DEFAULT_BRANCH", "main"),
        ("PIPEC_SHA", SHA),
        ("PIPEC_REF_NAME", "develop"),
        ("PIPEC_REF_TYPE", "branch"),
        ("PIPEC_EVENT", "push"),
        ("GHCR_USERNAME", "bot"),
        ("GHCR_TOKEN", "token"),
    ];
    let out = run_sh(script, &env, bin, dir);
    assert!(out.status.success(), "{}\n{script}", text(&out));
    text(&out)
}

fn digest(state: &Path, repo: &str, tag: &str) -> String {
    std::fs::read_to_string(state.join("registry").join(repo).join("tags").join(tag))
        .unwrap_or_else(|_| panic!("{repo}:{tag} was never pushed"))
        .trim()
        .to_string()
}

#[test]
fn gitlab_hands_images_over_through_the_registry() {
    let ci = emitted(&program("flask-api"), &["gitlab"], ".gitlab-ci.yml");
    let doc: Value = yaml_serde::from_str(&ci).unwrap();
    for (name, job) in doc.as_mapping().unwrap() {
        let name = name.as_str().unwrap_or_default();
        let paths = job["artifacts"]["paths"].as_sequence().cloned();
        for p in paths.unwrap_or_default() {
            let p = p.as_str().unwrap_or_default();
            assert!(!p.ends_with(".tar"), "{name} hands over {p} as an artifact");
        }
        // The images that build, scan and publish run as pinned by digest.
        let image = job["image"]["name"].as_str().or(job["image"].as_str());
        if let Some(image) = image.filter(|i| i.starts_with("docker:") || i.contains("trivy")) {
            assert!(image.contains("@sha256:"), "{name} runs in {image}");
        }
        let script = format!("{:?}", job["script"]);
        assert!(
            !script.contains("docker save") && !script.contains("image save"),
            "{name} saves an image archive"
        );
    }

    let super::multiarch::Walk { dir, bin, state } = super::multiarch::Walk::new("gitlab-handover");

    let build = gitlab_script(&ci, "build_app");
    run(&build, &bin, &dir, &state);
    let log = std::fs::read_to_string(state.join("docker.log")).unwrap();
    let at = |what: &str| {
        log.lines()
            .position(|l| l.starts_with(what))
            .unwrap_or_else(|| panic!("no `{what}` in\n{log}"))
    };
    let built = at("docker build ");
    assert!(log.lines().nth(built).unwrap().contains("--cache-from"));
    assert!(at("docker login --username bot --password-stdin ghcr.io") < built);
    assert!(at("docker login --username gitlab-ci-token") < built);
    let handed = digest(&state, &format!("{CI_IMAGE}/pipec-ci/app"), SHA);

    // A second pipeline of the same commit reuses the image: one build.
    let again = run(&build, &bin, &dir, &state);
    assert!(again.contains("is built once"), "{again}");
    assert_eq!(
        std::fs::read_to_string(state.join("builds"))
            .unwrap()
            .trim(),
        "1"
    );

    // The publish job pushes what was handed over.
    run(&gitlab_script(&ci, "publish_app"), &bin, &dir, &state);
    assert_eq!(
        digest(&state, "ghcr.io/acme/flask-api", "sha-0123456"),
        handed
    );
    assert_eq!(
        std::fs::read_to_string(state.join("builds"))
            .unwrap()
            .trim(),
        "1"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
