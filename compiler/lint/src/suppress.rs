//! Inline suppressions, each with a mandatory reason: `@allow(PIPE104,
//! "reason")` on a `.pipe` statement, and `# pipec: allow PIPE104 reason` in
//! YAML — at the end of a line (for that line) or on a line of its own (for
//! the entry that starts on the next line, with everything under it).
//! Unknown rule ids and suppressions that suppressed nothing are reported —
//! except in files pipec generated, whose suppressions are copies of the
//! program's `@allow`s: the program's lint reports those that are unused.

use pipec_diagnostics::{SourceId, Span};
use pipec_graph::Program;

use crate::config::unknown_rule;
use crate::loc::Loc;
use crate::rule::Finding;
use crate::rules;
use crate::yaml::{Document, Node};

#[derive(Debug, Clone)]
pub struct Suppression {
    pub rule: String,
    /// The attribute or comment.
    pub span: Span,
    /// What it covers.
    pub target: Span,
    pub used: bool,
    /// Copied by pipec into a file it generated from a program's `@allow`.
    pub generated: bool,
}

pub fn from_program(p: &Program) -> Vec<Suppression> {
    p.suppressions
        .iter()
        .map(|s| Suppression {
            rule: s.rule.clone(),
            span: s.span,
            target: s.target,
            used: false,
            generated: false,
        })
        .collect()
}

const MARK: &str = "# pipec: allow ";

/// Suppression comments of a YAML file (`generated` when pipec wrote it),
/// and malformed ones as findings.
pub fn from_yaml(
    file: SourceId,
    text: &str,
    docs: &[Document],
    generated: bool,
) -> (Vec<Suppression>, Vec<Finding>) {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    // Most files have none: one search of the whole text says so.
    if !text.contains(MARK) {
        return (out, bad);
    }
    let lines: Vec<(usize, &str)> = line_offsets(text);
    for (i, (start, line)) in lines.iter().enumerate() {
        let Some(at) = line.find(MARK) else { continue };
        let span = Span::new(file, start + at, start + line.trim_end().len());
        // The reason runs to the end of the line or to a further comment.
        let rest = line[at + MARK.len()..].trim();
        let rest = rest.split(" #").next().unwrap_or(rest).trim();
        let (rule, reason) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        if rule.is_empty() || reason.trim().is_empty() {
            bad.push(
                Finding::new(
                    rules::rule("PIPE006"),
                    Loc::Span(span),
                    "a suppression needs a rule id and a reason",
                )
                .label("expected `# pipec: allow RULE reason`")
                .help("say why the rule does not apply here: # pipec: allow PIPE201 vendored action, reviewed")
                .clone(),
            );
            continue;
        }
        let own_line = line[..at].trim().is_empty();
        let target = if own_line {
            // The next line that is neither blank nor a comment.
            lines[i + 1..]
                .iter()
                .find(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
                .map(|(s, l)| {
                    entry_starting_at(docs, *s, *s + l.len()).unwrap_or(Span::new(
                        file,
                        *s,
                        *s + l.len(),
                    ))
                })
        } else {
            Some(Span::new(file, *start, start + line.len()))
        };
        let Some(target) = target else { continue };
        out.push(Suppression {
            rule: rule.to_string(),
            span,
            target,
            used: false,
            generated,
        });
    }
    (out, bad)
}

fn line_offsets(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        out.push((start, line.trim_end_matches(['\n', '\r'])));
        start += line.len();
    }
    out
}

/// The span of the mapping entry (key and value) or sequence item that starts
/// on the line `[start, end)`.
fn entry_starting_at(docs: &[Document], start: usize, end: usize) -> Option<Span> {
    fn find(n: &Node, start: usize, end: usize) -> Option<Span> {
        for e in n.entries() {
            let k = e.key.span;
            if (k.start as usize) >= start && (k.start as usize) < end {
                return Some(k.join(e.value.span));
            }
            if let Some(s) = find(&e.value, start, end) {
                return Some(s);
            }
        }
        for it in n.items() {
            if (it.span.start as usize) >= start && (it.span.start as usize) < end {
                return Some(it.span);
            }
            if let Some(s) = find(it, start, end) {
                return Some(s);
            }
        }
        None
    }
    docs.iter().find_map(|d| find(&d.root, start, end))
}

/// Drops suppressed findings and marks the suppressions that were used.
pub fn apply(findings: Vec<(Finding, Span)>, sups: &mut [Suppression]) -> Vec<(Finding, Span)> {
    findings
        .into_iter()
        .filter(|(f, span)| {
            // The engine's own findings about suppressions and files are not
            // suppressible.
            if matches!(f.rule.id, "PIPE001" | "PIPE003" | "PIPE004" | "PIPE006") {
                return true;
            }
            let mut suppressed = false;
            for s in sups.iter_mut() {
                if s.rule.eq_ignore_ascii_case(f.rule.id)
                    && s.target.source == span.source
                    && s.target.start <= span.start
                    && span.start < s.target.end.max(s.target.start + 1)
                {
                    s.used = true;
                    suppressed = true;
                }
            }
            !suppressed
        })
        .collect()
}

/// Unknown rule ids, and suppressions that matched nothing.
pub fn leftovers(sups: &[Suppression]) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in sups {
        if rules::find(&s.rule).is_none() {
            out.push(unknown_rule(&s.rule, Loc::Span(s.span)));
        } else if !s.used && !s.generated {
            out.push(
                Finding::new(
                    rules::rule("PIPE003"),
                    Loc::Span(s.span),
                    format!(
                        "this suppression of {} matches no finding",
                        s.rule.to_ascii_uppercase()
                    ),
                )
                .label("suppresses nothing")
                .help("remove it: the problem it was written for is gone")
                .clone(),
            );
        }
    }
    out
}
