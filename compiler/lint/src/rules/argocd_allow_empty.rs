//! ## What it does
//! Reports `syncPolicy.automated.allowEmpty: true`.
//!
//! ## Why is this bad
//! With `prune`, an automated sync of an empty source — a wrong path, a bad
//! merge — deletes every resource of the Application. `allowEmpty: false` (the
//! default) makes Argo CD refuse instead.
//!
//! ## Example
//! ```yaml
//! syncPolicy:
//!   automated: { prune: true, allowEmpty: true }
//! ```
//!
//! ## Use instead
//! ```yaml
//! syncPolicy:
//!   automated: { prune: true }
//! ```

use pipec_diagnostics::Severity;

use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE404",
    name: "argocd-allow-empty",
    summary: "automated sync never deletes everything",
    severity: Severity::Warning,
    group: Group::Policy,
    inputs: &[Input::ArgoCd],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for a in cx.apps() {
        if let Some(at) = &a.allow_empty {
            out.report(
                at.clone(),
                format!(
                    "`{}` may sync an empty source and delete everything it manages",
                    a.name
                ),
            )
            .label("allowEmpty: true")
            .help("remove allowEmpty");
        }
    }
}
