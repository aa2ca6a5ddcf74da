//! The program: pipelines with their job graphs, images, publish rules,
//! environments and services — everything resolved, typed and expanded.

use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;

use crate::Span;
use crate::cond::Cond;
use crate::value::*;

macro_rules! id {
    ($($name:ident),*) => {$(
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        pub struct $name(pub u32);
        impl $name {
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    )*};
}
id!(PipelineId, JobId, ImageId, PublishId, EnvId, ServiceId);

/// A whole `.pipe` program.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Program {
    pub pipelines: Vec<Pipeline>,
    pub images: Vec<Image>,
    pub publishes: Vec<Publish>,
    /// In declaration order; see [`Program::promotion_order`] for the chain.
    pub environments: Vec<Environment>,
    pub services: Vec<Service>,
    pub gitops: Option<GitOps>,
    pub policy: Policy,
    pub suppressions: Vec<Suppression>,
}

impl Program {
    pub fn pipeline(&self, id: PipelineId) -> &Pipeline {
        &self.pipelines[id.index()]
    }
    pub fn image(&self, id: ImageId) -> &Image {
        &self.images[id.index()]
    }
    pub fn publish(&self, id: PublishId) -> &Publish {
        &self.publishes[id.index()]
    }
    pub fn environment(&self, id: EnvId) -> &Environment {
        &self.environments[id.index()]
    }
    pub fn service(&self, id: ServiceId) -> &Service {
        &self.services[id.index()]
    }

    /// Environments ordered so that every environment comes after the one it
    /// promotes from (stable: declaration order otherwise). The checker has
    /// rejected promotion cycles.
    pub fn promotion_order(&self) -> Vec<EnvId> {
        let mut order: Vec<EnvId> = Vec::new();
        let mut placed = vec![false; self.environments.len()];
        while order.len() < self.environments.len() {
            let before = order.len();
            for e in &self.environments {
                let ready = e.promotion.as_ref().is_none_or(|p| placed[p.from.index()]);
                if !placed[e.id.index()] && ready {
                    placed[e.id.index()] = true;
                    order.push(e.id);
                }
            }
            if order.len() == before {
                // A cycle slipped through; keep the rest in declaration order.
                order.extend(
                    self.environments
                        .iter()
                        .map(|e| e.id)
                        .filter(|id| !placed[id.index()]),
                );
            }
        }
        order
    }

    /// Publish rules of an image, in declaration order.
    pub fn publishes_of(&self, image: ImageId) -> impl Iterator<Item = &Publish> {
        self.publishes.iter().filter(move |p| p.image == image)
    }

    /// Services deployed to an environment.
    pub fn services_in(&self, env: EnvId) -> impl Iterator<Item = &Service> {
        self.services
            .iter()
            .filter(move |s| s.deploy.contains(&env))
    }
}

/// One pipeline: the unit that becomes a GitHub workflow file or the GitLab
/// pipeline.
#[derive(Debug, Clone, Serialize)]
pub struct Pipeline {
    pub id: PipelineId,
    pub name: String,
    #[serde(skip)]
    pub span: Span,
    /// The user file it was declared in, as given on the command line.
    pub file: String,
    pub triggers: Vec<Trigger>,
    /// Variables for every job.
    pub env: Vec<EnvVar>,
    pub jobs: Vec<Job>,
    /// Dependencies: an edge `a → b` means `b` runs after `a`. Node `i` is job `i`.
    #[serde(skip)]
    pub graph: DiGraph<JobId, Edge>,
}

impl Pipeline {
    pub fn job(&self, id: JobId) -> &Job {
        &self.jobs[id.index()]
    }

    pub fn job_named(&self, name: &str) -> Option<&Job> {
        self.jobs.iter().find(|j| j.name == name)
    }

    /// The jobs `id` directly depends on, by name.
    pub fn needs(&self, id: JobId) -> Vec<JobId> {
        let mut v: Vec<JobId> = self
            .graph
            .neighbors_directed(NodeIndex::new(id.index()), petgraph::Direction::Incoming)
            .map(|n| JobId(n.index() as u32))
            .collect();
        v.sort_by(|a, b| self.job(*a).name.cmp(&self.job(*b).name));
        v.dedup();
        v
    }

