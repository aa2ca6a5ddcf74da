//! `pipec fmt`: the canonical layout of a `.pipe` file.
//!
//! The printer walks the syntax tree, so the layout depends on what was
//! written, not how: two-space indentation, one statement per line, single
//! spaces between words, `name: value` with one space. Layout choices that
//! carry meaning for a reader are kept from the source:
//! - statements written on one line, joined by `,` or `;`, stay on one line
//!   with the same separators if they fit in [`WIDTH`] columns;
//! - a block, list, record, argument or parameter list written on one line
//!   stays on one line if it fits in [`WIDTH`] columns; otherwise (or when it
//!   was written over several lines, or holds a comment) it gets one item per
//!   line, with a trailing comma except in records and blocks;
//! - one blank line between statements where the source had at least one;
//! - `"""` strings are re-indented under their statement without changing
//!   their value.
//!
//! Consecutive one-line statements and items are then aligned in columns
//! ([`align`]), from the printed text alone.
//!
//! Comments are not in the syntax tree (the grammar skips them), so
//! [`comments::scan`] finds them in the text, and the printer emits each one
//! when it reaches its position: a comment alone on its line before the next
//! item, a comment after code at the end of that item's line. Every comment
//! is printed exactly once.
//!
//! [`format`] checks its own output when it differs from the input: it must
//! parse to the same tree (spans aside) with the same comments, or nothing is
//! returned.

mod align;
mod comments;
mod expr;

use pipec_diagnostics::{Diagnostic, SourceId};

use crate::ast::*;
use align::{Line, Run};
use comments::Pending;

/// The width layout aims for.
pub const WIDTH: usize = 100;

/// Why a file was not formatted.
#[derive(Debug)]
pub enum FormatError {
    /// The file does not parse.
    Syntax(Vec<Diagnostic>),
    /// The formatted text would not mean the same (a bug in the formatter);
    /// the file must be left as it is.
    Changed(String),
}

/// The canonical form of a `.pipe` file.
pub fn format(text: &str) -> Result<String, FormatError> {
    let (file, diags) = crate::parse(SourceId(0), text);
    if diags.iter().any(Diagnostic::is_error) {
        return Err(FormatError::Syntax(diags));
    }
    let found = comments::scan(text);
    let mut p = Printer::new(text, Pending::new(found.clone()));
    p.stmts(&file.stmts, text.len());
    let mut out = p.out;
    while out.ends_with("\n\n") {
        out.pop();
    }
    if out.trim().is_empty() {
        out.clear();
    }
    // Already in its canonical layout: the output is the text just parsed,
    // so there is nothing to verify (and `fmt --check` parses each file once).
    if out == text {
        return Ok(out);
    }

    let (again, diags) = crate::parse(SourceId(0), &out);
    if diags.iter().any(Diagnostic::is_error) {
        return Err(FormatError::Changed(
            "the formatted text does not parse".into(),
        ));
    }
    if shape(&again) != shape(&file) {
        return Err(FormatError::Changed(
            "the formatted text parses to a different tree".into(),
        ));
    }
    let texts = |c: &[comments::Comment]| c.iter().map(|c| c.text.clone()).collect::<Vec<_>>();
    if texts(&comments::scan(&out)) != texts(&found) {
        return Err(FormatError::Changed(
            "comments would be lost or moved".into(),
        ));
    }
    Ok(out)
}

