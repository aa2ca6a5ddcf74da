//! `upload` in a job: PyPI and npm by trusted publishing — the job asks
//! GitLab for an ID token with the registry's audience (`id_tokens:`) and
//! the registry, told once to trust this project's pipeline, accepts it.

use pipec_emit::{Map, Yaml};
use pipec_graph::{Upload, UploadTo};

use crate::body::Body;

/// An `id_tokens:` entry: the token `name` for `aud`.
fn token(tokens: &mut Map, name: &str, aud: &str) {
    let mut t = Map::new();
    t.insert("aud", aud);
    tokens.insert(name, Yaml::Map(t));
}

pub fn upload(u: &Upload, body: &mut Body) {
    let mut tokens = Map::new();
    let script = match u.to {
        UploadTo::Pypi => {
            token(&mut tokens, "PYPI_ID_TOKEN", "pypi");
            pipec_emit::upload::pypi_gitlab(&u.dir)
        }
        UploadTo::Npm => {
            token(&mut tokens, "NPM_ID_TOKEN", "npm:registry.npmjs.org");
            // The provenance statement is signed with Sigstore.
            token(&mut tokens, "SIGSTORE_ID_TOKEN", "sigstore");
            pipec_emit::upload::npm(&u.dir)
        }
    };
    body.id_tokens = Some(tokens);
    body.script.push(Yaml::Str(script));
}
