//! Triggers: `on push [to BRANCHES] [paths GLOBS]`, `on pull_request …`,
//! `on tag …`, `on schedule …`, `on dispatch(…)`, and the pipeline's
//! `paths` filter.

use pipec_diagnostics::{Diagnostic, code};
use pipec_graph::{Glob, Input, InputKind, Trigger, TriggerKind};
use pipec_syntax::ast::{Dispatch, ExprKind, PredicateWord, Stmt};

use crate::Checker;
use crate::declare::Decls;
use crate::eval::Scope;
use crate::stmt::Args;
use crate::types::Ty;
use crate::value::Value;

impl Checker<'_> {
    /// `on push [to BRANCHES]`, `on pull_request [to BRANCHES]`, `on tag "v*"`,
    /// `on schedule "CRON"`.
    pub(super) fn trigger(&mut self, s: &Stmt) -> Option<Trigger> {
        let g = s.generic()?;
        let shape = "on push [to BRANCHES] [paths GLOBS] | on pull_request [to BRANCHES] [paths GLOBS] | on tag \"PATTERN\" | on schedule \"CRON\" | on dispatch(INPUTS)";
        let mut args = Args::new(s, g, shape);
        let Some(first) = args.next() else {
            self.shape(&args);
            return None;
        };
        let scope = Scope::default();
        let globs_ty = Ty::List(Box::new(Ty::Glob));
        let kind = match &first.kind {
            ExprKind::Ident(w)
                if matches!(w.as_str(), "push" | "pull_request" | "merge_request") =>
            {
                let branches = if args.word("to") {
                    let e = args.next()?;
                    let v = self.eval(e, &globs_ty, &scope)?;
                    v.into_list()
                        .iter()
                        .filter_map(Value::as_literal)
                        .map(Glob)
                        .collect()
                } else {
                    Vec::new()
                };
                if w == "push" {
                    TriggerKind::Push { branches }
                } else {
                    TriggerKind::PullRequest { branches }
                }
            }
            ExprKind::Predicate {
                word: PredicateWord::Tag,
                operand,
            } => {
                let patterns = match operand {
                    Some(o) => self
                        .eval(o, &globs_ty, &scope)?
                        .into_list()
                        .iter()
                        .filter_map(Value::as_literal)
                        .map(Glob)
                        .collect(),
                    None => vec![Glob("**".into())],
                };
                TriggerKind::Tag { patterns }
            }
            ExprKind::Ident(w) if w == "schedule" => {
                let Some(e) = args.next() else {
                    self.shape(&args);
                    return None;
                };
                let cron = self.eval(e, &Ty::String, &scope)?.as_literal()?;
                if let Err(m) = crate::cron::check(&cron) {
                    self.diags.push(
                        Diagnostic::new(code::INVALID_CRON, e.span, m)
                            .label("invalid schedule")
                            .help("minute hour day-of-month month day-of-week, in UTC: \"0 3 * * 1\" is Mondays at 03:00"),
                    );
                    return None;
                }
                TriggerKind::Schedule { cron }
            }
            _ => {
                let events = ["push", "pull_request", "tag", "schedule", "dispatch"];
                match first.as_ident() {
                    Some(w) => self.unknown_variant(first.span, w, &events.map(String::from)),
                    None => self.shape(&args),
                }
                return None;
            }
        };
        let paths = match (&kind, args.peek_word()) {
            (TriggerKind::Push { .. } | TriggerKind::PullRequest { .. }, Some("paths")) => {
                args.word("paths");
                let Some(e) = args.next() else {
                    self.shape(&args);
                    return None;
                };
                self.path_globs(e)?
            }
            _ => Vec::new(),
        };
        self.finish(&args);
        self.no_block(g, "on …");
        Some(Trigger {
            kind,
            paths,
            span: s.span,
        })
    }

    /// `on dispatch(environment: environment = dev, dry_run: bool = false)`
    pub(super) fn dispatch(&mut self, s: &Stmt, d: &Dispatch, decls: &Decls) -> Option<Trigger> {
        let mut inputs = Vec::new();
        for p in &d.inputs {
            let mut sig = Vec::new();
            let ty = Ty::from_ast(&p.ty, &mut sig);
            self.diags.extend(sig);
            let ty = ty?;
            let inner = match &ty {
                Ty::Optional(t) => (**t).clone(),
                t => t.clone(),
            };
            let kind = match &inner {
                Ty::String => InputKind::String,
                Ty::Bool => InputKind::Bool,
                Ty::Int => InputKind::Number,
                Ty::Enum(v) => InputKind::Choice(v.clone()),
                Ty::Environment => InputKind::Environment(decls.environment_names()),
                other => {
                    self.diags.push(
                        Diagnostic::new(
                            code::TYPE_MISMATCH,
                            p.ty.span,
                            format!("a dispatch input cannot be a {other}"),
                        )
                        .label("unsupported input type")
                        .help("inputs are string, bool, int, enum(…) or environment"),
                    );
                    continue;
                }
            };
            let default = match &p.default {
                Some(e) => {
                    let envs = decls.environment_names();
                    let scope = Scope {
                        environments: &envs,
                        ..Scope::default()
                    };
                    let v = self.eval(e, &inner, &scope)?;
                    Some(match v {
                        Value::Ref(n, _) => n,
                        v => v.as_literal()?,
                    })
                }
                None => None,
            };
            if inputs.iter().any(|i: &Input| i.name == p.name.name) {
                self.diags.push(
                    Diagnostic::new(
                        code::DUPLICATE_DEFINITION,
                        p.name.span,
                        format!("input `{}` is declared twice", p.name.name),
                    )
                    .label("again")
                    .help("rename one"),
                );
                continue;
            }
            inputs.push(Input {
                name: p.name.name.clone(),
                kind,
                default,
                span: p.span,
            });
        }
        Some(Trigger {
            kind: TriggerKind::Dispatch { inputs },
            paths: Vec::new(),
            span: s.span,
        })
    }

    /// File patterns: relative paths, `*`, `**` and `?`.
    fn path_globs(&mut self, e: &pipec_syntax::ast::Expr) -> Option<Vec<Glob>> {
        let v = self.eval(e, &Ty::List(Box::new(Ty::Glob)), &Scope::default())?;
        let mut out = Vec::new();
        for item in v.into_list() {
            let Some(p) = item.as_literal() else {
                continue;
            };
            if p.starts_with('/') || p.starts_with('!') || p.split('/').any(|s| s == "..") {
                self.diags.push(
                    Diagnostic::new(
                        code::INVALID_GLOB,
                        e.span,
                        format!("`{p}` is not a path in the repository"),
                    )
                    .label("paths are relative to the repository's root, without `..` or `!`")
                    .help("write the folder's path from the root: \"services/api/**\""),
                );
                return None;
            }
            out.push(Glob(p));
        }
        Some(out)
    }

    /// `paths [GLOBS]` of a pipeline: the filter of each push and
    /// pull-request trigger that has none of its own.
    pub(super) fn pipeline_paths(&mut self, body: &[Stmt], triggers: &mut [Trigger]) {
        let mut seen = Vec::new();
        for s in body {
            let Some(g) = s.generic().filter(|g| g.head.name == "paths") else {
                continue;
            };
            if !self.once(&mut seen, "paths", g.head.span) {
                continue;
            }
            let Some(e) = self.single(s, "paths [GLOBS]") else {
                continue;
            };
            let Some(paths) = self.path_globs(e) else {
                continue;
            };
            for t in triggers.iter_mut() {
                if matches!(
                    t.kind,
                    TriggerKind::Push { .. } | TriggerKind::PullRequest { .. }
                ) && t.paths.is_empty()
                {
                    t.paths = paths.clone();
                }
            }
        }
    }
}
