//! Expressions of the CI systems: GitHub's `${{ … }}` (run conditions and
//! template expansions) and GitLab's `rules: if:`. Each is parsed into a small
//! tree and reduced to a [`When`], keeping only refs and events.

use pipec_graph::Glob;

use super::Pattern;
use super::when::{RunEvent, When};

/// A GitHub expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    /// `github.event.pull_request.title`, `steps.meta.outputs.tags`.
    Ctx(String),
    Call(String, Vec<Expr>),
    Not(Box<Expr>),
    Bin(&'static str, Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Num(f64),
    Op(&'static str),
}

fn lex(s: &str) -> Option<Vec<Tok>> {
    let b: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        const OPS: [&str; 14] = [
            "==", "!=", "<=", ">=", "&&", "||", "!", "<", ">", "(", ")", ",", "[", "]",
        ];
        if let Some(op) = OPS.iter().find(|op| {
            let n = op.len();
            i + n <= b.len() && b[i..i + n].iter().collect::<String>() == **op
        }) {
            out.push(Tok::Op(op));
            i += op.len();
            continue;
        }
        if c == '\'' {
            let mut v = String::new();
            i += 1;
            loop {
                match b.get(i) {
                    None => return None,
                    Some('\'') if b.get(i + 1) == Some(&'\'') => {
                        v.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(ch) => {
                        v.push(*ch);
                        i += 1;
                    }
                }
            }
            out.push(Tok::Str(v));
            continue;
        }
        if c.is_ascii_digit() || (c == '-' && b.get(i + 1).is_some_and(|d| d.is_ascii_digit())) {
            let start = i;
            i += 1;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == '.') {
                i += 1;
            }
            let t: String = b[start..i].iter().collect();
            out.push(Tok::Num(t.parse().ok()?));
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < b.len() && (b[i].is_alphanumeric() || matches!(b[i], '_' | '-' | '.' | '*')) {
                i += 1;
            }
            out.push(Tok::Word(b[start..i].iter().collect()));
            continue;
        }
        return None;
    }
    Some(out)
}

struct P {
    toks: Vec<Tok>,
    at: usize,
}

