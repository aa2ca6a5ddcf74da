//! ## What it does
//! Reports `uses:` references to actions and reusable workflows that are not
//! pinned to a full 40-character commit SHA (tags such as `@v4` and branches
//! such as `@master` can be moved), and `docker://` images without a digest.
//! Actions of the same repository (`./…`, `$/…`) are not reported, nor the
//! SLSA generator's reusable workflows called by a full release tag (they
//! refuse to run from a commit SHA). GitHub's own actions are included:
//! their tags are as movable as anyone's.
//!
//! ## Why is this bad
//! Whoever controls the action's repository — or steals its maintainer's token —
//! can point the tag at new code, which then runs in your pipeline with its
//! secrets and token.
//!
//! ## Example
//! ```yaml
//! - uses: actions/checkout@v4
//! ```
//!
//! ## Use instead
//! ```yaml
//! - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
//! ```

use pipec_diagnostics::Severity;

use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE201",
    name: "unpinned-action",
    summary: "actions are pinned to a full commit SHA",
    severity: Severity::Error,
    group: Group::Security,
    inputs: &[Input::GitHub],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for p in cx.pipelines() {
        for j in &p.jobs {
            for a in &j.actions {
                // The same repository (`./…`, `$/…`): pinned with the workflow.
                if a.uses.starts_with("./") || a.uses.starts_with("$/") {
                    continue;
                }
                // The SLSA generator's reusable workflows verify that they are
                // called by a release tag and refuse a commit SHA.
                if a.uses
                    .starts_with("slsa-framework/slsa-github-generator/.github/workflows/")
                    && a.uses
                        .rsplit_once("@v")
                        .is_some_and(|(_, v)| v.split('.').count() == 3)
                {
                    continue;
                }
                let pinned = match a.uses.strip_prefix("docker://") {
                    Some(image) => image.contains("@sha256:"),
                    None => a.uses.rsplit_once('@').is_some_and(|(_, r)| {
                        r.len() == 40 && r.chars().all(|c| c.is_ascii_hexdigit())
                    }),
                };
                if pinned {
                    continue;
                }
                if a.uses.starts_with("docker://") {
                    out.report(a.loc.clone(), format!("`{}` is not pinned to a digest: its tag can be moved to another image", a.uses))
                        .label("no @sha256: digest")
                        .help("pin the image digest and keep the tag for readers: docker://image:1.2@sha256:<digest>");
                } else {
                    out.report(a.loc.clone(), format!("`{}` is not pinned to a commit: its tag can be moved to other code", a.uses))
                        .label("not a commit SHA")
                        .help("pin the full commit SHA and keep the version in a comment: uses: owner/action@<40-hex sha> # v1.2.3");
                }
            }
        }
    }
}
