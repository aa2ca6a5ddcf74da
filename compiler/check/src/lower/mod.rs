//! The second pass: each statement gets its meaning from its context.
//!
//! One module per context — [`pipeline`] (triggers, jobs, images, publish
//! rules), [`job`] (job bodies, shared by user jobs and templates),
//! [`template`] (calls and expansion), [`environment`], [`notify`] (Argo CD
//! notifications), [`service`] (with workers and CronJobs), [`health`]
//! (service containers' health checks) and [`settings`] (policy and GitOps)
//! — plus the value helpers they share here.

mod environment;
mod health;
mod image;
mod job;
mod notify;
mod pipeline;
mod publish;
mod release;
mod run_job;
mod service;
mod settings;
mod template;
mod triggers;
mod upload;

/// Every block kind's statement heads, as the checker enforces them.
pub(crate) fn vocabularies() -> Vec<(&'static str, &'static [&'static str])> {
    vec![
        (
            crate::declare::TOP_LEVEL.context,
            crate::declare::TOP_LEVEL.heads,
        ),
        (pipeline::V.context, pipeline::V.heads),
        ("a job", job::JOB_HEADS),
        ("an image", job::IMAGE_HEADS),
        ("a publish rule", job::PUBLISH_HEADS),
        (run_job::SIDE_SERVICE.context, run_job::SIDE_SERVICE.heads),
        (environment::V.context, environment::V.heads),
        (service::V.context, service::V.heads),
        (
            service::workload::WORKER.context,
            service::workload::WORKER.heads,
        ),
        (
            service::workload::CRONJOB.context,
            service::workload::CRONJOB.heads,
        ),
        (settings::GITOPS.context, settings::GITOPS.heads),
        (settings::POLICY.context, settings::POLICY.heads),
    ]
}

/// Blocks inside a service's statements, listed apart from
/// [`vocabularies`]: what they say is lowered as part of that statement
/// (`rollout`, `alerts`, `metrics`), whose coverage is the statement's.
pub(crate) fn nested_vocabularies() -> Vec<(&'static str, &'static [&'static str])> {
    vec![
        (service::rollout::RV.context, service::rollout::RV.heads),
        (service::rollout::AV.context, service::rollout::AV.heads),
        (service::alerts::AV.context, service::alerts::AV.heads),
        (service::measure::MV.context, service::measure::MV.heads),
    ]
}

pub(crate) use environment::deploy_condition;
pub(crate) use pipeline::PendingEdges;

use pipec_diagnostics::{Diagnostic, Span, code};
use pipec_graph::{Autoscale, EnvValue, EnvVar, Program, Range, Resources, Suppression};
use pipec_syntax::ast::{Attr, Expr, ExprKind, PredicateWord, Stmt, StmtKind};

use crate::Checker;
use crate::declare::Decls;
use crate::eval::Scope;
use crate::load::{Module, ProgramFile};
use crate::stmt::{Args, Vocabulary, block_stmts};
use crate::types::Ty;
use crate::value::Value;

/// The parsed files, held apart from the checker while statements are lowered.
pub(crate) struct World {
    pub files: Vec<ProgramFile>,
    pub modules: Vec<Module>,
}

impl Checker<'_> {
    pub(crate) fn lower(&mut self, decls: &Decls) -> Option<Program> {
        let world = World {
            files: std::mem::take(&mut self.files),
            modules: std::mem::take(&mut self.modules),
        };
        self.check_signatures(&world);
        let mut program = Program::default();
        let release = self.release_patterns(&world, decls);
        for (i, d) in decls.environments.iter().enumerate() {
            let env = self.environment(&world, decls, d, i, &release);
            program.environments.push(env);
        }
        for i in 0..decls.pipelines.len() {
            self.pipeline(&world, decls, i, &mut program);
        }
        for (i, d) in decls.services.iter().enumerate() {
            if let Some(s) = self.service(&world, decls, d, i, &program) {
                program.services.push(s);
            }
        }
        program.gitops = decls
            .gitops
            .first()
            .and_then(|at| self.gitops(&world.files[at.file].file.stmts[at.index]));
        self.unwatched_notifications(&program);
        if let Some(at) = decls.policy.first() {
            program.policy = self.policy(&world.files[at.file].file.stmts[at.index]);
        }
        for f in &world.files {
            for s in &f.file.stmts {
                self.suppressions(s, &mut program.suppressions);
            }
        }
        self.files = world.files;
        self.modules = world.modules;
        // Services referring to unknown images were dropped; renumber.
        for (i, s) in program.services.iter_mut().enumerate() {
            s.id = pipec_graph::ServiceId(i as u32);
        }
        Some(program)
    }

    /// Every `on tag` pattern of every pipeline: what `release` means in an
    /// environment's conditions.
    fn release_patterns(&mut self, world: &World, decls: &Decls) -> Vec<pipec_graph::Glob> {
        let mut out = Vec::new();
        for d in &decls.pipelines {
            let stmt = &world.files[d.at.file].file.stmts[d.at.index];
            let Some(g) = stmt.generic() else { continue };
            for s in block_stmts(&g.block) {
                let Some(g) = s.generic() else { continue };
                if g.head.name == "on"
                    && let [e] = g.args.as_slice()
                    && let ExprKind::Predicate {
                        word: PredicateWord::Tag,
                        operand: Some(o),
                    } = &e.kind
                {
                    if let Some(s) = o.as_str() {
                        out.push(pipec_graph::Glob(s.to_string()));
                    } else if let ExprKind::List(items) = &o.kind {
                        out.extend(
                            items
                                .iter()
                                .filter_map(|i| i.as_str())
                                .map(|s| pipec_graph::Glob(s.to_string())),
                        );
                    }
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// `@allow(RULE, "reason")` attributes, anywhere in the tree.
    fn suppressions(&mut self, stmt: &Stmt, out: &mut Vec<Suppression>) {
        for a in &stmt.attrs {
            if let Some(s) = self.attribute(a, stmt.span) {
                out.push(s);
            }
        }
        let inner: &[Stmt] = match &stmt.kind {
            StmtKind::Generic(g) => block_stmts(&g.block),
            StmtKind::Template(t) => &t.body.stmts,
            StmtKind::Dispatch(_) => &[],
        };
        for s in inner {
            self.suppressions(s, out);
        }
    }

    fn attribute(&mut self, a: &Attr, target: Span) -> Option<Suppression> {
        if a.name.name != "allow" {
            self.diags.push(
                Diagnostic::new(
                    code::UNKNOWN_STATEMENT,
                    a.name.span,
                    format!("unknown attribute `@{}`", a.name.name),
                )
                .label("unknown attribute")
                .help("the only attribute is @allow(RULE, \"reason\")"),
            );
            return None;
        }
        let rule = a.args.first().and_then(|x| x.value.as_ident());
        let reason = a.args.get(1).and_then(|x| x.value.as_str());
        match (rule, reason, a.args.len()) {
            (Some(rule), Some(reason), 2) if !reason.trim().is_empty() => Some(Suppression {
                rule: rule.to_string(),
                reason: reason.to_string(),
                span: a.span,
                target,
            }),
            _ => {
                self.diags.push(
                    Diagnostic::new(
                        code::MALFORMED_STATEMENT,
                        a.span,
                        "a suppression needs a rule and a reason",
                    )
                    .label("expected `@allow(RULE, \"reason\")`")
                    .help("say why the rule does not apply here, e.g. @allow(PIPE104, \"internal image, never deployed\")"),
                );
                None
            }
        }
    }

    /// `resources { cpu 250m..500m, memory 512Mi..1Gi }`
    pub(crate) fn resources(&mut self, stmt: &Stmt, scope: &Scope) -> Option<Resources> {
        const V: Vocabulary = Vocabulary {
            context: "resources",
            heads: &["cpu", "memory"],
        };
        let g = stmt.generic()?;
        let mut r = Resources {
            cpu: None,
            memory: None,
        };
        let mut seen = Vec::new();
        if !g.args.is_empty() || g.block.is_none() {
            self.diags.push(crate::stmt::malformed(
                stmt.signature_span(),
                "resources { cpu REQUEST..LIMIT, memory REQUEST..LIMIT }",
            ));
            return None;
        }
        for s in block_stmts(&g.block) {
            let Some(sg) = s.generic() else {
                self.unknown_statement(s, &V);
                continue;
            };
            let (head, ty) = match sg.head.name.as_str() {
                "cpu" => ("cpu", Ty::Range(Box::new(Ty::Cpu))),
                "memory" => ("memory", Ty::Range(Box::new(Ty::Memory))),
                _ => {
                    self.unknown_statement(s, &V);
                    continue;
                }
            };
            if !self.once(&mut seen, head, sg.head.span) {
                continue;
            }
            let mut args = Args::new(
                s,
                sg,
                if head == "cpu" {
                    "cpu REQUEST..LIMIT"
                } else {
                    "memory REQUEST..LIMIT"
                },
            );
            let Some(e) = args.next() else {
                self.shape(&args);
                continue;
            };
            self.finish(&args);
            if let Some(Value::Range(a, b)) = self.eval(e, &ty, scope) {
                match (*a, *b) {
                    (Value::Cpu(a), Value::Cpu(b)) => r.cpu = Some(Range { min: a, max: b }),
                    (Value::Memory(a), Value::Memory(b)) => {
                        r.memory = Some(Range { min: a, max: b })
                    }
                    _ => {}
                }
            }
        }
        Some(r)
    }

    /// `autoscale { replicas 3..10, cpu 70%, memory 80% }`
    pub(crate) fn autoscale(&mut self, stmt: &Stmt, scope: &Scope) -> Option<Autoscale> {
        const V: Vocabulary = Vocabulary {
            context: "autoscale",
            heads: &["replicas", "cpu", "memory"],
        };
        let g = stmt.generic()?;
        let mut a = Autoscale {
            min: 1,
            max: 1,
            cpu: None,
            memory: None,
        };
        let mut seen = Vec::new();
        let mut replicas = false;
        for s in block_stmts(&g.block) {
            let Some(sg) = s.generic() else {
                self.unknown_statement(s, &V);
                continue;
            };
            let head = sg.head.name.as_str();
            if !V.heads.contains(&head) {
                self.unknown_statement(s, &V);
                continue;
            }
            if !self.once(&mut seen, head, sg.head.span) {
                continue;
            }
            let mut args = Args::new(s, sg, "replicas MIN..MAX | cpu PERCENT | memory PERCENT");
            let Some(e) = args.next() else {
                self.shape(&args);
                continue;
            };
            self.finish(&args);
            match head {
                "replicas" => {
                    if let Some(Value::Range(lo, hi)) =
                        self.eval(e, &Ty::Range(Box::new(Ty::Int)), scope)
                        && let (Value::Int(lo), Value::Int(hi)) = (*lo, *hi)
                        && let (Some(lo), Some(hi)) = (
                            self.count(lo, 1, 1000, e.span),
                            self.count(hi, 1, 1000, e.span),
                        )
                    {
                        a.min = lo;
                        a.max = hi;
                        replicas = true;
                    }
                }
                _ => {
                    if let Some(Value::Percent(p)) = self.eval(e, &Ty::Percent, scope) {
                        if p.hundredths == 0 {
                            self.out_of_range(e.span, "a utilization target above 0%");
                        } else if head == "cpu" {
                            a.cpu = Some(p);
                        } else {
                            a.memory = Some(p);
                        }
                    }
                }
            }
        }
        // A statement that is written but wrong was reported itself.
        let written = |h: &str| seen.iter().any(|(s, _): &(String, Span)| s == h);
        let no_target = a.cpu.is_none() && a.memory.is_none();
        if (!replicas && written("replicas"))
            || (no_target && (written("cpu") || written("memory")))
            || self.in_damaged(stmt.span)
        {
            return None;
        }
        if !replicas {
            self.diags.push(
                Diagnostic::new(
                    code::MISSING_STATEMENT,
                    stmt.signature_span(),
                    "autoscale needs `replicas MIN..MAX`",
                )
                .label("no replica range")
                .help("autoscale { replicas 3..10, cpu 70% }"),
            );
            return None;
        }
        if a.cpu.is_none() && a.memory.is_none() {
            self.diags.push(
                Diagnostic::new(
                    code::MISSING_STATEMENT,
                    stmt.signature_span(),
                    "autoscale needs a CPU or memory target",
                )
                .label("nothing to scale on")
                .help("autoscale { replicas 3..10, cpu 70% }"),
            );
            return None;
        }
        Some(a)
    }

    /// A whole number within bounds.
    pub(crate) fn count(&mut self, n: i64, min: i64, max: i64, span: Span) -> Option<u32> {
        if n < min || n > max {
            self.out_of_range(span, &format!("a number from {min} to {max}"));
            return None;
        }
        u32::try_from(n).ok()
    }

    pub(crate) fn out_of_range(&mut self, span: Span, expected: &str) {
        let value = self.sources.slice(span);
        self.diags.push(
            Diagnostic::new(
                code::OUT_OF_RANGE,
                span,
                format!("`{value}` is out of range"),
            )
            .label(format!("expected {expected}"))
            .help(format!("use {expected}")),
        );
    }

    /// One expression argument and nothing else: `HEAD VALUE`.
    pub(crate) fn single<'e>(&mut self, stmt: &'e Stmt, shape: &'static str) -> Option<&'e Expr> {
        let g = stmt.generic()?;
        let mut args = Args::new(stmt, g, shape);
        let e = args.next();
        if e.is_none() {
            self.shape(&args);
            return None;
        }
        self.finish(&args);
        self.no_block(g, shape);
        e
    }

    /// A record of environment variables: strings or `secret("NAME")`.
    pub(crate) fn env_vars(&mut self, e: &Expr, scope: &Scope) -> Vec<EnvVar> {
        self.env_vars_checked(e, scope, true)
    }

    /// As [`Self::env_vars`]; with `strict` off, variables named like
    /// credentials may hold literals (throw-away passwords of a job's test
    /// database).
    pub(crate) fn env_vars_checked(
        &mut self,
        e: &Expr,
        scope: &Scope,
        strict: bool,
    ) -> Vec<EnvVar> {
        let ExprKind::Record(fields) = &e.kind else {
            self.mismatch(e, &Ty::Map(Box::new(Ty::String)));
            return Vec::new();
        };
        let mut out: Vec<EnvVar> = Vec::new();
        for f in fields {
            let name = &f.key.name;
            if !is_env_name(name) {
                self.diags.push(
                    Diagnostic::new(
                        code::INVALID_NAME,
                        f.key.span,
                        format!("`{name}` is not a valid environment variable name"),
                    )
                    .label("invalid name")
                    .help("use letters, digits and `_`, not starting with a digit: LOG_LEVEL"),
                );
                continue;
            }
            if out.iter().any(|v| v.name == *name) {
                self.diags.push(
                    Diagnostic::new(
                        code::DUPLICATE_DEFINITION,
                        f.key.span,
                        format!("`{name}` is set twice"),
                    )
                    .label("second time")
                    .help("keep one of them"),
                );
                continue;
            }
            let secret_param = f
                .value
                .as_ident()
                .and_then(|n| scope.param(n))
                .is_some_and(|(_, _, t)| t.fits(&Ty::Secret));
            let value = match &f.value.kind {
                _ if secret_param => match self.eval(&f.value, &Ty::Secret, scope) {
                    Some(Value::Secret(s)) => EnvValue::Secret(s),
                    _ => continue,
                },
                ExprKind::Call { .. } => match self.eval(&f.value, &Ty::Secret, scope) {
                    Some(Value::Secret(s)) => EnvValue::Secret(s),
                    _ => continue,
                },
                _ => match self.eval(&f.value, &Ty::String, scope) {
                    Some(Value::Text(t)) => {
                        if strict
                            && crate::secrets::is_secret_name(name)
                            && t.as_literal()
                                .is_some_and(|s| s.len() >= 6 && !s.contains("{{"))
                        {
                            self.diags.push(
                                Diagnostic::new(
                                    code::PLAINTEXT_SECRET,
                                    f.value.span,
                                    format!("`{name}` is given a literal value"),
                                )
                                .label("a credential written in the program")
                                .help(format!("reference it instead: {name}: secret(\"{name}\")")),
                            );
                            continue;
                        }
                        EnvValue::Text(t)
                    }
                    _ => continue,
                },
            };
            out.push(EnvVar {
                name: name.clone(),
                value,
                span: f.span,
            });
        }
        out
    }

    /// A record of literal strings (ConfigMap data).
    pub(crate) fn string_map(&mut self, e: &Expr, scope: &Scope) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(Value::Map(fields)) = self.eval(e, &Ty::Map(Box::new(Ty::String)), scope) {
            for (k, v, span) in fields {
                if !k
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                    || k.is_empty()
                {
                    self.diags.push(
                        Diagnostic::new(
                            code::INVALID_NAME,
                            span,
                            format!("`{k}` is not a valid configuration key"),
                        )
                        .label("invalid key")
                        .help("keys use letters, digits, `-`, `_` and `.`"),
                    );
                    continue;
                }
                match v.as_literal() {
                    Some(s) => {
                        if !self.check_url_password(&pipec_graph::Text::lit(s.as_str()), span, &[])
                        {
                            continue;
                        }
                        if crate::secrets::is_secret_name(&k) && s.len() >= 6 {
                            self.diags.push(
                                Diagnostic::new(
                                    code::PLAINTEXT_SECRET,
                                    span,
                                    format!("`{k}` looks like a credential in plain configuration"),
                                )
                                .label("ConfigMaps are not secret")
                                .help("move it to `secrets { KEY: secret(\"name/key\") }`"),
                            );
                            continue;
                        }
                        out.push((k, s));
                    }
                    None => self.diags.push(
                        Diagnostic::new(
                            code::RUN_TIME_VALUE,
                            span,
                            "configuration must be known before the pipeline runs",
                        )
                        .label("run-time value")
                        .help("write a literal value"),
                    ),
                }
            }
        }
        out.sort();
        out
    }
}

pub fn is_env_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A DNS-1123 label (Kubernetes namespace names).
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}
