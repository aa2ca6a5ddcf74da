//! The syntax tree of a `.pipe` file.
//!
//! The tree is deliberately uniform: every statement is a head word followed by
//! arguments, an optional `= value` and an optional block ([`Generic`]). What a
//! statement means depends on where it appears, and that is the checker's job; the
//! parser only records what was written, with a span on every node.

use pipec_diagnostics::{SourceId, Span};

/// One parsed file.
#[derive(Debug, Clone)]
pub struct File {
    pub source: SourceId,
    pub stmts: Vec<Stmt>,
    /// Text that did not parse (a top-level statement with a syntax error, or
    /// the whole file). Names declared there are unknown to the checker, which
    /// does not report their uses again.
    pub unparsed: Vec<Span>,
}

/// A name as written, with its span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Stmt {
    pub span: Span,
    pub attrs: Vec<Attr>,
    pub kind: StmtKind,
}

#[derive(Debug, Clone)]
pub enum StmtKind {
    Generic(Generic),
    Template(Template),
    Dispatch(Dispatch),
}

/// `head arg arg … [= value] [{ … }]`
#[derive(Debug, Clone)]
pub struct Generic {
    pub head: Ident,
    pub args: Vec<Expr>,
    pub assign: Option<Expr>,
    pub block: Option<Block>,
}

#[derive(Debug, Clone)]
pub struct Block {
    pub span: Span,
    pub stmts: Vec<Stmt>,
}

/// `@allow(PIPE104, "reason")` before a statement.
#[derive(Debug, Clone)]
pub struct Attr {
    pub span: Span,
    pub name: Ident,
    pub args: Vec<Arg>,
}

/// `template name(params) -> kind { … }`
#[derive(Debug, Clone)]
pub struct Template {
    pub name: Ident,
    pub params: Vec<Param>,
    pub returns: Option<Ident>,
    pub body: Block,
}

/// `on dispatch(inputs)`
#[derive(Debug, Clone)]
pub struct Dispatch {
    pub keyword: Span,
    pub inputs: Vec<Param>,
}

/// `name: type [= default]`
#[derive(Debug, Clone)]
pub struct Param {
    pub span: Span,
    pub name: Ident,
    pub ty: TypeExpr,
    pub default: Option<Expr>,
}

#[derive(Debug, Clone)]
pub struct TypeExpr {
    pub span: Span,
    pub kind: TypeExprKind,
    pub optional: bool,
}

#[derive(Debug, Clone)]
pub enum TypeExprKind {
    /// `string`, `list<percent>`, `matrix<version>`
    Named { name: Ident, args: Vec<TypeExpr> },
    /// `enum(flake8, pylint)`
    Enum(Vec<Ident>),
}

#[derive(Debug, Clone)]
pub struct Expr {
    pub span: Span,
    pub kind: ExprKind,
}

#[derive(Debug, Clone)]
pub enum ExprKind {
    Ident(String),
    Str(StrLit),
    /// An integer or decimal number, as written (digit separators removed).
    Number(String),
    /// A number with a unit: `70%`, `5m`, `250m`, `512Mi`. Which quantity it is
    /// depends on the type expected where it is used.
    Quantity {
        number: String,
        unit: String,
    },
    Bool(bool),
    List(Vec<Expr>),
    Record(Vec<Field>),
    Call {
        callee: Box<Expr>,
        args: Vec<Arg>,
    },
    Member {
        base: Box<Expr>,
        name: Ident,
    },
    Unary {
        op: UnaryOp,
        expr: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Predicate {
        word: PredicateWord,
        operand: Option<Box<Expr>>,
    },
    Paren(Box<Expr>),
}

#[derive(Debug, Clone)]
pub struct StrLit {
    /// The value after escapes are processed (and, for `"""` strings, after the
    /// common indentation is removed).
    pub value: String,
    pub triple: bool,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub span: Span,
    pub key: Ident,
    pub value: Expr,
}

#[derive(Debug, Clone)]
pub struct Arg {
    pub span: Span,
    pub name: Option<Ident>,
    pub value: Expr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `value if condition`
    If,
    Or,
    And,
    Eq,
    Ne,
    In,
    Range,
}

impl BinaryOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::If => "if",
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::In => "in",
            BinaryOp::Range => "..",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PredicateWord {
    Branch,
    Tag,
    Event,
}

impl PredicateWord {
    pub fn as_str(self) -> &'static str {
        match self {
            PredicateWord::Branch => "branch",
            PredicateWord::Tag => "tag",
            PredicateWord::Event => "event",
        }
    }
}

impl Stmt {
    pub fn generic(&self) -> Option<&Generic> {
        match &self.kind {
            StmtKind::Generic(g) => Some(g),
            _ => None,
        }
    }

    /// The statement without its block: the head, the arguments and the
    /// `= value`. Diagnostics about a whole statement point here, since a
    /// block can run over many lines.
    pub fn signature_span(&self) -> Span {
        match &self.kind {
            StmtKind::Generic(g) => g
                .args
                .iter()
                .chain(&g.assign)
                .fold(g.head.span, |s, e| s.join(e.span)),
            StmtKind::Template(t) => t.name.span,
            StmtKind::Dispatch(_) => self.span,
        }
    }

    /// The span of the statement's leading word.
    pub fn head_span(&self) -> Span {
        match &self.kind {
            StmtKind::Generic(g) => g.head.span,
            StmtKind::Template(t) => t.name.span,
            StmtKind::Dispatch(d) => d.keyword,
        }
    }
}

impl Expr {
    /// The identifier this expression is, if it is a bare identifier.
    pub fn as_ident(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Ident(s) => Some(s),
            _ => None,
        }
    }

    /// `a.b.c` as a list of names, if the expression is a dotted path.
    pub fn as_path(&self) -> Option<Vec<&str>> {
        match &self.kind {
            ExprKind::Ident(s) => Some(vec![s]),
            ExprKind::Member { base, name } => {
                let mut p = base.as_path()?;
                p.push(&name.name);
                Some(p)
            }
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Str(s) => Some(&s.value),
            _ => None,
        }
    }
}
