//! Jobs: what each one runs, on which runner, when, with which tools,
//! caches, reports and matrix.

use serde::Serialize;

use crate::Span;
use crate::cond::Cond;
use crate::deploy::Deploy;
use crate::program::{EnvId, ImageId, JobId, PublishId};
use crate::value::*;

named! {
    /// What kind of work a job does. Targets name stages after it; lint rules use it
    /// to find the test, scan and deploy jobs.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Role {
        Lint = "lint",
        Format = "format",
        Test = "test",
        Integration = "integration",
        Build = "build",
        ImageScan = "image_scan",
        DependencyAudit = "dependency_audit",
        Sast = "sast",
        SecretScan = "secret_scan",
        Quality = "quality",
        Publish = "publish",
        Deploy = "deploy",
        Notify = "notify",
        Other = "other",
    }
}

impl Role {
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
    /// A self-hosted runner label / GitLab runner tag; may depend on the run
    /// (`{{ matrix.os }}`).
    Label(Text),
    /// One of the hosted runners above in each instance of the job's matrix:
    /// the value of this axis, which is `ubuntu`, `ubuntu_arm`, `macos` or
    /// `windows` in every combination (`runs_on "{{ matrix.os }}"`).
    Matrix(String),
}

impl Runner {
    /// The hosted runners, by the word a program names them with.
    pub const HOSTED: [(&'static str, Runner); 4] = [
        ("ubuntu", Runner::Ubuntu),
        ("ubuntu_arm", Runner::UbuntuArm),
        ("macos", Runner::Macos),
        ("windows", Runner::Windows),
    ];

    /// The hosted runner a word names.
    pub fn hosted(word: &str) -> Option<Runner> {
        Self::HOSTED
            .iter()
            .find(|(w, _)| *w == word)
            .map(|(_, r)| r.clone())
    }

    /// The word naming a hosted runner.
    pub fn word(&self) -> Option<&'static str> {
        Self::HOSTED
            .iter()
            .find(|(_, r)| r == self)
            .map(|(w, _)| *w)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Job {
    pub id: JobId,
    /// Unique in the pipeline; letters, digits and `_`.
    pub name: String,
    /// Human title ("Test", "Publish app to ghcr.io/acme/api"), which may
    /// show values of the run ("Test on {{ matrix.os }}").
    pub title: Text,
    /// The `title` statement, when the program gives one.
    #[serde(skip)]
    pub title_span: Option<Span>,
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
    /// The `runs_on` statement, when the program gives one.
    #[serde(skip)]
    pub runner_span: Option<Span>,
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

    /// The runners the job's instances run on: one, or for a
    /// [`Runner::Matrix`] each hosted runner its axis names, in the order
    /// the combinations first name them.
    pub fn runners(&self) -> Vec<Runner> {
        let Runner::Matrix(axis) = &self.runner else {
            return vec![self.runner.clone()];
        };
        let mut out: Vec<Runner> = Vec::new();
        let Some(m) = &self.matrix else {
            return out;
        };
        let values = m
            .axes
            .iter()
            .filter(|a| a.name == *axis)
            .flat_map(|a| a.values.iter())
            .chain(
                m.include
                    .iter()
                    .flatten()
                    .filter(|(k, _)| k == axis)
                    .map(|(_, v)| v),
            );
        for v in values {
            if let Some(r) = Runner::hosted(v)
                && !out.contains(&r)
            {
                out.push(r);
            }
        }
        out
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
    /// The tools set up on the runner: at most one language runtime
    /// ([`Tool::is_runtime`]) and any number of tools installed from pinned
    /// releases.
    pub tools: Vec<Toolchain>,
    /// A container image to run the job in.
    pub container: Option<Text>,
    /// The `container` statement.
    #[serde(skip)]
    pub container_span: Option<Span>,
    pub services: Vec<SideService>,
    pub caches: Vec<Cache>,
    pub steps: Vec<Step>,
    pub artifacts: Vec<Artifact>,
    pub reports: Vec<Report>,
    /// Images built earlier in the pipeline that this job loads.
    pub images: Vec<ImageId>,
    /// Those of `images` the job reads only as their archive file (`load
    /// IMAGE archive`, as image scanners do): not loaded into Docker.
    pub archive_only: Vec<ImageId>,
    /// Whether the job needs the whole git history (gitleaks, versioning).
    pub full_history: bool,
    /// Packages the job publishes after its steps, from a folder the jobs
    /// before it filled (`upload pypi "dist"`).
    pub upload: Option<Box<Upload>>,
    /// The release of the pushed tag, created after the steps (`release`).
    pub release: Option<Box<Release>>,
}

/// `release [FILES] [notes generated|message|"PATH"]`: in a tag run, the
/// forge's release of the pushed tag (a GitHub release, a GitLab release),
/// with the files the jobs before it kept attached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Release {
    /// Paths or glob patterns (`dist/*`), relative to the repository.
    pub files: Vec<String>,
    pub notes: ReleaseNotes,
    #[serde(skip)]
    pub span: Span,
}

/// Where a release's notes come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseNotes {
    /// Written by the forge from the changes since the previous release
    /// (GitHub); the tag's message where the forge writes none (GitLab).
    Generated,
    /// The annotated tag's message.
    Message,
    /// The section of a changelog (Keep a Changelog style) whose heading
    /// names the tag's version: `## [1.2.3] - 2026-01-31`, `## v1.2.3`.
    Changelog(String),
}

/// `upload TO "DIR"`: the packages in `dir` published with the registry's
/// trusted publishing — the registry trusts the CI system's OIDC token for
/// this repository and workflow, so no long-lived token is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Upload {
    pub to: UploadTo,
    pub dir: String,
    #[serde(skip)]
    pub span: Span,
}

named! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum UploadTo {
        /// The sdist and wheels to PyPI.
        Pypi = "pypi",
        /// The package tarballs to npm, with a provenance statement.
        Npm = "npm",
    }
}

impl UploadTo {
    /// The runtime the upload runs on, which its job must set up.
    pub fn requires(self) -> Tool {
        match self {
            UploadTo::Pypi => Tool::Python,
            UploadTo::Npm => Tool::Node,
        }
    }
}

impl RunJob {
    /// The job's language runtime, if it sets one up.
    pub fn runtime(&self) -> Option<&Toolchain> {
        self.tools.iter().find(|t| t.tool.is_runtime())
    }

    /// Whether the job sets up `tool`.
    pub fn has_tool(&self, tool: Tool) -> bool {
        self.tools.iter().any(|t| t.tool == tool)
    }

    /// The coverage threshold this job enforces, if any.
    pub fn coverage_gate(&self) -> Option<Percent> {
        self.reports.iter().find_map(|r| match r.kind {
            ReportKind::Coverage => r.min,
            _ => None,
        })
    }
}

named! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Tool {
        Python = "python",
        Node = "node",
        Go = "go",
        Java = "java",
        Rust = "rust",
        Trivy = "trivy",
        Gitleaks = "gitleaks",
        Kubectl = "kubectl",
        GolangciLint = "golangci_lint",
        CargoLlvmCov = "cargo_llvm_cov",
    }
}

impl Tool {
    /// A language runtime (a job sets up at most one); the others are
    /// single programs installed from pinned release archives.
    pub fn is_runtime(self) -> bool {
        matches!(
            self,
            Tool::Python | Tool::Node | Tool::Go | Tool::Java | Tool::Rust
        )
    }

    /// The runtime a tool works with, which its job must set up too:
    /// golangci-lint type-checks with the Go toolchain, cargo-llvm-cov runs
    /// cargo.
    pub fn requires(self) -> Option<Tool> {
        match self {
            Tool::GolangciLint => Some(Tool::Go),
            Tool::CargoLlvmCov => Some(Tool::Rust),
            _ => None,
        }
    }

