//! GitHub Actions expressions: run conditions (`Cond`) as `if:` expressions,
//! and run-time values (`Text`) for the fields that accept `${{ … }}`.
//!
//! Expressions cannot match globs, so a pattern becomes `==`, `startsWith`
//! and `endsWith` tests on `github.ref` (which also says whether the run is for
//! a branch, a tag or a pull request) and `github.ref_name`. A pattern these
//! cannot express exactly is reported, never approximated.

use pipec_graph::{CiVar, Cond, Event, Glob, Input, InputKind, Part, Text};

/// A single-quoted string literal.
pub fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `${{ expr }}`.
pub fn fenced(expr: &str) -> String {
    format!("${{{{ {expr} }}}}")
}

/// An `if:` value: the bare expression when YAML reads it as a plain
/// scalar, else `${{ … }}`, which needs no quoting either.
pub fn if_value(expr: &str) -> String {
    if expr.starts_with("${{") || pipec_emit::yaml::is_plain_safe(expr) {
        expr.to_string()
    } else {
        fenced(expr)
    }
}

/// Holds in tag runs: the one test zizmor recognises as "this is a release".
pub const TAG_RUN: &str = "startsWith(github.ref, 'refs/tags/')";

/// An expression with how tightly it binds, so that parentheses are added only
/// where needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expr {
    pub text: String,
    prec: Prec,
    /// For an `&&`: its operands, so that nested conjunctions flatten and a
    /// test is written once.
    terms: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Prec {
    Or,
    And,
    /// `a == b`: an operand of `&&` as is, but not of `!`.
    Cmp,
    Atom,
}

impl Expr {
    pub fn atom(text: impl Into<String>) -> Expr {
        Expr {
            text: text.into(),
            prec: Prec::Atom,
            terms: Vec::new(),
        }
    }

    /// A comparison, `a == b`.
    pub fn cmp(text: impl Into<String>) -> Expr {
        Expr {
            prec: Prec::Cmp,
            ..Expr::atom(text)
        }
    }

    fn at_least(&self, prec: Prec) -> String {
        if self.prec >= prec {
            self.text.clone()
        } else {
            format!("({})", self.text)
        }
    }

    pub fn and(parts: Vec<Expr>) -> Expr {
        let mut terms: Vec<String> = Vec::new();
        for p in &parts {
            let own = if p.prec == Prec::And {
                p.terms.clone()
            } else {
                vec![p.at_least(Prec::And)]
            };
            for t in own {
                if !terms.contains(&t) {
                    terms.push(t);
                }
            }
        }
        if terms.is_empty() {
            return Expr::atom("true");
        }
        if terms.len() == 1 && parts.len() == 1 {
            return parts
                .into_iter()
                .next()
                .unwrap_or_else(|| Expr::atom("true"));
        }
        Expr {
            text: terms.join(" && "),
            prec: if terms.len() == 1 {
                Prec::Cmp
            } else {
                Prec::And
            },
            terms,
        }
    }

    pub fn or(mut parts: Vec<Expr>) -> Expr {
        if parts.is_empty() {
            return Expr::atom("false");
        }
        if parts.len() == 1 {
            return parts.remove(0);
        }
        Expr {
            text: parts
                .iter()
                .map(|p| p.at_least(Prec::Or))
                .collect::<Vec<_>>()
                .join(" || "),
            prec: Prec::Or,
            terms: Vec::new(),
        }
    }

    /// The text as an operand of `&&`: parenthesised when it is an `||`.
    pub fn operand(&self) -> String {
        self.at_least(Prec::And)
    }
}

impl std::ops::Not for Expr {
    type Output = Expr;

    fn not(self) -> Expr {
        Expr::atom(format!("!{}", self.at_least(Prec::Atom)))
    }
}

/// Why a condition has no exact GitHub expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inexpressible {
    pub pattern: String,
    pub reason: &'static str,
}

/// The `if:` expression for a condition; `None` when it always holds.
/// `inputs` are the pipeline's dispatch inputs, whose types decide how a value
/// is compared.
pub fn condition(cond: &Cond, inputs: &[Input]) -> Result<Option<Expr>, Inexpressible> {
    match cond {
        Cond::Always => Ok(None),
        c => to_expr(c, inputs).map(Some),
    }
}

