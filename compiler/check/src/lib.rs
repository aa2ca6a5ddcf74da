//! Name resolution, type checking and template expansion: from `.pipe` files to
//! the pipeline graph.
//!
//! [`check`] runs the phases in order and collects every diagnostic:
//! 1. [`load`]: read the program's files and the modules they `use`, and parse
//!    them (`pipec-syntax`);
//! 2. [`declare`]: collect the top-level names (pipelines, environments,
//!    services, templates, images, jobs), so references can point forward;
//! 3. [`lower`]: give each statement its meaning in its context, evaluating
//!    expressions against the types expected ([`eval`], [`render`] for string
//!    templates) and expanding template calls;
//! 4. [`graph`]: derive the deployment jobs and every dependency edge, then
//!    check the graph (cycles, promotion chain, jobs that can never run).
//!
//! The result is a [`pipec_graph::Program`] when there are no errors.
//!
//! An editor checks the program again on every change: [`check_indexed`]
//! reuses the syntax trees of the files that did not change ([`ParseCache`])
//! and records an [`Index`] of what each name refers to and which type each
//! value was read as, for hover, go to definition and completion.

mod cron;
mod declare;
pub mod eval;
mod graph;
pub mod index;
pub mod load;
mod lower;
mod render;
mod secrets;
mod stmt;
pub mod types;
pub mod value;

use std::path::Path;

use pipec_diagnostics::{Diagnostic, Diagnostics, SourceMap};
use pipec_graph::Program;

pub use index::{Index, Reference, ReferenceKind};
pub use load::{FileSystem, MemoryFs, ParseCache, ReadError};

