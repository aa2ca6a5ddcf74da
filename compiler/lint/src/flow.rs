//! Questions rules ask about a pipeline's facts: which runs exist, whether a
//! job certainly runs in one, and what runs before a job.

use crate::facts::when::{FEATURE_BRANCH, sample_runs};
use crate::facts::{Pipeline, Run, RunEvent, When};

/// Representative runs of the pipeline.
pub fn runs(p: &Pipeline) -> Vec<Run> {
    let conditions =
        p.jobs.iter().flat_map(|j| {
            std::iter::once(&j.when).chain(j.pushes.iter().flat_map(|push| {
                std::iter::once(&push.when).chain(push.tags.iter().map(|t| &t.when))
            }))
        });
    sample_runs(&p.triggers, conditions)
}

/// When each job runs: its own condition and those of everything it waits for
/// (a job whose dependency was skipped is skipped too).
pub fn effective(p: &Pipeline) -> Vec<When> {
    let mut memo: Vec<Option<When>> = vec![None; p.jobs.len()];
    fn go(p: &Pipeline, i: usize, memo: &mut Vec<Option<When>>, depth: usize) -> When {
        if let Some(w) = &memo[i] {
            return w.clone();
        }
        if depth > p.jobs.len() {
            return When::Unknown;
        }
        let mut w = p.jobs[i].when.clone();
        for n in &p.jobs[i].needs {
            if *n != i {
                w = w.and(go(p, *n, memo, depth + 1));
            }
        }
        memo[i] = Some(w.clone());
        w
    }
    (0..p.jobs.len()).map(|i| go(p, i, &mut memo, 0)).collect()
}

/// Every job `i` waits for, directly or not.
pub fn ancestors(p: &Pipeline, i: usize) -> Vec<usize> {
    let mut seen = vec![false; p.jobs.len()];
    let mut stack: Vec<usize> = p.jobs[i].needs.clone();
    while let Some(n) = stack.pop() {
        if n < seen.len() && !seen[n] && n != i {
            seen[n] = true;
            stack.extend(p.jobs[n].needs.iter().copied());
        }
    }
    (0..p.jobs.len()).filter(|k| seen[*k]).collect()
}

/// "pushes to `develop`", "pull requests to `main`", in a message.
pub fn describe(r: &Run) -> String {
    let branch = |b: &str| {
        if b == FEATURE_BRANCH {
            "other branches (such as `feature/x`)".to_string()
        } else {
            format!("`{b}`")
        }
    };
    match (r.event, &r.branch, &r.tag) {
        (RunEvent::PullRequest | RunEvent::PullRequestTarget, Some(b), _) => {
            format!("pull-request runs (to {})", branch(b))
        }
        (RunEvent::PullRequest | RunEvent::PullRequestTarget, None, _) => {
            "pull-request runs".into()
        }
        (RunEvent::Dispatch, Some(b), _) => format!("manual runs on {}", branch(b)),
        (RunEvent::Schedule, Some(b), _) => format!("scheduled runs on {}", branch(b)),
        (_, _, Some(t)) => format!("runs for tag `{t}`"),
        (_, Some(b), _) => format!("pushes to {}", branch(b)),
        _ => "some runs".into(),
    }
}

/// The human name of a security role.
pub fn scan_name(r: pipec_graph::Role) -> &'static str {
    match r {
        pipec_graph::Role::ImageScan => "image scan",
        pipec_graph::Role::DependencyAudit => "dependency audit",
        pipec_graph::Role::Sast => "SAST",
        pipec_graph::Role::SecretScan => "secret scan",
        _ => "check",
    }
}
