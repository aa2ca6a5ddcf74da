//! Facts of Helm values files: the image a values file deploys and the
//! resources it gives the container, read where a file is a values file by
//! its name (`values.yaml`, `values-prod.yaml`, `prod.values.yaml`, a word
//! `values` between `-`, `.` or `_`, or a file in a folder `values` — pipec
//! writes `deploy/<service>/values/<env>.yaml`)
//! and sets an image by repository, as charts laid out like `helm create`'s
//! read it. A file that is both a values file and a manifest is a manifest.

use pipec_diagnostics::SourceId;

use super::{Facts, HelmValues};
use crate::loc::Loc;
use crate::yaml::{Document, Node, YamlPath};

/// Whether a file's name is one a values file has.
pub fn is_values_name(path: &str) -> bool {
    let path = path.replace('\\', "/");
    let mut parts = path.rsplit('/');
    let base = parts.next().unwrap_or("");
    let dir = parts.next().unwrap_or("");
    let Some(stem) = base
        .strip_suffix(".yaml")
        .or_else(|| base.strip_suffix(".yml"))
    else {
        return false;
    };
    dir == "values" || stem.split(['-', '.', '_']).any(|w| w == "values")
}

/// A chart's own defaults, beside its `Chart.yaml`: `values.yaml`.
pub fn is_chart_defaults(path: &str) -> bool {
    let base = path.rsplit(['/', '\\']).next().unwrap_or(path);
    base == "values.yaml" || base == "values.yml"
}

/// Adds the facts of a values document: `image` is a mapping with a
/// `repository`; `generated` for a file pipec wrote (header intact), whose
/// tag CI sets.
pub fn extract(
    file: SourceId,
    name: &str,
    doc: &Document,
    generated: bool,
    facts: &mut Facts,
) -> bool {
    let root = &doc.root;
    let Some(image) = root.get("image").filter(|i| i.is_map()) else {
        return false;
    };
    if image.get("repository").and_then(Node::text).is_none() {
        return false;
    }
    let at = |p: YamlPath| Loc::yaml(file, doc, p);
    let top = YamlPath::root();
    let tag = image
        .get("tag")
        .and_then(Node::text)
        .map(|t| (t.to_string(), at(top.key("image").key("tag"))));
    let resources = root.get("resources").filter(|r| r.is_map()).map(|r| {
        let limits = r.get("limits");
        (
            at(top.key("resources")),
            r.get("requests").is_some_and(|q| !q.entries().is_empty()),
            limits.and_then(|l| l.get("cpu")).is_some(),
            limits.and_then(|l| l.get("memory")).is_some(),
        )
    });
    facts.helm_values.push(HelmValues {
        file: name.to_string(),
        image: at(top.key("image")),
        repository: image
            .get("repository")
            .and_then(Node::text)
            .unwrap_or("")
            .to_string(),
        tag,
        digest: image.get("digest").and_then(Node::text).is_some(),
        ci_sets_tag: generated,
        resources,
    });
    true
}
