//! The measurements a service's metrics allow, shared by a rollout's
//! `analysis` and the service's `alerts`: the request metrics named in the
//! `metrics` block, `error_rate` and `latency` with their thresholds, and
//! the unit every threshold carries.

use pipec_diagnostics::{Diagnostic, Span, code, did_you_mean};
use pipec_graph::{ErrorRate, Latency, Metrics, Percent, RequestMetrics, Series};
use pipec_syntax::ast::{Block, Expr, ExprKind};

use crate::Checker;
use crate::eval::Scope;
use crate::stmt::{Args, Vocabulary, block_stmts};
use crate::types::Ty;
use crate::value::Value;

/// The statements of a `metrics` block.
pub(crate) const MV: Vocabulary = Vocabulary {
    context: "metrics",
    heads: &["requests", "latency"],
};

impl Checker<'_> {
    /// The block of `metrics "/metrics" { requests "NAME" labels [..], latency "NAME" labels [..] }`:
    /// the request counter and latency histogram the endpoint serves. What is
    /// not written keeps the names of the Prometheus client libraries.
    pub(super) fn request_metrics(
        &mut self,
        block: &Option<Block>,
        scope: &Scope,
    ) -> RequestMetrics {
        let mut m = RequestMetrics::default();
        let mut seen = Vec::new();
        for st in block_stmts(block) {
            let Some(g) = st.generic() else {
                self.unknown_statement(st, &MV);
                continue;
            };
            let head = g.head.name.as_str();
            if !MV.heads.contains(&head) {
                self.unknown_statement(st, &MV);
                continue;
            }
            if !self.once(&mut seen, head, g.head.span) {
                continue;
            }
            let mut args = Args::new(st, g, "requests|latency \"METRIC\" [labels [LABELS]]");
            let Some(name) = args.next() else {
                self.shape(&args);
                continue;
            };
            let Some(name) = self.literal_text(name, &Ty::String, scope, "a metric name") else {
                continue;
            };
            if !is_prometheus_name(&name) {
                self.diags.push(
                    Diagnostic::new(
                        code::INVALID_NAME,
                        st.signature_span(),
                        format!("`{name}` is not a Prometheus metric name"),
                    )
                    .label("invalid metric name")
                    .help("letters, digits and `_`, not starting with a digit: \"http_requests_total\""),
                );
                continue;
            }
            let mut labels = Vec::new();
            if args.word("labels") {
                let Some(list) = args.next() else {
                    self.shape(&args);
                    continue;
                };
                labels = self.label_names(list);
            }
            self.finish(&args);
            self.no_block(g, "requests|latency \"METRIC\" [labels [LABELS]]");
            let series = Series { name, labels };
            if head == "requests" {
                m.requests = series;
            } else {
                m.latency = series;
            }
        }
        m
    }

    /// `[code, method]`: label names, written as words.
    fn label_names(&mut self, e: &Expr) -> Vec<String> {
        let items: Vec<&Expr> = match &e.kind {
            ExprKind::List(items) => items.iter().collect(),
            _ => vec![e],
        };
        let mut out = Vec::new();
        for item in items {
            match item.as_ident() {
                Some(n) if is_prometheus_name(n) && !n.starts_with("__") => out.push(n.to_string()),
                _ => self.diags.push(
                    Diagnostic::new(code::INVALID_NAME, item.span, "not a Prometheus label name")
                        .label("expected a label name")
                        .help("write the labels as words: labels [code, method]"),
                ),
            }
        }
        out
    }

    /// `error_rate max 1% [by LABEL]`: the share of 5xx answers.
    pub(super) fn error_rate(&mut self, args: &mut Args, metrics: &Metrics) -> Option<ErrorRate> {
        if !args.word("max") {
            self.shape(args);
            return None;
        }
        let Some(t) = args.next() else {
            self.shape(args);
            return None;
        };
        let max = self.threshold_percent(t)?;
        let requests = &metrics.requests.requests;
        let label = if args.word("by") {
            let Some(l) = args.next() else {
                self.shape(args);
                return None;
            };
            let Some(name) = l.as_ident() else {
                self.shape(args);
                return None;
            };
            if !requests.labels.iter().any(|x| x == name) {
                self.unknown_label(l.span, name, &requests.name, &requests.labels);
                return None;
            }
            name.to_string()
        } else {
            match ["code", "status"]
                .iter()
                .find(|n| requests.labels.iter().any(|x| x == *n))
            {
                Some(n) => n.to_string(),
                None => {
                    self.diags.push(
                        Diagnostic::new(
                            code::UNKNOWN_METRIC,
                            args.span(),
                            format!("`{}` has no status label", requests.name),
                        )
                        .label("which label holds the HTTP status?")
                        .help(format!(
                            "name it: error_rate max {} by LABEL, one of {}",
                            self.sources.slice(t.span),
                            if requests.labels.is_empty() {
                                "the labels written in `metrics { requests … labels [...] }`"
                                    .to_string()
                            } else {
                                requests.labels.join(", ")
                            }
                        )),
                    );
                    return None;
                }
            }
        };
        Some(ErrorRate {
            max,
            status_label: label,
        })
    }

    fn unknown_label(&mut self, span: Span, name: &str, metric: &str, labels: &[String]) {
        let mut d = Diagnostic::new(
            code::UNKNOWN_METRIC,
            span,
            format!("`{metric}` has no label `{name}`"),
        )
        .label("not a label the service exposes");
        d = match did_you_mean(name, labels.iter().map(String::as_str)) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.help(format!(
                "its labels are {}; declare others in `metrics {{ requests \"{metric}\" labels [...] }}`",
                if labels.is_empty() { "none".to_string() } else { labels.join(", ") }
            )),
        };
        self.diags.push(d);
    }

    /// `latency p95 max 500ms`
    pub(super) fn latency(&mut self, args: &mut Args) -> Option<Latency> {
        let Some(q) = args.next() else {
            self.shape(args);
            return None;
        };
        let quantile = q
            .as_ident()
            .and_then(|w| w.strip_prefix('p'))
            .filter(|n| (1..=2).contains(&n.len()) && !n.starts_with('0'))
            .and_then(|n| n.parse::<u32>().ok());
        let Some(quantile) = quantile else {
            self.diags.push(
                Diagnostic::new(code::UNKNOWN_VARIANT, q.span, "not a latency quantile")
                    .label("expected p50, p90, p95, p99, …")
                    .help("latency p95 max 500ms"),
            );
            return None;
        };
        if !args.word("max") {
            self.shape(args);
            return None;
        }
        let Some(t) = args.next() else {
            self.shape(args);
            return None;
        };
        let max_ms = self.threshold_ms(t)?;
        Some(Latency { quantile, max_ms })
    }

    /// A share of requests: `1%`, `0.5%`.
    pub(super) fn threshold_percent(&mut self, e: &Expr) -> Option<Percent> {
        if let ExprKind::Number(n) = &e.kind {
            self.unitless(e.span, n, "a percent", &format!("{n}%"));
            return None;
        }
        let Value::Percent(p) = self.eval(e, &Ty::Percent, &Scope::default())? else {
            return None;
        };
        if p.hundredths == 0 || p.hundredths >= 10_000 {
            self.out_of_range(e.span, "a percent above 0% and below 100%");
            return None;
        }
        Some(p)
    }

    /// A duration in milliseconds: `500ms`, `2s`, `1.5s`.
    fn threshold_ms(&mut self, e: &Expr) -> Option<u64> {
        let (number, unit) = match &e.kind {
            ExprKind::Number(n) => {
                self.unitless(e.span, n, "a duration", &format!("{n}ms"));
                return None;
            }
            ExprKind::Quantity { number, unit } => (number, unit.as_str()),
            _ => {
                self.mismatch(e, &Ty::Duration);
                return None;
            }
        };
        let factor = match unit {
            "ms" => 1.0,
            "s" => 1000.0,
            _ => {
                self.diags.push(
                    Diagnostic::new(
                        code::TYPE_MISMATCH,
                        e.span,
                        format!("`{unit}` is not a unit of latency"),
                    )
                    .label("expected ms or s")
                    .help("latency p95 max 500ms"),
                );
                return None;
            }
        };
        let ms = number.parse::<f64>().ok().map(|n| n * factor);
        match ms {
            Some(ms) if (1.0..=3_600_000.0).contains(&ms) && ms.fract() == 0.0 => Some(ms as u64),
            _ => {
                self.out_of_range(e.span, "a whole number of milliseconds from 1ms to 1h");
                None
            }
        }
    }

    pub(super) fn unitless(&mut self, span: Span, n: &str, what: &str, example: &str) {
        self.diags.push(
            Diagnostic::new(
                code::THRESHOLD_WITHOUT_UNIT,
                span,
                format!("the threshold `{n}` has no unit"),
            )
            .label(format!("expected {what}"))
            .help(format!("write the unit: {example}")),
        );
    }
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`: a metric or label name Prometheus accepts
/// without quoting.
fn is_prometheus_name(n: &str) -> bool {
    let mut chars = n.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
