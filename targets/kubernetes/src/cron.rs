//! The CronJob of a `cronjob`: its schedule and run settings, and a pod like
//! the service's own (the image CI deploys, configuration, secrets,
//! resources, volumes and the restricted security context).

use pipec_emit::yaml::{Yaml, map};
use pipec_graph::CronJob;

use crate::plan::ServicePlan;
use crate::pod;
use crate::workload::{container, container_security, environment, pod_security};
use crate::{COMPONENT_LABEL, NAME_LABEL, object};

/// The component label of a CronJob's pods.
pub const COMPONENT: &str = "cronjob";

/// `CronJob` (batch/v1).
pub fn cron_job(plan: &ServicePlan, cron: &CronJob) -> Yaml {
    let mut c = container(plan, &plan.name);
    c.insert("command", cron.command.to_vec());
    environment(plan, &mut c, plan.config_map.then(|| plan.name.clone()));
    c.insert("securityContext", container_security());
    c.insert("volumeMounts", pod::mounts(plan));
    // A failed run is retried by a new pod (`backoffLimit`), not restarted
    // in place, so each try keeps its own logs.
    let mut pod = map([
        ("serviceAccountName", Yaml::from(plan.name.as_str())),
        ("restartPolicy", Yaml::from("Never")),
    ]);
    pod::pull_secrets(plan, &mut pod);
    pod.insert("securityContext", pod_security(plan));
    pod.insert("containers", vec![Yaml::Map(c)]);
    pod.insert("volumes", pod::volumes(plan, false));
    let labels = map([
        (NAME_LABEL, Yaml::from(plan.name.as_str())),
        (COMPONENT_LABEL, Yaml::from(COMPONENT)),
    ]);
    let mut job = map([("backoffLimit", Yaml::from(cron.retries))]);
    if let Some(d) = cron.deadline {
        job.insert("activeDeadlineSeconds", d.seconds);
    }
    job.insert(
        "template",
        map([
            ("metadata", map([("labels", Yaml::Map(labels))]).into()),
            ("spec", Yaml::Map(pod)),
        ]),
    );
    let mut spec = map([("schedule", Yaml::from(cron.schedule.as_str()))]);
    spec.insert_opt("timeZone", cron.time_zone.as_deref());
    spec.insert("concurrencyPolicy", cron.concurrency.kubernetes());
    if let Some(d) = cron.start_within {
        spec.insert("startingDeadlineSeconds", d.seconds);
    }
    spec.insert("successfulJobsHistoryLimit", cron.keep_succeeded);
    spec.insert("failedJobsHistoryLimit", cron.keep_failed);
    spec.insert("jobTemplate", map([("spec", Yaml::Map(job))]));
    let mut m = object("batch/v1", "CronJob", plan, 0);
    m.insert("spec", spec);
    m.into()
}