    /// The tool's name as people write it.
    pub fn title(self) -> &'static str {
        match self {
            Tool::Python => "Python",
            Tool::Node => "Node.js",
            Tool::Go => "Go",
            Tool::Java => "Java",
            Tool::Rust => "Rust",
            Tool::Trivy => "Trivy",
            Tool::Gitleaks => "Gitleaks",
            Tool::Kubectl => "kubectl",
            Tool::GolangciLint => "golangci-lint",
            Tool::CargoLlvmCov => "cargo-llvm-cov",
        }
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
    pub image: Text,
    pub env: Vec<EnvVar>,
    pub port: Option<u16>,
    /// How the job knows the container is ready before its steps start.
    pub health: Option<HealthCheck>,
    /// The `service` statement.
    #[serde(skip)]
    pub span: Span,
}

/// `health "COMMAND" { interval 5s, retries 10, start 10s, timeout 3s }` of a
/// service container: a command that exits with 0 once the service is ready.
/// GitHub Actions runs it in the service container (Docker's health check)
/// and starts the steps once it is healthy; GitLab CI has no health check for
/// services, so the job's script runs it first, reaching the service by its
/// name, until it succeeds or the retries are spent.
#[derive(Debug, Clone, Serialize)]
pub struct HealthCheck {
    /// Run by a shell.
    pub command: String,
    pub interval: crate::value::Duration,
    /// Failed checks after the start period before the service counts as
    /// unhealthy.
    pub retries: u32,
    /// How long the service may take to start, when failures do not count.
    pub start: crate::value::Duration,
    /// How long one check may take.
    pub timeout: crate::value::Duration,
    /// The `health` statement.
    #[serde(skip)]
    pub span: Span,
}

impl HealthCheck {
    /// The longest the job waits before it gives up.
    pub fn longest_wait(&self) -> crate::value::Duration {
        let per_try = self.interval.seconds + self.timeout.seconds;
        crate::value::Duration {
            seconds: self.start.seconds + per_try * u64::from(self.retries),
        }
    }
}

named! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum CacheKind {
        Pip = "pip",
        Poetry = "poetry",
        Npm = "npm",
        Go = "go",
        Cargo = "cargo",
        Pnpm = "pnpm",
        Yarn = "yarn",
        Gradle = "gradle",
        Maven = "maven",
        CargoTarget = "cargo_target",
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
    pub name: Text,
    pub script: Text,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct Artifact {
    pub paths: Vec<Text>,
    pub expire: Option<Duration>,
    /// The `artifact` statement.
    #[serde(skip)]
    pub span: Span,
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

named! {
    /// The file formats of coverage reports the coverage gate reads.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum CoverageFormat {
        /// Cobertura XML (coverage.py, Istanbul, gcovr …).
        Cobertura = "cobertura",
        /// JaCoCo XML.
        Jacoco = "jacoco",
        /// lcov tracefiles.
        Lcov = "lcov",
        /// `go test -coverprofile` profiles.
        Go = "go",
    }
}

impl CoverageFormat {
    /// The format a report's file name says, if it says one: `*.xml` is
    /// Cobertura unless the name says JaCoCo, `*.info` and `*.lcov` are lcov,
    /// `*.out` and `*.coverprofile` Go profiles.
    pub fn from_path(path: &str) -> Option<CoverageFormat> {
        let name = path
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(path)
            .to_ascii_lowercase();
        let ext = name.rsplit_once('.').map(|(_, e)| e);
        match ext {
            Some("info" | "lcov") => Some(CoverageFormat::Lcov),
            _ if name.contains("lcov") => Some(CoverageFormat::Lcov),
            Some("xml") if path.to_ascii_lowercase().contains("jacoco") => {
                Some(CoverageFormat::Jacoco)
            }
            Some("xml") => Some(CoverageFormat::Cobertura),
            Some("out" | "coverprofile") => Some(CoverageFormat::Go),
            _ => None,
        }
    }

    /// How people call the format, for messages.
    pub fn title(self) -> &'static str {
        match self {
            CoverageFormat::Cobertura => "Cobertura XML",
            CoverageFormat::Jacoco => "JaCoCo XML",
            CoverageFormat::Lcov => "lcov",
            CoverageFormat::Go => "Go cover profile",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub kind: ReportKind,
    pub path: Text,
    /// For coverage: the format of the file (always known for coverage).
    pub format: Option<CoverageFormat>,
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
