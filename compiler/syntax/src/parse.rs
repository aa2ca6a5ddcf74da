//! From text to syntax tree: the pest grammar, the Pratt parser for expressions,
//! string processing, and recovery after syntax errors.

use std::sync::LazyLock;

use pest::Parser as _;
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use pipec_diagnostics::{Diagnostic, SourceId, Span, code};

use crate::ast::*;
use crate::errors::syntax_error;
use crate::recover;
use crate::scan::{self, forbidden_char};

#[derive(pest_derive::Parser)]
#[grammar = "pipe.pest"]
pub(crate) struct Grammar;

/// Deepest allowed expression tree; brackets are bounded by the scanner, this
/// bounds long operator chains, so that later recursive passes are safe too.
pub const MAX_EXPR_DEPTH: usize = 200;

/// Largest source file accepted.
pub const MAX_FILE_SIZE: usize = 8 * 1024 * 1024;

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::op_if, Assoc::Left))
        .op(Op::infix(Rule::op_or, Assoc::Left))
        .op(Op::infix(Rule::op_and, Assoc::Left))
        .op(Op::prefix(Rule::op_not))
        .op(Op::infix(Rule::op_eq, Assoc::Left)
            | Op::infix(Rule::op_ne, Assoc::Left)
            | Op::infix(Rule::op_in, Assoc::Left))
        .op(Op::infix(Rule::op_range, Assoc::Left))
        .op(Op::postfix(Rule::call_args) | Op::postfix(Rule::member))
});

/// Parses one file. Always returns a tree — of the statements that parsed — and
/// every error found, including errors after the first one.
pub fn parse(source: SourceId, text: &str) -> (File, Vec<Diagnostic>) {
    let mut file = File {
        source,
        stmts: Vec::new(),
        unparsed: vec![Span::new(source, 0, text.len())],
    };
    if text.len() > MAX_FILE_SIZE {
        let d = Diagnostic::new(
            code::INVALID_SOURCE,
            Span::new(source, 0, 0),
            format!("file is larger than {} MiB", MAX_FILE_SIZE >> 20),
        )
        .label("this file")
        .help("split the program into several files in one directory");
        return (file, vec![d]);
    }
    let bom = if text.starts_with('\u{FEFF}') { 3 } else { 0 };
    let scan = scan::scan(source, &text[bom..]);
    let mut diags: Vec<Diagnostic> = scan
        .diagnostics
        .into_iter()
        .map(|d| shift(d, bom))
        .collect();
    if scan.fatal {
        return (file, diags);
    }
    let mut b = Builder {
        source,
        diags: Vec::new(),
    };
    file.unparsed.clear();
    match Grammar::parse(Rule::file, &text[bom..]) {
        Ok(pairs) => file.stmts = b.file(pairs, bom),
        Err(_) => {
            // Parse each top-level chunk on its own so that one mistake does not
            // hide the others.
            let mut points = scan.recovery_points;
            points.push(text.len() - bom);
            points.dedup();
            let mut start = 0;
            for &end in points.iter().skip_while(|p| **p == 0) {
                let at = bom + start;
                let (stmts, unparsed) = b.chunk(&text[at..bom + end], at);
                file.stmts.extend(stmts);
                file.unparsed.extend(unparsed);
                start = end;
            }
        }
    }
    diags.extend(b.diags);
    (file, diags)
}

fn shift(mut d: Diagnostic, by: usize) -> Diagnostic {
    for l in &mut d.labels {
        l.span.start += by as u32;
        l.span.end += by as u32;
    }
    d
}

/// Converts pest pairs into the syntax tree.
struct Builder {
    source: SourceId,
    diags: Vec<Diagnostic>,
}

