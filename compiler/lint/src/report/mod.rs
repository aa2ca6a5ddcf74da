//! Rendering findings: for people (miette, through `pipec_diagnostics`), as
//! versioned JSON, as SARIF 2.1.0 ([`sarif`]) and as GitHub workflow
//! annotations.
//!
//! The JSON form (`--format json`) is:
//!
//! ```json
//! {
//!   "version": 1,
//!   "tool": { "name": "pipec", "version": "0.1.0" },
//!   "summary": { "errors": 1, "warnings": 0, "notes": 0 },
//!   "findings": [{
//!     "code": "PIPE101", "name": "prod-manual-approval", "severity": "error",
//!     "message": "…", "file": "ci.yml", "line": 3, "column": 5,
//!     "end_line": 3, "end_column": 17, "path": "jobs.deploy.environment",
//!     "labels": [{ "file": "…", "line": 3, "column": 5, "end_line": 3,
//!                  "end_column": 17, "message": "…", "primary": true }],
//!     "help": "…", "notes": [], "help_uri": "https://…/docs/rules/PIPE101.md"
//!   }]
//! }
//! ```
//!
//! `version` changes only when a field is removed or changes meaning; `path`
//! is the symbolic YAML location (`null` for `.pipe` files).
//!
//! Every format lists at most `limit` findings ([`SHOWN`] from the command
//! line) and says how many it left out (`"omitted"` in JSON, a notification
//! in SARIF, a last line or annotation otherwise); counts stay exact. The
//! order is the same in every format ([`shown`]): problems of the files
//! and security findings first, delivery policy after, so that many policy
//! findings never bury a security one.

pub mod sarif;

use pipec_diagnostics::Severity;
use pipec_diagnostics::render::{self, HumanOptions, Location};
use serde::Serialize;

use crate::rule::Group;
use crate::{Batch, Reported};

/// How many findings a report lists unless told otherwise.
pub const SHOWN: usize = 100;

/// The findings a report lists, in order, each with its batch; and how many
/// are left out.
pub fn shown(batches: &[Batch], limit: usize) -> (Vec<(&Batch, &Reported)>, usize) {
    let mut all: Vec<(Group, &Batch, &Reported)> = batches
        .iter()
        .flat_map(|b| b.findings.iter().map(move |f| (group_of(f.code), b, f)))
        .collect();
    // Stable: within a group, the order of the batches (by file and position).
    all.sort_by_key(|(g, _, _)| *g);
    let omitted = all.len().saturating_sub(limit);
    all.truncate(limit);
    (all.into_iter().map(|(_, b, f)| (b, f)).collect(), omitted)
}

/// The group of a rule id; compiler diagnostics are about the files.
pub fn group_of(code: &str) -> Group {
    crate::rules::find(code).map_or(Group::File, |r| r.group)
}

/// The line that ends a listing which left findings out.
pub fn omitted_line(omitted: usize) -> String {
    format!(
        "… and {omitted} more finding(s) not shown (counted below; --max-diagnostics 0 shows all)\n"
    )
}

/// Where the long explanation of a code lives.
pub fn help_uri(code: &str) -> String {
    let repo = env!("CARGO_PKG_REPOSITORY");
    if code.starts_with("PIPE") {
        format!("{repo}/blob/main/docs/rules/{code}.md")
    } else {
        format!("{repo}/blob/main/docs/errors/{code}.md")
    }
}

/// Findings for people, with source snippets.
pub fn human(batches: &[Batch], opts: HumanOptions, limit: usize) -> String {
    let (list, omitted) = shown(batches, limit);
    let mut out: String = list
        .iter()
        .map(|(b, f)| render::human(std::slice::from_ref(&f.diagnostic), &b.sources, opts))
        .collect();
    if omitted > 0 {
        out.push_str(&omitted_line(omitted));
    }
    out
}

/// Findings by group: problems of the files, security, policy.
pub fn group_counts(batches: &[Batch]) -> [(Group, usize); 3] {
    let mut c = [(Group::File, 0), (Group::Security, 0), (Group::Policy, 0)];
    for f in batches.iter().flat_map(|b| &b.findings) {
        let g = group_of(f.code);
        if let Some(slot) = c.iter_mut().find(|(k, _)| *k == g) {
            slot.1 += 1;
        }
    }
    c
}

