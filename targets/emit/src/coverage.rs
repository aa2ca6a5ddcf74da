//! The coverage gate both CI targets run after a job's steps: a POSIX shell
//! function that reads the job's coverage report — Cobertura XML, JaCoCo XML,
//! lcov or a Go cover profile — with `awk`, prints the line coverage, and
//! fails the job when it is under the report's `min`, when the report is
//! missing, or when it is not in its declared format.
//!
//! The call is `pipec_coverage_gate REPORT FORMAT MIN`; `pipec lint` recognises it
//! in generated files as the job's coverage threshold.

use pipec_graph::{CoverageFormat, Percent, Report, ReportKind, RunJob};

use crate::release::sh_quote;

/// The name of the gate's shell function.
pub const GATE: &str = "pipec_coverage_gate";

/// The line the gate prints, for GitLab's `coverage:` keyword.
pub const SUMMARY_REGEX: &str = r"/pipec: line coverage \d+(?:\.\d+)?%/";

/// The coverage reports of a job that have a minimum, with their format.
pub fn gated(r: &RunJob) -> Vec<(&Report, CoverageFormat, Percent)> {
    r.reports
        .iter()
        .filter(|rep| rep.kind == ReportKind::Coverage)
        .filter_map(|rep| Some((rep, rep.format?, rep.min?)))
        .collect()
}

/// The gate of every coverage report of the job that has a minimum.
pub struct Gate<'a> {
    pub script: String,
    /// Report paths with values of the run, which the script reads from
    /// these environment variables: the target sets each to its value.
    pub env: Vec<(String, &'a Report)>,
}

/// The gate of every coverage report of the job that has a minimum, as one
/// script; `None` when there is none.
pub fn gate_script(r: &RunJob) -> Option<Gate<'_>> {
    let gated = gated(r);
    if gated.is_empty() {
        return None;
    }
    let mut script = String::from("set -eu\n");
    let mut env = Vec::new();
    let mut formats: Vec<CoverageFormat> = gated.iter().map(|(_, f, _)| *f).collect();
    formats.dedup();
    script.push_str(&function(&formats));
    for (rep, format, min) in gated {
        let path = match rep.path.as_literal() {
            Some(path) => sh_quote(&path),
            None => {
                let var = format!("PIPEC_COVERAGE_REPORT_{}", env.len() + 1);
                let quoted = format!("\"${var}\"");
                env.push((var, rep));
                quoted
            }
        };
        script.push_str(&format!("{GATE} {path} {} {min}\n", format.name()));
    }
    Some(Gate { script, env })
}

/// `pipec_coverage_gate REPORT FORMAT MIN`, reading the given formats.
fn function(formats: &[CoverageFormat]) -> String {
    let mut cases = String::new();
    for f in formats {
        cases.push_str(&format!(
            "    {name}) counts=\"$(awk '{program}' \"$1\")\" || {{ echo \"pipec: $1 is not a {title} coverage report\" >&2; return 1; }} ;;\n",
            name = f.name(),
            program = reader(*f),
            title = f.title(),
        ));
    }
    format!(
        r#"{GATE}() {{
  if [ ! -f "$1" ]; then echo "pipec: the coverage report $1 does not exist" >&2; return 1; fi
  case "$2" in
{cases}  esac
  awk -v counts="$counts" -v min="$3" -v report="$1" '{COMPARE}'
}}
"#
    )
}

/// Prints the line coverage and fails under the minimum. `counts` is
/// "COVERED TOTAL" (a rate and 1 for Cobertura reports without line counts).
const COMPARE: &str = r#"BEGIN {
    split(counts, n, " ")
    if (n[2] + 0 <= 0) { print "pipec: " report " measures no lines" > "/dev/stderr"; exit 1 }
    pct = 100 * n[1] / n[2]
    printf "pipec: line coverage %.2f%% in %s, minimum %s%%\n", pct, report, min
    if (pct + 0.000001 < min + 0) { printf "pipec: line coverage %.2f%% is under the minimum of %s%%\n", pct, min > "/dev/stderr"; exit 1 }
  }"#;

/// An awk program printing "COVERED TOTAL" lines of a report, or failing
/// when the file is not in the format.
fn reader(f: CoverageFormat) -> &'static str {
    match f {
        // Blocks listed twice (several packages in one profile) count once,
        // covered when any listing ran them, as `go tool cover` counts them.
        CoverageFormat::Go => {
            r#"NR == 1 { if ($0 !~ /^mode: (set|count|atomic)[ \t\r]*$/) { bad = 1; exit } next }
    NF == 3 && $1 ~ /:[0-9]+[.][0-9]+,[0-9]+[.][0-9]+$/ { if (!($1 in stmts)) stmts[$1] = $2; if ($3 > 0) hit[$1] = 1; next }
    NF > 0 { bad = 1; exit }
    END { if (bad || NR == 0) exit 3; for (b in stmts) { total += stmts[b]; if (b in hit) covered += stmts[b] } print covered + 0, total + 0 }"#
        }
        // The root element's line counts, else its line rate.
        CoverageFormat::Cobertura => {
            r#"function attr(s, name,  v) { if (!match(s, "[ \t\r\n]" name "=\"[^\"]*\"")) return ""; v = substr(s, RSTART, RLENGTH); sub(/^[^"]*"/, "", v); sub(/"$/, "", v); return v }
    BEGIN { RS = "<" }
    !seen && /^coverage[ \t\r\n>]/ { seen = 1; valid = attr($0, "lines-valid"); covered = attr($0, "lines-covered"); rate = attr($0, "line-rate") }
    END { if (!seen) exit 3; if (valid != "" && covered != "") print covered + 0, valid + 0; else if (rate != "") print rate + 0, 1; else exit 3 }"#
        }
        // The report's own LINE counter comes last, after those of its
        // packages, classes and methods.
        CoverageFormat::Jacoco => {
            r#"function attr(s, name,  v) { if (!match(s, "[ \t\r\n]" name "=\"[^\"]*\"")) return ""; v = substr(s, RSTART, RLENGTH); sub(/^[^"]*"/, "", v); sub(/"$/, "", v); return v }
    BEGIN { RS = "<" }
    /^report[ \t\r\n>]/ { report = 1 }
    /^counter[ \t\r\n]/ && attr($0, "type") == "LINE" { missed = attr($0, "missed"); covered = attr($0, "covered"); found = 1 }
    END { if (!report || !found) exit 3; print covered + 0, missed + covered }"#
        }
        // LF/LH totals of every file, else the DA lines.
        CoverageFormat::Lcov => {
            r#"/^SF:/ { files++ }
    /^LF:/ { lf += substr($0, 4) }
    /^LH:/ { lh += substr($0, 4) }
    /^DA:/ { split(substr($0, 4), d, ","); da++; if (d[2] + 0 > 0) dh++ }
    END { if (!files) exit 3; if (lf > 0) print lh + 0, lf; else print dh + 0, da + 0 }"#
        }
    }
}
