//! Syntax errors in words.
//!
//! pest reports the furthest position it reached and the grammar rules it
//! tried there. This module turns that into one diagnostic a person can act
//! on: what was found (a token, not the rest of the line), what could have
//! come instead in the language's own terms, and a hint for the mistakes
//! people make most — brackets that do not match, a value missing after `=`,
//! single quotes, `&&` for `and`.

use pest::error::{Error, ErrorVariant, InputLocation};
use pipec_diagnostics::{Diagnostic, SourceId, Span, code};

use crate::parse::Rule;
use crate::scan::code_chars;

/// Turns a pest error on `chunk` (which starts at `offset` in the file) into a
/// diagnostic.
pub(crate) fn syntax_error(
    source: SourceId,
    e: &Error<Rule>,
    chunk: &str,
    offset: usize,
) -> Diagnostic {
    let at = |start: usize, end: usize| Span::new(source, offset + start, offset + end);
    let mut pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    // pest may stop before the blanks that precede the offending token.
    while chunk[pos..].starts_with([' ', '\t']) {
        pos += 1;
    }
    let rest = &chunk[pos..];
    let stack = open_brackets(&chunk[..pos]);

    if rest.trim().is_empty() {
        let open = stack.last().map_or(pos, |(i, _)| *i);
        let closer = stack.last().map_or('}', |(_, c)| partner(*c));
        return Diagnostic::new(code::SYNTAX, at(open, open + 1), "bracket is never closed")
            .label(format!("this needs a closing `{closer}`"))
            .help(
                "every `{`, `[` and `(` needs its closing partner before the next top-level statement",
            );
    }
    if let Some(eq) = value_missing_after_assign(chunk, pos) {
        return Diagnostic::new(
            code::SYNTAX,
            at(eq, eq + 1),
            "`=` is not followed by a value",
        )
        .label("expected a value after `=`")
        .help("write the value on the same line as `=`: job test = python.pytest(…)");
    }

    let token = token(rest);
    let span = at(pos, pos + token.len());
    if let Some(closer) = token
        .chars()
        .next()
        .filter(|c| matches!(c, ')' | ']' | '}'))
    {
        return match stack.last() {
            None => match missing_open_brace(&chunk[..pos]) {
                Some(head) => Diagnostic::new(
                    code::SYNTAX,
                    span,
                    format!("`{closer}` closes nothing"),
                )
                .label("no bracket is open here")
                .secondary(
                    at(head.start, head.end),
                    "is a `{` missing at the end of this line?",
                )
                .help("the lines under it are indented as its block, but nothing opens the block"),
                None => Diagnostic::new(code::SYNTAX, span, format!("`{closer}` closes nothing"))
                    .label("no bracket is open here")
                    .help("remove it, or add the `{`, `[` or `(` it was meant to close"),
            },
            Some((open, c)) if partner(*c) != closer => Diagnostic::new(
                code::SYNTAX,
                span,
                format!("`{closer}` does not close the open `{c}`"),
            )
            .label(format!("expected `{}` first", partner(*c)))
            .secondary(at(*open, *open + 1), format!("`{c}` opened here"))
            .help("close brackets in the reverse order of opening them"),
            Some(_) => unexpected(e, span, &token),
        };
    }
    if let Some(d) = in_brackets(chunk, pos, &stack, &token, span, at) {
        return d;
    }
    if token.starts_with('\n') || token.starts_with('\r') {
        // The statement stops short: point at its last token.
        let before = chunk[..pos].trim_end();
        let last = last_token(before);
        let span = at(before.len() - last.len(), before.len());
        let expected = expected(e);
        let message = if expected.is_empty() {
            format!("the statement cannot end after `{last}`")
        } else {
            format!("expected {} after `{last}`", join_or(&expected))
        };
        return Diagnostic::new(code::SYNTAX, span, message)
            .label("the line ends too early")
            .help("a statement ends at the end of its line; continue it inside brackets or after an operator");
    }
    unexpected(e, span, &token)
}

