//! ## What it does
//! Reports `secrets: inherit` on calls of reusable workflows, and
//! `toJSON(secrets)` in scripts.
//!
//! ## Why is this bad
//! Both hand every secret of the repository to code that needs one or two of
//! them: a compromise of the called workflow, or a log of the JSON, exposes all.
//!
//! ## Example
//! ```yaml
//! jobs:
//!   deploy:
//!     uses: acme/workflows/.github/workflows/deploy.yml@…
//!     secrets: inherit
//! ```
//!
//! ## Use instead
//! ```yaml
//!     secrets:
//!       KUBE_CONFIG: ${{ secrets.KUBE_CONFIG }}
//! ```

use pipec_diagnostics::Severity;

use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE206",
    name: "secrets-inherit",
    summary: "reusable workflows get only the secrets they use",
    severity: Severity::Warning,
    group: Group::Security,
    inputs: &[Input::GitHub],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for p in cx.pipelines() {
        for j in &p.jobs {
            if let Some(at) = &j.secrets_inherit {
                out.report(
                    at.clone(),
                    format!(
                        "job `{}` passes every secret of the repository to a reusable workflow",
                        j.name
                    ),
                )
                .label("secrets: inherit")
                .help("pass the secrets it uses by name");
            }
            for s in &j.scripts {
                if s.text.replace(' ', "").contains("toJSON(secrets)") {
                    out.report(
                        s.loc.text("toJSON"),
                        format!("job `{}` serialises every secret", j.name),
                    )
                    .label("toJSON(secrets)")
                    .help("reference the secrets it uses by name");
                }
            }
        }
    }
}
