//! Where a service is watched: `metrics` (what Prometheus scrapes) and
//! `probes` (what the kubelet asks before it routes traffic or restarts a pod).

use pipec_diagnostics::{Diagnostic, Span, code};
use pipec_graph::{Duration, Metrics, Probe, Probes};
use pipec_syntax::ast::Stmt;

use crate::Checker;
use crate::eval::Scope;
use crate::stmt::{Args, Vocabulary, block_stmts};
use crate::types::Ty;
use crate::value::Value;

/// The kubelet's probe period when none is written.
const KUBERNETES_PERIOD: Duration = Duration { seconds: 10 };

/// How long a probe may take when the program does not say. Kubernetes' own
/// default, 1s, fails a pod whose answer is delayed by a garbage collection or
/// a busy event loop; these are the seeds' values. A readiness probe is
/// stricter than a liveness probe: a slow pod only leaves the rotation for a
/// while, where a failed liveness probe restarts it.
fn default_timeout(kind: &str) -> Duration {
    Duration::from_secs(if kind == "ready" { 3 } else { 5 })
}

impl Checker<'_> {
    /// `metrics "/metrics" [port N] [{ requests …, latency … }]`
    pub(super) fn metrics(
        &mut self,
        st: &Stmt,
        default_port: u16,
        scope: &Scope,
    ) -> Option<Metrics> {
        let g = st.generic()?;
        let mut args = Args::new(st, g, "metrics \"/PATH\" [port N]");
        let path = match args.next() {
            Some(e) => self.eval(e, &Ty::Path, scope)?.as_literal()?,
            None => "/metrics".into(),
        };
        let mut port = default_port;
        if args.word("port") {
            let e = args.next()?;
            let Value::Int(n) = self.eval(e, &Ty::Int, scope)? else {
                return None;
            };
            port = self.count(n, 1, 65535, e.span)? as u16;
        }
        self.finish(&args);
        self.http_path(&path, st.span)?;
        let requests = self.request_metrics(&g.block, scope);
        Some(Metrics {
            port,
            path,
            requests,
        })
    }

    /// `probes { live "/health", ready "/ready", startup "/health" { failures 30 } }`;
    /// a worker's probes are commands, `probes { live "celery inspect ping" }`
    /// (`exec`), as it has no port to ask.
    pub(super) fn probes(&mut self, st: &Stmt, port: u16, exec: bool, scope: &Scope) -> Probes {
        const PV: Vocabulary = Vocabulary {
            context: "probes",
            heads: &["live", "ready", "startup"],
        };
        let mut p = Probes::default();
        let mut seen = Vec::new();
        let Some(g) = st.generic() else { return p };
        for s in block_stmts(&g.block) {
            let Some(pg) = s.generic() else {
                self.unknown_statement(s, &PV);
                continue;
            };
            let head = pg.head.name.as_str();
            if !PV.heads.contains(&head) {
                self.unknown_statement(s, &PV);
                continue;
            }
            if !self.once(&mut seen, head, pg.head.span) {
                continue;
            }
            let probe = self.probe(s, port, exec, default_timeout(head), scope);
            match head {
                "live" => p.liveness = probe,
                "ready" => p.readiness = probe,
                _ => p.startup = probe,
            }
        }
        p
    }

    /// `live "/health" [{ delay 30s, period 10s, timeout 5s, failures 3, port 8080 }]`,
    /// or `live "COMMAND" [{ … }]` without `port` when `exec`.
    fn probe(
        &mut self,
        st: &Stmt,
        port: u16,
        exec: bool,
        default_timeout: Duration,
        scope: &Scope,
    ) -> Option<Probe> {
        const OV: Vocabulary = Vocabulary {
            context: "a probe",
            heads: &["delay", "period", "timeout", "failures", "port"],
        };
        const EXEC_OV: Vocabulary = Vocabulary {
            context: "a command probe",
            heads: &["delay", "period", "timeout", "failures"],
        };
        let g = st.generic()?;
        let shape = if exec {
            "live \"COMMAND\" | [ARGS] [{ delay 10s, period 10s, timeout 5s, failures 3 }]"
        } else {
            "live \"/PATH\" [{ delay 10s, period 10s, timeout 5s, failures 3 }]"
        };
        let mut args = Args::new(st, g, shape);
        let Some(e) = args.next() else {
            self.shape(&args);
            return None;
        };
        self.finish(&args);
        let (path, command) = if exec {
            (String::new(), Some(self.command(e, scope)?))
        } else {
            let path = self.eval(e, &Ty::Path, scope)?.as_literal()?;
            self.http_path(&path, e.span)?;
            (path, None)
        };
        let mut probe = Probe {
            path,
            command,
            port,
            initial_delay: None,
            period: None,
            failure_threshold: None,
            timeout: default_timeout,
        };
        let mut timeout: Option<(Duration, Span)> = None;
        for o in block_stmts(&g.block) {
            let Some(og) = o.generic() else {
                self.unknown_statement(o, &OV);
                continue;
            };
            let Some(v) = og.args.first() else {
                self.diags
                    .push(crate::stmt::malformed(o.signature_span(), "delay DURATION"));
                continue;
            };
            match og.head.name.as_str() {
                "delay" | "period" | "timeout" => {
                    let Some(Value::Duration(d)) = self.eval(v, &Ty::Duration, scope) else {
                        continue;
                    };
                    match og.head.name.as_str() {
                        "delay" => probe.initial_delay = Some(d),
                        _ if d == Duration::from_secs(0) => {
                            self.out_of_range(v.span, &format!("a {} of at least 1s", og.head.name))
                        }
                        "period" => probe.period = Some(d),
                        _ => timeout = Some((d, v.span)),
                    }
                }
                "failures" => {
                    if let Some(Value::Int(n)) = self.eval(v, &Ty::Int, scope) {
                        probe.failure_threshold = self.count(n, 1, 1000, v.span);
                    }
                }
                "port" if exec => self.unknown_statement(o, &EXEC_OV),
                "port" => {
                    if let Some(Value::Int(n)) = self.eval(v, &Ty::Int, scope) {
                        probe.port = self.count(n, 1, 65535, v.span).map_or(port, |n| n as u16);
                    }
                }
                _ => self.unknown_statement(o, &OV),
            }
        }
        // A probe that may run longer than its period overlaps the next one:
        // the kubelet would wait on a hung endpoint instead of counting it as
        // a failure.
        let period = probe.period.unwrap_or(KUBERNETES_PERIOD);
        probe.timeout = match timeout {
            Some((t, span)) if t > period => {
                self.out_of_range(span, &format!("a timeout of at most the period, {period}"));
                period
            }
            Some((t, _)) => t,
            None => default_timeout.min(period),
        };
        Some(probe)
    }

    pub(super) fn http_path(&mut self, path: &str, span: Span) -> Option<()> {
        if path.starts_with('/') && !path.contains(char::is_whitespace) {
            return Some(());
        }
        self.diags.push(
            Diagnostic::new(
                code::TYPE_MISMATCH,
                span,
                format!("`{path}` is not an HTTP path"),
            )
            .label("expected a path starting with `/`")
            .help("for example \"/health\""),
        );
        None
    }
}
