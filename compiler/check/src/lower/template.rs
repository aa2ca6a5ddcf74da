//! Template calls: finding the template, binding and checking the arguments,
//! and expanding the body with the parameters in scope.

use pipec_diagnostics::{Diagnostic, Span, code, did_you_mean};
use pipec_graph::{Axis, Matrix};
use pipec_syntax::ast::{Arg, Expr, ExprKind, Stmt, StmtKind, Template};

use super::World;
use super::job::{BodyKind, JobDraft};
use crate::Checker;
use crate::declare::Decls;
use crate::eval::Scope;
use crate::index::ReferenceKind;
use crate::types::Ty;
use crate::value::Value;

/// Where parameter defaults are evaluated: templates make jobs and images, so
/// a default may use values of the run (`{{ ci.run_url }}`).
const DEFAULTS: Scope<'static> = Scope {
    params: &[],
    axes: &[],
    inputs: &[],
    release: &[],
    jobs: &[],
    images: &[],
    environments: &[],
    deploys: &[],
    site: None,
    run_time: true,
};

/// What a template produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Returns {
    Job,
    Image,
}

/// A resolved, argument-checked template call.
pub(crate) struct Call<'w> {
    pub template: &'w Template,
    pub params: Vec<(String, Value, Ty)>,
    pub axes: Vec<Axis>,
    pub after: Option<&'w Expr>,
    pub when: Option<&'w Expr>,
    pub site: Span,
    /// Where each explicitly given argument's value is, by parameter name.
    pub args: Vec<(String, Span)>,
}

