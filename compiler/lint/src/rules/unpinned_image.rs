//! ## What it does
//! Reports GitHub jobs whose `container:` or `services:` image is not pinned
//! to a digest (`@sha256:…`), and the `container` and `service` statements
//! of `.pipe` jobs that become them. Images chosen at run time (`${{ … }}`)
//! are not reported.
//!
//! ## Why is this bad
//! A tag such as `postgres:16` or `node:20` can be pushed again: the job then
//! runs whatever image the tag points at that day, with the job's token and
//! secrets in reach (the container shares the job's workspace and
//! environment).
//!
//! ## Example
//! ```yaml
//! jobs:
//!   test:
//!     container: golang:1.24
//!     services:
//!       postgres:
//!         image: postgres:16
//! ```
//!
//! ## Use instead
//! ```yaml
//! jobs:
//!   test:
//!     container: golang:1.24@sha256:<digest>
//!     services:
//!       postgres:
//!         image: postgres:16@sha256:<digest>
//! ```

use pipec_diagnostics::Severity;

use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE208",
    name: "unpinned-image",
    summary: "job and service containers are pinned to a digest",
    severity: Severity::Warning,
    group: Group::Security,
    inputs: &[Input::Pipe, Input::GitHub],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for p in cx.pipelines() {
        for j in &p.jobs {
            for (image, at) in &j.images {
                if image.contains("@sha256:") || image.contains("${{") || image.trim().is_empty() {
                    continue;
                }
                let image = image.trim_start_matches("docker://");
                out.report(
                    at.clone(),
                    format!("job `{}` runs in `{image}`, which is not pinned to a digest: its tag can be pushed again", j.name),
                )
                .label("no @sha256: digest")
                .help("pin the digest and keep the tag for readers: image:tag@sha256:<digest>");
            }
        }
    }
}
