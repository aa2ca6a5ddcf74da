//! `health "COMMAND" { interval D, retries N, start D, timeout D }` of a
//! job's service container, and the check that the longest wait for it fits
//! in the job's own timeout.

use pipec_diagnostics::{Diagnostic, code};
use pipec_graph::{Duration, HealthCheck, JobKind, Text};
use pipec_syntax::ast::Stmt;

use super::job::JobDraft;
use crate::Checker;
use crate::eval::Scope;
use crate::stmt::{Args, Vocabulary};
use crate::types::Ty;
use crate::value::Value;

/// Between checks, when the program does not say: short, as a test
/// database is usually ready within seconds.
const DEFAULT_INTERVAL: Duration = Duration { seconds: 5 };
const DEFAULT_TIMEOUT: Duration = Duration { seconds: 5 };
/// Checks after the start period, when the program does not say: with the
/// defaults, a minute at most.
const DEFAULT_RETRIES: u32 = 10;

impl Checker<'_> {
    pub(super) fn health_check(&mut self, st: &Stmt, scope: &Scope) -> Option<HealthCheck> {
        const HV: Vocabulary = Vocabulary {
            context: "a health check",
            heads: &["interval", "retries", "start", "timeout"],
        };
        let g = st.generic()?;
        let mut args = Args::new(
            st,
            g,
            "health \"COMMAND\" [{ interval 5s, retries 10, start 10s, timeout 5s }]",
        );
        let Some(e) = args.next() else {
            self.shape(&args);
            return None;
        };
        self.finish(&args);
        // Docker and the job's shell run it before the job's values exist.
        let command = self.literal_text(e, &Ty::String, scope, "a health check's command")?;
        if command.trim().is_empty() || command.contains(['\n', '\r']) {
            // Docker takes the command as one option of a command line.
            self.out_of_range(e.span, "a command on one line");
            return None;
        }
        self.check_plaintext_secret(&command, e.span);
        if !self.check_url_password(&Text::lit(command.as_str()), e.span, &[]) {
            return None;
        }
        let mut h = HealthCheck {
            command,
            interval: DEFAULT_INTERVAL,
            retries: DEFAULT_RETRIES,
            start: Duration::from_secs(0),
            timeout: DEFAULT_TIMEOUT,
            span: st.span,
        };
        let mut seen = Vec::new();
        for (s, hg) in self.known_statements(&g.block, &HV) {
            let head = hg.head.name.as_str();
            if !self.once(&mut seen, head, hg.head.span) {
                continue;
            }
            if head == "retries" {
                if let Some(v) = self.single(s, "retries N")
                    && let Some(Value::Int(n)) = self.eval(v, &Ty::Int, scope)
                    && let Some(n) = self.count(n, 1, 100, v.span)
                {
                    h.retries = n;
                }
                continue;
            }
            let Some(v) = self.single(s, "interval DURATION") else {
                continue;
            };
            let Some(Value::Duration(d)) = self.eval(v, &Ty::Duration, scope) else {
                continue;
            };
            // Docker takes at least 1s between checks and for one check;
            // a start period may be none.
            let (min, max) = if head == "start" { (0, 600) } else { (1, 300) };
            if d.seconds < min || d.seconds > max {
                let what = if head == "start" {
                    "a start period up to 10m"
                } else {
                    "a duration from 1s to 5m"
                };
                self.out_of_range(v.span, what);
                continue;
            }
            match head {
                "interval" => h.interval = d,
                "start" => h.start = d,
                _ => h.timeout = d,
            }
        }
        Some(h)
    }

    /// A job whose timeout ends before the wait for its service containers
    /// would: it would be cancelled instead of failing with the wait's
    /// message (E0483).
    pub(super) fn check_health_waits(&mut self, draft: &JobDraft) {
        let (JobKind::Run(r), Some(timeout)) = (&draft.job.kind, draft.job.timeout) else {
            return;
        };
        for s in &r.services {
            let Some(h) = &s.health else { continue };
            let wait = h.longest_wait();
            if wait < timeout {
                continue;
            }
            self.diags.push(
                Diagnostic::new(
                    code::HEALTH_WAIT,
                    h.span,
                    format!(
                        "waiting for service `{}` may take {wait}, but the job's timeout is {timeout}",
                        s.name
                    ),
                )
                .label(format!(
                    "start {} + {} tries of interval {} and timeout {}",
                    h.start,
                    h.retries,
                    h.interval,
                    h.timeout
                ))
                .help("give the check fewer retries or a shorter interval, or the job a longer timeout"),
            );
        }
    }
}
