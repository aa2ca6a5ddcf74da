//! The escaping layer of the YAML writer: every scalar and every comment the
//! writer puts in a file goes through the functions here, so that no string
//! can leave the place it is written in.
//!
//! **Comments.** A comment ends at a line break, and readers disagree on what
//! a line break is: YAML 1.2 breaks lines at LF and CR, YAML 1.1 (PyYAML,
//! Ruby's Psych in 1.1 mode) also at NEL (U+0085), LS (U+2028) and PS
//! (U+2029), and Python's `str.splitlines`, which line-based tools use, also
//! at VT, FF and the separators FS, GS and RS. Every one of them starts a new
//! comment line here ([`is_line_break`]), each line starting with `#`, so text
//! never becomes YAML. Other characters a reader would reject or that make
//! text read differently from what it is — control characters, the byte-order
//! mark, non-characters, bidirectional and zero-width characters
//! ([`is_hidden`]) — are written as `\u{…}`. The text `pipec: set by CI`,
//! which marks the values CI owns ([`crate::header::CI_OWNED`]), is written
//! with its colon escaped, so a comment can never pass for that marker.
//!
//! **Scalars.** A string is written plain only when every YAML 1.1 and 1.2
//! reader reads it back unchanged ([`is_plain_safe`]); else single-quoted; and
//! double-quoted with escapes when it holds a line break of any kind, a tab,
//! or a hidden character ([`needs_double_quotes`]). Literal block scalars
//! (scripts) are used only for text they carry faithfully ([`block_safe`]).

use crate::header::CI_OWNED;

/// Characters some reader takes as the end of a line.
pub fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\u{0B}'
            | '\u{0C}'
            | '\u{1C}'
            | '\u{1D}'
            | '\u{1E}'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// Characters that are not printable for YAML (`c-printable` of the 1.2
/// specification: tab, LF, CR, U+0020–U+007E, NEL, U+00A0–U+D7FF,
/// U+E000–U+FFFD and the planes above).
fn is_yaml_printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7E}' | '\u{85}')
        || matches!(c, '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Characters written escaped wherever they appear: control characters other
/// than tab and the line breaks, what YAML cannot print, the byte-order mark,
/// and the invisible characters that make text read differently from what it
/// is (bidirectional controls, zero-width characters; "Trojan Source").
pub fn is_hidden(c: char) -> bool {
    (c.is_control() && c != '\t' && !is_line_break(c))
        || !is_yaml_printable(c)
        || matches!(
            c,
            '\u{FEFF}'
                | '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// A character as the comment escape `\u{…}`.
fn escaped(c: char) -> String {
    format!("\\u{{{:x}}}", c as u32)
}

/// The marker text of CI-owned values, as it appears after `# `.
fn marker_text() -> &'static str {
    CI_OWNED.trim_start().trim_start_matches("# ")
}

/// One line of comment text: hidden characters escaped, the CI-owned marker
/// defused, trailing spaces removed. `line` holds no line break.
fn comment_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        if is_hidden(c) || is_line_break(c) {
            out.push_str(&escaped(c));
        } else {
            out.push(c);
        }
    }
    let marker = marker_text();
    let defused = marker.replacen(':', "\\u{3a}", 1);
    let out = out.replace(marker, &defused);
    out.trim_end().to_string()
}

/// The lines of a comment, split at every kind of line break (CR LF counts as
/// one); each becomes one `# …` line.
pub fn comment_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if is_line_break(c) {
            if c == '\r' && chars.peek() == Some(&'\n') {
                chars.next();
            }
            lines.push(comment_line(&current));
            current.clear();
        } else {
            current.push(c);
        }
    }
    lines.push(comment_line(&current));
    if text.ends_with(is_line_break) {
        lines.pop();
    }
    lines
}

/// A comment of several lines at an indentation: `# line` for each line, `#`
/// for an empty one.
pub fn comment(text: &str, indent: usize) -> String {
    let mut out = String::new();
    for line in comment_lines(text) {
        out.push_str(&" ".repeat(indent));
        if line.is_empty() {
            out.push_str("#\n");
        } else {
            out.push_str("# ");
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// Text for the rest of a line that is already a comment (the header's
/// source name): line breaks and hidden characters escaped, the marker
/// defused.
pub fn comment_text(text: &str) -> String {
    comment_line(text)
}

/// An end-of-line comment: line breaks and runs of white space become one
/// space; `None` when nothing is left.
pub fn one_line(note: &str) -> Option<String> {
    let words: Vec<&str> = note
        .split(|c: char| c.is_whitespace() || is_line_break(c))
        .filter(|w| !w.is_empty())
        .collect();
    let note = comment_line(&words.join(" "));
    (!note.is_empty()).then_some(note)
}

/// Whether a string must be double-quoted: only escapes can carry it.
pub fn needs_double_quotes(s: &str) -> bool {
    s.chars()
        .any(|c| c.is_control() || is_line_break(c) || is_hidden(c))
}

/// Literal blocks cannot carry some text faithfully: line breaks other than
/// LF, control characters, hidden characters, trailing spaces on lines (which
/// editors strip), a leading empty line; and a line ending like a CI-owned
/// value would be taken for one.
pub fn block_safe(s: &str) -> bool {
    !s.chars().any(|c| {
        (c.is_control() && c != '\n' && c != '\t')
            || (is_line_break(c) && c != '\n')
            || is_hidden(c)
    }) && !s
        .split('\n')
        .any(|l| l.ends_with(' ') || l.ends_with('\t') || l.ends_with(CI_OWNED.trim_start()))
        && !s.starts_with('\n')
}

/// Words that some YAML reader (1.1 or 1.2) turns into something else.
const SPECIAL_WORDS: &[&str] = &[
    "null", "~", "true", "false", "yes", "no", "on", "off", "y", "n", "<<", "=",
];

/// Whether `s` can be written as a plain scalar and read back unchanged by
/// both YAML 1.1 and 1.2 readers.
pub fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if s.trim() != s || needs_double_quotes(s) || s.contains('\u{A0}') {
        return false;
    }
    if SPECIAL_WORDS.iter().any(|w| w.eq_ignore_ascii_case(s)) {
        return false;
    }
    // Anything that starts like a number, date, time or special float.
    if first.is_ascii_digit() || matches!(first, '+' | '-' | '.') {
        return false;
    }
    if "?:,[]{}#&*!|>'\"%@`\\".contains(first) {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return false;
    }
    // Flow indicators are harmless in block context, but a reader in flow
    // context (or a human) may stumble; `${{ … }}` expressions are the one
    // common case and stay plain.
    !s.contains(['[', ']', ',']) || s.starts_with("${{")
}

/// A string as a scalar: plain when safe, else quoted.
pub fn scalar(s: &str) -> String {
    if is_plain_safe(s) {
        s.to_string()
    } else {
        quoted(s)
    }
}

/// A string quoted: single quotes when that can carry it, else double quotes
/// with escapes.
pub fn quoted(s: &str) -> String {
    if !needs_double_quotes(s) {
        return format!("'{}'", s.replace('\'', "''"));
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || is_line_break(c) || is_hidden(c) => {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
