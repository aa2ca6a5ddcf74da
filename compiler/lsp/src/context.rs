//! Where a position is: in which kind of block, in which statement, in which
//! call and list.
//!
//! Hover reads it from the syntax tree. Completion runs while the statement
//! being typed is incomplete and the file does not parse, so it reads it
//! from the text before the cursor instead: brackets, statement starts and
//! the words written so far, outside strings and comments.

use pipec_syntax::ast::{File, Stmt, StmtKind};

use crate::vocabulary::Context;

/// The block kind a template's body is: a job's, or an image's with
/// `-> image`.
pub fn template_body(returns: Option<&str>) -> Context {
    if returns == Some("image") {
        Context::Image
    } else {
        Context::Job
    }
}

/// The statement whose head word is at `offset`, with the block kind it is
/// in.
pub fn statement_at(file: &File, offset: u32) -> Option<(Context, &Stmt)> {
    find(&file.stmts, Context::File, offset)
}

fn find(stmts: &[Stmt], context: Context, offset: u32) -> Option<(Context, &Stmt)> {
    let s = stmts
        .iter()
        .find(|s| s.span.start <= offset && offset <= s.span.end)?;
    let head = s.head_span();
    if head.start <= offset && offset <= head.end {
        return Some((context, s));
    }
    match &s.kind {
        StmtKind::Template(t) => find(
            &t.body.stmts,
            template_body(t.returns.as_ref().map(|r| r.name.as_str())),
            offset,
        ),
        StmtKind::Generic(g) => {
            let inner = context.child(&g.head.name)?;
            find(&g.block.as_ref()?.stmts, inner, offset)
        }
        StmtKind::Dispatch(_) => None,
    }
}

/// An open bracket before the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub bracket: char,
    /// The words of the statement (or argument) the bracket is in, up to
    /// the bracket: `["job", "x", "=", "python.pytest"]`.
    pub words: Vec<String>,
    /// In a `(`: the names of the arguments given so far (`name:`).
    pub named: Vec<String>,
}

/// What the text before a cursor says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub frames: Vec<Frame>,
    /// The complete words of the current statement, or of the current
    /// argument or item inside `(` or `[`.
    pub words: Vec<String>,
    /// The word being typed (possibly empty), and where it starts.
    pub partial: String,
    pub partial_start: usize,
    /// The cursor is inside a string or a comment.
    pub in_text: bool,
}

impl Cursor {
    /// The block kind around the cursor: `None` inside a record (`config {
    /// … }`) or a block the language does not have.
    pub fn context(&self) -> Option<Context> {
        let mut ctx = Context::File;
        for f in self.frames.iter().filter(|f| f.bracket == '{') {
            let head = f.words.first().map(String::as_str).unwrap_or("");
            ctx = if ctx == Context::File && head == "template" {
                let returns = f
                    .words
                    .iter()
                    .position(|w| w == "->")
                    .and_then(|i| f.words.get(i + 1));
                template_body(returns.map(String::as_str))
            } else {
                ctx.child(head)?
            };
        }
        Some(ctx)
    }

    /// The innermost `(` or `[`, if the cursor is in one.
    pub fn innermost(&self) -> Option<&Frame> {
        self.frames.last().filter(|f| f.bracket != '{')
    }

    /// The call the cursor is an argument of: the callee as written
    /// (`python.pytest`), when the innermost bracket is its `(`, or a `[`
    /// inside it.
    pub fn call(&self) -> Option<(&str, Option<&str>)> {
        let mut frames = self.frames.iter().rev();
        let mut f = frames.next()?;
        if f.bracket == '[' {
            f = frames.next()?;
        }
        if f.bracket != '(' {
            return None;
        }
        // The words before `(` in the enclosing frame end with the callee;
        // the words of the argument say which parameter, if named.
        let callee = f.words.last()?;
        let arg = self.argument_name(f);
        Some((callee, arg))
    }

    /// The name of the argument being written in call `call` (`name:`).
    fn argument_name<'a>(&'a self, call: &Frame) -> Option<&'a str> {
        let words = if std::ptr::eq(self.frames.last()?, call) {
            &self.words
        } else {
            // Inside a list argument: the list's frame holds the words
            // before `[`, the argument's name among them.
            &self.frames.last()?.words
        };
        match words.as_slice() {
            [name, colon, ..] if colon == ":" => Some(name),
            _ => None,
        }
    }
}

