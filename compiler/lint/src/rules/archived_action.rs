//! ## What it does
//! Reports `uses:` of actions whose repositories are archived: they get no
//! fixes, security ones included. The list is part of pipec (no network is
//! asked) and names each action's usual replacement.
//!
//! ## Why is this bad
//! An archived action stays on whatever runtime and dependencies it had when
//! it was archived; a vulnerability found in it or in them is never fixed.
//!
//! ## Example
//! ```yaml
//! - uses: actions/create-release@v1
//! ```
//!
//! ## Use instead
//! ```yaml
//! - run: gh release create "$GITHUB_REF_NAME" --generate-notes
//!   env: { GH_TOKEN: "${{ github.token }}" }
//! ```

use pipec_diagnostics::Severity;

use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE211",
    name: "archived-action",
    summary: "no action whose repository is archived",
    severity: Severity::Warning,
    group: Group::Security,
    inputs: &[Input::GitHub],
    module: module_path!(),
    check: Some(check),
};

/// Archived action repositories (lower case) and what to use instead.
const ARCHIVED: &[(&str, &str)] = &[
    (
        "actions/create-release",
        "`gh release create` or softprops/action-gh-release",
    ),
    ("actions/upload-release-asset", "`gh release upload`"),
    ("actions/setup-ruby", "ruby/setup-ruby"),
    ("actions/setup-haskell", "haskell-actions/setup"),
    ("actions/setup-elixir", "erlef/setup-beam"),
    (
        "actions-rs/toolchain",
        "`rustup` in a `run:` step or dtolnay/rust-toolchain",
    ),
    ("actions-rs/cargo", "`cargo` in a `run:` step"),
    ("actions-rs/clippy-check", "`cargo clippy` in a `run:` step"),
    ("actions-rs/audit-check", "rustsec/audit-check"),
    ("actions-rs/tarpaulin", "`cargo tarpaulin` in a `run:` step"),
    ("actions-rs/grcov", "`grcov` in a `run:` step"),
    ("actions-rs/install", "taiki-e/install-action"),
    ("github/super-linter", "super-linter/super-linter"),
    (
        "andymckay/cancel-action",
        "`gh run cancel` in a `run:` step",
    ),
    (
        "styfle/cancel-workflow-action",
        "`concurrency:` with `cancel-in-progress: true`",
    ),
    (
        "sonarsource/sonarcloud-github-action",
        "SonarSource/sonarqube-scan-action",
    ),
    (
        "jurplel/install-qt-action",
        "a maintained fork or `aqtinstall` in a `run:` step",
    ),
];

fn check(cx: &Context, out: &mut Findings) {
    for p in cx.pipelines() {
        for j in &p.jobs {
            for a in &j.actions {
                let repo = a
                    .uses
                    .split('@')
                    .next()
                    .unwrap_or(&a.uses)
                    .to_ascii_lowercase();
                let Some((name, instead)) = ARCHIVED.iter().find(|(n, _)| {
                    repo.strip_prefix(n)
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
                }) else {
                    continue;
                };
                out.report(
                    a.loc.clone(),
                    format!("`{name}` is archived: it gets no fixes"),
                )
                .label("archived action")
                .help(format!("use {instead}"));
            }
        }
    }
}