impl Builder {
    /// One top-level statement (or several) that did not parse as part of the
    /// file: reports its syntax errors, blanking the statement around each
    /// one to find the next, and returns what parses and what was blanked.
    fn chunk(&mut self, chunk: &str, offset: usize) -> (Vec<Stmt>, Vec<Span>) {
        let mut text = chunk.to_string();
        let mut blanked = Vec::new();
        for _ in 0..=recover::MAX_REPAIRS {
            let e = match Grammar::parse(Rule::file, &text) {
                Ok(pairs) => return (self.file(pairs, offset), blanked),
                Err(e) => e,
            };
            let d = syntax_error(self.source, &e, &text, offset);
            let stop = match e.location {
                pest::error::InputLocation::Pos(p) | pest::error::InputLocation::Span((p, _)) => p,
            };
            if text[stop..].trim().is_empty() {
                // A bracket never closed: nothing to isolate.
                self.diags.push(d);
                break;
            }
            // Recover around what the diagnostic points at: for `=` without
            // a value that is the `=`, not the next line pest stopped on.
            let pos = (d.primary_span().start as usize).saturating_sub(offset);
            self.diags.push(d);
            let Some(region) = recover::region(&text, pos.min(text.len())) else {
                break;
            };
            blanked.push(Span::new(
                self.source,
                offset + region.start,
                offset + region.end,
            ));
            recover::blank(&mut text, region);
        }
        let whole = Span::new(self.source, offset, offset + chunk.len());
        (Vec::new(), vec![whole])
    }

    fn span(&self, p: &Pair<Rule>, offset: usize) -> Span {
        let s = p.as_span();
        Span::new(self.source, offset + s.start(), offset + s.end())
    }

    fn file(&mut self, pairs: Pairs<Rule>, offset: usize) -> Vec<Stmt> {
        let mut out = Vec::new();
        for p in pairs.flat_map(|f| f.into_inner()) {
            if p.as_rule() == Rule::stmt {
                out.extend(self.stmt(p, offset));
            }
        }
        out
    }

