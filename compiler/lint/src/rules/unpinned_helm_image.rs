//! ## What it does
//! Reports a Helm values file of an environment whose image tag is `latest`,
//! or that names no tag and no digest, so that the chart deploys whatever
//! its default is. A chart's own defaults (a file named exactly
//! `values.yaml`) may leave the tag empty: charts fall back to their
//! `appVersion`. Files pipec writes are not reported: their deployments set
//! the tag to the tag and digest they ship.
//!
//! ## Why is this bad
//! A moving tag deploys a different image whenever a node pulls again: two
//! pods of one release can run different code, a rollback redeploys the new
//! image, and nothing records what ran. The values of an environment are
//! what Argo CD or `helm upgrade -f` deploys, so they must name one image.
//!
//! ## Example
//! ```yaml
//! # values-prod.yaml
//! image:
//!   repository: ghcr.io/acme/api
//!   tag: latest
//! ```
//!
//! ## Use instead
//! ```yaml
//! image:
//!   repository: ghcr.io/acme/api
//!   tag: "1.4.2@sha256:9f…"
//! ```

use pipec_diagnostics::Severity;

use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE510",
    name: "unpinned-helm-image",
    summary: "Helm values of an environment pin the image they deploy",
    severity: Severity::Error,
    group: Group::Policy,
    inputs: &[Input::Kubernetes],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for v in cx.helm_values() {
        if v.ci_sets_tag || v.digest {
            continue;
        }
        let defaults = crate::facts::helm::is_chart_defaults(&v.file);
        let (loc, what, label) = match &v.tag {
            Some((tag, loc)) if tag == "latest" || tag.ends_with(":latest") => (
                loc.clone(),
                "by its moving tag `latest`",
                "a different image at every pull",
            ),
            None if !defaults => (
                v.image.key(),
                "with no tag and no digest",
                "the chart's default tag",
            ),
            Some((tag, loc)) if tag.is_empty() && !defaults => {
                (loc.clone(), "with an empty tag", "the chart's default tag")
            }
            _ => continue,
        };
        out.report(loc, format!("`{}` is deployed {what}", v.repository))
            .label(label)
            .help("set the tag the release was published as, with its digest: tag: \"1.4.2@sha256:…\"");
    }
}
