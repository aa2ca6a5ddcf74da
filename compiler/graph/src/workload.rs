//! What kind of workload a deployed application is: an HTTP service (a
//! Deployment behind a Service), a worker (a Deployment without a port) or a
//! CronJob. All three are [`crate::Service`]s: they run an image a pipeline
//! builds, in the environments they are deployed to, and a deployment moves
//! their image the same way.

use serde::Serialize;

use crate::value::Duration;

/// The kind of a deployed application, with what only that kind has.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Workload {
    /// `service`: a Deployment serving HTTP on its port, with a Service (and
    /// an Ingress, a rollout, alerts on its requests).
    #[default]
    Http,
    /// `worker`: a long-running Deployment with no port (a queue consumer).
    Worker(Worker),
    /// `cronjob`: a Job started on a schedule, which runs to completion.
    Cron(CronJob),
}

#[derive(Debug, Clone, Serialize)]
pub struct Worker {
    /// The command the container runs (`sh -c …`), or `None` for the image's own.
    pub command: Option<Vec<String>>,
    /// Whether the program said `probes none`: the worker is deliberately not
    /// probed.
    pub unprobed: bool,
}

named! {
    /// What a CronJob does when a run is due while the last one still runs.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Concurrency {
        /// Skip the new run (the default: most jobs must not overlap).
        Forbid = "forbid",
        /// Run both.
        Allow = "allow",
        /// Stop the running one and start the new one.
        Replace = "replace",
    }
}

impl Concurrency {
    /// The value of `concurrencyPolicy`.
    pub fn kubernetes(self) -> &'static str {
        match self {
            Concurrency::Forbid => "Forbid",
            Concurrency::Allow => "Allow",
            Concurrency::Replace => "Replace",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CronJob {
    /// A five-field cron schedule, checked.
    pub schedule: String,
    /// An IANA time zone the schedule is read in (`timeZone`); `None` is the
    /// cluster controller's own.
    pub time_zone: Option<String>,
    /// The command each run executes (`sh -c …`).
    pub command: Vec<String>,
    pub concurrency: Concurrency,
    /// Finished Jobs kept for their logs: successful ones, failed ones.
    pub keep_succeeded: u32,
    pub keep_failed: u32,
    /// Retries of a failed run (`backoffLimit`).
    pub retries: u32,
    /// How long a run may take before it is stopped and counts as failed.
    pub deadline: Option<Duration>,
    /// How late a run may still start after a missed schedule
    /// (`startingDeadlineSeconds`).
    pub start_within: Option<Duration>,
}

impl CronJob {
    /// Defaults: Kubernetes' own history limits, and two retries (a run
    /// that fails for a passing reason runs again, one that is broken stops).
    pub fn new(schedule: String, command: Vec<String>) -> CronJob {
        CronJob {
            schedule,
            time_zone: None,
            command,
            concurrency: Concurrency::Forbid,
            keep_succeeded: 3,
            keep_failed: 1,
            retries: 2,
            deadline: None,
            start_within: None,
        }
    }
}
