//! ## What it does
//! Checks the Argo CD sync policy of each environment: development environments
//! sync automatically, staging and production wait for a manual sync. The
//! environment is the `.pipe` environment's tier, or for an Application, the
//! tier its overlay folder, name or namespace names (`dev`, `staging`, `prod`,
//! …; `[lint.environments.NAME] tier` in `pipec.toml` for other names).
//!
//! ## Why is this bad
//! A production Application with `syncPolicy.automated` applies every commit to
//! its source at once: the manual approval that CI asks for is bypassed by
//! anyone who can push to the GitOps repository. A dev environment that does not
//! sync by itself leaves developers testing stale code.
//!
//! ## Example
//! ```yaml
//! metadata: { name: shop-prod }
//! spec:
//!   syncPolicy:
//!     automated: { prune: true, selfHeal: true }
//! ```
//!
//! ## Use instead
//! ```yaml
//! metadata: { name: shop-prod }
//! spec:
//!   syncPolicy:
//!     syncOptions: [CreateNamespace=true]
//! ```

use pipec_diagnostics::Severity;
use pipec_graph::Tier;

use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE106",
    name: "sync-policy",
    summary: "dev syncs automatically; staging and production do not",
    severity: Severity::Error,
    group: Group::Policy,
    inputs: &[Input::Pipe, Input::ArgoCd],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for a in cx.apps() {
        match (a.tier, &a.automated) {
            (Tier::Development, None) => {
                out.report(
                    a.loc.clone(),
                    format!(
                        "`{}` is a development environment but does not sync automatically",
                        a.name
                    ),
                )
                .label("manual sync")
                .help(
                    "let dev follow its branch: syncPolicy.automated (in .pipe: `sync automatic`)",
                );
            }
            (Tier::Staging | Tier::Production, Some(at)) => {
                out.report(at.clone(), format!("`{}` ({}) syncs automatically: every commit to its source reaches it without anyone deciding", a.name, a.tier.name()))
                    .label("automated sync")
                    .help("remove syncPolicy.automated (in .pipe: `sync manual`) and sync after approval");
            }
            _ => {}
        }
    }
}
