//! When each job is part of a pipeline, and how it waits for others.
//!
//! In GitHub Actions a job whose dependency was skipped is skipped too; in
//! GitLab a job is either created by its `rules:` or not, and `needs:` naming
//! a job that was not created is an error. So a job that waits for the
//! success of its dependencies is created only where they are: its condition
//! is its own `when` and, for each dependency whose condition the job's own
//! does not already imply, the dependency's condition. Jobs that run on
//! failure or always (notifications) keep their own condition and mark the
//! dependencies that may be missing as `optional`.
//!
//! Conditions are compared on the pipeline's sample runs
//! ([`pipec_graph::analysis::sample_runs`]): one per trigger and per branch or
//! tag name the program mentions, which is every distinction a condition can
//! make.

use pipec_graph::analysis::sample_runs;
use pipec_graph::{Cond, Event, JobId, JobKind, Pipeline, Run, RunOn};

pub struct Plan {
    runs: Vec<Run>,
    /// The condition under which each job is created (merge request
    /// exclusions aside), by job index.
    pub when: Vec<Cond>,
    /// Jobs that never run in merge request pipelines: publish and deploy
    /// jobs, which hold registry and deployment credentials.
    pub no_merge_requests: Vec<bool>,
    /// For each job, the dependencies that may not exist when it does.
    pub optional: Vec<Vec<JobId>>,
}

impl Plan {
    pub fn new(pipeline: &Pipeline) -> Plan {
        let runs = sample_runs(pipeline);
        let n = pipeline.jobs.len();
        let no_merge_requests: Vec<bool> = pipeline
            .jobs
            .iter()
            .map(|j| matches!(j.kind, JobKind::PublishImage(_) | JobKind::Deploy(_)))
            .collect();
        let mut plan = Plan {
            runs,
            when: vec![Cond::Always; n],
            no_merge_requests,
            optional: vec![Vec::new(); n],
        };
        for id in pipeline.topo_order() {
            let job = pipeline.job(id);
            let mut when = job.when.clone();
            if job.run_on == RunOn::Success {
                for need in pipeline.needs(id) {
                    let mine = plan.with_exclusion(id, when.clone());
                    let theirs = plan.presence(need);
                    if !plan.implies(&mine, &theirs) {
                        when = when.and(theirs);
                    }
                }
            }
            plan.when[id.index()] = when;
            let mine = plan.presence(id);
            plan.optional[id.index()] = pipeline
                .needs(id)
                .into_iter()
                .filter(|need| !plan.implies(&mine, &plan.presence(*need)))
                .collect();
        }
        plan
    }

    fn with_exclusion(&self, id: JobId, c: Cond) -> Cond {
        if self.no_merge_requests[id.index()] {
            c.and(Cond::Not(Box::new(Cond::Event(Event::PullRequest))))
        } else {
            c
        }
    }

    /// The condition under which the job exists in a pipeline.
    pub fn presence(&self, id: JobId) -> Cond {
        self.with_exclusion(id, self.when[id.index()].clone())
    }

    /// Whether `a` implies `b` in every sample run.
    fn implies(&self, a: &Cond, b: &Cond) -> bool {
        self.runs.iter().all(|r| !a.eval(r) || b.eval(r))
    }

    /// Whether the job exists in some run of the pipeline.
    pub fn can_run(&self, id: JobId) -> bool {
        let c = self.presence(id);
        self.runs.iter().any(|r| c.eval(r))
    }
}
