//! Completion: the statements of the block at the cursor, a template's
//! parameters inside its call, the names of jobs, images and environments,
//! enum values, and units after a number.
//!
//! What may come next is read from the text before the cursor
//! ([`crate::context::cursor`]): the statement being typed does not parse
//! yet. Names come from the program's latest check; the values a statement
//! takes come from its forms in the language reference
//! (`runs_on ubuntu|ubuntu_arm|…`, `after JOB`), those a template parameter
//! takes from its declared type.

use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionParams, CompletionResponse, CompletionTextEdit,
    Documentation, MarkupContent, MarkupKind, TextEdit,
};
use pipec_check::types::Ty;
use pipec_diagnostics::{SourceId, Span};

use crate::analysis::Analysis;
use crate::context::{Cursor, cursor};
use crate::server::Server;
use crate::symbols::DefKind;
use crate::uri::Address;
use crate::vocabulary::{self, Context};

pub(crate) fn completion(server: &Server, p: CompletionParams) -> Option<CompletionResponse> {
    let pos = &p.text_document_position;
    let address = Address::of(&pos.text_document.uri)?;
    let path = address.path()?;
    let doc = server.documents.get(path)?;
    let offset = doc.lines.offset(&doc.text, pos.position, server.encoding);
    let cur = cursor(&doc.text, offset);
    if cur.in_text {
        return None;
    }
    let analysis = server.analysis_of(&address);
    let here = analysis.as_ref().map(|(a, s)| Here {
        a,
        source: *s,
        offset: offset as u32,
    });
    let replace = doc
        .lines
        .range(&doc.text, cur.partial_start, offset, server.encoding);
    let items = candidates(&cur, here.as_ref())
        .into_iter()
        .map(|c| c.item(replace))
        .collect();
    Some(CompletionResponse::Array(items))
}

/// The program at the cursor, when it has been checked.
pub struct Here<'a> {
    pub a: &'a Analysis,
    pub source: SourceId,
    pub offset: u32,
}

/// One thing that may be written at the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub label: String,
    pub kind: CompletionItemKind,
    pub detail: Option<String>,
    pub doc: Option<String>,
}

impl Candidate {
    fn new(label: impl Into<String>, kind: CompletionItemKind) -> Self {
        Candidate {
            label: label.into(),
            kind,
            detail: None,
            doc: None,
        }
    }

    fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = Some(d.into());
        self
    }

    fn item(self, replace: lsp_types::Range) -> CompletionItem {
        CompletionItem {
            text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(
                replace,
                self.label.clone(),
            ))),
            label: self.label,
            kind: Some(self.kind),
            detail: self.detail,
            documentation: self.doc.map(|d| {
                Documentation::MarkupContent(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: d,
                })
            }),
            ..Default::default()
        }
    }
}

/// What may be written at the cursor.
pub fn candidates(cur: &Cursor, here: Option<&Here>) -> Vec<Candidate> {
    let expected = expected(cur, here);
    if cur.partial.starts_with(|c: char| c.is_ascii_digit()) {
        return units(&cur.partial, expected.as_ref());
    }
    let mut out = match (&expected, cur.call()) {
        (Some(Expected::Type(ty)), _) => values(ty, here),
        (Some(Expected::Placeholder(p, context, head)), _) => placeholder(p, *context, head, here),
        (Some(Expected::Words(w)), _) => w
            .iter()
            .map(|w| Candidate::new(w.clone(), CompletionItemKind::ENUM_MEMBER))
            .collect(),
        (None, Some((callee, None))) if cur.words.is_empty() => parameters(callee, cur, here),
        (None, _) if cur.innermost().is_none() && cur.words.is_empty() => {
            cur.context().map(statements).unwrap_or_default()
        }
        _ => Vec::new(),
    };
    out.dedup_by(|a, b| a.label == b.label);
    out
}

/// What the cursor's position expects.
#[derive(Debug, Clone, PartialEq)]
enum Expected {
    /// A value of a template parameter's type.
    Type(Ty),
    /// An argument of a statement written as a placeholder in its forms
    /// (`JOB`, `ENVS`, `CONDITION`), with the block and the statement.
    Placeholder(String, Context, String),
    /// One of these words.
    Words(Vec<String>),
}

