//! A quick pass over the raw text before the grammar runs.
//!
//! It does what a PEG parser cannot do well or safely:
//! - rejects characters that make source read differently from how it parses
//!   (bidirectional controls, zero-width characters: "Trojan Source");
//! - reports an unterminated string at its opening quote instead of wherever the
//!   grammar happens to give up;
//! - bounds bracket nesting, so no input can exhaust the stack of the recursive
//!   descent parser;
//! - finds the lines where a top-level statement starts, so that after a syntax
//!   error parsing can resume at the next one and report it too.

use pipec_diagnostics::{Diagnostic, SourceId, Span, code};

/// Deepest allowed nesting of `(`, `[` and `{`.
pub const MAX_NESTING: usize = 64;

/// Words that only start top-level statements; a line starting with one at column
/// zero is a recovery point even when brackets are unbalanced above it.
const TOP_LEVEL_WORDS: &[&str] = &[
    "use",
    "pipeline",
    "template",
    "environment",
    "service",
    "worker",
    "cronjob",
    "policy",
    "gitops",
];

pub struct Scan {
    pub diagnostics: Vec<Diagnostic>,
    /// When set the grammar must not run: the text is not safe or not useful to parse.
    pub fatal: bool,
    /// Byte offsets of lines where a top-level statement may start.
    pub recovery_points: Vec<usize>,
}

/// The character's description if it must not appear in source at all.
pub fn forbidden_char(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}'
        | '\u{061C}'
        | '\u{200E}'
        | '\u{200F}' => "a bidirectional control character",
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' => "a zero-width character",
        '\u{2028}' | '\u{2029}' => "a Unicode line or paragraph separator",
        '\u{E000}'..='\u{F8FF}' => "a private-use character",
        '\u{0}'..='\u{8}' | '\u{B}'..='\u{C}' | '\u{E}'..='\u{1F}' | '\u{7F}' => {
            "a control character"
        }
        _ => return None,
    })
}

pub fn scan(source: SourceId, text: &str) -> Scan {
    let mut out = Scan {
        diagnostics: Vec::new(),
        fatal: false,
        recovery_points: Vec::new(),
    };
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0usize;
    let mut line_start = true;
    while i < bytes.len() {
        if line_start {
            line_start = false;
            if is_statement_start(&text[i..], depth) {
                out.recovery_points.push(i);
            }
        }
        let b = bytes[i];
        match b {
            b'\n' => {
                line_start = true;
                i += 1;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                check_chars(source, text, i, end, &mut out);
                i = end;
            }
            b'"' if text[i..].starts_with("\"\"\"") => match text[i + 3..].find("\"\"\"") {
                Some(n) => {
                    let end = i + 3 + n + 3;
                    check_chars(source, text, i, end, &mut out);
                    i = end;
                }
                None => {
                    out.diagnostics.push(
                        Diagnostic::new(
                            code::UNTERMINATED_STRING,
                            Span::new(source, i, i + 3),
                            "unterminated `\"\"\"` string",
                        )
                        .label("this string is never closed")
                        .help("close it with `\"\"\"` on a line of its own"),
                    );
                    out.fatal = true;
                    return out;
                }
            },
            b'"' => {
                let mut j = i + 1;
                let mut closed = false;
                while j < bytes.len() {
                    match bytes[j] {
                        b'\\' if j + 1 < bytes.len() && bytes[j + 1] != b'\n' => j += 2,
                        b'"' => {
                            closed = true;
                            break;
                        }
                        b'\n' | b'\r' => break,
                        _ => j += 1,
                    }
                }
                if !closed {
                    out.diagnostics.push(
                        Diagnostic::new(
                            code::UNTERMINATED_STRING,
                            Span::new(source, i, j.min(bytes.len())),
                            "unterminated string",
                        )
                        .label("this string has no closing `\"` on its line")
                        .help("strings end on the line they start; use `\"\"\"` for text over several lines"),
                    );
                    out.fatal = true;
                    return out;
                }
                check_chars(source, text, i, j + 1, &mut out);
                i = j + 1;
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    out.diagnostics.push(
                        Diagnostic::new(
                            code::NESTING_TOO_DEEP,
                            Span::new(source, i, i + 1),
                            format!("brackets nested more than {MAX_NESTING} levels deep"),
                        )
                        .label("too deep")
                        .help("pipelines never need this much nesting; split the value into named parts"),
                    );
                    out.fatal = true;
                    return out;
                }
                i += 1;
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            _ if b < 0x80 => {
                if let Some(what) = forbidden_char(b as char) {
                    out.diagnostics
                        .push(forbidden(source, i, 1, b as char, what));
                    out.fatal = true;
                }
                i += 1;
            }
            _ => {
                let c = text[i..].chars().next().unwrap_or('\u{FFFD}');
                if let Some(what) = forbidden_char(c) {
                    out.diagnostics
                        .push(forbidden(source, i, c.len_utf8(), c, what));
                    out.fatal = true;
                }
                i += c.len_utf8();
            }
        }
    }
    out
}

