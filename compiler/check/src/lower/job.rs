//! Job bodies: the statements of `job NAME { … }`, of templates returning a job
//! or an image, and of `publish` blocks.

use pipec_diagnostics::{Diagnostic, Span, code, did_you_mean};
use pipec_graph::{Cond, Job, JobId, JobKind, Role, RunJob, RunOn, Runner, Step, Text};
use pipec_syntax::ast::{BinaryOp, Expr, ExprKind, Generic, Stmt, StmtKind};

use crate::Checker;
use crate::eval::Scope;
use crate::stmt::Vocabulary;
use crate::types::Ty;
use crate::value::Value;

/// What a body describes; decides the statements it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyKind {
    Job,
    Image,
    Publish,
}

const COMMON: &[&str] = &[
    "after",
    "when",
    "timeout",
    "duration",
    "runs_on",
    "title",
    "allow_failure",
];

pub(crate) const JOB_HEADS: &[&str] = &[
    "after",
    "when",
    "timeout",
    "duration",
    "runs_on",
    "title",
    "allow_failure",
    "tool",
    "container",
    "service",
    "env",
    "cache",
    "step",
    "run",
    "artifact",
    "report",
    "matrix",
    "include",
    "exclude",
    "role",
    "run_if",
    "load",
    "history",
    "upload",
    "release",
];
pub(crate) const IMAGE_HEADS: &[&str] = &[
    "after",
    "when",
    "timeout",
    "duration",
    "runs_on",
    "title",
    "allow_failure",
    "dockerfile",
    "context",
    "target",
    "build_args",
    "platforms",
];
pub(crate) const PUBLISH_HEADS: &[&str] = &[
    "after",
    "when",
    "timeout",
    "duration",
    "runs_on",
    "title",
    "allow_failure",
    "tags",
    "cache",
];

/// The image fields an image body sets.
#[derive(Debug, Clone)]
pub(crate) struct ImageDraft {
    pub dockerfile: Text,
    pub context: Text,
    pub target: Option<Text>,
    pub build_args: Vec<(String, Text)>,
    pub platforms: Vec<String>,
}

impl Default for ImageDraft {
    fn default() -> Self {
        ImageDraft {
            dockerfile: Text::lit("Dockerfile"),
            context: Text::lit("."),
            target: None,
            build_args: Vec::new(),
            platforms: Vec::new(),
        }
    }
}

/// A job while its pipeline is being lowered: references are still names.
#[derive(Debug, Clone)]
pub(crate) struct JobDraft {
    pub job: Job,
    /// Where the job is named: `job NAME`, `image NAME`, or the publish rule.
    pub name_span: Span,
    pub after: Vec<(String, Span)>,
    pub after_all: bool,
    pub loads: Vec<(String, Span)>,
    /// Images of `loads` the job reads only as their archive.
    pub archive_only: Vec<String>,
    pub image: ImageDraft,
    /// Publish statements the generic body does not handle (`tags`, `cache`).
    pub publish_stmts: Vec<Stmt>,
    /// Steps to put before or after a step of the job, once all are known.
    pub placed: Vec<Placement>,
    /// Where each `tool` statement names its tool.
    pub tool_spans: Vec<(pipec_graph::Tool, Span)>,
}

/// `step … before "STEP"` or `after "STEP"`: a step placed next to another
/// step of the job, such as one a template made.
#[derive(Debug, Clone)]
pub(crate) struct Placement {
    pub step: Step,
    pub before: bool,
    /// The name of the step it goes next to.
    pub anchor: String,
    /// Where that name is written.
    pub span: Span,
}

impl JobDraft {
    pub fn new(id: JobId, name: &str, span: Span, role: Role, kind: JobKind) -> Self {
        JobDraft {
            name_span: span,
            job: Job {
                id,
                name: name.to_string(),
                title: Text::lit(title_case(name)),
                title_span: None,
                span,
                origin: None,
                role,
                kind,
                when: Cond::Always,
                when_span: None,
                run_on: RunOn::Success,
                runner: Runner::Ubuntu,
                runner_span: None,
                timeout: None,
                allow_failure: false,
                matrix: None,
                env: Vec::new(),
                duration: None,
            },
            after: Vec::new(),
            after_all: false,
            loads: Vec::new(),
            archive_only: Vec::new(),
            image: ImageDraft::default(),
            publish_stmts: Vec::new(),
            placed: Vec::new(),
            tool_spans: Vec::new(),
        }
    }

    pub(super) fn run(&mut self) -> &mut RunJob {
        if !matches!(self.job.kind, JobKind::Run(_)) {
            self.job.kind = JobKind::Run(RunJob::default());
        }
        match &mut self.job.kind {
            JobKind::Run(r) => r,
            _ => unreachable!("just set to a run job"),
        }
    }
}