/// Mistakes recognised by the innermost open bracket: a missing comma between
/// arguments or list items, a parameter without `: type`, and a `{ … }` that
/// mixes record fields with statements.
fn in_brackets(
    chunk: &str,
    pos: usize,
    stack: &[(usize, char)],
    token: &str,
    span: Span,
    at: impl Fn(usize, usize) -> Span,
) -> Option<Diagnostic> {
    let &(open, bracket) = stack.last()?;
    let inside = &chunk[open + 1..pos];
    let starts_value = token
        .chars()
        .next()
        .is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '"' | '[' | '{'));
    let found = format!("`{token}`");
    match bracket {
        '(' if is_template_params(&chunk[..open]) => {
            let last = inside.rsplit([',', '(']).next().unwrap_or("").trim();
            let bare_name = !last.is_empty()
                && last.chars().all(|c| c.is_alphanumeric() || c == '_');
            bare_name.then(|| {
                Diagnostic::new(
                    code::SYNTAX,
                    span,
                    format!("expected `:` and a type after the parameter `{last}`, found {found}"),
                )
                .label("expected `:` before this")
                .help("parameters are written `name: type` or `name: type = default`: coverage: percent = 70%")
            })
        }
        '(' | '[' if starts_value && !inside.trim().is_empty() => {
            let close = partner(bracket);
            let what = if bracket == '(' { "arguments" } else { "list items" };
            Some(
                Diagnostic::new(
                    code::SYNTAX,
                    span,
                    format!("expected `,` or `{close}`, found {found}"),
                )
                .label("expected `,` before this")
                .secondary(at(open, open + 1), format!("in the `{bracket}` opened here"))
                .help(format!("separate {what} with commas")),
            )
        }
        '{' if has_field(inside) && has_field(&chunk[pos..]) => Some(
            Diagnostic::new(
                code::SYNTAX,
                span,
                format!("expected `,` or `}}` between record fields, found {found}"),
            )
            .label("expected `,` before this")
            .secondary(at(open, open + 1), "in the record opened here")
            .help("separate fields with commas or put each on its own line: { A: \"1\", B: \"2\" }"),
        ),
        '{' if inside.trim().is_empty()
            && starts_value
            && chunk[..open].trim_end().ends_with(['=', ':']) =>
        {
            Some(
                Diagnostic::new(
                    code::SYNTAX,
                    span,
                    format!("expected `key: value` in a record, found {found}"),
                )
                .label("not a record field")
                .secondary(at(open, open + 1), "this `{` starts a record")
                .help("after `=` or `:`, `{` starts a record { KEY: value }; remove the `{` if no record was meant"),
            )
        }
        '{' if has_field(inside) && !token.starts_with('}') => Some(
            Diagnostic::new(
                code::SYNTAX,
                span,
                format!("expected another `key: value`, `,` or `}}`, found {found}"),
            )
            .label("not a record field")
            .secondary(at(open, open + 1), "this `{` was read as a record")
            .help("a `{ … }` holds either `key: value` fields (a record) or statements (a block), not both; statements are written without `:`, as in `timeout 5m`"),
        ),
        _ => None,
    }
}

/// The last statement line of `text` that is followed by lines indented
/// deeper but does not open anything: a block head whose `{` was forgotten.
/// Returns the span of its text (without indentation and comment).
fn missing_open_brace(text: &str) -> Option<std::ops::Range<usize>> {
    let mut lines: Vec<(usize, &str)> = Vec::new();
    let mut in_text_block = false;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if !in_text_block {
            lines.push((offset, line.trim_end_matches(['\n', '\r'])));
        }
        if line.matches("\"\"\"").count() % 2 == 1 {
            in_text_block = !in_text_block;
        }
        offset += line.len();
    }
    let indent = |l: &str| l.len() - l.trim_start().len();
    let code = |l: &str| {
        let end = comment_start(l).unwrap_or(l.len());
        l[..end].trim_end().to_string()
    };
    let mut deeper_below: Option<usize> = None;
    for (start, line) in lines.into_iter().rev() {
        let text = code(line);
        if text.trim().is_empty() {
            continue;
        }
        let opens = text.ends_with(['{', '[', '(', ',', '=', ':']) || text.ends_with("\"\"\"");
        if deeper_below.is_some_and(|below| below > indent(&text))
            && !opens
            && text
                .trim_start()
                .starts_with(|c: char| c.is_ascii_alphabetic())
        {
            return Some(start + indent(&text)..start + text.len());
        }
        deeper_below = Some(indent(&text));
    }
    None
}

