//! ## What it does
//! Checks that a pipeline running unit tests enforces a coverage threshold, and
//! that the threshold is at least the policy's minimum (70 %, `min_coverage`
//! raises it). Thresholds are found in `report coverage … min N%` (and the
//! `pipec_coverage_gate` pipec generates from it),
//! `--cov-fail-under=N`, `coverage report --fail-under N`, jest's
//! `coverageThreshold`, `nyc check-coverage`, and in the `fail_under` of the
//! repository's coverage.py configuration (`pyproject.toml`, `.coveragerc`,
//! `setup.cfg`, `tox.ini`) for jobs that measure coverage. GitLab's `coverage:`
//! keyword only displays a number and is not a gate.
//!
//! ## Why is this bad
//! Without a threshold, coverage can only go down: every change that adds
//! untested code passes.
//!
//! ## Example
//! ```yaml
//! - run: pytest tests/ --cov=src --cov-report=xml
//! ```
//!
//! ## Use instead
//! ```yaml
//! - run: pytest tests/ --cov=src --cov-report=xml --cov-fail-under=70
//! ```

use pipec_diagnostics::Severity;

use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE102",
    name: "coverage-gate",
    summary: "tests must fail the pipeline when coverage is under the minimum",
    severity: Severity::Error,
    group: Group::Policy,
    inputs: &[Input::Pipe, Input::GitHub, Input::GitLab],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    let min = cx.config.min_coverage;
    for p in cx.pipelines() {
        let gates: Vec<_> = p.jobs.iter().flat_map(|j| &j.coverage).collect();
        let first_test = p.jobs.iter().find_map(|j| j.tests.first().map(|t| (j, t)));
        if gates.is_empty() {
            if let Some((j, t)) = first_test {
                out.report(t.clone(), format!("`{}` runs tests without a coverage threshold: the pipeline passes at any coverage", j.name))
                    .label("no coverage gate")
                    .help(format!("make the tests fail under {min}%: pytest --cov=src --cov-fail-under={min}"));
            }
            continue;
        }
        for g in gates {
            if let Some(v) = g.min.filter(|v| *v < min) {
                out.report(
                    g.loc.clone(),
                    format!("the coverage threshold is {v}%, below the required {min}%"),
                )
                .label(format!("{v}%"))
                .help(format!("raise it to {min}% or more"));
            }
        }
    }
}