/// A runner label that is only the value of a matrix axis whose values all
/// name hosted runners (`matrix { os: [ubuntu, macos] }` with `runs_on
/// "{{ matrix.os }}"`): each instance runs on the hosted runner its value
/// names.
pub(crate) fn runner_matrix(job: &mut Job) {
    let Runner::Label(text) = &job.runner else {
        return;
    };
    let [pipec_graph::Part::Matrix(axis)] = text.parts.as_slice() else {
        return;
    };
    let Some(m) = &job.matrix else {
        return;
    };
    let mut values = m
        .axes
        .iter()
        .filter(|a| a.name == *axis)
        .flat_map(|a| a.values.iter())
        .chain(
            m.include
                .iter()
                .flatten()
                .filter(|(k, _)| k == axis)
                .map(|(_, v)| v),
        )
        .peekable();
    if values.peek().is_some() && values.all(|v| Runner::hosted(v).is_some()) {
        job.runner = Runner::Matrix(axis.clone());
    }
}

/// `unit_tests` → `Unit tests`.
pub fn title_case(name: &str) -> String {
    let s = name.replace('_', " ");
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// The matrix axes a body declares, found before the rest is lowered so that
/// every statement can use `{{ matrix.AXIS }}`.
pub(crate) fn declared_axes(stmts: &[Stmt]) -> Vec<String> {
    let mut out = Vec::new();
    for s in stmts {
        if let Some(g) = s.generic()
            && g.head.name == "matrix"
            && let Some(Expr {
                kind: ExprKind::Record(fields),
                ..
            }) = g.args.first()
        {
            out.extend(fields.iter().map(|f| f.key.name.clone()));
        }
    }
    out
}

impl Checker<'_> {
    /// Puts the steps written with `before` or `after` next to the step they
    /// name, in the order they were written: steps placed after one step
    /// follow it in that order. A name the job has no step for is an error.
    pub(crate) fn place_steps(&mut self, draft: &mut JobDraft) {
        let placed = std::mem::take(&mut draft.placed);
        if placed.is_empty() {
            return;
        }
        let name = draft.job.name.clone();
        let steps = &mut draft.run().steps;
        // For each step, the step it was placed after.
        let mut after: Vec<Option<String>> = vec![None; steps.len()];
        for p in placed {
            // Steps are named by what they are called before the run; a name
            // with values of the run is no anchor.
            let literal: Vec<Option<String>> = steps.iter().map(|s| s.name.as_literal()).collect();
            let Some(at) = literal
                .iter()
                .position(|n| n.as_deref() == Some(p.anchor.as_str()))
            else {
                let names: Vec<&str> = literal.iter().flatten().map(String::as_str).collect();
                let help = match did_you_mean(&p.anchor, names.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None if names.is_empty() => "the job has no other steps".to_string(),
                    None => format!("its steps: {}", names.join(", ")),
                };
                self.diags.push(
                    Diagnostic::new(
                        code::UNKNOWN_STEP,
                        p.span,
                        format!("job `{name}` has no step named `{}`", p.anchor),
                    )
                    .label("no such step")
                    .help(help),
                );
                steps.push(p.step);
                after.push(None);
                continue;
            };
            let mut i = at;
            if !p.before {
                i += 1;
                while after
                    .get(i)
                    .is_some_and(|a| a.as_deref() == Some(p.anchor.as_str()))
                {
                    i += 1;
                }
            }
            steps.insert(i, p.step);
            after.insert(i, (!p.before).then_some(p.anchor));
        }
    }

    /// Lowers the statements of a body into `draft`. `site` is the user code
    /// that caused them (a template call), when they come from a template.
    pub(crate) fn job_body(
        &mut self,
        stmts: &[Stmt],
        draft: &mut JobDraft,
        scope: &Scope,
        kind: BodyKind,
    ) {
        let (context, heads) = match kind {
            BodyKind::Job => ("a job", JOB_HEADS),
            BodyKind::Image => ("an image", IMAGE_HEADS),
            BodyKind::Publish => ("a publish rule", PUBLISH_HEADS),
        };
        let vocab = Vocabulary { context, heads };
        let mut seen: Vec<(String, Span)> = Vec::new();
        for stmt in stmts {
            let StmtKind::Generic(g) = &stmt.kind else {
                self.unknown_statement(stmt, &vocab);
                continue;
            };
            // `STATEMENT if CONDITION`: included only when the condition holds.
            let guarded;
            let (stmt, g) = match g.args.last() {
                Some(Expr {
                    kind:
                        ExprKind::Binary {
                            op: BinaryOp::If,
                            lhs,
                            rhs,
                        },
                    ..
                }) => {
                    match self.eval(rhs, &Ty::Bool, scope) {
                        Some(Value::Bool(true)) => {}
                        _ => continue,
                    }
                    let mut g2: Generic = g.clone();
                    let last = g2.args.len() - 1;
                    g2.args[last] = (**lhs).clone();
                    guarded = Stmt {
                        span: stmt.span,
                        attrs: stmt.attrs.clone(),
                        kind: StmtKind::Generic(g2),
                    };
                    let StmtKind::Generic(g2) = &guarded.kind else {
                        continue;
                    };
                    (&guarded, g2)
                }
                _ => (stmt, g),
            };
            let head = g.head.name.as_str();
            if !heads.contains(&head) {
                self.unknown_statement(stmt, &vocab);
                continue;
            }
            let repeatable = matches!(
                head,
                "service"
                    | "env"
                    | "cache"
                    | "step"
                    | "run"
                    | "artifact"
                    | "report"
                    | "include"
                    | "exclude"
                    | "after"
                    | "load"
                    | "tool"
            );
            if !repeatable && !self.once(&mut seen, head, g.head.span) {
                continue;
            }
            if COMMON.contains(&head) {
                self.common(stmt, g, draft, scope);
                continue;
            }
            match kind {
                BodyKind::Job => self.job_stmt(stmt, g, draft, scope),
                BodyKind::Image => self.image_stmt(stmt, g, draft, scope),
                BodyKind::Publish => draft.publish_stmts.push(stmt.clone()),
            }
        }
    }

    fn common(&mut self, stmt: &Stmt, g: &Generic, draft: &mut JobDraft, scope: &Scope) {
        match g.head.name.as_str() {
            "after" => {
                let Some(e) = self.single(stmt, "after JOB | [JOBS] | all") else {
                    return;
                };
                if e.as_ident() == Some("all") && scope.param("all").is_none() {
                    draft.after_all = true;
                    return;
                }
                if let Some(v) = self.eval(e, &Ty::List(Box::new(Ty::Job)), scope) {
                    for item in v.into_list() {
                        if let Value::Ref(name, span) = item {
                            draft.after.push((name, span));
                        }
                    }
                }
            }
            "when" => {
                let Some(e) = self.single(stmt, "when CONDITION") else {
                    return;
                };
                if let Some(Value::Cond(c)) = self.eval(e, &Ty::Cond, scope) {
                    draft.job.when = c;
                    draft.job.when_span = Some(e.span);
                }
            }
            "timeout" => {
                let Some(e) = self.single(stmt, "timeout DURATION") else {
                    return;
                };
                if let Some(Value::Duration(d)) = self.eval(e, &Ty::Duration, scope) {
                    if d.seconds < 60 || d.seconds > 24 * 3600 {
                        self.out_of_range(e.span, "a timeout from 1m to 24h");
                    } else {
                        draft.job.timeout = Some(d);
                    }
                }
            }
            "duration" => {
                let Some(e) = self.single(stmt, "duration DURATION") else {
                    return;
                };
                if let Some(Value::Duration(d)) = self.eval(e, &Ty::Duration, scope) {
                    draft.job.duration = Some(d);
                }
            }
            "runs_on" => {
                let Some(e) =
                    self.single(stmt, "runs_on ubuntu|ubuntu_arm|macos|windows|\"LABEL\"")
                else {
                    return;
                };
                draft.job.runner = match &e.kind {
                    ExprKind::Ident(n) if scope.param(n).is_none() => match Runner::hosted(n) {
                        Some(r) => r,
                        None => {
                            let words = Runner::HOSTED.map(|(w, _)| w.to_string());
                            self.unknown_variant(e.span, n, &words);
                            return;
                        }
                    },
                    _ => match self.eval(e, &Ty::String, scope).and_then(|v| v.as_text()) {
                        Some(l) if !l.parts.is_empty() => {
                            if !self.untrusted_choice(&l, e.span, "the runner") {
                                return;
                            }
                            // A template parameter naming a hosted runner.
                            match l.as_literal().and_then(|w| Runner::hosted(&w)) {
                                Some(r) => r,
                                None => Runner::Label(l),
                            }
                        }
                        _ => return,
                    },
                };
                draft.job.runner_span = Some(scope.site.unwrap_or(e.span));
            }
            "title" => {
                let Some(e) = self.single(stmt, "title \"TEXT\"") else {
                    return;
                };
                if let Some(t) = self.eval(e, &Ty::String, scope).and_then(|v| v.as_text()) {
                    draft.job.title = t;
                    draft.job.title_span = Some(scope.site.unwrap_or(e.span));
                }
            }
            "allow_failure" => {
                let value = match g.args.as_slice() {
                    [] => true,
                    [e] => matches!(self.eval(e, &Ty::Bool, scope), Some(Value::Bool(true))),
                    _ => {
                        self.diags.push(crate::stmt::malformed(
                            stmt.signature_span(),
                            "allow_failure [true|false]",
                        ));
                        return;
                    }
                };
                draft.job.allow_failure = value;
            }
            _ => {}
        }
    }
}
