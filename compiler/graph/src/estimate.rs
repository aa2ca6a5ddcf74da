//! How long a push takes: the CI time (the longest chain of jobs a push runs
//! without waiting for a person) and, for each environment deployed without
//! approval, the time from the push until it runs the new version. `pipec
//! graph` draws them; the critical-path budget rule (PIPE108) checks them
//! against the policy's `max_duration` and `max_deploy_duration`.
//!
//! Jobs count with their expected `duration` (the standard library's
//! templates declare theirs; pipec gives publish and deploy jobs defaults,
//! [`PUBLISH`], [`GITOPS_COMMIT`], [`KUBECTL_ROLLOUT`]); a job without one
//! counts as nothing. Waiting for approvals is not CI time: a deployment that
//! needs approvals, and every job after it, is left out. So are jobs that run
//! only after a failure.

use crate::analysis::CriticalPath;
use crate::deploy::DeployMethod;
use crate::job::{JobKind, RunOn};
use crate::program::{EnvId, JobId, Pipeline, Program};
use crate::value::Duration;

/// The expected duration of a publish job that declares none: loading the
/// scanned archive and pushing its layers and tags.
pub const PUBLISH: Duration = Duration { seconds: 30 };
/// ... of a deployment through Argo CD: committing the new tag to the GitOps
/// repository.
pub const GITOPS_COMMIT: Duration = Duration { seconds: 30 };
/// ... of a deployment with kubectl, which waits for the rollout
/// (`kubectl rollout status`): new pods pulled, started and ready.
pub const KUBECTL_ROLLOUT: Duration = Duration { seconds: 120 };
/// How long Argo CD takes to apply a commit to the GitOps repository: its
/// default reconciliation interval (`timeout.reconciliation`, 180s), when no
/// webhook tells it sooner. The rollout itself is in the sync.
pub const ARGOCD_SYNC: Duration = Duration { seconds: 180 };

/// A pipeline's estimates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Estimates {
    /// The CI time and its chain; `None` when no job declares a duration.
    pub ci: Option<CriticalPath>,
    /// From a push until each automatically deployed environment runs it.
    pub deploys: Vec<DeployEstimate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployEstimate {
    pub env: EnvId,
    /// The chain of jobs up to and including the deployment job.
    pub path: CriticalPath,
    /// What the cluster takes after the job: [`ARGOCD_SYNC`], or nothing for
    /// kubectl, whose job waits for the rollout.
    pub after_ci: Duration,
    pub total: Duration,
}

/// The default expected duration of a job pipec writes itself.
pub fn default_duration(kind: &JobKind) -> Option<Duration> {
    match kind {
        JobKind::PublishImage(_) => Some(PUBLISH),
        JobKind::Deploy(d) => Some(match d.method {
            DeployMethod::ArgoCd => GITOPS_COMMIT,
            DeployMethod::Kubectl { .. } => KUBECTL_ROLLOUT,
        }),
        _ => None,
    }
}

pub fn estimates(program: &Program, p: &Pipeline) -> Estimates {
    let order = p.topo_order();
    // Jobs a push runs without a person: not gated, not after a gate, not
    // only after a failure.
    let mut counted = vec![true; p.jobs.len()];
    for id in &order {
        let job = p.job(*id);
        let gated = job
            .environment()
            .is_some_and(|e| program.environment(e).is_manual());
        let after_gate = p.needs(*id).iter().any(|n| !counted[n.index()]);
        counted[id.index()] = !gated && !after_gate && job.run_on != RunOn::Failure;
    }
    let declared = p
        .jobs
        .iter()
        .any(|j| counted[j.id.index()] && j.duration.is_some());
    // Longest time to the end of each job, and the job before it on that chain.
    let mut best: Vec<(u64, Option<JobId>)> = vec![(0, None); p.jobs.len()];
    for id in &order {
        if !counted[id.index()] {
            continue;
        }
        let own = p.job(*id).duration.map_or(0, |d| d.seconds);
        let (before, prev) = p
            .needs(*id)
            .into_iter()
            .map(|d| (best[d.index()].0, Some(d)))
            .max_by_key(|(t, _)| *t)
            .unwrap_or((0, None));
        best[id.index()] = (before + own, prev);
    }
    let chain = |end: JobId| -> CriticalPath {
        let mut jobs = vec![end];
        while let Some(prev) = best[jobs[jobs.len() - 1].index()].1 {
            jobs.push(prev);
        }
        jobs.reverse();
        CriticalPath {
            total: Duration::from_secs(best[end.index()].0),
            jobs,
        }
    };
    let ci = p
        .jobs
        .iter()
        .filter(|j| counted[j.id.index()])
        .max_by(|a, b| {
            best[a.id.index()]
                .0
                .cmp(&best[b.id.index()].0)
                .then(b.id.cmp(&a.id))
        })
        .filter(|_| declared)
        .map(|j| chain(j.id));
    let mut deploys = Vec::new();
    for j in &p.jobs {
        let (JobKind::Deploy(d), true) = (&j.kind, counted[j.id.index()]) else {
            continue;
        };
        let path = chain(j.id);
        let after_ci = match d.method {
            DeployMethod::ArgoCd => ARGOCD_SYNC,
            DeployMethod::Kubectl { .. } => Duration::from_secs(0),
        };
        deploys.push(DeployEstimate {
            env: d.env,
            total: Duration::from_secs(path.total.seconds + after_ci.seconds),
            path,
            after_ci,
        });
    }
    Estimates { ci, deploys }
}
