//! The shell of `upload` steps both CI targets run (where GitHub Actions
//! publishes to PyPI with PyPA's action instead, its target says so).
//!
//! Trusted publishing: the job asks its CI system for an OIDC token naming
//! this repository and workflow, and the registry, told once to trust that
//! workflow, accepts the token instead of a stored secret.

use crate::release::sh_quote;

/// The npm CLI that publishes: trusted publishing needs 11.5.1 or later,
/// newer than the npm the Node.js releases bundle.
pub const NPM_VERSION: &str = "11.21.2";

/// Publishes every package tarball in `dir` to npm with a provenance
/// statement, through trusted publishing.
pub fn npm(dir: &str) -> String {
    format!(
        "set -eu\n\
         npm install --global npm@{NPM_VERSION}\n\
         found=0\n\
         for tarball in {dir}/*.tgz; do\n  \
           [ -e \"$tarball\" ] || continue\n  \
           npm publish --provenance --access public \"$tarball\"\n  \
           found=1\n\
         done\n\
         [ \"$found\" = 1 ] || {{ echo 'pipec: no package tarball (*.tgz) in {shown}' >&2; exit 1; }}\n",
        dir = sh_quote(dir),
        shown = dir.replace('\'', ""),
    )
}

/// Publishes the distributions in `dir` to PyPI from GitLab CI: the job's
/// ID token `PYPI_ID_TOKEN` (audience `pypi`) is exchanged for a short-lived
/// upload token, which twine uses.
pub fn pypi_gitlab(dir: &str) -> String {
    format!(
        "set -eu\n\
         python -m pip install twine\n\
         token=\"$(python - <<'PY'\n\
         import json, os, urllib.request\n\
         request = urllib.request.Request(\n    \
             'https://pypi.org/_/oidc/mint-token',\n    \
             data=json.dumps({{'token': os.environ['PYPI_ID_TOKEN']}}).encode(),\n    \
             headers={{'Content-Type': 'application/json'}},\n\
         )\n\
         with urllib.request.urlopen(request) as response:\n    \
             print(json.load(response)['token'])\n\
         PY\n\
         )\"\n\
         TWINE_USERNAME=__token__ TWINE_PASSWORD=\"$token\" python -m twine upload --non-interactive {dir}/*\n",
        dir = sh_quote(dir),
    )
}