fn expected(cur: &Cursor, here: Option<&Here>) -> Option<Expected> {
    if let Some((callee, arg)) = cur.call() {
        return match (callee, arg) {
            ("deploys", _) => Some(Expected::Type(Ty::Environment)),
            ("matrix" | "secret", _) => None,
            (_, Some(name)) => parameter_type(callee, name, here).map(Expected::Type),
            _ => None,
        };
    }
    // The statement's words: in a list, those before its `[`.
    let (words, in_list) = match cur.innermost() {
        Some(f) if f.bracket == '[' => (&f.words, true),
        Some(_) => return None,
        None => (&cur.words, false),
    };
    let _ = in_list;
    let head = words.first()?;
    let context = cur.context()?;
    // The head is word 0; a list stands where the words before its `[` end.
    argument(context, head, &words[1..], words.len())
}

/// The argument at `position` (1 after the head) of statement `head`, from
/// its forms in the reference.
fn argument(context: Context, head: &str, typed: &[String], position: usize) -> Option<Expected> {
    if context == Context::File && head == "use" && position == 1 {
        return Some(Expected::Words(
            pipec_stdlib::MODULES
                .iter()
                .map(|m| format!("std.{}", m.name))
                .collect(),
        ));
    }
    if matches!(head, "when" | "on")
        && position >= 1
        && matches!(
            context,
            Context::Job | Context::Image | Context::Publish | Context::Environment
        )
    {
        return Some(Expected::Type(Ty::Cond));
    }
    let doc = vocabulary::doc(context, head)?;
    let mut words = Vec::new();
    let mut placeholder = None;
    for shape in &doc.shapes {
        let tokens: Vec<String> = shape
            .split_whitespace()
            .map(|t| {
                t.trim_matches(|c| matches!(c, '[' | ']' | ',' | '…'))
                    .to_string()
            })
            .filter(|t| !t.is_empty())
            .collect();
        // The words already written must be the shape's, where it has words.
        let agrees = typed.iter().zip(tokens.iter().skip(1)).all(|(w, t)| {
            t.chars().any(|c| c.is_ascii_uppercase()) || t.split('|').any(|x| x == w)
        });
        let Some(token) = tokens.get(position).filter(|_| agrees) else {
            continue;
        };
        if token.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
            placeholder.get_or_insert(token.clone());
        } else {
            words.extend(
                token
                    .split('|')
                    .filter(|w| {
                        w.chars().all(|c| c.is_ascii_lowercase() || c == '_') && !w.is_empty()
                    })
                    .map(str::to_string),
            );
        }
    }
    // A name goes before the words of other forms (`after JOB`, `after
    // all`): the placeholder's candidates include them.
    match placeholder {
        Some(p) => Some(Expected::Placeholder(p, context, head.to_string())),
        None if !words.is_empty() => {
            words.dedup();
            Some(Expected::Words(words))
        }
        None => None,
    }
}

