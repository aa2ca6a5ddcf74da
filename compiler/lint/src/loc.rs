//! Where a fact, and so a finding, is: a span in a `.pipe` file, or a place
//! in a YAML document. A YAML place keeps its symbolic path (reported as
//! `jobs.build.steps[2].uses`) and the spans of its key and value, found when
//! the fact is extracted, so that nothing of a file's parsed documents
//! outlives the file's extraction.

use std::rc::Rc;

use pipec_diagnostics::{SourceId, SourceMap, Span};

use crate::yaml::{Document, Node, YamlPath};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loc {
    /// A span in a `.pipe` source.
    Span(Span),
    Yaml(YamlLoc),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlLoc {
    pub file: SourceId,
    /// Shared: a fact's place is copied into the facts and findings made
    /// from it.
    pub path: Rc<YamlPath>,
    /// The value's span; for an empty value (`permissions:`), which has
    /// nothing to underline, its key's.
    pub value: Span,
    /// The key's span, when the path ends in a mapping key.
    pub key: Option<Span>,
    pub part: Part,
}

/// Which part of the node at the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// The mapping key (`uses` in `uses: x`).
    Key,
    /// The value.
    Value,
    /// A piece of text inside a scalar value: the `nth` occurrence of it.
    Text { needle: String, nth: usize },
}

impl Loc {
    /// The place `path` names in `doc`. A path that does not resolve (which
    /// extraction never makes) stands for the whole document, so a finding
    /// always has a place.
    pub fn yaml(file: SourceId, doc: &Document, path: YamlPath) -> Loc {
        match path.find(&doc.root) {
            Some((node, key)) => Loc::found(file, path, node, key),
            None => Loc::Yaml(YamlLoc {
                file,
                path: Rc::new(path),
                value: doc.root.span,
                key: None,
                part: Part::Value,
            }),
        }
    }

    /// The place of `node`, found at `path` (with the span of the key that
    /// leads to it, if any).
    pub fn found(file: SourceId, path: YamlPath, node: &Node, key: Option<Span>) -> Loc {
        let value = if node.span.is_empty() {
            key.unwrap_or(node.span)
        } else {
            node.span
        };
        Loc::Yaml(YamlLoc {
            file,
            path: Rc::new(path),
            value,
            key,
            part: Part::Value,
        })
    }

    /// The same place, naming the key instead of the value.
    pub fn key(&self) -> Loc {
        self.with_part(Part::Key)
    }

    /// A piece of text inside this scalar.
    pub fn text(&self, needle: &str) -> Loc {
        self.with_part(Part::Text {
            needle: needle.to_string(),
            nth: 0,
        })
    }

    fn with_part(&self, part: Part) -> Loc {
        match self {
            Loc::Span(s) => Loc::Span(*s),
            Loc::Yaml(y) => Loc::Yaml(YamlLoc { part, ..y.clone() }),
        }
    }

    /// The symbolic path, for YAML locations.
    pub fn path(&self) -> Option<String> {
        match self {
            Loc::Span(_) => None,
            Loc::Yaml(y) => Some(y.path.to_string()),
        }
    }

    /// The span this location names; `sources` holds the text a piece of
    /// text is searched in.
    pub fn span(&self, sources: &SourceMap) -> Span {
        let y = match self {
            Loc::Span(s) => return *s,
            Loc::Yaml(y) => y,
        };
        match &y.part {
            Part::Key => y.key.unwrap_or(y.value),
            Part::Value => y.value,
            Part::Text { needle, nth } => {
                let text = sources.try_get(y.file).map_or("", |f| &f.text);
                let slice = text.get(y.value.range()).unwrap_or("");
                let first_line = needle.lines().next().unwrap_or(needle);
                slice
                    .match_indices(first_line)
                    .nth(*nth)
                    .filter(|_| !first_line.is_empty())
                    .map_or(y.value, |(i, m)| {
                        Span::new(
                            y.file,
                            y.value.start as usize + i,
                            y.value.start as usize + i + m.len(),
                        )
                    })
            }
        }
    }
}
