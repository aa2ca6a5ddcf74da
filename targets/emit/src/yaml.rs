//! A small YAML writer with the guarantees generated CI needs.
//!
//! - Keys keep the order they were inserted in; output is byte-identical for
//!   the same input.
//! - Every scalar and every comment goes through one escaping layer
//!   ([`escape`]): a string is written plain only when every YAML 1.1 and 1.2
//!   reader reads it back as the same string, otherwise it is quoted
//!   (`'on'`, `'3.10'`, `'0755'`, `'a: b'`), and double-quoted with escapes
//!   when it holds a line break of any kind or an invisible character; a
//!   comment never holds a line break of any kind.
//! - Multi-line strings (scripts) are literal block scalars when that carries
//!   them faithfully; LF line endings, no tabs for indentation, no trailing
//!   spaces. Keys too long for an implicit key (readers stop at 1024
//!   characters) are written as explicit `? key` entries.
//! - Comments can be attached to map entries, for notes a reader of the
//!   generated file needs: on the lines above an entry, or at the end of its
//!   line (`uses: …@<sha> # v4.2.2`, where tools look for them). A value CI
//!   rewrites in place ([`Map::insert_ci_owned`]) is always single-quoted and
//!   ends its line with the marker [`crate::header::CI_OWNED`], which no other
//!   line the writer produces can end with.

mod escape;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

use escape::{block_safe, one_line, scalar_text};
pub use escape::{
    comment, comment_lines, comment_text, is_hidden, is_line_break, is_plain_safe, quoted, scalar,
};

/// A YAML value.
#[derive(Debug, Clone, PartialEq)]
pub enum Yaml {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    Seq(Vec<Yaml>),
    Map(Map),
}

/// A mapping that keeps insertion order, with optional comments per entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Map {
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    key: String,
    value: Yaml,
    comment: Option<String>,
    /// One line written after the value (or after `key:` for a nested block).
    note: Option<String>,
    /// A value CI rewrites in place: single-quoted, with the CI-owned marker.
    ci_owned: bool,
}

impl Map {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key`, replacing an earlier value in place.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<Yaml>) -> &mut Self {
        self.entry(key.into(), value.into());
        self
    }

    /// The entry for `key`, set to `value` (its comments kept if it existed;
    /// an ordinary value, not one CI owns).
    fn entry(&mut self, key: String, value: Yaml) -> &mut Entry {
        let i = match self.entries.iter().position(|e| e.key == key) {
            Some(i) => {
                self.entries[i].value = value;
                self.entries[i].ci_owned = false;
                i
            }
            None => {
                self.entries.push(Entry {
                    key,
                    value,
                    comment: None,
                    note: None,
                    ci_owned: false,
                });
                self.entries.len() - 1
            }
        };
        &mut self.entries[i]
    }

    /// Sets `key` only if `value` is `Some`.
    pub fn insert_opt<V: Into<Yaml>>(
        &mut self,
        key: impl Into<String>,
        value: Option<V>,
    ) -> &mut Self {
        if let Some(v) = value {
            self.insert(key, v);
        }
        self
    }

    /// Sets `key` with a comment written on the lines above it.
    pub fn insert_commented(
        &mut self,
        key: impl Into<String>,
        value: impl Into<Yaml>,
        comment: impl Into<String>,
    ) -> &mut Self {
        self.entry(key.into(), value.into()).comment = Some(comment.into());
        self
    }

    /// Sets `key` with a comment at the end of its line: `key: value # note`.
    /// Line breaks in `note` become spaces.
    pub fn insert_noted(
        &mut self,
        key: impl Into<String>,
        value: impl Into<Yaml>,
        note: impl Into<String>,
    ) -> &mut Self {
        self.entry(key.into(), value.into()).note = one_line(&note.into());
        self
    }

