//! Typed values with units, as the checker produced them.

use std::fmt;

use serde::Serialize;

use crate::Span;

/// A length of time, in whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Duration {
    pub seconds: u64,
}

impl Duration {
    pub fn from_secs(seconds: u64) -> Self {
        Duration { seconds }
    }

    /// Whole minutes, rounded up (CI systems take job timeouts in minutes).
    pub fn minutes_ceil(self) -> u64 {
        self.seconds.div_ceil(60)
    }
}

impl fmt::Display for Duration {
    /// `90s` → `1m30s`, `3600s` → `1h`: the form the language accepts back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (h, m, s) = (
            self.seconds / 3600,
            (self.seconds % 3600) / 60,
            self.seconds % 60,
        );
        if self.seconds == 0 {
            return f.write_str("0s");
        }
        if h > 0 {
            write!(f, "{h}h")?;
        }
        if m > 0 {
            write!(f, "{m}m")?;
        }
        if s > 0 {
            write!(f, "{s}s")?;
        }
        Ok(())
    }
}

/// CPU in thousandths of a core, as Kubernetes counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Cpu {
    pub millicores: u64,
}

impl fmt::Display for Cpu {
    /// Kubernetes quantity form: `250m`, `2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.millicores.is_multiple_of(1000) {
            write!(f, "{}", self.millicores / 1000)
        } else {
            write!(f, "{}m", self.millicores)
        }
    }
}

/// Memory in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Memory {
    pub bytes: u64,
}

impl fmt::Display for Memory {
    /// Kubernetes quantity form with the largest exact binary unit: `512Mi`, `1Gi`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(&str, u64); 5] = [
            ("Pi", 1 << 50),
            ("Ti", 1 << 40),
            ("Gi", 1 << 30),
            ("Mi", 1 << 20),
            ("Ki", 1 << 10),
        ];
        for (unit, size) in UNITS {
            if self.bytes >= size && self.bytes.is_multiple_of(size) {
                return write!(f, "{}{unit}", self.bytes / size);
            }
        }
        write!(f, "{}", self.bytes)
    }
}

/// A percentage with two decimals of precision (`72.5%` is 7250).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Percent {
    pub hundredths: u32,
}

impl Percent {
    pub fn whole(n: u32) -> Self {
        Percent {
            hundredths: n * 100,
        }
    }

    /// The value rounded up to a whole percent (for fields that take integers).
    pub fn ceil(self) -> u32 {
        self.hundredths.div_ceil(100)
    }
}

impl fmt::Display for Percent {
    /// The number without the sign: `70`, `72.5`, `72.25`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, frac) = (self.hundredths / 100, self.hundredths % 100);
        match frac {
            0 => write!(f, "{whole}"),
            n if n % 10 == 0 => write!(f, "{whole}.{}", n / 10),
            n => write!(f, "{whole}.{n:02}"),
        }
    }
}

/// An inclusive range such as `250m..500m` (request..limit) or `3..10`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Range<T> {
    pub min: T,
    pub max: T,
}

/// A glob over branch or tag names: `*` matches within a path segment, `**`
/// across segments, `?` one character. Validated by the checker.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Glob(pub String);

impl Glob {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_literal(&self) -> bool {
        !self.0.contains(['*', '?', '['])
    }

    /// Whether `name` matches the pattern.
    pub fn matches(&self, name: &str) -> bool {
        glob_match(self.0.as_bytes(), name.as_bytes())
    }

