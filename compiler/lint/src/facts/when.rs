//! Run conditions in a reduced form that admits "unknown", and the sample runs
//! they are evaluated on.
//!
//! A `.pipe` condition converts exactly; a GitHub `if:` or a GitLab rule keeps
//! what the linter understands (refs, events) and turns the rest into
//! [`When::Unknown`]. Evaluation is three-valued, and rules report only what
//! definitely happens, so an unknown condition never produces a finding.

use pipec_graph::{Cond, Event, Glob};

use super::{Pattern, Trigger};

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RunEvent {
    /// Commits pushed to a branch.
    Push,
    /// A tag pushed.
    Tag,
    /// A pull (merge) request from a branch of the same repository or a fork.
    PullRequest,
    /// `pull_request_target`: a pull request, with the base repository's
    /// secrets and token.
    PullRequestTarget,
    Schedule,
    /// Started by hand (`workflow_dispatch`, GitLab "Run pipeline").
    Dispatch,
    /// A GitHub release was published (runs on its tag).
    Release,
    /// `workflow_run`, `issue_comment` and other events that run on the
    /// default branch with the base repository's privileges.
    Privileged,
}

/// One kind of run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub event: RunEvent,
    /// The branch of a push, schedule or dispatch; the target (base) branch of
    /// a pull request.
    pub branch: Option<String>,
    /// The tag of a tag push or release.
    pub tag: Option<String>,
}

impl Run {
    /// A run for a tag: a release.
    pub fn is_release(&self) -> bool {
        self.tag.is_some()
    }

    /// A run whose code comes from someone who may not be trusted.
    pub fn is_pull_request(&self) -> bool {
        matches!(
            self.event,
            RunEvent::PullRequest | RunEvent::PullRequestTarget
        )
    }

