//! The types of template parameters and of the values statements take.

use std::fmt;

use pipec_diagnostics::{Diagnostic, code, did_you_mean};
use pipec_syntax::ast::{TypeExpr, TypeExprKind};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    String,
    Int,
    Bool,
    Percent,
    Duration,
    Cpu,
    Memory,
    Path,
    Glob,
    Version,
    Url,
    List(Box<Ty>),
    /// Several values, one per job instance (a matrix axis).
    Matrix(Box<Ty>),
    /// A record with string keys.
    Map(Box<Ty>),
    Enum(Vec<String>),
    Range(Box<Ty>),
    Optional(Box<Ty>),
    Image,
    Job,
    Environment,
    Secret,
    /// A run-time condition (`branch main`, `tag "v*"`).
    Cond,
}

/// Type names usable in template signatures, with their arity.
const NAMED: &[(&str, usize)] = &[
    ("string", 0),
    ("int", 0),
    ("bool", 0),
    ("percent", 0),
    ("duration", 0),
    ("cpu", 0),
    ("memory", 0),
    ("path", 0),
    ("glob", 0),
    ("version", 0),
    ("url", 0),
    ("image", 0),
    ("job", 0),
    ("environment", 0),
    ("secret", 0),
    ("cond", 0),
    ("list", 1),
    ("matrix", 1),
    ("map", 1),
    ("range", 1),
];

impl Ty {
    /// Resolves a type as written in a signature.
    pub fn from_ast(t: &TypeExpr, diags: &mut Vec<Diagnostic>) -> Option<Ty> {
        let ty = match &t.kind {
            TypeExprKind::Enum(variants) => {
                Ty::Enum(variants.iter().map(|v| v.name.clone()).collect())
            }
            TypeExprKind::Named { name, args } => {
                let Some((_, arity)) = NAMED.iter().find(|(n, _)| *n == name.name) else {
                    let mut d = Diagnostic::new(
                        code::UNKNOWN_TYPE,
                        name.span,
                        format!("unknown type `{}`", name.name),
                    )
                    .label("not a type");
                    d = match did_you_mean(&name.name, NAMED.iter().map(|(n, _)| *n)) {
                        Some(s) => d.help(format!("did you mean `{s}`?")).suggest(name.span, s),
                        None => d.help(format!(
                            "types are {}",
                            NAMED.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                        )),
                    };
                    diags.push(d);
                    return None;
                };
                if args.len() != *arity {
                    diags.push(
                        Diagnostic::new(
                            code::UNKNOWN_TYPE,
                            name.span,
                            format!(
                                "`{}` takes {} type argument{}",
                                name.name,
                                arity,
                                if *arity == 1 { "" } else { "s" }
                            ),
                        )
                        .label(if *arity == 0 {
                            "takes no `<…>`"
                        } else {
                            "needs its item type in `<…>`"
                        })
                        .help("for example `list<string>`, `matrix<version>`, `percent`"),
                    );
                    return None;
                }
                let arg = |diags: &mut Vec<Diagnostic>| Ty::from_ast(&args[0], diags).map(Box::new);
                match name.name.as_str() {
                    "string" => Ty::String,
                    "int" => Ty::Int,
                    "bool" => Ty::Bool,
                    "percent" => Ty::Percent,
                    "duration" => Ty::Duration,
                    "cpu" => Ty::Cpu,
                    "memory" => Ty::Memory,
                    "path" => Ty::Path,
                    "glob" => Ty::Glob,
                    "version" => Ty::Version,
                    "url" => Ty::Url,
                    "image" => Ty::Image,
                    "job" => Ty::Job,
                    "environment" => Ty::Environment,
                    "secret" => Ty::Secret,
                    "cond" => Ty::Cond,
                    "list" => Ty::List(arg(diags)?),
                    "matrix" => Ty::Matrix(arg(diags)?),
                    "map" => Ty::Map(arg(diags)?),
                    _ => Ty::Range(arg(diags)?),
                }
            }
        };
        Some(if t.optional {
            Ty::Optional(Box::new(ty))
        } else {
            ty
        })
    }

    /// Types whose values are text (a string literal is accepted for each).
    pub fn is_textual(&self) -> bool {
        matches!(
            self,
            Ty::String | Ty::Path | Ty::Glob | Ty::Version | Ty::Url
        )
    }

    /// Whether a value of type `self` may be used where `expected` is wanted.
    pub fn fits(&self, expected: &Ty) -> bool {
        match (self, expected) {
            (a, Ty::Optional(b)) => a.fits(b),
            (Ty::Optional(a), b) => a.fits(b),
            (a, b) if a.is_textual() && b.is_textual() => true,
            (Ty::Matrix(a), b) => a.fits(b) || **a == *b,
            (Ty::List(a), Ty::List(b))
            | (Ty::Range(a), Ty::Range(b))
            | (Ty::Map(a), Ty::Map(b)) => a.fits(b),
            (Ty::Enum(a), Ty::Enum(b)) => a.iter().all(|v| b.contains(v)),
            (Ty::Enum(_), b) if b.is_textual() => true,
            (Ty::Bool, Ty::Cond) => true,
            (a, b) => a == b,
        }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::String => f.write_str("string"),
            Ty::Int => f.write_str("int"),
            Ty::Bool => f.write_str("bool"),
            Ty::Percent => f.write_str("percent"),
            Ty::Duration => f.write_str("duration"),
            Ty::Cpu => f.write_str("cpu"),
            Ty::Memory => f.write_str("memory"),
            Ty::Path => f.write_str("path"),
            Ty::Glob => f.write_str("glob"),
            Ty::Version => f.write_str("version"),
            Ty::Url => f.write_str("url"),
            Ty::List(t) => write!(f, "list<{t}>"),
            Ty::Matrix(t) => write!(f, "matrix<{t}>"),
            Ty::Map(t) => write!(f, "map<{t}>"),
            Ty::Enum(v) => write!(f, "enum({})", v.join(", ")),
            Ty::Range(t) => write!(f, "range<{t}>"),
            Ty::Optional(t) => write!(f, "{t}?"),
            Ty::Image => f.write_str("image"),
            Ty::Job => f.write_str("job"),
            Ty::Environment => f.write_str("environment"),
            Ty::Secret => f.write_str("secret"),
            Ty::Cond => f.write_str("cond"),
        }
    }
}

/// `enum(a, b, c)` from a fixed list of names.
pub fn enum_of<T>(variants: &[(&str, T)]) -> Ty {
    Ty::Enum(variants.iter().map(|(n, _)| (*n).to_string()).collect())
}