fn placeholder(p: &str, context: Context, head: &str, here: Option<&Here>) -> Vec<Candidate> {
    match p {
        "JOB" | "JOBS" => {
            let mut out = names(
                here,
                &[DefKind::Job, DefKind::Image, DefKind::Publish],
                true,
            );
            if head == "after" {
                out.push(
                    Candidate::new("all", CompletionItemKind::KEYWORD).detail("every other job"),
                );
            }
            out
        }
        "IMAGE" => names(here, &[DefKind::Image], false),
        "ENV" | "ENVS" => names(here, &[DefKind::Environment], false),
        "CONDITION" => values(&Ty::Cond, here),
        "TEMPLATE" => templates(here),
        "TAG" => ["sha", "branch", "branch_sha", "semver", "git_tag", "latest"]
            .iter()
            .map(|w| Candidate::new(*w, CompletionItemKind::ENUM_MEMBER))
            .collect(),
        // Words the statement's description lists: `role ROLE`.
        _ => vocabulary::doc(context, head)
            .map(|d| {
                d.meaning
                    .split('`')
                    .skip(1)
                    .step_by(2)
                    .filter(|w| {
                        !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                    })
                    .map(|w| Candidate::new(w, CompletionItemKind::ENUM_MEMBER))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// The statements a block accepts, with their forms and meaning.
fn statements(context: Context) -> Vec<Candidate> {
    context
        .heads()
        .into_iter()
        .map(|h| {
            let mut c = Candidate::new(h, CompletionItemKind::KEYWORD);
            if let Some(d) = vocabulary::doc(context, h) {
                c.detail = d.shapes.first().cloned();
                c.doc = Some(d.meaning);
            }
            c
        })
        .collect()
}

/// Values of type `ty`.
fn values(ty: &Ty, here: Option<&Here>) -> Vec<Candidate> {
    match ty {
        Ty::Enum(v) => v
            .iter()
            .map(|w| Candidate::new(w.clone(), CompletionItemKind::ENUM_MEMBER))
            .collect(),
        Ty::List(t) | Ty::Range(t) | Ty::Optional(t) => values(t, here),
        Ty::Matrix(t) => {
            let mut out = vec![
                Candidate::new("matrix(", CompletionItemKind::FUNCTION).detail("one job per value"),
            ];
            out.extend(values(t, here));
            out
        }
        Ty::Bool => ["true", "false"]
            .iter()
            .map(|w| Candidate::new(*w, CompletionItemKind::VALUE))
            .collect(),
        Ty::Job => names(
            here,
            &[DefKind::Job, DefKind::Image, DefKind::Publish],
            true,
        ),
        Ty::Image => names(here, &[DefKind::Image], false),
        Ty::Environment => names(here, &[DefKind::Environment], false),
        Ty::Secret => vec![
            Candidate::new("secret(", CompletionItemKind::FUNCTION)
                .detail("secret(\"NAME\"): a reference to a secret"),
        ],
        Ty::Cond => {
            let words = [
                ("branch", "on a branch: branch main, branch [\"release/*\"]"),
                ("tag", "on a tag: tag \"v*\""),
                ("event", "on runs started by: event pull_request"),
                (
                    "release",
                    "on a tag matching the pipeline's `on tag` patterns",
                ),
                ("always", "always"),
                ("never", "never"),
                ("not", "negation"),
                ("deploys(", "in runs that deploy to an environment"),
            ];
            words
                .iter()
                .map(|(w, d)| Candidate::new(*w, CompletionItemKind::KEYWORD).detail(*d))
                .collect()
        }
        _ => Vec::new(),
    }
}

/// Units for a number being typed, by the type expected (every unit when
/// it is not known).
fn units(number: &str, expected: Option<&Expected>) -> Vec<Candidate> {
    let digits: String = number
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '_')
        .collect();
    let ty = match expected {
        Some(Expected::Type(t)) => Some(t.clone()),
        Some(Expected::Placeholder(p, _, _)) => match p.as_str() {
            "DURATION" | "D" => Some(Ty::Duration),
            "PERCENT" => Some(Ty::Percent),
            "SIZE" => Some(Ty::Memory),
            _ => None,
        },
        _ => None,
    };
    let base = |t: &Ty| -> Ty {
        match t {
            Ty::List(t) | Ty::Range(t) | Ty::Matrix(t) | Ty::Optional(t) => (**t).clone(),
            t => t.clone(),
        }
    };
    let table: &[(&str, &str, Ty)] = &[
        ("s", "seconds", Ty::Duration),
        ("m", "minutes", Ty::Duration),
        ("h", "hours", Ty::Duration),
        ("d", "days", Ty::Duration),
        ("%", "percent", Ty::Percent),
        ("m", "millicores", Ty::Cpu),
        ("Mi", "mebibytes", Ty::Memory),
        ("Gi", "gibibytes", Ty::Memory),
        ("Ki", "kibibytes", Ty::Memory),
        ("Ti", "tebibytes", Ty::Memory),
        ("M", "megabytes", Ty::Memory),
        ("G", "gigabytes", Ty::Memory),
    ];
    let want = ty.as_ref().map(base);
    table
        .iter()
        .filter(|(_, _, t)| want.as_ref().is_none_or(|w| w == t))
        .map(|(u, what, t)| {
            Candidate::new(format!("{digits}{u}"), CompletionItemKind::UNIT)
                .detail(format!("{what} ({t})"))
        })
        .collect()
}

/// Names of the program's declarations of `kinds`; jobs only from the
/// pipeline around the cursor.
fn names(here: Option<&Here>, kinds: &[DefKind], in_pipeline: bool) -> Vec<Candidate> {
    let Some(h) = here else { return Vec::new() };
    let at = Span {
        source: h.source,
        start: h.offset,
        end: h.offset,
    };
    let pipeline = in_pipeline
        .then(|| h.a.enclosing(DefKind::Pipeline, at))
        .flatten();
    h.a.defs
        .all
        .iter()
        .filter(|d| kinds.contains(&d.kind))
        .filter(|d| !in_pipeline || pipeline.is_none() || d.container == pipeline)
        .map(|d| {
            let kind = match d.kind {
                DefKind::Environment => CompletionItemKind::ENUM_MEMBER,
                DefKind::Image => CompletionItemKind::CLASS,
                _ => CompletionItemKind::FUNCTION,
            };
            Candidate::new(d.name.clone(), kind).detail(d.kind.word())
        })
        .collect()
}

/// The source of the module a file imports as `alias`.
fn module_source(a: &Analysis, file: SourceId, alias: &str) -> Option<SourceId> {
    let def = a
        .defs
        .of_source(file)
        .find(|(_, d)| d.kind == DefKind::Module && d.name == alias)?
        .1;
    let text = a.text(def.span);
    let target = text.trim_start_matches("use").trim_start();
    if let Some(name) = target.strip_prefix("std.") {
        let name = name.split_whitespace().next()?;
        return a.source_of(&Address::Std(pipec_stdlib::module(name)?.name));
    }
    let rel = target.strip_prefix('"')?.split('"').next()?;
    let here = a.source(file).address.as_ref()?.path()?;
    let path = pipec_check::load::normalize(&here.parent()?.join(rel));
    a.source_of(&Address::File(path))
}

/// The template a callee names, from the file at the cursor.
fn template(callee: &str, here: &Here) -> Option<usize> {
    let (module, name) = match callee.split_once('.') {
        Some((alias, name)) => (Some(module_source(here.a, here.source, alias)?), name),
        None => (None, callee),
    };
    here.a
        .defs
        .named(DefKind::Template, name)
        .find(|d| module.is_none_or(|m| here.a.defs.all[*d].span.source == m))
}

fn parameter_type(callee: &str, name: &str, here: Option<&Here>) -> Option<Ty> {
    let h = here?;
    if name == "after" {
        return Some(Ty::List(Box::new(Ty::Job)));
    }
    if name == "when" {
        return Some(Ty::Cond);
    }
    let t = template(callee, h)?;
    let tree = h.a.source(h.a.defs.all[t].span.source).tree.clone()?;
    let param = tree.stmts.iter().find_map(|s| match &s.kind {
        pipec_syntax::ast::StmtKind::Template(tt) if tt.name.span == h.a.defs.all[t].name_span => {
            tt.params.iter().find(|p| p.name.name == name).cloned()
        }
        _ => None,
    })?;
    Ty::from_ast(&param.ty, &mut Vec::new())
}

/// The parameters of the template called at the cursor not given yet, and
/// the universal `after:` and `when:`.
fn parameters(callee: &str, cur: &Cursor, here: Option<&Here>) -> Vec<Candidate> {
    let Some(h) = here else { return Vec::new() };
    let Some(t) = template(callee, h) else {
        return Vec::new();
    };
    let given: Vec<&str> = cur
        .frames
        .last()
        .map(|f| f.named.iter().map(String::as_str).collect())
        .unwrap_or_default();
    let mut out: Vec<Candidate> =
        h.a.defs
            .all
            .iter()
            .filter(|d| d.kind == DefKind::Parameter && d.container == Some(t))
            .filter(|d| !given.contains(&d.name.as_str()))
            .map(|d| {
                Candidate::new(format!("{}: ", d.name), CompletionItemKind::FIELD)
                    .detail(h.a.text(d.signature).to_string())
            })
            .collect();
    out.push(Candidate::new("after: ", CompletionItemKind::FIELD).detail("after: JOB or [JOBS]"));
    out.push(Candidate::new("when: ", CompletionItemKind::FIELD).detail("when: CONDITION"));
    out
}

/// Templates a job or image can be made by: the program's own by name, and
/// each imported module's as `alias.name`.
fn templates(here: Option<&Here>) -> Vec<Candidate> {
    let Some(h) = here else { return Vec::new() };
    let modules: Vec<(String, SourceId)> =
        h.a.defs
            .of_source(h.source)
            .filter(|(_, d)| d.kind == DefKind::Module)
            .filter_map(|(_, d)| Some((d.name.clone(), module_source(h.a, h.source, &d.name)?)))
            .collect();
    let imported: Vec<SourceId> =
        h.a.defs
            .all
            .iter()
            .filter(|d| d.kind == DefKind::Module)
            .filter_map(|d| module_source(h.a, d.span.source, &d.name))
            .collect();
    h.a.defs
        .all
        .iter()
        .filter(|d| d.kind == DefKind::Template)
        .filter_map(|d| {
            let label = match modules.iter().find(|(_, s)| *s == d.span.source) {
                Some((alias, _)) => format!("{alias}.{}", d.name),
                None if !imported.contains(&d.span.source) => d.name.clone(),
                None => return None,
            };
            Some(
                Candidate::new(label, CompletionItemKind::METHOD)
                    .detail(h.a.text(d.signature).trim().to_string()),
            )
        })
        .collect()
}