    /// The branch whose code runs, for pushes and other branch runs.
    pub fn own_branch(&self) -> Option<&str> {
        if self.is_pull_request() {
            None
        } else {
            self.branch.as_deref()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum When {
    #[default]
    Always,
    Never,
    /// A run of a matching branch (not a pull request, not a tag).
    Branch(Vec<Pattern>),
    /// A run for a matching tag (any tag when empty).
    Tag(Vec<Pattern>),
    /// A pull request targeting a matching branch (any when empty).
    PullRequestTo(Vec<Pattern>),
    Event(RunEvent),
    /// A CI/CD variable is set (GitLab `$NAME`), whose value the linter does
    /// not know: unknown in any run, but a rule that needs it and one that
    /// excludes it never hold together.
    Var(String),
    Not(Box<When>),
    All(Vec<When>),
    Any(Vec<When>),
    /// Something the linter does not evaluate.
    Unknown,
}

impl When {
    pub fn and(self, other: When) -> When {
        match (self, other) {
            (When::Always, c) | (c, When::Always) => c,
            (When::Never, _) | (_, When::Never) => When::Never,
            (When::All(mut a), c) => {
                a.push(c);
                When::All(a)
            }
            (a, b) => When::All(vec![a, b]),
        }
    }

    pub fn or(self, other: When) -> When {
        match (self, other) {
            (When::Never, c) | (c, When::Never) => c,
            (When::Always, _) | (_, When::Always) => When::Always,
            (When::Any(mut a), c) => {
                a.push(c);
                When::Any(a)
            }
            (a, b) => When::Any(vec![a, b]),
        }
    }

    pub fn negate(self) -> When {
        match self {
            When::Always => When::Never,
            When::Never => When::Always,
            When::Not(c) => *c,
            When::Unknown => When::Unknown,
            c => When::Not(Box::new(c)),
        }
    }

    pub fn branch(name: &str) -> When {
        When::Branch(vec![Pattern::Glob(Glob(name.to_string()))])
    }

    /// Three-valued evaluation: `None` when it depends on what is unknown.
    pub fn eval(&self, run: &Run) -> Option<bool> {
        match self {
            When::Always => Some(true),
            When::Never => Some(false),
            When::Unknown | When::Var(_) => None,
            When::Branch(p) => match run.own_branch() {
                None => Some(false),
                Some(b) => any_match(p, b, false),
            },
            When::Tag(p) => match &run.tag {
                None => Some(false),
                Some(t) => any_match(p, t, true),
            },
            When::PullRequestTo(p) => match (&run.branch, run.is_pull_request()) {
                (Some(b), true) => any_match(p, b, true),
                _ => Some(false),
            },
            When::Event(e) => Some(run.event == *e),
            When::Not(c) => c.eval(run).map(|b| !b),
            When::All(cs) => {
                let mut unknown = false;
                for c in cs {
                    match c.eval(run) {
                        Some(false) => return Some(false),
                        None => unknown = true,
                        Some(true) => {}
                    }
                }
                (!unknown).then_some(true)
            }
            When::Any(cs) => {
                let mut unknown = false;
                for c in cs {
                    match c.eval(run) {
                        Some(true) => return Some(true),
                        None => unknown = true,
                        Some(false) => {}
                    }
                }
                (!unknown).then_some(false)
            }
        }
    }

    /// Whether the two conditions can never hold in the same run: one needs a
    /// variable the other excludes.
    pub fn excludes(&self, other: &When) -> bool {
        fn conjuncts<'a>(w: &'a When, out: &mut Vec<&'a When>) {
            match w {
                When::All(cs) => cs.iter().for_each(|c| conjuncts(c, out)),
                c => out.push(c),
            }
        }
        let mut all = Vec::new();
        conjuncts(self, &mut all);
        conjuncts(other, &mut all);
        all.iter().any(|c| {
            matches!(c, When::Var(_))
                && all
                    .iter()
                    .any(|d| matches!(d, When::Not(n) if n.as_ref() == *c))
        })
    }

    /// Whether the condition definitely holds in `run`.
    pub fn holds(&self, run: &Run) -> bool {
        self.eval(run) == Some(true)
    }

    fn names(&self, branches: &mut Vec<String>, tags: &mut Vec<String>) {
        match self {
            When::Branch(p) | When::PullRequestTo(p) => {
                branches.extend(p.iter().filter_map(Pattern::example))
            }
            When::Tag(p) => tags.extend(p.iter().filter_map(Pattern::example)),
            When::Not(c) => c.names(branches, tags),
            When::All(cs) | When::Any(cs) => cs.iter().for_each(|c| c.names(branches, tags)),
            _ => {}
        }
    }
}

/// With an empty list meaning "any".
fn any_match(p: &[Pattern], name: &str, empty_is_any: bool) -> Option<bool> {
    if p.is_empty() {
        return Some(empty_is_any);
    }
    let mut unknown = false;
    for pat in p {
        match pat.matches(name) {
            Some(true) => return Some(true),
            None => unknown = true,
            Some(false) => {}
        }
    }
    (!unknown).then_some(false)
}

impl From<&Cond> for When {
    fn from(c: &Cond) -> When {
        let globs = |g: &[Glob]| g.iter().cloned().map(Pattern::Glob).collect();
        match c {
            Cond::Always => When::Always,
            Cond::Never => When::Never,
            Cond::Branch(g) => When::Branch(globs(g)),
            Cond::Tag(g) => When::Tag(globs(g)),
            Cond::Event(e) => When::Event(match e {
                Event::Push => RunEvent::Push,
                Event::PullRequest => RunEvent::PullRequest,
                Event::Tag => RunEvent::Tag,
                Event::Schedule => RunEvent::Schedule,
                Event::Dispatch => RunEvent::Dispatch,
            }),
            Cond::Input { .. } => When::Unknown,
            Cond::Not(c) => When::from(c.as_ref()).negate(),
            Cond::All(cs) => When::All(cs.iter().map(When::from).collect()),
            Cond::Any(cs) => When::Any(cs.iter().map(When::from).collect()),
        }
    }
}

/// Branch names every sample includes: the usual long-lived branches and one
/// that stands for any feature branch.
pub const FEATURE_BRANCH: &str = "feature/x";
const BRANCHES: [&str; 4] = ["main", "master", "develop", FEATURE_BRANCH];
const DEFAULT_BRANCH: &str = "main";

/// Representative runs of a pipeline: for each trigger, one run per branch or
/// tag name its filters and the jobs' conditions mention, plus names nobody
/// mentions.
pub fn sample_runs<'a>(
    triggers: &[Trigger],
    conditions: impl Iterator<Item = &'a When>,
) -> Vec<Run> {
    let mut branches: Vec<String> = BRANCHES.iter().map(|s| s.to_string()).collect();
    let mut tags: Vec<String> = vec!["v1.2.3".into(), "other-tag".into()];
    for c in conditions {
        c.names(&mut branches, &mut tags);
    }
    for t in triggers {
        branches.extend(t.branches.iter().filter_map(Pattern::example));
        if let Some(p) = &t.tags {
            tags.extend(p.iter().filter_map(Pattern::example));
        }
    }
    branches.sort();
    branches.dedup();
    tags.sort();
    tags.dedup();
    let matches = |pats: &[Pattern], name: &str| {
        pats.is_empty() || pats.iter().any(|p| p.matches(name) == Some(true))
    };
    let ignored = |pats: &[Pattern], name: &str| pats.iter().any(|p| p.matches(name) == Some(true));
    let mut runs = Vec::new();
    for t in triggers {
        let run = |event, branch: Option<&String>, tag: Option<&String>| Run {
            event,
            branch: branch.cloned(),
            tag: tag.cloned(),
        };
        match t.event {
            RunEvent::Push => runs.extend(
                branches
                    .iter()
                    .filter(|b| matches(&t.branches, b) && !ignored(&t.branches_ignore, b))
                    .map(|b| run(RunEvent::Push, Some(b), None)),
            ),
            RunEvent::Tag | RunEvent::Release => runs.extend(
                tags.iter()
                    .filter(|n| t.tags.as_deref().is_none_or(|p| matches(p, n)))
                    .map(|n| run(t.event, None, Some(n))),
            ),
            RunEvent::PullRequest | RunEvent::PullRequestTarget => runs.extend(
                branches
                    .iter()
                    .filter(|b| matches(&t.branches, b) && !ignored(&t.branches_ignore, b))
                    .map(|b| run(t.event, Some(b), None)),
            ),
            RunEvent::Dispatch => runs.extend(
                branches
                    .iter()
                    .filter(|b| matches(&t.branches, b))
                    .map(|b| run(RunEvent::Dispatch, Some(b), None)),
            ),
            RunEvent::Schedule | RunEvent::Privileged => {
                runs.push(run(t.event, Some(&DEFAULT_BRANCH.to_string()), None))
            }
        }
    }
    let mut unique: Vec<Run> = Vec::new();
    for r in runs {
        if !unique.contains(&r) {
            unique.push(r);
        }
    }
    unique
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loc::Loc;
    use pipec_diagnostics::Span;

    fn trig(event: RunEvent, branches: &[&str], tags: Option<&[&str]>) -> Trigger {
        let pats = |v: &[&str]| {
            v.iter()
                .map(|s| Pattern::Glob(Glob(s.to_string())))
                .collect()
        };
        Trigger {
            event,
            branches: pats(branches),
            branches_ignore: Vec::new(),
            tags: tags.map(pats),
            loc: Loc::Span(Span::default()),
        }
    }

    #[test]
    fn unknown_never_decides() {
        let main = Run {
            event: RunEvent::Push,
            branch: Some("main".into()),
            tag: None,
        };
        assert_eq!(When::branch("main").and(When::Unknown).eval(&main), None);
        assert_eq!(
            When::branch("dev").and(When::Unknown).eval(&main),
            Some(false)
        );
        assert_eq!(
            When::branch("main").or(When::Unknown).eval(&main),
            Some(true)
        );
    }

    #[test]
    fn push_and_tag_triggers() {
        let runs = sample_runs(&[trig(RunEvent::Push, &["main"], None)], std::iter::empty());
        assert!(runs.iter().all(|r| r.branch.as_deref() == Some("main")));
        let runs = sample_runs(
            &[trig(RunEvent::Tag, &[], Some(&["v*"]))],
            std::iter::empty(),
        );
        assert!(runs.iter().all(|r| r.is_release()), "{runs:?}");
        assert!(runs.iter().all(|r| r.tag.as_deref() != Some("other-tag")));
    }

    #[test]
    fn a_variable_needed_and_excluded_never_meets() {
        let set = When::Var("DEPLOY".into());
        let by_hand = set.clone().and(When::Unknown);
        let ci = When::branch("main").and(set.clone().negate());
        assert!(by_hand.excludes(&ci));
        assert!(!by_hand.excludes(&When::branch("main")));
        // Set or not, its value is unknown in every run.
        let main = Run {
            event: RunEvent::Push,
            branch: Some("main".into()),
            tag: None,
        };
        assert_eq!(set.eval(&main), None);
    }
}
