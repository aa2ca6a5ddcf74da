//! ## What it does
//! Reports jobs that run with the repository's default `GITHUB_TOKEN`
//! permissions (no `permissions:` on the job or the workflow), workflow-level
//! permissions that grant write access to more than one job (jobs with their
//! own `permissions:` do not inherit them), `write-all`, and
//! `packages: write` on a job that pushes no image and no registry layer
//! cache.
//!
//! ## Why is this bad
//! Depending on repository settings the default token can push code, create
//! releases and change packages. Every step of every job — including third-party
//! actions — can use it.
//!
//! ## Example
//! ```yaml
//! on: push
//! jobs:
//!   test:
//!     runs-on: ubuntu-latest
//! ```
//!
//! ## Use instead
//! ```yaml
//! on: push
//! permissions: {}
//! jobs:
//!   test:
//!     runs-on: ubuntu-latest
//!     permissions:
//!       contents: read
//! ```

use pipec_diagnostics::Severity;

use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE202",
    name: "excessive-permissions",
    summary: "the workflow token gets only the permissions each job uses",
    severity: Severity::Warning,
    group: Group::Security,
    inputs: &[Input::GitHub],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for p in cx.pipelines() {
        // Jobs with their own `permissions:` do not get the workflow's: when
        // one job inherits them (a workflow of one job, or every other job
        // sets its own), they are that job's and nothing else gets them.
        let inheriting = p.jobs.iter().filter(|j| j.permissions.is_none()).count();
        if let Some(w) = &p.permissions
            && w.grants_write()
            && inheriting > 1
        {
            out.report(
                w.loc.clone(),
                format!(
                    "workflow-level permissions grant write access to every job without its own ({inheriting} jobs)"
                ),
            )
            .label("write for those jobs")
            .help(
                "set `permissions: {}` here and grant write scopes only on the jobs that need them",
            );
        }
        for j in &p.jobs {
            match &j.permissions {
                None if p.permissions.is_none() => {
                    out.report(j.loc.clone(), format!("job `{}` runs with the repository's default token permissions", j.name))
                        .label("no `permissions:`")
                        .help("add `permissions: {}` to the workflow and give this job only what it uses, e.g. `contents: read`");
                }
                Some(perm) if perm.all.as_deref() == Some("write-all") => {
                    out.report(
                        perm.loc.clone(),
                        format!("job `{}` gets every write permission", j.name),
                    )
                    .label("write-all")
                    .help("list only the scopes the job uses");
                }
                Some(perm) => {
                    for (scope, value, at) in &perm.scopes {
                        if scope == "packages"
                            && value == "write"
                            && !publishes_packages(j)
                            && !j.writes_registry_cache
                        {
                            out.report(
                                at.clone(),
                                format!("job `{}` may write packages but pushes no image", j.name),
                            )
                            .label("unused write scope")
                            .help("remove it, or move it to the job that pushes");
                        }
                    }
                }
                None => {}
            }
        }
    }
}

/// Actions that write to a package registry (images, signatures,
/// attestations, charts, packages), by the start of their `uses:`.
const PUBLISHING_ACTIONS: &[&str] = &[
    "docker/build-push-action",
    "docker/bake-action",
    "goreleaser/goreleaser-action",
    "ko-build/setup-ko",
    "imjasonh/setup-ko",
    "actions/attest-build-provenance",
    "actions/attest-sbom",
    "actions/attest",
    "actions/publish-immutable-action",
    "actions/publish-action",
    "sigstore/cosign-installer",
    "helm/chart-releaser-action",
    "redhat-actions/push-to-registry",
    "slsa-framework/slsa-github-generator",
    "anchore/sbom-action",
    "oras-project/setup-oras",
    "jsr-io/",
    "pypa/gh-action-pypi-publish",
];

/// Commands that write to a package registry.
const PUBLISHING_COMMANDS: &[&str] = &[
    "goreleaser release",
    "ko build",
    "ko publish",
    "ko resolve",
    "ko apply",
    "ctr push",
    "ctr images push",
    "nerdctl push",
    "podman push",
    "buildah push",
    "helm push",
    "oras push",
    "oras attach",
    "crane push",
    "crane copy",
    "crane cp",
    "crane append",
    "crane mutate",
    "skopeo copy",
    "cosign sign",
    "cosign attest",
    "cosign copy",
    "imagetools create",
    "manifest push",
    "docker push",
    "buildx build",
    "docker buildx bake",
    "npm publish",
    "yarn publish",
    "pnpm publish",
    "mvn deploy",
    "gradle publish",
    "gradlew publish",
    "dotnet nuget push",
    "gem push",
    "make push",
    "make release",
    "make publish",
    "gh attestation",
];

/// Whether a job with `packages: write` shows a use for it: an image it
/// pushes, a publishing action or command, or a reusable workflow (whose
/// steps are elsewhere).
pub(crate) fn publishes_packages(j: &crate::facts::Job) -> bool {
    !j.pushes.is_empty()
        || j.actions.iter().any(|a| {
            let uses = a.uses.to_ascii_lowercase();
            uses.contains(".github/workflows/")
                || uses.starts_with("docker://")
                || PUBLISHING_ACTIONS.iter().any(|p| uses.starts_with(p))
                // An action that says it publishes (`promci/publish_main`).
                || uses
                    .split('@')
                    .next()
                    .and_then(|name| name.rsplit('/').next())
                    .is_some_and(|last| ["publish", "push", "release"].iter().any(|w| last.contains(w)))
        })
        || j.scripts
            .iter()
            .any(|s| PUBLISHING_COMMANDS.iter().any(|c| s.text.contains(c)))
}
