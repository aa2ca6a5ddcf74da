//! The facts rules run on: what a pipeline does, seen the same way whether it
//! comes from a `.pipe` program or from existing YAML.
//!
//! Extraction lives beside the model — [`pipe`] (the pipeline graph),
//! [`github`] (workflows), [`gitlab`] (`.gitlab-ci.yml`), [`cluster`] (Argo CD
//! Applications and AppProjects, Kubernetes workloads and Secrets) — with the
//! shared readers of shell scripts ([`script`]), of `${{ }}` and GitLab rule
//! expressions ([`expr`]) and of run conditions ([`when`]). Every fact carries
//! a [`Loc`]: a span in a `.pipe` file or a symbolic YAML path.

mod actions;
pub mod cluster;
pub mod expr;
pub mod github;
pub mod gitlab;
pub mod pipe;
pub mod roles;
pub mod rollouts;
pub mod script;
pub mod tags;
pub mod when;

use pipec_graph::{Duration, Percent, Role, Tier};

use crate::loc::Loc;
use crate::rule::Input;
pub use when::{Run, RunEvent, When};

/// Everything known about the inputs of one lint run.
#[derive(Debug, Default)]
pub struct Facts {
    pub pipelines: Vec<Pipeline>,
    /// Environments declared in a `.pipe` program.
    pub environments: Vec<Environment>,
    pub apps: Vec<ArgoApp>,
    pub projects: Vec<ArgoProject>,
    pub workloads: Vec<Workload>,
    /// Argo Rollouts `Rollout`s.
    pub rollouts: Vec<RolloutFact>,
    /// Names of the `AnalysisTemplate`s and `ClusterAnalysisTemplate`s defined.
    pub analysis_templates: Vec<String>,
    /// Their metrics, by template.
    pub template_metrics: Vec<TemplateMetrics>,
    /// Values that look like credentials written into a file.
    pub plaintext: Vec<Plaintext>,
    /// Places where a file cannot be what it claims to be (a GitLab script
    /// item that YAML reads as a mapping).
    pub malformed: Vec<Malformed>,
}

/// An environment declared in a `.pipe` program, for the promotion chain.
#[derive(Debug)]
pub struct Environment {
    pub name: String,
    pub loc: Loc,
    pub tier: Tier,
    /// The environment (index) it promotes from.
    pub promotes_from: Option<(usize, Loc)>,
    /// Its own `deploy on …`.
    pub trigger: Option<Loc>,
    /// Some service deploys to it.
    pub deployed: bool,
}

/// A CI pipeline: a `.pipe` pipeline, a GitHub workflow or a GitLab CI file.
#[derive(Debug)]
pub struct Pipeline {
    pub input: Input,
    pub name: String,
    pub loc: Loc,
    pub triggers: Vec<Trigger>,
    pub jobs: Vec<Job>,
    /// GitHub: the workflow-level `permissions`.
    pub permissions: Option<Permissions>,
    /// `.pipe`: the estimated critical path of CI, when durations are declared.
    pub estimate: Option<Estimate>,
    /// `.pipe`: from a push until each environment deployed without approval
    /// runs it.
    pub deploy_estimates: Vec<DeployEstimate>,
}

#[derive(Debug)]
pub struct Estimate {
    pub total: Duration,
    /// Job indices, in order.
    pub jobs: Vec<usize>,
}

#[derive(Debug)]
pub struct DeployEstimate {
    pub env: String,
    pub total: Duration,
    /// What the cluster takes after the deployment job (Argo CD's sync).
    pub after_ci: Duration,
    /// Job indices up to the deployment job, in order.
    pub jobs: Vec<usize>,
}

/// A push of commits and a push of tags are separate triggers here.
#[derive(Debug, Clone)]
pub struct Trigger {
    pub event: RunEvent,
    /// Branch filters (push, pull request base); empty means every branch.
    pub branches: Vec<Pattern>,
    /// Branch names excluded (`branches-ignore`).
    pub branches_ignore: Vec<Pattern>,
    /// Tag filters of a tag or release trigger; `None` means every tag.
    pub tags: Option<Vec<Pattern>>,
    pub loc: Loc,
}

/// A branch or tag pattern: a glob (`release/*`) or, in GitLab, a regex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    Glob(pipec_graph::Glob),
    Regex(String),
}