fn to_expr(cond: &Cond, inputs: &[Input]) -> Result<Expr, Inexpressible> {
    Ok(match cond {
        Cond::Always => Expr::atom("true"),
        Cond::Never => Expr::atom("false"),
        Cond::Branch(globs) => Expr::or(
            globs
                .iter()
                .map(|g| ref_matches("refs/heads/", g))
                .collect::<Result<_, _>>()?,
        ),
        Cond::Tag(globs) if globs.is_empty() => Expr::atom(TAG_RUN),
        Cond::Tag(globs) => Expr::or(
            globs
                .iter()
                .map(|g| ref_matches("refs/tags/", g))
                .collect::<Result<_, _>>()?,
        ),
        Cond::Event(e) => event(*e),
        Cond::Input { name, value } => input_equals(name, value, inputs),
        Cond::Not(c) => !to_expr(c, inputs)?,
        Cond::All(cs) => Expr::and(
            cs.iter()
                .map(|c| to_expr(c, inputs))
                .collect::<Result<_, _>>()?,
        ),
        Cond::Any(cs) => Expr::or(
            cs.iter()
                .map(|c| to_expr(c, inputs))
                .collect::<Result<_, _>>()?,
        ),
    })
}

fn event(e: Event) -> Expr {
    match e {
        Event::Push => Expr::and(vec![
            Expr::cmp("github.event_name == 'push'"),
            Expr::atom("startsWith(github.ref, 'refs/heads/')"),
        ]),
        Event::Tag => Expr::and(vec![
            Expr::cmp("github.event_name == 'push'"),
            Expr::atom(TAG_RUN),
        ]),
        Event::PullRequest => Expr::cmp("github.event_name == 'pull_request'"),
        Event::Schedule => Expr::cmp("github.event_name == 'schedule'"),
        Event::Dispatch => Expr::cmp("github.event_name == 'workflow_dispatch'"),
    }
}

/// `inputs.x == v`, typed as the input is declared, and only in dispatch runs:
/// elsewhere `inputs.x` is null, which GitHub's loose `==` equates with
/// `false` and `0`.
fn input_equals(name: &str, value: &str, inputs: &[Input]) -> Expr {
    let kind = inputs.iter().find(|i| i.name == name).map(|i| &i.kind);
    let rhs = match kind {
        Some(InputKind::Bool) if matches!(value, "true" | "false") => value.to_string(),
        Some(InputKind::Number) if value.parse::<f64>().is_ok_and(f64::is_finite) => {
            value.to_string()
        }
        _ => lit(value),
    };
    Expr::and(vec![
        Expr::cmp("github.event_name == 'workflow_dispatch'"),
        Expr::cmp(format!("inputs.{name} == {rhs}")),
    ])
}

/// Whether the run's ref is `prefix` + a name matching `glob`.
fn ref_matches(prefix: &str, glob: &Glob) -> Result<Expr, Inexpressible> {
    let p = glob.as_str();
    let fail = |reason| Inexpressible {
        pattern: p.to_string(),
        reason,
    };
    if p.contains('?') {
        return Err(fail(
            "`?` (exactly one character) has no expression equivalent",
        ));
    }
    let of_kind = Expr::atom(format!("startsWith(github.ref, {})", lit(prefix)));
    let no_slash = Expr::atom("!contains(github.ref_name, '/')");
    let stars = p.matches('*').count();
    if stars == 0 {
        return Ok(Expr::cmp(format!(
            "github.ref == {}",
            lit(&format!("{prefix}{p}"))
        )));
    }
    if let Some(head) = p.strip_suffix("**")
        && !head.contains('*')
    {
        return Ok(Expr::atom(format!(
            "startsWith(github.ref, {})",
            lit(&format!("{prefix}{head}"))
        )));
    }
    if let Some(tail) = p.strip_prefix("**")
        && !tail.contains('*')
    {
        return Ok(Expr::and(vec![
            of_kind,
            Expr::atom(format!("endsWith(github.ref_name, {})", lit(tail))),
        ]));
    }
    if stars == 1 {
        // A single `*` matches within one path segment: exact only when the
        // whole name is that segment, i.e. the literal part has no `/`.
        if p.contains('/') {
            return Err(fail(
                "`*` after a `/` stops at the next `/`, which expressions cannot test",
            ));
        }
        let (head, tail) = p.split_once('*').unwrap_or((p, ""));
        let mut parts = vec![Expr::atom(format!(
            "startsWith(github.ref, {})",
            lit(&format!("{prefix}{head}"))
        ))];
        if !tail.is_empty() {
            if !head.is_empty() {
                // `a*a` needs two characters, `startsWith` and `endsWith` could
                // share one.
                return Err(fail("a pattern with text on both sides of `*`"));
            }
            parts.push(Expr::atom(format!(
                "endsWith(github.ref_name, {})",
                lit(tail)
            )));
        }
        parts.push(no_slash);
        return Ok(Expr::and(parts));
    }
    Err(fail("more than one wildcard"))
}

