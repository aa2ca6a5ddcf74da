//! A span-aware YAML reader for lint input: every node keeps the byte range it
//! came from, so a finding found on the tree points at the user's file.
//!
//! It reads the events of `saphyr-parser` (YAML 1.2) into a small tree and adds
//! what CI files need and what hostile files must not get away with: a byte
//! order mark is skipped, CRLF is accepted, `<<` merge keys are applied, aliases
//! are expanded within a node budget (no "billion laughs"), nesting is limited,
//! and a key given twice in one mapping is reported. Any error is a
//! [`Problem`], never a panic.

mod node;
mod path;

pub use node::{Entry, Kind, Node, Style};
pub use path::{Seg, YamlPath};

use std::collections::HashMap;

use pipec_diagnostics::{SourceId, Span};
use saphyr_parser::{Event, Parser, ScalarStyle};

/// How deep collections may nest.
pub const MAX_DEPTH: usize = 128;
/// How many nodes alias expansion may add to one file.
pub const MAX_ALIAS_NODES: usize = 100_000;

/// One document of a (possibly multi-document) YAML file.
#[derive(Debug, Clone)]
pub struct Document {
    pub root: Node,
    /// Zero-based position in the file.
    pub index: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// Not YAML, nested too deep, or an alias bomb.
    Invalid,
    /// A mapping gives the same key twice.
    DuplicateKey,
}

/// Something wrong with the file itself.
#[derive(Debug, Clone)]
pub struct Problem {
    pub kind: ProblemKind,
    pub span: Span,
    pub message: String,
    /// For duplicate keys: the first occurrence.
    pub first: Option<Span>,
}

/// Reads every document of `text` (already stripped of a byte order mark).
/// Documents read before an error are kept.
pub fn read(text: &str, source: SourceId) -> (Vec<Document>, Vec<Problem>) {
    let mut r = Reader {
        offsets: Offsets::new(text),
        source,
        stack: Vec::new(),
        anchors: HashMap::new(),
        alias_budget: MAX_ALIAS_NODES,
        docs: Vec::new(),
        problems: Vec::new(),
    };
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        match next {
            Ok((event, span)) => {
                if let Err(p) = r.event(event, span) {
                    r.problems.push(p);
                    break;
                }
            }
            Err(e) => {
                let at = r.offsets.byte(e.marker().index());
                r.problems.push(Problem {
                    kind: ProblemKind::Invalid,
                    span: Span::new(source, at, at),
                    message: format!("not valid YAML: {}", e.info()),
                    first: None,
                });
                break;
            }
        }
    }
    (r.docs, r.problems)
}

/// Maps the parser's character positions to byte offsets.
struct Offsets {
    /// Byte offset of each character, plus the end; empty for ASCII text.
    table: Vec<u32>,
    len: usize,
}

impl Offsets {
    fn new(text: &str) -> Self {
        let table = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices()
                .map(|(i, _)| i as u32)
                .chain(std::iter::once(text.len() as u32))
                .collect()
        };
        Offsets {
            table,
            len: text.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.table.is_empty() {
            char_index.min(self.len)
        } else {
            self.table.get(char_index).map_or(self.len, |b| *b as usize)
        }
    }
}

enum Frame {
    Seq {
        items: Vec<Node>,
        start: usize,
        anchor: usize,
        tag: Option<String>,
    },
    Map {
        entries: Vec<Entry>,
        key: Option<Node>,
        start: usize,
        anchor: usize,
        tag: Option<String>,
    },
}

struct Reader {
    offsets: Offsets,
    source: SourceId,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    alias_budget: usize,
    docs: Vec<Document>,
    problems: Vec<Problem>,
}

impl Reader {
    fn span(&self, s: saphyr_parser::Span) -> Span {
        Span::new(
            self.source,
            self.offsets.byte(s.start.index()),
            self.offsets.byte(s.end.index()),
        )
    }

    fn invalid(&self, span: Span, message: impl Into<String>) -> Problem {
        Problem {
            kind: ProblemKind::Invalid,
            span,
            message: message.into(),
            first: None,
        }
    }

