//! ## What it does
//! Reports `actions/checkout` steps without `persist-credentials: false` in jobs
//! that do not push commits.
//!
//! ## Why is this bad
//! By default the checkout writes the job's token into `.git/config`, where every
//! later step can read it, and where an upload of the workspace (an artifact, a
//! cache, a Docker build context) can carry it away.
//!
//! ## Example
//! ```yaml
//! - uses: actions/checkout@…
//! ```
//!
//! ## Use instead
//! ```yaml
//! - uses: actions/checkout@…
//!   with:
//!     persist-credentials: false
//! ```

use pipec_diagnostics::Severity;

use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE205",
    name: "persisted-credentials",
    summary: "checkouts do not leave the token behind",
    severity: Severity::Warning,
    group: Group::Security,
    inputs: &[Input::GitHub],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for p in cx.pipelines() {
        for j in &p.jobs {
            if j.pushes_commits {
                continue;
            }
            for c in j.checkouts.iter().filter(|c| c.persist) {
                out.report(c.loc.clone(), format!("the checkout in `{}` leaves the job's token in .git/config for every later step", j.name))
                    .label("credentials persisted")
                    .help("add `with: { persist-credentials: false }`");
            }
        }
    }
}
