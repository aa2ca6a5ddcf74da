//! Policy lint for delivery pipelines: the rules of the requirements (approvals,
//! coverage gates, image tags, scans before release, sync policy, promotion
//! order, pinned actions, least privilege, secrets, workload hardening, the
//! time budget) checked on `.pipe` programs and on existing GitHub Actions,
//! GitLab CI, Argo CD and Kubernetes YAML.
//!
//! A [`Session`] takes its inputs, and the work goes in phases:
//! 1. [`yaml`] reads YAML with spans (and reports files that are not YAML);
//! 2. [`facts`] turns each input into the same facts — pipelines, jobs with
//!    roles, run conditions, gates, pushes, scans; Argo CD Applications;
//!    workloads — each with a [`loc::Loc`];
//! 3. every [`rules`] entry that applies runs on the facts ([`rule::Context`])
//!    and reports [`rule::Finding`]s;
//! 4. [`Session::finish`] applies the [`config::Config`] (severities, rules
//!    turned off), turns each finding's location into a span, applies inline
//!    suppressions and reports unused ones, and returns a [`Batch`] that
//!    [`report`] renders for people, as JSON, SARIF or GitHub annotations.
//!
//! Nothing here touches the file system: the driver reads files and hands
//! their text over.

pub mod config;
pub mod facts;
mod flow;
pub mod loc;
pub mod report;
pub mod rule;
pub mod rules;
mod suppress;
pub mod yaml;

#[cfg(test)]
mod tests;

use pipec_diagnostics::{Code, Diagnostic, SourceFile, SourceId, SourceMap, Span};
use pipec_graph::Program;

pub use config::Config;
pub use rule::{Finding, Input, Rule};

use crate::facts::{Coverage, Facts};
use crate::loc::Loc;
use crate::rule::{Context, Findings};
use crate::suppress::Suppression;

/// The inputs of one lint run that share a [`SourceMap`].
pub struct Session {
    pub sources: SourceMap,
    config: Config,
    facts: Facts,
    early: Vec<Finding>,
    suppressions: Vec<Suppression>,
    coverage_config: Vec<Coverage>,
}

/// What a lint run found, ready to render.
pub struct Batch {
    pub sources: SourceMap,
    pub findings: Vec<Reported>,
}

/// A finding (or a compiler diagnostic) with its resolved location.
#[derive(Debug, Clone)]
pub struct Reported {
    pub code: &'static str,
    /// The rule name (`prod-manual-approval`) or the compiler code's summary.
    pub name: &'static str,
    pub diagnostic: Diagnostic,
    /// The symbolic YAML path of the primary location.
    pub path: Option<String>,
}

impl Batch {
    /// Compiler diagnostics of a program that did not check, so that they are
    /// reported in the same formats.
    pub fn from_diagnostics(sources: SourceMap, diags: &[Diagnostic]) -> Batch {
        let findings = diags
            .iter()
            .map(|d| Reported {
                code: d.code.as_str(),
                name: pipec_diagnostics::code::lookup(d.code.as_str()).map_or("", |c| c.summary),
                diagnostic: d.clone(),
                path: None,
            })
            .collect();
        Batch { sources, findings }
    }
}

impl Session {
    pub fn new(sources: SourceMap, config: Config) -> Self {
        Session {
            sources,
            config,
            facts: Facts::default(),
            early: Vec::new(),
            suppressions: Vec::new(),
            coverage_config: Vec::new(),
        }
    }

    /// Adds findings made outside the session (problems of `pipec.toml`,
    /// whose file must be in this session's sources).
    pub fn add_findings(&mut self, findings: Vec<Finding>) {
        self.early.extend(findings);
    }

    /// Adds a checked program whose spans refer to this session's sources.
    /// Its `policy` block adjusts the configuration.
    pub fn add_program(&mut self, program: &Program) {
        let problems = self.config.apply_policy(&program.policy);
        self.early.extend(problems);
        facts::pipe::extract(program, &mut self.facts);
        self.suppressions.extend(suppress::from_program(program));
    }

