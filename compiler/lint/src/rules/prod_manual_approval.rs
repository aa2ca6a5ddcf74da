//! ## What it does
//! Checks that every deployment to a production environment waits for people:
//! `approvals N` on a `.pipe` environment, a GitHub `environment:` whose required
//! reviewers are declared, a GitLab `when: manual` job. The number of approvers
//! must reach the policy's minimum (2, `prod_approvals` raises it).
//!
//! GitHub keeps required reviewers in the repository settings, which a workflow
//! cannot show: declare them in `pipec.toml` (`[lint.environments.production]
//! reviewers = 2`) once they are set. Since any one reviewer approves a GitHub
//! environment, two approvals take two environments: a job that only waits in
//! an environment of its own (its steps only print) before the deployment
//! adds that environment's approvals. In a workflow pipec generated, with its
//! header intact, each such environment counts as one approval, as the file's
//! comments and `docs/targets/github.md` tell how to set it up. GitLab's
//! manual job is a visible gate; its
//! approval count is checked when declared the same way. Argo CD's automatic
//! sync of production is PIPE106.
//!
//! ## Why is this bad
//! A production deployment that nobody has to approve ships whatever reached
//! the branch, including a change nobody but its author has looked at.
//!
//! ## Example
//! ```yaml
//! deploy:
//!   runs-on: ubuntu-latest
//!   if: github.ref == 'refs/heads/main'
//!   steps:
//!     - run: kubectl set image deployment/app app=registry/app:${GITHUB_SHA} -n production
//! ```
//!
//! ## Use instead
//! ```yaml
//! deploy:
//!   runs-on: ubuntu-latest
//!   environment: production   # two required reviewers in Settings → Environments
//! ```
//! and in `pipec.toml`:
//! ```toml
//! [lint.environments.production]
//! reviewers = 2
//! ```

use pipec_diagnostics::Severity;
use pipec_graph::Tier;

use crate::flow;
use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE101",
    name: "prod-manual-approval",
    summary: "production deployments need a manual approval by enough people",
    severity: Severity::Error,
    group: Group::Policy,
    inputs: &[Input::Pipe, Input::GitHub, Input::GitLab],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    let need = cx.config.prod_approvals;
    for p in cx.pipelines() {
        let runs = flow::runs(p);
        let eff = flow::effective(p);
        for (i, j) in p.jobs.iter().enumerate() {
            let Some(d) = &j.deploy else { continue };
            if d.tier != Tier::Production {
                continue;
            }
            match p.input {
                Input::GitHub if !d.github_environment => {
                    out.report(j.loc.clone(), format!("job `{}` deploys to production outside a GitHub environment: nothing stops it for approval", j.name))
                        .label("no `environment:`")
                        .help(format!("add `environment: production` and require {need} reviewers for it in Settings → Environments"));
                }
                Input::GitLab => {
                    let automatic = runs
                        .iter()
                        .find(|r| eff[i].holds(r) && j.manual.eval(r) == Some(false));
                    if let Some(r) = automatic {
                        out.report(d.loc.clone(), format!("job `{}` deploys to production without a manual gate in {}", j.name, flow::describe(r)))
                            .label("runs automatically")
                            .help("add `when: manual` (and `allow_failure: false`), and protect the environment with required approvals");
                    } else if let Some(n) = d.approvals.filter(|n| *n < need) {
                        out.report(
                            d.loc.clone(),
                            format!(
                                "production needs {need} approvers; `{}` declares {n}",
                                d.name
                            ),
                        )
                        .label("too few approvers");
                    }
                }
                _ => match d.approvals {
                    None | Some(0) if p.input == Input::GitHub => {
                        out.report(d.loc.clone(), format!("production deploy `{}` shows no approval gate: whether environment `{}` requires reviewers is set outside the workflow", j.name, d.name))
                            .label("reviewers are not declared")
                            .help(format!("require {need} reviewers in Settings → Environments → {}, then declare them in pipec.toml: [lint.environments.{}] reviewers = {need}", d.name, d.name))
                            .note(format!("gh api --method PUT repos/OWNER/REPO/environments/{} --input reviewers.json sets them from the command line", d.name));
                    }
                    Some(0) | None => {
                        out.report(
                            d.loc.clone(),
                            format!(
                                "environment `{}` is production but deploys without approval",
                                d.name
                            ),
                        )
                        .label("no approvals")
                        .help(format!(
                            "add `approvals {need}` to environment `{}`",
                            d.name
                        ));
                    }
                    Some(n) if n < need => {
                        out.report(
                            d.loc.clone(),
                            format!(
                                "production needs {need} approvers; `{}` asks for {n}",
                                d.name
                            ),
                        )
                        .label("too few approvers")
                        .help(format!("raise it: approvals {need}"));
                    }
                    _ => {}
                },
            }
        }
    }
}
