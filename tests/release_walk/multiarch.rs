//! A multi-platform image travels as a manifest list through a registry, by
//! digest: the generated shell of go-service (built for `linux/amd64` and
//! `linux/arm64`) runs against the walk's recording `docker`, and the digest
//! every later job receives — the scan, the publish, the deployments — is
//! the list's.

use std::path::{Path, PathBuf};

use pipec_tests::shell::{github_step, gitlab_script, run_sh, stub, text};
use pipec_tests::{emitted, program, root, scratch};
use yaml_serde::Value;

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const PLATFORMS: &str = "linux/amd64,linux/arm64";

/// A scratch directory with the walk's recording `docker` first on `PATH`
/// and the state it keeps (the registry, the calls).
pub struct Walk {
    pub dir: PathBuf,
    pub bin: PathBuf,
    pub state: PathBuf,
}

impl Walk {
    pub fn new(name: &str) -> Walk {
        let dir = scratch(name);
        let state = dir.join("state");
        std::fs::create_dir_all(&state).unwrap();
        let bin = dir.join("bin");
        let docker = root().join("tests/release_walk/stubs/docker");
        stub(
            &bin,
            "docker",
            &format!("exec '{}' \"$@\"\n", docker.display()),
        );
        Walk { dir, bin, state }
    }

    /// Runs a script; its output, or its failure's.
    fn run(&self, script: &str, env: &[(&str, &str)]) -> Result<String, String> {
        let mut all = vec![
            ("PIPEC_WALK_STATE", self.state.to_str().unwrap()),
            ("PIPEC_SHA", SHA),
            ("PIPEC_REF_NAME", "main"),
            ("PIPEC_REF_TYPE", "branch"),
            ("PIPEC_EVENT", "push"),
        ];
        all.extend_from_slice(env);
        let out = run_sh(script, &all, &self.bin, &self.dir);
        if out.status.success() {
            Ok(text(&out))
        } else {
            Err(format!("{}\n{script}", text(&out)))
        }
    }

    fn tag(&self, repo: &str, tag: &str) -> String {
        let path = self
            .state
            .join("registry")
            .join(repo)
            .join("tags")
            .join(tag);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("{repo}:{tag} was never pushed"))
            .trim()
            .to_string()
    }

    fn content(&self, repo: &str, digest: &str) -> String {
        std::fs::read_to_string(
            self.state
                .join("registry")
                .join(repo)
                .join("blobs")
                .join(digest),
        )
        .unwrap_or_else(|_| panic!("{repo}@{digest} is not in the registry"))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.state.join("docker.log")).unwrap_or_default()
    }
}

/// `name=value` lines a step wrote to `$GITHUB_OUTPUT`.
fn output(file: &Path, name: &str) -> String {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.strip_prefix(&format!("{name}=")))
        .next_back()
        .unwrap_or_else(|| panic!("no output {name} in\n{text}"))
        .to_string()
}

