//! Run-time conditions: when a job, a tag or a deployment applies.

use serde::Serialize;

use crate::value::Glob;

named! {
    /// What started a pipeline run.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Event {
        /// A push of commits to a branch.
        Push = "push",
        /// A pull (merge) request was opened or updated.
        PullRequest = "pull_request",
        /// A tag was pushed.
        Tag = "tag",
        Schedule = "schedule",
        /// Started by hand, with inputs.
        Dispatch = "dispatch",
    }
}

/// A condition over the run. `Branch` holds in runs on a matching branch (pushes,
/// schedules and dispatches; not pull requests or tags); `Tag` in runs for a
/// matching tag (any tag when the list is empty).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cond {
    Always,
    Never,
    Branch(Vec<Glob>),
    Tag(Vec<Glob>),
    Event(Event),
    /// A manual-dispatch input equals a value.
    Input {
        name: String,
        value: String,
    },
    Not(Box<Cond>),
    All(Vec<Cond>),
    Any(Vec<Cond>),
}

/// One concrete kind of run, to evaluate conditions against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub event: Event,
    /// The branch, for pushes, schedules and dispatches.
    pub branch: Option<String>,
    /// The tag, for tag runs.
    pub tag: Option<String>,
    /// Dispatch inputs, by name.
    pub inputs: Vec<(String, String)>,
}

impl Cond {
    pub fn and(self, other: Cond) -> Cond {
        match (self, other) {
            (Cond::Always, c) | (c, Cond::Always) => c,
            (Cond::Never, _) | (_, Cond::Never) => Cond::Never,
            (Cond::All(mut a), Cond::All(b)) => {
                a.extend(b);
                Cond::All(a)
            }
            (Cond::All(mut a), c) | (c, Cond::All(mut a)) => {
                a.push(c);
                Cond::All(a)
            }
            (a, b) => Cond::All(vec![a, b]),
        }
    }

    pub fn or(self, other: Cond) -> Cond {
        match (self, other) {
            (Cond::Never, c) | (c, Cond::Never) => c,
            (Cond::Always, _) | (_, Cond::Always) => Cond::Always,
            (Cond::Any(mut a), Cond::Any(b)) => {
                a.extend(b);
                Cond::Any(a)
            }
            (Cond::Any(mut a), c) | (c, Cond::Any(mut a)) => {
                a.push(c);
                Cond::Any(a)
            }
            (a, b) => Cond::Any(vec![a, b]),
        }
    }

    pub fn negate(self) -> Cond {
        match self {
            Cond::Always => Cond::Never,
            Cond::Never => Cond::Always,
            Cond::Not(c) => *c,
            c => Cond::Not(Box::new(c)),
        }
    }

    pub fn eval(&self, run: &Run) -> bool {
        match self {
            Cond::Always => true,
            Cond::Never => false,
            Cond::Branch(globs) => run.branch.as_deref().is_some_and(|b| {
                run.event != Event::PullRequest && globs.iter().any(|g| g.matches(b))
            }),
            Cond::Tag(globs) => run
                .tag
                .as_deref()
                .is_some_and(|t| globs.is_empty() || globs.iter().any(|g| g.matches(t))),
            Cond::Event(e) => run.event == *e,
            Cond::Input { name, value } => run.inputs.iter().any(|(n, v)| n == name && v == value),
            Cond::Not(c) => !c.eval(run),
            Cond::All(cs) => cs.iter().all(|c| c.eval(run)),
            Cond::Any(cs) => cs.iter().any(|c| c.eval(run)),
        }
    }

    /// The condition as it reads in the runs of a pipeline started only for
    /// tags matching `tags` (its `on tag` patterns): each tag test keeps the
    /// patterns that one of those tags can match, and holds in exactly the
    /// same runs. `release` in an environment names every pipeline's tags;
    /// in one pipeline's deployment it needs only that pipeline's, so the
    /// condition does not grow with the number of pipelines. A test none of
    /// whose patterns can match is left as written.
    pub fn for_tags(&self, tags: &[Glob]) -> Cond {
        // By reference: `release` names every pipeline's tags, and a copy
        // of all of them for each pipeline was quadratic.
        match self {
            Cond::Tag(globs) if !globs.is_empty() => {
                // Each pipeline tests every pipeline's patterns: the test of
                // literal prefixes that `overlaps` starts with, made here
                // with each prefix found once, rejects nearly all of them.
                let own: Vec<&str> = tags.iter().map(|t| t.prefix().0).collect();
                let kept: Vec<Glob> = globs
                    .iter()
                    .filter(|g| {
                        let p = g.prefix().0;
                        tags.iter()
                            .zip(&own)
                            .any(|(t, o)| crate::value::prefixes_agree(o, p) && t.overlaps(g))
                    })
                    .cloned()
                    .collect();
                Cond::Tag(if kept.is_empty() { globs.clone() } else { kept })
            }
            Cond::Not(c) => Cond::Not(Box::new(c.for_tags(tags))),
            Cond::All(cs) => Cond::All(cs.iter().map(|c| c.for_tags(tags)).collect()),
            Cond::Any(cs) => Cond::Any(cs.iter().map(|c| c.for_tags(tags)).collect()),
            c => c.clone(),
        }
    }

