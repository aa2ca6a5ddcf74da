//! `alerts { … }` of a service: the conditions under which Prometheus alerts
//! about it in each environment — error rate, latency, availability, pod
//! restarts, and the program's own expressions.

use pipec_diagnostics::{Diagnostic, code};
use pipec_graph::{AlertKind, AlertRule, Alerts, Duration, Metrics, Severity};
use pipec_syntax::ast::Stmt;

use crate::Checker;
use crate::eval::Scope;
use crate::stmt::{Args, Vocabulary};
use crate::types::{Ty, enum_of};
use crate::value::Value;

pub(crate) const AV: Vocabulary = Vocabulary {
    context: "alerts",
    heads: &["error_rate", "latency", "availability", "restarts", "rule"],
};

/// How long a condition holds before its alert fires, unless written.
const DEFAULT_HOLD: Duration = Duration { seconds: 300 };

impl Checker<'_> {
    /// `alerts { error_rate max 5% for 5m, latency p95 max 1s, availability min 99%,
    /// restarts max 3 within 1h, rule NAME "EXPR" for 10m severity warning }`
    pub(super) fn alerts(
        &mut self,
        st: &Stmt,
        metrics: Option<&Metrics>,
        scope: &Scope,
    ) -> Option<Alerts> {
        let g = st.generic()?;
        let mut rules = Vec::new();
        let mut seen = Vec::new();
        for (b, bg) in self.known_statements(&g.block, &AV) {
            let head = bg.head.name.as_str();
            if head != "rule" && !self.once(&mut seen, head, bg.head.span) {
                continue;
            }
            let shape = match head {
                "error_rate" => "error_rate max PERCENT [by LABEL] [for DURATION] [severity S]",
                "latency" => "latency pNN max DURATION [for DURATION] [severity S]",
                "availability" => "availability min PERCENT [for DURATION] [severity S]",
                "restarts" => "restarts max N within DURATION [severity S]",
                _ => "rule NAME \"PROMQL\" [for DURATION] [severity S]",
            };
            let mut args = Args::new(b, bg, shape);
            self.no_block(bg, shape);
            let needs_metrics = matches!(head, "error_rate" | "latency" | "availability");
            let metrics = match (needs_metrics, metrics) {
                (true, None) => {
                    self.diags.push(
                        Diagnostic::new(
                            code::UNKNOWN_METRIC,
                            bg.head.span,
                            format!("`{head}` is measured on metrics the service does not expose"),
                        )
                        .label("no `metrics` in this service")
                        .help("say where Prometheus scrapes it: metrics \"/metrics\""),
                    );
                    continue;
                }
                (_, m) => m,
            };
            let (kind, severity) = match head {
                "error_rate" => {
                    let Some(e) = metrics.and_then(|m| self.error_rate(&mut args, m)) else {
                        continue;
                    };
                    (AlertKind::ErrorRate(e), Severity::Critical)
                }
                "latency" => {
                    let Some(l) = self.latency(&mut args) else {
                        continue;
                    };
                    (AlertKind::Latency(l), Severity::Warning)
                }
                "availability" => {
                    let min = if args.word("min") { args.next() } else { None };
                    let Some(t) = min else {
                        self.shape(&args);
                        continue;
                    };
                    let Some(min) = self.threshold_percent(t) else {
                        continue;
                    };
                    (AlertKind::Availability { min }, Severity::Critical)
                }
                "restarts" => {
                    let Some(kind) = self.restarts(&mut args, scope) else {
                        continue;
                    };
                    (kind, Severity::Warning)
                }
                _ => {
                    let Some(kind) = self.custom_rule(&mut args, scope) else {
                        continue;
                    };
                    (kind, Severity::Warning)
                }
            };
            let mut rule = AlertRule {
                hold: if head == "restarts" {
                    Duration::from_secs(0)
                } else {
                    DEFAULT_HOLD
                },
                kind,
                severity,
            };
            if head != "restarts" && args.word("for") {
                match args.next().and_then(|e| self.eval(e, &Ty::Duration, scope)) {
                    Some(Value::Duration(d)) => rule.hold = d,
                    _ => continue,
                }
            }
            if args.word("severity") {
                let Some(e) = args.next() else {
                    self.shape(&args);
                    continue;
                };
                match self.eval(e, &enum_of(&Severity::ALL), scope) {
                    Some(Value::Enum(s)) => {
                        rule.severity = Severity::ALL
                            .iter()
                            .find(|(n, _)| *n == s)
                            .map(|(_, v)| *v)
                            .unwrap_or(rule.severity);
                    }
                    _ => continue,
                }
            }
            if self.finish(&args) {
                rules.push(rule);
            }
        }
        if rules.is_empty() {
            if !self.in_damaged(st.span) && seen.is_empty() {
                self.diags.push(
                    Diagnostic::new(
                        code::MISSING_STATEMENT,
                        st.signature_span(),
                        "alerts on nothing",
                    )
                    .label("no condition to alert on")
                    .help("alerts { error_rate max 5% for 5m, restarts max 3 within 1h }"),
                );
            }
            return None;
        }
        Some(Alerts {
            rules,
            span: st.signature_span(),
        })
    }

    /// `restarts max N within DURATION`: a count of restarts, within a window.
    fn restarts(&mut self, args: &mut Args, scope: &Scope) -> Option<AlertKind> {
        if !args.word("max") {
            self.shape(args);
            return None;
        }
        let e = args.next()?;
        let Value::Int(n) = self.eval(e, &Ty::Int, scope)? else {
            return None;
        };
        let max = self.count(n, 0, 1000, e.span)?;
        if !args.word("within") {
            self.shape(args);
            return None;
        }
        let w = args.next()?;
        match self.eval(w, &Ty::Duration, scope)? {
            Value::Duration(window) if window.seconds >= 60 => {
                Some(AlertKind::Restarts { max, window })
            }
            _ => {
                self.out_of_range(w.span, "a window of 1m or more");
                None
            }
        }
    }

    /// `rule NAME "PROMQL"`: the program's own condition.
    fn custom_rule(&mut self, args: &mut Args, scope: &Scope) -> Option<AlertKind> {
        let name = args.next();
        let Some(n) = name.and_then(|n| n.as_ident()) else {
            self.shape(args);
            return None;
        };
        let n_span = name.map(|e| e.span)?;
        if !is_rule_name(n) {
            self.diags.push(
                Diagnostic::new(
                    code::INVALID_NAME,
                    n_span,
                    format!("`{n}` is not an alert name"),
                )
                .label("invalid name")
                .help("lowercase words joined by `_`: queue_backlog"),
            );
            return None;
        }
        let Some(e) = args.next() else {
            self.shape(args);
            return None;
        };
        let expr = self.literal_text(e, &Ty::String, scope, "an alert expression")?;
        if expr.trim().is_empty() {
            self.out_of_range(e.span, "a PromQL expression");
            return None;
        }
        Some(AlertKind::Custom {
            name: n.to_string(),
            expr,
        })
    }
}

/// Lowercase words joined by `_`, as the alert names are made from them.
fn is_rule_name(n: &str) -> bool {
    n.starts_with(|c: char| c.is_ascii_lowercase())
        && n.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}