    /// Adds a YAML file by its display name; returns the inputs found in it
    /// (none when it is neither a pipeline nor a manifest pipec knows).
    pub fn add_yaml(&mut self, name: &str, text: &str) -> Vec<Input> {
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
        let id = self.sources.add(SourceFile::new(name, text, false));
        let (docs, problems) = yaml::read(text, id);
        for p in problems {
            let rule = match p.kind {
                yaml::ProblemKind::Invalid => rules::rule("PIPE001"),
                yaml::ProblemKind::DuplicateKey => rules::rule("PIPE002"),
            };
            let mut f = Finding::new(rule, Loc::Span(p.span), p.message);
            match p.first {
                Some(first) => {
                    f.label("given again here")
                        .secondary(Loc::Span(first), "first given here")
                        .help("remove one of them: tools disagree on which one wins");
                }
                None => {
                    f.label("here");
                }
            }
            self.early.push(f);
        }
        let mut found = Vec::new();
        let kind = file_kind(name, &docs);
        let generated = matches!(
            pipec_emit::header::inspect(text),
            pipec_emit::header::Provenance::Intact { .. }
        );
        let pipelines_before = self.facts.pipelines.len();
        for doc in &docs {
            match kind {
                FileKind::GitHub => {
                    facts::github::extract(
                        id,
                        base_name(name),
                        doc,
                        generated,
                        &self.config,
                        &mut self.facts,
                    );
                    push_once(&mut found, Input::GitHub);
                }
                FileKind::GitLab => {
                    facts::gitlab::extract(id, base_name(name), doc, &self.config, &mut self.facts);
                    push_once(&mut found, Input::GitLab);
                }
                FileKind::Manifests => {
                    if let Some(input) = facts::cluster::kind_of(doc) {
                        facts::cluster::extract(id, doc, &self.config, &mut self.facts);
                        push_once(&mut found, input);
                    } else if facts::helm::is_values_name(name)
                        && facts::helm::extract(id, name, doc, generated, &mut self.facts)
                    {
                        push_once(&mut found, Input::Kubernetes);
                    }
                }
            }
        }
        if generated {
            facts::roles::apply(text, &mut self.facts.pipelines[pipelines_before..]);
        }
        if !found.is_empty() {
            plaintext_tokens(id, &docs, found[0], &mut self.facts);
        }
        let (sups, bad) = suppress::from_yaml(id, text, &docs, generated);
        self.suppressions.extend(sups);
        self.early.extend(bad);
        found
    }

    /// Adds a coverage configuration of the repository (`pyproject.toml`,
    /// `.coveragerc`, `setup.cfg`, `tox.ini`): its `fail_under` is the gate of
    /// jobs that measure coverage without a threshold of their own.
    pub fn add_coverage_config(&mut self, name: &str, text: &str) {
        let Some((offset, value)) = facts::script::fail_under(name, text) else {
            return;
        };
        let id = self.sources.add(SourceFile::new(name, text, false));
        self.coverage_config.push(Coverage {
            min: facts::script::percent(value),
            loc: Loc::Span(Span::new(id, offset, offset + value.len())),
        });
    }

    /// Runs the rules and returns what they found, suppressions applied.
    pub fn finish(mut self) -> Batch {
        if let Some(gate) = self.coverage_config.first() {
            for p in &mut self.facts.pipelines {
                for j in &mut p.jobs {
                    if j.measures_coverage && j.coverage.is_empty() {
                        j.coverage.push(gate.clone());
                    }
                }
            }
        }
        let mut all = std::mem::take(&mut self.early);
        for rule in rules::all() {
            let Some(check) = rule.check else { continue };
            if self.config.level(rule.id, rule.severity).is_none() {
                continue;
            }
            let cx = Context {
                facts: &self.facts,
                config: &self.config,
                rule,
            };
            let mut out = Findings::new(rule);
            check(&cx, &mut out);
            all.extend(out.list);
        }
        let mut resolved: Vec<(Finding, Span)> = all
            .into_iter()
            .map(|f| {
                let span = f.loc.span(&self.sources);
                (f, span)
            })
            .collect();
        resolved = suppress::apply(resolved, &mut self.suppressions);
        for f in suppress::leftovers(&self.suppressions) {
            let span = f.loc.span(&self.sources);
            resolved.push((f, span));
        }
        let mut findings: Vec<Reported> = resolved
            .into_iter()
            .filter_map(|(f, span)| {
                let severity = self.config.level(f.rule.id, f.rule.severity)?;
                let mut d = Diagnostic::new(Code(f.rule.id), span, &f.message)
                    .with_severity(severity)
                    .label(&f.label);
                for (loc, msg) in &f.secondary {
                    d = d.secondary(loc.span(&self.sources), msg);
                }
                if let Some(h) = &f.help {
                    d = d.help(h);
                }
                for n in &f.notes {
                    d = d.note(n);
                }
                Some(Reported {
                    code: f.rule.id,
                    name: f.rule.name,
                    diagnostic: d,
                    path: f.loc.path(),
                })
            })
            .collect();
        findings.sort_by(|a, b| {
            let (sa, sb) = (a.diagnostic.primary_span(), b.diagnostic.primary_span());
            (sa.source, sa.start, sa.end, a.code, &a.diagnostic.message).cmp(&(
                sb.source,
                sb.start,
                sb.end,
                b.code,
                &b.diagnostic.message,
            ))
        });
        findings.dedup_by(|a, b| a.code == b.code && a.diagnostic == b.diagnostic);
        Batch {
            sources: self.sources,
            findings,
        }
    }
}

