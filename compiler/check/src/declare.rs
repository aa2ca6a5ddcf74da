//! The first pass: every top-level name and every job and image name, so that
//! statements can refer to things declared later.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use pipec_diagnostics::{Diagnostic, Span, code};
use pipec_syntax::ast::{Stmt, StmtKind};

use crate::Checker;
use crate::stmt::{Vocabulary, block_stmts};

pub(crate) const TOP_LEVEL: Vocabulary = Vocabulary {
    context: "a file",
    heads: &[
        "use",
        "pipeline",
        "template",
        "environment",
        "service",
        "worker",
        "cronjob",
        "policy",
        "gitops",
    ],
};

/// Where a statement is: (program file, path of statement indices).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct At {
    pub file: usize,
    pub index: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct Decl {
    pub name: String,
    pub span: Span,
    pub at: At,
}

/// Names declared inside one pipeline.
#[derive(Debug, Clone, Default)]
pub(crate) struct PipelineNames {
    pub jobs: Vec<(String, Span)>,
    pub images: Vec<(String, Span)>,
}

#[derive(Default)]
pub(crate) struct Decls {
    pub pipelines: Vec<Decl>,
    pub pipeline_names: Vec<PipelineNames>,
    pub environments: Vec<Decl>,
    pub services: Vec<Decl>,
    /// Templates of the program's own files.
    pub templates: Vec<Decl>,
    pub policy: Vec<At>,
    pub gitops: Vec<At>,
    /// Every image name, listed once when first asked for (after
    /// declaration, by the services): each service
    /// looks its image up in it, and one list per service made lowering
    /// quadratic in the number of services.
    image_names: std::cell::OnceCell<Vec<String>>,
}

impl Decls {
    /// Every image name of the program (the pipelines' `image` statements),
    /// in declaration order.
    pub fn image_names(&self) -> &[String] {
        self.image_names.get_or_init(|| {
            self.pipeline_names
                .iter()
                .flat_map(|p| p.images.iter().map(|(n, _)| n.clone()))
                .collect()
        })
    }

    pub fn environment_names(&self) -> Vec<String> {
        self.environments.iter().map(|d| d.name.clone()).collect()
    }
}

