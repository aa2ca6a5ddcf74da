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

use std::borrow::Cow;
use std::sync::LazyLock;

use memchr::memmem;

use crate::header::CI_OWNED;

/// Characters some reader takes as the end of a line.
pub const fn is_line_break(c: char) -> bool {
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
    // Most text is ASCII, where only the characters YAML cannot print are
    // hidden; this test is a fifth of the time of writing a workflow.
    if c.is_ascii() {
        return !matches!(c, '\t' | '\n' | '\r' | ' '..='~');
    }
    hidden_in_general(c)
}

fn hidden_in_general(c: char) -> bool {
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
fn comment_line(line: &str) -> Cow<'_, str> {
    // Most comments are printable ASCII (and tabs, which are not hidden):
    // nothing to escape, so the line is written as it is. Both tests are
    // passes without an early exit, which the compiler vectorises, and a
    // searcher for the marker made once.
    static MARKER: LazyLock<memmem::Finder<'static>> =
        LazyLock::new(|| memmem::Finder::new(marker_text()));
    let plain = line.bytes().fold(true, |all, b| {
        all & ((b == b'\t') | (b' '..=b'~').contains(&b))
    });
    if plain && MARKER.find(line.as_bytes()).is_none() {
        return Cow::Borrowed(line.trim_end());
    }
    let marker = marker_text();
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        if is_hidden(c) || is_line_break(c) {
            out.push_str(&escaped(c));
        } else {
            out.push(c);
        }
    }
    let defused = marker.replacen(':', "\\u{3a}", 1);
    let out = out.replace(marker, &defused);
    Cow::Owned(out.trim_end().to_string())
}

/// The first line break in `text` ([`is_line_break`]) and where it is: the
/// bytes that can start one are found through a table, and only there is a
/// character decoded.
fn next_line_break(text: &str) -> Option<(usize, char)> {
    // Line breaks in UTF-8 start with one of these bytes: the ASCII ones,
    // 0xC2 (U+0085) and 0xE2 (U+2028, U+2029). 0xC2 and 0xE2 only ever start
    // a character, so a match is always on a character boundary.
    static MAY_BREAK: [bool; 256] = {
        let mut may = [false; 256];
        let mut c = 0;
        while c < 128 {
            may[c] = is_line_break(c as u8 as char);
            c += 1;
        }
        may[0xC2] = true;
        may[0xE2] = true;
        may
    };
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(i) = b[from..].iter().position(|&c| MAY_BREAK[usize::from(c)]) {
        let at = from + i;
        let c = text[at..].chars().next()?;
        if is_line_break(c) {
            return Some((at, c));
        }
        from = at + c.len_utf8();
    }
    None
}

/// The lines of a comment, split at every kind of line break (CR LF counts as
/// one), each escaped by [`comment_line`]: a text ending with a line break
/// has no empty last line, an empty text is one empty line.
fn each_comment_line<'a>(text: &'a str, mut f: impl FnMut(Cow<'a, str>)) {
    let mut rest = text;
    loop {
        let Some((i, c)) = next_line_break(rest) else {
            f(comment_line(rest));
            return;
        };
        f(comment_line(&rest[..i]));
        let mut next = i + c.len_utf8();
        if c == '\r' && rest[next..].starts_with('\n') {
            next += 1;
        }
        rest = &rest[next..];
        if rest.is_empty() {
            return;
        }
    }
}

/// The lines of a comment, split at every kind of line break (CR LF counts as
/// one); each becomes one `# …` line.
pub fn comment_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    each_comment_line(text, |l| lines.push(l.into_owned()));
    lines
}

/// A comment of several lines at an indentation: `# line` for each line, `#`
/// for an empty one.
pub fn comment(text: &str, indent: usize) -> String {
    let mut out = String::new();
    write_comment(&mut out, text, indent);
    out
}

/// [`comment`], written at the end of `out`.
pub fn write_comment(out: &mut String, text: &str, indent: usize) {
    each_comment_line(text, |line| {
        out.extend(std::iter::repeat_n(' ', indent));
        if line.is_empty() {
            out.push_str("#\n");
        } else {
            out.push_str("# ");
            out.push_str(&line);
            out.push('\n');
        }
    });
}

/// Text for the rest of a line that is already a comment (the header's
/// source name): line breaks and hidden characters escaped, the marker
/// defused.
pub fn comment_text(text: &str) -> String {
    comment_line(text).into_owned()
}

/// An end-of-line comment: line breaks and runs of white space become one
/// space; `None` when nothing is left.
pub fn one_line(note: &str) -> Option<String> {
    let words: Vec<&str> = note
        .split(|c: char| c.is_whitespace() || is_line_break(c))
        .filter(|w| !w.is_empty())
        .collect();
    let note = comment_line(&words.join(" ")).into_owned();
    (!note.is_empty()).then_some(note)
}