    /// The jobs that directly depend on `id`.
    pub fn dependents(&self, id: JobId) -> Vec<JobId> {
        let mut v: Vec<JobId> = self
            .graph
            .neighbors_directed(NodeIndex::new(id.index()), petgraph::Direction::Outgoing)
            .map(|n| JobId(n.index() as u32))
            .collect();
        v.sort_by(|a, b| self.job(*a).name.cmp(&self.job(*b).name));
        v.dedup();
        v
    }

    /// The reason for the edge `from → to`, if there is one.
    pub fn edge(&self, from: JobId, to: JobId) -> Option<&Edge> {
        self.graph
            .find_edge(NodeIndex::new(from.index()), NodeIndex::new(to.index()))
            .map(|e| &self.graph[e])
    }

    /// Jobs in an order where every job comes after its dependencies (ties by
    /// declaration order). Assumes no cycle, which the checker guarantees.
    pub fn topo_order(&self) -> Vec<JobId> {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;

        let n = self.jobs.len();
        let mut indegree: Vec<usize> = (0..n).map(|i| self.needs(JobId(i as u32)).len()).collect();
        // Jobs whose dependencies are all placed, smallest index first.
        let mut ready: BinaryHeap<Reverse<usize>> =
            (0..n).filter(|i| indegree[*i] == 0).map(Reverse).collect();
        let mut done = vec![false; n];
        let mut out = Vec::with_capacity(n);
        while let Some(Reverse(next)) = ready.pop() {
            done[next] = true;
            out.push(JobId(next as u32));
            for d in self.dependents(JobId(next as u32)) {
                indegree[d.index()] -= 1;
                if indegree[d.index()] == 0 {
                    ready.push(Reverse(d.index()));
                }
            }
        }
        out.extend((0..n).filter(|i| !done[*i]).map(|i| JobId(i as u32)));
        out
    }

    pub fn has_trigger(&self, f: impl Fn(&TriggerKind) -> bool) -> bool {
        self.triggers.iter().any(|t| f(&t.kind))
    }

    /// Tag patterns of the pipeline's `on tag` triggers: what counts as a release.
    pub fn release_tags(&self) -> Vec<Glob> {
        self.triggers
            .iter()
            .filter_map(|t| match &t.kind {
                TriggerKind::Tag { patterns } => Some(patterns.clone()),
                _ => None,
            })
            .flatten()
            .collect()
    }
}

/// Why one job runs after another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Edge {
    /// Written by the user (`after`).
    After(#[serde(skip)] Span),
    /// The job uses an image that the other job builds.
    Image(ImageId),
    /// A publish waits for its image's build; a deploy waits for the publish.
    Release,
    /// An environment's deployment waits for the one it promotes from.
    Promotion,
}

#[derive(Debug, Clone, Serialize)]
pub struct Trigger {
    pub kind: TriggerKind,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerKind {
    /// Pushes to matching branches (any branch when empty).
    Push { branches: Vec<Glob> },
    /// Pull requests targeting matching branches (any when empty).
    PullRequest { branches: Vec<Glob> },
    /// Pushed tags matching any pattern.
    Tag { patterns: Vec<Glob> },
    /// A five-field cron schedule, in UTC.
    Schedule { cron: String },
    /// Started by hand with typed inputs.
    Dispatch { inputs: Vec<Input> },
}

/// A typed manual-dispatch input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Input {
    pub name: String,
    pub kind: InputKind,
    /// The default, already rendered as text (`true`, `dev`, `3`).
    pub default: Option<String>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    String,
    Bool,
    Number,
    Choice(Vec<String>),
    /// One of the program's environments.
    Environment(Vec<String>),
}

/// What kind of work a job does. Targets name stages after it; lint rules use it
/// to find the test, scan and deploy jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Lint,
    Format,
    Test,
    Integration,
    Build,
    ImageScan,
    DependencyAudit,
    Sast,
    SecretScan,
    Quality,
    Publish,
    Deploy,
    Notify,
    Other,
}

