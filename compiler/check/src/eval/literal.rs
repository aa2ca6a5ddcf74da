//! Literals read by their expected type: strings (through the string
//! templates), numbers and quantities with units, and the forms of globs,
//! versions and URLs.

use pipec_diagnostics::{Diagnostic, Span, code};
use pipec_syntax::ast::Expr;

use super::{Scope, example, ty_name};
use crate::Checker;
use crate::types::Ty;
use crate::value::*;

impl Checker<'_> {
    pub(super) fn eval_str(&mut self, e: &Expr, s: &str, ty: &Ty, scope: &Scope) -> Option<Value> {
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
                code::RUN_TIME_VALUE,
                e.span,
                format!("a {} must be known before the pipeline runs", ty_name(ty)),
                "has a placeholder known only at run time",
                "remove the run-time placeholder",
            );
            return None;
        }
        Some(Value::Text(text))
    }

    /// A textual value that must be known before the pipeline runs: `what`
    /// says which (for the message). Run-time parts are an error (E0213).
    pub(crate) fn literal_text(
        &mut self,
        e: &Expr,
        ty: &Ty,
        scope: &Scope,
        what: &str,
    ) -> Option<String> {
        let v = self.eval(e, ty, scope)?;
        let literal = v.as_literal();
        if literal.is_none() && v.as_text().is_some() {
            self.invalid(
                code::RUN_TIME_VALUE,
                e.span,
                format!("{what} must be known before the pipeline runs"),
                "has a placeholder known only at run time",
                "write a literal value",
            );
        }
        literal
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

    pub(super) fn eval_number(&mut self, e: &Expr, n: &str, ty: &Ty) -> Option<Value> {
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
            // Which unit of time was meant is not known: each is offered.
            Ty::Duration => return self.missing_unit(e, n, ty, "a unit of time", &["s", "m", "h"]),
            Ty::Percent => return self.missing_unit(e, n, ty, "a percent sign", &["%"]),
            _ => {
                self.mismatch(e, ty);
                return None;
            }
        };
        self.quantity_result(e, result, ty)
    }

    /// A number written without the unit its type needs, with the number
    /// and each of `units` as the fixes.
    fn missing_unit(
        &mut self,
        e: &Expr,
        n: &str,
        ty: &Ty,
        what: &str,
        units: &[&str],
    ) -> Option<Value> {
        let d = Diagnostic::new(code::INVALID_LITERAL, e.span, format!("`{n}` needs {what}"))
            .label(format!("expected {}", ty_name(ty)))
            .help(example(ty));
        let d = units
            .iter()
            .fold(d, |d, u| d.suggest(e.span, format!("{n}{u}")));
        self.diags.push(d);
        None
    }

    pub(super) fn eval_quantity(
        &mut self,
        e: &Expr,
        number: &str,
        unit: &str,
        ty: &Ty,
    ) -> Option<Value> {
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

    pub(super) fn quantity_result(
        &mut self,
        e: &Expr,
        r: Result<Value, String>,
        ty: &Ty,
    ) -> Option<Value> {
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
}

pub(super) fn check_glob(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("empty pattern".into());
    }
    if s.contains("***") {
        return Err(format!("`{s}`: `***` is not a pattern; use `**`"));
    }
    // Git refuses control characters and spaces in ref names; line breaks of
    // any kind (CR, NEL, LS, PS) would also change how generated files read.
    if s.chars().any(|c| {
        c.is_control() || c.is_whitespace() || matches!(c, '\u{FEFF}' | '\u{FFFE}' | '\u{FFFF}')
    }) {
        return Err(format!(
            "{s:?} has a control or white-space character, which branch and tag names cannot contain"
        ));
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

pub(super) fn url_has_credentials(s: &str) -> bool {
    let rest = s.split_once("://").map_or(s, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or("");
    authority.contains('@')
}

pub(super) fn secret_name_hint(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && !s.is_empty()
    {
        s.to_string()
    } else {
        "NAME".into()
    }
}
