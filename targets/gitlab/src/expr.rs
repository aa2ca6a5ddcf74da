//! Run conditions as GitLab `rules:if` expressions.
//!
//! GitLab's expression language has `==`, `!=`, `=~`, `!~`, `&&`, `||`,
//! parentheses and bare `$VAR` (set and non-empty), but no negation, so a
//! [`Cond`] is first put in negation normal form: each `Not` is pushed down to
//! the atoms, which have a negated form of their own.
//!
//! | condition | GitLab |
//! | --- | --- |
//! | `branch in [main]` | `$CI_COMMIT_BRANCH =~ /^main$/` (unset in tag and merge request pipelines) |
//! | `tag "v*"` | `$CI_COMMIT_TAG =~ /^v[^\/]*$/` |
//! | `event push` | `$CI_PIPELINE_SOURCE == "push" && $CI_COMMIT_BRANCH` |
//! | `event pull_request` | `$CI_PIPELINE_SOURCE == "merge_request_event"` |
//! | `event schedule` | `$CI_PIPELINE_SOURCE == "schedule"` |
//! | `event dispatch` | `$CI_PIPELINE_SOURCE =~ /^(web|api)$/` |
//! | `inputs.x == "v"` | `$CI_PIPELINE_SOURCE =~ /^(web|api)$/ && $PIPEC_INPUT_X == "v"` |
//!
//! GitLab's string literals have no escapes (`"…"` ends at the next `"`,
//! `'…'` at the next `'`), and GitLab releases before 18.5 expand variables
//! inside them. A value that one of them cannot carry as it is — it holds
//! both quotes, or a `$` or `%` — is compared through an anchored regular
//! expression with its punctuation written as `\xHH` escapes, which RE2,
//! Ruby and JavaScript read alike and in which no quote, `$NAME` or
//! `%NAME%` remains (`=~ /^a\x24b$/`). A value with a line break or another
//! control character cannot be written in an expression at all
//! ([`writable_value`]; E0428).

use pipec_graph::{Cond, Event, Glob};

use crate::text::input_var;

/// A boolean expression over GitLab variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    Const(bool),
    Atom(String),
    All(Vec<Expr>),
    Any(Vec<Expr>),
}

/// How a pipeline started by hand shows in `CI_PIPELINE_SOURCE`: the "Run
/// pipeline" form (`web`) or the pipelines API (`api`).
pub const DISPATCH: &str = "$CI_PIPELINE_SOURCE =~ /^(web|api)$/";
pub const NOT_DISPATCH: &str = "$CI_PIPELINE_SOURCE !~ /^(web|api)$/";
pub const MERGE_REQUEST: &str = "$CI_PIPELINE_SOURCE == \"merge_request_event\"";

/// A GitLab regular expression literal matching any of the globs (anchored;
/// `/` escaped for the `/…/` delimiters).
pub fn regex_literal(globs: &[Glob]) -> String {
    let alternatives: Vec<String> = globs.iter().map(|g| g.to_regex()).collect();
    let mut unique: Vec<String> = Vec::new();
    for a in alternatives {
        if !unique.contains(&a) {
            unique.push(a);
        }
    }
    format!("/{}/", unique.join("|").replace('/', "\\/"))
}

/// Whether `inputs.NAME == value` can be written in a `rules:if`.
pub fn writable_value(value: &str) -> bool {
    !value.chars().any(|c| {
        c.is_control() || pipec_emit::yaml::is_line_break(c) || pipec_emit::yaml::is_hidden(c)
    })
}

