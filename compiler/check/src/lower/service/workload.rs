//! `worker NAME { … }` and `cronjob NAME { … }`: applications without a port,
//! read as services are (image, resources, configuration, secrets, volumes,
//! where they are deployed), with what only they have: the command, a
//! worker's command probes, a CronJob's schedule and run settings.

use pipec_diagnostics::{Diagnostic, Span, code};
use pipec_graph::{Concurrency, CronJob, Duration, Workload};
use pipec_syntax::ast::{ExprKind, Stmt};

use crate::Checker;
use crate::eval::Scope;
use crate::stmt::Vocabulary;
use crate::types::Ty;
use crate::value::Value;

/// What a worker accepts: a service's statements but those of its port.
pub(crate) const WORKER: Vocabulary = Vocabulary {
    context: "a worker",
    heads: &[
        "image",
        "command",
        "probes",
        "resources",
        "replicas",
        "autoscale",
        "min_available",
        "config",
        "secrets",
        "deploy",
        "user",
        "migrate",
        "smoke_test",
        "pull_secrets",
        "volume",
        "selector",
    ],
};

/// What a CronJob accepts.
pub(crate) const CRONJOB: Vocabulary = Vocabulary {
    context: "a cronjob",
    heads: &[
        "image",
        "command",
        "schedule",
        "timezone",
        "concurrency",
        "history",
        "retries",
        "deadline",
        "start_within",
        "resources",
        "config",
        "secrets",
        "deploy",
        "user",
        "pull_secrets",
        "volume",
    ],
};

/// The longest a CronJob's run or start may be held to, as Kubernetes
/// counts seconds in 32 bits; a week is already far more than a run needs.
const MAX_DEADLINE: u64 = 7 * 24 * 3600;

/// The regions of the IANA time zone database: a zone is `Region/City` (or
/// `UTC`), which Kubernetes looks up in its own copy of the database.
const TZ_REGIONS: &[&str] = &[
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
    "Etc",
];

/// The statements of a worker or CronJob body that the service reader does
/// not know, collected while it reads the body.
#[derive(Default)]
pub(super) struct Draft<'s> {
    pub command: Option<Vec<String>>,
    pub schedule: Option<String>,
    pub stmts: Vec<&'s Stmt>,
}