#[test]
fn github_hands_the_manifest_list_on_by_digest() {
    let workflow = emitted(
        &program("go-service"),
        &["github"],
        ".github/workflows/orders.yml",
    );
    let doc: Value = yaml_serde::from_str(&workflow).unwrap();
    let jobs = &doc["jobs"];
    // No archive travels: nothing is uploaded, downloaded or loaded.
    for (name, job) in jobs.as_mapping().unwrap() {
        let steps = format!("{:?}", job["steps"]);
        assert!(
            !steps.contains("image-orders"),
            "{name:?} hands over an archive"
        );
        assert!(!steps.contains("docker load"), "{name:?} loads an archive");
    }
    let build = &jobs["build_orders"];
    assert_eq!(
        build["outputs"]["image"].as_str(),
        Some("${{ steps.image.outputs.image }}")
    );
    assert_eq!(build["permissions"]["packages"].as_str(), Some("write"));
    let steps = format!("{:?}", build["steps"]);
    assert!(steps.contains("docker/setup-qemu-action@"), "{steps}");
    assert!(steps.contains("type=image,push=true"), "{steps}");
    // The scan reads the list the build handed on.
    let scan = format!("{:?}", jobs["trivy"]["steps"]);
    assert!(
        scan.contains("${{ needs.build_orders.outputs.image }}"),
        "{scan}"
    );

    let walk = Walk::new("multiarch-github");
    let out = walk.dir.join("github-output");
    let out_str = out.to_str().unwrap();
    let github = [
        ("GITHUB_OUTPUT", out_str),
        ("GITHUB_REPOSITORY", "Acme/Orders"),
        ("GITHUB_SHA", SHA),
    ];
    // The list is named after the repository, in lowercase as ghcr.io wants.
    walk.run(
        &github_step(&workflow, "build_orders", "Name the manifest list"),
        &github,
    )
    .unwrap();
    let staging = output(&out, "ref");
    assert_eq!(
        staging,
        format!("ghcr.io/acme/orders/pipec-ci/orders:{SHA}")
    );
    // What docker/build-push-action does with `outputs: type=image,push=true`.
    walk.run(
        &format!("docker buildx build --platform {PLATFORMS} --tag {staging} --push ."),
        &github,
    )
    .unwrap();
    let list = walk.tag("ghcr.io/acme/orders/pipec-ci/orders", SHA);
    let hand_over = github_step(&workflow, "build_orders", "Hand on the manifest list");

    // A digest the registry does not list for the reference is refused.
    let wrong = format!("sha256:{}", "0".repeat(64));
    let refused = walk
        .run(
            &hand_over,
            &[
                github[0],
                ("PIPEC_STAGING", &staging),
                ("PIPEC_DIGEST", &wrong),
            ],
        )
        .unwrap_err();
    assert!(refused.contains("not the manifest list"), "{refused}");

    walk.run(
        &hand_over,
        &[
            github[0],
            ("PIPEC_STAGING", &staging),
            ("PIPEC_DIGEST", &list),
        ],
    )
    .unwrap();
    let handed = output(&out, "image");
    assert_eq!(
        handed,
        format!("ghcr.io/acme/orders/pipec-ci/orders@{list}")
    );

    // Trivy scans every platform of that list, by digest.
    let scans = walk.dir.join("trivy.log");
    stub(
        &walk.bin,
        "trivy",
        &format!(
            "for a in \"$@\"; do last=\"$a\"; done\necho \"$TRIVY_PLATFORM $last\" >> '{}'\n",
            scans.display()
        ),
    );
    walk.run(
        &github_step(&workflow, "trivy", "Scan image"),
        &[("PIPEC_IMAGE_SOURCE_ORDERS", &handed)],
    )
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(&scans).unwrap(),
        format!("linux/amd64 {handed}\nlinux/arm64 {handed}\n")
    );

    // The publish job copies the list, every platform, and hands its digest
    // to the deployments.
    walk.run(
        &github_step(&workflow, "publish_orders", "Push ghcr.io/acme/orders"),
        &[github[0], ("PIPEC_IMAGE_SOURCE_ORDERS", &handed)],
    )
    .unwrap();
    assert_eq!(walk.tag("ghcr.io/acme/orders", "sha-0123456"), list);
    assert_eq!(output(&out, "release_0"), format!("sha-0123456@{list}"));
    assert!(
        walk.content("ghcr.io/acme/orders", &list)
            .contains(&format!("for {PLATFORMS}")),
        "the published digest is not the list"
    );
    let log = walk.log();
    assert!(
        log.contains(&format!(
            "docker buildx imagetools create --prefer-index=false --tag ghcr.io/acme/orders:sha-0123456 {handed}"
        )),
        "{log}"
    );
    assert!(!log.contains("docker push"), "{log}");

    // A release tag of that commit ships the same list, unbuilt.
    let fetched = walk
        .run(
            &github_step(&workflow, "build_orders", "Fetch the published image"),
            &[
                github[0],
                ("PIPEC_REF_TYPE", "tag"),
                ("PIPEC_REF_NAME", "v1.2.0"),
                ("PIPEC_EVENT", "tag"),
            ],
        )
        .unwrap();
    assert!(fetched.contains("ships that manifest list"), "{fetched}");
    assert_eq!(output(&out, "found"), "true");
    assert_eq!(output(&out, "image"), format!("ghcr.io/acme/orders@{list}"));
    let _ = std::fs::remove_dir_all(&walk.dir);
}