    /// The pattern as an anchored regular expression that POSIX extended
    /// regular expressions (`grep -E`) and RE2 (GitLab) read alike: only
    /// their special characters are escaped, since a backslash before another
    /// character means something else to GNU grep (`\<` is a word boundary)
    /// or is an error to RE2 (`\é`). `/` is not escaped; targets that
    /// delimit regexes with `/` escape it.
    pub fn to_regex(&self) -> String {
        let mut re = String::from("^");
        let mut chars = self.0.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '*' if chars.peek() == Some(&'*') => {
                    chars.next();
                    re.push_str(".*");
                }
                '*' => re.push_str("[^/]*"),
                '?' => re.push_str("[^/]"),
                '.' | '+' | '(' | ')' | '|' | '$' | '{' | '}' | '[' | ']' | '^' | '\\' => {
                    re.push('\\');
                    re.push(c);
                }
                c => re.push(c),
            }
        }
        re.push('$');
        re
    }

    /// For patterns of the form `prefix*` or `prefix**` (or a literal), the literal
    /// prefix and whether it is the whole pattern.
    pub fn prefix(&self) -> (&str, bool) {
        // Bytes, not characters: the special characters are ASCII, and no
        // byte of a character outside ASCII is one of them.
        match self.0.bytes().position(|b| matches!(b, b'*' | b'?' | b'[')) {
            None => (&self.0, true),
            Some(i) => (&self.0[..i], false),
        }
    }

    /// A name this pattern matches, used to explore which conditions can hold.
    pub fn example(&self) -> String {
        self.0.replace("**", "x/x").replace(['*', '?'], "x")
    }

    /// Whether some name matches both patterns. Exact, for the same syntax
    /// [`Glob::matches`] reads (bytes, `?` and `*` stopping at `/`): a walk
    /// over pairs of positions, each pattern's stars standing still while
    /// the other consumes, so it costs the product of the two lengths.
    pub fn overlaps(&self, other: &Glob) -> bool {
        // Every name either matches starts with its literal prefix, so two
        // prefixes neither of which starts the other decide at once (the
        // usual case: `team-01-v*` and `team-02-v*`).
        if !prefixes_agree(self.prefix().0, other.prefix().0) {
            return false;
        }
        let (a, b) = (tokens(self.0.as_bytes()), tokens(other.0.as_bytes()));
        let width = b.len() + 1;
        let mut seen = vec![false; (a.len() + 1) * width];
        let mut todo = vec![(0, 0)];
        while let Some((i, j)) = todo.pop() {
            if std::mem::replace(&mut seen[i * width + j], true) {
                continue;
            }
            if i == a.len() && j == b.len() {
                return true;
            }
            let (x, y) = (a.get(i).copied(), b.get(j).copied());
            // A star may match nothing.
            if x.is_some_and(Tok::is_star) {
                todo.push((i + 1, j));
            }
            if y.is_some_and(Tok::is_star) {
                todo.push((i, j + 1));
            }
            let (Some(x), Some(y)) = (x, y) else { continue };
            match (x.is_star(), y.is_star()) {
                // Both stars consuming the same character go nowhere new.
                (true, true) => {}
                (true, false) if x.admits(y) => todo.push((i, j + 1)),
                (false, true) if y.admits(x) => todo.push((i + 1, j)),
                (false, false) if x.meets(y) => todo.push((i + 1, j + 1)),
                _ => {}
            }
        }
        false
    }
}

/// Whether two literal prefixes can start the same name: one starts the
/// other. Patterns whose [`Glob::prefix`]es disagree never overlap.
pub fn prefixes_agree(a: &str, b: &str) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// One element of a glob, as [`glob_match`] reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Byte(u8),
    /// `?`: one byte other than `/`.
    One,
    /// `*`: any bytes but `/`.
    Star,
    /// `**`: any bytes.
    Stars,
}

impl Tok {
    fn is_star(self) -> bool {
        matches!(self, Tok::Star | Tok::Stars)
    }

    /// For a star: whether it can consume the character `single` stands for.
    fn admits(self, single: Tok) -> bool {
        self == Tok::Stars || single != Tok::Byte(b'/')
    }

    /// For two single-character elements: whether one character fits both.
    fn meets(self, other: Tok) -> bool {
        match (self, other) {
            (Tok::Byte(a), Tok::Byte(b)) => a == b,
            (Tok::Byte(c), Tok::One) | (Tok::One, Tok::Byte(c)) => c != b'/',
            _ => true,
        }
    }
}

