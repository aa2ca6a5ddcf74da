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
/// GitOps deployments: git and a POSIX shell (busybox `sed`, `base64`).
pub const GIT: &str = "alpine/git:2.45.2";
/// `via kubectl` deployments: kubectl with a shell (`registry.k8s.io/kubectl`
/// has none).
pub const KUBECTL: &str = "alpine/k8s:1.32.3";

/// `image:` for a name, with an empty entrypoint when asked.
pub fn image(name: String, clear_entrypoint: bool) -> Yaml {
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