#[test]
fn gitlab_builds_the_manifest_list_once_and_copies_it_by_digest() {
    let ci = emitted(&program("go-service"), &["gitlab"], ".gitlab-ci.yml");
    let walk = Walk::new("multiarch-gitlab");
    let ci_image = "registry.example.com/acme/orders";
    let gitlab = [
        ("CI_REGISTRY", "registry.example.com"),
        ("CI_REGISTRY_IMAGE", ci_image),
        ("CI_REGISTRY_USER", "gitlab-ci-token"),
        ("CI_REGISTRY_PASSWORD", "job-token"),
        ("CI_COMMIT_SHA", SHA),
        ("CI_DEFAULT_BRANCH", "main"),
        ("GHCR_USERNAME", "bot"),
        ("GHCR_TOKEN", "token"),
    ];
    let build = gitlab_script(&ci, "build_orders");
    walk.run(&build, &gitlab).unwrap();
    let log = walk.log();
    let at = |what: &str| {
        log.lines()
            .position(|l| l.starts_with(what))
            .unwrap_or_else(|| panic!("no `{what}` in\n{log}"))
    };
    let built = at("docker buildx build ");
    assert!(at("docker run --privileged --rm tonistiigi/binfmt:") < built);
    assert!(at("docker buildx create --use --driver docker-container") < built);
    let line = log.lines().nth(built).unwrap();
    assert!(line.contains(&format!("--platform {PLATFORMS}")), "{line}");
    let list = walk.tag(&format!("{ci_image}/pipec-ci/orders"), SHA);

    // A later pipeline of the commit (the release tag) builds nothing.
    let again = walk.run(&build, &gitlab).unwrap();
    assert!(again.contains("is built once"), "{again}");

    walk.run(&gitlab_script(&ci, "publish_orders"), &gitlab)
        .unwrap();
    assert_eq!(walk.tag("ghcr.io/acme/orders", "sha-0123456"), list);
    let report = std::fs::read_to_string(walk.dir.join("pipec-release.env")).unwrap();
    assert!(
        report.contains(&format!("PIPEC_RELEASE_0=sha-0123456@{list}")),
        "{report}"
    );
    let log = walk.log();
    assert!(!log.contains("docker pull"), "{log}");
    assert!(
        log.contains(&format!(
            "docker buildx imagetools create --prefer-index=false --tag ghcr.io/acme/orders:sha-0123456 {ci_image}/pipec-ci/orders@{list}"
        )),
        "{log}"
    );
    let _ = std::fs::remove_dir_all(&walk.dir);
}

#[test]
fn github_jobs_that_run_a_list_pull_it_by_digest() {
    let program = pipec_tests::program_from(
        "use std.docker\npipeline p {\n  on push\n  image app = docker.build(platforms: [\"linux/amd64\", \"linux/arm64\"])\n  job smoke { load app; run \"docker run --rm app:ci true\" }\n}\n",
    );
    let workflow = emitted(&program, &["github"], ".github/workflows/p.yml");
    let doc: Value = yaml_serde::from_str(&workflow).unwrap();
    let smoke = &doc["jobs"]["smoke"];
    assert_eq!(smoke["needs"][0], "build_app", "{workflow}");
    assert_eq!(smoke["permissions"]["packages"], "read", "{workflow}");
    let pull = github_step(&workflow, "smoke", "Pull image app");
    let steps = smoke["steps"].as_sequence().unwrap();
    let step = steps
        .iter()
        .find(|s| s["name"] == "Pull image app")
        .unwrap();
    assert_eq!(
        step["env"]["PIPEC_IMAGE_SOURCE_APP"],
        "${{ needs.build_app.outputs.image }}"
    );

    let walk = Walk::new("multiarch-pull");
    let repo = "ghcr.io/acme/p/pipec-ci/app";
    walk.run(
        &format!("docker buildx build --platform {PLATFORMS} --tag {repo}:{SHA} --push ."),
        &[],
    )
    .unwrap();
    let list = walk.tag(repo, SHA);
    let reference = format!("{repo}@{list}");
    walk.run(&pull, &[("PIPEC_IMAGE_SOURCE_APP", &reference)])
        .unwrap();
    let log = walk.log();
    assert!(log.contains(&format!("docker pull {reference}")), "{log}");
    assert!(
        log.contains(&format!("docker tag {reference} app:ci")),
        "{log}"
    );
    let _ = std::fs::remove_dir_all(&walk.dir);
}
