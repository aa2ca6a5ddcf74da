//! ## What it does
//! Reports jobs that run with the repository's default `GITHUB_TOKEN`
//! permissions (no `permissions:` on the job or the workflow), workflow-level
//! permissions that grant write access to every job, `write-all`, and
//! `packages: write` on a job that pushes no image and no registry layer
//! cache.
//!
//! ## Why is this bad
//! Depending on repository settings the default token can push code, create
//! releases and change packages. Every step of every job — including third-party
//! actions — can use it.
//!
//! ## Example
//! ```yaml
//! on: push
//! jobs:
//!   test:
//!     runs-on: ubuntu-latest
//! ```
//!
//! ## Use instead
//! ```yaml
//! on: push
//! permissions: {}
//! jobs:
//!   test:
//!     runs-on: ubuntu-latest
//!     permissions:
//!       contents: read
//! ```

use pipec_diagnostics::Severity;

use crate::rule::{Context, Findings, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE202",
    name: "excessive-permissions",
    summary: "the workflow token gets only the permissions each job uses",
    severity: Severity::Warning,
    inputs: &[Input::GitHub],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for p in cx.pipelines() {
        if let Some(w) = &p.permissions
            && w.grants_write()
        {
            out.report(
                w.loc.clone(),
                "workflow-level permissions grant write access to every job",
            )
            .label("write for all jobs")
            .help(
                "set `permissions: {}` here and grant write scopes only on the jobs that need them",
            );
        }
        for j in &p.jobs {
            match &j.permissions {
                None if p.permissions.is_none() => {
                    out.report(j.loc.clone(), format!("job `{}` runs with the repository's default token permissions", j.name))
                        .label("no `permissions:`")
                        .help("add `permissions: {}` to the workflow and give this job only what it uses, e.g. `contents: read`");
                }
                Some(perm) if perm.all.as_deref() == Some("write-all") => {
                    out.report(
                        perm.loc.clone(),
                        format!("job `{}` gets every write permission", j.name),
                    )
                    .label("write-all")
                    .help("list only the scopes the job uses");
                }
                Some(perm) => {
                    for (scope, value, at) in &perm.scopes {
                        if scope == "packages"
                            && value == "write"
                            && j.pushes.is_empty()
                            && !j.writes_registry_cache
                        {
                            out.report(
                                at.clone(),
                                format!("job `{}` may write packages but pushes no image", j.name),
                            )
                            .label("unused write scope")
                            .help("remove it, or move it to the job that pushes");
                        }
                    }
                }
                None => {}
            }
        }
    }
}
