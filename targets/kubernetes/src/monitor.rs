//! `servicemonitor.yaml` in the base of a service whose metrics something
//! reads: the analysis of a rollout, or its alerts. It tells the Prometheus
//! operator where to scrape the pods, and keeps on each series the pod's
//! Argo Rollouts template hash, by which an analysis tells the new version's
//! series from the stable one's.

use pipec_emit::yaml::{Yaml, map};

use crate::plan::ServicePlan;
use crate::rollout::HASH_POD_LABEL;
use crate::{NAME_LABEL, object};

pub const API: &str = "monitoring.coreos.com/v1";

/// How often Prometheus scrapes the service.
pub const SCRAPE_INTERVAL: &str = "30s";

/// Whether anything reads the service's metrics through Prometheus.
pub fn is_monitored(plan: &ServicePlan) -> bool {
    plan.service.metrics.is_some() && plan.service.rollouts.iter().any(|r| r.analysis.is_some())
}

/// The monitoring objects of the base: (file name, document).
pub fn files(plan: &ServicePlan) -> Vec<(String, Yaml)> {
    let Some(m) = plan.service.metrics.as_ref().filter(|_| is_monitored(plan)) else {
        return Vec::new();
    };
    let mut endpoint = pipec_emit::yaml::Map::new();
    if m.port == plan.service.port {
        endpoint.insert("port", "http");
    } else {
        // The metrics port is the container's, not the Service's: the
        // operator finds it on the pods behind the Service.
        endpoint.insert("targetPort", "metrics");
    }
    endpoint.insert("path", m.path.as_str());
    endpoint.insert("interval", SCRAPE_INTERVAL);
    let mut doc = object(API, "ServiceMonitor", plan, 0);
    doc.insert(
        "spec",
        map([
            (
                "selector",
                map([(
                    "matchLabels",
                    map([(NAME_LABEL, Yaml::from(plan.name.as_str()))]).into(),
                )])
                .into(),
            ),
            ("podTargetLabels", vec![Yaml::from(HASH_POD_LABEL)].into()),
            ("endpoints", vec![Yaml::Map(endpoint)].into()),
        ]),
    );
    vec![("servicemonitor.yaml".to_string(), doc.into())]
}