impl Pattern {
    pub fn matches(&self, name: &str) -> Option<bool> {
        match self {
            Pattern::Glob(g) => Some(g.matches(name)),
            Pattern::Regex(r) => regex_lite::Regex::new(r).ok().map(|re| re.is_match(name)),
        }
    }

    /// A name the pattern matches, to sample runs with.
    pub fn example(&self) -> Option<String> {
        match self {
            Pattern::Glob(g) => Some(g.example()),
            Pattern::Regex(r) => {
                let re = regex_lite::Regex::new(r).ok()?;
                let prefix: String = r
                    .trim_start_matches('^')
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_'))
                    .collect();
                // A name the expression accepts: common release and branch
                // names, then its literal prefix.
                ["v1.2.3", "1.2.3", "release/1.2", "main", "develop"]
                    .iter()
                    .map(|s| s.to_string())
                    .chain([
                        prefix.clone(),
                        format!("{prefix}1.2.3"),
                        format!("{prefix}x"),
                    ])
                    .find(|s| !s.is_empty() && re.is_match(s))
            }
        }
    }
}

/// One job of a pipeline.
#[derive(Debug)]
pub struct Job {
    pub name: String,
    pub loc: Loc,
    pub roles: Vec<Role>,
    /// Jobs (indices) this one waits for directly.
    pub needs: Vec<usize>,
    /// When the job runs.
    pub when: When,
    /// When the job waits for a person (GitLab `when: manual`).
    pub manual: When,
    pub manual_loc: Option<Loc>,
    /// The environment the job deploys to.
    pub deploy: Option<DeployTarget>,
    /// GitHub: a job that does nothing but wait in an environment for its
    /// reviewers (one approval before a deployment).
    pub approval_gate: Option<String>,
    /// Where a failure of this job does not stop the pipeline.
    pub allow_failure: Option<Loc>,
    pub coverage: Vec<Coverage>,
    /// Unit-test commands, for "tests run without a coverage threshold".
    pub tests: Vec<Loc>,
    /// The job measures coverage (`pytest --cov`, `coverage run`), so a
    /// `fail_under` in the repository's coverage configuration applies.
    pub measures_coverage: bool,
    pub pushes: Vec<Push>,
    /// The job exports a BuildKit layer cache to a registry (`cache-to:
    /// type=registry`): it writes packages, but publishes no image.
    pub writes_registry_cache: bool,
    pub scans: Vec<Scan>,
    pub scripts: Vec<Script>,
    pub actions: Vec<ActionUse>,
    pub permissions: Option<Permissions>,
    pub checkouts: Vec<Checkout>,
    pub secrets_inherit: Option<Loc>,
    pub caches: Vec<Loc>,
    /// The job pushes git commits (a GitOps update) and needs its credentials.
    pub pushes_commits: bool,
    /// Step index of the deployment command, for ordering within the job.
    pub deploy_step: Option<usize>,
    /// Images (with their tags) the deployment commands roll out.
    pub deployed: Vec<Deployed>,
    /// Container images the job runs in or beside (GitHub `container:` and
    /// `services:`), as written.
    pub images: Vec<(String, Loc)>,
    /// `if:` conditions of the job and its steps, as written.
    pub conditions: Vec<(String, Loc)>,
}

impl Job {
    pub fn new(name: impl Into<String>, loc: Loc) -> Self {
        Job {
            name: name.into(),
            loc,
            roles: Vec::new(),
            needs: Vec::new(),
            when: When::Always,
            manual: When::Never,
            manual_loc: None,
            deploy: None,
            approval_gate: None,
            allow_failure: None,
            coverage: Vec::new(),
            tests: Vec::new(),
            measures_coverage: false,
            pushes: Vec::new(),
            writes_registry_cache: false,
            scans: Vec::new(),
            scripts: Vec::new(),
            actions: Vec::new(),
            permissions: None,
            checkouts: Vec::new(),
            secrets_inherit: None,
            caches: Vec::new(),
            pushes_commits: false,
            deploy_step: None,
            deployed: Vec::new(),
            images: Vec::new(),
            conditions: Vec::new(),
        }
    }

    pub fn has_role(&self, r: Role) -> bool {
        self.roles.contains(&r)
    }

