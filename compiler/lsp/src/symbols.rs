//! What a program declares, read from its syntax trees: pipelines and their
//! jobs, images, publish rules and dispatch inputs; environments, services,
//! templates and their parameters, imports, `gitops` and `policy`.
//!
//! The checker's index says what each name it resolved refers to by kind
//! and name (or by the declaration's span); this table is where those
//! declarations are, for go to definition, references, rename and the
//! outline of a document.

use std::collections::HashMap;

use pipec_diagnostics::{SourceId, Span};
use pipec_syntax::ast::{ExprKind, File, Param, Stmt, StmtKind};

/// What a declaration declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DefKind {
    Pipeline,
    Job,
    Image,
    /// A publish rule: a job named `publish_IMAGE` or by its `as NAME`.
    Publish,
    Input,
    Environment,
    Service,
    Template,
    Parameter,
    /// An import's alias.
    Module,
    Gitops,
    Policy,
}

impl DefKind {
    pub fn word(self) -> &'static str {
        match self {
            DefKind::Pipeline => "pipeline",
            DefKind::Job => "job",
            DefKind::Image => "image",
            DefKind::Publish => "publish rule",
            DefKind::Input => "dispatch input",
            DefKind::Environment => "environment",
            DefKind::Service => "service",
            DefKind::Template => "template",
            DefKind::Parameter => "parameter",
            DefKind::Module => "module",
            DefKind::Gitops => "gitops",
            DefKind::Policy => "policy",
        }
    }
}

/// One declaration.
#[derive(Debug, Clone)]
pub struct Definition {
    pub kind: DefKind,
    pub name: String,
    /// Where the name is written.
    pub name_span: Span,
    /// The whole statement.
    pub span: Span,
    /// The statement without its block: what hover shows of it.
    pub signature: Span,
    /// The declaration it is part of: the pipeline of a job, the template of
    /// a parameter.
    pub container: Option<usize>,
    /// Whether the name is written as such, so that renaming it renames the
    /// declaration (a publish rule without `as` has a derived name).
    pub written: bool,
}

/// Every declaration of the files of a check.
#[derive(Default)]
pub struct Definitions {
    pub all: Vec<Definition>,
    by_name: HashMap<(DefKind, String), Vec<usize>>,
}

