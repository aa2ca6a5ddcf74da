//! ## What it does
//! Reports a push of the `latest` tag in runs that are not releases (tag runs):
//! branch builds, pull requests, manual runs. Tags computed by
//! `docker/metadata-action` are followed (`latest=auto` adds `latest` only for
//! tag events).
//!
//! ## Why is this bad
//! `latest` is what people and manifests pull when they do not pin a version.
//! Moving it with every build of `main` or `develop` ships unreleased code to
//! them, and makes "what runs in production" unanswerable.
//!
//! ## Example
//! ```yaml
//! script:
//!   - docker push $IMAGE:$CI_COMMIT_SHA
//!   - docker push $IMAGE:latest
//! ```
//!
//! ## Use instead
//! ```yaml
//! push:
//!   script:
//!     - docker push $IMAGE:$CI_COMMIT_SHA
//! release:
//!   rules: [{ if: $CI_COMMIT_TAG }]
//!   script:
//!     - docker push $IMAGE:latest
//! ```

use pipec_diagnostics::Severity;

use crate::facts::Tag;
use crate::flow;
use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE104",
    name: "latest-only-for-releases",
    summary: "`latest` moves only with a release",
    severity: Severity::Error,
    group: Group::Policy,
    inputs: &[Input::Pipe, Input::GitHub, Input::GitLab],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for p in cx.pipelines() {
        let runs = flow::runs(p);
        let eff = flow::effective(p);
        for (i, j) in p.jobs.iter().enumerate() {
            for push in &j.pushes {
                for t in push.tags.iter().filter(|t| t.tag == Tag::Latest) {
                    let bad = runs.iter().find(|r| {
                        eff[i].holds(r) && push.when.holds(r) && t.when.holds(r) && !r.is_release()
                    });
                    if let Some(r) = bad {
                        out.report(t.loc.clone(), format!("`latest` is pushed in {}: it should move only when a release is published", flow::describe(r)))
                            .label("`latest` on a non-release run")
                            .help("push `latest` only in tag runs; branch builds get `sha-…` and branch tags");
                    }
                }
            }
        }
    }
}