/// Whether `text` ends with `template NAME` (the `(` after it opens parameters).
fn is_template_params(text: &str) -> bool {
    let mut words = text.split_whitespace().rev();
    let name = words.next();
    name.is_some_and(|n| n.chars().all(|c| c.is_alphanumeric() || c == '_'))
        && words.next() == Some("template")
}

/// Whether the text after a `{` starts with a record field `key:`.
pub(crate) fn has_field(inside: &str) -> bool {
    let first = inside.trim_start();
    let key_len = first
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(first.len());
    key_len > 0 && first[key_len..].trim_start().starts_with(':')
}

/// "expected …, found …" with a hint chosen by what was found.
fn unexpected(e: &Error<Rule>, span: Span, token: &str) -> Diagnostic {
    let found = format!("`{token}`");
    let expected = expected(e);
    let message = if expected.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {}, found {found}", join_or(&expected))
    };
    let (label, help) = match token {
        "&&" | "||" | "!" => (
            "not an operator of the language",
            "conditions are written with words: `and`, `or`, `not`",
        ),
        "if" => (
            "`if` follows a value",
            "a conditional value is written inside a list, after the value: tags [sha, latest if release]",
        ),
        ":" => (
            "`:` belongs in records",
            "statements are written without a colon (`timeout 5m`); `key: value` pairs go inside a record `{ … }` or a call `(…)`",
        ),
        _ if token.starts_with('\'') => (
            "single quotes do not make a string",
            "strings use double quotes: \"text\"",
        ),
        _ if expected.contains(&"end of statement") => (
            "unexpected here",
            "statements end at a newline, `;` or `,`; a block opens with `{` on the statement's own line",
        ),
        _ => (
            "unexpected here",
            "see `docs/language.md` for the shape of each statement",
        ),
    };
    Diagnostic::new(code::SYNTAX, span, message)
        .label(label)
        .help(help)
}

/// The grammar rules pest tried, in words, most useful first.
fn expected(e: &Error<Rule>) -> Vec<&'static str> {
    let ErrorVariant::ParsingError { positives, .. } = &e.variant else {
        return Vec::new();
    };
    let mut out: Vec<&'static str> = positives.iter().filter_map(|r| describe(*r)).collect();
    // A statement's `= value` and `{ block }` are optional, so where they may
    // come the statement may also end (separators are silent in the grammar).
    if positives
        .iter()
        .any(|r| matches!(r, Rule::assign | Rule::block))
    {
        out.push("end of statement");
    }
    out.sort_by_key(|w| ORDER.iter().position(|o| o == w).unwrap_or(ORDER.len()));
    out.dedup();
    out
}

/// The order in which expected things are listed.
const ORDER: &[&str] = &[
    "a statement",
    "a name",
    "a value",
    "a string",
    "a number",
    "a parameter `name: type`",
    "a type",
    "an argument",
    "`key: value`",
    "`=`",
    "`{`",
    "`[`",
    "an operator",
    "`(`",
    "end of statement",
];

fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "end of statement",
        Rule::expr | Rule::primary | Rule::predicate => "a value",
        Rule::ident | Rule::word => "a name",
        Rule::block => "`{`",
        Rule::stmt | Rule::generic | Rule::template | Rule::dispatch | Rule::attr => "a statement",
        Rule::string | Rule::triple_string => "a string",
        Rule::number | Rule::quantity => "a number",
        Rule::list => "`[`",
        Rule::record | Rule::field => "`key: value`",
        Rule::params | Rule::param => "a parameter `name: type`",
        Rule::type_expr | Rule::type_named | Rule::type_enum => "a type",
        Rule::call_args => "`(`",
        Rule::arg => "an argument",
        Rule::assign => "`=`",
        Rule::op_if
        | Rule::op_or
        | Rule::op_and
        | Rule::op_in
        | Rule::op_eq
        | Rule::op_ne
        | Rule::op_range => "an operator",
        _ => return None,
    })
}

fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The token at the start of `rest`: a string literal, a word or number, an
/// operator, a line break, or one character. At most 20 characters.
fn token(rest: &str) -> String {
    let mut chars = rest.char_indices();
    let Some((_, first)) = chars.next() else {
        return String::new();
    };
    let end = match first {
        '"' | '\'' => rest[1..].find([first, '\n']).map_or(rest.len(), |i| {
            1 + i + usize::from(rest[1 + i..].starts_with(first))
        }),
        '\r' if rest.starts_with("\r\n") => 2,
        c if c.is_alphanumeric() || c == '_' => rest
            .find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '%')))
            .unwrap_or(rest.len()),
        _ => ["&&", "||", "==", "!=", "->", "..", "::"]
            .iter()
            .find(|op| rest.starts_with(*op))
            .map_or(first.len_utf8(), |op| op.len()),
    };
    let text = &rest[..end];
    match text.char_indices().nth(20) {
        Some((cut, _)) => text[..cut].to_string(),
        None => text.to_string(),
    }
}

/// The last token of `text` (which has no trailing blanks).
fn last_token(text: &str) -> &str {
    let Some(last) = text.chars().next_back() else {
        return "";
    };
    if last.is_alphanumeric() || matches!(last, '_' | '"' | '%') {
        let start = text
            .rfind(|c: char| c.is_whitespace() || matches!(c, '(' | '[' | '{' | ',' | '='))
            .map_or(0, |i| i + 1);
        &text[start..]
    } else {
        &text[text.len() - last.len_utf8()..]
    }
}

/// `job x =` at the end of a line, with the next line read as its value: the
/// offset of that `=` when the error is right after the first word of the
/// next line (or at its start).
fn value_missing_after_assign(chunk: &str, pos: usize) -> Option<usize> {
    let line_start = chunk[..pos].rfind('\n')? + 1;
    let head = chunk[line_start..pos].trim();
    if head.contains(|c: char| !(c.is_alphanumeric() || c == '_')) {
        return None;
    }
    let before = strip_comment(chunk[..line_start].trim_end()).trim_end();
    let eq = before.len().checked_sub(1)?;
    (before.ends_with('=') && !before.ends_with("==") && !before.ends_with("!=")).then_some(eq)
}

/// The text of the last line of `text` without a trailing `// comment`.
fn strip_comment(text: &str) -> &str {
    let line_start = text.rfind('\n').map_or(0, |i| i + 1);
    match comment_start(&text[line_start..]) {
        Some(c) => &text[..line_start + c],
        None => text,
    }
}

/// Where a `//` comment starts on one line, outside strings.
fn comment_start(line: &str) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    let bytes = line.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'\\' if in_string && !escaped => {
                escaped = true;
                continue;
            }
            b'"' if !escaped => in_string = !in_string,
            b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => return Some(i),
            _ => {}
        }
        escaped = false;
    }
    None
}

/// The brackets still open at the end of `text`, with their offsets, ignoring
/// strings and comments.
pub(crate) fn open_brackets(text: &str) -> Vec<(usize, char)> {
    let mut stack = Vec::new();
    for (i, c) in code_chars(text) {
        match c {
            '(' | '[' | '{' => stack.push((i, c)),
            ')' | ']' | '}' => {
                stack.pop();
            }
            _ => {}
        }
    }
    stack
}

fn partner(open: char) -> char {
    match open {
        '(' => ')',
        '[' => ']',
        _ => '}',
    }
}