    /// Every glob the condition mentions, with whether it is about tags.
    pub fn globs(&self, out: &mut Vec<(bool, Glob)>) {
        match self {
            Cond::Branch(g) => out.extend(g.iter().map(|g| (false, g.clone()))),
            Cond::Tag(g) => out.extend(g.iter().map(|g| (true, g.clone()))),
            Cond::Not(c) => c.globs(out),
            Cond::All(cs) | Cond::Any(cs) => cs.iter().for_each(|c| c.globs(out)),
            _ => {}
        }
    }

    pub fn inputs(&self, out: &mut Vec<(String, String)>) {
        match self {
            Cond::Input { name, value } => out.push((name.clone(), value.clone())),
            Cond::Not(c) => c.inputs(out),
            Cond::All(cs) | Cond::Any(cs) => cs.iter().for_each(|c| c.inputs(out)),
            _ => {}
        }
    }

    /// Whether the condition mentions pull requests in a way that lets it hold in
    /// a pull-request run.
    pub fn holds_in_any(&self, runs: &[Run]) -> bool {
        runs.iter().any(|r| self.eval(r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(b: &str) -> Run {
        Run {
            event: Event::Push,
            branch: Some(b.into()),
            tag: None,
            inputs: vec![],
        }
    }

    #[test]
    fn evaluates() {
        let c = Cond::Branch(vec![Glob("main".into()), Glob("develop".into())])
            .or(Cond::Tag(vec![Glob("v*".into())]));
        assert!(c.eval(&push("main")));
        assert!(!c.eval(&push("feature/x")));
        let tag = Run {
            event: Event::Tag,
            branch: None,
            tag: Some("v1.0.0".into()),
            inputs: vec![],
        };
        assert!(c.eval(&tag));
        let pr = Run {
            event: Event::PullRequest,
            branch: Some("main".into()),
            tag: None,
            inputs: vec![],
        };
        assert!(!c.eval(&pr));
    }

    /// Narrowed to a pipeline's tags, a condition holds in the same runs of
    /// that pipeline and names only the patterns its tags can match.
    #[test]
    fn narrowed_to_a_pipelines_tags() {
        let g = |p: &str| Glob(p.into());
        let release: Vec<Glob> = (0..50).map(|t| g(&format!("team-{t:02}-v*"))).collect();
        let c = Cond::Branch(vec![g("main")])
            .and(Cond::Tag(release.clone()).or(Cond::Event(Event::Dispatch)));
        let own = [g("team-07-v*")];
        let narrowed = c.clone().for_tags(&own);
        let mut globs = Vec::new();
        narrowed.globs(&mut globs);
        assert_eq!(globs, vec![(false, g("main")), (true, g("team-07-v*"))]);
        let tag = |t: &str| Run {
            event: Event::Tag,
            branch: None,
            tag: Some(t.into()),
            inputs: vec![],
        };
        let release_only = Cond::Tag(release.clone());
        for t in ["team-07-v1", "team-07-v2.0", "team-7-v1"] {
            assert_eq!(
                release_only.clone().for_tags(&own).eval(&tag(t)),
                release_only.eval(&tag(t))
            );
        }
        for run in [push("main"), push("develop")] {
            assert_eq!(narrowed.eval(&run), c.eval(&run));
        }
        // Patterns no tag of the pipeline matches stay as written.
        let none = Cond::Tag(vec![g("v*")]).for_tags(&own);
        assert_eq!(none, Cond::Tag(vec![g("v*")]));
        // Any tag stays any tag.
        assert_eq!(Cond::Tag(vec![]).for_tags(&own), Cond::Tag(vec![]));
    }
}