impl Checker<'_> {
    /// The kind of a `service`, `worker` or `cronjob` declaration, from its
    /// head and what its body said; `None` when a CronJob lacks what it needs
    /// (reported).
    pub(super) fn workload(
        &mut self,
        kind: &str,
        draft: Draft,
        unprobed: bool,
        scope: &Scope,
    ) -> Option<Workload> {
        match kind {
            "worker" => Some(Workload::Worker(pipec_graph::Worker {
                command: draft.command,
                unprobed,
            })),
            "cronjob" => {
                // Its settings are checked even when the schedule or the
                // command is wrong, so every mistake is reported at once.
                let (schedule, command) = (draft.schedule, draft.command);
                let mut cron = CronJob::new(String::new(), Vec::new());
                for st in draft.stmts {
                    self.cron_setting(st, &mut cron, scope);
                }
                cron.schedule = schedule?;
                cron.command = command?;
                Some(Workload::Cron(cron))
            }
            _ => Some(Workload::Http),
        }
    }

    /// `command "…"` and `schedule "…"`, kept in the draft; the other
    /// statements only a CronJob has wait there until the schedule is known.
    pub(super) fn workload_stmt<'s>(
        &mut self,
        head: &str,
        st: &'s Stmt,
        draft: &mut Draft<'s>,
        scope: &Scope,
    ) {
        match head {
            "command" => {
                if let Some(e) = self.single(st, "command \"COMMAND\" | [ARGS]") {
                    draft.command = self.command(e, scope);
                }
            }
            "schedule" => {
                if let Some(e) = self.single(st, "schedule \"CRON\"")
                    && let Some(cron) = self
                        .eval(e, &Ty::String, scope)
                        .and_then(|v| v.as_literal())
                {
                    match crate::cron::check(&cron) {
                        Ok(()) => draft.schedule = Some(cron),
                        Err(m) => self.diags.push(
                            Diagnostic::new(code::INVALID_CRON, e.span, m)
                                .label("invalid schedule")
                                .help("five fields: minute hour day-of-month month day-of-week, e.g. \"*/5 * * * *\""),
                        ),
                    }
                }
            }
            _ => draft.stmts.push(st),
        }
    }

    fn cron_setting(&mut self, st: &Stmt, cron: &mut CronJob, scope: &Scope) {
        let Some(g) = st.generic() else { return };
        match g.head.name.as_str() {
            "timezone" => {
                if let Some(e) = self.single(st, "timezone \"Region/City\"")
                    && let Some(tz) = self
                        .eval(e, &Ty::String, scope)
                        .and_then(|v| v.as_literal())
                {
                    if is_time_zone(&tz) {
                        cron.time_zone = Some(tz);
                    } else {
                        self.diags.push(
                            Diagnostic::new(
                                code::TIME_ZONE,
                                e.span,
                                format!("`{tz}` is not a time zone name"),
                            )
                            .label("not an IANA time zone")
                            .help("name a zone of the IANA database: \"Europe/Berlin\", \"America/New_York\", \"UTC\""),
                        );
                    }
                }
            }
            "concurrency" => {
                if let Some(e) = self.single(st, "concurrency forbid|allow|replace") {
                    let names = Concurrency::ALL
                        .iter()
                        .map(|(n, _)| n.to_string())
                        .collect();
                    if let Some(Value::Enum(n)) = self.eval(e, &Ty::Enum(names), scope)
                        && let Some((_, c)) = Concurrency::ALL.iter().find(|(s, _)| *s == n)
                    {
                        cron.concurrency = *c;
                    }
                }
            }
            "history" => self.history(st, cron, scope),
            "retries" => {
                if let Some(e) = self.single(st, "retries N")
                    && let Some(Value::Int(n)) = self.eval(e, &Ty::Int, scope)
                    && let Some(n) = self.count(n, 0, 20, e.span)
                {
                    cron.retries = n;
                }
            }
            "deadline" | "start_within" => {
                let shape = if g.head.name == "deadline" {
                    "deadline DURATION"
                } else {
                    "start_within DURATION"
                };
                if let Some(e) = self.single(st, shape)
                    && let Some(d) = self.bounded_duration(e.span, e, scope)
                {
                    if g.head.name == "deadline" {
                        cron.deadline = Some(d);
                    } else {
                        cron.start_within = Some(d);
                    }
                }
            }
            _ => {}
        }
    }

    fn bounded_duration(
        &mut self,
        span: Span,
        e: &pipec_syntax::ast::Expr,
        scope: &Scope,
    ) -> Option<Duration> {
        let Value::Duration(d) = self.eval(e, &Ty::Duration, scope)? else {
            return None;
        };
        if d.seconds == 0 || d.seconds > MAX_DEADLINE {
            self.out_of_range(span, "a duration from 1s to 7d");
            return None;
        }
        Some(d)
    }

    /// `history { succeeded 3, failed 1 }`
    fn history(&mut self, st: &Stmt, cron: &mut CronJob, scope: &Scope) {
        const HV: Vocabulary = Vocabulary {
            context: "a history",
            heads: &["succeeded", "failed"],
        };
        let Some(g) = st.generic() else { return };
        if g.block.is_none() || !g.args.is_empty() {
            self.diags.push(crate::stmt::malformed(
                st.signature_span(),
                "history { succeeded N, failed N }",
            ));
            return;
        }
        let mut seen = Vec::new();
        for (s, hg) in self.known_statements(&g.block, &HV) {
            let head = hg.head.name.as_str();
            if !self.once(&mut seen, head, hg.head.span) {
                continue;
            }
            if let Some(e) = self.single(s, "succeeded N")
                && let Some(Value::Int(n)) = self.eval(e, &Ty::Int, scope)
                && let Some(n) = self.count(n, 0, 100, e.span)
            {
                if head == "succeeded" {
                    cron.keep_succeeded = n;
                } else {
                    cron.keep_failed = n;
                }
            }
        }
    }

    /// A statement of an HTTP service written in a worker or a CronJob.
    pub(super) fn no_port_statement(&mut self, st: &Stmt, kind: &str, head: &str) {
        self.unparsed.push(st.span);
        let why = match head {
            "port" | "expose" | "ingress" => "it has no port, so nothing can reach it".to_string(),
            "metrics" | "alerts" | "rollout" => {
                "it serves no HTTP requests to measure or to shift".to_string()
            }
            "probes" => "a CronJob's pods run to completion; a failed run is retried".to_string(),
            _ => "a CronJob starts one pod per run, not a Deployment".to_string(),
        };
        let help = match (kind, head) {
            ("worker", _) => "write it as a `service NAME { … port N … }`, or remove it",
            (_, "replicas" | "autoscale" | "min_available" | "selector") => {
                "a CronJob starts one pod per run; `concurrency` says whether runs overlap"
            }
            (_, "migrate" | "smoke_test") => {
                "run the command as part of the CronJob's own `command`"
            }
            _ => "write it as a `service` or a `worker`, or remove it",
        };
        let g = st.generic();
        let span = g.map_or(st.span, |g| g.head.span);
        self.diags.push(
            Diagnostic::new(
                code::NO_PORT_STATEMENT,
                span,
                format!("`{head}` is not a statement of a {kind}: {why}"),
            )
            .label(format!("not in a {kind}"))
            .help(help),
        );
    }

    /// Whether `probes none` is written: a worker that is deliberately not
    /// probed.
    pub(super) fn probes_none(&self, st: &Stmt) -> bool {
        st.generic().is_some_and(|g| {
            g.block.is_none()
                && matches!(g.args.as_slice(), [e] if matches!(&e.kind, ExprKind::Ident(n) if n == "none"))
        })
    }

    /// A worker without `probes`.
    pub(super) fn worker_without_probes(&mut self, name: &str, span: Span) {
        self.diags.push(
            Diagnostic::new(
                code::WORKER_PROBES,
                span,
                format!("worker `{name}` does not say how it is probed"),
            )
            .label("no `probes`")
            .help("probe it with a command, probes { live \"celery inspect ping\" }, or write `probes none`"),
        );
    }
}