/// Counts by severity: errors, warnings, notes.
pub fn counts(batches: &[Batch]) -> (usize, usize, usize) {
    let mut c = (0, 0, 0);
    for f in batches.iter().flat_map(|b| &b.findings) {
        match f.diagnostic.severity {
            Severity::Error => c.0 += 1,
            Severity::Warning => c.1 += 1,
            Severity::Note => c.2 += 1,
        }
    }
    c
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    code: &'a str,
    name: &'a str,
    severity: &'a str,
    message: &'a str,
    #[serde(flatten)]
    location: Location,
    path: Option<&'a str>,
    /// `file`, `security` or `policy`.
    group: &'static str,
    labels: Vec<render::JsonLabel>,
    help: Option<&'a str>,
    notes: &'a [String],
    help_uri: String,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Summary {
    errors: usize,
    warnings: usize,
    notes: usize,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    tool: Tool,
    summary: Summary,
    findings: Vec<JsonFinding<'a>>,
    /// Findings counted in `summary` but not listed.
    omitted: usize,
}

/// The versioned JSON report.
pub fn json(batches: &[Batch], limit: usize) -> String {
    let (errors, warnings, notes) = counts(batches);
    let (list, omitted) = shown(batches, limit);
    let mut findings = Vec::new();
    for (b, f) in list {
        let d = &f.diagnostic;
        findings.push(JsonFinding {
            code: f.code,
            name: f.name,
            severity: d.severity.as_str(),
            message: &d.message,
            location: Location::of(d.primary_span(), &b.sources),
            path: f.path.as_deref(),
            group: group_of(f.code).as_str(),
            labels: render::json_labels(d, &b.sources),
            help: d.help.as_deref(),
            notes: &d.notes,
            help_uri: help_uri(f.code),
        });
    }
    let report = JsonReport {
        version: 1,
        tool: Tool {
            name: "pipec",
            version: env!("CARGO_PKG_VERSION"),
        },
        summary: Summary {
            errors,
            warnings,
            notes,
        },
        findings,
        omitted,
    };
    serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"
}

/// GitHub workflow commands (`::error file=…,line=…::message`), one per line,
/// so findings show up as annotations on the pull request.
pub fn github(batches: &[Batch], limit: usize) -> String {
    let (list, omitted) = shown(batches, limit);
    let mut out = String::new();
    for (b, f) in list {
        out.push_str(&annotation(f, &b.sources));
    }
    if omitted > 0 {
        out.push_str(&format!(
            "::notice title=pipec::{}\n",
            escape_data(omitted_line(omitted).trim_end())
        ));
    }
    out
}

fn annotation(f: &Reported, sources: &pipec_diagnostics::SourceMap) -> String {
    let d = &f.diagnostic;
    let loc = Location::of(d.primary_span(), sources);
    let level = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    };
    let mut message = d.message.clone();
    if let Some(h) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(h);
    }
    format!(
        "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
        escape_property(&loc.file),
        loc.line,
        loc.column,
        loc.end_line,
        loc.end_column,
        escape_property(&format!("{} {}", f.code, f.name)),
        escape_data(&message)
    )
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

const TABLE_START: &str = "<!-- rules:begin -->";
const TABLE_END: &str = "<!-- rules:end -->";

/// `docs/rules/index.md` with its table of rules regenerated from the
/// registry; the text around the markers is kept.
pub fn rules_index(current: &str) -> String {
    let mut table = String::from(
        "| id | name | default | applies to | what it checks |\n| --- | --- | --- | --- | --- |\n",
    );
    for r in crate::rules::all() {
        let inputs: Vec<&str> = r.inputs.iter().map(|i| i.key()).collect();
        table.push_str(&format!(
            "| [{id}]({id}.md) | `{}` | {} | {} | {} |\n",
            r.name,
            r.severity.as_str(),
            inputs.join(", "),
            r.summary,
            id = r.id
        ));
    }
    match (current.find(TABLE_START), current.find(TABLE_END)) {
        (Some(a), Some(b)) if a < b => {
            format!("{}{TABLE_START}\n{table}{}", &current[..a], &current[b..])
        }
        _ => format!("# Lint rules\n\n{TABLE_START}\n{table}{TABLE_END}\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_escape_what_github_reads_as_syntax() {
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
        assert_eq!(escape_data("x\ny"), "x%0Ay");
    }
}
