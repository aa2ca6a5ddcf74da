//! ## What it does
//! Reports caches (`actions/cache`, `cache:` of the `setup-*` actions, which
//! `setup-go` enables by default) restored in jobs that publish images or
//! releases (goreleaser, ko, publishing actions and commands) in a
//! workflow triggered by tags or releases.
//!
//! ## Why is this bad
//! Caches are shared with runs of other branches, including ones that ran
//! unreviewed code. A poisoned cache entry restored in a release job ends up
//! inside the released artifact.
//!
//! ## Example
//! ```yaml
//! on: { push: { tags: ['v*'] } }
//! jobs:
//!   release:
//!     steps:
//!       - uses: actions/setup-python@…
//!         with: { cache: pip }
//!       - run: docker build -t $IMAGE . && docker push $IMAGE
//! ```
//!
//! ## Use instead
//! Install dependencies without a cache in release jobs.

use pipec_diagnostics::Severity;

use crate::facts::RunEvent;
use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE207",
    name: "cache-poisoning",
    summary: "release jobs do not restore dependency caches",
    severity: Severity::Warning,
    group: Group::Security,
    inputs: &[Input::GitHub],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for p in cx.pipelines() {
        if !p
            .triggers
            .iter()
            .any(|t| matches!(t.event, RunEvent::Tag | RunEvent::Release))
        {
            continue;
        }
        for j in &p.jobs {
            // Images pushed, or releases built by goreleaser, ko and other
            // publishing tools.
            if !super::excessive_permissions::publishes_packages(j) {
                continue;
            }
            for c in &j.caches {
                out.report(
                    c.clone(),
                    format!(
                        "release job `{}` restores a dependency cache that other runs can write",
                        j.name
                    ),
                )
                .label("cache restored")
                .help("do not restore caches in jobs that publish releases");
            }
        }
    }
}
