//! Lowering coverage rows for workers and CronJobs (what only they have;
//! the statements they share with services take the services' rows) and
//! the health check of a job's service container.

use super::Case;
use super::Runtime::Refused;

/// The statements a worker shares with a service, whose rows it takes.
pub const WORKER_SHARED: &[&str] = &[
    "image",
    "resources",
    "replicas",
    "autoscale",
    "min_available",
    "config",
    "secrets",
    "deploy",
    "user",
    "migrate",
    "smoke_test",
    "pull_secrets",
    "volume",
    "selector",
];

/// The statements a CronJob shares with a service.
pub const CRONJOB_SHARED: &[&str] = &[
    "image",
    "resources",
    "config",
    "secrets",
    "deploy",
    "user",
    "pull_secrets",
    "volume",
];

pub const CASES: &[Case] = &[
    // ---- a worker ----
    Case {
        block: "a worker",
        head: "command",
        literal: r#"command ["/zq1-relay", "--queue", "zq1"]"#,
        lit: ["-", "-", "has:- /zq1-relay && - '--queue'", "-", "-"],
        runtime: r#"command "zq1-relay {{ ci.sha }}""#,
        rt: Refused("E0213"),
    },
    Case {
        block: "a worker",
        head: "probes",
        literal: r#"probes { live "zq1-live --ping", ready ["/zq1-ready"], startup "zq1-start" }"#,
        lit: [
            "-",
            "-",
            "has:exec: && - zq1-live --ping && - /zq1-ready && - zq1-start",
            "-",
            "-",
        ],
        runtime: r#"probes { live "zq1-{{ ci.sha }}" }"#,
        rt: Refused("E0213"),
    },
    // ---- a cronjob ----
    Case {
        block: "a cronjob",
        head: "command",
        literal: r#"command "zq1-report --since 1d""#,
        lit: ["-", "-", "has:- sh && - zq1-report --since 1d", "-", "-"],
        runtime: r#"command "zq1-report {{ ci.sha }}""#,
        rt: Refused("E0213"),
    },
    Case {
        block: "a cronjob",
        head: "schedule",
        literal: r#"schedule "17 3 * * *""#,
        lit: ["-", "-", "has:schedule: '17 3 * * *'", "-", "-"],
        runtime: r#"schedule "{{ ci.sha }}""#,
        rt: Refused("E0213"),
    },
    Case {
        block: "a cronjob",
        head: "timezone",
        literal: r#"timezone "America/Argentina/Buenos_Aires""#,
        lit: [
            "-",
            "-",
            "has:timeZone: America/Argentina/Buenos_Aires",
            "-",
            "-",
        ],
        runtime: r#"timezone "{{ ci.sha }}""#,
        rt: Refused("E0213"),
    },
    Case {
        block: "a cronjob",
        head: "concurrency",
        literal: r#"concurrency replace"#,
        lit: ["-", "-", "has:concurrencyPolicy: Replace", "-", "-"],
        runtime: r#"concurrency "{{ ci.sha }}""#,
        rt: Refused("E0208"),
    },
    Case {
        block: "a cronjob",
        head: "history",
        literal: r#"history { succeeded 17, failed 13 }"#,
        lit: [
            "-",
            "-",
            "has:successfulJobsHistoryLimit: 17 && failedJobsHistoryLimit: 13",
            "-",
            "-",
        ],
        runtime: r#"history { succeeded "{{ ci.sha }}" }"#,
        rt: Refused("E0201"),
    },
    Case {
        block: "a cronjob",
        head: "retries",
        literal: r#"retries 17"#,
        lit: ["-", "-", "has:backoffLimit: 17", "-", "-"],
        runtime: r#"retries "{{ ci.sha }}""#,
        rt: Refused("E0201"),
    },
    Case {
        block: "a cronjob",
        head: "deadline",
        literal: r#"deadline 17m"#,
        lit: ["-", "-", "has:activeDeadlineSeconds: 1020", "-", "-"],
        runtime: r#"deadline "{{ ci.sha }}""#,
        rt: Refused("E0201"),
    },
    Case {
        block: "a cronjob",
        head: "start_within",
        literal: r#"start_within 17m"#,
        lit: ["-", "-", "has:startingDeadlineSeconds: 1020", "-", "-"],
        runtime: r#"start_within "{{ ci.sha }}""#,
        rt: Refused("E0201"),
    },
    // ---- a job service ----
    Case {
        block: "a job service",
        head: "health",
        literal: r#"health "zq1-check --host zqdb" { interval 17s, retries 13 }"#,
        lit: [
            "has:--health-cmd \"zq1-check --host zqdb\" --health-interval \"17s\" && --health-retries \"13\"",
            "has:check='zq1-check --host zqdb' && -ge 13 && sleep 17",
            "-",
            "-",
            "-",
        ],
        runtime: r#"health "zq1-check {{ matrix.os }}""#,
        rt: Refused("E0213"),
    },
];