fn push_once(v: &mut Vec<Input>, i: Input) {
    if !v.contains(&i) {
        v.push(i);
    }
}

fn base_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    GitHub,
    GitLab,
    Manifests,
}

/// What a YAML file is: by its path where that says it, else by its content.
fn file_kind(name: &str, docs: &[yaml::Document]) -> FileKind {
    let path = name.replace('\\', "/");
    let base = base_name(&path);
    if base.ends_with(".gitlab-ci.yml") || base.ends_with(".gitlab-ci.yaml") {
        return FileKind::GitLab;
    }
    if path.contains(".github/workflows/") {
        return FileKind::GitHub;
    }
    if let [doc] = docs {
        let root = &doc.root;
        if root.get("jobs").is_some_and(|j| j.is_map()) && root.get("on").is_some() {
            return FileKind::GitHub;
        }
        if root.get("apiVersion").is_none()
            && root
                .entries()
                .iter()
                .any(|e| e.value.get("script").is_some() || e.value.get("stage").is_some())
        {
            return FileKind::GitLab;
        }
    }
    FileKind::Manifests
}

/// Scalars anywhere in a file that look like a credential (a token format, a
/// private key).
fn plaintext_tokens(file: SourceId, docs: &[yaml::Document], input: Input, facts: &mut Facts) {
    // The path is one stack of borrowed segments, pushed and popped on the
    // way down, and made into a path only for a hit: most files have none,
    // and a path per node was most of this walk.
    enum Step<'a> {
        Key(&'a str),
        Index(usize),
    }
    struct Hit<'a> {
        path: yaml::YamlPath,
        node: &'a yaml::Node,
        key: Option<Span>,
        what: &'static str,
    }
    fn walk<'a>(
        n: &'a yaml::Node,
        key: Option<Span>,
        path: &mut Vec<Step<'a>>,
        out: &mut Vec<Hit<'a>>,
    ) {
        match &n.kind {
            yaml::Kind::Scalar(s, _) => {
                if let Some(what) = pipec_check::looks_secret(s) {
                    let segs = path.iter().map(|s| match s {
                        Step::Key(k) => yaml::Seg::Key((*k).to_string()),
                        Step::Index(i) => yaml::Seg::Index(*i),
                    });
                    out.push(Hit {
                        path: yaml::YamlPath(segs.collect()),
                        node: n,
                        key,
                        what,
                    });
                }
            }
            yaml::Kind::Seq(items) => {
                for (i, it) in items.iter().enumerate() {
                    path.push(Step::Index(i));
                    walk(it, None, path, out);
                    path.pop();
                }
            }
            yaml::Kind::Map(entries) => {
                for e in entries {
                    if let Some(k) = e.key.as_str() {
                        path.push(Step::Key(k));
                        walk(&e.value, Some(e.key.span), path, out);
                        path.pop();
                    }
                }
            }
        }
    }
    for doc in docs {
        let mut hits = Vec::new();
        walk(&doc.root, None, &mut Vec::new(), &mut hits);
        for h in hits {
            facts.plaintext.push(facts::Plaintext {
                input,
                what: format!("this value contains what looks like {}", h.what),
                loc: Loc::found(file, h.path, h.node, h.key),
            });
        }
    }
}