/// How a run-time part of a [`Text`] reads inside an expression.
pub fn part_expr(part: &Part) -> Option<String> {
    Some(match part {
        Part::Lit(_) => return None,
        Part::Matrix(axis) => format!("matrix.{axis}"),
        Part::Input(name) => format!("inputs.{name}"),
        // The archive a job downloads is loaded into Docker under this name.
        Part::Image(name) => lit(&format!("{name}:ci")),
        Part::ImageSource(name) => lit(&image_source(name)),
        Part::Ci(v) => match v {
            CiVar::Sha => "github.sha".into(),
            // Expressions have no substring function.
            CiVar::ShortSha => return None,
            CiVar::Branch => "github.event_name == 'pull_request' && github.head_ref || github.ref_type == 'branch' && github.ref_name || ''".into(),
            CiVar::Tag => "github.ref_type == 'tag' && github.ref_name || ''".into(),
            CiVar::RefName => "github.head_ref || github.ref_name".into(),
            CiVar::Repository => "github.repository".into(),
            CiVar::RunId => "github.run_id".into(),
            CiVar::RunUrl => {
                "format('{0}/{1}/actions/runs/{2}', github.server_url, github.repository, github.run_id)"
                    .into()
            }
        },
    })
}

/// Trivy's argument for an image a job has as the build's archive.
fn image_source(name: &str) -> String {
    format!("--input {name}.tar")
}

/// A run-time part as the text of a field value: `${{ … }}`. The run URL is
/// three expressions joined by literal text, which needs no quotes inside.
fn part_value(part: &Part) -> Option<String> {
    match part {
        Part::Image(name) => Some(format!("{name}:ci")),
        Part::ImageSource(name) => Some(image_source(name)),
        Part::Ci(CiVar::RunUrl) => Some(
            "${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}"
                .into(),
        ),
        p => part_expr(p).map(|e| fenced(&e)),
    }
}

/// Literal text for a field GitHub evaluates expressions in (every value of
/// a job but `run:` scripts and `uses:`): a `${{` written in the program
/// would open an expression, so it is written as an expression that yields
/// the characters.
pub fn escape_literal(s: &str) -> String {
    s.replace("${{", "${{ '${{' }}")
}

/// A text for a field that accepts expressions (`env:` values, action
/// inputs, images, names, `runs-on`): literal parts escaped
/// ([`escape_literal`]), run-time parts as `${{ … }}`. `None` when a part has
/// no expression (`ci.short_sha`).
pub fn text_value(text: &Text) -> Option<String> {
    let mut out = String::new();
    for part in &text.parts {
        match part {
            Part::Lit(s) => out.push_str(&escape_literal(s)),
            p => out.push_str(&part_value(p)?),
        }
    }
    Some(out)
}

/// The environment variable a script reads a run-time part from, and its
/// value. `ci.short_sha` is read from `PIPEC_SHA`.
pub fn part_env(part: &Part) -> Option<(String, String)> {
    match part {
        Part::Ci(CiVar::ShortSha) => part_env(&Part::Ci(CiVar::Sha)),
        p => Some((pipec_emit::release::run_var(p)?, part_value(p)?)),
    }
}

