//! Source files, spans and diagnostics shared by every phase of pipec.
//!
//! Phases never print: they return [`Diagnostics`], all of them, and the driver
//! renders them once at the end ([`render`]) as human text through miette or as
//! JSON for machines. Every diagnostic has a stable [`Code`]; `pipec explain CODE`
//! prints the long explanation registered for it in [`code`].

pub mod code;
mod diagnostic;
pub mod render;
mod source;

pub use code::Code;
pub use diagnostic::{Diagnostic, Diagnostics, Label, Severity, Suggestion};
pub use source::{SourceFile, SourceId, SourceMap, Span};

/// Suggests the candidate closest to `name`, for "did you mean" hints.
///
/// Uses the optimal-string-alignment distance and accepts a candidate only when it is
/// close relative to the name's length, so that short names do not attract
/// unrelated suggestions.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let max = match name.chars().count() {
        0..=2 => 1,
        3..=5 => 2,
        _ => 3,
    };
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (edit_distance(&name.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= max)
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))
        .map(|(_, c)| c)
}

/// Optimal string alignment distance (Levenshtein with adjacent transpositions).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev2 = vec![0usize; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0usize; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["replicas", "namespace", "promote", "tier"];
        assert_eq!(did_you_mean("replics", names), Some("replicas"));
        assert_eq!(did_you_mean("namsepace", names), Some("namespace"));
        assert_eq!(did_you_mean("xyz", names), None);
        assert_eq!(did_you_mean("teir", names), Some("tier"));
    }
}