fn tokens(p: &[u8]) -> Vec<Tok> {
    let mut out = Vec::with_capacity(p.len());
    let mut i = 0;
    while i < p.len() {
        out.push(match p[i] {
            b'*' if p.get(i + 1) == Some(&b'*') => {
                i += 1;
                Tok::Stars
            }
            b'*' => Tok::Star,
            b'?' => Tok::One,
            c => Tok::Byte(c),
        });
        i += 1;
    }
    out
}

fn glob_match(p: &[u8], s: &[u8]) -> bool {
    // Iterative matcher with backtracking to the last star; `**` may cross `/`.
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize, bool)> = None;
    while si < s.len() {
        if pi < p.len() && p[pi] == b'*' {
            let double = p.get(pi + 1) == Some(&b'*');
            pi += if double { 2 } else { 1 };
            star = Some((pi, si, double));
        } else if pi < p.len() && (p[pi] == b'?' && s[si] != b'/' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if let Some((sp, ss, double)) = star {
            if !double && s[ss] == b'/' {
                return false;
            }
            pi = sp;
            si = ss + 1;
            star = Some((sp, ss + 1, double));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

/// A reference to a secret held by the CI system (or, for services, by the
/// cluster). The program never contains the value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct SecretRef {
    pub name: String,
    #[serde(skip)]
    pub span: Span,
}

named! {
    /// Values known only when the pipeline runs.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum CiVar {
        /// The full commit SHA.
        Sha = "sha",
        /// The first seven characters of the commit SHA.
        ShortSha = "short_sha",
        /// The branch name (empty for tags).
        Branch = "branch",
        /// The tag name (empty for branches).
        Tag = "tag",
        /// The branch or tag name.
        RefName = "ref_name",
        /// `owner/name` of the repository.
        Repository = "repository",
        /// A number unique to the pipeline run.
        RunId = "run_id",
        /// A link to the pipeline run.
        RunUrl = "run_url",
    }
}

/// One piece of a [`Text`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Lit(String),
    /// The value of a matrix axis in this job instance.
    Matrix(String),
    /// A manual-dispatch input.
    Input(String),
    Ci(CiVar),
    /// An image built earlier in the pipeline, by name, as the job reaches
    /// it: each target hands images over its own way (an archive loaded into
    /// Docker, a tag in the CI registry).
    Image(String),
    /// Trivy's argument for an image the job reads as a file or from a
    /// registry, by name: `--input app.tar` where the job has the build's
    /// archive (GitHub), the registry reference where it does not (GitLab).
    ImageSource(String),
}

/// A string whose value may depend on the run: literal text mixed with matrix
/// values, dispatch inputs and CI variables. Targets decide how each part reaches
/// the generated file (an `env:` entry for scripts, never an inline expression).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize)]
pub struct Text {
    pub parts: Vec<Part>,
}

impl Text {
    pub fn lit(s: impl Into<String>) -> Text {
        let s = s.into();
        Text {
            parts: if s.is_empty() {
                Vec::new()
            } else {
                vec![Part::Lit(s)]
            },
        }
    }

    /// The text, if it has no run-time parts.
    pub fn as_literal(&self) -> Option<String> {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Lit(s) => out.push_str(s),
                _ => return None,
            }
        }
        Some(out)
    }

    pub fn is_literal(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Lit(_)))
    }

    /// Renders every part with `f`, concatenated.
    pub fn render(&self, mut f: impl FnMut(&Part) -> String) -> String {
        self.parts.iter().map(&mut f).collect()
    }

    /// The run-time parts, each once, in order of first use.
    pub fn variables(&self) -> Vec<&Part> {
        let mut out: Vec<&Part> = Vec::new();
        for p in &self.parts {
            if !matches!(p, Part::Lit(_)) && !out.contains(&p) {
                out.push(p);
            }
        }
        out
    }
}