/// Whether a string must be double-quoted: only escapes can carry it.
pub fn needs_double_quotes(s: &str) -> bool {
    // Printable ASCII needs no escape.
    if printable_ascii(s.as_bytes()) {
        return false;
    }
    s.chars()
        .any(|c| c.is_control() || is_line_break(c) || is_hidden(c))
}

/// Literal blocks cannot carry some text faithfully: line breaks other than
/// LF, control characters, hidden characters, trailing spaces on lines (which
/// editors strip), a leading empty line; and a line ending like a CI-owned
/// value would be taken for one.
pub fn block_safe(s: &str) -> bool {
    if let Some(safe) = block_safe_ascii(s.as_bytes()) {
        return safe;
    }
    let unsafe_char = s.chars().any(|c| {
        (c.is_control() && c != '\n' && c != '\t')
            || (is_line_break(c) && c != '\n')
            || is_hidden(c)
    });
    !unsafe_char
        && !s
            .split('\n')
            .any(|l| l.ends_with(' ') || l.ends_with('\t') || l.ends_with(CI_OWNED.trim_start()))
        && !s.starts_with('\n')
}

/// [`block_safe`] of ASCII text (scripts, nearly every block); `None` for
/// other text. Each pass is one the compiler vectorises or `memchr` does:
/// ASCII, no control character but LF and tab (in ASCII the tests of
/// characters come down to that, DEL included), then the end of each line.
fn block_safe_ascii(b: &[u8]) -> Option<bool> {
    if !b.is_ascii() {
        return None;
    }
    if b.first() == Some(&b'\n') {
        return Some(false);
    }
    let control = b.iter().fold(false, |any, &c| {
        any | ((c < b' ' && c != b'\n' && c != b'\t') | (c == 0x7f))
    });
    if control {
        return Some(false);
    }
    let marker = CI_OWNED.trim_start().as_bytes();
    let ends_badly =
        |line: &[u8]| matches!(line.last(), Some(b' ' | b'\t')) || line.ends_with(marker);
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', b) {
        if ends_badly(&b[start..end]) {
            return Some(false);
        }
        start = end + 1;
    }
    Some(!ends_badly(&b[start..]))
}

#[cfg(test)]
fn block_safe_in_general(s: &str) -> bool {
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

/// YAML indicators: a plain scalar cannot start with one.
const INDICATORS: &str = "?:,[]{}#&*!|>'\"%@`\\";

/// Whether `s` can be written as a plain scalar and read back unchanged by
/// both YAML 1.1 and 1.2 readers.
pub fn is_plain_safe(s: &str) -> bool {
    let b = s.as_bytes();
    // Printable ASCII, nearly every key and value: the same tests as below
    // (its only whitespace is the space, it needs no escape), with the
    // bytes that matter found in one pass through a table. Most strings are
    // short, where a table beats wider tests.
    let class = b.iter().fold(0, |all, &c| all | CLASS[usize::from(c)]);
    if class & OTHER != 0 {
        return is_plain_safe_text(s);
    }
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return false;
    };
    if first == b' ' || last == b' ' || last == b':' {
        return false;
    }
    if b.len() <= 5 && SPECIAL_WORDS.iter().any(|w| w.eq_ignore_ascii_case(s)) {
        return false;
    }
    // Compared byte by byte: a search of the list for one byte costs more.
    if first.is_ascii_digit()
        || matches!(first, b'+' | b'-' | b'.')
        || INDICATORS.bytes().any(|c| c == first)
    {
        return false;
    }
    // `: ` and ` #` end a plain scalar early.
    if class & ENDS != 0
        && b.windows(2)
            .any(|pair| matches!(pair, [b':', b' '] | [b' ', b'#']))
    {
        return false;
    }
    class & FLOW == 0 || s.starts_with("${{")
}

/// The classes of bytes [`is_plain_safe`] looks for: not printable ASCII,
/// flow indicators, and the bytes of `: ` and ` #` other than the space.
const OTHER: u8 = 1;
const FLOW: u8 = 2;
const ENDS: u8 = 4;
static CLASS: [u8; 256] = {
    let mut class = [OTHER; 256];
    let mut c = b' ';
    while c <= b'~' {
        class[c as usize] = match c {
            b'[' | b']' | b',' => FLOW,
            b':' | b'#' => ENDS,
            _ => 0,
        };
        c += 1;
    }
    class
};

/// Whether every byte is printable ASCII, in a pass the compiler vectorises.
fn printable_ascii(b: &[u8]) -> bool {
    b.iter()
        .fold(true, |all, c| all & (b' '..=b'~').contains(c))
}

