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
        match self.0.find(['*', '?', '[']) {
            None => (&self.0, true),
            Some(i) => (&self.0[..i], false),
        }
    }

    /// A name this pattern matches, used to explore which conditions can hold.
    pub fn example(&self) -> String {
        self.0.replace("**", "x/x").replace(['*', '?'], "x")
    }
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
    fn units_print_in_kubernetes_form() {
        assert_eq!(Cpu { millicores: 250 }.to_string(), "250m");
        assert_eq!(Cpu { millicores: 2000 }.to_string(), "2");
        assert_eq!(Memory { bytes: 512 << 20 }.to_string(), "512Mi");
        assert_eq!(Memory { bytes: 1 << 30 }.to_string(), "1Gi");
        assert_eq!(Percent { hundredths: 7250 }.to_string(), "72.5");
        assert_eq!(Duration::from_secs(5400).to_string(), "1h30m");
    }
}
