//! ## What it does
//! Reports values that look like credentials — known token formats (GitHub,
//! GitLab, Slack, AWS, Google, Stripe), private keys, Slack webhook URLs — and
//! environment variables whose name says they hold one (`…PASSWORD`, `…TOKEN`,
//! `…SECRET`, `…API_KEY`) given a literal value. Kubernetes `Secret` objects
//! with their data in the manifest are reported too. In `.pipe` programs the
//! compiler already rejects such values (E0209). Service containers of CI jobs
//! (throw-away test databases) are not checked.
//!
//! ## Why is this bad
//! Everything in the repository is read by everyone with access to it, kept in
//! its history forever, and copied into forks and caches.
//!
//! ## Example
//! ```yaml
//! env:
//!   REGISTRY_PASSWORD: hunter2hunter2
//! ```
//!
//! ## Use instead
//! ```yaml
//! env:
//!   REGISTRY_PASSWORD: ${{ secrets.REGISTRY_PASSWORD }}
//! ```

use pipec_diagnostics::Severity;

use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE109",
    name: "plaintext-secret",
    summary: "no credentials written into pipeline or manifest files",
    severity: Severity::Error,
    group: Group::Security,
    inputs: &[
        Input::GitHub,
        Input::GitLab,
        Input::ArgoCd,
        Input::Kubernetes,
    ],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for p in cx.plaintext() {
        out.report(p.loc.clone(), format!("{}: credentials must not be written into the file", p.what))
            .label("credential in the file")
            .help("revoke it, store it in the CI system's secrets (or a SealedSecret/ExternalSecret), and reference it by name");
    }
}