impl Definitions {
    /// Collects the declarations of each file.
    pub fn collect<'a>(files: impl IntoIterator<Item = &'a File>) -> Definitions {
        let mut d = Definitions::default();
        for f in files {
            for s in &f.stmts {
                d.top_level(s);
            }
        }
        for (i, def) in d.all.iter().enumerate() {
            d.by_name
                .entry((def.kind, def.name.clone()))
                .or_default()
                .push(i);
        }
        d
    }

    /// The declarations of `kind` named `name`.
    pub fn named(&self, kind: DefKind, name: &str) -> impl Iterator<Item = usize> + '_ {
        self.by_name
            .get(&(kind, name.to_string()))
            .into_iter()
            .flatten()
            .copied()
    }

    /// The innermost declaration of `kind` whose statement holds `span`.
    pub fn around(&self, kind: DefKind, span: Span) -> Option<usize> {
        self.all
            .iter()
            .enumerate()
            .filter(|(_, d)| d.kind == kind && contains(d.span, span))
            .min_by_key(|(_, d)| d.span.len())
            .map(|(i, _)| i)
    }

    /// The declarations of one file, in order.
    pub fn of_source(&self, source: SourceId) -> impl Iterator<Item = (usize, &Definition)> {
        self.all
            .iter()
            .enumerate()
            .filter(move |(_, d)| d.span.source == source)
    }

    fn push(
        &mut self,
        kind: DefKind,
        name: &str,
        name_span: Span,
        span: Span,
        container: Option<usize>,
    ) -> usize {
        self.all.push(Definition {
            kind,
            name: name.to_string(),
            name_span,
            span,
            signature: span,
            container,
            written: true,
        });
        self.all.len() - 1
    }

    fn top_level(&mut self, s: &Stmt) {
        match &s.kind {
            StmtKind::Template(t) => {
                let at = self.push(DefKind::Template, &t.name.name, t.name.span, s.span, None);
                self.all[at].signature = Span {
                    end: t.body.span.start,
                    ..s.span
                };
                self.params(&t.params, DefKind::Parameter, at);
            }
            StmtKind::Dispatch(_) => {}
            StmtKind::Generic(g) => {
                let kind = match g.head.name.as_str() {
                    "pipeline" => DefKind::Pipeline,
                    "environment" => DefKind::Environment,
                    "service" | "worker" | "cronjob" => DefKind::Service,
                    "gitops" => DefKind::Gitops,
                    "policy" => DefKind::Policy,
                    "use" => {
                        self.import(s);
                        return;
                    }
                    _ => return,
                };
                if matches!(kind, DefKind::Gitops | DefKind::Policy) {
                    self.push(kind, &g.head.name, g.head.span, s.span, None);
                    return;
                }
                let Some(name) = g.args.first().filter(|a| a.as_ident().is_some()) else {
                    return;
                };
                let at = self.push(kind, name.as_ident().unwrap_or(""), name.span, s.span, None);
                // A pipeline is long; an environment or service is shown whole.
                if kind == DefKind::Pipeline {
                    self.all[at].signature = s.signature_span();
                }
                if kind == DefKind::Pipeline
                    && let Some(b) = &g.block
                {
                    for inner in &b.stmts {
                        self.pipeline_item(inner, at);
                    }
                }
            }
        }
    }

    fn pipeline_item(&mut self, s: &Stmt, pipeline: usize) {
        let g = match &s.kind {
            StmtKind::Dispatch(d) => {
                self.params(&d.inputs, DefKind::Input, pipeline);
                return;
            }
            StmtKind::Generic(g) => g,
            StmtKind::Template(_) => return,
        };
        let first = g.args.first();
        match g.head.name.as_str() {
            "job" | "image" => {
                let Some(name) = first.filter(|a| a.as_ident().is_some()) else {
                    return;
                };
                let kind = if g.head.name == "job" {
                    DefKind::Job
                } else {
                    DefKind::Image
                };
                let n = name.as_ident().unwrap_or("");
                self.push(kind, n, name.span, s.span, Some(pipeline));
            }
            "publish" => {
                let Some(image) = first.and_then(|a| a.as_ident().map(|n| (n, a.span))) else {
                    return;
                };
                // `publish IMAGE to REGISTRY as NAME`
                let named = g
                    .args
                    .windows(2)
                    .find_map(|w| match (&w[0].kind, &w[1].kind) {
                        (ExprKind::Ident(a), ExprKind::Ident(n)) if a == "as" => {
                            Some((n, w[1].span))
                        }
                        _ => None,
                    });
                let at = match named {
                    Some((n, span)) => self.push(DefKind::Publish, n, span, s.span, Some(pipeline)),
                    None => {
                        let name = format!("publish_{}", image.0);
                        let i = self.push(DefKind::Publish, &name, image.1, s.span, Some(pipeline));
                        self.all[i].written = false;
                        i
                    }
                };
                self.all[at].signature = s.span;
            }
            _ => {}
        }
    }

    fn params(&mut self, params: &[Param], kind: DefKind, container: usize) {
        for p in params {
            self.push(kind, &p.name.name, p.name.span, p.span, Some(container));
        }
    }

    /// `use std.NAME [as ALIAS]`, `use "FILE" [as ALIAS]`: the alias the
    /// file's calls use.
    fn import(&mut self, s: &Stmt) {
        let Some(g) = s.generic() else { return };
        let (name, span) = match g.args.as_slice() {
            [_, w, a] if w.as_ident() == Some("as") => match a.as_ident() {
                Some(n) => (n.to_string(), a.span),
                None => return,
            },
            [target] => match (&target.kind, target.as_path()) {
                (_, Some(p)) if p.len() == 2 => (p[1].to_string(), target.span),
                (ExprKind::Str(st), _) => match std::path::Path::new(&st.value).file_stem() {
                    Some(stem) => (stem.to_string_lossy().replace('-', "_"), target.span),
                    None => return,
                },
                _ => return,
            },
            _ => return,
        };
        self.push(DefKind::Module, &name, span, s.span, None);
    }
}

pub fn contains(outer: Span, inner: Span) -> bool {
    outer.source == inner.source && outer.start <= inner.start && inner.end <= outer.end
}
