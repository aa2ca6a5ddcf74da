//! The `permissions:` of a job: the least the job's steps need, each scope
//! with the reason it is granted written next to it.
//!
//! The workflow itself grants nothing (`permissions: {}`), so a job without
//! grants runs with a token that can do nothing.

use pipec_emit::{Map, Yaml};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Read,
    Write,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::Read => "read",
            Level::Write => "write",
        }
    }
}

/// Scopes granted to one job's `GITHUB_TOKEN`, in the order first granted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Permissions {
    grants: Vec<Grant>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Grant {
    scope: &'static str,
    level: Level,
    reasons: Vec<String>,
}

impl Permissions {
    pub fn new() -> Self {
        Self::default()
    }

    /// Grants `scope` at `level` (a write grant covers a read one) for `why`.
    pub fn grant(&mut self, scope: &'static str, level: Level, why: impl Into<String>) {
        let why = why.into();
        match self.grants.iter_mut().find(|g| g.scope == scope) {
            Some(g) => {
                g.level = g.level.max(level);
                if !g.reasons.contains(&why) {
                    g.reasons.push(why);
                }
            }
            None => self.grants.push(Grant {
                scope,
                level,
                reasons: vec![why],
            }),
        }
    }

    pub fn level(&self, scope: &str) -> Option<Level> {
        self.grants
            .iter()
            .find(|g| g.scope == scope)
            .map(|g| g.level)
    }

    pub fn is_empty(&self) -> bool {
        self.grants.is_empty()
    }

    /// `{}` when nothing is granted, else `scope: level # why` per scope.
    pub fn to_yaml(&self) -> Yaml {
        let mut m = Map::new();
        for g in &self.grants {
            m.insert_noted(g.scope, g.level.as_str(), g.reasons.join("; "));
        }
        Yaml::Map(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_granted_is_an_empty_map() {
        let p = Permissions::new();
        assert!(p.is_empty());
        assert_eq!(
            pipec_emit::yaml::to_string(&Yaml::Map(pipec_emit::yaml::map([(
                "permissions",
                p.to_yaml()
            )]))),
            "permissions: {}\n"
        );
    }

    #[test]
    fn write_covers_read_and_reasons_are_kept() {
        let mut p = Permissions::new();
        p.grant("contents", Level::Read, "check out the repository");
        p.grant("packages", Level::Read, "read the layer cache");
        p.grant("packages", Level::Write, "push the image");
        p.grant("packages", Level::Read, "read the layer cache");
        assert_eq!(p.level("packages"), Some(Level::Write));
        assert_eq!(p.level("id-token"), None);
        assert_eq!(
            pipec_emit::yaml::to_string(&p.to_yaml()),
            "contents: read # check out the repository\npackages: write # read the layer cache; push the image\n"
        );
    }
}