    pub fn add_role(&mut self, r: Role) {
        if !self.roles.contains(&r) {
            self.roles.push(r);
        }
    }

    /// What a declared role says beyond the job's commands: a security role
    /// is that scan (blocking unless failures are allowed), `test` runs unit
    /// tests, `integration` runs none. `.pipe` programs and the role comments
    /// of generated YAML both declare roles through here.
    pub fn declare_role(&mut self, role: Role, loc: &Loc) {
        self.add_role(role);
        if role.is_security() && !self.scans.iter().any(|s| s.role == role) {
            self.scans.push(Scan {
                role,
                tool: self.name.clone(),
                blocking: self.allow_failure.is_none(),
                loc: loc.clone(),
                step: 0,
            });
        }
        match role {
            Role::Test if self.tests.is_empty() => self.tests.push(loc.clone()),
            Role::Integration => {
                self.tests.clear();
                self.roles.retain(|r| *r != Role::Test);
            }
            _ => {}
        }
    }

    /// Publishes or deploys: what security scans must come before.
    /// Whether the job publishes an image or deploys. A GitHub environment
    /// alone (`pypi`, `release`) guards publishing, not a deployment.
    pub fn releases(&self) -> bool {
        !self.pushes.is_empty()
            || self
                .deploy
                .as_ref()
                .is_some_and(|d| !d.github_environment || self.has_role(Role::Deploy))
    }
}

#[derive(Debug, Clone)]
pub struct DeployTarget {
    pub name: String,
    pub tier: Tier,
    pub loc: Loc,
    /// People who must approve, when the input shows or declares it.
    pub approvals: Option<u32>,
    /// GitHub: the job runs in an `environment:` (whose protection rules live
    /// in repository settings).
    pub github_environment: bool,
}

#[derive(Debug, Clone)]
pub struct Coverage {
    /// `None` when the threshold is computed at run time.
    pub min: Option<Percent>,
    pub loc: Loc,
}

/// An image push, with the tags it pushes.
#[derive(Debug, Clone)]
pub struct Push {
    pub image: Option<String>,
    pub tags: Vec<PushedTag>,
    pub when: When,
    pub loc: Loc,
    pub step: usize,
}

#[derive(Debug, Clone)]
pub struct PushedTag {
    pub tag: Tag,
    pub when: When,
    pub loc: Loc,
    /// The image name it is pushed under, when known.
    pub image: Option<String>,
    /// The tag as a template, when the linter can follow it.
    pub template: Option<Vec<tags::TagPart>>,
}