    fn stmt(&mut self, p: Pair<Rule>, off: usize) -> Option<Stmt> {
        let span = self.span(&p, off);
        let mut attrs = Vec::new();
        let mut kind = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::attr => attrs.push(self.attr(c, off)),
                Rule::generic => kind = Some(StmtKind::Generic(self.generic(c, off)?)),
                Rule::template => kind = Some(StmtKind::Template(self.template(c, off)?)),
                Rule::dispatch => kind = Some(StmtKind::Dispatch(self.dispatch(c, off)?)),
                _ => {}
            }
        }
        Some(Stmt {
            span,
            attrs,
            kind: kind?,
        })
    }

    fn attr(&mut self, p: Pair<Rule>, off: usize) -> Attr {
        let span = self.span(&p, off);
        let mut inner = p.into_inner();
        let name = self.ident(inner.next().expect("grammar: attr has a name"), off);
        let args = inner
            .next()
            .map(|a| self.call_args(a, off))
            .unwrap_or_default();
        Attr { span, name, args }
    }

    fn generic(&mut self, p: Pair<Rule>, off: usize) -> Option<Generic> {
        let mut inner = p.into_inner();
        let head = self.ident(inner.next().expect("grammar: statement has a head"), off);
        let mut g = Generic {
            head,
            args: Vec::new(),
            assign: None,
            block: None,
        };
        for c in inner {
            match c.as_rule() {
                Rule::expr => g.args.push(self.expr(c, off)?),
                Rule::assign => {
                    let e = c.into_inner().next().expect("grammar: assign has a value");
                    g.assign = Some(self.expr(e, off)?);
                }
                Rule::block => g.block = Some(self.block(c, off)),
                _ => {}
            }
        }
        Some(g)
    }

    fn block(&mut self, p: Pair<Rule>, off: usize) -> Block {
        let span = self.span(&p, off);
        let stmts = p
            .into_inner()
            .filter(|c| c.as_rule() == Rule::stmt)
            .filter_map(|c| self.stmt(c, off))
            .collect();
        Block { span, stmts }
    }

    fn template(&mut self, p: Pair<Rule>, off: usize) -> Option<Template> {
        let mut name = None;
        let mut params = Vec::new();
        let mut returns = None;
        let mut body = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::ident if name.is_none() => name = Some(self.ident(c, off)),
                Rule::ident => returns = Some(self.ident(c, off)),
                Rule::params => params = self.params(c, off)?,
                Rule::block => body = Some(self.block(c, off)),
                _ => {}
            }
        }
        Some(Template {
            name: name?,
            params,
            returns,
            body: body?,
        })
    }

    fn dispatch(&mut self, p: Pair<Rule>, off: usize) -> Option<Dispatch> {
        let mut keyword = self.span(&p, off);
        let mut inputs = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::kw_dispatch => keyword = self.span(&c, off),
                Rule::params => inputs = self.params(c, off)?,
                _ => {}
            }
        }
        Some(Dispatch { keyword, inputs })
    }

    fn params(&mut self, p: Pair<Rule>, off: usize) -> Option<Vec<Param>> {
        let mut out = Vec::new();
        for c in p.into_inner() {
            let span = self.span(&c, off);
            let mut inner = c.into_inner();
            let name = self.ident(inner.next()?, off);
            let ty = self.type_expr(inner.next()?, off);
            let default = match inner.next() {
                Some(e) => Some(self.expr(e, off)?),
                None => None,
            };
            out.push(Param {
                span,
                name,
                ty,
                default,
            });
        }
        Some(out)
    }

    fn type_expr(&mut self, p: Pair<Rule>, off: usize) -> TypeExpr {
        let span = self.span(&p, off);
        let mut optional = false;
        let mut kind = TypeExprKind::Enum(Vec::new());
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::optional => optional = true,
                Rule::type_enum => {
                    kind = TypeExprKind::Enum(
                        c.into_inner()
                            .filter(|i| i.as_rule() == Rule::ident)
                            .map(|i| self.ident(i, off))
                            .collect(),
                    )
                }
                Rule::type_named => {
                    let mut inner = c.into_inner();
                    let name = self.ident(inner.next().expect("grammar: type has a name"), off);
                    let args = inner.map(|a| self.type_expr(a, off)).collect();
                    kind = TypeExprKind::Named { name, args };
                }
                _ => {}
            }
        }
        TypeExpr {
            span,
            kind,
            optional,
        }
    }

    fn ident(&self, p: Pair<Rule>, off: usize) -> Ident {
        Ident {
            name: p.as_str().to_string(),
            span: self.span(&p, off),
        }
    }

    fn call_args(&mut self, p: Pair<Rule>, off: usize) -> Vec<Arg> {
        let mut out = Vec::new();
        for a in p.into_inner() {
            let span = self.span(&a, off);
            let mut name = None;
            let mut value = None;
            for c in a.into_inner() {
                match c.as_rule() {
                    Rule::word => name = Some(self.ident(c, off)),
                    Rule::expr => value = self.expr(c, off),
                    _ => {}
                }
            }
            if let Some(value) = value {
                out.push(Arg { span, name, value });
            }
        }
        out
    }

    /// An expression through the Pratt parser. Returns `None` (after reporting)
    /// when the expression is too deep to be handled safely.
    fn expr(&mut self, p: Pair<Rule>, off: usize) -> Option<Expr> {
        let span = self.span(&p, off);
        let ops = p
            .clone()
            .into_inner()
            .filter(|c| {
                matches!(
                    c.as_rule(),
                    Rule::op_not
                        | Rule::op_if
                        | Rule::op_or
                        | Rule::op_and
                        | Rule::op_eq
                        | Rule::op_ne
                        | Rule::op_in
                        | Rule::op_range
                        | Rule::call_args
                        | Rule::member
                )
            })
            .count();
        if ops > MAX_EXPR_DEPTH {
            self.diags.push(
                Diagnostic::new(
                    code::NESTING_TOO_DEEP,
                    span,
                    format!("expression has more than {MAX_EXPR_DEPTH} operators"),
                )
                .label("too long")
                .help("split the condition into smaller named parts"),
            );
            return None;
        }
        let e = self.pratt(p.into_inner(), off);
        if depth(&e) > MAX_EXPR_DEPTH {
            self.diags.push(
                Diagnostic::new(code::NESTING_TOO_DEEP, span, "expression nested too deeply")
                    .label("too deep")
                    .help("split the value into smaller named parts"),
            );
            return None;
        }
        Some(e)
    }

    fn pratt(&mut self, pairs: Pairs<Rule>, off: usize) -> Expr {
        let src = self.source;
        let sp = move |p: &Pair<Rule>| {
            let s = p.as_span();
            Span::new(src, off + s.start(), off + s.end())
        };
        // The closures all need `self` mutably for diagnostics; collect them in a
        // cell-free way by parsing primaries first.
        let this = std::cell::RefCell::new(self);
        PRATT
            .map_primary(|p| this.borrow_mut().primary(p, off))
            .map_prefix(|op, e| Expr {
                span: sp(&op).join(e.span),
                kind: ExprKind::Unary {
                    op: UnaryOp::Not,
                    expr: Box::new(e),
                },
            })
            .map_postfix(|e, op| {
                let span = e.span.join(sp(&op));
                match op.as_rule() {
                    Rule::member => {
                        let name = this
                            .borrow()
                            .ident(op.into_inner().next().expect("grammar: member name"), off);
                        Expr {
                            span,
                            kind: ExprKind::Member {
                                base: Box::new(e),
                                name,
                            },
                        }
                    }
                    _ => {
                        let args = this.borrow_mut().call_args(op, off);
                        Expr {
                            span,
                            kind: ExprKind::Call {
                                callee: Box::new(e),
                                args,
                            },
                        }
                    }
                }
            })
            .map_infix(|lhs, op, rhs| {
                let op = match op.as_rule() {
                    Rule::op_if => BinaryOp::If,
                    Rule::op_or => BinaryOp::Or,
                    Rule::op_and => BinaryOp::And,
                    Rule::op_eq => BinaryOp::Eq,
                    Rule::op_ne => BinaryOp::Ne,
                    Rule::op_in => BinaryOp::In,
                    _ => BinaryOp::Range,
                };
                Expr {
                    span: lhs.span.join(rhs.span),
                    kind: ExprKind::Binary {
                        op,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                    },
                }
            })
            .parse(pairs)
    }

    fn primary(&mut self, p: Pair<Rule>, off: usize) -> Expr {
        let span = self.span(&p, off);
        let kind = match p.as_rule() {
            Rule::ident => ExprKind::Ident(p.as_str().to_string()),
            Rule::number => ExprKind::Number(p.as_str().replace('_', "")),
            Rule::quantity => {
                let text = p.as_str();
                let split = text
                    .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
                    .unwrap_or(text.len());
                ExprKind::Quantity {
                    number: text[..split].replace('_', ""),
                    unit: text[split..].to_string(),
                }
            }
            Rule::boolean => ExprKind::Bool(p.as_str() == "true"),
            Rule::string => {
                let inner = p.into_inner().next();
                let (raw, start) = match &inner {
                    Some(i) => (i.as_str(), off + i.as_span().start()),
                    None => ("", span.start as usize + 1),
                };
                ExprKind::Str(StrLit {
                    value: self.unescape(raw, start),
                    triple: false,
                })
            }
            Rule::triple_string => {
                let raw = p.into_inner().next().map_or("", |i| i.as_str());
                ExprKind::Str(StrLit {
                    value: dedent(raw),
                    triple: true,
                })
            }
            Rule::list => {
                ExprKind::List(p.into_inner().filter_map(|e| self.expr(e, off)).collect())
            }
            Rule::record => {
                let mut fields = Vec::new();
                for f in p.into_inner() {
                    let fspan = self.span(&f, off);
                    let mut inner = f.into_inner();
                    let k = inner.next().expect("grammar: field has a key");
                    let key = if k.as_rule() == Rule::string {
                        let raw = k.clone().into_inner().next().map_or("", |i| i.as_str());
                        Ident {
                            name: self.unescape(raw, off + k.as_span().start() + 1),
                            span: self.span(&k, off),
                        }
                    } else {
                        self.ident(k, off)
                    };
                    if let Some(value) = inner.next().and_then(|v| self.expr(v, off)) {
                        fields.push(Field {
                            span: fspan,
                            key,
                            value,
                        });
                    }
                }
                ExprKind::Record(fields)
            }
            Rule::paren => match p.into_inner().next().and_then(|e| self.expr(e, off)) {
                Some(e) => ExprKind::Paren(Box::new(e)),
                None => ExprKind::List(Vec::new()),
            },
            Rule::predicate => {
                let mut inner = p.into_inner();
                let word = match inner.next().map(|w| w.as_str()) {
                    Some("branch") => PredicateWord::Branch,
                    Some("tag") => PredicateWord::Tag,
                    _ => PredicateWord::Event,
                };
                let operand = inner.next().map(|o| Box::new(self.primary(o, off)));
                ExprKind::Predicate { word, operand }
            }
            _ => ExprKind::List(Vec::new()),
        };
        Expr { span, kind }
    }

    /// Processes escapes of a `"…"` string; `start` is the offset of its first
    /// character, for precise spans on bad escapes.
    fn unescape(&mut self, raw: &str, start: usize) -> String {
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            let Some((_, e)) = chars.next() else { break };
            match e {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '\\' => out.push('\\'),
                '"' => out.push('"'),
                'u' => {
                    let rest = &raw[i + 2..];
                    let parsed = rest
                        .strip_prefix('{')
                        .and_then(|r| r.find('}').map(|n| &r[..n]))
                        .filter(|h| !h.is_empty() && h.len() <= 6)
                        .and_then(|h| u32::from_str_radix(h, 16).ok().map(|v| (v, h.len())));
                    match parsed.and_then(|(v, n)| char::from_u32(v).map(|c| (c, n))) {
                        Some((c, n)) => {
                            let len = n + 2;
                            for _ in 0..len {
                                chars.next();
                            }
                            let esc = Span::new(self.source, start + i, start + i + 2 + len);
                            if let Some(what) = forbidden_char(c) {
                                self.diags.push(
                                    Diagnostic::new(
                                        code::FORBIDDEN_CHARACTER,
                                        esc,
                                        format!("escape produces {what} (U+{:04X})", c as u32),
                                    )
                                    .label("not allowed, even escaped")
                                    .help("generated files must not contain invisible control characters"),
                                );
                            } else {
                                out.push(c);
                            }
                        }
                        None => self.diags.push(
                            Diagnostic::new(
                                code::INVALID_ESCAPE,
                                Span::new(self.source, start + i, start + i + 2),
                                "invalid unicode escape",
                            )
                            .label("expected `\\u{…}` with 1 to 6 hex digits")
                            .help("write for example `\\u{e9}` for é"),
                        ),
                    }
                }
                other => self.diags.push(
                    Diagnostic::new(
                        code::INVALID_ESCAPE,
                        Span::new(self.source, start + i, start + i + 1 + other.len_utf8()),
                        format!("unknown escape `\\{other}`"),
                    )
                    .label("not an escape")
                    .help("escapes are \\n \\t \\r \\\\ \\\" and \\u{…}; for text with many backslashes use a \"\"\" string, which has no escapes"),
                ),
            }
        }
        out
    }
}