impl fmt::Display for Text {
    /// A readable form for messages: run-time parts as `{{ … }}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.parts {
            match p {
                Part::Lit(s) => f.write_str(s)?,
                Part::Matrix(a) => write!(f, "{{{{ matrix.{a} }}}}")?,
                Part::Input(i) => write!(f, "{{{{ inputs.{i} }}}}")?,
                Part::Ci(v) => write!(f, "{{{{ ci.{} }}}}", v.name())?,
                Part::Image(i) => write!(f, "{{{{ {i}.ref }}}}")?,
                Part::ImageSource(i) => write!(f, "{{{{ {i}.source }}}}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        let g = |p: &str| Glob(p.into());
        assert!(g("v*").matches("v1.2.3"));
        assert!(!g("release/*").matches("release/a/b"));
        assert!(g("release/**").matches("release/a/b"));
        assert!(g("feature-?").matches("feature-x"));
        assert!(!g("main").matches("mainline"));
        assert_eq!(g("release/*").to_regex(), "^release/[^/]*$");
        assert_eq!(g("v1.*").to_regex(), "^v1\\.[^/]*$");
        assert_eq!(g("it's<é>+").to_regex(), "^it's<é>\\+$");
        assert_eq!(g("v*").prefix(), ("v", false));
        assert!(g("v*").matches(&g("v*").example()));
    }

    #[test]
    fn overlapping_globs() {
        let g = |p: &str| Glob(p.into());
        assert!(g("team-00-v*").overlaps(&g("team-00-v*")));
        assert!(!g("team-00-v*").overlaps(&g("team-01-v*")));
        assert!(g("v*").overlaps(&g("*-rc")));
        assert!(!g("*-rc").overlaps(&g("*-beta")));
        assert!(!g("release/*").overlaps(&g("release/a/*")));
        assert!(g("release/**").overlaps(&g("release/a/*")));
        assert!(!g("v?").overlaps(&g("v/")));
        assert!(g("v1.?").overlaps(&g("v*.2")));
        assert!(!g("main").overlaps(&g("mainline")));
    }

    /// `overlaps` agrees with `matches` on every name up to four characters
    /// over an alphabet that exercises each element.
    #[test]
    fn overlaps_agrees_with_matches() {
        let alphabet = ["a", "b", "/"];
        let mut names = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..4 {
            last = last
                .iter()
                .flat_map(|n| alphabet.iter().map(move |c| format!("{n}{c}")))
                .collect();
            names.extend(last.iter().cloned());
        }
        let parts = ["a", "b", "/", "?", "*", "**"];
        let mut globs = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..3 {
            last = last
                .iter()
                .flat_map(|n| parts.iter().map(move |c| format!("{n}{c}")))
                .collect();
            globs.extend(last.iter().cloned());
        }
        // `matches` backtracks to the last star only, which is exact unless
        // a `**` and a `*` share a pattern ("***" is no wider than "*" to it,
        // while the CI systems read it as "**"): such pairs are left out.
        let globs: Vec<Glob> = globs
            .into_iter()
            .filter(|g| !(g.contains("**") && g.replace("**", "").contains('*')))
            .map(Glob)
            .collect();
        let matched: Vec<Vec<bool>> = globs
            .iter()
            .map(|g| names.iter().map(|n| g.matches(n)).collect())
            .collect();
        for (a, ma) in globs.iter().zip(&matched) {
            for (b, mb) in globs.iter().zip(&matched) {
                let common = ma.iter().zip(mb).any(|(x, y)| *x && *y);
                if common {
                    assert!(a.overlaps(b), "{a:?} and {b:?} share a name");
                }
                // A shortest common name has each character matched by an
                // element other than a star on one side, and a side of three
                // such elements has no star: four characters are enough.
                if a.overlaps(b) {
                    assert!(common, "{a:?} and {b:?} share no name");
                }
            }
        }
    }

    #[test]
    fn units_print_in_kubernetes_form() {
        assert_eq!(Cpu { millicores: 250 }.to_string(), "250m");
        assert_eq!(Cpu { millicores: 2000 }.to_string(), "2");
        assert_eq!(Memory { bytes: 512 << 20 }.to_string(), "512Mi");
        assert_eq!(Memory { bytes: 1 << 30 }.to_string(), "1Gi");
        assert_eq!(Percent { hundredths: 7250 }.to_string(), "72.5");
        assert_eq!(Duration::from_secs(5400).to_string(), "1h30m");
    }
}