/// Reads the text before `offset`.
pub fn cursor(text: &str, offset: usize) -> Cursor {
    let before = text.get(..offset).unwrap_or(text);
    let bytes = before.as_bytes();
    let mut frames: Vec<Frame> = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut i = 0;
    let mut in_text = false;
    let mut word_start: Option<usize> = None;
    let end_word = |words: &mut Vec<String>, start: &mut Option<usize>, at: usize| {
        if let Some(s) = start.take() {
            words.push(before[s..at].to_string());
        }
    };
    while i < bytes.len() {
        let b = bytes[i];
        let word_char = b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b >= 0x80;
        if word_char {
            word_start.get_or_insert(i);
            i += 1;
            continue;
        }
        end_word(&mut words, &mut word_start, i);
        match b {
            b'/' if bytes.get(i + 1) == Some(&b'/') => match before[i..].find('\n') {
                Some(n) => i += n,
                None => {
                    in_text = true;
                    i = bytes.len();
                }
            },
            b'"' => {
                let triple = before[i..].starts_with("\"\"\"");
                let close = if triple {
                    before[i + 3..].find("\"\"\"").map(|n| i + 3 + n + 3)
                } else {
                    string_end(before, i + 1)
                };
                match close {
                    Some(end) => {
                        words.push("\"…\"".into());
                        i = end;
                    }
                    None => {
                        in_text = true;
                        i = bytes.len();
                    }
                }
            }
            b'{' | b'(' | b'[' => {
                frames.push(Frame {
                    bracket: b as char,
                    words: std::mem::take(&mut words),
                    named: Vec::new(),
                });
                i += 1;
            }
            b'}' | b')' | b']' => {
                // The bracket's statement goes on after it (`job x = t() {`).
                if let Some(f) = frames.pop() {
                    words = f.words;
                    if b != b'}' {
                        words.push(format!("{}{}", f.bracket, b as char));
                    } else {
                        words.clear();
                    }
                }
                i += 1;
            }
            b'\n' | b';' | b',' => {
                // Newlines end statements only in blocks, not inside ( or [.
                let in_block = frames.last().is_none_or(|f| f.bracket == '{');
                if b != b'\n' || in_block {
                    words.clear();
                }
                i += 1;
            }
            b':' | b'=' | b'-' | b'>' | b'%' | b'@' | b'!' | b'<' => {
                let start = i;
                while i < bytes.len() && b":=->%@!<".contains(&bytes[i]) {
                    i += 1;
                }
                words.push(before[start..i].to_string());
                if let ([name, colon], Some(f)) = (words.as_slice(), frames.last_mut())
                    && colon == ":"
                    && f.bracket == '('
                {
                    f.named.push(name.clone());
                }
            }
            _ => i += 1,
        }
    }
    let (partial, partial_start) = match word_start {
        Some(s) if !in_text => (before[s..].to_string(), s),
        _ => (String::new(), before.len()),
    };
    Cursor {
        frames,
        words,
        partial,
        partial_start,
        in_text,
    }
}

/// The end of a one-line string starting after its quote at `from`.
fn string_end(text: &str, from: usize) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text[from..].char_indices() {
        match c {
            '\n' => return None,
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some(from + i + 1),
            _ => escaped = false,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Cursor {
        let offset = text.find('|').expect("a cursor");
        cursor(&text.replace('|', ""), offset)
    }

    #[test]
    fn blocks_and_statements() {
        let c = at("pipeline p {\n  job t {\n    run \"x\"\n    tim|");
        assert_eq!(c.context(), Some(Context::Job));
        assert_eq!(c.partial, "tim");
        assert!(c.words.is_empty());
        let cases = [
            (
                "environment dev { namespace \"x\"; resources { c|",
                Some(Context::Resources),
            ),
            ("service s {\n  config { LOG: \"x\", |", None),
            ("template t() -> image {\n  |", Some(Context::Image)),
            (
                "pipeline p {\n  job t { run \"x\" }\n  |",
                Some(Context::Pipeline),
            ),
            ("// pipeline p {\n|", Some(Context::File)),
            (
                "service s {\n  rollout canary in [prod] {\n    traffic gateway\n    ga|",
                Some(Context::Rollout),
            ),
            (
                "service s {\n  rollout canary {\n    analysis {\n      |",
                Some(Context::Analysis),
            ),
            ("service s {\n  alerts {\n    rest|", Some(Context::Alerts)),
            (
                "service s {\n  metrics \"/metrics\" {\n    req|",
                Some(Context::Metrics),
            ),
        ];
        for (text, context) in cases {
            assert_eq!(at(text).context(), context, "{text:?}");
        }
        assert!(at("pipeline p { job t { run \"x {|").in_text);
    }

    #[test]
    fn calls_and_arguments() {
        let c = at("pipeline p {\n  job t = python.pytest(coverage: 80%, |");
        assert_eq!(c.call(), Some(("python.pytest", None)));
        let c = at("pipeline p {\n  job t = python.pytest(\n    coverage: |");
        assert_eq!(c.call(), Some(("python.pytest", Some("coverage"))));
        let c = at("job t = security.trivy(app, fail_on: [high, |");
        assert_eq!(c.call(), Some(("security.trivy", Some("fail_on"))));
        let c = at("pipeline p { job t { after [lint, |");
        assert_eq!(c.call(), None);
        assert_eq!(c.frames.last().unwrap().words, ["after"]);
        let c = at("pipeline p { job t { runs_on |");
        assert_eq!(c.words, ["runs_on"]);
        assert_eq!(c.partial, "");
    }
}
