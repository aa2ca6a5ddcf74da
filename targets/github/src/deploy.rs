//! Deployments: each runs inside a GitHub environment (its name and URL),
//! one at a time per environment, with the deploy secrets available only
//! there.
//!
//! Required reviewers are repository settings, not workflow syntax, and a
//! GitHub environment is approved by any one of its reviewers. So an
//! environment that needs N approvals gets N-1 approval jobs before the
//! deployment, each in an environment of its own (`<env>-approval-<k>`):
//! with disjoint reviewer lists and `prevent_self_review`, N different people,
//! none of them the one who started the run, approve. The comment above each
//! `environment:` says what to set and gives the `gh api` calls.

use std::collections::{HashMap, HashSet};

use pipec_emit::{Map, Yaml, release};
use pipec_graph::{
    Cond, Deploy, DeployMethod, Environment, Glob, Job, JobId, Program, RegistryKind, Tier,
};

use crate::expr::Expr;
use crate::job::Body;
use crate::permissions::{Level, Permissions};
use crate::pins;
use crate::steps;
use crate::workflow::{Lower, secret};

/// What a deployment job says whichever workflow it is in (CI or the deploy
/// workflow): its script and its environment's protection comment. Both
/// workflows of a pipeline share them, so each is made once.
#[derive(Default)]
pub struct DeployText(HashMap<JobId, (String, String)>);

/// Per environment, whether the refs of every deployment job of the program
/// that deploys there can be written as GitHub branch and tag policies. A
/// GitHub environment is the repository's: when one pipeline's refs cannot
/// be, the environment can have no custom policies, and every pipeline's
/// comment must say the same.
pub struct EnvPolicies(Vec<bool>);

impl EnvPolicies {
    pub fn new(program: &Program) -> Self {
        let mut ok = vec![true; program.environments.len()];
        for j in program.pipelines.iter().flat_map(|p| &p.jobs) {
            if let pipec_graph::JobKind::Deploy(d) = &j.kind
                && let Some(slot) = ok.get_mut(d.env.index())
                && *slot
            {
                *slot = policy(&release::dispatchable(program, j, d)).is_some();
            }
        }
        EnvPolicies(ok)
    }

    fn expressible(&self, env: pipec_graph::EnvId) -> bool {
        self.0.get(env.index()).copied().unwrap_or(true)
    }
}

