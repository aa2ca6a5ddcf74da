//! GitHub Actions expressions, as far as the generated workflows use them:
//! literals, context properties (`github.ref`, `needs.<job>.outputs.<name>`,
//! …), `!`, `==`, `!=`, `&&`, `||`, parentheses, and the functions
//! `startsWith`, `endsWith`, `contains`, `format`, `success`, `failure`,
//! `cancelled`, `always` and `hashFiles`.
//!
//! Semantics follow GitHub's "Evaluate expressions in workflows and actions":
//! `&&` and `||` yield one of their operands (so `c && 'a' || 'b'` picks a
//! value), strings compare ignoring case, and `false`, `0`, `''` and `null`
//! are falsy.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
}

impl Value {
    pub fn truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Num(n) => *n != 0.0,
            Value::Str(s) => !s.is_empty(),
        }
    }

    /// The value as GitHub writes it into a string (an `env:` value).
    pub fn text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Num(n) => n.to_string(),
            Value::Str(s) => s.clone(),
        }
    }
}

/// What an expression can read.
pub trait Context {
    /// A property path such as `["github", "ref"]`; `Null` when unknown.
    fn get(&self, path: &[String]) -> Value;
    /// `success()`, `failure()`, `cancelled()` for the job being decided.
    fn status(&self, function: &str) -> bool;
}

/// A plain context for tests: properties by dotted name.
pub struct Props(pub BTreeMap<String, Value>);

impl Context for Props {
    fn get(&self, path: &[String]) -> Value {
        self.0.get(&path.join(".")).cloned().unwrap_or(Value::Null)
    }
    fn status(&self, function: &str) -> bool {
        function == "success"
    }
}

/// Evaluates the text of a field: `${{ … }}` parts evaluated and joined with
/// the literal text around them.
pub fn interpolate(text: &str, cx: &dyn Context) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 3..];
        let end = after.find("}}").expect("closed expression");
        out.push_str(&eval(after[..end].trim(), cx).text());
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Evaluates an `if:` condition (with or without `${{ }}`). Without a status
/// function, `success() &&` is implied.
pub fn condition(text: &str, cx: &dyn Context) -> bool {
    let t = text.trim();
    let t = t
        .strip_prefix("${{")
        .and_then(|t| t.strip_suffix("}}"))
        .unwrap_or(t)
        .trim();
    let has_status = ["success()", "failure()", "cancelled()", "always()"]
        .iter()
        .any(|f| t.contains(f));
    let v = eval(t, cx).truthy();
    if has_status {
        v
    } else {
        cx.status("success") && v
    }
}

pub fn eval(text: &str, cx: &dyn Context) -> Value {
    let tokens = lex(text);
    let mut p = Parser { tokens, at: 0, cx };
    let v = p.or();
    assert!(
        p.at == p.tokens.len(),
        "unparsed expression text in `{text}` at token {}",
        p.at
    );
    v
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Str(String),
    Num(f64),
    Ident(String),
    Op(&'static str),
}

fn lex(s: &str) -> Vec<Tok> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            // '' inside a string is one quote.
            let mut v = String::new();
            i += 1;
            loop {
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        v.push('\'');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                v.push(chars[i]);
                i += 1;
            }
            out.push(Tok::Str(v));
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let n: String = chars[start..i].iter().collect();
            out.push(Tok::Num(n.parse().expect("number")));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '-')) {
                i += 1;
            }
            out.push(Tok::Ident(chars[start..i].iter().collect()));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let op = match two.as_str() {
                "==" => Some("=="),
                "!=" => Some("!="),
                "&&" => Some("&&"),
                "||" => Some("||"),
                _ => None,
            };
            if let Some(op) = op {
                out.push(Tok::Op(op));
                i += 2;
                continue;
            }
            out.push(Tok::Op(match c {
                '!' => "!",
                '(' => "(",
                ')' => ")",
                '.' => ".",
                ',' => ",",
                '[' => "[",
                ']' => "]",
                other => panic!("unexpected `{other}` in expression `{s}`"),
            }));
            i += 1;
        }
    }
    out
}