/// The body of a `"""` string: the text between the line of the opening quotes
/// and the line of the closing ones, with the closing line's indentation removed
/// from every line. A string that opens and closes on one line is taken as is.
pub fn dedent(raw: &str) -> String {
    let Some(first_nl) = raw.find('\n') else {
        return raw.to_string();
    };
    if !raw[..first_nl].trim().is_empty() {
        // Text right after the opening quotes: keep the string verbatim.
        return raw.replace("\r\n", "\n");
    }
    let body = &raw[first_nl + 1..];
    let (content, indent) = match body.rfind('\n') {
        Some(last_nl) if body[last_nl + 1..].trim().is_empty() => {
            (&body[..last_nl], body[last_nl + 1..].to_string())
        }
        _ => (body, String::new()),
    };
    let mut out = String::with_capacity(content.len());
    for (n, line) in content.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let line = line.strip_suffix('\r').unwrap_or(line);
        out.push_str(
            line.strip_prefix(indent.as_str())
                .unwrap_or(line.trim_start()),
        );
    }
    out
}

/// Depth of an expression tree, without recursion.
fn depth(e: &Expr) -> usize {
    let mut max = 0;
    let mut stack = vec![(e, 1usize)];
    while let Some((e, d)) = stack.pop() {
        max = max.max(d);
        if d > MAX_EXPR_DEPTH {
            return d;
        }
        match &e.kind {
            ExprKind::List(items) => stack.extend(items.iter().map(|i| (i, d + 1))),
            ExprKind::Record(fields) => stack.extend(fields.iter().map(|f| (&f.value, d + 1))),
            ExprKind::Call { callee, args } => {
                stack.push((callee, d + 1));
                stack.extend(args.iter().map(|a| (&a.value, d + 1)));
            }
            ExprKind::Member { base, .. } => stack.push((base, d + 1)),
            ExprKind::Unary { expr, .. } | ExprKind::Paren(expr) => stack.push((expr, d + 1)),
            ExprKind::Binary { lhs, rhs, .. } => {
                stack.push((lhs, d + 1));
                stack.push((rhs, d + 1));
            }
            ExprKind::Predicate {
                operand: Some(o), ..
            } => stack.push((o, d + 1)),
            _ => {}
        }
    }
    max
}
