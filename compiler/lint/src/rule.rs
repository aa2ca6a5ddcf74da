//! What a rule is (its stable id, name, severity and inputs), what it sees
//! ([`Context`]) and what it produces ([`Finding`]).

use pipec_diagnostics::Severity;

use crate::config::Config;
use crate::facts::{
    ArgoApp, ArgoProject, Environment, Facts, Malformed, Pipeline, Plaintext, Workload,
};
use crate::loc::Loc;

/// The kinds of input a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Input {
    /// A `.pipe` program.
    Pipe,
    /// `.github/workflows/*.yml`.
    GitHub,
    /// `.gitlab-ci.yml`.
    GitLab,
    /// Argo CD Applications and AppProjects.
    ArgoCd,
    /// Kubernetes manifests.
    Kubernetes,
}

impl Input {
    pub const ALL: [Input; 5] = [
        Input::Pipe,
        Input::GitHub,
        Input::GitLab,
        Input::ArgoCd,
        Input::Kubernetes,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Input::Pipe => ".pipe programs",
            Input::GitHub => "GitHub Actions workflows",
            Input::GitLab => "GitLab CI",
            Input::ArgoCd => "Argo CD Applications and AppProjects",
            Input::Kubernetes => "Kubernetes manifests",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Input::Pipe => "pipe",
            Input::GitHub => "github",
            Input::GitLab => "gitlab",
            Input::ArgoCd => "argocd",
            Input::Kubernetes => "kubernetes",
        }
    }
}

/// What a rule protects, for presets (`--select security`) and for the
/// order of the output: security findings come before delivery policy so
/// that many policy findings never bury them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// The input files themselves (invalid YAML, suppressions, configuration).
    File,
    /// Supply chain, injection, credentials: applies to every repository.
    Security,
    /// Delivery policy (approvals, gates, tags, rollout, Argo CD): applies to
    /// repositories that deliver with these tools.
    Policy,
}

impl Group {
    pub fn as_str(self) -> &'static str {
        match self {
            Group::File => "file",
            Group::Security => "security",
            Group::Policy => "policy",
        }
    }
}

/// A registered rule. The doc comment of its file is its long explanation.
pub struct Rule {
    /// Stable: `PIPE101`.
    pub id: &'static str,
    /// Stable, kebab-case, the file name with `-` for `_`.
    pub name: &'static str,
    /// One line, shown in lists and SARIF.
    pub summary: &'static str,
    pub severity: Severity,
    pub group: Group,
    pub inputs: &'static [Input],
    /// `module_path!()` of the rule file, to find its doc comment.
    pub module: &'static str,
    /// Runs the rule on the facts. Rules about the files themselves (invalid
    /// YAML, suppressions) are reported by the engine and have none.
    pub check: Option<fn(&Context, &mut Findings)>,
}

impl Rule {
    pub fn applies_to(&self, input: Input) -> bool {
        self.inputs.contains(&input)
    }
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.id, self.name)
    }
}

/// What a rule sees: the facts of the inputs it applies to, and the
/// configuration.
pub struct Context<'a> {
    pub facts: &'a Facts,
    pub config: &'a Config,
    pub rule: &'static Rule,
}

impl<'a> Context<'a> {
    pub fn pipelines(&self) -> impl Iterator<Item = &'a Pipeline> + '_ {
        self.facts
            .pipelines
            .iter()
            .filter(|p| self.rule.applies_to(p.input))
    }

    /// Environments of `.pipe` programs.
    pub fn environments(&self) -> impl Iterator<Item = &'a Environment> + '_ {
        self.facts
            .environments
            .iter()
            .filter(|_| self.rule.applies_to(crate::rule::Input::Pipe))
    }

    pub fn apps(&self) -> impl Iterator<Item = &'a ArgoApp> + '_ {
        self.facts
            .apps
            .iter()
            .filter(|a| self.rule.applies_to(a.input))
    }

    pub fn projects(&self) -> impl Iterator<Item = &'a ArgoProject> + '_ {
        self.facts
            .projects
            .iter()
            .filter(|_| self.rule.applies_to(Input::ArgoCd))
    }

    pub fn workloads(&self) -> impl Iterator<Item = &'a Workload> + '_ {
        self.facts
            .workloads
            .iter()
            .filter(|w| self.rule.applies_to(w.input))
    }

    /// Argo Rollouts `Rollout`s (Kubernetes manifests).
    pub fn rollouts(&self) -> impl Iterator<Item = &'a crate::facts::RolloutFact> + '_ {
        self.facts
            .rollouts
            .iter()
            .filter(|_| self.rule.applies_to(Input::Kubernetes))
    }

    /// Helm values files that set an image (Kubernetes manifests).
    pub fn helm_values(&self) -> impl Iterator<Item = &'a crate::facts::HelmValues> + '_ {
        self.facts
            .helm_values
            .iter()
            .filter(|_| self.rule.applies_to(Input::Kubernetes))
    }

    /// Whether the files define an AnalysisTemplate (or a cluster one) of this name.
    pub fn defines_analysis_template(&self, name: &str) -> bool {
        self.facts.analysis_templates.iter().any(|t| t == name)
    }

    pub fn plaintext(&self) -> impl Iterator<Item = &'a Plaintext> + '_ {
        self.facts
            .plaintext
            .iter()
            .filter(|p| self.rule.applies_to(p.input))
    }

    pub fn malformed(&self) -> impl Iterator<Item = &'a Malformed> + '_ {
        self.facts
            .malformed
            .iter()
            .filter(|m| self.rule.applies_to(m.input))
    }
}

/// One problem a rule found. It cannot exist without a primary location.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static Rule,
    pub loc: Loc,
    pub message: String,
    pub label: String,
    pub secondary: Vec<(Loc, String)>,
    pub help: Option<String>,
    pub notes: Vec<String>,
}

impl Finding {
    pub fn new(rule: &'static Rule, loc: Loc, message: impl Into<String>) -> Self {
        Finding {
            rule,
            loc,
            message: message.into(),
            label: String::new(),
            secondary: Vec::new(),
            help: None,
            notes: Vec::new(),
        }
    }

    pub fn label(&mut self, l: impl Into<String>) -> &mut Self {
        self.label = l.into();
        self
    }

    pub fn secondary(&mut self, loc: Loc, l: impl Into<String>) -> &mut Self {
        self.secondary.push((loc, l.into()));
        self
    }

    pub fn help(&mut self, h: impl Into<String>) -> &mut Self {
        self.help = Some(h.into());
        self
    }

    pub fn note(&mut self, n: impl Into<String>) -> &mut Self {
        self.notes.push(n.into());
        self
    }
}

/// Where a rule puts its findings.
pub struct Findings {
    rule: &'static Rule,
    pub(crate) list: Vec<Finding>,
}

impl Findings {
    pub(crate) fn new(rule: &'static Rule) -> Self {
        Findings {
            rule,
            list: Vec::new(),
        }
    }

    /// Reports a finding at `loc` and returns it to add labels and a hint.
    pub fn report(&mut self, loc: Loc, message: impl Into<String>) -> &mut Finding {
        self.list.push(Finding::new(self.rule, loc, message));
        let last = self.list.len() - 1;
        &mut self.list[last]
    }
}
