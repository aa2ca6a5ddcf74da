//! Printing expressions, types and the bracketed lists they contain.

use super::Printer;
use super::align::{Line, Run};
use crate::ast::*;

/// One item of a bracketed list.
#[derive(Clone, Copy)]
enum Item<'a> {
    Expr(&'a Expr),
    Arg(&'a Arg),
    Field(&'a Field),
    Param(&'a Param),
}

impl Item<'_> {
    fn start(self) -> usize {
        match self {
            Item::Expr(e) => e.span.start as usize,
            Item::Arg(a) => a.span.start as usize,
            Item::Field(f) => f.span.start as usize,
            Item::Param(p) => p.span.start as usize,
        }
    }

    /// The length of its `name:`, which one-per-line items align on.
    fn key_len(self) -> Option<usize> {
        let name = match self {
            Item::Expr(_) | Item::Arg(Arg { name: None, .. }) => return None,
            Item::Arg(Arg { name: Some(n), .. }) => n.span,
            Item::Field(f) => f.key.span,
            Item::Param(p) => p.name.span,
        };
        Some((name.end - name.start) as usize + 1)
    }
}

/// How a bracketed list is written.
struct Brackets {
    open: &'static str,
    close: &'static str,
    /// Spaces inside the brackets when on one line: `{ a: 1 }`.
    padded: bool,
    /// A comma after every item when one per line (records use newlines).
    commas: bool,
}

const LIST: Brackets = Brackets {
    open: "[",
    close: "]",
    padded: false,
    commas: true,
};
const PARENS: Brackets = Brackets {
    open: "(",
    close: ")",
    padded: false,
    commas: true,
};
const RECORD: Brackets = Brackets {
    open: "{",
    close: "}",
    padded: true,
    commas: false,
};

impl Printer<'_> {
    pub(super) fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Ident(_)
            | ExprKind::Number(_)
            | ExprKind::Quantity { .. }
            | ExprKind::Bool(_) => {
                let t = self.text(e.span.start, e.span.end);
                self.push(t);
            }
            ExprKind::Str(s) => self.string(e, s),
            ExprKind::List(items) => {
                let items: Vec<Item> = items.iter().map(Item::Expr).collect();
                self.seq(&LIST, &items, e.span.start, e.span.end);
            }
            ExprKind::Record(fields) => {
                let items: Vec<Item> = fields.iter().map(Item::Field).collect();
                self.seq(&RECORD, &items, e.span.start, e.span.end);
            }
            ExprKind::Call { callee, args } => {
                self.expr(callee);
                self.args(args, callee.span.end, e.span.end);
            }
            ExprKind::Member { base, name } => {
                self.expr(base);
                self.push(".");
                self.push(&name.name);
            }
            ExprKind::Unary { expr, .. } => {
                self.push("not ");
                self.expr(expr);
            }
            ExprKind::Binary { op, lhs, rhs } => {
                self.expr(lhs);
                match op {
                    BinaryOp::Range => self.push(".."),
                    op => {
                        self.push(" ");
                        self.push(op.as_str());
                        self.push(" ");
                    }
                }
                self.expr(rhs);
            }
            ExprKind::Predicate { word, operand } => {
                self.push(word.as_str());
                if let Some(o) = operand {
                    self.push(" ");
                    self.expr(o);
                }
            }
            ExprKind::Paren(inner) => {
                self.push("(");
                self.expr(inner);
                self.push(")");
            }
        }
    }

    /// `(a, name: b)`; `start..end` spans the brackets.
    pub(super) fn args(&mut self, args: &[Arg], start: u32, end: u32) {
        let items: Vec<Item> = args.iter().map(Item::Arg).collect();
        self.seq(&PARENS, &items, start, end);
    }

    pub(super) fn params(&mut self, params: &[Param], start: u32, end: u32) {
        let items: Vec<Item> = params.iter().map(Item::Param).collect();
        self.seq(&PARENS, &items, start, end);
    }

    fn item(&mut self, item: Item) {
        match item {
            Item::Expr(e) => self.expr(e),
            Item::Arg(a) => {
                if let Some(n) = &a.name {
                    self.push(&n.name);
                    self.push(": ");
                }
                self.expr(&a.value);
            }
            Item::Field(f) => {
                let key = self.text(f.key.span.start, f.key.span.end);
                self.push(key);
                self.push(": ");
                self.expr(&f.value);
            }
            Item::Param(p) => {
                self.push(&p.name.name);
                self.push(": ");
                self.type_expr(&p.ty);
                if let Some(d) = &p.default {
                    self.push(" = ");
                    self.expr(d);
                }
            }
        }
    }

    fn type_expr(&mut self, t: &TypeExpr) {
        match &t.kind {
            TypeExprKind::Named { name, args } => {
                self.push(&name.name);
                if !args.is_empty() {
                    self.push("<");
                    for (i, a) in args.iter().enumerate() {
                        if i > 0 {
                            self.push(", ");
                        }
                        self.type_expr(a);
                    }
                    self.push(">");
                }
            }
            TypeExprKind::Enum(names) => {
                self.push("enum(");
                let names: Vec<&str> = names.iter().map(|n| n.name.as_str()).collect();
                self.push(&names.join(", "));
                self.push(")");
            }
        }
        if t.optional {
            self.push("?");
        }
    }

    /// A bracketed list: on one line when it was written so and fits, else
    /// one item per line. `start..end` covers the brackets.
    fn seq(&mut self, b: &Brackets, items: &[Item], start: u32, end: u32) {
        let (s, e) = (start as usize, end as usize);
        let has_comments = self.comments.any_within(s, e);
        if !has_comments && !self.spans_lines(start, end) {
            let inline = self.inline(|p| {
                p.push(b.open);
                if b.padded && !items.is_empty() {
                    p.push(" ");
                }
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        p.push(", ");
                    }
                    p.item(*item);
                }
                if b.padded && !items.is_empty() {
                    p.push(" ");
                }
                p.push(b.close);
            });
            if self.fits(&inline) {
                self.push(&inline.0);
                return;
            }
        }
        self.broken = true;
        self.push(b.open);
        let close = e.saturating_sub(1);
        self.trailing(items.first().map_or(close, |i| i.start()));
        self.newline();
        self.indent += 1;
        let mut last = None;
        let mut run = Run::default();
        for (i, item) in items.iter().enumerate() {
            let before = self.out.len();
            self.leading(item.start(), &mut last);
            if self.out.len() != before {
                run.flush(&mut self.out);
            }
            let start = self.out.len();
            self.pad();
            let key = item.key_len().map(|n| self.out.len() + n);
            self.item(*item);
            if b.commas {
                self.push(",");
            }
            let next = items.get(i + 1).map_or(close, |n| n.start());
            let before_comment = self.out.len();
            let comment = self.trailing(next).map(|_| before_comment);
            let one_line = !self.out[start..].contains('\n');
            self.newline();
            if one_line {
                run.push(Line {
                    start,
                    key,
                    name: None,
                    comment,
                });
            } else {
                run.flush(&mut self.out);
            }
            last = Some(next);
        }
        run.flush(&mut self.out);
        self.leading(close, &mut last);
        self.indent -= 1;
        self.pad();
        self.push(b.close);
    }

    /// A string as written; a `"""` string re-indented one level under the
    /// current line, with the same value.
    fn string(&mut self, e: &Expr, s: &StrLit) {
        let written = self.text(e.span.start, e.span.end);
        let reindented = s
            .triple
            .then(|| reindent(written, &"  ".repeat(self.indent + 1)))
            .flatten();
        match reindented {
            Some(text) => self.push(&text),
            None => self.push(written),
        }
    }
}

/// A `"""` string whose body starts on the line after the quotes and whose
/// closing quotes are alone on their line, with its lines indented by
/// `indent` instead; the value (see `parse::dedent`) stays the same. `None`
/// for other `"""` strings, which are kept as written.
fn reindent(written: &str, indent: &str) -> Option<String> {
    let raw = written.strip_prefix("\"\"\"")?.strip_suffix("\"\"\"")?;
    let (first, body) = raw.split_once('\n')?;
    if !first.trim().is_empty() {
        return None;
    }
    let (content, old_indent) = match body.rfind('\n') {
        Some(n) if body[n + 1..].trim().is_empty() => (&body[..n], &body[n + 1..]),
        _ => return None,
    };
    let mut out = String::from("\"\"\"\n");
    for line in content.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let value = line.strip_prefix(old_indent).unwrap_or(line.trim_start());
        if !value.is_empty() {
            out.push_str(indent);
            out.push_str(value);
        }
        out.push('\n');
    }
    out.push_str(indent);
    out.push_str("\"\"\"");
    Some(out)
}
