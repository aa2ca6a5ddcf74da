//! Symbolic locations in a YAML document (`jobs.build.steps[2].uses`): how a
//! finding names its place, beside the span found when the fact is made.

use std::fmt;

use pipec_diagnostics::Span;

use super::Node;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A path from a document's root.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct YamlPath(pub Vec<Seg>);

impl YamlPath {
    pub fn root() -> Self {
        YamlPath(Vec::new())
    }

    pub fn key(&self, k: &str) -> Self {
        self.then(Seg::Key(k.to_string()))
    }

    pub fn index(&self, i: usize) -> Self {
        self.then(Seg::Index(i))
    }

    /// This path and one more segment, allocated once.
    fn then(&self, seg: Seg) -> Self {
        let mut v = Vec::with_capacity(self.0.len() + 1);
        v.extend_from_slice(&self.0);
        v.push(seg);
        YamlPath(v)
    }

    /// The node the path names and the key span of its last segment, if the
    /// last segment is a mapping key.
    pub fn find<'a>(&self, root: &'a Node) -> Option<(&'a Node, Option<Span>)> {
        let mut node = root;
        let mut key = None;
        for seg in &self.0 {
            match seg {
                Seg::Key(k) => {
                    let e = node.entry(k)?;
                    key = Some(e.key.span);
                    node = &e.value;
                }
                Seg::Index(i) => {
                    node = node.items().get(*i)?;
                    key = None;
                }
            }
        }
        Some((node, key))
    }
}

impl fmt::Display for YamlPath {
    /// `jobs.build.steps[2].uses`; keys that are not plain words are quoted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for seg in &self.0 {
            match seg {
                Seg::Key(k) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    if k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
                        && !k.is_empty()
                    {
                        f.write_str(k)?;
                    } else {
                        write!(f, "{k:?}")?;
                    }
                }
                Seg::Index(i) => write!(f, "[{i}]")?,
            }
            first = false;
        }
        if first {
            f.write_str("<document>")?;
        }
        Ok(())
    }
}
