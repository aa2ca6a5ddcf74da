//! Evaluating expressions against the type a statement or parameter expects.
//!
//! Literals are read by their expected type: `5m` is five minutes where a
//! duration is expected and 5 millicores where a CPU quantity is; a bare name is
//! an enum value, a branch name, or a reference to a job, image or environment,
//! depending on what is expected there.

use pipec_diagnostics::{Diagnostic, Span, code, did_you_mean};
use pipec_graph::{Cond, Event, Glob, Part, SecretRef, Text};
use pipec_syntax::ast::{Arg, Expr, ExprKind, UnaryOp};

use crate::Checker;
use crate::index::ReferenceKind;
use crate::types::Ty;
use crate::value::*;

mod cond;
mod literal;

/// What names mean where an expression is evaluated.
#[derive(Default, Clone)]
pub struct Scope<'s> {
    /// Template parameters, bound to their values.
    pub params: &'s [(String, Value, Ty)],
    /// Matrix axes of the current job.
    pub axes: &'s [String],
    /// Manual-dispatch inputs of the pipeline.
    pub inputs: &'s [String],
    /// Tag patterns that make a run a release (`release` in conditions).
    pub release: &'s [Glob],
    /// Names that `after` may refer to: jobs and images of the pipeline.
    pub jobs: &'s [String],
    pub images: &'s [String],
    pub environments: &'s [String],
    /// Each environment with the condition of its deployments (`deploys(ENV)`
    /// in conditions).
    pub deploys: &'s [(String, Cond)],
    /// Inside a template body: where the template was called.
    pub site: Option<Span>,
    /// Whether the value is written into a pipeline's jobs, where values of
    /// the run (`{{ ci.* }}`) exist. Triggers, environments, services and
    /// the GitOps settings are fixed before any run.
    pub run_time: bool,
}

impl Scope<'_> {
    pub fn param(&self, name: &str) -> Option<&(String, Value, Ty)> {
        self.params.iter().find(|(n, _, _)| n == name)
    }
}

/// A short description of what an expression is, for "expected X, found Y".
pub fn describe(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Ident(n) => format!("the name `{n}`"),
        ExprKind::Str(_) => "a string".into(),
        ExprKind::Number(n) if n.contains('.') => "a decimal number".into(),
        ExprKind::Number(_) => "a number".into(),
        ExprKind::Quantity { unit, .. } => describe_unit(unit).into(),
        ExprKind::Bool(_) => "a boolean".into(),
        ExprKind::List(_) => "a list".into(),
        ExprKind::Record(_) => "a record".into(),
        ExprKind::Call { callee, .. } => match callee.as_path() {
            Some(p) => format!("a call of `{}`", p.join(".")),
            None => "a call".into(),
        },
        ExprKind::Member { .. } => "a dotted name".into(),
        ExprKind::Unary { .. } | ExprKind::Binary { .. } | ExprKind::Predicate { .. } => {
            "a condition".into()
        }
        ExprKind::Paren(e) => describe(e),
    }
}

/// A hint for writing a value of type `ty`.
pub(super) fn example(ty: &Ty) -> String {
    match ty {
        Ty::String | Ty::Path => "write text in double quotes: \"text\"".into(),
        Ty::Glob => "write a branch or tag pattern: main, \"release/*\", \"v*\"".into(),
        Ty::Version => "write versions in quotes, so 3.10 stays 3.10: \"3.10\"".into(),
        Ty::Url => "write a URL in quotes: \"https://example.com\"".into(),
        Ty::Int => "write a whole number: 3".into(),
        Ty::Bool => "write true or false".into(),
        Ty::Percent => "write a percent: 70%".into(),
        Ty::Duration => "write a duration with its unit: 30s, 5m, 1h30m".into(),
        Ty::Cpu => "write cores (0.5, 2) or millicores (250m)".into(),
        Ty::Memory => "write a memory size: 512Mi, 1Gi".into(),
        Ty::List(t) => format!("write a list: [a, b]; {}", example(t)),
        Ty::Matrix(t) => format!(
            "write matrix(a, b, c) for one job per value; {}",
            example(t)
        ),
        Ty::Map(_) => "write a record: { KEY: \"value\" }".into(),
        Ty::Enum(v) => format!("one of: {}", v.join(", ")),
        Ty::Range(t) => format!("write a range min..max; {}", example(t)),
        Ty::Optional(t) => example(t),
        Ty::Image => "name an image declared with `image NAME`".into(),
        Ty::Job => "name a job of this pipeline".into(),
        Ty::Environment => "name an environment".into(),
        Ty::Secret => "reference a secret by name: secret(\"NAME\")".into(),
        Ty::Cond => {
            "write a condition: branch main, tag \"v*\", event pull_request, release".into()
        }
    }
}

