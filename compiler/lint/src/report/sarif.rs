//! SARIF 2.1.0 output, as GitHub code scanning reads it: one run, the rules
//! that reported (with their explanation and a `helpUri`), one result per
//! finding with a physical location relative to the repository root. Results
//! past the limit are counted in a notification of the run's invocation.

use pipec_diagnostics::Severity;
use pipec_diagnostics::render::Location;
use serde_json::{Value, json};

use crate::Batch;
use crate::rules;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn region(l: &Location) -> Value {
    json!({
        "startLine": l.line,
        "startColumn": l.column,
        "endLine": l.end_line,
        "endColumn": l.end_column.max(if l.end_line == l.line { l.column + 1 } else { 1 }),
    })
}

fn uri(file: &str) -> String {
    file.trim_start_matches("./").replace('\\', "/")
}

/// The SARIF log of the findings.
pub fn sarif(batches: &[Batch], limit: usize) -> String {
    let (list, omitted) = super::shown(batches, limit);
    let mut codes: Vec<&'static str> = list.iter().map(|(_, f)| f.code).collect();
    codes.sort();
    codes.dedup();
    let descriptors: Vec<Value> = codes
        .iter()
        .map(|code| match rules::find(code) {
            Some(r) => json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": r.summary },
                "help": { "text": rules::explanation(r), "markdown": rules::explanation(r) },
                "helpUri": super::help_uri(r.id),
                "defaultConfiguration": { "level": level(r.severity) },
                "properties": {
                    "tags": r.inputs.iter().map(|i| i.key()).collect::<Vec<_>>(),
                },
            }),
            None => {
                let info = pipec_diagnostics::code::lookup(code);
                let summary = info.map_or("pipec diagnostic", |c| c.summary);
                json!({
                    "id": code,
                    "shortDescription": { "text": summary },
                    "help": { "text": info.map_or("", |c| c.explanation) },
                    "helpUri": super::help_uri(code),
                })
            }
        })
        .collect();
    let mut results = Vec::new();
    for (b, f) in list {
        {
            let d = &f.diagnostic;
            let loc = Location::of(d.primary_span(), &b.sources);
            let mut text = d.message.clone();
            if let Some(h) = &d.help {
                text.push_str("\nhelp: ");
                text.push_str(h);
            }
            let related: Vec<Value> = d
                .labels
                .iter()
                .filter(|l| !l.primary)
                .enumerate()
                .map(|(i, l)| {
                    let rl = Location::of(l.span, &b.sources);
                    json!({
                        "id": i + 1,
                        "physicalLocation": {
                            "artifactLocation": { "uri": uri(&rl.file) },
                            "region": region(&rl),
                        },
                        "message": { "text": if l.message.is_empty() { "related location" } else { &l.message } },
                    })
                })
                .collect();
            let mut result = json!({
                "ruleId": f.code,
                "ruleIndex": codes.iter().position(|c| *c == f.code).unwrap_or(0),
                "level": level(d.severity),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&loc.file) },
                        "region": region(&loc),
                    },
                }],
                "partialFingerprints": {
                    "pipecFinding/v1": format!("{}:{}:{}", f.code, uri(&loc.file), f.path.clone().unwrap_or_else(|| format!("{}:{}", loc.line, loc.column))),
                },
            });
            if !related.is_empty() {
                result["relatedLocations"] = Value::Array(related);
            }
            if let Some(p) = &f.path {
                result["properties"] = json!({ "yamlPath": p });
            }
            results.push(result);
        }
    }
    let mut log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "pipec",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": env!("CARGO_PKG_REPOSITORY"),
                    "rules": descriptors,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    if omitted > 0 {
        log["runs"][0]["invocations"] = json!([{
            "executionSuccessful": true,
            "toolExecutionNotifications": [{
                "level": "note",
                "message": { "text": super::omitted_line(omitted).trim_end() },
            }],
        }]);
        log["runs"][0]["properties"] = json!({ "omittedResults": omitted });
    }
    serde_json::to_string_pretty(&log).unwrap_or_default() + "\n"
}
