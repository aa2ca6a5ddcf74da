//! Operators, and the run-time conditions they build: `and`/`or`/`not`,
//! comparisons of `branch`, `tag`, `event` and `inputs`, ranges, and the
//! compile-time tests templates use in statement guards.

use pipec_diagnostics::{Diagnostic, code};
use pipec_graph::{Cond, Event, Glob, Text};
use pipec_syntax::ast::{Arg, BinaryOp, Expr, ExprKind, PredicateWord};

use super::{Scope, event_ty};
use crate::Checker;
use crate::types::Ty;
use crate::value::*;

impl Checker<'_> {
    pub(super) fn eval_binary(
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

    /// `deploys(prod)`, `deploys([staging, prod])`: the runs that deploy to one
    /// of these environments, by their `deploy on` or promotion condition.
    pub(super) fn deploys(&mut self, e: &Expr, args: &[Arg], scope: &Scope) -> Option<Value> {
        let [a] = args else {
            self.invalid(
                code::MALFORMED_STATEMENT,
                e.span,
                "deploys() takes one environment or a list of them".into(),
                "expected one argument",
                "deploys(prod), deploys([staging, prod])",
            );
            return None;
        };
        if let Some(n) = &a.name {
            self.invalid(
                code::MALFORMED_STATEMENT,
                n.span,
                "the environments of deploys() have no name".into(),
                "remove the name",
                "deploys(prod), deploys([staging, prod])",
            );
            return None;
        }
        let list = self.eval(&a.value, &Ty::List(Box::new(Ty::Environment)), scope)?;
        let mut cond = Cond::Never;
        for v in list.into_list() {
            let Value::Ref(name, _) = v else { continue };
            // An environment that is never deployed was reported (E0303).
            if let Some((_, c)) = scope.deploys.iter().find(|(n, _)| *n == name) {
                cond = cond.or(c.clone());
            }
        }
        Some(Value::Cond(cond))
    }

    /// `branch == main`, `branch in [a, b]`, `tag in ["v*"]`, `event == push`,
    /// `inputs.env == "prod"`.
    pub(super) fn comparison(
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

    pub(super) fn globs(&mut self, e: &Expr, ty: &Ty, scope: &Scope) -> Option<Vec<Glob>> {
        let v = self.eval(e, ty, scope)?;
        let mut out = Vec::new();
        for item in v.into_list() {
            if let Some(s) = item.as_literal() {
                out.push(Glob(s));
            }
        }
        Some(out)
    }

    pub(super) fn event_cond(&mut self, rhs: &Expr, list: bool) -> Option<Cond> {
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

    pub(super) fn event(&mut self, e: &Expr) -> Option<Event> {
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

    pub(super) fn predicate(
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
    pub(super) fn constant(&mut self, e: &Expr, scope: &Scope) -> Option<String> {
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

    pub(super) fn constant_list(&mut self, e: &Expr, scope: &Scope) -> Option<Vec<String>> {
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

/// An orderable number for range checks.
pub(super) fn ordinal(v: &Value) -> u128 {
    match v {
        Value::Int(n) => (*n).max(0) as u128,
        Value::Cpu(c) => u128::from(c.millicores),
        Value::Memory(m) => u128::from(m.bytes),
        Value::Percent(p) => u128::from(p.hundredths),
        Value::Duration(d) => u128::from(d.seconds),
        _ => 0,
    }
}