impl Role {
    pub const ALL: [(&'static str, Role); 14] = [
        ("lint", Role::Lint),
        ("format", Role::Format),
        ("test", Role::Test),
        ("integration", Role::Integration),
        ("build", Role::Build),
        ("image_scan", Role::ImageScan),
        ("dependency_audit", Role::DependencyAudit),
        ("sast", Role::Sast),
        ("secret_scan", Role::SecretScan),
        ("quality", Role::Quality),
        ("publish", Role::Publish),
        ("deploy", Role::Deploy),
        ("notify", Role::Notify),
        ("other", Role::Other),
    ];

    pub fn name(self) -> &'static str {
        Role::ALL
            .iter()
            .find(|(_, r)| *r == self)
            .map_or("other", |(n, _)| n)
    }

    /// Security checks that must pass before anything is published or deployed.
    pub fn is_security(self) -> bool {
        matches!(
            self,
            Role::ImageScan | Role::DependencyAudit | Role::Sast | Role::SecretScan
        )
    }

    /// Checks fast enough to run on a developer's machine before each commit.
    pub fn is_local_check(self) -> bool {
        matches!(
            self,
            Role::Lint | Role::Format | Role::SecretScan | Role::Sast
        )
    }
}

/// When a job runs relative to the outcome of the jobs it depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunOn {
    /// Only if every dependency succeeded (the default).
    #[default]
    Success,
    /// Only if some dependency failed (notifications).
    Failure,
    /// Whatever happened before.
    Always,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Runner {
    Ubuntu,
    UbuntuArm,
    Macos,
    Windows,
    /// A self-hosted runner label / GitLab runner tag.
    Label(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct Job {
    pub id: JobId,
    /// Unique in the pipeline; letters, digits and `_`.
    pub name: String,
    /// Human title ("Test", "Publish app to ghcr.io/acme/api").
    pub title: String,
    /// The user code this job comes from (a `job` statement, a template call, an
    /// `image`, `publish` or `service … deploy` statement).
    #[serde(skip)]
    pub span: Span,
    /// The template definition it was expanded from, if any.
    #[serde(skip)]
    pub origin: Option<Span>,
    pub role: Role,
    pub kind: JobKind,
    /// The run condition (dependencies aside).
    pub when: Cond,
    #[serde(skip)]
    pub when_span: Option<Span>,
    pub run_on: RunOn,
    pub runner: Runner,
    pub timeout: Option<Duration>,
    pub allow_failure: bool,
    pub matrix: Option<Matrix>,
    pub env: Vec<EnvVar>,
    /// How long the job is expected to take, for the critical-path estimate.
    pub duration: Option<Duration>,
}

impl Job {
    pub fn run(&self) -> Option<&RunJob> {
        match &self.kind {
            JobKind::Run(r) => Some(r),
            _ => None,
        }
    }

    /// The environment this job deploys to, if it is a deployment.
    pub fn environment(&self) -> Option<EnvId> {
        match &self.kind {
            JobKind::Deploy(d) => Some(d.env),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Steps of shell script with a tool set-up.
    Run(RunJob),
    /// Builds an image and hands it to later jobs as an archive.
    BuildImage(ImageId),
    /// Pushes an image with its tags.
    PublishImage(PublishId),
    /// Ships the services of a pipeline to one environment.
    Deploy(Deploy),
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RunJob {
    pub tool: Option<Toolchain>,
    /// A container image to run the job in.
    pub container: Option<Text>,
    pub services: Vec<SideService>,
    pub caches: Vec<Cache>,
    pub steps: Vec<Step>,
    pub artifacts: Vec<Artifact>,
    pub reports: Vec<Report>,
    /// Images built earlier in the pipeline that this job loads.
    pub images: Vec<ImageId>,
    /// Whether the job needs the whole git history (gitleaks, versioning).
    pub full_history: bool,
}

impl RunJob {
    /// The coverage threshold this job enforces, if any.
    pub fn coverage_gate(&self) -> Option<Percent> {
        self.reports.iter().find_map(|r| match r.kind {
            ReportKind::Coverage => r.min,
            _ => None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tool {
    Python,
    Node,
    Go,
    Java,
    Trivy,
    Gitleaks,
    Kubectl,
}

impl Tool {
    pub const ALL: [(&'static str, Tool); 7] = [
        ("python", Tool::Python),
        ("node", Tool::Node),
        ("go", Tool::Go),
        ("java", Tool::Java),
        ("trivy", Tool::Trivy),
        ("gitleaks", Tool::Gitleaks),
        ("kubectl", Tool::Kubectl),
    ];

    pub fn name(self) -> &'static str {
        Tool::ALL
            .iter()
            .find(|(_, t)| *t == self)
            .map_or("", |(n, _)| n)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Toolchain {
    pub tool: Tool,
    pub version: Text,
}

/// A service container next to the job (a database for integration tests).
#[derive(Debug, Clone, Serialize)]
pub struct SideService {
    /// Host name the job reaches it by.
    pub name: String,
    pub image: String,
    pub env: Vec<EnvVar>,
    pub port: Option<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CacheKind {
    Pip,
    Poetry,
    Npm,
    Go,
    Cargo,
}

impl CacheKind {
    pub const ALL: [(&'static str, CacheKind); 5] = [
        ("pip", CacheKind::Pip),
        ("poetry", CacheKind::Poetry),
        ("npm", CacheKind::Npm),
        ("go", CacheKind::Go),
        ("cargo", CacheKind::Cargo),
    ];

    pub fn name(self) -> &'static str {
        CacheKind::ALL
            .iter()
            .find(|(_, c)| *c == self)
            .map_or("", |(n, _)| n)
    }
}

/// A dependency cache, keyed on the lock files that decide its content.
#[derive(Debug, Clone, Serialize)]
pub struct Cache {
    pub kind: CacheKind,
    pub key_files: Vec<Glob>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub name: String,
    pub script: Text,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct Artifact {
    pub paths: Vec<String>,
    pub expire: Option<Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// JUnit XML test results.
    Junit,
    /// Cobertura XML coverage.
    Coverage,
    /// SARIF findings of a scanner.
    Sarif,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub kind: ReportKind,
    pub path: String,
    /// For coverage: the minimum the job enforces.
    pub min: Option<Percent>,
    #[serde(skip)]
    pub span: Span,
}

/// A matrix of job instances: the product of the axes, minus `exclude`, plus
/// `include`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Matrix {
    pub axes: Vec<Axis>,
    pub include: Vec<Vec<(String, String)>>,
    pub exclude: Vec<Vec<(String, String)>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Axis {
    pub name: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvVar {
    pub name: String,
    pub value: EnvValue,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvValue {
    Text(Text),
    Secret(SecretRef),
}

/// A container image the pipeline builds.
#[derive(Debug, Clone, Serialize)]
pub struct Image {
    pub id: ImageId,
    pub name: String,
    #[serde(skip)]
    pub span: Span,
    pub pipeline: PipelineId,
    /// The job that builds it.
    pub job: JobId,
    pub dockerfile: String,
    pub context: String,
    /// The multi-stage build target, if not the last stage.
    pub target: Option<String>,
    pub build_args: Vec<(String, Text)>,
    pub platforms: Vec<String>,
}

impl Image {
    /// The archive the build job hands to later jobs.
    pub fn archive(&self) -> String {
        format!("{}.tar", self.name)
    }

    /// The tag the image has inside the pipeline before it is published.
    pub fn local_ref(&self) -> String {
        format!("{}:ci", self.name)
    }
}

/// Where and how an image is pushed.
#[derive(Debug, Clone, Serialize)]
pub struct Publish {
    pub id: PublishId,
    pub image: ImageId,
    #[serde(skip)]
    pub span: Span,
    pub registry: Registry,
    /// Pushes happen only when this holds.
    pub when: Cond,
    pub tags: Vec<TagRule>,
    /// The job that pushes.
    pub job: JobId,
    /// Whether builds share a layer cache kept in the registry.
    pub layer_cache: bool,
}

impl Publish {
    /// The full image name without tag: `ghcr.io/acme/api`.
    pub fn image_name(&self) -> String {
        self.registry.image_name()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Registry {
    pub kind: RegistryKind,
    /// `ghcr.io`, `docker.io`, `registry.example.com`; empty for GitLab's own
    /// registry, whose address is known only in the pipeline.
    pub host: String,
    /// `acme/api`; empty for GitLab's own registry (the project's path).
    pub repository: String,
    pub username: Option<Credential>,
    pub password: Option<Credential>,
}

impl Registry {
    pub fn image_name(&self) -> String {
        match self.kind {
            RegistryKind::DockerHub => format!("docker.io/{}", self.repository),
            _ if self.host.is_empty() => self.repository.clone(),
            _ => format!("{}/{}", self.host, self.repository),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistryKind {
    Ghcr,
    DockerHub,
    /// The GitLab project's container registry.
    GitLab,
    Other,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Credential {
    Literal(String),
    Secret(SecretRef),
}

/// One tag pushed for an image, when `when` holds (in addition to the publish
/// condition).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TagRule {
    pub kind: TagKind,
    pub when: Cond,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TagKind {
    /// `sha-<short sha>`
    Sha,
    /// The branch name (branch runs only).
    Branch,
    /// `<branch>-<short sha>` (branch runs only).
    BranchSha,
    /// From a SemVer git tag `vX.Y.Z`: `X.Y.Z`, `X.Y` and `X` (tag runs only).
    Semver,
    /// The git tag as is (tag runs only).
    GitTag,
    /// `latest`.
    Latest,
    /// A fixed tag.
    Literal(String),
}

impl TagKind {
    /// Tags that always name the same image: safe to deploy.
    pub fn is_immutable(&self) -> bool {
        matches!(
            self,
            TagKind::Sha | TagKind::BranchSha | TagKind::Semver | TagKind::GitTag
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Development,
    Testing,
    Staging,
    Production,
    Other,
}

impl Tier {
    pub const ALL: [(&'static str, Tier); 5] = [
        ("development", Tier::Development),
        ("testing", Tier::Testing),
        ("staging", Tier::Staging),
        ("production", Tier::Production),
        ("other", Tier::Other),
    ];

    pub fn name(self) -> &'static str {
        Tier::ALL
            .iter()
            .find(|(_, t)| *t == self)
            .map_or("other", |(n, _)| n)
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
    /// The Git revision Argo CD follows for this environment; `None` means the
    /// GitOps branch.
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
    /// Notification service, e.g. `slack`.
    pub service: String,
    /// Channel or recipient.
    pub recipient: String,
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
}

#[derive(Debug, Clone, Serialize)]
pub struct Metrics {
    pub port: u16,
    pub path: String,
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
    #[serde(skip)]
    pub span: Span,
}

/// The program's delivery policy, for the lint rules.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Policy {
    pub min_coverage: Option<Setting<Percent>>,
    pub prod_approvals: Option<Setting<u32>>,
    pub max_duration: Option<Setting<Duration>>,
    pub rules: Vec<RuleSetting>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Setting<T> {
    pub value: T,
    #[serde(skip)]
    pub span: Span,
}

/// `rule PIPE104 warning` / `rule PIPE104 off`.
#[derive(Debug, Clone, Serialize)]
pub struct RuleSetting {
    pub rule: String,
    pub level: RuleLevel,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleLevel {
    Off,
    Note,
    Warning,
    Error,
}

/// `@allow(PIPE104, "reason")` on a statement.
#[derive(Debug, Clone, Serialize)]
pub struct Suppression {
    pub rule: String,
    pub reason: String,
    /// The attribute.
    #[serde(skip)]
    pub span: Span,
    /// The statement it applies to.
    #[serde(skip)]
    pub target: Span,
}