impl Checker<'_> {
    pub(crate) fn mismatch(&mut self, e: &Expr, ty: &Ty) {
        self.diags.push(
            Diagnostic::new(
                code::TYPE_MISMATCH,
                e.span,
                format!("expected {}, found {}", ty_name(ty), describe(e)),
            )
            .label(format!("expected {}", ty_name(ty)))
            .help(example(ty)),
        );
    }

    pub(super) fn invalid(
        &mut self,
        c: pipec_diagnostics::Code,
        span: Span,
        msg: String,
        label: &str,
        help: &str,
    ) {
        self.diags.push(
            Diagnostic::new(c, span, msg)
                .label(label.to_string())
                .help(help.to_string()),
        );
    }

    /// Evaluates `e` as a value of type `ty`, reporting what is wrong.
    pub(crate) fn eval(&mut self, e: &Expr, ty: &Ty, scope: &Scope) -> Option<Value> {
        if let Ty::Optional(inner) = ty {
            return self.eval(e, inner, scope);
        }
        self.note_type(e.span, ty);
        match &e.kind {
            ExprKind::Paren(inner) => self.eval(inner, ty, scope),
            ExprKind::Ident(name) => self.eval_ident(e, name, ty, scope),
            ExprKind::Str(s) => self.eval_str(e, &s.value, ty, scope),
            ExprKind::Number(n) => self.eval_number(e, n, ty),
            ExprKind::Quantity { number, unit } => self.eval_quantity(e, number, unit, ty),
            ExprKind::Bool(b) => match ty {
                Ty::Bool => Some(Value::Bool(*b)),
                Ty::Cond => Some(Value::Cond(if *b { Cond::Always } else { Cond::Never })),
                Ty::List(t) => Some(Value::List(vec![self.eval(e, t, scope)?])),
                _ => {
                    self.mismatch(e, ty);
                    None
                }
            },
            ExprKind::List(items) => match ty {
                Ty::List(t) => {
                    let mut out = Vec::new();
                    let mut ok = true;
                    for i in items {
                        match self.eval(i, t, scope) {
                            Some(v) => out.push(v),
                            None => ok = false,
                        }
                    }
                    ok.then_some(Value::List(out))
                }
                _ => {
                    self.mismatch(e, ty);
                    None
                }
            },
            ExprKind::Record(fields) => match ty {
                Ty::Map(t) => {
                    let mut out: Vec<(String, Value, Span)> = Vec::new();
                    let mut ok = true;
                    for f in fields {
                        if let Some((_, _, first)) = out.iter().find(|(k, _, _)| *k == f.key.name) {
                            self.diags.push(
                                Diagnostic::new(
                                    code::DUPLICATE_DEFINITION,
                                    f.key.span,
                                    format!("key `{}` given twice", f.key.name),
                                )
                                .label("second time")
                                .secondary(*first, "first here")
                                .help("keep one of them"),
                            );
                            ok = false;
                            continue;
                        }
                        match self.eval(&f.value, t, scope) {
                            Some(v) => out.push((f.key.name.clone(), v, f.key.span)),
                            None => ok = false,
                        }
                    }
                    ok.then_some(Value::Map(out))
                }
                _ => {
                    self.mismatch(e, ty);
                    None
                }
            },
            ExprKind::Call { callee, args } => self.eval_call(e, callee, args, ty, scope),
            ExprKind::Member { base, name } => self.eval_member(e, base, &name.name, ty, scope),
            ExprKind::Unary {
                op: UnaryOp::Not,
                expr,
            } => match ty {
                Ty::Bool => match self.eval(expr, &Ty::Bool, scope)? {
                    Value::Bool(b) => Some(Value::Bool(!b)),
                    _ => None,
                },
                Ty::Cond => match self.eval(expr, &Ty::Cond, scope)? {
                    Value::Cond(c) => Some(Value::Cond(c.negate())),
                    _ => None,
                },
                _ => {
                    self.mismatch(e, ty);
                    None
                }
            },
            ExprKind::Binary { op, lhs, rhs } => self.eval_binary(e, *op, lhs, rhs, ty, scope),
            ExprKind::Predicate { word, operand } => match ty {
                Ty::Cond => self
                    .predicate(e, *word, operand.as_deref(), scope)
                    .map(Value::Cond),
                Ty::List(t) => Some(Value::List(vec![self.eval(e, t, scope)?])),
                _ => {
                    self.mismatch(e, ty);
                    None
                }
            },
        }
    }

    fn eval_ident(&mut self, e: &Expr, name: &str, ty: &Ty, scope: &Scope) -> Option<Value> {
        // A word of the expected enum is that word, even if a parameter has
        // the same name (`tool python python`: the tool, then the version).
        if let Ty::Enum(variants) = ty
            && variants.iter().any(|v| v == name)
        {
            return Some(Value::Enum(name.to_string()));
        }
        if let Some((_, value, pty)) = scope.param(name) {
            if let Ty::List(t) = ty
                && !matches!(pty, Ty::List(_))
                && pty.fits(t)
            {
                return Some(Value::List(vec![value.clone()]));
            }
            let fits =
                pty.fits(ty) || (matches!(ty, Ty::Matrix(_)) && pty.fits(&unwrap_matrix(ty)));
            if !fits {
                self.diags.push(
                    Diagnostic::new(
                        code::TYPE_MISMATCH,
                        e.span,
                        format!(
                            "expected {}, found parameter `{name}` of type {pty}",
                            ty_name(ty)
                        ),
                    )
                    .label(format!("this is a {pty}"))
                    .help(example(ty)),
                );
                return None;
            }
            self.note_reference(e.span, name, ReferenceKind::Parameter, None, scope.site);
            return Some(value.clone());
        }
        match ty {
            Ty::Enum(variants) => {
                if variants.iter().any(|v| v == name) {
                    Some(Value::Enum(name.to_string()))
                } else {
                    self.unknown_variant(e.span, name, variants);
                    None
                }
            }
            Ty::Glob => Some(Value::Text(Text::lit(name))),
            Ty::List(t) => Some(Value::List(vec![self.eval(e, t, scope)?])),
            // One value where a matrix may stand: the job runs once.
            Ty::Matrix(t) => self.eval_ident(e, name, t, scope),
            Ty::Job => {
                let v = self.reference(e.span, name, "job", scope.jobs, |n| Value::Ref(n, e.span));
                self.resolved(v, e.span, name, ReferenceKind::Job, scope)
            }
            Ty::Image => {
                let v = self.reference(e.span, name, "image", scope.images, |n| {
                    Value::Ref(n, e.span)
                });
                self.resolved(v, e.span, name, ReferenceKind::Image, scope)
            }
            Ty::Environment => {
                let v = self.reference(e.span, name, "environment", scope.environments, |n| {
                    Value::Ref(n, e.span)
                });
                self.resolved(v, e.span, name, ReferenceKind::Environment, scope)
            }
            Ty::Cond => match name {
                "release" => Some(Value::Cond(Cond::Tag(scope.release.to_vec()))),
                "always" => Some(Value::Cond(Cond::Always)),
                "never" => Some(Value::Cond(Cond::Never)),
                _ => {
                    let mut d = Diagnostic::new(
                        code::UNKNOWN_NAME,
                        e.span,
                        format!("`{name}` is not a condition"),
                    )
                    .label("unknown condition");
                    d = match did_you_mean(name, ["release", "always", "never"]) {
                        Some(s) => d.help(format!("did you mean `{s}`?")).suggest(e.span, s),
                        None => d.help(example(ty)),
                    };
                    self.diags.push(d);
                    None
                }
            },
            _ => {
                let params: Vec<&str> = scope.params.iter().map(|(n, _, _)| n.as_str()).collect();
                let mut d =
                    Diagnostic::new(code::UNKNOWN_NAME, e.span, format!("unknown name `{name}`"))
                        .label(format!("expected {}", ty_name(ty)));
                d = match did_you_mean(name, params.iter().copied()) {
                    Some(s) => d
                        .help(format!("did you mean the parameter `{s}`?"))
                        .suggest(e.span, s),
                    None => d.help(example(ty)),
                };
                self.diags.push(d);
                None
            }
        }
    }

    /// Records a name that resolved, for the index.
    fn resolved(
        &mut self,
        v: Option<Value>,
        span: Span,
        name: &str,
        kind: ReferenceKind,
        scope: &Scope,
    ) -> Option<Value> {
        if v.is_some() {
            self.note_reference(span, name, kind, None, scope.site);
        }
        v
    }

    fn reference(
        &mut self,
        span: Span,
        name: &str,
        kind: &str,
        known: &[String],
        make: impl FnOnce(String) -> Value,
    ) -> Option<Value> {
        if known.iter().any(|k| k == name) {
            return Some(make(name.to_string()));
        }
        if self.named_in_unparsed(name) {
            return None;
        }
        let mut d = Diagnostic::new(
            code::UNKNOWN_NAME,
            span,
            format!("no {kind} named `{name}`"),
        )
        .label(format!("unknown {kind}"));
        d = match did_you_mean(name, known.iter().map(String::as_str)) {
            Some(s) => d.help(format!("did you mean `{s}`?")).suggest(span, s),
            None if known.is_empty() => d.help(format!("no {kind} is declared where this is used")),
            None => d.help(format!(
                "known {kind}s: {}",
                known
                    .iter()
                    .take(12)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        };
        self.diags.push(d);
        None
    }

    pub(crate) fn unknown_variant(&mut self, span: Span, name: &str, variants: &[String]) {
        self.unknown_variant_after(span, "", name, variants);
    }

    /// [`Self::unknown_variant`] of a name written after `prefix` within
    /// `span` (`ci.` in `ci.sha`), which a suggestion keeps.
    fn unknown_variant_after(&mut self, span: Span, prefix: &str, name: &str, variants: &[String]) {
        let mut d = Diagnostic::new(
            code::UNKNOWN_VARIANT,
            span,
            format!("`{name}` is not one of the allowed values"),
        )
        .label("not allowed here");
        d = match did_you_mean(name, variants.iter().map(String::as_str)) {
            Some(s) => d
                .help(format!(
                    "did you mean `{s}`? allowed: {}",
                    variants.join(", ")
                ))
                .suggest(span, format!("{prefix}{s}")),
            None => d.help(format!("allowed: {}", variants.join(", "))),
        };
        self.diags.push(d);
    }

    fn eval_call(
        &mut self,
        e: &Expr,
        callee: &Expr,
        args: &[Arg],
        ty: &Ty,
        scope: &Scope,
    ) -> Option<Value> {
        let name = callee.as_path().map(|p| p.join("."));
        match (name.as_deref(), ty) {
            (Some("matrix"), Ty::Matrix(t)) => {
                if args.is_empty() {
                    self.invalid(
                        code::MALFORMED_STATEMENT,
                        e.span,
                        "a matrix needs at least one value".into(),
                        "no values",
                        "matrix(\"3.11\", \"3.12\")",
                    );
                    return None;
                }
                let mut values = Vec::new();
                for a in args {
                    if let Some(n) = &a.name {
                        self.invalid(
                            code::MALFORMED_STATEMENT,
                            n.span,
                            "matrix values have no names".into(),
                            "remove the name",
                            "matrix(\"3.11\", \"3.12\")",
                        );
                        return None;
                    }
                    let v = self.eval(&a.value, t, scope)?;
                    if v.as_literal().is_none() {
                        self.invalid(
                            code::RUN_TIME_VALUE,
                            a.value.span,
                            "matrix values must be known before the pipeline runs".into(),
                            "known only when the pipeline runs",
                            "use literal values",
                        );
                        return None;
                    }
                    if values.contains(&v) {
                        self.invalid(
                            code::DUPLICATE_DEFINITION,
                            a.value.span,
                            "value listed twice in the matrix".into(),
                            "repeated value",
                            "remove the repeated value",
                        );
                        return None;
                    }
                    values.push(v);
                }
                Some(Value::Matrix(values))
            }
            (Some("deploys"), Ty::Cond) => self.deploys(e, args, scope),
            (Some("secret"), Ty::Secret | Ty::List(_)) => {
                let [a] = args else {
                    self.invalid(
                        code::MALFORMED_STATEMENT,
                        e.span,
                        "secret() takes one name".into(),
                        "expected one name",
                        "secret(\"SLACK_WEBHOOK\")",
                    );
                    return None;
                };
                let Some(n) = a.value.as_str() else {
                    self.mismatch(&a.value, &Ty::String);
                    return None;
                };
                if n.is_empty()
                    || !n
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '/' | '.'))
                {
                    self.invalid(
                        code::INVALID_NAME,
                        a.value.span,
                        format!("`{n}` is not a valid secret name"),
                        "not a secret name",
                        "secret names use letters, digits, `_`, `-`, `.` and `/`",
                    );
                    return None;
                }
                let v = Value::Secret(SecretRef {
                    name: n.to_string(),
                    span: a.value.span,
                });
                Some(if matches!(ty, Ty::List(_)) {
                    Value::List(vec![v])
                } else {
                    v
                })
            }
            (Some("matrix"), _) | (Some("secret"), _) => {
                self.mismatch(e, ty);
                None
            }
            _ => {
                self.mismatch(e, ty);
                None
            }
        }
    }

    fn eval_member(
        &mut self,
        e: &Expr,
        base: &Expr,
        name: &str,
        ty: &Ty,
        scope: &Scope,
    ) -> Option<Value> {
        let root = base.as_ident();
        let part = match root {
            Some("ci") => match pipec_graph::CiVar::ALL.iter().find(|(n, _)| *n == name) {
                Some((_, v)) => Part::Ci(*v),
                None => {
                    self.unknown_variant_after(
                        e.span,
                        "ci.",
                        name,
                        &pipec_graph::CiVar::ALL
                            .iter()
                            .map(|(n, _)| n.to_string())
                            .collect::<Vec<_>>(),
                    );
                    return None;
                }
            },
            Some("inputs") => {
                if !scope.inputs.iter().any(|i| i == name) {
                    self.reference(e.span, name, "dispatch input", scope.inputs, |_| {
                        Value::Bool(false)
                    });
                    return None;
                }
                // The input's name ends the dotted name.
                let at = Span::new(
                    e.span.source,
                    e.span.end as usize - name.len(),
                    e.span.end as usize,
                );
                self.note_reference(at, name, ReferenceKind::Input, None, scope.site);
                Part::Input(name.to_string())
            }
            Some("matrix") => {
                if !scope.axes.iter().any(|a| a == name) {
                    self.reference(e.span, name, "matrix axis", scope.axes, |_| {
                        Value::Bool(false)
                    });
                    return None;
                }
                Part::Matrix(name.to_string())
            }
            _ => {
                self.mismatch(e, ty);
                return None;
            }
        };
        if ty.is_textual() || matches!(ty, Ty::Optional(_)) {
            Some(Value::Text(Text { parts: vec![part] }))
        } else {
            self.mismatch(e, ty);
            None
        }
    }
}

