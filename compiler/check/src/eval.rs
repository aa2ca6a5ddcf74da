//! Evaluating expressions against the type a statement or parameter expects.
//!
//! Literals are read by their expected type: `5m` is five minutes where a
//! duration is expected and 5 millicores where a CPU quantity is; a bare name is
//! an enum value, a branch name, or a reference to a job, image or environment,
//! depending on what is expected there.

use pipec_diagnostics::{Diagnostic, Span, code, did_you_mean};
use pipec_graph::{Cond, Event, Glob, Part, SecretRef, Text};
use pipec_syntax::ast::{Arg, BinaryOp, Expr, ExprKind, PredicateWord, UnaryOp};

use crate::Checker;
use crate::types::Ty;
use crate::value::*;

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
    /// Inside a template body: where the template was called.
    pub site: Option<Span>,
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
fn example(ty: &Ty) -> String {
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

    fn invalid(
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
            Ty::Job => self.reference(e.span, name, "job", scope.jobs, |n| Value::Ref(n, e.span)),
            Ty::Image => self.reference(e.span, name, "image", scope.images, |n| {
                Value::Ref(n, e.span)
            }),
            Ty::Environment => {
                self.reference(e.span, name, "environment", scope.environments, |n| {
                    Value::Ref(n, e.span)
                })
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
                        Some(s) => d.help(format!("did you mean `{s}`?")),
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
                    Some(s) => d.help(format!("did you mean the parameter `{s}`?")),
                    None => d.help(example(ty)),
                };
                self.diags.push(d);
                None
            }
        }
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
            Some(s) => d.help(format!("did you mean `{s}`?")),
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
        let mut d = Diagnostic::new(
            code::UNKNOWN_VARIANT,
            span,
            format!("`{name}` is not one of the allowed values"),
        )
        .label("not allowed here");
        d = match did_you_mean(name, variants.iter().map(String::as_str)) {
            Some(s) => d.help(format!(
                "did you mean `{s}`? allowed: {}",
                variants.join(", ")
            )),
            None => d.help(format!("allowed: {}", variants.join(", "))),
        };
        self.diags.push(d);
    }

    fn eval_str(&mut self, e: &Expr, s: &str, ty: &Ty, scope: &Scope) -> Option<Value> {
        match ty {
            Ty::List(t) => return Some(Value::List(vec![self.eval(e, t, scope)?])),
            Ty::Matrix(t) => return self.eval(e, t, scope),
            Ty::Enum(variants) => {
                return if variants.iter().any(|v| v == s) {
                    Some(Value::Enum(s.to_string()))
                } else {
                    self.unknown_variant(e.span, s, variants);
                    None
                };
            }
            Ty::Secret => {
                self.diags.push(
                    Diagnostic::new(
                        code::TYPE_MISMATCH,
                        e.span,
                        "expected a secret reference, found a string",
                    )
                    .label("secrets are never written in the program")
                    .help(format!(
                        "write secret(\"{}\") and store the value in the CI system's secrets",
                        secret_name_hint(s)
                    )),
                );
                return None;
            }
            t if !t.is_textual() => {
                self.mismatch(e, ty);
                return None;
            }
            _ => {}
        }
        let text = self.render(s, e.span, scope)?;
        if let Some(lit) = text.as_literal() {
            if !self.valid_text(e.span, &lit, ty) {
                return None;
            }
        } else if matches!(ty, Ty::Glob | Ty::Url) {
            self.invalid(
                code::TEMPLATE_STRING,
                e.span,
                format!("a {} must be known before the pipeline runs", ty_name(ty)),
                "has a placeholder known only at run time",
                "remove the run-time placeholder",
            );
            return None;
        }
        Some(Value::Text(text))
    }

    /// Checks the form of glob, version and URL literals.
    pub(crate) fn valid_text(&mut self, span: Span, s: &str, ty: &Ty) -> bool {
        match ty {
            Ty::Glob => match check_glob(s) {
                Ok(()) => true,
                Err(m) => {
                    self.invalid(
                        code::INVALID_GLOB,
                        span,
                        m,
                        "not a valid pattern",
                        "globs use * (within a path segment), ** (across segments) and ?",
                    );
                    false
                }
            },
            Ty::Version => {
                let ok = !s.is_empty()
                    && s.chars().next().is_some_and(|c| c.is_ascii_digit())
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'));
                if !ok {
                    self.invalid(
                        code::INVALID_VERSION,
                        span,
                        format!("`{s}` is not a version"),
                        "not a version",
                        "a version starts with a digit: \"3.12\", \"20\", \"1.22.4\"",
                    );
                }
                ok
            }
            Ty::Url => {
                let ok = (s.starts_with("https://") || s.starts_with("http://"))
                    && s.len() > "https://".len()
                    && !s.contains(char::is_whitespace);
                if !ok {
                    self.invalid(
                        code::INVALID_URL,
                        span,
                        format!("`{s}` is not an http(s) URL"),
                        "not an http(s) URL",
                        "write the full URL: \"https://app.example.com\"",
                    );
                } else if url_has_credentials(s) {
                    self.diags.push(
                        Diagnostic::new(code::PLAINTEXT_SECRET, span, "URL contains credentials")
                            .label("user:password@ in a URL")
                            .help("remove the credentials; give them to the job through secret(\"NAME\")"),
                    );
                    return false;
                }
                ok
            }
            _ => true,
        }
    }

    fn eval_number(&mut self, e: &Expr, n: &str, ty: &Ty) -> Option<Value> {
        let result = match ty {
            Ty::Int => n
                .parse::<i64>()
                .map(Value::Int)
                .map_err(|_| format!("`{n}` is not a whole number in range")),
            Ty::Cpu => parse_cpu(n, "").map(Value::Cpu),
            Ty::Memory => parse_memory(n, "").map(Value::Memory),
            Ty::List(t) => return Some(Value::List(vec![self.eval(e, t, &Scope::default())?])),
            Ty::Range(t) => {
                // A single value stands for the range value..value.
                let v = self.eval_number(e, n, t)?;
                return Some(Value::Range(Box::new(v.clone()), Box::new(v)));
            }
            Ty::Duration => Err(format!("`{n}` needs a unit of time")),
            Ty::Percent => Err(format!("`{n}` needs a percent sign")),
            _ => {
                self.mismatch(e, ty);
                return None;
            }
        };
        self.quantity_result(e, result, ty)
    }

    fn eval_quantity(&mut self, e: &Expr, number: &str, unit: &str, ty: &Ty) -> Option<Value> {
        let result = match ty {
            Ty::Percent if unit == "%" => parse_percent(number).map(Value::Percent),
            Ty::Duration if unit != "%" => {
                parse_duration(&format!("{number}{unit}")).map(Value::Duration)
            }
            Ty::Cpu if unit == "m" => parse_cpu(number, unit).map(Value::Cpu),
            Ty::Memory if !matches!(unit, "%" | "m") => {
                parse_memory(number, unit).map(Value::Memory)
            }
            Ty::List(t) => return Some(Value::List(vec![self.eval_quantity(e, number, unit, t)?])),
            Ty::Range(t) => {
                let v = self.eval_quantity(e, number, unit, t)?;
                return Some(Value::Range(Box::new(v.clone()), Box::new(v)));
            }
            _ => {
                self.mismatch(e, ty);
                return None;
            }
        };
        self.quantity_result(e, result, ty)
    }

    fn quantity_result(&mut self, e: &Expr, r: Result<Value, String>, ty: &Ty) -> Option<Value> {
        match r {
            Ok(v) => {
                if let Value::Percent(p) = &v
                    && p.hundredths > 10_000
                {
                    self.invalid(
                        code::OUT_OF_RANGE,
                        e.span,
                        format!("{p}% is more than 100%"),
                        "at most 100%",
                        "a percent is between 0% and 100%",
                    );
                    return None;
                }
                Some(v)
            }
            Err(m) => {
                self.diags.push(
                    Diagnostic::new(code::INVALID_LITERAL, e.span, m)
                        .label(format!("expected {}", ty_name(ty)))
                        .help(example(ty)),
                );
                None
            }
        }
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
                            code::TYPE_MISMATCH,
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
                    self.unknown_variant(
                        e.span,
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

    fn eval_binary(
        &mut self,
        e: &Expr,
        op: BinaryOp,
        lhs: &Expr,
        rhs: &Expr,
        ty: &Ty,
        scope: &Scope,
    ) -> Option<Value> {
        match (op, ty) {
            (BinaryOp::Range, Ty::Range(t)) => {
                let a = self.eval(lhs, t, scope)?;
                let b = self.eval(rhs, t, scope)?;
                if ordinal(&a) > ordinal(&b) {
                    self.diags.push(
                        Diagnostic::new(
                            code::INVALID_RANGE,
                            e.span,
                            "range minimum is above its maximum",
                        )
                        .label("min..max")
                        .help("write the smaller value first: request..limit, min..max"),
                    );
                    return None;
                }
                Some(Value::Range(Box::new(a), Box::new(b)))
            }
            (BinaryOp::And | BinaryOp::Or, Ty::Bool) => {
                let (Value::Bool(a), Value::Bool(b)) =
                    (self.eval(lhs, ty, scope)?, self.eval(rhs, ty, scope)?)
                else {
                    return None;
                };
                Some(Value::Bool(if op == BinaryOp::And {
                    a && b
                } else {
                    a || b
                }))
            }
            (BinaryOp::And | BinaryOp::Or, Ty::Cond) => {
                let a = self.eval(lhs, ty, scope);
                let b = self.eval(rhs, ty, scope);
                let (Value::Cond(a), Value::Cond(b)) = (a?, b?) else {
                    return None;
                };
                Some(Value::Cond(if op == BinaryOp::And {
                    a.and(b)
                } else {
                    a.or(b)
                }))
            }
            (BinaryOp::Eq | BinaryOp::Ne | BinaryOp::In, Ty::Cond) => {
                let c = self.comparison(e, op, lhs, rhs, scope)?;
                Some(Value::Cond(if op == BinaryOp::Ne { c.negate() } else { c }))
            }
            (BinaryOp::Eq | BinaryOp::Ne, Ty::Bool) => {
                let (a, b) = (self.constant(lhs, scope)?, self.constant(rhs, scope)?);
                Some(Value::Bool((a == b) == (op == BinaryOp::Eq)))
            }
            (BinaryOp::In, Ty::Bool) => {
                let list = self.constant_list(rhs, scope)?;
                let item = match &lhs.kind {
                    ExprKind::Ident(n) if scope.param(n).is_none() => n.clone(),
                    _ => self.constant(lhs, scope)?,
                };
                Some(Value::Bool(list.contains(&item)))
            }
            (BinaryOp::If, _) => {
                self.diags.push(
                    Diagnostic::new(code::MALFORMED_STATEMENT, e.span, "`if` is not allowed here")
                        .label("conditional value")
                        .help("`X if COND` is allowed in tag lists and at the end of a statement in a template"),
                );
                None
            }
            (_, Ty::List(t)) => Some(Value::List(vec![self.eval(e, t, scope)?])),
            _ => {
                self.mismatch(e, ty);
                None
            }
        }
    }

    /// `branch == main`, `branch in [a, b]`, `tag in ["v*"]`, `event == push`,
    /// `inputs.env == "prod"`.
    fn comparison(
        &mut self,
        e: &Expr,
        op: BinaryOp,
        lhs: &Expr,
        rhs: &Expr,
        scope: &Scope,
    ) -> Option<Cond> {
        if let ExprKind::Predicate {
            word,
            operand: None,
        } = &lhs.kind
        {
            let rhs_ty = if op == BinaryOp::In {
                Ty::List(Box::new(Ty::Glob))
            } else {
                Ty::Glob
            };
            return match word {
                PredicateWord::Branch | PredicateWord::Tag => {
                    let globs = self.globs(rhs, &rhs_ty, scope)?;
                    Some(if *word == PredicateWord::Branch {
                        Cond::Branch(globs)
                    } else {
                        Cond::Tag(globs)
                    })
                }
                PredicateWord::Event => self.event_cond(rhs, op == BinaryOp::In),
            };
        }
        if let ExprKind::Member { base, name } = &lhs.kind
            && base.as_ident() == Some("inputs")
            && op != BinaryOp::In
        {
            if !scope.inputs.contains(&name.name) {
                self.reference(lhs.span, &name.name, "dispatch input", scope.inputs, |_| {
                    Value::Bool(false)
                });
                return None;
            }
            let value = match &rhs.kind {
                ExprKind::Str(s) => s.value.clone(),
                ExprKind::Ident(n) => n.clone(),
                ExprKind::Bool(b) => b.to_string(),
                ExprKind::Number(n) => n.clone(),
                _ => {
                    self.mismatch(rhs, &Ty::String);
                    return None;
                }
            };
            return Some(Cond::Input {
                name: name.name.clone(),
                value,
            });
        }
        self.diags.push(
            Diagnostic::new(code::TYPE_MISMATCH, e.span, "cannot compare this at run time")
                .label("unsupported comparison")
                .help("compare `branch`, `tag`, `event` or `inputs.NAME`: branch == main, tag in [\"v*\"], inputs.env == \"prod\""),
        );
        None
    }

    fn globs(&mut self, e: &Expr, ty: &Ty, scope: &Scope) -> Option<Vec<Glob>> {
        let v = self.eval(e, ty, scope)?;
        let mut out = Vec::new();
        for item in v.into_list() {
            if let Some(s) = item.as_literal() {
                out.push(Glob(s));
            }
        }
        Some(out)
    }

    fn event_cond(&mut self, rhs: &Expr, list: bool) -> Option<Cond> {
        let names: Vec<&Expr> = match (&rhs.kind, list) {
            (ExprKind::List(items), true) => items.iter().collect(),
            (_, false) => vec![rhs],
            _ => {
                self.mismatch(rhs, &Ty::List(Box::new(event_ty())));
                return None;
            }
        };
        let mut c = Cond::Never;
        for n in names {
            let ev = self.event(n)?;
            c = c.or(Cond::Event(ev));
        }
        Some(c)
    }

    fn event(&mut self, e: &Expr) -> Option<Event> {
        let name = e.as_ident().or(e.as_str());
        let canonical = name.map(|n| {
            if n == "merge_request" {
                "pull_request"
            } else {
                n
            }
        });
        match canonical.and_then(|n| Event::ALL.iter().find(|(x, _)| *x == n)) {
            Some((_, ev)) => Some(*ev),
            None => {
                let variants: Vec<String> = Event::ALL.iter().map(|(n, _)| n.to_string()).collect();
                match name {
                    Some(n) => self.unknown_variant(e.span, n, &variants),
                    None => self.mismatch(e, &event_ty()),
                }
                None
            }
        }
    }

    fn predicate(
        &mut self,
        e: &Expr,
        word: PredicateWord,
        operand: Option<&Expr>,
        scope: &Scope,
    ) -> Option<Cond> {
        match (word, operand) {
            (PredicateWord::Branch, None) => Some(Cond::Branch(vec![Glob("**".into())])),
            (PredicateWord::Tag, None) => Some(Cond::Tag(Vec::new())),
            (PredicateWord::Event, None) => {
                self.invalid(
                    code::MALFORMED_STATEMENT,
                    e.span,
                    "`event` needs an event name".into(),
                    "which event?",
                    "event pull_request, event push, event tag, event schedule, event dispatch",
                );
                None
            }
            (PredicateWord::Branch, Some(o)) => Some(Cond::Branch(self.globs(
                o,
                &Ty::List(Box::new(Ty::Glob)),
                scope,
            )?)),
            (PredicateWord::Tag, Some(o)) => Some(Cond::Tag(self.globs(
                o,
                &Ty::List(Box::new(Ty::Glob)),
                scope,
            )?)),
            (PredicateWord::Event, Some(o)) => {
                self.event_cond(o, matches!(o.kind, ExprKind::List(_)))
            }
        }
    }

    /// A value known before the pipeline runs, as text, for compile-time
    /// comparisons in templates.
    fn constant(&mut self, e: &Expr, scope: &Scope) -> Option<String> {
        let v = match &e.kind {
            ExprKind::Ident(n) => match scope.param(n) {
                Some((_, v, _)) => v.clone(),
                None => Value::Enum(n.clone()),
            },
            ExprKind::Str(s) => Value::Text(Text::lit(s.value.clone())),
            ExprKind::Number(n) => Value::Text(Text::lit(n.clone())),
            ExprKind::Bool(b) => Value::Bool(*b),
            _ => {
                self.mismatch(e, &Ty::String);
                return None;
            }
        };
        match v.as_literal() {
            Some(s) => Some(s),
            None => {
                self.invalid(
                    code::TYPE_MISMATCH,
                    e.span,
                    "value is only known when the pipeline runs".into(),
                    "known only when the pipeline runs",
                    "compile-time conditions compare template parameters and literals",
                );
                None
            }
        }
    }

    fn constant_list(&mut self, e: &Expr, scope: &Scope) -> Option<Vec<String>> {
        let v = match &e.kind {
            ExprKind::Ident(n) => match scope.param(n) {
                Some((_, v, _)) => v.clone(),
                None => {
                    self.eval_ident(e, n, &Ty::List(Box::new(Ty::String)), scope)?;
                    return None;
                }
            },
            ExprKind::List(items) => {
                let mut out = Vec::new();
                for i in items {
                    out.push(self.constant(i, scope)?);
                }
                return Some(out);
            }
            _ => {
                self.mismatch(e, &Ty::List(Box::new(Ty::String)));
                return None;
            }
        };
        Some(v.into_list().iter().filter_map(Value::as_literal).collect())
    }
}

fn event_ty() -> Ty {
    Ty::Enum(Event::ALL.iter().map(|(n, _)| n.to_string()).collect())
}

fn unwrap_matrix(ty: &Ty) -> Ty {
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

/// An orderable number for range checks.
fn ordinal(v: &Value) -> u128 {
    match v {
        Value::Int(n) => (*n).max(0) as u128,
        Value::Cpu(c) => u128::from(c.millicores),
        Value::Memory(m) => u128::from(m.bytes),
        Value::Percent(p) => u128::from(p.hundredths),
        Value::Duration(d) => u128::from(d.seconds),
        _ => 0,
    }
}

fn check_glob(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("empty pattern".into());
    }
    if s.contains("***") {
        return Err(format!("`{s}`: `***` is not a pattern; use `**`"));
    }
    if s.contains(['[', ']', '{', '}', '\\', ' ', '~', '^', ':']) {
        return Err(format!(
            "`{s}` has characters branch and tag patterns cannot use ([ ] {{ }} \\ space ~ ^ :)"
        ));
    }
    if s.starts_with('/') || s.ends_with('/') || s.contains("//") {
        return Err(format!("`{s}` has an empty path segment"));
    }
    Ok(())
}

fn url_has_credentials(s: &str) -> bool {
    let rest = s.split_once("://").map_or(s, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or("");
    authority.contains('@')
}

fn secret_name_hint(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && !s.is_empty()
    {
        s.to_string()
    } else {
        "NAME".into()
    }
}