impl Lower<'_> {
    pub fn deploy_job(&mut self, job: &Job, d: &Deploy, cond: &Option<Expr>) -> Body {
        let env = self.program.environment(d.env);
        let mut body = Body::default();
        let mut vars = self.release_env();
        let gitops = self.program.gitops.as_ref();
        let mut secrets = Vec::new();
        let same_repository =
            d.method == DeployMethod::ArgoCd && gitops.is_some_and(|g| g.same_repository());
        if same_repository {
            // The manifests live in this repository: push with the job's own
            // token, kept in the checkout for that.
            let branch = gitops.map_or("main", |g| g.branch_of(env));
            body.permissions.grant(
                "contents",
                Level::Write,
                format!("commit the environment's manifests to {branch}"),
            );
        } else {
            let what = match d.method {
                DeployMethod::Kubectl { .. } => "check out the overlays to apply",
                DeployMethod::ArgoCd => "check out the manifests to deploy",
            };
            body.permissions.grant("contents", Level::Read, what);
        }
        // The whole history: a push run never deploys an older commit than
        // the one the environment runs.
        body.steps.push(steps::checkout(true, same_repository));
        match &d.method {
            DeployMethod::ArgoCd => {
                if let Some(token) = gitops.and_then(|g| g.token.as_ref()) {
                    vars.push(("PIPEC_GITOPS_TOKEN".into(), secret(&token.name)));
                    secrets.push(token.name.clone());
                }
                if let Some(k) = gitops.and_then(|g| g.argocd.as_ref()) {
                    vars.push(("PIPEC_ARGOCD_KUBECONFIG".into(), secret(&k.name)));
                    secrets.push(k.name.clone());
                }
            }
            DeployMethod::Kubectl { kubeconfig } => {
                vars.push(("PIPEC_KUBECONFIG".into(), secret(&kubeconfig.name)));
                secrets.push(kubeconfig.name.clone());
            }
        }
        self.release_access(d, env, &mut body, &mut vars);
        let gates = env.approvals.saturating_sub(1);
        let (script, comment) = match self.deploys.0.get(&job.id) {
            Some(text) => text.clone(),
            None => {
                let script = release::deploy_script(self.program, job, d, true);
                let refs = policy(&release::dispatchable(self.program, job, d));
                let shared = Shared {
                    pipelines: self.program.deploying_pipelines(d.env),
                    expressible: self.policies.expressible(d.env),
                };
                let comment = protection_comment(env, &job.name, gates, &refs, shared, &secrets);
                self.deploys
                    .0
                    .insert(job.id, (script.clone(), comment.clone()));
                (script, comment)
            }
        };
        body.steps.push(steps::run(
            &format!("Deploy to {}", env.name),
            script,
            &vars,
        ));

        let mut environment = Map::new();
        environment.insert("name", env.name.as_str());
        environment.insert_opt("url", env.url.as_deref().map(crate::expr::escape_literal));
        body.environment = Some((environment, comment));
        let mut concurrency = Map::new();
        // One group per environment, shared with the deploy workflow: a
        // deployment waiting for its reviewers holds it (GitHub counts a job
        // waiting on its environment as running), which delays only later
        // deployments to the same environment, never CI.
        concurrency.insert("group", format!("deploy-{}", env.name));
        // A deployment that has started finishes; the next one waits.
        concurrency.insert("cancel-in-progress", false);
        body.concurrency = Some(concurrency);

        let mut previous: Option<String> = None;
        for k in 1..=gates {
            let key = format!("{}_approval_{k}", job.name);
            let gate = self.gate(job, env, k, cond, previous.as_deref());
            let comment = format!(
                "Approval {k} of {n} for `{name}`: a reviewer of environment `{name}-approval-{k}`\napproves this job (reviewers disjoint from the other {n} environments'; on a\nprivate or internal repository only with GitHub Enterprise, see the deployment\njob's comment):\necho '{{\"prevent_self_review\":true,\"reviewers\":[{{\"type\":\"Team\",\"id\":TEAM_ID}}],\"can_admins_bypass\":false}}' |\n  gh api -X PUT repos/{{owner}}/{{repo}}/environments/{name}-approval-{k} --input -",
                n = env.approvals,
                name = env.name
            );
            body.before.push((key.clone(), gate, Some(comment)));
            previous = Some(key);
        }
        body.extra_needs.extend(previous);
        body
    }

    /// How the deployment learns the digest it ships, and the registry access
    /// it needs: in CI the publish job of the run hands it over; started by
    /// hand it looks the ref up in the registry. A production deployment
    /// that moves `latest` writes to the registry.
    fn release_access(
        &mut self,
        d: &Deploy,
        env: &Environment,
        body: &mut Body,
        vars: &mut Vec<(String, String)>,
    ) {
        let mut seen = Vec::new();
        for (_, pid) in &d.services {
            if seen.contains(pid) {
                continue;
            }
            seen.push(*pid);
            let publish = self.program.publish(*pid);
            let moves_latest = env.tier == Tier::Production
                && release::latest_moves_on_deploy(self.program, publish);
            if !self.dispatch {
                let job = &self.pipeline.job(publish.job).name;
                let output = format!("release_{}", pid.0);
                vars.push((
                    format!("PIPEC_RELEASE_{}", pid.0),
                    crate::expr::fenced(&format!("needs.{job}.outputs.{output}")),
                ));
            }
            if !(self.dispatch || moves_latest) {
                continue;
            }
            let Some(login) = self.login(publish) else {
                continue;
            };
            if publish.registry.kind == RegistryKind::Ghcr {
                let (level, why) = if moves_latest {
                    (Level::Write, "move `latest` to the release production runs")
                } else {
                    (Level::Read, "look up the digest of the version to deploy")
                };
                body.permissions.grant("packages", level, why);
            }
            body.steps.push(steps::uses(
                &format!("Log in to {}", crate::image::registry_host(publish)),
                &pins::LOGIN,
                login,
            ));
        }
    }

    /// An approval job: it waits in its own environment for a reviewer, and
    /// the deployment (or the next approval) waits for it.
    fn gate(
        &mut self,
        job: &Job,
        env: &Environment,
        k: u32,
        cond: &Option<Expr>,
        previous: Option<&str>,
    ) -> Map {
        // In the deploy workflow the deployment and its gates are all there is.
        let mut needs: Vec<String> = if self.dispatch {
            Vec::new()
        } else {
            self.pipeline
                .needs(job.id)
                .into_iter()
                .map(|d| self.pipeline.job(d).name.clone())
                .collect()
        };
        needs.extend(previous.map(String::from));
        let mut m = Map::new();
        m.insert(
            "name",
            format!(
                "Approve deployment to {} ({k} of {})",
                env.name, env.approvals
            ),
        );
        if !needs.is_empty() {
            m.insert("needs", needs);
        }
        if let Some(c) = cond {
            m.insert("if", crate::expr::if_value(&c.text));
        }
        let runs_on = self.runner(job);
        m.insert("runs-on", runs_on);
        m.insert(
            "environment",
            pipec_emit::yaml::map([("name", Yaml::from(format!("{}-approval-{k}", env.name)))]),
        );
        m.insert("permissions", Permissions::new().to_yaml());
        m.insert("timeout-minutes", 5u64);
        m.insert(
            "steps",
            Yaml::Seq(vec![Yaml::Map(steps::run(
                "Record the approval",
                format!(
                    "echo 'Approval {k} of {} for {} granted.'",
                    env.approvals, env.name
                ),
                &[],
            ))]),
        );
        m
    }
}