impl Checker<'_> {
    /// Finds the template a call names: `module.name` through the file's
    /// imports, or `name` among the program's own templates.
    fn find_template<'w>(
        &mut self,
        world: &'w World,
        decls: &Decls,
        file: usize,
        callee: &Expr,
    ) -> Option<(&'w Template, Option<usize>)> {
        let Some(path) = callee.as_path() else {
            self.diags.push(
                Diagnostic::new(
                    code::MALFORMED_STATEMENT,
                    callee.span,
                    "expected a template name",
                )
                .label("not a name")
                .help("call a template: python.pytest(…)"),
            );
            return None;
        };
        let templates_of = |stmts: &'w [Stmt]| -> Vec<&'w Template> {
            stmts
                .iter()
                .filter_map(|s| match &s.kind {
                    StmtKind::Template(t) => Some(t),
                    _ => None,
                })
                .collect()
        };
        match path.as_slice() {
            [alias, name] => {
                let imports = &world.files[file].imports;
                // The `use` itself was reported: a failed one, one that did
                // not parse, or one close to this name (`use std.securty`).
                if imports.failed.contains(*alias)
                    || self.named_in_unparsed(alias)
                    || did_you_mean(alias, imports.failed.iter().map(String::as_str)).is_some()
                {
                    return None;
                }
                let Some((m, _)) = imports.aliases.get(*alias) else {
                    let mut d = Diagnostic::new(
                        code::UNKNOWN_NAME,
                        callee.span,
                        format!("no module `{alias}` is imported"),
                    )
                    .label("unknown module");
                    d = match did_you_mean(alias, imports.aliases.keys().map(String::as_str)) {
                        Some(s) => d
                            .help(format!("did you mean `{s}`?"))
                            .suggest(callee.span, format!("{s}.{name}")),
                        None if pipec_stdlib::module(alias).is_some() => {
                            d.help(format!("add `use std.{alias}` at the top of the file"))
                        }
                        None => d.help("import it with `use std.NAME` or `use \"file.pipe\"`"),
                    };
                    self.diags.push(d);
                    return None;
                };
                self.used_imports.insert((file, alias.to_string()));
                let ts = templates_of(&world.modules[*m].file.stmts);
                let (alias_span, name_span) = match &callee.kind {
                    ExprKind::Member { base, name } => (base.span, name.span),
                    _ => (callee.span, callee.span),
                };
                let used = imports.aliases.get(*alias).map(|(_, s)| *s);
                self.note_reference(alias_span, alias, ReferenceKind::Module, used, None);
                match ts.iter().find(|t| t.name.name == *name) {
                    Some(t) => {
                        let at = Some(t.name.span);
                        self.note_reference(name_span, name, ReferenceKind::Template, at, None);
                        Some((t, Some(*m)))
                    }
                    None if self.named_in_unparsed(name) => None,
                    None => {
                        let mut d = Diagnostic::new(
                            code::UNKNOWN_NAME,
                            callee.span,
                            format!("module `{alias}` has no template `{name}`"),
                        )
                        .label("unknown template");
                        d = match did_you_mean(name, ts.iter().map(|t| t.name.name.as_str())) {
                            Some(s) => d
                                .help(format!("did you mean `{alias}.{s}`?"))
                                .suggest(callee.span, format!("{alias}.{s}")),
                            None => d.help(format!(
                                "templates in `{alias}`: {}",
                                ts.iter()
                                    .map(|t| t.name.name.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )),
                        };
                        self.diags.push(d);
                        None
                    }
                }
            }
            [name] => {
                for d in &decls.templates {
                    if d.name == *name
                        && let StmtKind::Template(t) =
                            &world.files[d.at.file].file.stmts[d.at.index].kind
                    {
                        let at = Some(t.name.span);
                        self.note_reference(callee.span, name, ReferenceKind::Template, at, None);
                        return Some((t, None));
                    }
                }
                if self.named_in_unparsed(name) {
                    return None;
                }
                let mut d = Diagnostic::new(
                    code::UNKNOWN_NAME,
                    callee.span,
                    format!("unknown template `{name}`"),
                )
                .label("not defined");
                let own: Vec<&str> = decls.templates.iter().map(|t| t.name.as_str()).collect();
                let in_std = pipec_stdlib::MODULES
                    .iter()
                    .find(|m| m.source.contains(&format!("template {name}(")));
                d = match (did_you_mean(name, own.iter().copied()), in_std) {
                    (Some(s), _) => d
                        .help(format!("did you mean `{s}`?"))
                        .suggest(callee.span, s),
                    (None, Some(m)) => d.help(format!(
                        "the standard library has `{}.{name}`: add `use std.{}` and call `{}.{name}(…)`",
                        m.name, m.name, m.name
                    )),
                    (None, None) => d.help("define it with `template NAME(…) -> job { … }`, or import a module"),
                };
                self.diags.push(d);
                None
            }
            _ => {
                self.diags.push(
                    Diagnostic::new(
                        code::UNKNOWN_NAME,
                        callee.span,
                        format!("`{}` is not a template", path.join(".")),
                    )
                    .label("expected `module.template` or `template`")
                    .help("call a template: python.pytest(…)"),
                );
                None
            }
        }
    }

    /// Checks the signature of every template of the program and of the
    /// modules it imports, called or not: parameter types, parameter names,
    /// defaults, and what the template returns.
    pub(crate) fn check_signatures(&mut self, world: &World) {
        let stmts = world
            .files
            .iter()
            .map(|f| &f.file.stmts)
            .chain(world.modules.iter().map(|m| &m.file.stmts));
        for stmts in stmts {
            for s in stmts {
                if let StmtKind::Template(t) = &s.kind {
                    self.signature(t);
                }
            }
        }
    }

    fn signature(&mut self, t: &Template) {
        if returns_of(t).is_none() {
            let r = t.returns.as_ref().map_or(&t.name, |r| r);
            self.diags.push(
                Diagnostic::new(
                    code::UNKNOWN_TYPE,
                    r.span,
                    format!("templates return `job` or `image`, not `{}`", r.name),
                )
                .label("not a kind of template")
                .help("write `-> job` or `-> image` after the parameters"),
            );
        }
        for (i, p) in t.params.iter().enumerate() {
            if let Some(first) = t.params[..i].iter().find(|q| q.name.name == p.name.name) {
                self.duplicate(&p.name.name, "parameter", p.name.span, first.name.span);
            }
            let mut diags = Vec::new();
            let ty = Ty::from_ast(&p.ty, &mut diags);
            self.diags.extend(diags);
            if let (Some(ty), Some(default)) = (ty, &p.default) {
                self.eval(default, &ty, &DEFAULTS);
            }
        }
    }

    /// Resolves a call and checks its arguments against the parameters.
    pub(crate) fn call<'w>(
        &mut self,
        world: &'w World,
        decls: &Decls,
        file: usize,
        e: &'w Expr,
        expected: Returns,
        scope: &Scope,
    ) -> Option<Call<'w>> {
        let (callee, args): (&Expr, &[Arg]) = match &e.kind {
            ExprKind::Call { callee, args } => (callee, args),
            _ => (e, &[]),
        };
        let (template, module) = self.find_template(world, decls, file, callee)?;
        self.used_templates
            .insert((module, template.name.name.clone()));
        // A bad `-> kind` was reported with the signature.
        let returns = returns_of(template)?;
        if returns != expected {
            let (want, got) = match expected {
                Returns::Job => ("job", "image"),
                Returns::Image => ("image", "job"),
            };
            self.diags.push(
                Diagnostic::new(
                    code::TYPE_MISMATCH,
                    callee.span,
                    format!(
                        "`{}` makes {}, not {}",
                        template.name.name,
                        with_article(got),
                        with_article(want)
                    ),
                )
                .label(format!("returns {got}"))
                .secondary(template.name.span, "defined here")
                .help(format!("declare it with `{got} NAME = …`")),
            );
            return None;
        }
        // Types that do not resolve were reported with the signature.
        let params: Vec<(&pipec_syntax::ast::Param, Option<Ty>)> = template
            .params
            .iter()
            .map(|p| (p, Ty::from_ast(&p.ty, &mut Vec::new())))
            .collect();

        let mut call = Call {
            template,
            params: Vec::new(),
            axes: Vec::new(),
            after: None,
            when: None,
            site: e.span,
            args: Vec::new(),
        };
        let mut given: Vec<Option<&Arg>> = vec![None; params.len()];
        let mut positional = 0usize;
        let mut ok = true;
        // Names of arguments no parameter takes, reported as E0108.
        let mut unknown: Vec<&str> = Vec::new();
        for a in args {
            let index = match &a.name {
                Some(n) => match params.iter().position(|(p, _)| p.name.name == n.name) {
                    Some(i) => {
                        let at = Some(params[i].0.name.span);
                        self.note_reference(n.span, &n.name, ReferenceKind::Parameter, at, None);
                        i
                    }
                    None if n.name == "after" => {
                        call.after = Some(&a.value);
                        continue;
                    }
                    None if n.name == "when" => {
                        call.when = Some(&a.value);
                        continue;
                    }
                    None => {
                        unknown.push(&n.name);
                        let mut d = Diagnostic::new(
                            code::UNKNOWN_ARGUMENT,
                            n.span,
                            format!("`{}` has no parameter `{}`", template.name.name, n.name),
                        )
                        .label("unknown argument")
                        .secondary(template.name.span, "template defined here");
                        let names = params
                            .iter()
                            .map(|(p, _)| p.name.name.as_str())
                            .chain(["after", "when"]);
                        d = match did_you_mean(&n.name, names) {
                            Some(s) => d.help(format!("did you mean `{s}`?")).suggest(n.span, s),
                            None => d.help(format!(
                                "parameters: {}",
                                params
                                    .iter()
                                    .map(|(p, _)| p.name.name.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )),
                        };
                        self.diags.push(d);
                        ok = false;
                        continue;
                    }
                },
                None => {
                    while positional < given.len() && given[positional].is_some() {
                        positional += 1;
                    }
                    if positional >= params.len() {
                        self.diags.push(
                            Diagnostic::new(
                                code::UNKNOWN_ARGUMENT,
                                a.span,
                                format!(
                                    "`{}` takes {} argument{}",
                                    template.name.name,
                                    params.len(),
                                    if params.len() == 1 { "" } else { "s" }
                                ),
                            )
                            .label("one too many")
                            .secondary(template.name.span, "template defined here")
                            .help("remove it, or name the parameter it is for"),
                        );
                        ok = false;
                        continue;
                    }
                    positional
                }
            };
            if let Some(prev) = given[index] {
                self.diags.push(
                    Diagnostic::new(
                        code::DUPLICATE_DEFINITION,
                        a.span,
                        format!("`{}` is given twice", params[index].0.name.name),
                    )
                    .label("second time")
                    .secondary(prev.span, "first time")
                    .help("give each argument once"),
                );
                ok = false;
                continue;
            }
            given[index] = Some(a);
        }

        for ((p, ty), arg) in params.iter().zip(&given) {
            let Some(ty) = ty else {
                ok = false;
                continue;
            };
            let value = match (arg, &p.default) {
                (Some(a), _) => self.eval(&a.value, ty, scope),
                (None, Some(d)) => self.eval(d, ty, &DEFAULTS),
                (None, None) if matches!(ty, Ty::Optional(_)) => continue,
                // A misspelt argument was reported as unknown, with this
                // parameter as its suggestion.
                (None, None) if did_you_mean(&p.name.name, unknown.iter().copied()).is_some() => {
                    ok = false;
                    continue;
                }
                (None, None) => {
                    self.diags.push(
                        Diagnostic::new(
                            code::MISSING_ARGUMENT,
                            e.span,
                            format!(
                                "`{}` needs the argument `{}`",
                                template.name.name, p.name.name
                            ),
                        )
                        .label(format!("missing `{}: {}`", p.name.name, ty))
                        .secondary(p.span, "parameter declared here")
                        .help(format!("add `{}: …` to the call", p.name.name)),
                    );
                    ok = false;
                    continue;
                }
            };
            let Some(value) = value else {
                ok = false;
                continue;
            };
            let value = match value {
                Value::Matrix(values) => {
                    call.axes.push(Axis {
                        name: p.name.name.clone(),
                        values: values.iter().filter_map(Value::as_literal).collect(),
                    });
                    Value::Axis(p.name.name.clone())
                }
                v => v,
            };
            if let Some(a) = arg {
                call.args.push((p.name.name.clone(), a.value.span));
            }
            call.params.push((p.name.name.clone(), value, ty.clone()));
        }
        ok.then_some(call)
    }

    /// Expands a job or image template into `draft`.
    pub(crate) fn expand(
        &mut self,
        call: &Call,
        draft: &mut JobDraft,
        kind: BodyKind,
        pipeline_scope: &Scope,
    ) {
        draft.job.origin = Some(call.template.name.span);
        if !call.axes.is_empty() {
            let m = draft.job.matrix.get_or_insert_with(Matrix::default);
            m.axes.extend(call.axes.iter().cloned());
        }
        let axes: Vec<String> = call.axes.iter().map(|a| a.name.clone()).collect();
        let scope = Scope {
            params: &call.params,
            axes: &axes,
            release: pipeline_scope.release,
            deploys: pipeline_scope.deploys,
            site: Some(call.site),
            run_time: pipeline_scope.run_time,
            ..Scope::default()
        };
        let before = self.diags.len();
        self.job_body(&call.template.body.stmts, draft, &scope, kind);
        self.blame_call_site(before, call);
    }

    /// Diagnostics found while expanding a template point at the user's code:
    /// at the argument when the template line that failed is a parameter the
    /// call gave, else at the call when the template is in the standard
    /// library. The template line stays as a secondary label. Errors in the
    /// body of the user's own templates stay where they are.
    fn blame_call_site(&mut self, from: usize, call: &Call) {
        let body = call.template.body.span;
        let name = &call.template.name.name;
        for d in &mut self.diags[from..] {
            let Some(i) = d.labels.iter().position(|l| l.primary) else {
                continue;
            };
            let at = d.labels[i].span;
            if at.source != body.source || at.start < body.start || at.end > body.end {
                continue;
            }
            let text = self.sources.slice(at).to_string();
            let (target, note) = match call.args.iter().find(|(p, _)| *p == text) {
                Some((param, span)) => {
                    // A message that quotes the parameter quotes the argument.
                    let given = self.sources.slice(*span);
                    d.message = d
                        .message
                        .replace(&format!("`{text}`"), &format!("`{given}`"));
                    (*span, format!("`{name}` uses `{param}` here"))
                }
                None if self.sources.get(at.source).is_virtual => {
                    (call.site, format!("in the body of `{name}`"))
                }
                None => continue,
            };
            let primary = &mut d.labels[i];
            let message = std::mem::replace(&mut primary.message, note);
            primary.primary = false;
            d.labels.insert(
                0,
                pipec_diagnostics::Label {
                    span: target,
                    message,
                    primary: true,
                },
            );
        }
    }
}

/// What a template produces; `None` for an unknown `-> kind`.
fn returns_of(t: &Template) -> Option<Returns> {
    match t.returns.as_ref().map(|r| r.name.as_str()) {
        None | Some("job") => Some(Returns::Job),
        Some("image") => Some(Returns::Image),
        Some(_) => None,
    }
}

fn with_article(kind: &str) -> String {
    if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {kind}")
    } else {
        format!("a {kind}")
    }
}