/// Where a point of a shell script is, as far as quoting goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quoting {
    Unquoted,
    Single,
    Double,
}

/// The quoting at the end of `text`, starting from `state`. Backslash escapes
/// and both kinds of quotes are followed; command substitutions are not.
fn quoting_after(mut state: Quoting, text: &str) -> Quoting {
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        state = match (state, c) {
            (Quoting::Unquoted, '\\') | (Quoting::Double, '\\') => {
                chars.next();
                state
            }
            (Quoting::Unquoted, '\'') => Quoting::Single,
            (Quoting::Unquoted, '"') => Quoting::Double,
            (Quoting::Single, '\'') | (Quoting::Double, '"') => Quoting::Unquoted,
            (s, _) => s,
        };
    }
    state
}

/// A text inside a shell script: run-time parts become variables the step's
/// `env:` sets (collected into `env`), so no expression reaches the script.
/// Each variable is quoted for where it stands: as `"$VAR"` outside quotes,
/// as `$VAR` inside double quotes, and by closing and reopening single quotes.
pub fn text_script(text: &Text, env: &mut Vec<(String, String)>) -> String {
    let mut out = String::new();
    let mut quoting = Quoting::Unquoted;
    for part in &text.parts {
        match part {
            Part::Lit(s) => {
                out.push_str(s);
                quoting = quoting_after(quoting, s);
            }
            // Two words, fixed by pipec: written as they are.
            Part::ImageSource(name) => out.push_str(&image_source(name)),
            p => {
                let Some((name, value)) = part_env(p) else {
                    continue;
                };
                if !env.iter().any(|(n, _)| *n == name) {
                    env.push((name.clone(), value));
                }
                let word = if matches!(p, Part::Ci(CiVar::ShortSha)) {
                    format!("$(printf '%.7s' \"${{{name}}}\")")
                } else {
                    format!("${{{name}}}")
                };
                match quoting {
                    Quoting::Double => out.push_str(&word),
                    Quoting::Unquoted => out.push_str(&format!("\"{word}\"")),
                    Quoting::Single => out.push_str(&format!("'\"{word}\"'")),
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(s: &str) -> Glob {
        Glob(s.into())
    }

    fn cond(c: Cond) -> String {
        condition(&c, &[]).unwrap().unwrap().text
    }

    #[test]
    fn branch_and_tag_names() {
        assert_eq!(
            cond(Cond::Branch(vec![g("main"), g("develop")])),
            "github.ref == 'refs/heads/main' || github.ref == 'refs/heads/develop'"
        );
        assert_eq!(
            cond(Cond::Tag(vec![g("v*")])),
            "startsWith(github.ref, 'refs/tags/v') && !contains(github.ref_name, '/')"
        );
        assert_eq!(cond(Cond::Tag(vec![])), TAG_RUN);
        assert_eq!(
            cond(Cond::Branch(vec![g("release/**")])),
            "startsWith(github.ref, 'refs/heads/release/')"
        );
        assert_eq!(
            cond(Cond::Branch(vec![g("**-hotfix")])),
            "startsWith(github.ref, 'refs/heads/') && endsWith(github.ref_name, '-hotfix')"
        );
        assert_eq!(
            cond(Cond::Tag(vec![g("*-rc")])),
            "startsWith(github.ref, 'refs/tags/') && endsWith(github.ref_name, '-rc') && !contains(github.ref_name, '/')"
        );
        assert_eq!(
            cond(Cond::Branch(vec![g("it's")])),
            "github.ref == 'refs/heads/it''s'"
        );
    }

    #[test]
    fn patterns_without_an_exact_expression_are_refused() {
        for p in ["release/*", "v?", "a*b", "*/*", "v*.*"] {
            let r = condition(&Cond::Branch(vec![g(p)]), &[]);
            assert!(r.is_err(), "{p}: {r:?}");
        }
    }

    #[test]
    fn precedence_and_negation() {
        let c = Cond::All(vec![
            Cond::Any(vec![Cond::Branch(vec![g("main")]), Cond::Tag(vec![])]),
            Cond::Not(Box::new(Cond::Event(Event::Schedule))),
        ]);
        assert_eq!(
            cond(c),
            "(github.ref == 'refs/heads/main' || startsWith(github.ref, 'refs/tags/')) && !(github.event_name == 'schedule')"
        );
        assert_eq!(
            cond(Cond::Not(Box::new(Cond::Branch(vec![g("a"), g("b")])))),
            "!(github.ref == 'refs/heads/a' || github.ref == 'refs/heads/b')"
        );
        assert_eq!(condition(&Cond::Always, &[]).unwrap(), None);
        assert_eq!(cond(Cond::Never), "false");
    }

    #[test]
    fn inputs_compare_by_their_type_and_only_in_dispatch_runs() {
        let input = |name: &str, kind| Input {
            name: name.into(),
            kind,
            default: None,
            span: Default::default(),
        };
        let inputs = [
            input("dry_run", InputKind::Bool),
            input("count", InputKind::Number),
            input("env", InputKind::Environment(vec!["dev".into()])),
        ];
        let c = |name: &str, value: &str| {
            condition(
                &Cond::Input {
                    name: name.into(),
                    value: value.into(),
                },
                &inputs,
            )
            .unwrap()
            .unwrap()
            .text
        };
        assert_eq!(
            c("dry_run", "false"),
            "github.event_name == 'workflow_dispatch' && inputs.dry_run == false"
        );
        assert_eq!(
            c("count", "3"),
            "github.event_name == 'workflow_dispatch' && inputs.count == 3"
        );
        assert_eq!(
            c("env", "dev"),
            "github.event_name == 'workflow_dispatch' && inputs.env == 'dev'"
        );
        // A test already made is not repeated.
        let both = Cond::All(vec![
            Cond::Event(Event::Dispatch),
            Cond::Input {
                name: "dry_run".into(),
                value: "true".into(),
            },
        ]);
        assert_eq!(
            condition(&both, &inputs).unwrap().unwrap().text,
            "github.event_name == 'workflow_dispatch' && inputs.dry_run == true"
        );
    }

    #[test]
    fn texts_reach_scripts_through_the_environment() {
        let t = Text {
            parts: vec![
                Part::Lit("pytest --python ".into()),
                Part::Matrix("python".into()),
                Part::Lit(" sha-".into()),
                Part::Ci(CiVar::ShortSha),
            ],
        };
        let mut env = Vec::new();
        assert_eq!(
            text_script(&t, &mut env),
            "pytest --python \"${PIPEC_MATRIX_PYTHON}\" sha-\"$(printf '%.7s' \"${PIPEC_SHA}\")\""
        );
        assert_eq!(
            env,
            [
                (
                    "PIPEC_MATRIX_PYTHON".to_string(),
                    "${{ matrix.python }}".to_string()
                ),
                ("PIPEC_SHA".to_string(), "${{ github.sha }}".to_string()),
            ]
        );
        assert_eq!(text_value(&t), None);
        let quoted = |before: &str, after: &str| {
            let t = Text {
                parts: vec![
                    Part::Lit(before.into()),
                    Part::Input("who".into()),
                    Part::Lit(after.into()),
                ],
            };
            text_script(&t, &mut Vec::new())
        };
        assert_eq!(quoted("echo \"hi ", "\""), "echo \"hi ${PIPEC_INPUT_WHO}\"");
        assert_eq!(
            quoted("echo 'hi ", "'"),
            "echo 'hi '\"${PIPEC_INPUT_WHO}\"''"
        );
        assert_eq!(quoted("echo \\\" ", ""), "echo \\\" \"${PIPEC_INPUT_WHO}\"");
        let v = Text {
            parts: vec![Part::Lit("${{ x }} ".into()), Part::Ci(CiVar::Repository)],
        };
        assert_eq!(
            text_value(&v).unwrap(),
            "${{ '${{' }} x }} ${{ github.repository }}"
        );
    }
}
