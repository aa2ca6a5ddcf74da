//! How text with run-time parts (matrix values, dispatch inputs, CI values)
//! reaches `.gitlab-ci.yml`: as `${VAR}` references that GitLab expands in
//! `variables:` and `image:`, and as shell expansions inside scripts, quoted
//! so that each value stays one word whatever it contains.
//!
//! GitLab expands variables in two ways. The runner expands `variables:`,
//! `image:`, service names, cache keys and artifact paths, and reads `$$` as
//! a literal `$` ([`gitlab_value`]). GitLab itself expands runner `tags:` and
//! `environment:url` before the job exists, and has no escape there: a `$` or
//! a `%NAME%` written in the program cannot be kept literal, so such text is
//! refused ([`server_value`], E0429).

use pipec_graph::{CiVar, Part, Text};

/// The variable `parallel: matrix` sets for an axis.
pub fn matrix_var(axis: &str) -> String {
    format!("PIPEC_MATRIX_{}", axis.to_ascii_uppercase())
}

/// The pipeline variable a dispatch input arrives in (the contract of
/// `pipec_emit::release`).
pub fn input_var(name: &str) -> String {
    format!("PIPEC_INPUT_{}", name.to_ascii_uppercase())
}

/// GitLab's predefined variables for a CI value, concatenated. `None` for the
/// short SHA: GitLab's `CI_COMMIT_SHORT_SHA` has eight characters, pipec's
/// short SHA seven, so it is computed in the script instead.
fn ci_vars(v: CiVar) -> Option<&'static [&'static str]> {
    Some(match v {
        CiVar::Sha => &["CI_COMMIT_SHA"],
        CiVar::ShortSha => return None,
        // Exactly one of the two is set in a branch or merge request pipeline,
        // neither in a tag pipeline.
        CiVar::Branch => &["CI_COMMIT_BRANCH", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"],
        CiVar::Tag => &["CI_COMMIT_TAG"],
        CiVar::RefName => &["CI_COMMIT_REF_NAME"],
        CiVar::Repository => &["CI_PROJECT_PATH"],
        CiVar::RunId => &["CI_PIPELINE_ID"],
        CiVar::RunUrl => &["CI_PIPELINE_URL"],
    })
}

/// The text as a value GitLab expands (`variables:`, `image:`): literal `$`
/// doubled, run-time parts as `${VAR}`. `None` when a part has no GitLab
/// variable (the seven-character short SHA).
pub fn gitlab_value(text: &Text) -> Option<String> {
    let mut out = String::new();
    for p in &text.parts {
        match p {
            Part::Lit(s) => out.push_str(&s.replace('$', "$$")),
            Part::Matrix(a) => out.push_str(&format!("${{{}}}", matrix_var(a))),
            Part::Input(i) => out.push_str(&format!("${{{}}}", input_var(i))),
            Part::Image(i) | Part::ImageSource(i) => out.push_str(&format!(
                "${{CI_REGISTRY_IMAGE}}/pipec-ci/{i}:${{CI_COMMIT_SHA}}"
            )),
            Part::Ci(v) => {
                for var in ci_vars(*v)? {
                    out.push_str(&format!("${{{var}}}"));
                }
            }
        }
    }
    Some(out)
}

/// Why a text cannot be written in a field GitLab expands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unwritable {
    /// GitLab has no variable for the seven-character short SHA.
    ShortSha,
    /// Literal text GitLab would read as a variable reference (`$X`, `%X%`).
    Expanded(String),
}

/// The text for a field GitLab expands with no escape (runner `tags:`,
/// `environment:url`): run-time parts as `${VAR}`, literal text as it is,
/// unless it holds a `$` or a `%NAME%`.
pub fn server_value(text: &Text) -> Result<String, Unwritable> {
    let mut out = String::new();
    for p in &text.parts {
        match p {
            Part::Lit(s) => {
                if let Some(reference) = expanded_reference(s) {
                    return Err(Unwritable::Expanded(reference));
                }
                out.push_str(s);
            }
            p => out.push_str(
                &gitlab_value(&Text {
                    parts: vec![p.clone()],
                })
                .ok_or(Unwritable::ShortSha)?,
            ),
        }
    }
    Ok(out)
}