/// The refs a deployment job runs for, as GitHub deployment branch and tag
/// policies (`(name pattern, "branch" | "tag")`), when its condition is a
/// plain list of branches or tags. Policy patterns are `File.fnmatch`
/// patterns: `*` and `?` as in `.pipe`; `**` has no equivalent.
pub fn policy(when: &Cond) -> Option<Vec<(String, &'static str)>> {
    let mut out = Vec::new();
    let mut add = |globs: &[Glob], kind| {
        for g in globs {
            if g.as_str().contains("**") {
                return false;
            }
            out.push((g.as_str().to_string(), kind));
        }
        true
    };
    let mut ok = match when {
        Cond::Branch(g) => add(g, "branch"),
        Cond::Tag(g) if !g.is_empty() => add(g, "tag"),
        Cond::Any(cs) => cs.iter().all(|c| match c {
            Cond::Branch(g) => add(g, "branch"),
            Cond::Tag(g) if !g.is_empty() => add(g, "tag"),
            _ => false,
        }),
        _ => false,
    };
    if ok {
        // A set: a program's release patterns are one per team.
        let mut seen = HashSet::new();
        out.retain(|p| seen.insert(p.clone()));
        ok = !out.is_empty();
    }
    ok.then_some(out)
}

/// Who else deploys to a deployment's environment.
#[derive(Debug, Clone, Copy)]
pub struct Shared {
    /// Pipelines with a deployment job for the environment.
    pub pipelines: u32,
    /// Whether all of their refs can be branch and tag policies
    /// ([`EnvPolicies`]).
    pub expressible: bool,
}

