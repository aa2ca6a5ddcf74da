//! `upload` in a job: PyPI through PyPA's publish action and npm with
//! provenance, both by trusted publishing (`id-token: write`, no stored
//! token); and `release`: the tag's GitHub release, with `gh` and the job's
//! own token (`contents: write` on that job only).

use pipec_emit::Map;
use pipec_graph::{Release, Upload, UploadTo};

use crate::job::Body;
use crate::permissions::Level;
use crate::pins;
use crate::steps;

/// Adds the steps and permissions of `u` to a job's body.
pub fn upload(body: &mut Body, u: &Upload) {
    match u.to {
        UploadTo::Pypi => {
            body.permissions.grant(
                "id-token",
                Level::Write,
                "trusted publishing: PyPI accepts this workflow's OIDC token",
            );
            let mut with = Map::new();
            with.insert("packages-dir", format!("{}/", u.dir));
            body.steps
                .push(steps::uses("Publish to PyPI", &pins::PYPI_PUBLISH, with));
        }
        UploadTo::Npm => {
            body.permissions.grant(
                "id-token",
                Level::Write,
                "trusted publishing and the provenance statement: npm accepts this workflow's OIDC token",
            );
            body.steps.push(steps::run(
                "Publish to npm",
                pipec_emit::upload::npm(&u.dir),
                &[],
            ));
        }
    }
}

/// Adds the step and permission of `r`: `gh release create`, after the
/// job's steps, with the token through `GH_TOKEN`.
pub fn release(body: &mut Body, r: &Release) {
    body.permissions.grant(
        "contents",
        Level::Write,
        "create the release of the tag and attach its files",
    );
    let env = [
        ("GH_TOKEN", "${{ github.token }}"),
        ("GH_REPO", "${{ github.repository }}"),
        ("PIPEC_TAG", "${{ github.ref_name }}"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()));
    body.steps.push(steps::run(
        "Create the release",
        pipec_emit::tag_release::github_script(r),
        &env,
    ));
}
