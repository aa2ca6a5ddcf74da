//! A small YAML writer with the guarantees generated CI needs.
//!
//! - Keys keep the order they were inserted in; output is byte-identical for
//!   the same input.
//! - A string is written plain only when every YAML 1.1 and 1.2 reader reads
//!   it back as the same string; otherwise it is quoted (`'on'`, `'3.10'`,
//!   `'0755'`, `'yes'`, `'a: b'`).
//! - Multi-line strings (scripts) are literal block scalars; LF line endings,
//!   no tabs for indentation, no trailing spaces.
//! - Comments can be attached to map entries, for notes a reader of the
//!   generated file needs: on the lines above an entry, or at the end of its
//!   line (`uses: …@<sha> # v4.2.2`, where tools look for them; or values a
//!   tool rewrites in place, always quoted so the line has one fixed shape).

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
    /// Write a string value quoted even when it could be plain.
    quote: bool,
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

    /// The entry for `key`, set to `value` (its comments kept if it existed).
    fn entry(&mut self, key: String, value: Yaml) -> &mut Entry {
        let i = match self.entries.iter().position(|e| e.key == key) {
            Some(i) => {
                self.entries[i].value = value;
                i
            }
            None => {
                self.entries.push(Entry {
                    key,
                    value,
                    comment: None,
                    note: None,
                    quote: false,
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
        self.entry(key.into(), value.into()).note = one_line(note.into());
        self
    }

    /// Sets `key` with a comment at the end of its line: `key: 'value' # comment`.
    /// A string value is always quoted there (single quotes when possible), so
    /// that a tool rewriting the value in place, such as `sed` in a deployment
    /// job, meets one fixed shape whatever the value.
    pub fn insert_with_trailing_comment(
        &mut self,
        key: impl Into<String>,
        value: impl Into<Yaml>,
        comment: impl Into<String>,
    ) -> &mut Self {
        let e = self.entry(key.into(), value.into());
        e.note = one_line(comment.into());
        e.quote = true;
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

/// An end-of-line comment: line breaks become spaces; empty means none.
fn one_line(note: String) -> Option<String> {
    let note = note.split_whitespace().collect::<Vec<_>>().join(" ");
    (!note.is_empty()).then_some(note)
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
    for _ in 0..n {
        out.push(' ');
    }
}

fn write_comment(out: &mut String, comment: &str, level: usize) {
    for line in comment.lines() {
        indent(out, level);
        if line.is_empty() {
            out.push_str("#\n");
        } else {
            out.push_str("# ");
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
}

fn write_map(out: &mut String, m: &Map, level: usize) {
    for (i, e) in m.entries.iter().enumerate() {
        if let Some(c) = &e.comment {
            write_comment(out, c, level);
        }
        if i > 0 || e.comment.is_some() {
            // Keys after the first of a sequence item are indented by the caller.
        }
        indent(out, level);
        write_entry(out, e, level);
    }
}

/// `key: value` where the key is already indented.
fn write_entry(out: &mut String, e: &Entry, level: usize) {
    out.push_str(&scalar(&e.key));
    out.push(':');
    match &e.value {
        Yaml::Str(s) if e.quote => {
            out.push(' ');
            out.push_str(&quoted(s));
            if let Some(n) = &e.note {
                out.push_str(" # ");
                out.push_str(n);
            }
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
fn inline(v: &Yaml) -> Option<String> {
    Some(match v {
        Yaml::Null => "null".into(),
        Yaml::Bool(b) => b.to_string(),
        Yaml::Int(n) => n.to_string(),
        Yaml::Str(s) => scalar(s),
        Yaml::Seq(s) if s.is_empty() => "[]".into(),
        Yaml::Map(m) if m.is_empty() => "{}".into(),
        _ => return None,
    })
}

/// Whether a string goes into a literal block scalar.
fn is_block(s: &str) -> bool {
    s.contains('\n') && block_safe(s)
}

/// Literal blocks cannot carry some text faithfully: carriage returns, other
/// control characters, or trailing spaces on lines (which editors strip).
fn block_safe(s: &str) -> bool {
    !s.chars().any(|c| {
        (c.is_control() && c != '\n')
            || c == '\u{FEFF}'
            || c == '\u{85}'
            || c == '\u{2028}'
            || c == '\u{2029}'
    }) && !s.lines().any(|l| l.ends_with(' '))
        && !s.starts_with('\n')
}

fn write_block_scalar(out: &mut String, s: &str, level: usize, note: impl FnOnce(&mut String)) {
    out.push('|');
    // An explicit indentation indicator when the first line starts with a space.
    if s.starts_with(' ') {
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
    for line in body.split('\n') {
        if !line.is_empty() {
            indent(out, level);
            out.push_str(line);
        }
        out.push('\n');
    }
    for _ in 1..trailing {
        out.push('\n');
    }
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
    if s.trim() != s || s.contains('\n') {
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
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') || s.contains('\t') {
        return false;
    }
    // Flow indicators are harmless in block context, but a reader in flow
    // context (or a human) may stumble; `${{ … }}` expressions are the one
    // common case and stay plain.
    if s.contains(['[', ']', ',']) && !s.starts_with("${{") {
        return false;
    }
    !s.chars().any(|c| {
        c.is_control()
            || matches!(
                c,
                '\u{FEFF}' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{A0}'
            )
    })
}

/// A string as a scalar: plain when safe, else single-quoted, else
/// double-quoted with escapes.
pub fn scalar(s: &str) -> String {
    if is_plain_safe(s) {
        s.to_string()
    } else {
        quoted(s)
    }
}

/// A string quoted: single quotes when that can carry it, else double quotes
/// with escapes.
fn quoted(s: &str) -> String {
    let needs_double = s
        .chars()
        .any(|c| c.is_control() || matches!(c, '\u{FEFF}' | '\u{85}' | '\u{2028}' | '\u{2029}'));
    if !needs_double {
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
            c if c.is_control() || matches!(c, '\u{FEFF}' | '\u{85}' | '\u{2028}' | '\u{2029}') => {
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

    #[test]
    fn quotes_what_readers_would_change() {
        for s in [
            "on",
            "Off",
            "yes",
            "N",
            "~",
            "null",
            "3.10",
            "0755",
            "1e3",
            "0x1F",
            "12:30",
            ".inf",
            "-1",
            " x",
            "x ",
            "a: b",
            "a #b",
            "",
            "@x",
            "*x",
            "2001-12-14",
            "<<",
        ] {
            assert!(!is_plain_safe(s), "{s:?} must be quoted");
        }
        for s in [
            "ubuntu-latest",
            "ghcr.io/acme/api:sha-1",
            "actions/checkout@abc",
            "${{ matrix.python }}",
            "pip install -r requirements.txt",
            "Build image app",
        ] {
            assert!(is_plain_safe(s), "{s:?} can stay plain");
        }
    }

    #[test]
    fn renders_nested_structures() {
        let mut steps = Map::new();
        steps.insert("name", "Test");
        steps.insert("run", "pytest\necho done\n");
        let mut job = Map::new();
        job.insert_commented("runs-on", "ubuntu-24.04", "the runner");
        job.insert("steps", Yaml::Seq(vec![Yaml::Map(steps)]));
        job.insert("env", Map::new());
        let mut root = Map::new();
        root.insert("on", vec!["push"]);
        root.insert("jobs", map([("test", Yaml::Map(job))]));
        assert_eq!(
            to_string(&Yaml::Map(root)),
            "'on':\n  - push\njobs:\n  test:\n    # the runner\n    runs-on: ubuntu-24.04\n    steps:\n      - name: Test\n        run: |\n          pytest\n          echo done\n    env: {}\n"
        );
    }

    #[test]
    fn notes_end_their_line() {
        let mut m = Map::new();
        m.insert_noted("uses", "actions/checkout@abc", "v4.2.2");
        m.insert_noted("with", map([("a", Yaml::from("b"))]), "inputs");
        m.insert_noted("run", "a\nb\n", "script");
        assert_eq!(
            to_string(&Yaml::Map(m)),
            "uses: actions/checkout@abc # v4.2.2\nwith: # inputs\n  a: b\nrun: | # script\n  a\n  b\n"
        );
    }

    #[test]
    fn block_scalar_chomping() {
        let y = |s: &str| to_string(&Yaml::Map(map([("k", Yaml::from(s))])));
        assert_eq!(y("a\nb"), "k: |-\n  a\n  b\n");
        assert_eq!(y("a\n\nb\n"), "k: |\n  a\n\n  b\n");
        assert_eq!(y("a\n\n"), "k: |+\n  a\n\n");
        assert_eq!(y("  a\nb"), "k: |2-\n    a\n  b\n");
    }

    #[test]
    fn trailing_comments_end_the_line_and_quote_strings() {
        let mut image = Map::new();
        image.insert("name", "ghcr.io/acme/api");
        image.insert_with_trailing_comment("newTag", "pending", "set by CI");
        let mut root = Map::new();
        root.insert("images", Yaml::Seq(vec![Yaml::Map(image)]));
        root.insert_with_trailing_comment("replicas", 2u32, "two");
        root.insert_with_trailing_comment("labels", map([("a", Yaml::from("b"))]), "nested");
        root.insert_with_trailing_comment("odd", "it's\n", "escaped");
        assert_eq!(
            to_string(&Yaml::Map(root)),
            "images:\n  - name: ghcr.io/acme/api\n    newTag: 'pending' # set by CI\nreplicas: 2 # two\nlabels: # nested\n  a: b\nodd: \"it's\\n\" # escaped\n"
        );
    }

    proptest::proptest! {
        #[test]
        fn strings_read_back_unchanged(s in "\\PC{0,40}|[ -~\\n]{0,40}") {
            let doc = to_string(&Yaml::Map(map([("k", Yaml::from(s.clone()))])));
            let back: std::collections::BTreeMap<String, String> = yaml_serde::from_str(&doc).unwrap();
            proptest::prop_assert_eq!(&back["k"], &s, "document: {:?}", doc);
        }
    }
}
