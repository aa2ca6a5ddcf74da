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

use node::INDEX_FROM;
pub use node::{Entry, Kind, Node, Style};
pub use path::{Seg, YamlPath};

use std::collections::{HashMap, HashSet};

use pipec_diagnostics::{SourceId, Span};
use saphyr_parser::{Event, Parser, ScalarStyle};

/// How deep collections may nest.
pub const MAX_DEPTH: usize = 128;
/// How many nodes alias expansion may add to one file.
pub const MAX_ALIAS_NODES: usize = 100_000;
/// How many bytes of scalar text alias expansion may add to one file: real
/// files reuse a few script blocks, hostile ones one large scalar many times.
pub const MAX_ALIAS_BYTES: usize = 1 << 20;
/// How many keys given twice one file reports one by one; the rest are
/// counted in one more problem.
pub const MAX_DUPLICATE_KEYS: usize = 20;

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
    let (docs, problems, failed) = parse(text, Offsets::new(text), source);
    if failed && let Some((patched, inserted)) = closers_indented(text) {
        let mut offsets = Offsets::new(text);
        offsets.inserted = inserted;
        let again = parse(&patched, offsets, source);
        if !again.2 {
            return (again.0, again.1);
        }
    }
    (docs, problems)
}

/// `text` with one more space before each line that starts with the `]` or
/// `}` closing a flow collection, and where the spaces went (as character
/// positions in the new text, in order); `None` when there is no such line.
///
/// GitHub, PyYAML, libyaml and go-yaml accept a multi-line flow sequence
/// whose closing bracket sits at its key's column; `saphyr-parser` refuses
/// it as "invalid indentation". A file that failed is read again with those
/// brackets moved right by one column, which changes nothing else of
/// meaning (inside a block scalar the line gains a leading space), and spans
/// are mapped back to the original text.
fn closers_indented(text: &str) -> Option<(String, Vec<usize>)> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut inserted = Vec::new();
    let mut chars = 0;
    for line in text.split_inclusive('\n') {
        let body = line.trim_start_matches(' ');
        if body.starts_with(']') || body.starts_with('}') {
            let indent = line.len() - body.len();
            out.push_str(&line[..indent]);
            inserted.push(chars + indent);
            out.push(' ');
            out.push_str(body);
            chars += line.chars().count() + 1;
        } else {
            out.push_str(line);
            chars += line.chars().count();
        }
    }
    (!inserted.is_empty()).then_some((out, inserted))
}

/// Reads the events of `text`; the flag says whether the parser stopped on
/// an error.
fn parse(text: &str, offsets: Offsets, source: SourceId) -> (Vec<Document>, Vec<Problem>, bool) {
    let mut failed = false;
    let mut r = Reader {
        offsets,
        source,
        stack: Vec::new(),
        anchors: HashMap::new(),
        alias_nodes: MAX_ALIAS_NODES,
        alias_bytes: MAX_ALIAS_BYTES,
        docs: Vec::new(),
        problems: Vec::new(),
        duplicates: 0,
        more_duplicates: None,
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
                failed = true;
                break;
            }
        }
    }
    if let Some((span, extra)) = r.more_duplicates {
        r.problems.push(Problem {
            kind: ProblemKind::DuplicateKey,
            span,
            message: format!(
                "{extra} more key(s) are given twice in this file (only the first {MAX_DUPLICATE_KEYS} are listed)"
            ),
            first: None,
        });
    }
    (r.docs, r.problems, failed)
}

