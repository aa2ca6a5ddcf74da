//! What Prometheus does with a service: `servicemonitor.yaml` in the base of
//! a service whose metrics something reads (the analysis of a rollout, or its
//! alerts), which tells the Prometheus operator where to scrape the pods and
//! keeps on each series the pod's Argo Rollouts template hash, by which an
//! analysis tells the new version's series from the stable one's; and
//! `prometheusrule.yaml` in each overlay of a service with `alerts`, its
//! alerting rules over that environment's series.

use pipec_emit::yaml::{Yaml, map};
use pipec_graph::{AlertKind, AlertRule, Strategy};

use crate::plan::{EnvPlan, ServicePlan};
use crate::rollout::{HASH_POD_LABEL, go_duration, ratio, seconds};
use crate::{MANAGED_BY_LABEL, NAME_LABEL, object};

/// The window alert rates are taken over.
const RATE_WINDOW: &str = "5m";

pub const API: &str = "monitoring.coreos.com/v1";

/// How often Prometheus scrapes the service.
pub const SCRAPE_INTERVAL: &str = "30s";

/// The monitoring objects of the base: (file name, document).
pub fn files(plan: &ServicePlan) -> Vec<(String, Yaml)> {
    let Some(m) = plan
        .service
        .metrics
        .as_ref()
        .filter(|_| plan.service.is_monitored())
    else {
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

/// The PrometheusRule of one environment, for a service with `alerts`.
pub fn rules(plan: &ServicePlan, e: &EnvPlan) -> Option<(String, Yaml)> {
    let alerts = plan.service.alerts.as_ref()?;
    let rules: Vec<Yaml> = alerts.rules.iter().map(|r| rule(plan, e, r)).collect();
    let mut doc = object(API, "PrometheusRule", plan, 0);
    // The overlay's own objects do not get the base's labels.
    if let Some(Yaml::Map(meta)) = doc.get_mut("metadata") {
        meta.insert(
            "labels",
            map([
                (NAME_LABEL, Yaml::from(plan.name.as_str())),
                (MANAGED_BY_LABEL, Yaml::from("pipec")),
            ]),
        );
    }
    doc.insert(
        "spec",
        map([(
            "groups",
            vec![Yaml::Map(map([
                ("name", Yaml::from(format!("{}.{}", plan.name, e.env.name))),
                ("rules", Yaml::Seq(rules)),
            ]))]
            .into(),
        )]),
    );
    Some(("prometheusrule.yaml".to_string(), doc.into()))
}

/// The label matchers of the service's series in an environment: those the
/// ServiceMonitor's targets carry (namespace, Service), the preview or canary
/// Service of a rollout included.
pub fn selector(plan: &ServicePlan, e: &EnvPlan) -> String {
    let second = plan
        .service
        .rollout(e.env.id)
        .and_then(|r| match r.strategy {
            Strategy::BlueGreen => Some(crate::rollout::preview_name(plan)),
            Strategy::Canary { traffic, .. } if traffic.splits_requests() => {
                Some(crate::rollout::canary_name(plan))
            }
            Strategy::Canary { .. } => None,
        });
    let service = match second {
        Some(other) => format!("service=~\"{}|{other}\"", plan.name),
        None => format!("service=\"{}\"", plan.name),
    };
    format!("namespace=\"{}\", {service}", e.env.namespace)
}

/// What a custom rule's expression writes for the environment's namespace.
pub const NAMESPACE_PLACEHOLDER: &str = "$namespace";

fn rule(plan: &ServicePlan, e: &EnvPlan, r: &AlertRule) -> Yaml {
    let sel = selector(plan, e);
    let requests = plan.service.metrics.as_ref().map(|m| &m.requests);
    let w = RATE_WINDOW;
    let (name, expr, summary) = match &r.kind {
        AlertKind::ErrorRate(er) => {
            let c = &requests
                .expect("checked: error_rate needs metrics")
                .requests
                .name;
            (
                "HighErrorRate".to_string(),
                format!(
                    "sum(rate({c}{{{sel}, {l}=~\"5..\"}}[{w}]))\n  / sum(rate({c}{{{sel}}}[{w}]))\n> {max}\n",
                    l = er.status_label,
                    max = ratio(er.max.hundredths)
                ),
                format!("more than {}% of the requests answered with 5xx", er.max),
            )
        }
        AlertKind::Latency(l) => {
            let h = &requests
                .expect("checked: latency needs metrics")
                .latency
                .name;
            (
                "HighLatency".to_string(),
                format!(
                    "histogram_quantile({q}, sum by (le) (rate({h}_bucket{{{sel}}}[{w}])))\n> {max}\n",
                    q = ratio(l.quantile * 100),
                    max = seconds(l.max_ms)
                ),
                format!("p{} latency above {}ms", l.quantile, l.max_ms),
            )
        }
        AlertKind::Availability { min } => (
            "Unavailable".to_string(),
            // No target at all is 0% available, not silence.
            format!(
                "(avg(up{{{sel}}}) or vector(0))\n< {}\n",
                ratio(min.hundredths)
            ),
            format!("fewer than {min}% of the pods answer Prometheus"),
        ),
        AlertKind::Restarts { max, window } => (
            "Restarting".to_string(),
            format!(
                "increase(kube_pod_container_status_restarts_total{{namespace=\"{ns}\", container=\"{c}\"}}[{win}])\n> {max}\n",
                ns = e.env.namespace,
                c = plan.name,
                win = go_duration(*window)
            ),
            format!(
                "a container restarted more than {max} time{} in {}",
                if *max == 1 { "" } else { "s" },
                go_duration(*window)
            ),
        ),
        AlertKind::Custom { name, expr } => (
            camel(name),
            // `$namespace` (PromQL itself has no `$`) is the environment's
            // namespace, so one expression watches each environment's pods.
            expr.replace(NAMESPACE_PLACEHOLDER, &e.env.namespace),
            format!("{} holds", name.replace('_', " ")),
        ),
    };
    let mut m = map([
        ("alert", Yaml::from(format!("{}{name}", camel(&plan.name)))),
        ("expr", Yaml::from(expr)),
    ]);
    if r.hold.seconds > 0 {
        m.insert("for", go_duration(r.hold));
    }
    m.insert(
        "labels",
        map([
            ("severity", Yaml::from(r.severity.name())),
            ("service", Yaml::from(plan.name.as_str())),
            ("environment", Yaml::from(e.env.name.as_str())),
        ]),
    );
    m.insert(
        "annotations",
        map([(
            "summary",
            Yaml::from(format!("{} in {}: {summary}", plan.name, e.env.name)),
        )]),
    );
    m.into()
}

/// `flask-api` → `FlaskApi`, `queue_backlog` → `QueueBacklog`.
fn camel(s: &str) -> String {
    s.split(['-', '_'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}
