//! The statements of a job that runs steps: tool or container, services,
//! environment, caches, steps, artifacts and reports, matrix, role, images it
//! loads and git history.

use pipec_diagnostics::{Diagnostic, Span, code};
use pipec_graph::{
    Artifact, Axis, Cache, CacheKind, CiVar, CoverageFormat, JobKind, Matrix, Part, Report,
    ReportKind, Role, RunOn, SideService, Step, Text, Tool, Toolchain,
};
use pipec_syntax::ast::{Generic, Stmt};

use crate::Checker;
use crate::eval::Scope;
use crate::stmt::{Args, Vocabulary, block_stmts};
use crate::types::{Ty, enum_of};
use crate::value::Value;

use super::job::{JobDraft, Placement};

const TOOL_SHAPE: &str =
    "tool python|node|go|java|rust|trivy|gitleaks|kubectl|golangci_lint|cargo_llvm_cov \"VERSION\"";

pub(crate) const SIDE_SERVICE: Vocabulary = Vocabulary {
    context: "a job service",
    heads: &["env", "port", "health"],
};

impl Checker<'_> {
    pub(super) fn job_stmt(
        &mut self,
        stmt: &Stmt,
        g: &Generic,
        draft: &mut JobDraft,
        scope: &Scope,
    ) {
        let head = g.head.name.as_str();
        match head {
            "tool" => {
                let mut args = Args::new(stmt, g, TOOL_SHAPE);
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
                    let clash = draft
                        .run()
                        .tools
                        .iter()
                        .find(|t| t.tool == tool || (tool.is_runtime() && t.tool.is_runtime()));
                    if let Some(other) = clash {
                        let other = other.tool;
                        self.tool_clash(stmt.span, tool, other);
                        return;
                    }
                    draft.run().tools.push(Toolchain { tool, version });
                    draft.tool_spans.push((tool, kind.span));
                }
            }
            "container" => {
                let Some(e) = self.single(stmt, "container \"IMAGE\"") else {
                    return;
                };
                if let Some(t) = self.eval(e, &Ty::String, scope).and_then(|v| v.as_text()) {
                    if !self.untrusted_choice(&t, e.span, "the job's container image") {
                        return;
                    }
                    if !draft.run().tools.is_empty() {
                        self.conflict(stmt.span, "container", "tool");
                        return;
                    }
                    draft.run().container = Some(t);
                    draft.run().container_span = Some(scope.site.unwrap_or(e.span));
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
                    "step \"NAME\" run \"SCRIPT\" [before|after \"STEP\"]"
                } else {
                    "run \"SCRIPT\" [before|after \"STEP\"]"
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
                let placement = match args.peek_word() {
                    Some(w @ ("before" | "after")) => {
                        args.word(w);
                        let Some(anchor) = args.next() else {
                            self.shape(&args);
                            return;
                        };
                        Some((w == "before", anchor))
                    }
                    _ => None,
                };
                self.finish(&args);
                self.no_block(g, shape);
                let name = match name {
                    Some(n) => match self.eval(n, &Ty::String, scope).and_then(|v| v.as_text()) {
                        Some(n) => n,
                        None => return,
                    },
                    None => Text::default(),
                };
                let Some(script) = self
                    .eval(script, &Ty::String, scope)
                    .and_then(|v| v.as_text())
                else {
                    return;
                };
                let name = if name.parts.is_empty() {
                    step_name(&script)
                } else {
                    name
                };
                let span = scope.site.unwrap_or(stmt.span);
                let step = Step { name, script, span };
                match placement {
                    None => draft.run().steps.push(step),
                    Some((before, anchor)) => {
                        let Some(name) = self
                            .eval(anchor, &Ty::String, scope)
                            .and_then(|v| v.as_literal())
                        else {
                            return;
                        };
                        draft.placed.push(Placement {
                            step,
                            before,
                            anchor: name,
                            span: anchor.span,
                        });
                    }
                }
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
                let paths: Vec<Text> = paths
                    .into_list()
                    .iter()
                    .filter_map(Value::as_text)
                    .collect();
                let span = scope.site.unwrap_or(stmt.span);
                draft.run().artifacts.push(Artifact {
                    paths,
                    expire,
                    span,
                });
            }
            "report" => {
                let mut args = Args::new(
                    stmt,
                    g,
                    "report junit|coverage|sarif \"PATH\" [format cobertura|jacoco|lcov|go] [min PERCENT]",
                );
                let (Some(kind), Some(path)) = (args.next(), args.next()) else {
                    self.shape(&args);
                    return;
                };
                let mut format = None;
                let format_given = args.peek_word() == Some("format");
                if args.word("format") {
                    let Some(e) = args.next() else {
                        self.shape(&args);
                        return;
                    };
                    if let Some(Value::Enum(f)) =
                        self.eval(e, &enum_of(&CoverageFormat::ALL), scope)
                    {
                        format = CoverageFormat::ALL
                            .iter()
                            .find(|(n, _)| *n == f)
                            .map(|x| (x.1, e.span));
                    }
                }
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
                if format.is_some() && kind != ReportKind::Coverage {
                    self.diags.push(
                        Diagnostic::new(
                            code::CONFLICTING_STATEMENTS,
                            stmt.span,
                            "only coverage reports have a format",
                        )
                        .label("`format` on a non-coverage report")
                        .help("remove `format`"),
                    );
                }
                let path_span = path.span;
                let Some(path) = self.eval(path, &Ty::Path, scope).and_then(|v| v.as_text()) else {
                    return;
                };
                let format = match (kind, format) {
                    (ReportKind::Coverage, Some((f, _))) => Some(f),
                    (ReportKind::Coverage, None) => {
                        // Values of the run stand in file names, not extensions.
                        let shape = path.render(|p| match p {
                            Part::Lit(s) => s.clone(),
                            _ => String::new(),
                        });
                        let inferred = CoverageFormat::from_path(&shape);
                        if inferred.is_none() && !format_given {
                            self.unknown_coverage_format(&path.to_string(), path_span);
                        }
                        inferred
                    }
                    _ => None,
                };
                let span = scope.site.unwrap_or(stmt.span);
                draft.run().reports.push(Report {
                    kind,
                    path,
                    format,
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
                    let Some(v) = v.as_literal() else {
                        self.diags.push(
                            Diagnostic::new(
                                code::RUN_TIME_VALUE,
                                span,
                                format!("the value of axis `{k}` must be known before the pipeline runs"),
                            )
                            .label("has a placeholder known only at run time")
                            .help("matrix combinations are fixed when the pipeline starts: write a literal value"),
                        );
                        return;
                    };
                    combo.push((k, v));
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
                let shape = "load IMAGE [archive]";
                let mut args = Args::new(stmt, g, shape);
                let Some(e) = args.next() else {
                    self.shape(&args);
                    return;
                };
                let archive = args.word("archive");
                self.finish(&args);
                self.no_block(g, shape);
                if let Some(Value::Ref(name, span)) = self.eval(e, &Ty::Image, scope) {
                    if archive && !draft.archive_only.contains(&name) {
                        draft.archive_only.push(name.clone());
                    }
                    draft.loads.push((name, span));
                }
            }
            "upload" => self.upload_stmt(stmt, g, draft, scope),
            "release" => self.release_stmt(stmt, g, draft, scope),
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

    /// A coverage report whose format its file name does not tell.
    fn unknown_coverage_format(&mut self, path: &str, span: Span) {
        let formats: Vec<&str> = CoverageFormat::ALL.iter().map(|(n, _)| *n).collect();
        self.diags.push(
            Diagnostic::new(
                code::COVERAGE_FORMAT,
                span,
                format!("the format of the coverage report `{path}` is unknown"),
            )
            .label("not a name pipec knows a coverage format by")
            .help(format!(
                "say it after the path: `report coverage \"{path}\" format FORMAT`, one of {}",
                formats.join(", ")
            )),
        );
    }

    /// Reports a branch name in a value that chooses what runs (a runner,
    /// an image): whoever pushes a branch or opens a pull request names it.
    pub(super) fn untrusted_choice(&mut self, text: &Text, span: Span, what: &str) -> bool {
        let branch = text.parts.iter().find_map(|p| match p {
            Part::Ci(v @ (CiVar::Branch | CiVar::RefName)) => Some(v.name()),
            _ => None,
        });
        let Some(var) = branch else {
            return true;
        };
        self.diags.push(
            Diagnostic::new(
                code::UNTRUSTED_CHOICE,
                span,
                format!("`{{{{ ci.{var} }}}}` would choose {what}"),
            )
            .label("a name whoever pushes a branch or opens a pull request chooses")
            .help("name it, or choose it with a matrix value or a dispatch input"),
        );
        false
    }

    /// A second `tool` statement for the same tool, or a second runtime.
    fn tool_clash(&mut self, span: Span, tool: Tool, other: Tool) {
        let (message, help) = if tool == other {
            (
                format!("`tool {}` is given twice", tool.name()),
                "keep one of them".to_string(),
            )
        } else {
            (
                format!(
                    "the job sets up both {} and {}",
                    other.title(),
                    tool.title()
                ),
                "a job sets up one language runtime: split the work into two jobs".to_string(),
            )
        };
        self.diags.push(
            Diagnostic::new(code::CONFLICTING_STATEMENTS, span, message)
                .label(format!("`tool {}` was already given", other.name()))
                .help(help),
        );
    }

    /// Tools that work with a runtime the job does not set up.
    pub(super) fn check_tool_runtimes(&mut self, draft: &JobDraft) {
        let JobKind::Run(r) = &draft.job.kind else {
            return;
        };
        for (tool, span) in &draft.tool_spans {
            if let Some(needed) = tool.requires()
                && !r.has_tool(needed)
            {
                self.diags.push(
                    Diagnostic::new(
                        code::TOOL_WITHOUT_RUNTIME,
                        *span,
                        format!("{} needs {} in the same job", tool.title(), needed.title()),
                    )
                    .label(format!("no `tool {}` in this job", needed.name()))
                    .help(format!(
                        "add `tool {} \"VERSION\"` to the job",
                        needed.name()
                    )),
                );
            }
        }
        if let Some(u) = &r.upload
            && !r.has_tool(u.to.requires())
        {
            let needed = u.to.requires();
            self.diags.push(
                Diagnostic::new(
                    code::TOOL_WITHOUT_RUNTIME,
                    u.span,
                    format!(
                        "`upload {}` runs on {}, which the job does not set up",
                        u.to.name(),
                        needed.title()
                    ),
                )
                .label(format!("no `tool {}` in this job", needed.name()))
                .help(format!(
                    "add `tool {} \"VERSION\"` to the job",
                    needed.name()
                )),
            );
        }
    }

    pub(super) fn conflict(&mut self, span: Span, a: &str, b: &str) {
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
    pub(super) fn matrix(&mut self, stmt: &Stmt, draft: &mut JobDraft, scope: &Scope) {
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
            let values = values.into_list();
            if values.iter().any(|v| v.as_literal().is_none()) {
                self.diags.push(
                    Diagnostic::new(
                        code::RUN_TIME_VALUE,
                        span,
                        format!("the values of axis `{name}` must be known before the pipeline runs"),
                    )
                    .label("has a placeholder known only at run time")
                    .help("the CI system creates one job per value when the pipeline starts: list literal values"),
                );
                continue;
            }
            let values: Vec<String> = values.iter().filter_map(Value::as_literal).collect();
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
    pub(super) fn side_service(
        &mut self,
        stmt: &Stmt,
        g: &Generic,
        draft: &mut JobDraft,
        scope: &Scope,
    ) {
        const V: Vocabulary = SIDE_SERVICE;
        let mut args = Args::new(
            stmt,
            g,
            "service NAME \"IMAGE\" [{ env { … }, port N, health \"COMMAND\" }]",
        );
        let (Some(name), Some(image)) = (args.next(), args.next()) else {
            self.shape(&args);
            return;
        };
        self.finish(&args);
        let Some(name) = name.as_ident().map(str::to_string) else {
            self.shape(&args);
            return;
        };
        let image_span = image.span;
        let Some(image) = self
            .eval(image, &Ty::String, scope)
            .and_then(|v| v.as_text())
        else {
            return;
        };
        if !self.untrusted_choice(&image, image_span, "the image of a service container") {
            return;
        }
        let mut svc = SideService {
            name,
            image,
            env: Vec::new(),
            port: None,
            health: None,
            span: scope.site.unwrap_or(image_span),
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
                Some("health") => svc.health = self.health_check(s, scope),
                _ => self.unknown_statement(s, &V),
            }
        }
        draft.run().services.push(svc);
    }
}

/// A step name from the first non-empty line of its script, at most 40
/// characters (run-time values count as their `{{ … }}` form), keeping the
/// values of the run it shows.
pub(super) fn step_name(script: &Text) -> Text {
    const MAX: usize = 40;
    // The parts of the first line with something on it.
    let mut line: Vec<Part> = Vec::new();
    let mut started = false;
    'parts: for p in &script.parts {
        match p {
            Part::Lit(s) => {
                let mut pieces = s.split('\n').peekable();
                while let Some(piece) = pieces.next() {
                    let last = pieces.peek().is_none();
                    if !piece.trim().is_empty() || (started && !piece.is_empty()) {
                        started = true;
                        line.push(Part::Lit(piece.to_string()));
                    }
                    if !last && started {
                        break 'parts;
                    }
                }
            }
            // Not every CI system can compute the short commit outside a
            // script (GitHub cannot): a name the user did not write shows
            // it as written rather than refusing the step.
            p @ Part::Ci(CiVar::ShortSha) => {
                started = true;
                line.push(Part::Lit(
                    Text {
                        parts: vec![p.clone()],
                    }
                    .to_string(),
                ));
            }
            p => {
                started = true;
                line.push(p.clone());
            }
        }
    }
    let mut out = Text::default();
    let mut used = 0;
    let mut cut = false;
    let n = line.len();
    for (i, p) in line.into_iter().enumerate() {
        let mut p = p;
        if let Part::Lit(s) = &mut p {
            if i == 0 {
                *s = s.trim_start().to_string();
            }
            if i + 1 == n {
                *s = s.trim_end().to_string();
            }
        }
        let len = Text {
            parts: vec![p.clone()],
        }
        .to_string()
        .chars()
        .count();
        if used + len > MAX {
            if let Part::Lit(s) = p {
                out.parts
                    .push(Part::Lit(s.chars().take(MAX - used).collect()));
            }
            cut = true;
            break;
        }
        used += len;
        out.parts.push(p);
    }
    if cut {
        out.parts.push(Part::Lit("…".into()));
    }
    out.parts
        .retain(|p| !matches!(p, Part::Lit(s) if s.is_empty()));
    if out.parts.is_empty() {
        return Text::lit("Run");
    }
    merge_literals(out)
}

/// Adjacent literal parts as one.
fn merge_literals(t: Text) -> Text {
    let mut parts: Vec<Part> = Vec::new();
    for p in t.parts {
        match (parts.last_mut(), p) {
            (Some(Part::Lit(a)), Part::Lit(b)) => a.push_str(&b),
            (_, p) => parts.push(p),
        }
    }
    Text { parts }
}