/// `$VAR == value` (or `!=`): a string literal when one can carry the value
/// as it is, else an anchored regular expression.
fn compare(var: &str, value: &str, equal: bool) -> String {
    let plain = !value.contains(['$', '%']);
    if plain && !value.contains('"') {
        let op = if equal { "==" } else { "!=" };
        return format!("${var} {op} \"{value}\"");
    }
    if plain && !value.contains('\'') {
        let op = if equal { "==" } else { "!=" };
        return format!("${var} {op} '{value}'");
    }
    let mut re = String::from("/^");
    for c in value.chars() {
        match c {
            '/' => re.push_str("\\/"),
            c if c.is_ascii_punctuation() && !matches!(c, '_' | '-') => {
                re.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => re.push(c),
        }
    }
    re.push_str("$/");
    let op = if equal { "=~" } else { "!~" };
    format!("${var} {op} {re}")
}

fn atom(s: impl Into<String>) -> Expr {
    Expr::Atom(s.into())
}

impl Expr {
    pub fn all(items: Vec<Expr>) -> Expr {
        let mut out = Vec::new();
        for e in items {
            match e {
                Expr::Const(true) => {}
                Expr::Const(false) => return Expr::Const(false),
                Expr::All(inner) => out.extend(inner),
                e => out.push(e),
            }
        }
        match out.len() {
            0 => Expr::Const(true),
            1 => out.pop().unwrap_or(Expr::Const(true)),
            _ => Expr::All(out),
        }
    }

    pub fn any(items: Vec<Expr>) -> Expr {
        let mut out = Vec::new();
        for e in items {
            match e {
                Expr::Const(false) => {}
                Expr::Const(true) => return Expr::Const(true),
                Expr::Any(inner) => out.extend(inner),
                e => out.push(e),
            }
        }
        match out.len() {
            0 => Expr::Const(false),
            1 => out.pop().unwrap_or(Expr::Const(false)),
            _ => Expr::Any(out),
        }
    }

    /// The expression text; `None` for a constant, which needs no `if:`.
    pub fn render(&self) -> Option<String> {
        match self {
            Expr::Const(_) => None,
            _ => Some(self.render_in(false)),
        }
    }

    fn render_in(&self, inside_all: bool) -> String {
        match self {
            Expr::Const(b) => b.to_string(),
            Expr::Atom(s) => s.clone(),
            Expr::All(items) => items
                .iter()
                .map(|e| e.render_in(true))
                .collect::<Vec<_>>()
                .join(" && "),
            Expr::Any(items) => {
                let s = items
                    .iter()
                    .map(|e| e.render_in(false))
                    .collect::<Vec<_>>()
                    .join(" || ");
                if inside_all { format!("({s})") } else { s }
            }
        }
    }
}

/// The condition as an expression.
pub fn from_cond(c: &Cond) -> Expr {
    lower(c, true, false)
}

/// The condition as an expression of a child pipeline (`child`), where
/// `CI_PIPELINE_SOURCE` is `parent_pipeline` and the kind of run is the
/// `PIPEC_EVENT` the parent passes down; else as [`from_cond`].
pub fn from_cond_in(c: &Cond, child: bool) -> Expr {
    lower(c, true, child)
}

/// The test for merge request pipelines, in a child pipeline or not.
pub fn merge_request(child: bool) -> &'static str {
    if child {
        CHILD_MERGE_REQUEST
    } else {
        MERGE_REQUEST
    }
}

/// A child pipeline's merge request test: its parent's `PIPEC_EVENT`.
pub const CHILD_MERGE_REQUEST: &str = "$PIPEC_EVENT == \"pull_request\"";

fn lower(c: &Cond, positive: bool, child: bool) -> Expr {
    match c {
        Cond::Always => Expr::Const(positive),
        Cond::Never => Expr::Const(!positive),
        Cond::Not(inner) => lower(inner, !positive, child),
        Cond::All(cs) => {
            let items = cs.iter().map(|c| lower(c, positive, child)).collect();
            if positive {
                Expr::all(items)
            } else {
                Expr::any(items)
            }
        }
        Cond::Any(cs) => {
            let items = cs.iter().map(|c| lower(c, positive, child)).collect();
            if positive {
                Expr::any(items)
            } else {
                Expr::all(items)
            }
        }
        Cond::Branch(globs) => name_matches("CI_COMMIT_BRANCH", globs, positive, false),
        Cond::Tag(globs) => name_matches("CI_COMMIT_TAG", globs, positive, true),
        Cond::Event(e) if child => child_event(*e, positive),
        Cond::Event(e) => event(*e, positive),
        Cond::Input { name, value } => {
            let var = input_var(name);
            let (dispatch, not_dispatch) = if child {
                (
                    child_event(Event::Dispatch, true),
                    child_event(Event::Dispatch, false),
                )
            } else {
                (atom(DISPATCH), atom(NOT_DISPATCH))
            };
            if positive {
                Expr::all(vec![dispatch, atom(compare(&var, value, true))])
            } else {
                Expr::any(vec![not_dispatch, atom(compare(&var, value, false))])
            }
        }
    }
}

/// `$VAR =~ /re/`, or its negation, which also holds when `VAR` is unset. An
/// empty tag list means any tag; an empty branch list matches nothing.
fn name_matches(var: &str, globs: &[Glob], positive: bool, empty_is_any: bool) -> Expr {
    if globs.is_empty() {
        return match (empty_is_any, positive) {
            (true, true) => atom(format!("${var}")),
            (true, false) => atom(format!("${var} == null")),
            (false, p) => Expr::Const(!p),
        };
    }
    let re = regex_literal(globs);
    if positive {
        atom(format!("${var} =~ {re}"))
    } else {
        Expr::any(vec![
            atom(format!("${var} == null")),
            atom(format!("${var} !~ {re}")),
        ])
    }
}

fn event(e: Event, positive: bool) -> Expr {
    let source = |s: &str| {
        if positive {
            atom(format!("$CI_PIPELINE_SOURCE == \"{s}\""))
        } else {
            atom(format!("$CI_PIPELINE_SOURCE != \"{s}\""))
        }
    };
    match (e, positive) {
        // A tag push is a `push` too; only branch pushes are push events here.
        (Event::Push, true) => Expr::all(vec![source("push"), atom("$CI_COMMIT_BRANCH")]),
        (Event::Push, false) => Expr::any(vec![source("push"), atom("$CI_COMMIT_BRANCH == null")]),
        (Event::PullRequest, _) => source("merge_request_event"),
        (Event::Tag, true) => atom("$CI_COMMIT_TAG"),
        (Event::Tag, false) => atom("$CI_COMMIT_TAG == null"),
        (Event::Schedule, _) => source("schedule"),
        (Event::Dispatch, true) => atom(DISPATCH),
        (Event::Dispatch, false) => atom(NOT_DISPATCH),
    }
}

