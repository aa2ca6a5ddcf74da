//! ## What it does
//! Reports Argo CD Applications in the `default` project (or with no project).
//!
//! ## Why is this bad
//! The `default` project allows any source repository and any destination
//! cluster and namespace: whoever can edit the Application can deploy anything
//! anywhere.
//!
//! ## Example
//! ```yaml
//! spec:
//!   project: default
//! ```
//!
//! ## Use instead
//! ```yaml
//! spec:
//!   project: shop   # an AppProject listing its repositories and namespaces
//! ```

use pipec_diagnostics::Severity;

use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE401",
    name: "argocd-default-project",
    summary: "Applications belong to a real AppProject",
    severity: Severity::Warning,
    group: Group::Policy,
    inputs: &[Input::ArgoCd],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for a in cx.apps() {
        if let Some((name, at)) = &a.project
            && name == "default"
        {
            out.report(at.clone(), format!("Application `{}` is in the `default` project, which may deploy anything anywhere", a.name))
                .label("default project")
                .help("create an AppProject that lists the allowed source repositories and destinations, and use it");
        }
    }
}
