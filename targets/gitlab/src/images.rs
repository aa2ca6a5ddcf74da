//! The container images jobs run in.
//!
//! A job's tool is the tool's official image at the job's version; images
//! whose entrypoint is the tool itself get an empty entrypoint so that the
//! runner can start a shell. Jobs pipec writes itself, and jobs that name
//! neither a tool nor a container, use the pinned images below.

use pipec_emit::{Map, Yaml};
use pipec_graph::{Tool, Toolchain};

/// Jobs with neither `tool` nor `container`: a small Debian with a POSIX shell.
pub const DEFAULT: &str = "debian:12.9-slim";
/// The build and publish jobs: the Docker CLI (with Buildx) …
pub const DOCKER: &str = "docker:27.5.1";
/// … talking to a Docker daemon in a service container.
pub const DOCKER_DAEMON: &str = "docker:27.5.1-dind";
/// Deployments: kubectl, git and a shell (`registry.k8s.io/kubectl` has no
/// shell): GitOps commits and Argo CD's Application status, or rollouts.
pub const KUBECTL: &str = "alpine/k8s:1.32.3";

/// Digests of the images jobs run in, pinned like GitHub actions are pinned
/// to a commit: `name:tag@sha256:…` runs exactly that image, whatever the tag
/// is moved to later (the tag stays for the reader). Each is the multi-platform
/// index the tag named when it was pinned; refresh with
/// `docker buildx imagetools inspect NAME:TAG` (docs/targets/gitlab.md,
/// "Pinned images"). An image without a digest here keeps its tag.
const DIGESTS: &[(&str, &str)] = &[
    (
        "docker:27.5.1",
        "sha256:aa3df78ecf320f5fafdce71c659f1629e96e9de0968305fe1de670e0ca9176ce",
    ),
    // The daemon image: the same index as `docker:27.5.1`, which is an alias
    // of the dind variant.
    (
        "docker:27.5.1-dind",
        "sha256:aa3df78ecf320f5fafdce71c659f1629e96e9de0968305fe1de670e0ca9176ce",
    ),
    (
        "debian:12.9-slim",
        "sha256:40b107342c492725bc7aacbe93a49945445191ae364184a6d24fedb28172f6f7",
    ),
    (
        "aquasec/trivy:0.69.2",
        "sha256:3d1f862cb6c4fe13c1506f96f816096030d8d5ccdb2380a3069f7bf07daa86aa",
    ),
    (
        "ghcr.io/gitleaks/gitleaks:v8.21.2",
        "sha256:0e99e8821643ea5b235718642b93bb32486af9c8162c8b8731f7cbdc951a7f46",
    ),
];

/// An image, pinned to its digest when pipec knows it.
pub fn pinned(name: &str) -> String {
    match DIGESTS.iter().find(|(n, _)| *n == name) {
        Some((_, digest)) => format!("{name}@{digest}"),
        None => name.to_string(),
    }
}

/// `image:` for a name (pinned when pipec knows its digest), with an empty
/// entrypoint when asked.
pub fn image(name: String, clear_entrypoint: bool) -> Yaml {
    let name = pinned(&name);
    if !clear_entrypoint {
        return Yaml::Str(name);
    }
    let mut m = Map::new();
    m.insert("name", name);
    m.insert("entrypoint", vec![""]);
    Yaml::Map(m)
}

/// The image of a tool at a version (the version may come from a matrix).
/// The image of a tool at `version`, written as GitLab expands it.
pub fn tool_image(tc: &Toolchain, version: &str) -> Yaml {
    match tc.tool {
        Tool::Python => image(format!("python:{version}-slim"), false),
        Tool::Node => image(format!("node:{version}"), false),
        Tool::Go => image(format!("golang:{version}"), false),
        Tool::Java => image(format!("eclipse-temurin:{version}"), false),
        // The full image: crates that build C code need a compiler.
        Tool::Rust => image(format!("rust:{version}"), false),
        Tool::Trivy => image(format!("aquasec/trivy:{version}"), true),
        // Gitleaks tags its images with a `v`.
        Tool::Gitleaks => image(
            format!(
                "ghcr.io/gitleaks/gitleaks:v{}",
                version.strip_prefix('v').unwrap_or(version)
            ),
            true,
        ),
        Tool::Kubectl => image(format!("alpine/k8s:{version}"), false),
        // Never the job's only tool (E0217): installed next to its runtime.
        Tool::GolangciLint => image(format!("golangci/golangci-lint:v{version}"), false),
        Tool::CargoLlvmCov => image(format!("rust:{version}"), false),
    }
}
