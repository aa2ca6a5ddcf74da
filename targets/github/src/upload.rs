//! `upload` in a job: PyPI through PyPA's publish action and npm with
//! provenance, both by trusted publishing (`id-token: write`, no stored
//! token).

use pipec_emit::Map;
use pipec_graph::{Upload, UploadTo};

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