/// The characters of `text` outside string literals and comments, with their
/// byte offsets, for the passes that look at brackets and separators. A
/// comment's closing newline is kept: it separates statements. `"""` strings
/// are raw and end at the next `"""`; `"` strings end at their closing quote
/// or, unterminated, at the end of the line.
pub(crate) fn code_chars(text: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        loop {
            let rest = text.get(i..)?;
            let c = rest.chars().next()?;
            if rest.starts_with("//") {
                i += rest.find('\n').unwrap_or(rest.len());
            } else if let Some(body) = rest.strip_prefix("\"\"\"") {
                i += body.find("\"\"\"").map_or(rest.len(), |n| n + 6);
            } else if c == '"' {
                let mut escaped = false;
                let mut end = rest.len();
                for (k, n) in rest.char_indices().skip(1) {
                    match n {
                        '\n' => {
                            end = k;
                            break;
                        }
                        '\\' if !escaped => escaped = true,
                        '"' if !escaped => {
                            end = k + 1;
                            break;
                        }
                        _ => escaped = false,
                    }
                }
                i += end;
            } else {
                let at = i;
                i += c.len_utf8();
                return Some((at, c));
            }
        }
    })
}

fn is_statement_start(rest: &str, depth: usize) -> bool {
    let first = rest.bytes().next();
    if !matches!(first, Some(b'a'..=b'z' | b'A'..=b'Z' | b'_' | b'@')) {
        return false;
    }
    if depth == 0 {
        return true;
    }
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    TOP_LEVEL_WORDS.contains(&word.as_str())
}

/// Forbidden characters inside strings and comments: reported, but the text still
/// parses, so the rest of the file is checked too.
fn check_chars(source: SourceId, text: &str, start: usize, end: usize, out: &mut Scan) {
    for (k, c) in text[start..end].char_indices() {
        if c == '\t' || c == '\n' || c == '\r' {
            continue;
        }
        if let Some(what) = forbidden_char(c) {
            out.diagnostics
                .push(forbidden(source, start + k, c.len_utf8(), c, what));
        }
    }
}

fn forbidden(source: SourceId, at: usize, len: usize, c: char, what: &str) -> Diagnostic {
    Diagnostic::new(
        code::FORBIDDEN_CHARACTER,
        Span::new(source, at, at + len),
        format!("{what} (U+{:04X}) in source", c as u32),
    )
    .label("invisible in most editors")
    .help("such characters make code read differently from how it runs; delete it, or write it as an escape like `\\u{200B}` only if the text really needs it")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<&'static str> {
        scan(SourceId(0), text)
            .diagnostics
            .iter()
            .map(|d| d.code.as_str())
            .collect()
    }

    #[test]
    fn rejects_trojan_source() {
        assert_eq!(codes("x \"a\u{202E}b\""), ["E0003"]);
        assert_eq!(codes("// \u{200B}\n"), ["E0003"]);
        assert!(scan(SourceId(0), "a \u{2066} b").fatal);
    }

    #[test]
    fn bounds_nesting() {
        let deep = "[".repeat(10_000);
        let s = scan(SourceId(0), &deep);
        assert!(s.fatal);
        assert_eq!(s.diagnostics[0].code.as_str(), "E0004");
    }

    #[test]
    fn unterminated_strings() {
        assert_eq!(codes("a \"b\nc"), ["E0002"]);
        assert_eq!(codes("a \"\"\"b\nc"), ["E0002"]);
        assert!(codes("a \"b\\\"c\" d").is_empty());
    }

    #[test]
    fn code_chars_skip_strings_and_comments() {
        let text = "a \"(\\\"[\" b // {\nc \"\"\"\n ) \" \"\"\" d";
        let code: String = code_chars(text).map(|(_, c)| c).collect();
        assert_eq!(code, "a  b \nc  d");
        let offsets: Vec<usize> = code_chars("x\"y\"z").map(|(i, _)| i).collect();
        assert_eq!(offsets, [0, 4]);
    }

    #[test]
    fn recovery_points_at_top_level() {
        let s = scan(
            SourceId(0),
            "use a\npipeline p {\n  job x\n}\nservice s {\n",
        );
        assert_eq!(s.recovery_points, [0, 6, 29]);
    }
}
