//! Job bodies: the statements of `job NAME { … }`, of templates returning a job
//! or an image, and of `publish` blocks.

use pipec_diagnostics::{Diagnostic, Span, code};
use pipec_graph::{
    Artifact, Axis, Cache, CacheKind, Cond, EnvValue, Job, JobId, JobKind, Matrix, Report,
    ReportKind, Role, RunJob, RunOn, Runner, SideService, Step, Text, Tool, Toolchain,
};
use pipec_syntax::ast::{BinaryOp, Expr, ExprKind, Generic, Stmt, StmtKind};

use crate::Checker;
use crate::eval::Scope;
use crate::stmt::{Args, Vocabulary, block_stmts};
use crate::types::{Ty, enum_of};
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
    pub dockerfile: String,
    pub context: String,
    pub target: Option<String>,
    pub build_args: Vec<(String, Text)>,
    pub platforms: Vec<String>,
}

impl Default for ImageDraft {
    fn default() -> Self {
        ImageDraft {
            dockerfile: "Dockerfile".into(),
            context: ".".into(),
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
    pub image: ImageDraft,
    /// Publish statements the generic body does not handle (`tags`, `cache`).
    pub publish_stmts: Vec<Stmt>,
}

impl JobDraft {
    pub fn new(id: JobId, name: &str, span: Span, role: Role, kind: JobKind) -> Self {
        JobDraft {
            name_span: span,
            job: Job {
                id,
                name: name.to_string(),
                title: title_case(name),
                span,
                origin: None,
                role,
                kind,
                when: Cond::Always,
                when_span: None,
                run_on: RunOn::Success,
                runner: Runner::Ubuntu,
                timeout: None,
                allow_failure: false,
                matrix: None,
                env: Vec::new(),
                duration: None,
            },
            after: Vec::new(),
            after_all: false,
            loads: Vec::new(),
            image: ImageDraft::default(),
            publish_stmts: Vec::new(),
        }
    }

    fn run(&mut self) -> &mut RunJob {
        if !matches!(self.job.kind, JobKind::Run(_)) {
            self.job.kind = JobKind::Run(RunJob::default());
        }
        match &mut self.job.kind {
            JobKind::Run(r) => r,
            _ => unreachable!("just set to a run job"),
        }
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
                    ExprKind::Ident(n) => match n.as_str() {
                        "ubuntu" => Runner::Ubuntu,
                        "ubuntu_arm" => Runner::UbuntuArm,
                        "macos" => Runner::Macos,
                        "windows" => Runner::Windows,
                        other => {
                            self.unknown_variant(
                                e.span,
                                other,
                                &["ubuntu", "ubuntu_arm", "macos", "windows"].map(String::from),
                            );
                            return;
                        }
                    },
                    _ => match self
                        .eval(e, &Ty::String, scope)
                        .and_then(|v| v.as_literal())
                    {
                        Some(l) if !l.is_empty() => Runner::Label(l),
                        _ => return,
                    },
                };
            }
            "title" => {
                let Some(e) = self.single(stmt, "title \"TEXT\"") else {
                    return;
                };
                if let Some(t) = self
                    .eval(e, &Ty::String, scope)
                    .and_then(|v| v.as_literal())
                {
                    draft.job.title = t;
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

    fn job_stmt(&mut self, stmt: &Stmt, g: &Generic, draft: &mut JobDraft, scope: &Scope) {
        let head = g.head.name.as_str();
        match head {
            "tool" => {
                let mut args = Args::new(
                    stmt,
                    g,
                    "tool python|node|go|java|trivy|gitleaks|kubectl \"VERSION\"",
                );
                let (Some(kind), Some(version)) = (args.next(), args.next()) else {
                    self.shape(&args);
                    return;
                };
                self.finish(&args);
                let Some(Value::Enum(t)) = self.eval(kind, &enum_of(&Tool::ALL), scope) else {
                    return;
                };
                let tool = Tool::ALL.iter().find(|(n, _)| *n == t).map(|x| x.1);
                let Some(version) = self
                    .eval(version, &Ty::Version, scope)
                    .and_then(|v| v.as_text())
                else {
                    return;
                };
                if let Some(tool) = tool {
                    if draft.run().container.is_some() {
                        self.conflict(stmt.span, "tool", "container");
                        return;
                    }
                    draft.run().tool = Some(Toolchain { tool, version });
                }
            }
            "container" => {
                let Some(e) = self.single(stmt, "container \"IMAGE\"") else {
                    return;
                };
                if let Some(t) = self.eval(e, &Ty::String, scope).and_then(|v| v.as_text()) {
                    if draft.run().tool.is_some() {
                        self.conflict(stmt.span, "container", "tool");
                        return;
                    }
                    draft.run().container = Some(t);
                }
            }
            "service" => self.side_service(stmt, g, draft, scope),
            "env" => {
                let Some(e) = self.single(stmt, "env { NAME: \"value\" | secret(\"NAME\") }")
                else {
                    return;
                };
                for v in self.env_vars(e, scope) {
                    draft.job.env.retain(|x| x.name != v.name);
                    draft.job.env.push(v);
                }
            }
            "cache" => {
                let mut args =
                    Args::new(stmt, g, "cache pip|poetry|npm|go|cargo keyed \"LOCKFILE\"");
                let kind = args.next();
                if !args.word("keyed") {
                    self.shape(&args);
                    return;
                }
                let keys = args.next();
                self.finish(&args);
                let (Some(kind), Some(keys)) = (kind, keys) else {
                    self.shape(&args);
                    return;
                };
                let Some(Value::Enum(k)) = self.eval(kind, &enum_of(&CacheKind::ALL), scope) else {
                    return;
                };
                let Some(keys) = self.eval(keys, &Ty::List(Box::new(Ty::Glob)), scope) else {
                    return;
                };
                let key_files = keys
                    .into_list()
                    .iter()
                    .filter_map(Value::as_literal)
                    .map(pipec_graph::Glob)
                    .collect();
                if let Some((_, kind)) = CacheKind::ALL.iter().find(|(n, _)| *n == k) {
                    draft.run().caches.push(Cache {
                        kind: *kind,
                        key_files,
                    });
                }
            }
            "step" | "run" => {
                let shape = if head == "step" {
                    "step \"NAME\" run \"SCRIPT\""
                } else {
                    "run \"SCRIPT\""
                };
                let mut args = Args::new(stmt, g, shape);
                let name = if head == "step" {
                    let n = args.next();
                    if !args.word("run") {
                        self.shape(&args);
                        return;
                    }
                    n
                } else {
                    None
                };
                let Some(script) = args.next() else {
                    self.shape(&args);
                    return;
                };
                self.finish(&args);
                self.no_block(g, shape);
                let name = match name {
                    Some(n) => match self
                        .eval(n, &Ty::String, scope)
                        .and_then(|v| v.as_literal())
                    {
                        Some(n) => n,
                        None => return,
                    },
                    None => String::new(),
                };
                let Some(script) = self
                    .eval(script, &Ty::String, scope)
                    .and_then(|v| v.as_text())
                else {
                    return;
                };
                let name = if name.is_empty() {
                    step_name(&script)
                } else {
                    name
                };
                let span = scope.site.unwrap_or(stmt.span);
                draft.run().steps.push(Step { name, script, span });
            }
            "artifact" => {
                let mut args =
                    Args::new(stmt, g, "artifact \"PATH\" | [\"PATHS\"] [expire DURATION]");
                let Some(paths) = args.next() else {
                    self.shape(&args);
                    return;
                };
                let mut expire = None;
                if args.word("expire")
                    && let Some(e) = args.next()
                    && let Some(Value::Duration(d)) = self.eval(e, &Ty::Duration, scope)
                {
                    expire = Some(d);
                }
                self.finish(&args);
                let Some(paths) = self.eval(paths, &Ty::List(Box::new(Ty::Path)), scope) else {
                    return;
                };
                let paths: Vec<String> = paths
                    .into_list()
                    .iter()
                    .filter_map(Value::as_literal)
                    .collect();
                draft.run().artifacts.push(Artifact { paths, expire });
            }
            "report" => {
                let mut args = Args::new(
                    stmt,
                    g,
                    "report junit|coverage|sarif \"PATH\" [min PERCENT]",
                );
                let (Some(kind), Some(path)) = (args.next(), args.next()) else {
                    self.shape(&args);
                    return;
                };
                let mut min = None;
                if args.word("min")
                    && let Some(e) = args.next()
                    && let Some(Value::Percent(p)) = self.eval(e, &Ty::Percent, scope)
                {
                    min = Some(p);
                }
                self.finish(&args);
                let kinds = [
                    ("junit", ReportKind::Junit),
                    ("coverage", ReportKind::Coverage),
                    ("sarif", ReportKind::Sarif),
                ];
                let Some(Value::Enum(k)) = self.eval(kind, &enum_of(&kinds), scope) else {
                    return;
                };
                let kind = kinds
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map_or(ReportKind::Junit, |x| x.1);
                if min.is_some() && kind != ReportKind::Coverage {
                    self.diags.push(
                        Diagnostic::new(
                            code::CONFLICTING_STATEMENTS,
                            stmt.span,
                            "only coverage reports have a minimum",
                        )
                        .label("`min` on a non-coverage report")
                        .help("remove `min`"),
                    );
                }
                let Some(path) = self
                    .eval(path, &Ty::Path, scope)
                    .and_then(|v| v.as_literal())
                else {
                    return;
                };
                let span = scope.site.unwrap_or(stmt.span);
                draft.run().reports.push(Report {
                    kind,
                    path,
                    min,
                    span,
                });
            }
            "matrix" => self.matrix(stmt, draft, scope),
            "include" | "exclude" => {
                let Some(e) = self.single(stmt, "include { AXIS: \"value\", … }") else {
                    return;
                };
                let Some(Value::Map(fields)) = self.eval(e, &Ty::Map(Box::new(Ty::String)), scope)
                else {
                    return;
                };
                let mut combo = Vec::new();
                for (k, v, span) in fields {
                    if head == "exclude" && !scope.axes.contains(&k) && !self.named_in_unparsed(&k)
                    {
                        self.diags.push(
                            Diagnostic::new(
                                code::UNKNOWN_MATRIX_AXIS,
                                span,
                                format!("`{k}` is not a matrix axis"),
                            )
                            .label("unknown axis")
                            .help(
                                match pipec_diagnostics::did_you_mean(
                                    &k,
                                    scope.axes.iter().map(String::as_str),
                                ) {
                                    Some(s) => format!("did you mean `{s}`?"),
                                    None if scope.axes.is_empty() => {
                                        "this job has no matrix".to_string()
                                    }
                                    None => format!("axes: {}", scope.axes.join(", ")),
                                },
                            ),
                        );
                        return;
                    }
                    combo.push((k, v.as_literal().unwrap_or_default()));
                }
                let m = draft.job.matrix.get_or_insert_with(Matrix::default);
                if head == "include" {
                    m.include.push(combo);
                } else {
                    m.exclude.push(combo);
                }
            }
            "role" => {
                let Some(e) = self.single(stmt, "role lint|test|…") else {
                    return;
                };
                if let Some(Value::Enum(r)) = self.eval(e, &enum_of(&Role::ALL), scope) {
                    draft.job.role = Role::ALL
                        .iter()
                        .find(|(n, _)| *n == r)
                        .map_or(Role::Other, |x| x.1);
                }
            }
            "run_if" => {
                let Some(e) = self.single(stmt, "run_if success|failure|always") else {
                    return;
                };
                let variants = [
                    ("success", RunOn::Success),
                    ("failure", RunOn::Failure),
                    ("always", RunOn::Always),
                ];
                if let Some(Value::Enum(r)) = self.eval(e, &enum_of(&variants), scope) {
                    draft.job.run_on = variants
                        .iter()
                        .find(|(n, _)| *n == r)
                        .map_or(RunOn::Success, |x| x.1);
                }
            }
            "load" => {
                let Some(e) = self.single(stmt, "load IMAGE") else {
                    return;
                };
                if let Some(Value::Ref(name, span)) = self.eval(e, &Ty::Image, scope) {
                    draft.loads.push((name, span));
                }
            }
            "history" => {
                let Some(e) = self.single(stmt, "history full|shallow") else {
                    return;
                };
                let variants = [("full", true), ("shallow", false)];
                if let Some(Value::Enum(h)) = self.eval(e, &enum_of(&variants), scope) {
                    draft.run().full_history = h == "full";
                }
            }
            _ => {}
        }
    }

    fn conflict(&mut self, span: Span, a: &str, b: &str) {
        self.diags.push(
            Diagnostic::new(
                code::CONFLICTING_STATEMENTS,
                span,
                format!("`{a}` and `{b}` cannot be combined"),
            )
            .label(format!("`{b}` was already given"))
            .help("a job either sets up a tool on the runner or runs in a container image; choose one"),
        );
    }

    /// `matrix { os: [ubuntu, macos], python: ["3.11", "3.12"] }`
    fn matrix(&mut self, stmt: &Stmt, draft: &mut JobDraft, scope: &Scope) {
        let Some(e) = self.single(stmt, "matrix { AXIS: [VALUES], … }") else {
            return;
        };
        let Some(Value::Map(fields)) =
            self.eval(e, &Ty::Map(Box::new(Ty::List(Box::new(Ty::String)))), scope)
        else {
            return;
        };
        let m = draft.job.matrix.get_or_insert_with(Matrix::default);
        for (name, values, span) in fields {
            let values: Vec<String> = values
                .into_list()
                .iter()
                .filter_map(Value::as_literal)
                .collect();
            if values.is_empty() {
                self.diags.push(
                    Diagnostic::new(
                        code::MALFORMED_STATEMENT,
                        span,
                        format!("axis `{name}` has no values"),
                    )
                    .label("empty")
                    .help("list at least one value"),
                );
                continue;
            }
            if m.axes.iter().any(|a| a.name == name) {
                self.diags.push(
                    Diagnostic::new(
                        code::DUPLICATE_DEFINITION,
                        span,
                        format!("axis `{name}` is defined twice"),
                    )
                    .label("again")
                    .help("a template parameter given as matrix(…) is already an axis"),
                );
                continue;
            }
            m.axes.push(Axis { name, values });
        }
    }

    /// `service postgres "postgres:16" { env { POSTGRES_PASSWORD: "test" }, port 5432 }`
    fn side_service(&mut self, stmt: &Stmt, g: &Generic, draft: &mut JobDraft, scope: &Scope) {
        const V: Vocabulary = Vocabulary {
            context: "a job service",
            heads: &["env", "port"],
        };
        let mut args = Args::new(stmt, g, "service NAME \"IMAGE\" [{ env { … }, port N }]");
        let (Some(name), Some(image)) = (args.next(), args.next()) else {
            self.shape(&args);
            return;
        };
        self.finish(&args);
        let Some(name) = name.as_ident().map(str::to_string) else {
            self.shape(&args);
            return;
        };
        let Some(image) = self
            .eval(image, &Ty::String, scope)
            .and_then(|v| v.as_literal())
        else {
            return;
        };
        let mut svc = SideService {
            name,
            image,
            env: Vec::new(),
            port: None,
        };
        for s in block_stmts(&g.block) {
            match s.generic().map(|g| g.head.name.as_str()) {
                Some("env") => {
                    if let Some(e) = self.single(s, "env { NAME: \"value\" }") {
                        // A job's test database takes a throw-away password.
                        svc.env = self.env_vars_checked(e, scope, false);
                    }
                }
                Some("port") => {
                    if let Some(e) = self.single(s, "port N")
                        && let Some(Value::Int(n)) = self.eval(e, &Ty::Int, scope)
                    {
                        svc.port = self.count(n, 1, 65535, e.span).map(|n| n as u16);
                    }
                }
                _ => self.unknown_statement(s, &V),
            }
        }
        draft.run().services.push(svc);
    }

    fn image_stmt(&mut self, stmt: &Stmt, g: &Generic, draft: &mut JobDraft, scope: &Scope) {
        match g.head.name.as_str() {
            "dockerfile" | "context" => {
                let Some(e) = self.single(stmt, "dockerfile \"PATH\"") else {
                    return;
                };
                if let Some(p) = self.eval(e, &Ty::Path, scope).and_then(|v| v.as_literal()) {
                    if g.head.name == "dockerfile" {
                        draft.image.dockerfile = p;
                    } else {
                        draft.image.context = p;
                    }
                }
            }
            "target" => {
                let Some(e) = self.single(stmt, "target \"STAGE\"") else {
                    return;
                };
                draft.image.target = self
                    .eval(e, &Ty::String, scope)
                    .and_then(|v| v.as_literal())
                    .filter(|t| !t.is_empty());
            }
            "build_args" => {
                let Some(e) = self.single(stmt, "build_args { NAME: \"value\" }") else {
                    return;
                };
                for v in self.env_vars(e, scope) {
                    match v.value {
                        EnvValue::Text(t) => draft.image.build_args.push((v.name, t)),
                        EnvValue::Secret(_) => self.diags.push(
                            Diagnostic::new(
                                code::PLAINTEXT_SECRET,
                                v.span,
                                "secrets must not be build arguments",
                            )
                            .label("build arguments are stored in the image's history")
                            .help("use a BuildKit secret mount in the Dockerfile instead"),
                        ),
                    }
                }
            }
            "platforms" => {
                let Some(e) = self.single(stmt, "platforms [\"linux/amd64\", …]") else {
                    return;
                };
                if let Some(v) = self.eval(e, &Ty::List(Box::new(Ty::String)), scope) {
                    let mut out = Vec::new();
                    for p in v.into_list().iter().filter_map(Value::as_literal) {
                        if !p.starts_with("linux/") {
                            self.diags.push(
                                Diagnostic::new(
                                    code::UNKNOWN_VARIANT,
                                    e.span,
                                    format!("`{p}` is not a Linux platform"),
                                )
                                .label("unsupported platform")
                                .help("platforms look like \"linux/amd64\" or \"linux/arm64\""),
                            );
                            continue;
                        }
                        out.push(p);
                    }
                    draft.image.platforms = out;
                }
            }
            _ => {}
        }
    }
}

/// A step name from the first line of its script.
fn step_name(script: &Text) -> String {
    let first = script.to_string();
    let line = first
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("Run")
        .trim();
    let mut name: String = line.chars().take(40).collect();
    if line.chars().count() > 40 {
        name.push('…');
    }
    name
}
