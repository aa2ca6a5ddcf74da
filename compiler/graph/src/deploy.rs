//! Where the program runs: environments with their promotion chain and
//! gates, the services deployed to them, and the GitOps repository.

use serde::Serialize;

use crate::Span;
use crate::cond::Cond;
use crate::program::{EnvId, ImageId, PublishId, ServiceId};
use crate::value::*;

named! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Tier {
        Development = "development",
        Testing = "testing",
        Staging = "staging",
        Production = "production",
        Other = "other",
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Environment {
    pub id: EnvId,
    pub name: String,
    #[serde(skip)]
    pub span: Span,
    /// The user file it was declared in.
    pub file: String,
    pub namespace: String,
    pub url: Option<String>,
    pub tier: Tier,
    /// Replicas of every service here (unless autoscaled).
    pub replicas: Option<u32>,
    pub resources: Option<Resources>,
    pub autoscale: Option<Autoscale>,
    /// Configuration values, overriding the services' own.
    pub config: Vec<(String, String)>,
    /// People who must approve a deployment (0: automatic).
    pub approvals: u32,
    #[serde(skip)]
    pub approvals_span: Option<Span>,
    pub promotion: Option<Promotion>,
    /// When deployments happen, as written (`deploy on …` / `on …`).
    pub trigger: Option<Cond>,
    #[serde(skip)]
    pub trigger_span: Option<Span>,
    pub sync: SyncPolicy,
    /// The branch of the GitOps repository this environment's Applications
    /// follow and its deployment jobs commit to; `None` means the GitOps
    /// branch. The checker refuses tags and commits here: nothing could be
    /// committed to them, so no release would ever reach the environment.
    pub revision: Option<String>,
    #[serde(skip)]
    pub revision_span: Option<Span>,
    pub notifications: Vec<Notification>,
}

impl Environment {
    pub fn is_manual(&self) -> bool {
        self.approvals > 0
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Promotion {
    pub from: EnvId,
    #[serde(skip)]
    pub span: Span,
}

/// How Argo CD syncs an environment.
#[derive(Debug, Clone, Serialize)]
pub struct SyncPolicy {
    pub automated: bool,
    pub prune: bool,
    pub self_heal: bool,
    #[serde(skip)]
    pub span: Option<Span>,
}

/// An Argo CD notification subscription.
#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    /// Argo CD trigger, e.g. `on-sync-failed`.
    pub trigger: String,
    pub service: NotifyService,
    /// Channel or recipient, as Argo CD's service takes it: a Slack channel
    /// without its `#`, a Telegram channel's username without its `@` or a
    /// chat id.
    pub recipient: String,
    #[serde(skip)]
    pub span: Span,
}

named! {
    /// A service of Argo CD's notifications controller pipec configures.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum NotifyService {
        Slack = "slack",
        Telegram = "telegram",
    }
}

/// The credential of a notification service: a key of the Secret
/// `argocd-notifications-secret`, which the notifications configuration
/// names as `$key` (the token itself never leaves the cluster).
#[derive(Debug, Clone, Serialize)]
pub struct Notifier {
    pub service: NotifyService,
    pub token_key: String,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Resources {
    /// Request..limit.
    pub cpu: Option<Range<Cpu>>,
    pub memory: Option<Range<Memory>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Autoscale {
    pub min: u32,
    pub max: u32,
    pub cpu: Option<Percent>,
    pub memory: Option<Percent>,
}

/// How services reach an environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeployMethod {
    /// CI commits the new image tag to the environment's Kustomize overlay and
    /// Argo CD syncs it.
    ArgoCd,
    /// CI updates the Deployment directly and waits for the rollout.
    Kubectl { kubeconfig: SecretRef },
}

impl DeployMethod {
    /// Whether two services reach their environment the same way: the same
    /// method, with the same kubeconfig secret (wherever it is written).
    pub fn same_as(&self, other: &DeployMethod) -> bool {
        match (self, other) {
            (DeployMethod::ArgoCd, DeployMethod::ArgoCd) => true,
            (DeployMethod::Kubectl { kubeconfig: a }, DeployMethod::Kubectl { kubeconfig: b }) => {
                a.name == b.name
            }
            _ => false,
        }
    }
}

/// A deployment job: ship the pipeline's services to one environment.
#[derive(Debug, Clone, Serialize)]
pub struct Deploy {
    pub env: EnvId,
    /// Each service with the publish rule whose image it runs.
    pub services: Vec<(ServiceId, PublishId)>,
    pub method: DeployMethod,
}

#[derive(Debug, Clone, Serialize)]
pub struct Service {
    pub id: ServiceId,
    pub name: String,
    #[serde(skip)]
    pub span: Span,
    /// The user file it was declared in.
    pub file: String,
    pub image: ImageId,
    pub port: u16,
    pub metrics: Option<Metrics>,
    pub probes: Probes,
    pub resources: Option<Resources>,
    pub replicas: u32,
    pub autoscale: Option<Autoscale>,
    /// PodDisruptionBudget `minAvailable`.
    pub min_available: Option<u32>,
    pub config: Vec<(String, String)>,
    pub secrets: Vec<ServiceSecret>,
    pub ingress: Option<Ingress>,
    /// Environments, in the order written.
    pub deploy: Vec<EnvId>,
    #[serde(skip)]
    pub deploy_span: Span,
    pub method: DeployMethod,
    /// The user id the container runs as (never 0).
    pub run_as_user: u32,
    pub hooks: Hooks,
    /// Kubernetes Secrets holding credentials for the registry the image is
    /// pulled from (`imagePullSecrets`).
    pub pull_secrets: Vec<String>,
    /// Volumes mounted into the container, besides the writable `/tmp`.
    pub volumes: Vec<Volume>,
    /// How the Kubernetes Service exposes the pods.
    pub expose: Expose,
    /// The labels the Deployment selects its pods by, when the program sets
    /// them (to adopt an existing Deployment, whose selector cannot change);
    /// `None` keeps the generated ones.
    pub selector: Option<Vec<(String, String)>>,
    #[serde(skip)]
    pub selector_span: Option<Span>,
    /// How it rolls out where it does not roll out as a plain Deployment.
    pub rollouts: Vec<crate::rollout::Rollout>,
    pub alerts: Option<crate::rollout::Alerts>,
}

impl Service {
    /// The rollout strategy of one of its environments, if it has one.
    pub fn rollout(&self, env: EnvId) -> Option<&crate::rollout::Rollout> {
        self.rollouts.iter().find(|r| r.covers(env))
    }
}

/// A volume of the service's pods.
#[derive(Debug, Clone, Serialize)]
pub struct Volume {
    /// Unique in the service; a DNS label.
    pub name: String,
    /// Where it is mounted in the container (absolute).
    pub mount: String,
    pub kind: VolumeKind,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VolumeKind {
    /// An empty, writable directory that lives as long as the pod (`emptyDir`),
    /// at most `size` large.
    Scratch { size: Option<Memory> },
    /// Read-only files with the given contents (a ConfigMap), by file name.
    Files(Vec<(String, String)>),
}

named! {
    /// The kind of Kubernetes Service in front of the pods.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ServiceType {
        ClusterIp = "cluster_ip",
        NodePort = "node_port",
        LoadBalancer = "load_balancer",
    }
}

impl ServiceType {
    /// The Kubernetes spelling: `ClusterIP`, `NodePort`, `LoadBalancer`.
    pub fn kubernetes(self) -> &'static str {
        match self {
            ServiceType::ClusterIp => "ClusterIP",
            ServiceType::NodePort => "NodePort",
            ServiceType::LoadBalancer => "LoadBalancer",
        }
    }
}

/// The Kubernetes Service of a service.
#[derive(Debug, Clone, Serialize)]
pub struct Expose {
    pub kind: ServiceType,
    /// The port the Service listens on (it forwards to the container's port).
    pub port: u16,
    /// Client-IP session affinity, held this long after a client's last request.
    pub affinity: Option<Duration>,
}

impl Default for Expose {
    fn default() -> Self {
        Expose {
            kind: ServiceType::ClusterIp,
            port: 80,
            affinity: None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Metrics {
    pub port: u16,
    pub path: String,
    /// The request counter and latency histogram found there.
    pub requests: crate::rollout::RequestMetrics,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Probes {
    pub liveness: Option<Probe>,
    pub readiness: Option<Probe>,
    pub startup: Option<Probe>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Probe {
    pub path: String,
    pub port: u16,
    pub initial_delay: Option<Duration>,
    pub period: Option<Duration>,
    pub failure_threshold: Option<u32>,
    /// How long one probe may take: as written, or the default of its kind
    /// (never Kubernetes' own default of 1s, too short for a busy pod).
    pub timeout: Duration,
}

/// A Kubernetes Secret key exposed to the container as an environment variable.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceSecret {
    pub env: String,
    pub secret: String,
    pub key: String,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct Ingress {
    pub host: String,
    pub path: String,
    pub class: Option<String>,
    /// Secret holding the TLS certificate.
    pub tls_secret: Option<String>,
}

/// Argo CD hooks around a sync.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Hooks {
    /// Runs as a PreSync Job (database migration).
    pub pre_sync: Option<Vec<String>>,
    /// Runs as a PostSync Job (smoke test).
    pub post_sync: Option<Vec<String>>,
}

/// Where deployment manifests live and how CI writes to them.
#[derive(Debug, Clone, Serialize)]
pub struct GitOps {
    pub repo: String,
    pub branch: String,
    /// Folder of the manifests inside the repository.
    pub path: String,
    /// A token that can push to `repo`; without one, CI pushes to the repository
    /// it runs in with its own token.
    pub token: Option<SecretRef>,
    /// A kubeconfig for the cluster Argo CD runs in: deployment jobs sync the
    /// environment's Applications through it and wait until they are Synced
    /// and Healthy. Without one, a deployment ends with its commit.
    pub argocd: Option<SecretRef>,
    /// How long a deployment job waits for Argo CD.
    pub wait: Duration,
    /// The tokens of notification services, where the program names them.
    pub notifiers: Vec<Notifier>,
    #[serde(skip)]
    pub span: Span,
}

impl GitOps {
    /// Whether the manifests live in the repository the pipeline runs in.
    pub fn same_repository(&self) -> bool {
        self.token.is_none()
    }

    /// The key of `argocd-notifications-secret` holding a notification
    /// service's token: as the program names it, or `<service>-token`.
    pub fn token_key(&self, service: NotifyService) -> String {
        self.notifiers
            .iter()
            .find(|n| n.service == service)
            .map_or_else(
                || format!("{}-token", service.name()),
                |n| n.token_key.clone(),
            )
    }

    /// The branch deployments to `env` commit to and its Applications follow.
    pub fn branch_of<'a>(&'a self, env: &'a Environment) -> &'a str {
        env.revision.as_deref().unwrap_or(&self.branch)
    }
}