struct Parser<'a> {
    tokens: Vec<Tok>,
    at: usize,
    cx: &'a dyn Context,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.at)
    }

    fn eat(&mut self, op: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Op(x)) if *x == op) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Value {
        let mut v = self.and();
        while self.eat("||") {
            let r = self.and();
            if !v.truthy() {
                v = r;
            }
        }
        v
    }

    fn and(&mut self) -> Value {
        let mut v = self.equality();
        while self.eat("&&") {
            let r = self.equality();
            if v.truthy() {
                v = r;
            }
        }
        v
    }

    fn equality(&mut self) -> Value {
        let mut v = self.unary();
        loop {
            if self.eat("==") {
                let r = self.unary();
                v = Value::Bool(equal(&v, &r));
            } else if self.eat("!=") {
                let r = self.unary();
                v = Value::Bool(!equal(&v, &r));
            } else {
                return v;
            }
        }
    }

    fn unary(&mut self) -> Value {
        if self.eat("!") {
            return Value::Bool(!self.unary().truthy());
        }
        self.primary()
    }

    fn primary(&mut self) -> Value {
        if self.eat("(") {
            let v = self.or();
            assert!(self.eat(")"), "missing `)`");
            return v;
        }
        match self.tokens.get(self.at).cloned() {
            Some(Tok::Str(s)) => {
                self.at += 1;
                Value::Str(s)
            }
            Some(Tok::Num(n)) => {
                self.at += 1;
                Value::Num(n)
            }
            Some(Tok::Ident(name)) => {
                self.at += 1;
                match name.as_str() {
                    "true" => return Value::Bool(true),
                    "false" => return Value::Bool(false),
                    "null" => return Value::Null,
                    _ => {}
                }
                if self.eat("(") {
                    let mut args = Vec::new();
                    if !self.eat(")") {
                        loop {
                            args.push(self.or());
                            if self.eat(")") {
                                break;
                            }
                            assert!(self.eat(","), "expected `,`");
                        }
                    }
                    return self.call(&name, args);
                }
                let mut path = vec![name];
                loop {
                    if self.eat(".") {
                        match self.tokens.get(self.at).cloned() {
                            Some(Tok::Ident(p)) => {
                                self.at += 1;
                                path.push(p);
                            }
                            other => panic!("expected a property, found {other:?}"),
                        }
                    } else if self.eat("[") {
                        let key = self.or().text();
                        assert!(self.eat("]"), "missing `]`");
                        path.push(key);
                    } else {
                        break;
                    }
                }
                self.cx.get(&path)
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    fn call(&self, name: &str, args: Vec<Value>) -> Value {
        let s = |i: usize| {
            args.get(i)
                .map(Value::text)
                .unwrap_or_default()
                .to_lowercase()
        };
        match name.to_ascii_lowercase().as_str() {
            "startswith" => Value::Bool(s(0).starts_with(&s(1))),
            "endswith" => Value::Bool(s(0).ends_with(&s(1))),
            "contains" => Value::Bool(s(0).contains(&s(1))),
            "format" => {
                let mut out = args[0].text();
                for (i, a) in args.iter().enumerate().skip(1) {
                    out = out.replace(&format!("{{{}}}", i - 1), &a.text());
                }
                Value::Str(out)
            }
            "success" | "failure" | "cancelled" => Value::Bool(self.cx.status(name)),
            "always" => Value::Bool(true),
            // Caches are not part of the walk.
            "hashfiles" => Value::Str(String::new()),
            other => panic!("function `{other}` is not modelled"),
        }
    }
}

/// `==`: strings ignoring case; otherwise values of the same type, with the
/// loose number coercions GitHub documents for mixed types.
fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => x.eq_ignore_ascii_case(y),
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Num(x), Value::Num(y)) => x == y,
        (x, y) => number(x) == number(y),
    }
}

fn number(v: &Value) -> f64 {
    match v {
        Value::Null => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Num(n) => *n,
        Value::Str(s) if s.trim().is_empty() => 0.0,
        Value::Str(s) => s.trim().parse().unwrap_or(f64::NAN),
    }
}