impl P {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }

    fn eat(&mut self, op: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Op(o)) if *o == op) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expr(&mut self, min: u8) -> Option<Expr> {
        let mut lhs = self.unary()?;
        while let Some(Tok::Op(o)) = self.peek() {
            let (op, prec) = match *o {
                "||" => ("||", 1),
                "&&" => ("&&", 2),
                "==" | "!=" => (*o, 3),
                "<" | "<=" | ">" | ">=" => (*o, 4),
                _ => break,
            };
            if prec < min {
                break;
            }
            self.at += 1;
            let rhs = self.expr(prec + 1)?;
            lhs = Expr::Bin(op, Box::new(lhs), Box::new(rhs));
        }
        Some(lhs)
    }

    fn unary(&mut self) -> Option<Expr> {
        if self.eat("!") {
            return Some(Expr::Not(Box::new(self.unary()?)));
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Option<Expr> {
        let mut e = self.primary()?;
        while self.eat("[") {
            let idx = self.expr(1)?;
            if !self.eat("]") {
                return None;
            }
            e = match (e, idx) {
                (Expr::Ctx(c), Expr::Str(k)) => Expr::Ctx(format!("{c}.{k}")),
                (Expr::Ctx(c), _) => Expr::Ctx(format!("{c}.*")),
                (other, _) => other,
            };
        }
        Some(e)
    }

    fn primary(&mut self) -> Option<Expr> {
        let t = self.peek()?.clone();
        self.at += 1;
        match t {
            Tok::Str(s) => Some(Expr::Str(s)),
            Tok::Num(n) => Some(Expr::Num(n)),
            Tok::Op("(") => {
                let e = self.expr(1)?;
                self.eat(")").then_some(e)
            }
            Tok::Word(w) => match w.as_str() {
                "true" => Some(Expr::Bool(true)),
                "false" => Some(Expr::Bool(false)),
                "null" => Some(Expr::Null),
                _ if self.eat("(") => {
                    let mut args = Vec::new();
                    if !self.eat(")") {
                        loop {
                            args.push(self.expr(1)?);
                            if self.eat(")") {
                                break;
                            }
                            if !self.eat(",") {
                                return None;
                            }
                        }
                    }
                    Some(Expr::Call(w.to_ascii_lowercase(), args))
                }
                _ => Some(Expr::Ctx(w)),
            },
            Tok::Op(_) => None,
        }
    }
}

/// Parses a GitHub expression (the inside of `${{ }}`, or a bare `if:`).
pub fn parse(s: &str) -> Option<Expr> {
    let s = s.trim();
    let s = s
        .strip_prefix("${{")
        .and_then(|r| r.strip_suffix("}}"))
        .filter(|inner| !inner.contains("${{"))
        .unwrap_or(s);
    let mut p = P {
        toks: lex(s)?,
        at: 0,
    };
    let e = p.expr(1)?;
    (p.at == p.toks.len()).then_some(e)
}

/// Every `${{ … }}` in a text, with its position.
pub fn expansions(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("${{") {
        let start = from + i;
        match text[start..].find("}}") {
            Some(j) => {
                out.push((start, &text[start..start + j + 2]));
                from = start + j + 2;
            }
            None => break,
        }
    }
    out
}

/// The contexts an expression reads (`github.event.issue.title`).
pub fn contexts(e: &Expr, out: &mut Vec<String>) {
    match e {
        Expr::Ctx(c) => out.push(c.clone()),
        Expr::Call(_, args) => args.iter().for_each(|a| contexts(a, out)),
        Expr::Not(x) => contexts(x, out),
        Expr::Bin(_, a, b) => {
            contexts(a, out);
            contexts(b, out);
        }
        _ => {}
    }
}

fn glob(p: &str) -> Pattern {
    Pattern::Glob(Glob(p.to_string()))
}

/// A GitHub condition as a [`When`].
pub fn github_when(e: &Expr) -> When {
    match e {
        Expr::Bool(true) => When::Always,
        Expr::Bool(false) => When::Never,
        Expr::Not(x) => github_when(x).negate(),
        Expr::Bin("&&", a, b) => github_when(a).and(github_when(b)),
        Expr::Bin("||", a, b) => github_when(a).or(github_when(b)),
        Expr::Bin(op @ ("==" | "!="), a, b) => {
            let w = match (a.as_ref(), b.as_ref()) {
                (Expr::Ctx(c), Expr::Str(s)) | (Expr::Str(s), Expr::Ctx(c)) => github_eq(c, s),
                _ => When::Unknown,
            };
            if *op == "!=" { w.negate() } else { w }
        }
        Expr::Call(f, args) => match (f.as_str(), args.as_slice()) {
            ("success" | "always", []) => When::Always,
            ("cancelled", []) => When::Never,
            ("startswith", [Expr::Ctx(c), Expr::Str(p)]) if c == "github.ref" => {
                if let Some(t) = p.strip_prefix("refs/tags/") {
                    When::Tag(vec![glob(&format!("{t}**"))])
                } else if let Some(b) = p.strip_prefix("refs/heads/") {
                    When::Branch(vec![glob(&format!("{b}**"))])
                } else {
                    When::Unknown
                }
            }
            ("contains", [Expr::Ctx(c), Expr::Str(p)]) if c == "github.ref" && p == "refs/tags" => {
                When::Tag(Vec::new())
            }
            _ => When::Unknown,
        },
        _ => When::Unknown,
    }
}

fn github_eq(ctx: &str, s: &str) -> When {
    match ctx {
        "github.ref" => {
            if let Some(t) = s.strip_prefix("refs/tags/") {
                When::Tag(vec![glob(t)])
            } else if let Some(b) = s.strip_prefix("refs/heads/") {
                When::branch(b)
            } else {
                When::Unknown
            }
        }
        "github.ref_name" => When::branch(s).or(When::Tag(vec![glob(s)])),
        "github.base_ref" => When::PullRequestTo(vec![glob(s)]),
        "github.ref_type" => match s {
            "tag" => When::Tag(Vec::new()),
            "branch" => When::Tag(Vec::new()).negate(),
            _ => When::Unknown,
        },
        "github.event_name" => match s {
            "push" => When::Event(RunEvent::Push).or(When::Event(RunEvent::Tag)),
            "pull_request" => When::Event(RunEvent::PullRequest),
            "pull_request_target" => When::Event(RunEvent::PullRequestTarget),
            "workflow_dispatch" => When::Event(RunEvent::Dispatch),
            "schedule" => When::Event(RunEvent::Schedule),
            "release" => When::Event(RunEvent::Release),
            _ => When::Unknown,
        },
        _ => When::Unknown,
    }
}

/// A GitLab `rules: if:` expression as a [`When`].
pub fn gitlab_when(s: &str) -> When {
    let toks = match gitlab_lex(s) {
        Some(t) => t,
        None => return When::Unknown,
    };
    let mut p = GlP { toks, at: 0 };
    match p.or() {
        Some(w) if p.at == p.toks.len() => w,
        _ => When::Unknown,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum GlTok {
    Var(String),
    Str(String),
    Re(String),
    Null,
    Op(&'static str),
}

fn gitlab_lex(s: &str) -> Option<Vec<GlTok>> {
    let b: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '$' {
            let braced = b.get(i + 1) == Some(&'{');
            let start = i + 1 + usize::from(braced);
            let mut j = start;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == '_') {
                j += 1;
            }
            out.push(GlTok::Var(b[start..j].iter().collect()));
            i = j + usize::from(braced);
        } else if c == '"' || c == '\'' {
            let end = b[i + 1..].iter().position(|x| *x == c)? + i + 1;
            out.push(GlTok::Str(b[i + 1..end].iter().collect()));
            i = end + 1;
        } else if c == '/' {
            let mut j = i + 1;
            while j < b.len() && b[j] != '/' {
                j += if b[j] == '\\' { 2 } else { 1 };
            }
            let body: String = b[i + 1..j.min(b.len())].iter().collect();
            j += 1;
            let mut flags = String::new();
            while j < b.len() && b[j].is_ascii_alphabetic() {
                flags.push(b[j]);
                j += 1;
            }
            out.push(GlTok::Re(if flags.contains('i') {
                format!("(?i){body}")
            } else {
                body
            }));
            i = j;
        } else {
            let rest: String = b[i..].iter().take(4).collect();
            let op = ["==", "!=", "=~", "!~", "&&", "||", "(", ")"]
                .into_iter()
                .find(|op| rest.starts_with(op));
            if let Some(op) = op {
                out.push(GlTok::Op(op));
                i += op.len();
            } else if rest.starts_with("null") {
                out.push(GlTok::Null);
                i += 4;
            } else {
                return None;
            }
        }
    }
    Some(out)
}

struct GlP {
    toks: Vec<GlTok>,
    at: usize,
}

impl GlP {
    fn eat(&mut self, op: &str) -> bool {
        if matches!(self.toks.get(self.at), Some(GlTok::Op(o)) if *o == op) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Option<When> {
        let mut w = self.and()?;
        while self.eat("||") {
            w = w.or(self.and()?);
        }
        Some(w)
    }

    fn and(&mut self) -> Option<When> {
        let mut w = self.atom()?;
        while self.eat("&&") {
            w = w.and(self.atom()?);
        }
        Some(w)
    }

    fn atom(&mut self) -> Option<When> {
        if self.eat("(") {
            let w = self.or()?;
            return self.eat(")").then_some(w);
        }
        let lhs = self.toks.get(self.at)?.clone();
        self.at += 1;
        let GlTok::Var(var) = lhs else {
            return Some(When::Unknown);
        };
        for op in ["==", "!=", "=~", "!~"] {
            if self.eat(op) {
                let rhs = self.toks.get(self.at)?.clone();
                self.at += 1;
                let pattern = match rhs {
                    GlTok::Str(s) => Some(glob(&s)),
                    GlTok::Var(v) if v == "CI_DEFAULT_BRANCH" => Some(glob("main")),
                    GlTok::Re(r) => Some(Pattern::Regex(r)),
                    GlTok::Null => None,
                    _ => return Some(When::Unknown),
                };
                let w = match pattern {
                    Some(p) => gitlab_match(&var, p),
                    // `$X == null` is "X is unset".
                    None => gitlab_set(&var).negate(),
                };
                return Some(if op.starts_with('!') { w.negate() } else { w });
            }
        }
        Some(gitlab_set(&var))
    }
}

/// The variable is set (non-empty).
fn gitlab_set(var: &str) -> When {
    match var {
        "CI_COMMIT_TAG" => When::Tag(Vec::new()),
        "CI_COMMIT_BRANCH" => When::Branch(vec![glob("**")]),
        "CI_MERGE_REQUEST_ID" | "CI_MERGE_REQUEST_IID" => When::Event(RunEvent::PullRequest),
        _ => When::Var(var.to_string()),
    }
}

fn gitlab_match(var: &str, p: Pattern) -> When {
    let literal = match &p {
        Pattern::Glob(g) => Some(g.as_str().to_string()),
        Pattern::Regex(_) => None,
    };
    match var {
        "CI_COMMIT_BRANCH" => When::Branch(vec![p]),
        "CI_COMMIT_TAG" => When::Tag(vec![p]),
        "CI_COMMIT_REF_NAME" | "CI_COMMIT_REF_SLUG" => {
            When::Branch(vec![p.clone()]).or(When::Tag(vec![p]))
        }
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME" => When::PullRequestTo(vec![p]),
        "CI_PIPELINE_SOURCE" => match literal.as_deref() {
            Some("merge_request_event" | "external_pull_request_event") => {
                When::Event(RunEvent::PullRequest)
            }
            Some("push") => When::Event(RunEvent::Push).or(When::Event(RunEvent::Tag)),
            Some("schedule") => When::Event(RunEvent::Schedule),
            Some("web" | "api" | "trigger" | "chat") => When::Event(RunEvent::Dispatch),
            _ => When::Unknown,
        },
        // What pipec's child pipelines test: the kind of run their parent
        // pipeline passed on.
        "PIPEC_EVENT" => match literal.as_deref() {
            Some("push") => When::Event(RunEvent::Push),
            Some("pull_request") => When::Event(RunEvent::PullRequest),
            Some("tag") => When::Event(RunEvent::Tag),
            Some("schedule") => When::Event(RunEvent::Schedule),
            Some("dispatch") => When::Event(RunEvent::Dispatch),
            _ => When::Unknown,
        },
        // Equal to something: at least set.
        _ if literal.is_some_and(|l| !l.is_empty()) => {
            When::Var(var.to_string()).and(When::Unknown)
        }
        _ => When::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::when::Run;

    fn push(b: &str) -> Run {
        Run {
            event: RunEvent::Push,
            branch: Some(b.into()),
            tag: None,
        }
    }

    #[test]
    fn github_conditions() {
        let w = github_when(&parse("github.ref == 'refs/heads/main'").expect("parses"));
        assert!(w.holds(&push("main")));
        assert!(!w.holds(&push("develop")));
        let w = github_when(
            &parse("${{ github.event_name == 'push' && startsWith(github.ref, 'refs/tags/v') }}")
                .expect("parses"),
        );
        let tag = Run {
            event: RunEvent::Tag,
            branch: None,
            tag: Some("v1.0.0".into()),
        };
        assert!(w.holds(&tag));
        assert!(!w.holds(&push("main")));
        let w = github_when(
            &parse("github.actor != 'bot' && github.ref == 'refs/heads/main'").expect("parses"),
        );
        assert_eq!(w.eval(&push("main")), None);
        assert_eq!(w.eval(&push("x")), Some(false));
    }

    #[test]
    fn contexts_of_expansions() {
        let e = parse("toJSON(github.event.issue.title) || inputs['name']").expect("parses");
        let mut c = Vec::new();
        contexts(&e, &mut c);
        assert_eq!(c, vec!["github.event.issue.title", "inputs.name"]);
        assert_eq!(expansions("a ${{ x }} b ${{ y }}").len(), 2);
    }

    #[test]
    fn gitlab_rules() {
        let w =
            gitlab_when("$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH || $CI_COMMIT_TAG =~ /^v\\d+/");
        assert!(w.holds(&push("main")));
        assert!(!w.holds(&push("feature")));
        let w = gitlab_when("$CI_PIPELINE_SOURCE == \"merge_request_event\"");
        let mr = Run {
            event: RunEvent::PullRequest,
            branch: Some("main".into()),
            tag: None,
        };
        assert!(w.holds(&mr));
        assert_eq!(gitlab_when("$DEPLOY == \"yes\"").eval(&mr), None);
        let w = gitlab_when("$PIPEC_EVENT == \"pull_request\"");
        assert!(w.holds(&mr));
        assert!(!w.holds(&push("main")));
    }
}
