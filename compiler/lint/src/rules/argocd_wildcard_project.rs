//! ## What it does
//! Reports `'*'` in an AppProject's `sourceRepos` or `destinations`.
//!
//! ## Why is this bad
//! A wildcard turns the project back into `default`: every Application in it may
//! take manifests from any repository, or deploy to any cluster or namespace.
//!
//! ## Example
//! ```yaml
//! spec:
//!   sourceRepos: ['*']
//!   destinations: [{ server: '*', namespace: '*' }]
//! ```
//!
//! ## Use instead
//! ```yaml
//! spec:
//!   sourceRepos: [https://github.com/acme/shop-gitops.git]
//!   destinations: [{ server: https://kubernetes.default.svc, namespace: shop }]
//! ```

use pipec_diagnostics::Severity;

use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE402",
    name: "argocd-wildcard-project",
    summary: "AppProjects name their repositories and destinations",
    severity: Severity::Warning,
    group: Group::Policy,
    inputs: &[Input::ArgoCd],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for p in cx.projects() {
        for (what, at) in &p.wildcards {
            out.report(
                at.clone(),
                format!("AppProject `{}` allows any {what}", p.name),
            )
            .label("'*'")
            .help("list the allowed values");
        }
    }
}