/// An image reference a deployment command rolls out.
#[derive(Debug, Clone)]
pub struct Deployed {
    pub image: String,
    pub template: Option<Vec<tags::TagPart>>,
    pub loc: Loc,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tag {
    Latest,
    /// Names a commit: immutable.
    Sha,
    Branch,
    Version,
    Literal(String),
    /// Computed at run time in a way the linter does not follow.
    Unknown,
}

/// A security or quality scan.
#[derive(Debug, Clone)]
pub struct Scan {
    pub role: Role,
    pub tool: String,
    /// False when the scan cannot fail the pipeline (no exit code, `|| true`,
    /// `continue-on-error`).
    pub blocking: bool,
    pub loc: Loc,
    pub step: usize,
}

/// A shell script (a GitHub `run:`, a GitLab script line, a `.pipe` step).
#[derive(Debug, Clone)]
pub struct Script {
    pub text: String,
    pub loc: Loc,
    /// GitHub: the values of `env:` visible to the step, for following
    /// `${{ env.X }}` back to what X holds.
    pub env: Vec<(String, String)>,
    /// A `github-script` script (JavaScript), not shell.
    pub javascript: bool,
}

/// A GitHub `uses:`.
#[derive(Debug, Clone)]
pub struct ActionUse {
    pub uses: String,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct Permissions {
    pub loc: Loc,
    /// `write-all`, `read-all`, or each scope with `read`/`write`/`none`.
    pub all: Option<String>,
    pub scopes: Vec<(String, String, Loc)>,
}

impl Permissions {
    pub fn grants_write(&self) -> bool {
        self.all.as_deref() == Some("write-all") || self.scopes.iter().any(|(_, v, _)| v == "write")
    }
}

/// An `actions/checkout` step.
#[derive(Debug, Clone)]
pub struct Checkout {
    pub loc: Loc,
    /// `persist-credentials: false` was given.
    pub persist: bool,
    /// The `ref:` checked out, if it names the pull request head.
    pub pr_head: Option<Loc>,
    pub step: usize,
}

/// An Argo CD Application.
#[derive(Debug)]
pub struct ArgoApp {
    pub input: Input,
    pub name: String,
    pub loc: Loc,
    pub tier: Tier,
    pub project: Option<(String, Loc)>,
    pub automated: Option<Loc>,
    pub allow_empty: Option<Loc>,
    /// `targetRevision`, or `None` when absent (which means `HEAD`).
    pub revision: Option<(String, Loc)>,
}

/// An Argo CD AppProject.
#[derive(Debug)]
pub struct ArgoProject {
    pub name: String,
    pub loc: Loc,
    /// `'*'` source repositories and destinations.
    pub wildcards: Vec<(String, Loc)>,
}

/// A Kubernetes workload (or a `.pipe` service).
#[derive(Debug)]
pub struct Workload {
    pub input: Input,
    pub kind: String,
    pub name: String,
    pub loc: Loc,
    /// Long-running (Deployment, StatefulSet, DaemonSet): probes and rolling
    /// updates apply.
    pub serving: bool,
    pub containers: Vec<Container>,
    /// Pod-level `runAsNonRoot: true` or a non-zero `runAsUser`.
    pub pod_non_root: bool,
    pub pod_root: Option<Loc>,
    /// The rolling-update strategy allows no unavailable pod.
    pub zero_downtime: bool,
    pub strategy_loc: Option<Loc>,
}

/// An Argo Rollouts `Rollout`.
#[derive(Debug)]
pub struct RolloutFact {
    pub name: String,
    /// From its namespace, else its name.
    pub tier: Tier,
    /// `spec.strategy.canary`, when it rolls out by canary.
    pub canary: Option<Loc>,
    /// The analysis templates it names (background, step, blue-green), each
    /// where it is named.
    pub analyses: Vec<(String, Loc)>,
}

/// The metrics of one `AnalysisTemplate` or `ClusterAnalysisTemplate`.
#[derive(Debug)]
pub struct TemplateMetrics {
    pub template: String,
    pub metrics: Vec<MetricFact>,
}

/// One metric of an analysis template and what it lacks, if anything.
#[derive(Debug)]
pub struct MetricFact {
    pub name: String,
    /// Its `name` (or the metric itself, when it has none).
    pub loc: Loc,
    pub lacks: Option<MetricGap>,
}

/// What keeps a metric from judging the new version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricGap {
    /// No `provider`.
    Provider,
    /// A provider that measures by a query, without one.
    Query { provider: String, key: &'static str },
    /// A query without `successCondition` or `failureCondition`: Argo
    /// Rollouts then counts every measurement as successful.
    Condition,
}

#[derive(Debug)]
pub struct Container {
    pub name: String,
    pub loc: Loc,
    pub init: bool,
    pub liveness: bool,
    pub readiness: bool,
    pub cpu_limit: bool,
    pub memory_limit: bool,
    /// `runAsNonRoot`/`runAsUser` on the container, overriding the pod.
    pub non_root: Option<bool>,
    pub root_loc: Option<Loc>,
}

#[derive(Debug)]
pub struct Plaintext {
    pub input: Input,
    pub what: String,
    pub loc: Loc,
}

#[derive(Debug)]
pub struct Malformed {
    pub input: Input,
    pub message: String,
    pub help: String,
    pub loc: Loc,
}

/// The tier an environment name suggests (`prod-eu` → production).
pub fn tier_of_name(name: &str) -> Tier {
    let mut best = Tier::Other;
    for word in name
        .to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
    {
        let t = match word {
            "dev" | "develop" | "development" => Tier::Development,
            "qa" | "test" | "testing" | "uat" => Tier::Testing,
            "staging" | "stage" | "stg" | "preprod" => Tier::Staging,
            "prod" | "production" | "prd" | "live" => Tier::Production,
            _ => continue,
        };
        // The most critical tier a name mentions wins: `prod-staging-copy`
        // is treated as production.
        if best == Tier::Other || t > best {
            best = t;
        }
    }
    best
}