/// Maps the parser's character positions to byte offsets.
struct Offsets {
    /// Byte offset of each character, plus the end; empty for ASCII text.
    table: Vec<u32>,
    len: usize,
    /// Positions (in the parsed text) of characters that the original text
    /// does not have, in order (see [`closers_indented`]).
    inserted: Vec<usize>,
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
            inserted: Vec::new(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        let char_index = char_index - self.inserted.partition_point(|i| *i < char_index);
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
        /// Position of each scalar key in `entries`, once there are many.
        index: Option<HashMap<String, usize>>,
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
    /// Anchored nodes with their cost (nodes, bytes), computed once.
    anchors: HashMap<usize, (Node, usize, usize)>,
    alias_nodes: usize,
    alias_bytes: usize,
    docs: Vec<Document>,
    problems: Vec<Problem>,
    /// Keys given twice reported so far, and the place and count of the rest.
    duplicates: usize,
    more_duplicates: Option<(Span, usize)>,
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
                let node = Node::new(
                    Kind::Scalar(text.into_owned(), style_of(style)),
                    span,
                    tag.map(|t| tag_text(t.as_ref())),
                );
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
                    index: None,
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
                    let node = Node::new(Kind::Seq(items), Span::new(self.source, start, end), tag);
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
                    let node =
                        Node::new(Kind::Map(entries), Span::new(self.source, start, end), tag);
                    self.complete(node, anchor)
                }
                _ => Err(self.invalid(span, "not valid YAML: unbalanced mapping")),
            },
            Event::Alias(id) => {
                let Some((node, nodes, bytes)) = self.anchors.get(&id) else {
                    return Err(self.invalid(span, "not valid YAML: alias of an unknown anchor"));
                };
                if *nodes > self.alias_nodes || *bytes > self.alias_bytes {
                    return Err(self.invalid(
                        span,
                        format!(
                            "aliases expand to more than {MAX_ALIAS_NODES} nodes or {} MiB; the file is refused (an alias bomb?)",
                            MAX_ALIAS_BYTES >> 20
                        ),
                    ));
                }
                self.alias_nodes -= nodes;
                self.alias_bytes -= bytes;
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
            let (nodes, bytes) = node.cost();
            self.anchors.insert(anchor, (node.clone(), nodes, bytes));
        }
        match self.stack.last_mut() {
            None => {
                let index = self.docs.len();
                self.docs.push(Document { root: node, index });
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                index,
                key,
                ..
            }) => match key.take() {
                None => *key = Some(node),
                Some(k) => {
                    // A plain `<<` is a merge key, which may come more than
                    // once; a quoted one is an ordinary key.
                    let merge = matches!(&k.kind, Kind::Scalar(t, Style::Plain) if t == "<<");
                    if let Some(text) = k.as_str()
                        && !merge
                        && let Some(at) = position(entries, index.as_ref(), text)
                    {
                        let first = entries[at].key.span;
                        self.duplicate(k.span, text, first);
                        return Ok(());
                    }
                    if let Some(text) = k.as_str() {
                        if let Some(ix) = index {
                            ix.insert(text.to_string(), entries.len());
                        } else if entries.len() >= INDEX_FROM {
                            let mut ix: HashMap<String, usize> = entries
                                .iter()
                                .enumerate()
                                .filter_map(|(i, e)| Some((e.key.as_str()?.to_string(), i)))
                                .collect();
                            ix.insert(text.to_string(), entries.len());
                            *index = Some(ix);
                        }
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

    fn duplicate(&mut self, span: Span, key: &str, first: Span) {
        if self.duplicates < MAX_DUPLICATE_KEYS {
            self.duplicates += 1;
            self.problems.push(Problem {
                kind: ProblemKind::DuplicateKey,
                span,
                message: format!("key `{key}` is given twice in one mapping"),
                first: Some(first),
            });
        } else {
            self.more_duplicates.get_or_insert((span, 0)).1 += 1;
        }
    }
}

/// Where the scalar key `text` is among `entries`: by the index when the
/// mapping has one, else by a scan of its few entries.
fn position(
    entries: &[Entry],
    index: Option<&HashMap<String, usize>>,
    text: &str,
) -> Option<usize> {
    match index {
        Some(ix) => ix.get(text).copied(),
        None => entries.iter().position(|e| e.key.as_str() == Some(text)),
    }
}

/// Applies `<<: *base` (and `<<: [*a, *b]`): merged entries come after the
/// mapping's own, which win.
fn merge_keys(entries: Vec<Entry>) -> Vec<Entry> {
    if !entries.iter().any(is_merge) {
        return entries;
    }
    let (merges, mut own): (Vec<Entry>, Vec<Entry>) = entries.into_iter().partition(is_merge);
    let mut seen: HashSet<String> = own
        .iter()
        .filter_map(|e| e.key.as_str().map(str::to_string))
        .collect();
    for m in merges {
        let sources: Vec<&Node> = match &m.value.kind {
            Kind::Seq(items) => items.iter().collect(),
            _ => vec![&m.value],
        };
        for src in sources {
            for e in src.entries() {
                let fresh = match e.key.as_str() {
                    Some(k) => seen.insert(k.to_string()),
                    None => true,
                };
                if fresh {
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
