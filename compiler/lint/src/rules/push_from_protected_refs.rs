//! ## What it does
//! Finds the runs in which each image push certainly happens — from the triggers,
//! job conditions (`if:`, `rules:`, `only:`) and push conditions — and reports
//! pushes in runs that are not on a protected branch (`main`, `master`,
//! `develop`; `protected_branches` changes the list) or a release tag: pull
//! requests, feature branches, manual runs on any branch.
//!
//! ## Why is this bad
//! A registry is where deployments take their images from. An image built from a
//! pull request or a feature branch is unreviewed code under a name others
//! trust; a tag such as `sha-…` or `latest` pushed from there can be deployed.
//!
//! ## Example
//! ```yaml
//! on:
//!   push: { branches: [main] }
//!   pull_request: { branches: [main] }
//! jobs:
//!   build:
//!     steps:
//!       - uses: docker/build-push-action@…
//!         with: { push: true, tags: ghcr.io/acme/app:${{ github.sha }} }
//! ```
//!
//! ## Use instead
//! ```yaml
//!       - uses: docker/build-push-action@…
//!         with:
//!           push: ${{ github.event_name != 'pull_request' }}
//!           tags: ghcr.io/acme/app:${{ github.sha }}
//! ```

use pipec_diagnostics::Severity;

use crate::flow;
use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE103",
    name: "push-from-protected-refs",
    summary: "images are pushed only from main, develop and release tags",
    severity: Severity::Error,
    group: Group::Policy,
    inputs: &[Input::Pipe, Input::GitHub, Input::GitLab],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    let protected = &cx.config.protected_branches;
    for p in cx.pipelines() {
        let runs = flow::runs(p);
        let eff = flow::effective(p);
        for (i, j) in p.jobs.iter().enumerate() {
            for push in &j.pushes {
                let bad = runs.iter().find(|r| {
                    eff[i].holds(r)
                        && push.when.holds(r)
                        && !r.is_release()
                        && !r
                            .own_branch()
                            .is_some_and(|b| protected.iter().any(|x| x == b))
                });
                if let Some(r) = bad {
                    out.report(
                        push.loc.clone(),
                        format!("`{}` pushes images in {}", j.name, flow::describe(r)),
                    )
                    .label("pushed from an unprotected ref")
                    .help(format!(
                        "push only on {} and release tags; build without pushing elsewhere",
                        protected.join(", ")
                    ));
                }
            }
        }
    }
}
