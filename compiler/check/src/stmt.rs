//! Helpers to take statements apart: each context (pipeline, job, environment,
//! service, …) knows which heads it accepts and the shape of each.

use pipec_diagnostics::{Diagnostic, Span, code, did_you_mean};
use pipec_syntax::ast::{Block, Expr, Generic, Stmt, StmtKind};

use crate::Checker;

/// "statement has the wrong shape", with the expected shape.
pub fn malformed(span: Span, shape: &str) -> Diagnostic {
    Diagnostic::new(
        code::MALFORMED_STATEMENT,
        span,
        "statement has the wrong shape",
    )
    .label(format!("expected `{shape}`"))
    .help("see `docs/language.md` for every statement and its shape")
}

/// The statement's arguments, consumed from left to right.
pub struct Args<'a> {
    pub stmt: &'a Stmt,
    pub g: &'a Generic,
    pub shape: &'static str,
    i: usize,
}

impl<'a> Args<'a> {
    pub fn new(stmt: &'a Stmt, g: &'a Generic, shape: &'static str) -> Self {
        Args {
            stmt,
            g,
            shape,
            i: 0,
        }
    }

    pub fn next(&mut self) -> Option<&'a Expr> {
        let e = self.g.args.get(self.i)?;
        self.i += 1;
        Some(e)
    }

    pub fn peek(&self) -> Option<&'a Expr> {
        self.g.args.get(self.i)
    }

    pub fn peek_word(&self) -> Option<&'a str> {
        self.peek().and_then(Expr::as_ident)
    }

    /// Consumes the word `w` if it comes next.
    pub fn word(&mut self, w: &str) -> bool {
        if self.peek_word() == Some(w) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    pub fn remaining(&self) -> usize {
        self.g.args.len() - self.i
    }

    /// The statement without its block.
    pub fn span(&self) -> Span {
        self.stmt.signature_span()
    }
}

/// A context's vocabulary: the heads it accepts.
pub struct Vocabulary {
    pub context: &'static str,
    pub heads: &'static [&'static str],
}

impl Checker<'_> {
    /// Reports a head that is not part of the vocabulary, with a suggestion.
    pub(crate) fn unknown_statement(&mut self, stmt: &Stmt, vocab: &Vocabulary) {
        // A statement that means nothing here is like one that did not parse:
        // what it declares (`environmnt staging { … }`) is not reported again
        // as unknown where it is used.
        self.unparsed.push(stmt.span);
        let (name, span) = match &stmt.kind {
            StmtKind::Generic(g) => (g.head.name.as_str(), g.head.span),
            StmtKind::Template(t) => ("template", t.name.span),
            StmtKind::Dispatch(d) => ("on dispatch", d.keyword),
        };
        let mut d = Diagnostic::new(
            code::UNKNOWN_STATEMENT,
            span,
            format!("`{name}` is not allowed in {}", vocab.context),
        )
        .label("unknown here");
        d = match did_you_mean(name, vocab.heads.iter().copied()) {
            Some(s) => d.help(format!("did you mean `{s}`?")).suggest(span, s),
            None => d.help(format!(
                "{} accepts: {}",
                vocab.context,
                vocab.heads.join(", ")
            )),
        };
        self.diags.push(d);
    }

    pub(crate) fn shape(&mut self, args: &Args) {
        self.diags.push(malformed(args.span(), args.shape));
    }

    /// Reports arguments left over after a statement was read.
    pub(crate) fn finish(&mut self, args: &Args) -> bool {
        if args.remaining() > 0 {
            let extra = &args.g.args[args.i..];
            let span = extra[0].span.join(extra[extra.len() - 1].span);
            self.diags.push(
                Diagnostic::new(code::MALFORMED_STATEMENT, span, "unexpected arguments")
                    .label(format!("expected `{}`", args.shape))
                    .help("statements end at a newline, `;` or `,`"),
            );
            return false;
        }
        true
    }

    /// Reports a statement that has a block it does not take.
    pub(crate) fn no_block(&mut self, g: &Generic, shape: &'static str) {
        if let Some(b) = &g.block {
            self.diags.push(
                Diagnostic::new(
                    code::MALFORMED_STATEMENT,
                    b.span,
                    "this statement takes no block",
                )
                .label(format!("expected `{shape}`"))
                .help("remove the `{ … }`"),
            );
        }
        if let Some(a) = &g.assign {
            self.diags.push(
                Diagnostic::new(
                    code::MALFORMED_STATEMENT,
                    a.span,
                    "this statement takes no `=`",
                )
                .label(format!("expected `{shape}`"))
                .help("remove the `=`; comparisons in conditions are written `==`"),
            );
        }
    }

    /// The statements of `block` whose head `vocab` accepts, each with its
    /// head; the others are reported as unknown.
    pub(crate) fn known_statements<'b>(
        &mut self,
        block: &'b Option<Block>,
        vocab: &Vocabulary,
    ) -> Vec<(&'b Stmt, &'b Generic)> {
        let mut known = Vec::new();
        for b in block_stmts(block) {
            match b.generic() {
                Some(g) if vocab.heads.contains(&g.head.name.as_str()) => known.push((b, g)),
                _ => self.unknown_statement(b, vocab),
            }
        }
        known
    }

    /// Reports the second of two statements that may appear only once.
    pub(crate) fn once(&mut self, seen: &mut Vec<(String, Span)>, head: &str, span: Span) -> bool {
        if let Some((_, first)) = seen.iter().find(|(h, _)| h == head) {
            self.diags.push(
                Diagnostic::new(
                    code::DUPLICATE_STATEMENT,
                    span,
                    format!("`{head}` is given twice"),
                )
                .label("second time")
                .secondary(*first, "first given here")
                .help("keep one of them"),
            );
            return false;
        }
        seen.push((head.to_string(), span));
        true
    }
}

/// The statements of a block, or nothing.
pub fn block_stmts(b: &Option<Block>) -> &[Stmt] {
    b.as_ref().map_or(&[], |b| b.stmts.as_slice())
}
