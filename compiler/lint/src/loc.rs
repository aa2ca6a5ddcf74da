//! Where a fact, and so a finding, is: a span in a `.pipe` file, or a symbolic
//! path in a YAML document that becomes a span only when findings are
//! reported (see [`Resolver`]).

use pipec_diagnostics::{SourceId, Span};

use crate::yaml::{Document, YamlPath};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loc {
    /// A span in a `.pipe` source.
    Span(Span),
    Yaml(YamlLoc),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlLoc {
    pub file: SourceId,
    pub doc: usize,
    pub path: YamlPath,
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
    pub fn yaml(file: SourceId, doc: usize, path: YamlPath) -> Loc {
        Loc::Yaml(YamlLoc {
            file,
            doc,
            path,
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
}

/// The parsed YAML files of a lint run, to resolve symbolic locations.
#[derive(Default)]
pub struct Resolver {
    files: Vec<(SourceId, String, Vec<Document>)>,
}

impl Resolver {
    pub fn add(&mut self, file: SourceId, text: String, docs: Vec<Document>) {
        self.files.push((file, text, docs));
    }

    pub fn documents(&self) -> impl Iterator<Item = (SourceId, &str, &[Document])> {
        self.files
            .iter()
            .map(|(id, text, docs)| (*id, text.as_str(), docs.as_slice()))
    }

    /// The span a location names. A YAML path that does not resolve (which
    /// extraction never produces) falls back to the document, so a finding
    /// always has a place.
    pub fn span(&self, loc: &Loc) -> Span {
        match loc {
            Loc::Span(s) => *s,
            Loc::Yaml(y) => self.yaml_span(y),
        }
    }

    fn yaml_span(&self, y: &YamlLoc) -> Span {
        // Files are added in the order of their ids, mostly one after another.
        let at = self
            .files
            .binary_search_by_key(&y.file.0, |(id, _, _)| id.0)
            .ok()
            .or_else(|| self.files.iter().position(|(id, _, _)| *id == y.file));
        let Some((_, text, docs)) = at.map(|i| &self.files[i]) else {
            return Span::new(y.file, 0, 0);
        };
        let doc = docs
            .get(y.doc)
            .filter(|d| d.index == y.doc)
            .or_else(|| docs.iter().find(|d| d.index == y.doc));
        let Some(doc) = doc else {
            return Span::new(y.file, 0, 0);
        };
        let Some((node, key)) = y.path.find(&doc.root) else {
            return doc.root.span;
        };
        // An empty value (`permissions:`) has nothing to underline; its key does.
        let value = if node.span.is_empty() {
            key.unwrap_or(node.span)
        } else {
            node.span
        };
        match &y.part {
            Part::Key => key.unwrap_or(value),
            Part::Value => value,
            Part::Text { needle, nth } => {
                let slice = text.get(value.range()).unwrap_or("");
                let first_line = needle.lines().next().unwrap_or(needle);
                slice
                    .match_indices(first_line)
                    .nth(*nth)
                    .filter(|_| !first_line.is_empty())
                    .map_or(value, |(i, m)| {
                        Span::new(
                            y.file,
                            value.start as usize + i,
                            value.start as usize + i + m.len(),
                        )
                    })
            }
        }
    }
}
