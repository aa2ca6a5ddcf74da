//! Rendering diagnostics for people (miette) and for machines (JSON).

use std::fmt;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use serde::Serialize;

use crate::{Diagnostic, SourceMap, Span};

/// Options for human-readable output.
#[derive(Debug, Clone, Copy)]
pub struct HumanOptions {
    pub color: bool,
    pub width: usize,
}

impl Default for HumanOptions {
    fn default() -> Self {
        HumanOptions {
            color: false,
            width: 100,
        }
    }
}

/// Renders diagnostics the way a compiler prints them: code, message, the source
/// with labels underlined, and the hint.
pub fn human(diags: &[Diagnostic], sources: &SourceMap, opts: HumanOptions) -> String {
    let theme = if opts.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(opts.width)
        .with_links(false);
    let mut out = String::new();
    for d in diags {
        let report = MietteReport::new(d, sources);
        // Rendering into a String cannot fail except through a formatter bug; fall
        // back to the one-line form rather than losing the diagnostic.
        if handler.render_report(&mut out, &report).is_err() {
            out.push_str(&short(d, sources));
        }
        out.push('\n');
    }
    out
}

/// `file:line:col: severity[CODE]: message` — one line per diagnostic.
pub fn short(d: &Diagnostic, sources: &SourceMap) -> String {
    let loc = Location::of(d.primary_span(), sources);
    format!(
        "{}:{}:{}: {}[{}]: {}\n",
        loc.file,
        loc.line,
        loc.column,
        d.severity.as_str(),
        d.code,
        d.message
    )
}

/// A one-based position range in a named file.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

impl Location {
    pub fn of(span: Span, sources: &SourceMap) -> Location {
        let file = sources.get(span.source);
        let (line, column) = file.line_col(span.start);
        let (end_line, end_column) = file.line_col(span.end);
        Location {
            file: file.name.clone(),
            line,
            column,
            end_line,
            end_column,
        }
    }
}

/// A label in the JSON forms of diagnostics and lint findings.
#[derive(Serialize)]
pub struct JsonLabel {
    #[serde(flatten)]
    pub location: Location,
    pub message: String,
    pub primary: bool,
}

/// Every label of a diagnostic, located.
pub fn json_labels(d: &Diagnostic, sources: &SourceMap) -> Vec<JsonLabel> {
    d.labels
        .iter()
        .map(|l| JsonLabel {
            location: Location::of(l.span, sources),
            message: l.message.clone(),
            primary: l.primary,
        })
        .collect()
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'a str,
    severity: &'a str,
    message: &'a str,
    #[serde(flatten)]
    location: Location,
    labels: Vec<JsonLabel>,
    help: Option<&'a str>,
    notes: &'a [String],
}

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    errors: usize,
    warnings: usize,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    /// Diagnostics counted in `errors` and `warnings` but not listed.
    omitted: usize,
}

/// The machine-readable form (`--format json`); `version` changes only when a
/// field is removed or changes meaning.
pub fn json(diags: &[Diagnostic], sources: &SourceMap) -> String {
    json_limited(diags, sources, usize::MAX)
}

/// [`json`] listing at most `limit` diagnostics; `omitted` counts the rest,
/// and the counts stay exact.
pub fn json_limited(diags: &[Diagnostic], sources: &SourceMap, limit: usize) -> String {
    let report = JsonReport {
        version: 1,
        errors: diags.iter().filter(|d| d.is_error()).count(),
        warnings: diags.iter().filter(|d| !d.is_error()).count(),
        omitted: diags.len().saturating_sub(limit),
        diagnostics: diags
            .iter()
            .take(limit)
            .map(|d| JsonDiagnostic {
                code: d.code.as_str(),
                severity: d.severity.as_str(),
                message: &d.message,
                location: Location::of(d.primary_span(), sources),
                labels: json_labels(d, sources),
                help: d.help.as_deref(),
                notes: &d.notes,
            })
            .collect(),
    };
    // Serializing plain data structures to a string cannot fail.
    serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"
}