pub(super) fn event_ty() -> Ty {
    Ty::Enum(Event::ALL.iter().map(|(n, _)| n.to_string()).collect())
}

pub(super) fn unwrap_matrix(ty: &Ty) -> Ty {
    match ty {
        Ty::Matrix(t) => (**t).clone(),
        t => t.clone(),
    }
}

/// "a duration", "a list of strings" …
pub fn ty_name(ty: &Ty) -> String {
    match ty {
        Ty::String => "a string".into(),
        Ty::Int => "a whole number".into(),
        Ty::Bool => "true or false".into(),
        Ty::Percent => "a percent".into(),
        Ty::Duration => "a duration".into(),
        Ty::Cpu => "a CPU quantity".into(),
        Ty::Memory => "a memory quantity".into(),
        Ty::Path => "a path".into(),
        Ty::Glob => "a branch or tag pattern".into(),
        Ty::Version => "a version".into(),
        Ty::Url => "a URL".into(),
        Ty::List(t) => format!("a list of {}", ty_name(t).trim_start_matches("a ")),
        Ty::Matrix(t) => format!("{} or matrix(…)", ty_name(t)),
        Ty::Map(_) => "a record".into(),
        Ty::Enum(v) if v.len() <= 6 => format!("one of {}", v.join(", ")),
        Ty::Enum(_) => "one of the allowed names".into(),
        Ty::Range(t) => format!("a range of {}", ty_name(t).trim_start_matches("a ")),
        Ty::Optional(t) => ty_name(t),
        Ty::Image => "an image".into(),
        Ty::Job => "a job".into(),
        Ty::Environment => "an environment".into(),
        Ty::Secret => "a secret reference".into(),
        Ty::Cond => "a condition".into(),
    }
}