    /// Sets `key` to a value CI rewrites in place after generation (the image
    /// tag of an overlay): `key: 'value' # pipec: set by CI`, always in that
    /// shape, so a tool such as `sed` in a deployment job meets one fixed line
    /// whatever the value, and [`crate::header`] leaves the value out of the
    /// hash. The writer ends no other line with the marker. A value that
    /// single quotes cannot carry (a line break, a control character) is not
    /// a tag CI could write: it is written as an ordinary entry.
    pub fn insert_ci_owned(
        &mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> &mut Self {
        let value: String = value.into();
        let ci_owned = !escape::needs_double_quotes(&value);
        self.entry(key.into(), Yaml::Str(value)).ci_owned = ci_owned;
        self
    }

    pub fn get(&self, key: &str) -> Option<&Yaml> {
        self.entries.iter().find(|e| e.key == key).map(|e| &e.value)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Yaml> {
        self.entries
            .iter_mut()
            .find(|e| e.key == key)
            .map(|e| &mut e.value)
    }

    pub fn remove(&mut self, key: &str) -> Option<Yaml> {
        let i = self.entries.iter().position(|e| e.key == key)?;
        Some(self.entries.remove(i).value)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.key.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Yaml)> {
        self.entries.iter().map(|e| (e.key.as_str(), &e.value))
    }
}

impl From<Map> for Yaml {
    fn from(m: Map) -> Self {
        Yaml::Map(m)
    }
}
impl From<&str> for Yaml {
    fn from(s: &str) -> Self {
        Yaml::Str(s.to_string())
    }
}
impl From<String> for Yaml {
    fn from(s: String) -> Self {
        Yaml::Str(s)
    }
}
impl From<&String> for Yaml {
    fn from(s: &String) -> Self {
        Yaml::Str(s.clone())
    }
}
impl From<bool> for Yaml {
    fn from(b: bool) -> Self {
        Yaml::Bool(b)
    }
}
impl From<i64> for Yaml {
    fn from(n: i64) -> Self {
        Yaml::Int(n)
    }
}
impl From<u32> for Yaml {
    fn from(n: u32) -> Self {
        Yaml::Int(i64::from(n))
    }
}
impl From<u16> for Yaml {
    fn from(n: u16) -> Self {
        Yaml::Int(i64::from(n))
    }
}
impl From<u64> for Yaml {
    fn from(n: u64) -> Self {
        Yaml::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }
}
impl<T: Into<Yaml>> From<Vec<T>> for Yaml {
    fn from(v: Vec<T>) -> Self {
        Yaml::Seq(v.into_iter().map(Into::into).collect())
    }
}

/// Builds a map from pairs: `map([("a", 1.into()), …])`.
pub fn map<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Yaml)>) -> Map {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(k, v);
    }
    m
}

/// Renders a document: the value, then a final newline.
pub fn to_string(value: &Yaml) -> String {
    let mut out = String::new();
    match value {
        Yaml::Map(m) if !m.is_empty() => write_map(&mut out, m, 0),
        Yaml::Seq(s) if !s.is_empty() => write_seq(&mut out, s, 0),
        other => {
            out.push_str(&inline(other).unwrap_or_default());
            out.push('\n');
        }
    }
    out
}

/// Renders several documents separated by `---`.
pub fn to_string_multi(docs: &[Yaml]) -> String {
    let mut out = String::new();
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&to_string(d));
    }
    out
}

fn indent(out: &mut String, n: usize) {
    const SPACES: &str = "                                                                ";
    if n <= SPACES.len() {
        out.push_str(&SPACES[..n]);
    } else {
        out.extend(std::iter::repeat_n(' ', n));
    }
}

fn write_comment(out: &mut String, text: &str, level: usize) {
    escape::write_comment(out, text, level);
}

fn write_map(out: &mut String, m: &Map, level: usize) {
    for e in &m.entries {
        if let Some(c) = &e.comment {
            write_comment(out, c, level);
        }
        indent(out, level);
        write_entry(out, e, level);
    }
}

/// Readers take a key written on one line only up to this length (PyYAML and
/// libyaml stop at 1024 characters); a longer one is an explicit `? key`.
const MAX_IMPLICIT_KEY: usize = 1000;