/// The first `$…` or `%NAME%` in literal text, which GitLab's own expansion
/// (`ExpandVariables`) would replace.
fn expanded_reference(s: &str) -> Option<String> {
    if let Some(i) = s.find('$') {
        let end = s[i + 1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '{' | '}')))
            .map_or(s.len(), |j| i + 1 + j);
        return Some(s[i..end].to_string());
    }
    let bytes = s.as_bytes();
    for (i, _) in s.match_indices('%') {
        let rest = &s[i + 1..];
        let name_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if name_len > 0
            && bytes
                .get(i + 1)
                .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            && rest[name_len..].starts_with('%')
        {
            return Some(s[i..i + name_len + 2].to_string());
        }
    }
    None
}

/// A text for reading, in a comment: run-time parts as the variables that
/// hold them (`${PIPEC_MATRIX_OS}`).
pub fn display(text: &Text) -> String {
    text.render(|p| match p {
        Part::Lit(s) => s.clone(),
        p => gitlab_value(&Text {
            parts: vec![p.clone()],
        })
        .unwrap_or_else(|| {
            Text {
                parts: vec![p.clone()],
            }
            .to_string()
        }),
    })
}

/// A run-time part as a shell expansion that is valid inside double quotes
/// and safe under `set -u`.
fn shell_expansion(p: &Part) -> String {
    match p {
        Part::Lit(s) => s.clone(),
        Part::Matrix(a) => format!("${{{}:-}}", matrix_var(a)),
        Part::Input(i) => format!("${{{}:-}}", input_var(i)),
        // The image this commit's build job pushed to the CI registry.
        Part::Image(i) | Part::ImageSource(i) => {
            format!("${{CI_REGISTRY_IMAGE}}/pipec-ci/{i}:${{CI_COMMIT_SHA}}")
        }
        Part::Ci(CiVar::ShortSha) => "$(printf '%.7s' \"$CI_COMMIT_SHA\")".to_string(),
        Part::Ci(CiVar::Branch) => {
            "${CI_COMMIT_BRANCH:-${CI_MERGE_REQUEST_SOURCE_BRANCH_NAME:-}}".to_string()
        }
        Part::Ci(v) => ci_vars(*v)
            .map(|vars| vars.iter().map(|n| format!("${{{n}:-}}")).collect())
            .unwrap_or_default(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Single,
    Double,
}

/// Where the shell is after reading `s` from `state`: outside quotes, or
/// inside single or double quotes.
fn scan(mut state: Quote, s: &str) -> Quote {
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        state = match (state, c) {
            (Quote::None | Quote::Double, '\\') => {
                chars.next();
                state
            }
            (Quote::None, '\'') => Quote::Single,
            (Quote::None, '"') => Quote::Double,
            (Quote::Single, '\'') | (Quote::Double, '"') => Quote::None,
            (s, _) => s,
        };
    }
    state
}

/// A script with its run-time parts as shell expansions. Each expansion is
/// placed so the shell reads the value as literal text of one word: in double
/// quotes when the script is outside quotes, as is inside double quotes, and
/// by closing and reopening single quotes inside them. A value is never
/// parsed as shell code.
pub fn script(text: &Text) -> String {
    let mut out = String::new();
    let mut state = Quote::None;
    for p in &text.parts {
        match p {
            Part::Lit(s) => {
                out.push_str(s);
                state = scan(state, s);
            }
            p => {
                let e = shell_expansion(p);
                match state {
                    Quote::None => out.push_str(&format!("\"{e}\"")),
                    Quote::Double => out.push_str(&e),
                    Quote::Single => out.push_str(&format!("'\"{e}\"'")),
                }
            }
        }
    }
    out
}

/// A text as one shell word: single-quoted when it is literal, else
/// [`shell_word`].
pub fn shell_arg(text: &Text) -> String {
    match text.as_literal() {
        Some(s) => pipec_emit::release::sh_quote(&s),
        None => shell_word(text),
    }
}

/// A text as one double-quoted shell word, for values the generated script
/// passes on (`--build-arg`, `export`).
pub fn shell_word(text: &Text) -> String {
    let mut out = String::from("\"");
    for p in &text.parts {
        match p {
            Part::Lit(s) => {
                for c in s.chars() {
                    if matches!(c, '"' | '\\' | '$' | '`') {
                        out.push('\\');
                    }
                    out.push(c);
                }
            }
            p => out.push_str(&shell_expansion(p)),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(parts: Vec<Part>) -> Text {
        Text { parts }
    }
    fn lit(s: &str) -> Part {
        Part::Lit(s.into())
    }

    #[test]
    fn gitlab_values_reference_variables() {
        let t = text(vec![
            lit("python:"),
            Part::Matrix("python".into()),
            lit("-slim $HOME"),
        ]);
        assert_eq!(
            gitlab_value(&t).as_deref(),
            Some("python:${PIPEC_MATRIX_PYTHON}-slim $$HOME")
        );
        let t = text(vec![
            Part::Ci(CiVar::RefName),
            lit(": "),
            Part::Ci(CiVar::RunUrl),
        ]);
        assert_eq!(
            gitlab_value(&t).as_deref(),
            Some("${CI_COMMIT_REF_NAME}: ${CI_PIPELINE_URL}")
        );
        assert_eq!(gitlab_value(&text(vec![Part::Ci(CiVar::ShortSha)])), None);
    }

    #[test]
    fn server_expanded_fields_refuse_literal_references() {
        let t = text(vec![lit("runner-"), Part::Matrix("os".into())]);
        assert_eq!(server_value(&t), Ok("runner-${PIPEC_MATRIX_OS}".into()));
        assert_eq!(
            server_value(&text(vec![lit("x$CI_JOB_TOKEN")])),
            Err(Unwritable::Expanded("$CI_JOB_TOKEN".into()))
        );
        assert_eq!(
            server_value(&text(vec![lit("https://x/caf%C3%A9")])),
            Err(Unwritable::Expanded("%C3%".into()))
        );
        assert_eq!(
            server_value(&text(vec![lit("https://x/a%20b")])),
            Ok("https://x/a%20b".into())
        );
        assert_eq!(
            server_value(&text(vec![Part::Ci(CiVar::ShortSha)])),
            Err(Unwritable::ShortSha)
        );
    }

    #[test]
    fn script_parts_stay_one_literal_word() {
        let env = Part::Input("env".into());
        let unquoted = text(vec![lit("deploy "), env.clone(), lit(" now")]);
        assert_eq!(script(&unquoted), "deploy \"${PIPEC_INPUT_ENV:-}\" now");
        let double = text(vec![lit("echo \"to "), env.clone(), lit("\"")]);
        assert_eq!(script(&double), "echo \"to ${PIPEC_INPUT_ENV:-}\"");
        let single = text(vec![lit("echo 'to "), env.clone(), lit("'")]);
        assert_eq!(script(&single), "echo 'to '\"${PIPEC_INPUT_ENV:-}\"''");
        let escaped = text(vec![lit("echo \\' "), env, lit("")]);
        assert_eq!(script(&escaped), "echo \\' \"${PIPEC_INPUT_ENV:-}\"");
    }

    #[test]
    fn scripts_run_in_a_shell() {
        // The rendered script prints the value unchanged, whatever it holds.
        let value = "a b'c\"d$(touch x)*";
        for t in [
            text(vec![lit("printf '%s' "), Part::Input("v".into())]),
            text(vec![
                lit("printf '%s' \""),
                Part::Input("v".into()),
                lit("\""),
            ]),
            text(vec![
                lit("printf '%s' 'x"),
                Part::Input("v".into()),
                lit("'"),
            ]),
        ] {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(script(&t))
                .env("PIPEC_INPUT_V", value)
                .current_dir(std::env::temp_dir())
                .output()
                .expect("sh runs");
            let printed = String::from_utf8_lossy(&out.stdout);
            assert!(printed.ends_with(value), "{printed:?}");
        }
        let word = shell_word(&text(vec![lit("a \"$b\" "), Part::Ci(CiVar::ShortSha)]));
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf '%s' {word}"))
            .env("CI_COMMIT_SHA", "0123456789abcdef")
            .output()
            .expect("sh runs");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "a \"$b\" 0123456");
    }
}
