//! Progressive delivery and operations: how a service rolls out in some of
//! its environments (a canary in steps, or blue-green), the analysis that
//! decides whether the new version is healthy, the alerts that watch it once
//! it runs, and the metrics of the service both read.

use serde::Serialize;

use crate::Span;
use crate::program::EnvId;
use crate::value::{Duration, Percent};

/// `rollout canary|blue_green [in [ENVS]] { … }` of a service.
#[derive(Debug, Clone, Serialize)]
pub struct Rollout {
    /// The environments that roll out this way; the others keep a rolling
    /// update of a plain Deployment.
    pub envs: Vec<EnvId>,
    pub strategy: Strategy,
    pub analysis: Option<Analysis>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// The new version gets each step's share, for the step's pause, until
    /// it has all of it: of the pods, or of the requests through the
    /// ingress controller named by `traffic`.
    Canary {
        steps: Vec<CanaryStep>,
        traffic: Traffic,
        /// The Gateway whose HTTPRoute splits the requests, with `traffic
        /// gateway` (and only then).
        gateway: Option<GatewayRef>,
    },
    /// The new version starts beside the old one behind a preview Service and
    /// takes over the active Service at once when it is healthy.
    BlueGreen,
}

named! {
    /// How a canary's weight reaches the requests.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Traffic {
        /// By the share of the pods behind the one Service.
        Replicas = "replicas",
        /// By the NGINX ingress controller, which sends the weight of the
        /// requests to a canary Service.
        Nginx = "nginx",
        /// By the Istio service mesh: a VirtualService on the service's
        /// name sends the weight of the requests to a canary Service.
        Istio = "istio",
        /// By a Gateway API implementation: an HTTPRoute of the service's
        /// ingress host, attached to a Gateway, sends the weight of the
        /// requests to a canary Service (Argo Rollouts' Gateway API plugin
        /// sets it).
        Gateway = "gateway",
    }
}

impl Traffic {
    /// Whether the weight is a share of the requests, sent to a canary
    /// Service, rather than of the pods.
    pub fn splits_requests(self) -> bool {
        self != Traffic::Replicas
    }
}

/// A Gateway (Gateway API) an HTTPRoute attaches to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GatewayRef {
    /// `None`: the namespace of the route (the environment's).
    pub namespace: Option<String>,
    pub name: String,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct CanaryStep {
    /// The share of the pods running the new version; increasing, the last 100%.
    pub weight: Percent,
    /// How long the step lasts before the next one.
    pub pause: Option<Duration>,
}

/// The measurements that decide whether a new version is healthy; one failing
/// more often than `failure_limit` aborts the rollout and returns to the
/// previous version.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    /// The Prometheus server queried.
    pub prometheus: String,
    /// The highest share of requests answered with a 5xx status.
    pub error_rate: Option<ErrorRate>,
    pub latency: Option<Latency>,
    /// How often each measurement is taken.
    pub interval: Duration,
    /// Failed measurements tolerated; one more aborts.
    pub failure_limit: u32,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct ErrorRate {
    pub max: Percent,
    /// The label of the request counter holding the HTTP status code.
    pub status_label: String,
}

/// A latency quantile and its ceiling.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Latency {
    /// The quantile in percent: 95 for p95.
    pub quantile: u32,
    /// The ceiling in milliseconds.
    pub max_ms: u64,
}

/// The request metrics a service exposes on its metrics endpoint.
#[derive(Debug, Clone, Serialize)]
pub struct RequestMetrics {
    /// A counter of the requests served.
    pub requests: Series,
    /// A histogram of request durations in seconds (without `_bucket`).
    pub latency: Series,
}

#[derive(Debug, Clone, Serialize)]
pub struct Series {
    pub name: String,
    pub labels: Vec<String>,
}

impl Default for RequestMetrics {
    /// The names of the Prometheus client libraries' conventions.
    fn default() -> Self {
        RequestMetrics {
            requests: Series {
                name: "http_requests_total".into(),
                labels: vec!["code".into(), "method".into()],
            },
            latency: Series {
                name: "http_request_duration_seconds".into(),
                labels: vec!["method".into()],
            },
        }
    }
}

/// `alerts { … }` of a service: Prometheus alerting rules, in every
/// environment it is deployed to.
#[derive(Debug, Clone, Serialize)]
pub struct Alerts {
    pub rules: Vec<AlertRule>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlertRule {
    pub kind: AlertKind,
    /// How long the condition holds before the alert fires.
    pub hold: Duration,
    pub severity: Severity,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// The share of 5xx answers above `max`.
    ErrorRate(ErrorRate),
    /// The quantile of request durations above the ceiling.
    Latency(Latency),
    /// The share of the service's pods Prometheus reaches below `min`.
    Availability { min: Percent },
    /// More than `max` container restarts within `window`.
    Restarts { max: u32, window: Duration },
    /// The program's own PromQL expression, true while the alert should fire.
    Custom { name: String, expr: String },
}

named! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Severity {
        Critical = "critical",
        Warning = "warning",
        Info = "info",
    }
}

impl crate::deploy::Service {
    /// Whether something reads the service's metrics through Prometheus (an
    /// analysis or its alerts), so that it is scraped through a ServiceMonitor.
    pub fn is_monitored(&self) -> bool {
        self.metrics.is_some()
            && (self.alerts.is_some() || self.rollouts.iter().any(|r| r.analysis.is_some()))
    }
}

impl Rollout {
    pub fn covers(&self, env: EnvId) -> bool {
        self.envs.contains(&env)
    }
}