impl Checker<'_> {
    /// A command: a string, run by the container's shell (`sh -c`), or a
    /// list of arguments, run as they are — for images without a shell,
    /// such as distroless ones.
    pub(super) fn command(
        &mut self,
        e: &pipec_syntax::ast::Expr,
        scope: &Scope,
    ) -> Option<Vec<String>> {
        let argv = if let ExprKind::List(_) = &e.kind {
            let list = self.eval(e, &Ty::List(Box::new(Ty::String)), scope)?;
            list.into_list()
                .into_iter()
                .map(|v| v.as_literal())
                .collect::<Option<Vec<String>>>()?
        } else {
            let cmd = self.eval(e, &Ty::String, scope)?.as_literal()?;
            if cmd.trim().is_empty() {
                Vec::new()
            } else {
                vec!["sh".to_string(), "-c".to_string(), cmd]
            }
        };
        if argv.first().is_none_or(|a| a.trim().is_empty()) {
            self.out_of_range(e.span, "a command");
            return None;
        }
        Some(argv)
    }
}

/// `UTC`, or `Region/City[/Place]` under one of the database's regions, with
/// the characters its names use.
fn is_time_zone(tz: &str) -> bool {
    if tz == "UTC" {
        return true;
    }
    let mut parts = tz.split('/');
    let region = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    TZ_REGIONS.contains(&region)
        && !rest.is_empty()
        && rest.len() <= 2
        && rest.iter().all(|p| {
            !p.is_empty()
                && p.starts_with(|c: char| c.is_ascii_uppercase())
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
        })
}

#[cfg(test)]
mod tests {
    use super::is_time_zone;

    #[test]
    fn time_zones() {
        for ok in [
            "UTC",
            "Europe/Berlin",
            "America/Argentina/Buenos_Aires",
            "Etc/GMT+2",
        ] {
            assert!(is_time_zone(ok), "{ok}");
        }
        for bad in [
            "",
            "CET",
            "Berlin",
            "europe/berlin",
            "Europe/",
            "Mars/Olympus",
            "Europe/Berlin ",
        ] {
            assert!(!is_time_zone(bad), "{bad}");
        }
    }
}