/// The tree without its spans, for comparing what two texts mean.
pub fn shape(file: &File) -> String {
    let text = format!("{:?}", file.stmts);
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find("Span {") {
        out.push_str(&rest[..at]);
        let end = rest[at..].find('}').map_or(rest.len(), |n| at + n + 1);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

pub(crate) struct Printer<'s> {
    src: &'s str,
    out: String,
    indent: usize,
    comments: Pending,
    /// Something was printed one item per line.
    broken: bool,
}

impl<'s> Printer<'s> {
    fn new(src: &'s str, comments: Pending) -> Self {
        Printer {
            src,
            out: String::new(),
            indent: 0,
            comments,
            broken: false,
        }
    }

    fn text(&self, start: u32, end: u32) -> &'s str {
        self.src.get(start as usize..end as usize).unwrap_or("")
    }

    fn column(&self) -> usize {
        let line = self.out.rsplit('\n').next().unwrap_or("");
        line.chars().count()
    }

    fn push(&mut self, s: &str) {
        self.out.push_str(s);
    }

    fn newline(&mut self) {
        while self.out.ends_with(' ') {
            self.out.pop();
        }
        self.out.push('\n');
    }

    fn pad(&mut self) {
        for _ in 0..self.indent {
            self.out.push_str("  ");
        }
    }

    /// Whether the source between two offsets has an empty line.
    fn blank_between(&self, from: usize, to: usize) -> bool {
        let Some(between) = self.src.get(from..to) else {
            return false;
        };
        let mut lines = between.split('\n');
        lines.next();
        let mut inner: Vec<&str> = lines.collect();
        inner.pop();
        inner.iter().any(|l| l.trim().is_empty())
    }

    /// Prints the comments before `pos`, each on its own line; `last` is the
    /// end of what was printed before, for blank lines.
    fn leading(&mut self, pos: usize, last: &mut Option<usize>) {
        while let Some(c) = self.comments.take_before(pos) {
            if last.is_some_and(|l| self.blank_between(l, c.start)) {
                self.newline();
            }
            self.pad();
            self.push(&c.text);
            self.newline();
            *last = Some(c.start + c.text.len());
        }
    }

    /// Appends the comment that ends the current line, if it starts before
    /// `pos`.
    fn trailing(&mut self, pos: usize) -> Option<usize> {
        let c = self.comments.take_trailing(pos)?;
        self.push(" ");
        self.push(&c.text);
        Some(c.start + c.text.len())
    }

    /// Statements one per line, then the comments left before `end`.
    /// Statements the source joined on one line with `,` or `;` stay joined
    /// when they fit; consecutive one-line statements are aligned.
    fn stmts(&mut self, stmts: &[Stmt], end: usize) {
        let mut last: Option<usize> = None;
        let mut run = Run::default();
        let mut i = 0;
        while i < stmts.len() {
            let start = stmts[i].span.start as usize;
            let before = self.out.len();
            self.leading(start, &mut last);
            if last.is_some_and(|l| self.blank_between(l, start)) {
                self.newline();
            }
            if self.out.len() != before {
                run.flush(&mut self.out);
            }
            let group = &stmts[i..i + self.joined_len(&stmts[i..])];
            let next = stmts
                .get(i + group.len())
                .map_or(end, |n| n.span.start as usize);
            let after = if group.len() > 1 && self.stays_joined(group) {
                self.line(group, next, &mut run)
            } else {
                let mut after = None;
                for (j, s) in group.iter().enumerate() {
                    let next = group.get(j + 1).map_or(next, |n| n.span.start as usize);
                    after = self.line(std::slice::from_ref(s), next, &mut run);
                }
                after
            };
            let stmt_end = group.last().map_or(start, |s| s.span.end as usize);
            last = Some(after.unwrap_or(stmt_end).max(stmt_end));
            i += group.len();
        }
        run.flush(&mut self.out);
        self.leading(end, &mut last);
    }

    /// Prints one line: `stmts` joined by their separators, and the comment
    /// that ends the line (before `next`); adds the line to `run` if it is
    /// one line, or else ends the run. Returns the end of the comment.
    fn line(&mut self, stmts: &[Stmt], next: usize, run: &mut Run) -> Option<usize> {
        let start = self.out.len();
        self.pad();
        let code = self.out.len();
        self.joined(stmts);
        let (key, name) = stmts.first().map_or((None, None), columns);
        let name = name.filter(|_| stmts.len() == 1);
        let before_comment = self.out.len();
        let after = self.trailing(next);
        let one_line = !self.out[start..].contains('\n');
        self.newline();
        if one_line {
            run.push(Line {
                start,
                key: key.map(|k| code + k),
                name: name.map(|n| code + n),
                comment: after.map(|_| before_comment),
            });
        } else {
            run.flush(&mut self.out);
        }
        after
    }

    /// Statements side by side, each separator as the source wrote it.
    fn joined(&mut self, stmts: &[Stmt]) {
        for (i, s) in stmts.iter().enumerate() {
            if i > 0 {
                self.push(self.separator(&stmts[i - 1], s));
                self.push(" ");
            }
            self.stmt(s);
        }
    }

    /// How many statements from the first of `stmts` the source wrote on
    /// one line, joined by `,` or `;`.
    fn joined_len(&self, stmts: &[Stmt]) -> usize {
        let apart = |w: &[Stmt]| {
            self.text(w[0].span.end, w[1].span.start)
                .contains(['\n', '\r'])
        };
        1 + stmts.windows(2).take_while(|w| !apart(w)).count()
    }

    /// Whether statements the source joined on one line stay so: they are
    /// plain statements with no comment inside, and all of them fit on the
    /// line without breaking anything.
    fn stays_joined(&mut self, stmts: &[Stmt]) -> bool {
        let (Some(first), Some(last)) = (stmts.first(), stmts.last()) else {
            return false;
        };
        if !stmts.iter().all(joinable)
            || self
                .comments
                .any_within(first.span.start as usize, last.span.end as usize)
        {
            return false;
        }
        // Measured where the line will start: after its indentation.
        let start = self.out.len();
        self.pad();
        let fits = self.fits(&self.inline(|p| p.joined(stmts)));
        self.out.truncate(start);
        fits
    }

    /// The separator the source wrote between two statements of one line.
    fn separator(&self, a: &Stmt, b: &Stmt) -> &'static str {
        match self.text(a.span.end, b.span.start).find([';', ',']) {
            Some(n) if self.src.as_bytes()[a.span.end as usize + n] == b';' => ";",
            _ => ",",
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        for a in &s.attrs {
            self.push("@");
            self.push(&a.name.name);
            if !a.args.is_empty() {
                // The attribute's span takes in the line break after it.
                let written = self.text(a.span.start, a.span.end).trim_end().len();
                self.args(&a.args, a.name.span.end, a.span.start + written as u32);
            }
            self.newline();
            self.pad();
        }
        match &s.kind {
            StmtKind::Generic(g) => {
                self.push(&g.head.name);
                for a in &g.args {
                    self.push(" ");
                    self.expr(a);
                }
                if let Some(v) = &g.assign {
                    self.push(" = ");
                    self.expr(v);
                }
                if let Some(b) = &g.block {
                    self.push(" ");
                    self.block(b);
                }
            }
            StmtKind::Template(t) => {
                self.push("template ");
                self.push(&t.name.name);
                let close = self.src[..t.body.span.start as usize]
                    .rfind(')')
                    .map_or(t.body.span.start, |n| n as u32 + 1);
                self.params(&t.params, t.name.span.end, close);
                if let Some(r) = &t.returns {
                    self.push(" -> ");
                    self.push(&r.name);
                }
                self.push(" ");
                self.block(&t.body);
            }
            StmtKind::Dispatch(d) => {
                self.push("on dispatch");
                if !d.inputs.is_empty() {
                    self.params(&d.inputs, d.keyword.end, s.span.end);
                }
            }
        }
    }

    fn block(&mut self, b: &Block) {
        let (start, end) = (b.span.start as usize, b.span.end as usize);
        let has_comments = self.comments.any_within(start, end);
        if b.stmts.is_empty() && !has_comments {
            self.push("{}");
            return;
        }
        let simple = b.stmts.iter().all(joinable);
        if simple && !has_comments && !self.spans_lines(b.span.start, b.span.end) {
            let inline = self.inline(|p| {
                p.push("{ ");
                p.joined(&b.stmts);
                p.push(" }");
            });
            if self.fits(&inline) {
                self.push(&inline.0);
                return;
            }
        }
        self.broken = true;
        self.push("{");
        let first = b.stmts.first().map_or(end, |s| s.span.start as usize);
        self.trailing(first);
        self.newline();
        self.indent += 1;
        self.stmts(&b.stmts, end.saturating_sub(1));
        self.indent -= 1;
        self.pad();
        self.push("}");
    }

    /// What `print` writes from the current position, without comments, and
    /// whether it printed anything one item per line.
    fn inline(&self, print: impl FnOnce(&mut Printer<'s>)) -> (String, bool) {
        let line = self.out.rsplit('\n').next().unwrap_or("").to_string();
        let mut p = Printer::new(self.src, Pending::new(Vec::new()));
        p.out = line.clone();
        p.indent = self.indent;
        print(&mut p);
        (p.out[line.len()..].to_string(), p.broken)
    }

    /// Whether a one-line form fits: nothing in it broken into lines, and its
    /// first line within the width (a `"""` string in it runs over several).
    fn fits(&self, (inline, broken): &(String, bool)) -> bool {
        let first = inline.split('\n').next().unwrap_or("");
        !broken && self.column() + first.chars().count() <= WIDTH
    }

    /// Whether the source from `start` to `end` runs over several lines,
    /// not counting line breaks inside `"""` strings.
    fn spans_lines(&self, start: u32, end: u32) -> bool {
        let mut rest = self.text(start, end);
        while let Some(at) = rest.find("\"\"\"") {
            if rest[..at].contains('\n') {
                return true;
            }
            let after = &rest[at + 3..];
            rest = after.find("\"\"\"").map_or("", |n| &after[n + 3..]);
        }
        rest.contains('\n')
    }
}

/// Whether a statement can share a line with others: no attribute (printed
/// on a line of its own) and not a template or `on dispatch` declaration.
fn joinable(s: &Stmt) -> bool {
    s.attrs.is_empty() && matches!(s.kind, StmtKind::Generic(_))
}

/// Where a statement's alignment columns end, as byte offsets into its
/// printed text: its head, when something follows it, and the name a
/// `job NAME = …` statement binds.
fn columns(s: &Stmt) -> (Option<usize>, Option<usize>) {
    if !s.attrs.is_empty() {
        return (None, None);
    }
    match &s.kind {
        StmtKind::Generic(g) => {
            let head = g.head.name.len();
            let more = !g.args.is_empty() || g.assign.is_some() || g.block.is_some();
            let name = match (g.args.as_slice(), &g.assign) {
                (
                    [
                        Expr {
                            kind: ExprKind::Ident(n),
                            ..
                        },
                    ],
                    Some(_),
                ) => Some(head + 1 + n.len()),
                _ => None,
            };
            (more.then_some(head), name)
        }
        StmtKind::Template(_) => (Some("template".len()), None),
        StmtKind::Dispatch(_) => (Some("on".len()), None),
    }
}

#[cfg(test)]
mod tests;