impl Checker<'_> {
    pub(crate) fn declare(&mut self) -> Decls {
        let mut d = Decls::default();
        // The first declaration of each name, by namespace: a scan of the
        // declarations so far for each new one was quadratic.
        let mut first: HashMap<(&'static str, String), Span> = HashMap::new();
        let files = std::mem::take(&mut self.files);
        for (fi, f) in files.iter().enumerate() {
            // After `environment dev` with no `{`, the statements of its block
            // stand at the top level; they are not each reported.
            let mut headless = false;
            for (i, stmt) in f.file.stmts.iter().enumerate() {
                let at = At { file: fi, index: i };
                let known = stmt
                    .generic()
                    .is_none_or(|g| TOP_LEVEL.heads.contains(&g.head.name.as_str()));
                if headless && !known {
                    self.unparsed.push(stmt.span);
                    continue;
                }
                headless = stmt.generic().is_some_and(|g| {
                    g.block.is_none()
                        && matches!(
                            g.head.name.as_str(),
                            "pipeline"
                                | "environment"
                                | "service"
                                | "worker"
                                | "cronjob"
                                | "gitops"
                                | "policy"
                        )
                });
                match &stmt.kind {
                    StmtKind::Template(t) => {
                        let decl = Decl {
                            name: t.name.name.clone(),
                            span: t.name.span,
                            at,
                        };
                        self.unique(&mut first, "template", &decl, "template");
                        d.templates.push(decl);
                    }
                    StmtKind::Dispatch(_) => self.unknown_statement(stmt, &TOP_LEVEL),
                    StmtKind::Generic(g) => match g.head.name.as_str() {
                        "use" => {}
                        // Workers and CronJobs are services without a port:
                        // one namespace, as they name Kubernetes objects.
                        "pipeline" | "environment" | "service" | "worker" | "cronjob" => {
                            let Some(decl) = self.named_block(stmt, at) else {
                                continue;
                            };
                            let namespace = match g.head.name.as_str() {
                                "pipeline" => "pipeline",
                                "environment" => "environment",
                                _ => "service",
                            };
                            let kind = g.head.name.clone();
                            if self.unique(&mut first, namespace, &decl, &kind) {
                                if kind == "pipeline" {
                                    d.pipeline_names.push(self.pipeline_names(stmt));
                                }
                                let list = match kind.as_str() {
                                    "pipeline" => &mut d.pipelines,
                                    "environment" => &mut d.environments,
                                    _ => &mut d.services,
                                };
                                list.push(decl);
                            }
                        }
                        "policy" | "gitops" => {
                            let list = if g.head.name == "policy" {
                                &mut d.policy
                            } else {
                                &mut d.gitops
                            };
                            if let Some(first) = list.first() {
                                let first_span =
                                    files[first.file].file.stmts[first.index].head_span();
                                self.diags.push(
                                    Diagnostic::new(
                                        code::DUPLICATE_DEFINITION,
                                        g.head.span,
                                        format!("a second `{}` block", g.head.name),
                                    )
                                    .label("second block")
                                    .secondary(first_span, "first block")
                                    .help("a program has one; merge them"),
                                );
                            } else {
                                list.push(at);
                            }
                        }
                        "job" | "image" | "publish" | "on" | "env" => {
                            self.unparsed.push(stmt.span);
                            self.diags.push(
                                Diagnostic::new(
                                    code::UNKNOWN_STATEMENT,
                                    g.head.span,
                                    format!("`{}` is not allowed in a file", g.head.name),
                                )
                                .label("belongs in a pipeline")
                                .help("write it inside `pipeline NAME { … }`; if it is, a `}` above closes the pipeline too early"),
                            );
                        }
                        _ => self.unknown_statement(stmt, &TOP_LEVEL),
                    },
                }
            }
        }
        self.files = files;
        // Images are one namespace across pipelines: services refer to them.
        let mut all: HashMap<&str, Span> = HashMap::new();
        for p in &d.pipeline_names {
            for (name, span) in &p.images {
                match all.get(name.as_str()) {
                    Some(first) => self.duplicate(name, "image", *span, *first),
                    None => {
                        all.insert(name, *span);
                    }
                }
            }
        }
        d
    }

    /// `KIND NAME { … }`: the name, checked for use in generated file names.
    fn named_block(&mut self, stmt: &Stmt, at: At) -> Option<Decl> {
        let g = stmt.generic()?;
        let shape = match g.head.name.as_str() {
            "pipeline" => "pipeline NAME { … }",
            "environment" => "environment NAME { … }",
            "worker" => "worker NAME { … }",
            "cronjob" => "cronjob NAME { … }",
            _ => "service NAME { … }",
        };
        let (Some(name), 1, Some(_)) = (
            g.args.first().and_then(|a| a.as_ident()),
            g.args.len(),
            &g.block,
        ) else {
            self.diags
                .push(crate::stmt::malformed(stmt.signature_span(), shape));
            return None;
        };
        let span = g.args[0].span;
        if g.head.name != "pipeline" && !is_resource_name(name) {
            self.diags.push(
                Diagnostic::new(
                    code::INVALID_NAME,
                    span,
                    format!("`{name}` cannot name a Kubernetes resource"),
                )
                .label("invalid name")
                .help("use lowercase letters, digits and `_` (written `-` in Kubernetes), at most 40 characters, starting with a letter"),
            );
        }
        Some(Decl {
            name: name.to_string(),
            span,
            at,
        })
    }

    fn pipeline_names(&mut self, stmt: &Stmt) -> PipelineNames {
        let mut names = PipelineNames::default();
        let Some(g) = stmt.generic() else {
            return names;
        };
        for s in block_stmts(&g.block) {
            let Some(g) = s.generic() else { continue };
            let list = match g.head.name.as_str() {
                "job" => &mut names.jobs,
                "image" => &mut names.images,
                _ => continue,
            };
            let Some(name) = g.args.first().and_then(|a| a.as_ident()) else {
                continue;
            };
            let span = g.args[0].span;
            if let Some((_, first)) = list.iter().find(|(n, _)| n == name) {
                let kind = g.head.name.clone();
                self.duplicate(name, &kind, span, *first);
                continue;
            }
            list.push((name.to_string(), span));
        }
        // Jobs and images share the namespace `after` refers to.
        for (name, span) in &names.images {
            if let Some((_, first)) = names.jobs.iter().find(|(n, _)| n == name) {
                self.duplicate(name, "job or image", *span, *first);
            }
        }
        names
    }

    /// Whether `decl` is the first of its name in `namespace`; a second is
    /// reported.
    fn unique(
        &mut self,
        first: &mut HashMap<(&'static str, String), Span>,
        namespace: &'static str,
        decl: &Decl,
        kind: &str,
    ) -> bool {
        match first.entry((namespace, decl.name.clone())) {
            Entry::Occupied(at) => {
                self.duplicate(&decl.name, kind, decl.span, *at.get());
                false
            }
            Entry::Vacant(slot) => {
                slot.insert(decl.span);
                true
            }
        }
    }

    pub(crate) fn duplicate(&mut self, name: &str, kind: &str, span: Span, first: Span) {
        self.diags.push(
            Diagnostic::new(
                code::DUPLICATE_DEFINITION,
                span,
                format!("{kind} `{name}` is defined twice"),
            )
            .label("second definition")
            .secondary(first, "first defined here")
            .help("rename one of them"),
        );
    }
}

/// Lowercase, starting with a letter, short enough for derived Kubernetes names.
pub fn is_resource_name(name: &str) -> bool {
    name.len() <= 40
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.ends_with('_')
}
