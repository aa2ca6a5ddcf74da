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

pub mod sarif;

use pipec_diagnostics::render::{self, HumanOptions, Location};
use pipec_diagnostics::{Diagnostic, Severity};
use serde::Serialize;

use crate::{Batch, Reported};

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
pub fn human(batches: &[Batch], opts: HumanOptions) -> String {
    batches
        .iter()
        .map(|b| {
            let diags: Vec<Diagnostic> = b.findings.iter().map(|f| f.diagnostic.clone()).collect();
            render::human(&diags, &b.sources, opts)
        })
        .collect()
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
}

/// The versioned JSON report.
pub fn json(batches: &[Batch]) -> String {
    let (errors, warnings, notes) = counts(batches);
    let mut findings = Vec::new();
    for b in batches {
        for f in &b.findings {
            let d = &f.diagnostic;
            findings.push(JsonFinding {
                code: f.code,
                name: f.name,
                severity: d.severity.as_str(),
                message: &d.message,
                location: Location::of(d.primary_span(), &b.sources),
                path: f.path.as_deref(),
                labels: render::json_labels(d, &b.sources),
                help: d.help.as_deref(),
                notes: &d.notes,
                help_uri: help_uri(f.code),
            });
        }
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
    };
    serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"
}

/// GitHub workflow commands (`::error file=…,line=…::message`), one per line,
/// so findings show up as annotations on the pull request.
pub fn github(batches: &[Batch]) -> String {
    let mut out = String::new();
    for b in batches {
        for f in &b.findings {
            out.push_str(&annotation(f, &b.sources));
        }
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