/// `key: value` where the key is already indented.
fn write_entry(out: &mut String, e: &Entry, level: usize) {
    let key = scalar_text(&e.key);
    // No more characters than bytes: count them only for a long key.
    if key.len() > MAX_IMPLICIT_KEY && key.chars().count() > MAX_IMPLICIT_KEY {
        out.push_str("? ");
        out.push_str(&key);
        out.push('\n');
        indent(out, level);
    } else {
        out.push_str(&key);
    }
    out.push(':');
    match &e.value {
        Yaml::Str(s) if e.ci_owned => {
            out.push(' ');
            out.push_str(&quoted(s));
            out.push_str(crate::header::CI_OWNED);
            out.push('\n');
        }
        value => write_value_after(out, value, e.note.as_deref(), level),
    }
}

/// A value after `key:` or `- `: inline, block scalar, or a nested block,
/// with the entry's end-of-line note.
fn write_value_after(out: &mut String, value: &Yaml, note: Option<&str>, level: usize) {
    let note = |out: &mut String| {
        if let Some(n) = note {
            out.push_str(" # ");
            out.push_str(n);
        }
    };
    match value {
        Yaml::Str(s) if is_block(s) => {
            out.push(' ');
            write_block_scalar(out, s, level + 2, note);
        }
        Yaml::Map(m) if !m.is_empty() => {
            note(out);
            out.push('\n');
            write_map(out, m, level + 2);
        }
        Yaml::Seq(s) if !s.is_empty() => {
            note(out);
            out.push('\n');
            write_seq(out, s, level + 2);
        }
        other => {
            out.push(' ');
            out.push_str(&inline(other).unwrap_or_default());
            note(out);
            out.push('\n');
        }
    }
}

fn write_seq(out: &mut String, items: &[Yaml], level: usize) {
    for item in items {
        indent(out, level);
        out.push('-');
        match item {
            Yaml::Map(m) if !m.is_empty() => {
                // `- key: value` with the remaining keys aligned under the first.
                for (i, e) in m.entries.iter().enumerate() {
                    if i == 0 {
                        if let Some(c) = &e.comment {
                            out.push('\n');
                            write_comment(out, c, level + 2);
                            indent(out, level + 2);
                        } else {
                            out.push(' ');
                        }
                    } else {
                        if let Some(c) = &e.comment {
                            write_comment(out, c, level + 2);
                        }
                        indent(out, level + 2);
                    }
                    write_entry(out, e, level + 2);
                }
            }
            Yaml::Seq(s) if !s.is_empty() => {
                out.push('\n');
                write_seq(out, s, level + 2);
            }
            Yaml::Str(s) if is_block(s) => {
                out.push(' ');
                write_block_scalar(out, s, level + 2, |_| {});
            }
            other => {
                out.push(' ');
                out.push_str(&inline(other).unwrap_or_default());
                out.push('\n');
            }
        }
    }
}

/// Scalars and empty collections on one line.
fn inline(v: &Yaml) -> Option<Cow<'_, str>> {
    Some(match v {
        Yaml::Null => "null".into(),
        Yaml::Bool(b) => if *b { "true" } else { "false" }.into(),
        Yaml::Int(n) => n.to_string().into(),
        Yaml::Str(s) => scalar_text(s),
        Yaml::Seq(s) if s.is_empty() => "[]".into(),
        Yaml::Map(m) if m.is_empty() => "{}".into(),
        _ => return None,
    })
}

/// Whether a string goes into a literal block scalar.
fn is_block(s: &str) -> bool {
    memchr::memchr(b'\n', s.as_bytes()).is_some() && block_safe(s)
}

fn write_block_scalar(out: &mut String, s: &str, level: usize, note: impl FnOnce(&mut String)) {
    out.push('|');
    // An explicit indentation indicator when the first line starts with white
    // space, which readers would otherwise take for indentation.
    if s.starts_with([' ', '\t']) {
        out.push('2');
    }
    let trailing = s.len() - s.trim_end_matches('\n').len();
    match trailing {
        0 => out.push('-'),
        1 => {}
        _ => out.push('+'),
    }
    note(out);
    out.push('\n');
    let body = s.trim_end_matches('\n');
    let ends = memchr::memchr_iter(b'\n', body.as_bytes()).chain([body.len()]);
    let mut start = 0;
    for end in ends {
        let line = &body[start..end];
        if !line.is_empty() {
            indent(out, level);
            out.push_str(line);
        }
        out.push('\n');
        start = end + 1;
    }
    for _ in 1..trailing {
        out.push('\n');
    }
}
