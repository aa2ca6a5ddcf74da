//! The GitHub Actions target: one workflow file per pipeline, at
//! [`pipec_emit::layout::github_workflow`].
//!
//! - [`workflow`]: the file itself — triggers, concurrency, the jobs in
//!   dependency order — and the lowering context every module shares;
//! - [`job`]: what every job has (needs, condition, runner, matrix, timeout);
//! - [`run`]: script jobs — tool set-up, caches, services, reports;
//! - [`image`]: building an image once and publishing that same archive;
//! - [`multiarch`]: images for several platforms, handed on by digest;
//! - [`deploy`]: deployments inside GitHub environments, approval gates;
//! - [`dispatch`]: the deploy workflow, to promote or roll back by hand;
//! - [`expr`]: conditions and run-time values as GitHub expressions;
//! - [`permissions`]: the least `GITHUB_TOKEN` scopes per job;
//! - [`steps`]: step builders; [`pins`]: every action and tool, pinned.
//!
//! The guarantees of `docs/targets/github.md` hold for every file: no
//! expression inside a `run:` script (values arrive through `env:`), every
//! action pinned to a full commit SHA, `permissions: {}` at the top.

pub mod deploy;
pub mod dispatch;
pub mod expr;
pub mod image;
pub mod job;
pub mod multiarch;
pub mod permissions;
pub mod pins;
pub mod run;
pub mod steps;
pub mod upload;
pub mod workflow;

use pipec_diagnostics::Diagnostic;
use pipec_emit::{OutputTree, Target, layout};
use pipec_graph::Program;

/// The `github` target.
pub struct GitHub;

impl Target for GitHub {
    fn name(&self) -> &'static str {
        "github"
    }

    fn emit(&self, program: &Program, out: &mut OutputTree) -> Result<(), Vec<Diagnostic>> {
        let mut diags = Vec::new();
        let policies = deploy::EnvPolicies::new(program);
        for pipeline in &program.pipelines {
            let (body, mut d, deploys) = workflow::render(program, pipeline, &policies);
            diags.append(&mut d);
            if let Err(clash) = out.add(
                self.name(),
                layout::github_workflow(pipeline),
                pipeline.file.clone(),
                body,
            ) {
                // Pipeline names are unique and map to distinct file names.
                unreachable!("two pipelines write {}", clash.path);
            }
            if let Some((body, d)) = dispatch::render(program, pipeline, deploys, &policies) {
                // Its deployment jobs are the CI workflow's, whose findings
                // are reported already.
                for diag in d {
                    if !diags.contains(&diag) {
                        diags.push(diag);
                    }
                }
                if let Err(clash) = out.add(
                    self.name(),
                    layout::github_deploy_workflow(pipeline),
                    pipeline.file.clone(),
                    body,
                ) {
                    diags.push(
                        pipec_diagnostics::Diagnostic::new(
                            pipec_diagnostics::code::INVALID_NAME,
                            pipeline.span,
                            format!(
                                "the deploy workflow of `{}` would overwrite {}",
                                pipeline.name, clash.path
                            ),
                        )
                        .label("its deploy workflow")
                        .help("rename the pipeline whose name ends in `_deploy`"),
                    );
                }
            }
        }
        if diags.is_empty() { Ok(()) } else { Err(diags) }
    }
}