/// Adapts a [`Diagnostic`] to miette. Labels in other files than the primary one
/// (a template parameter in the standard library, say) become related reports
/// with their own source.
struct MietteReport {
    code: String,
    message: String,
    severity: miette::Severity,
    help: Option<String>,
    source: NamedSource<Excerpt>,
    labels: Vec<LabeledSpan>,
    related: Vec<MietteReport>,
}

impl MietteReport {
    fn new(d: &Diagnostic, sources: &SourceMap) -> Self {
        let primary = d.primary_span();
        let mut help = d.help.clone();
        for n in &d.notes {
            let h = help.get_or_insert_with(String::new);
            if !h.is_empty() {
                h.push('\n');
            }
            h.push_str("note: ");
            h.push_str(n);
        }
        let mut report = MietteReport {
            code: d.code.to_string(),
            message: d.message.clone(),
            severity: match d.severity {
                crate::Severity::Error => miette::Severity::Error,
                crate::Severity::Warning => miette::Severity::Warning,
                crate::Severity::Note => miette::Severity::Advice,
            },
            help,
            source: named(primary, sources),
            labels: Vec::new(),
            related: Vec::new(),
        };
        for l in &d.labels {
            if l.span.source == primary.source {
                report.labels.push(labeled(l.span, &l.message, l.primary));
            } else {
                report.related.push(MietteReport {
                    code: String::new(),
                    message: if l.message.is_empty() {
                        "related location".into()
                    } else {
                        l.message.clone()
                    },
                    severity: miette::Severity::Advice,
                    help: None,
                    source: named(l.span, sources),
                    // The message is the report's title; the label only marks.
                    labels: vec![labeled(l.span, "", true)],
                    related: Vec::new(),
                });
            }
        }
        report
    }
}

/// The source of a report: the shared text and line table of its file, not
/// a copy, read through [`Excerpt`].
fn named(span: Span, sources: &SourceMap) -> NamedSource<Excerpt> {
    let f = sources.get(span.source);
    NamedSource::new(
        f.name.clone(),
        Excerpt {
            text: Arc::clone(&f.text),
            lines: Arc::clone(&f.line_starts),
        },
    )
}

/// A file as miette reads it. miette finds a span's line by scanning the
/// source from its start; handing it only the lines around the span keeps
/// the rendering of many diagnostics of one large file linear.
struct Excerpt {
    text: Arc<str>,
    lines: Arc<[u32]>,
}

impl Excerpt {
    fn line_of(&self, offset: usize) -> usize {
        let offset = u32::try_from(offset).unwrap_or(u32::MAX);
        match self.lines.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    fn line_start(&self, line: usize) -> usize {
        self.lines
            .get(line)
            .map_or(self.text.len(), |s| (*s as usize).min(self.text.len()))
    }
}

impl miette::SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let offset = span.offset().min(self.text.len());
        let end = (offset + span.len()).min(self.text.len());
        let first = self.line_of(offset).saturating_sub(before);
        let last = self.line_of(end) + after + 1;
        let (start, stop) = (self.line_start(first), self.line_start(last + 1));
        let window = self.text.get(start..stop).unwrap_or("");
        let local = SourceSpan::new((offset - start).into(), end - offset);
        let inner = window.read_span(&local, before, after)?;
        Ok(Box::new(miette::MietteSpanContents::new(
            inner.data(),
            SourceSpan::new((inner.span().offset() + start).into(), inner.span().len()),
            inner.line() + first,
            inner.column(),
            // miette counts lines from the start of the source it is given.
            inner.line_count() + first,
        )))
    }
}

fn labeled(span: Span, message: &str, primary: bool) -> LabeledSpan {
    let text = (!message.is_empty()).then(|| message.to_string());
    let s = SourceSpan::new((span.start as usize).into(), span.len());
    if primary {
        LabeledSpan::new_primary_with_span(text, s)
    } else {
        LabeledSpan::new_with_span(text, s)
    }
}

impl fmt::Debug for MietteReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for MietteReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MietteReport {}

impl miette::Diagnostic for MietteReport {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.code.is_empty()).then(|| Box::new(&self.code) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(
                self.related.iter().map(|r| r as &dyn miette::Diagnostic),
            ))
        }
    }
}