/// The statement heads each kind of block accepts, by block (`"a file"`,
/// `"a pipeline"`, `"a job"`, `"an image"`, `"a publish rule"`, `"a job
/// service"`, `"an environment"`, `"a service"`, `"gitops"`, `"policy"`):
/// the vocabulary the checker enforces, for tests that keep tables of
/// statements in step with it.
pub fn vocabularies() -> Vec<(&'static str, &'static [&'static str])> {
    lower::vocabularies()
}

/// The statements of the blocks inside a service's statements (a
/// `rollout` and its `analysis`, `alerts`, `metrics`), as [`vocabularies`]
/// lists the others.
pub fn nested_vocabularies() -> Vec<(&'static str, &'static [&'static str])> {
    lower::nested_vocabularies()
}
pub use secrets::{is_secret_name, looks_secret};

/// The outcome of checking a program.
pub struct Checked {
    pub sources: SourceMap,
    /// The pipeline graph; `None` when there were errors.
    pub program: Option<Program>,
    /// Errors and warnings, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Checks the program at `path`: one `.pipe` file, or a directory whose `.pipe`
/// files form one program. Fails only when `path` itself cannot be read.
pub fn check(path: &Path, fs: &dyn FileSystem) -> std::io::Result<Checked> {
    Ok(run(path, fs, None, false)?.0)
}

/// Checks the program at `path` as [`check`] does, taking the syntax trees
/// of files that did not change from `parses` (and keeping the new ones
/// there), and records what the program's names refer to.
pub fn check_indexed(
    path: &Path,
    fs: &dyn FileSystem,
    parses: &ParseCache,
) -> std::io::Result<(Checked, Index)> {
    let (checked, index) = run(path, fs, Some(parses), true)?;
    Ok((checked, index.unwrap_or_default()))
}

fn run(
    path: &Path,
    fs: &dyn FileSystem,
    parses: Option<&ParseCache>,
    index: bool,
) -> std::io::Result<(Checked, Option<Index>)> {
    let mut ck = Checker::new(fs);
    ck.parses = parses;
    ck.index = index.then(Index::default);
    ck.load(path)?;
    let decls = ck.declare();
    let program = ck.lower(&decls);
    let program = program.map(|p| ck.build_graph(p));
    // What is unused is only clear once everything else is right: with errors,
    // a call that failed would make its template or import look unused.
    if ck.error_count() == 0 {
        ck.warn_unused(&decls);
    }
    ck.drop_cascades_on_broken_lines();
    let diagnostics = Diagnostics::from(std::mem::take(&mut ck.diags)).sorted();
    let has_errors = diagnostics.iter().any(Diagnostic::is_error);
    let index = ck.index.take().map(Index::finish);
    let checked = Checked {
        sources: ck.sources,
        program: if has_errors { None } else { program },
        diagnostics,
    };
    Ok((checked, index))
}

/// The state of one run of the checker.
pub(crate) struct Checker<'a> {
    fs: &'a dyn FileSystem,
    /// Syntax trees kept from an earlier check of the same program.
    parses: Option<&'a ParseCache>,
    /// What names refer to, when an editor asked for it.
    pub(crate) index: Option<Index>,
    pub(crate) sources: SourceMap,
    pub(crate) diags: Vec<Diagnostic>,
    pub(crate) files: Vec<load::ProgramFile>,
    pub(crate) modules: Vec<load::Module>,
    /// Module name (`std.python`, or the file's path) → index in `modules`.
    pub(crate) module_index: std::collections::HashMap<String, usize>,
    pub(crate) renderer: render::Renderer,
    /// Templates expanded at least once, by (module, name).
    pub(crate) used_templates: std::collections::BTreeSet<(Option<usize>, String)>,
    /// Import aliases used, by (file, alias).
    pub(crate) used_imports: std::collections::BTreeSet<(usize, String)>,
    /// Dependencies named while lowering, one entry per pipeline (by
    /// `PipelineId`), turned into edges by [`graph`].
    pub(crate) pending: Vec<lower::PendingEdges>,
    /// Where each publish rule lists its tags, for diagnostics about them.
    pub(crate) tag_spans:
        std::collections::BTreeMap<pipec_graph::PublishId, pipec_diagnostics::Span>,
    /// Text of the program and its modules that did not parse.
    pub(crate) unparsed: Vec<pipec_diagnostics::Span>,
    /// Top-level statements with text that did not parse inside.
    pub(crate) damaged: Vec<pipec_diagnostics::Span>,
    /// Every top-level statement of the program's files.
    pub(crate) top_level: Vec<pipec_diagnostics::Span>,
}

impl<'a> Checker<'a> {
    fn new(fs: &'a dyn FileSystem) -> Self {
        Checker {
            fs,
            parses: None,
            index: None,
            sources: SourceMap::new(),
            diags: Vec::new(),
            files: Vec::new(),
            modules: Vec::new(),
            module_index: Default::default(),
            renderer: render::Renderer::default(),
            used_templates: Default::default(),
            used_imports: Default::default(),
            pending: Default::default(),
            tag_spans: Default::default(),
            unparsed: Vec::new(),
            damaged: Vec::new(),
            top_level: Vec::new(),
        }
    }
}

impl Checker<'_> {
    pub(crate) fn error_count(&self) -> usize {
        self.diags.iter().filter(|d| d.is_error()).count()
    }

    /// Whether `name` is written in text that did not parse: it may be
    /// declared there, so not finding it is a consequence of the syntax error,
    /// which was reported.
    pub(crate) fn named_in_unparsed(&self, name: &str) -> bool {
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        self.unparsed.iter().any(|span| {
            let text = self.sources.slice(*span);
            text.match_indices(name).any(|(i, _)| {
                !text[..i].ends_with(is_word) && !text[i + name.len()..].starts_with(is_word)
            })
        })
    }

    /// A line with a syntax error keeps that error alone: the first one. The
    /// statements the parser split the broken line into (commas separate
    /// statements) would otherwise each be reported too.
    fn drop_cascades_on_broken_lines(&mut self) {
        let line_of = |sources: &SourceMap, d: &Diagnostic| {
            let span = d.primary_span();
            (span.source, sources.get(span.source).line_col(span.start).0)
        };
        let mut broken = std::collections::BTreeMap::new();
        for (i, d) in self.diags.iter().enumerate() {
            if d.code == pipec_diagnostics::code::SYNTAX {
                let at = (line_of(&self.sources, d), d.primary_span().start);
                let first = broken.entry(at.0).or_insert((at.1, i));
                if at.1 < first.0 {
                    *first = (at.1, i);
                }
            }
        }
        let mut i = 0;
        self.diags.retain(|d| {
            let keep = match broken.get(&line_of(&self.sources, d)) {
                Some((_, first)) => *first == i,
                None => true,
            };
            i += 1;
            keep
        });
    }

    /// Whether the top-level statement around `span` has an error reported
    /// inside it, or text that did not parse or was not understood.
    pub(crate) fn statement_has_errors(&self, span: pipec_diagnostics::Span) -> bool {
        let within = |outer: &pipec_diagnostics::Span, inner: pipec_diagnostics::Span| {
            outer.source == inner.source && outer.start <= inner.start && inner.end <= outer.end
        };
        let Some(stmt) = self.top_level.iter().find(|s| within(s, span)) else {
            return false;
        };
        self.diags
            .iter()
            .any(|d| d.is_error() && within(stmt, d.primary_span()))
            || self
                .unparsed
                .iter()
                .any(|u| u.source == stmt.source && u.start < stmt.end && stmt.start < u.end)
    }

    /// Whether `span` is in a top-level statement part of which did not
    /// parse: what seems missing there may be in the part that was lost.
    pub(crate) fn in_damaged(&self, span: pipec_diagnostics::Span) -> bool {
        self.damaged
            .iter()
            .any(|d| d.source == span.source && d.start <= span.start && span.end <= d.end)
    }
}

#[cfg(test)]
mod tests;