/// An event in a child pipeline: the `PIPEC_EVENT` its parent's rules set
/// (`push` for branch pushes only, as [`event`] tests them).
fn child_event(e: Event, positive: bool) -> Expr {
    let name = match e {
        Event::Push => "push",
        Event::PullRequest => "pull_request",
        Event::Tag => "tag",
        Event::Schedule => "schedule",
        Event::Dispatch => "dispatch",
    };
    let op = if positive { "==" } else { "!=" };
    atom(format!("$PIPEC_EVENT {op} \"{name}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(s: &str) -> Glob {
        Glob(s.into())
    }
    fn render(c: &Cond) -> Option<String> {
        from_cond(c).render()
    }

    #[test]
    fn branches_and_tags_become_anchored_regexes() {
        assert_eq!(
            render(&Cond::Branch(vec![g("main"), g("release/*")])).as_deref(),
            Some("$CI_COMMIT_BRANCH =~ /^main$|^release\\/[^\\/]*$/")
        );
        assert_eq!(
            render(&Cond::Tag(vec![g("v*")])).as_deref(),
            Some("$CI_COMMIT_TAG =~ /^v[^\\/]*$/")
        );
        assert_eq!(
            render(&Cond::Tag(vec![])).as_deref(),
            Some("$CI_COMMIT_TAG")
        );
        assert_eq!(render(&Cond::Always), None);
        assert_eq!(from_cond(&Cond::Branch(vec![])), Expr::Const(false));
    }

    #[test]
    fn negation_is_pushed_to_the_atoms() {
        let c = Cond::Not(Box::new(Cond::Any(vec![
            Cond::Branch(vec![g("main")]),
            Cond::Event(Event::PullRequest),
        ])));
        assert_eq!(
            render(&c).as_deref(),
            Some(
                "($CI_COMMIT_BRANCH == null || $CI_COMMIT_BRANCH !~ /^main$/) && $CI_PIPELINE_SOURCE != \"merge_request_event\""
            )
        );
        let c = Cond::Not(Box::new(Cond::Not(Box::new(Cond::Tag(vec![g("v*")])))));
        assert_eq!(render(&c), render(&Cond::Tag(vec![g("v*")])));
    }

    #[test]
    fn mixed_conditions_keep_precedence() {
        let c = Cond::All(vec![
            Cond::Any(vec![
                Cond::Branch(vec![g("main"), g("develop")]),
                Cond::Tag(vec![g("v*")]),
            ]),
            Cond::Input {
                name: "target".into(),
                value: "prod".into(),
            },
        ]);
        assert_eq!(
            render(&c).as_deref(),
            Some(
                "($CI_COMMIT_BRANCH =~ /^main$|^develop$/ || $CI_COMMIT_TAG =~ /^v[^\\/]*$/) && $CI_PIPELINE_SOURCE =~ /^(web|api)$/ && $PIPEC_INPUT_TARGET == \"prod\""
            )
        );
        assert_eq!(
            render(&Cond::Event(Event::Push)).as_deref(),
            Some("$CI_PIPELINE_SOURCE == \"push\" && $CI_COMMIT_BRANCH")
        );
        assert_eq!(
            render(&Cond::Not(Box::new(Cond::Event(Event::Push)))).as_deref(),
            Some("$CI_PIPELINE_SOURCE != \"push\" || $CI_COMMIT_BRANCH == null")
        );
    }

    #[test]
    fn constants_fold() {
        let c = Cond::All(vec![Cond::Always, Cond::Tag(vec![g("v*")])]);
        assert_eq!(render(&c), render(&Cond::Tag(vec![g("v*")])));
        let c = Cond::Any(vec![Cond::Never, Cond::Not(Box::new(Cond::Never))]);
        assert_eq!(from_cond(&c), Expr::Const(true));
    }

    #[test]
    fn input_values_stay_inside_their_literal() {
        let c = |value: &str| {
            render(&Cond::Input {
                name: "who".into(),
                value: value.into(),
            })
            .unwrap()
            .trim_start_matches(DISPATCH)
            .trim_start_matches(" && ")
            .to_string()
        };
        assert_eq!(c("prod"), "$PIPEC_INPUT_WHO == \"prod\"");
        assert_eq!(c("a\"b"), "$PIPEC_INPUT_WHO == 'a\"b'");
        assert_eq!(
            c("a\"' || $CI_COMMIT_BRANCH || 'x"),
            "$PIPEC_INPUT_WHO =~ /^a\\x22\\x27 \\x7c\\x7c \\x24CI_COMMIT_BRANCH \\x7c\\x7c \\x27x$/"
        );
        assert_eq!(c("$HOME"), "$PIPEC_INPUT_WHO =~ /^\\x24HOME$/");
        assert_eq!(c("a/b%c%"), "$PIPEC_INPUT_WHO =~ /^a\\/b\\x25c\\x25$/");
        assert!(!writable_value("a\rb") && !writable_value("a\u{85}") && writable_value("a'\"$"));
    }
}