    fn event(&mut self, event: Event<'_>, s: saphyr_parser::Span) -> Result<(), Problem> {
        let span = self.span(s);
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let node = Node {
                    kind: Kind::Scalar(text.into_owned(), style_of(style)),
                    span,
                    tag: tag.map(|t| tag_text(t.as_ref())),
                };
                self.complete(node, anchor)
            }
            Event::SequenceStart(anchor, tag) => self.push(
                Frame::Seq {
                    items: Vec::new(),
                    start: span.start as usize,
                    anchor,
                    tag: tag.map(|t| tag_text(t.as_ref())),
                },
                span,
            ),
            Event::MappingStart(anchor, tag) => self.push(
                Frame::Map {
                    entries: Vec::new(),
                    key: None,
                    start: span.start as usize,
                    anchor,
                    tag: tag.map(|t| tag_text(t.as_ref())),
                },
                span,
            ),
            Event::SequenceEnd => match self.stack.pop() {
                Some(Frame::Seq {
                    items,
                    start,
                    anchor,
                    tag,
                }) => {
                    let end = items
                        .last()
                        .map_or(span.end as usize, |n| n.span.end as usize)
                        .max(span.end as usize);
                    let node = Node {
                        kind: Kind::Seq(items),
                        span: Span::new(self.source, start, end),
                        tag,
                    };
                    self.complete(node, anchor)
                }
                _ => Err(self.invalid(span, "not valid YAML: unbalanced sequence")),
            },
            Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Map {
                    entries,
                    start,
                    anchor,
                    tag,
                    ..
                }) => {
                    let end = entries
                        .last()
                        .map_or(span.end as usize, |e| e.value.span.end as usize)
                        .max(start);
                    let entries = merge_keys(entries);
                    let node = Node {
                        kind: Kind::Map(entries),
                        span: Span::new(self.source, start, end),
                        tag,
                    };
                    self.complete(node, anchor)
                }
                _ => Err(self.invalid(span, "not valid YAML: unbalanced mapping")),
            },
            Event::Alias(id) => {
                let Some(node) = self.anchors.get(&id) else {
                    return Err(self.invalid(span, "not valid YAML: alias of an unknown anchor"));
                };
                let size = node.size();
                if size > self.alias_budget {
                    return Err(self.invalid(
                        span,
                        format!(
                            "aliases expand to more than {MAX_ALIAS_NODES} nodes; the file is refused (an alias bomb?)"
                        ),
                    ));
                }
                self.alias_budget -= size;
                let mut copy = node.clone();
                // The alias is where this copy is used; its inner nodes keep
                // pointing at the anchored original.
                copy.span = span;
                self.complete(copy, 0)
            }
            Event::DocumentStart(_) => {
                self.anchors.clear();
                Ok(())
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => Ok(()),
        }
    }

    fn push(&mut self, frame: Frame, span: Span) -> Result<(), Problem> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.invalid(
                span,
                format!("YAML nested deeper than {MAX_DEPTH} levels; the file is refused"),
            ));
        }
        self.stack.push(frame);
        Ok(())
    }

    fn complete(&mut self, node: Node, anchor: usize) -> Result<(), Problem> {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => {
                let index = self.docs.len();
                self.docs.push(Document { root: node, index });
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => {
                    if let Some(text) = k.as_str()
                        && text != "<<"
                        && let Some(first) = entries.iter().find(|e| e.key.as_str() == Some(text))
                    {
                        self.problems.push(Problem {
                            kind: ProblemKind::DuplicateKey,
                            span: k.span,
                            message: format!("key `{text}` is given twice in one mapping"),
                            first: Some(first.key.span),
                        });
                        return Ok(());
                    }
                    entries.push(Entry {
                        key: k,
                        value: node,
                    });
                }
            },
        }
        Ok(())
    }
}

/// Applies `<<: *base` (and `<<: [*a, *b]`): merged entries come after the
/// mapping's own, which win.
fn merge_keys(entries: Vec<Entry>) -> Vec<Entry> {
    if !entries.iter().any(is_merge) {
        return entries;
    }
    let (merges, mut own): (Vec<Entry>, Vec<Entry>) = entries.into_iter().partition(is_merge);
    for m in merges {
        let sources: Vec<&Node> = match &m.value.kind {
            Kind::Seq(items) => items.iter().collect(),
            _ => vec![&m.value],
        };
        for src in sources {
            for e in src.entries() {
                if !own.iter().any(|o| o.key.as_str() == e.key.as_str()) {
                    own.push(e.clone());
                }
            }
        }
    }
    own
}

fn is_merge(e: &Entry) -> bool {
    matches!(&e.key.kind, Kind::Scalar(t, Style::Plain) if t == "<<")
}

fn style_of(s: ScalarStyle) -> Style {
    match s {
        ScalarStyle::Plain => Style::Plain,
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Style::Quoted,
        ScalarStyle::Literal | ScalarStyle::Folded => Style::Block,
    }
}

fn tag_text(t: &saphyr_parser::Tag) -> String {
    t.to_string()
}

#[cfg(test)]
mod tests;