/// [`is_plain_safe`] for any text.
fn is_plain_safe_text(s: &str) -> bool {
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
    if INDICATORS.contains(first) {
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

/// Every string of up to `n` of `pieces` put together, the empty one first:
/// the inputs on which a shortcut is compared with its general test.
#[cfg(test)]
fn sequences(pieces: &[&str], n: usize) -> Vec<String> {
    let mut all = vec![String::new()];
    let mut last = all.clone();
    for _ in 0..n {
        last = last
            .iter()
            .flat_map(|s| pieces.iter().map(move |p| format!("{s}{p}")))
            .collect();
        all.extend(last.iter().cloned());
    }
    all
}

#[cfg(test)]
mod line_break_tests {
    /// The table search finds the line break a decoding search finds, on
    /// every string of up to three pieces: each kind of break, characters
    /// whose first byte can start a break but which are none (`€`, U+2027,
    /// U+00A0), and others.
    #[test]
    fn the_table_search_agrees_with_decoding() {
        let pieces = [
            "a", " ", "\n", "\r", "\r\n", "\u{0B}", "\u{0C}", "\u{1C}", "\u{1D}", "\u{1E}",
            "\u{1F}", "\t", "\u{85}", "\u{A0}", "\u{2028}", "\u{2029}", "\u{2027}", "€", "é",
            "\u{FEFF}",
        ];
        for s in super::sequences(&pieces, 3) {
            let decoded = s.char_indices().find(|&(_, c)| super::is_line_break(c));
            assert_eq!(super::next_line_break(&s), decoded, "{s:?}");
        }
    }
}

#[cfg(test)]
mod plain_tests {
    /// The printable-ASCII pass says what the general one says, on every
    /// string of up to three characters from the characters that matter and
    /// on longer pseudo-random ones.
    #[test]
    fn the_ascii_pass_agrees_with_the_general_one() {
        // With characters outside printable ASCII too, which the table must
        // send to the general test.
        let alphabet: Vec<char> = " :#[],-.?!'\"$%{}0aYnN~<=@`|>*&+\\\t\n\u{7f}\u{0}é"
            .chars()
            .collect();
        let letters: Vec<String> = alphabet.iter().map(char::to_string).collect();
        let letters: Vec<&str> = letters.iter().map(String::as_str).collect();
        let mut strings = super::sequences(&letters, 3);
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            let len = (seed % 12) as usize;
            let mut s = String::new();
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                s.push(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            strings.push(s);
        }
        for w in [
            "null",
            "True",
            "OFF",
            "yes",
            "<<",
            "${{ x }}",
            "${{ a, b }}",
            "a: b",
            "a #b",
        ] {
            strings.push(w.to_string());
        }
        for s in &strings {
            assert_eq!(
                super::is_plain_safe(s),
                super::is_plain_safe_text(s),
                "{s:?}"
            );
        }
    }
}

/// A string as a scalar: plain when safe, else quoted.
pub fn scalar(s: &str) -> String {
    scalar_text(s).into_owned()
}

/// [`scalar`], borrowing the string when it is written plain: most keys and
/// values are, and the writer copies them into its output anyway.
pub(crate) fn scalar_text(s: &str) -> Cow<'_, str> {
    if is_plain_safe(s) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(quoted(s))
    }
}

/// A string quoted: single quotes when that can carry it, else double quotes
/// with escapes.
pub fn quoted(s: &str) -> String {
    if !needs_double_quotes(s) {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('\'');
        let mut rest = 0;
        for quote in memchr::memchr_iter(b'\'', s.as_bytes()) {
            out.push_str(&s[rest..=quote]);
            out.push('\'');
            rest = quote + 1;
        }
        out.push_str(&s[rest..]);
        out.push('\'');
        return out;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The shortcuts for ASCII say what the general tests say.
    #[test]
    fn ascii_shortcuts_agree_with_the_general_tests() {
        for c in '\0'..='\x7f' {
            assert_eq!(is_hidden(c), hidden_in_general(c), "{c:?}");
            let general = c.is_control() || is_line_break(c) || hidden_in_general(c);
            assert_eq!(needs_double_quotes(&format!("a{c}b")), general, "{c:?}");
            let block = format!("a{c}b\nc\n");
            assert_eq!(block_safe(&block), block_safe_in_general(&block), "{c:?}");
        }
    }

    /// The one-pass test of blocks says what the general test says of every
    /// sequence of up to four of the pieces that matter.
    #[test]
    fn the_one_pass_block_test_agrees_with_the_general_test() {
        let pieces = [
            "a",
            " ",
            "\t",
            "\n",
            "\r",
            "\x01",
            "\x7f",
            "é",
            "\u{2028}",
            CI_OWNED.trim_start(),
            "# pipec: set by C",
        ];
        for t in sequences(&pieces, 4) {
            assert_eq!(block_safe(&t), block_safe_in_general(&t), "{t:?}");
        }
    }
}