/// The comment above a deployment's `environment:`: the protection the
/// environment needs and how to set it. A GitHub environment is the
/// repository's: when several pipelines deploy to it, each comment gives its
/// own refs and the environment's policies are all of theirs, so that no
/// comment grows with the number of pipelines; the environment's settings
/// (the PUT) are the same in each.
pub fn protection_comment(
    env: &Environment,
    job: &str,
    gates: u32,
    policy: &Option<Vec<(String, &'static str)>>,
    shared: Shared,
    secrets: &[String],
) -> String {
    let name = &env.name;
    // One pipeline whose refs no policy expresses leaves the environment
    // without custom policies, for every pipeline.
    let policy = policy.as_ref().filter(|_| shared.expressible);
    let many = shared.pipelines > 1;
    let mut c = format!("Protection of environment `{name}`, set in the repository settings:\n");
    match env.approvals {
        0 => c.push_str("- no reviewers: deployments start without approval.\n"),
        1 => c.push_str(
            "- one required reviewer, with prevent_self_review so that the person who\n  started the run cannot approve it.\n",
        ),
        n => {
            let gate_envs: Vec<String> = (1..=gates).map(|k| format!("`{name}-approval-{k}`")).collect();
            let gate_jobs: Vec<String> = (1..=gates).map(|k| format!("`{job}_approval_{k}`")).collect();
            c.push_str(&format!(
                "- {n} approvals by different people. Any one reviewer of a GitHub environment\n  approves it, so this job first waits for {} ({}).\n  Give the {n} environments disjoint reviewer lists, each with\n  prevent_self_review: then {n} different people, none of them the person who\n  started the run, approve.\n",
                gate_jobs.join(", "),
                gate_envs.join(", ")
            ));
        }
    }
    if env.approvals > 0 {
        c.push_str(
            "- required reviewers protect public repositories on every plan, private and\n  internal ones only on GitHub Enterprise: elsewhere GitHub accepts this\n  environment without them and the job runs unapproved. Without Enterprise,\n  promote through a pull request instead (docs/targets/github.md, \"Approvals\n  without GitHub Enterprise\").\n",
        );
    }
    match (policy, many) {
        (Some(p), false) => {
            let refs: Vec<String> = p.iter().map(|(n, k)| format!("{k} `{n}`")).collect();
            c.push_str(&format!(
                "- deployments only from {} (the deploy workflow is started on the ref to deploy).\n",
                refs.join(", ")
            ));
        }
        (Some(p), true) => {
            let refs: Vec<String> = p.iter().map(|(n, k)| format!("{k} `{n}`")).collect();
            c.push_str(&format!(
                "- this pipeline deploys here only from {} (the deploy workflow is started on\n  the ref to deploy). The workflows of {} pipelines deploy to `{name}`: its\n  policies are all of theirs, each pipeline's comment POSTs its own; the PUT\n  is the same in each.\n",
                refs.join(", "),
                shared.pipelines
            ));
        }
        (None, _) if !shared.expressible && many => c.push_str(&format!(
            "- deployments from any ref: a pipeline deploying to `{name}` has refs no branch or\n  tag policy can express, so the environment has none; each deployment job's\n  guard refuses the refs it does not accept.\n"
        )),
        (None, _) => c.push_str("- deployments only from the refs this job's condition allows.\n"),
    }
    for s in secrets {
        c.push_str(&format!(
            "- secret {s} stored in this environment: gh secret set {s} --env {name}\n"
        ));
    }
    let reviewers = if env.approvals > 0 {
        r#""prevent_self_review":true,"reviewers":[{"type":"Team","id":TEAM_ID}],"#
    } else {
        ""
    };
    let branch_policy = if policy.is_some() {
        r#"{"protected_branches":false,"custom_branch_policies":true}"#
    } else {
        "null"
    };
    c.push_str(&format!(
        "echo '{{{reviewers}\"can_admins_bypass\":false,\"deployment_branch_policy\":{branch_policy}}}' |\n  gh api -X PUT repos/{{owner}}/{{repo}}/environments/{name} --input -\n"
    ));
    for (pattern, kind) in policy.into_iter().flatten() {
        c.push_str(&format!(
            "gh api -X POST repos/{{owner}}/{{repo}}/environments/{name}/deployment-branch-policies -f name={} -f type={kind}\n",
            release::sh_quote(pattern)
        ));
    }
    c.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(s: &str) -> Glob {
        Glob(s.into())
    }

    #[test]
    fn deployment_refs_become_branch_and_tag_policies() {
        let when = Cond::Branch(vec![g("main")]).or(Cond::Tag(vec![g("v*")]));
        assert_eq!(
            policy(&when),
            Some(vec![
                ("main".to_string(), "branch"),
                ("v*".to_string(), "tag")
            ])
        );
        // `**` has no `File.fnmatch` equivalent; other conditions are not refs.
        assert_eq!(policy(&Cond::Branch(vec![g("release/**")])), None);
        assert_eq!(policy(&Cond::Always), None);
        assert_eq!(
            policy(&Cond::Branch(vec![g("main")]).and(Cond::Event(pipec_graph::Event::Push))),
            None
        );
    }
}
