//! The YAML tree: scalars, sequences and mappings, each with its span.

use std::collections::HashMap;
use std::sync::Arc;

use pipec_diagnostics::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    Quoted,
    /// `|` or `>`.
    Block,
}

#[derive(Debug, Clone)]
pub enum Kind {
    Scalar(String, Style),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Debug, Clone)]
pub struct Node {
    pub kind: Kind,
    pub span: Span,
    /// An explicit tag such as `!reference`.
    pub tag: Option<String>,
    /// For a mapping of many entries: the position of each scalar key, so
    /// that [`Node::entry`] does not scan (lookups by key stay constant time
    /// on a mapping of 40,000 keys). Shared by copies; [`Node::reindex`]
    /// after changing the entries.
    pub index: Option<Arc<HashMap<String, usize>>>,
}

/// Below this many entries a mapping is scanned rather than indexed.
pub(crate) const INDEX_FROM: usize = 16;

#[derive(Debug, Clone)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
}

impl Node {
    pub fn new(kind: Kind, span: Span, tag: Option<String>) -> Node {
        let mut n = Node {
            kind,
            span,
            tag,
            index: None,
        };
        n.reindex();
        n
    }

    /// Rebuilds the key index of a mapping after its entries changed.
    pub fn reindex(&mut self) {
        self.index = match &self.kind {
            Kind::Map(entries) if entries.len() >= INDEX_FROM => {
                let mut ix = HashMap::with_capacity(entries.len());
                for (i, e) in entries.iter().enumerate() {
                    if let Some(k) = e.key.as_str() {
                        ix.entry(k.to_string()).or_insert(i);
                    }
                }
                Some(Arc::new(ix))
            }
            _ => None,
        };
    }

    /// The text of a scalar (plain, quoted or block).
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    /// A scalar that is not `null`.
    pub fn text(&self) -> Option<&str> {
        self.as_str().filter(|_| !self.is_null())
    }

    pub fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar(s, Style::Plain) if matches!(s.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// `true`/`false` as YAML 1.2 reads them (plain only), or the strings
    /// `"true"`/`"false"` that CI systems also accept.
    pub fn as_bool(&self) -> Option<bool> {
        match self.as_str()? {
            "true" | "True" | "TRUE" => Some(true),
            "false" | "False" | "FALSE" => Some(false),
            _ => None,
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.kind, Kind::Map(_))
    }

    pub fn entries(&self) -> &[Entry] {
        match &self.kind {
            Kind::Map(e) => e,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.kind {
            Kind::Seq(i) => i,
            _ => &[],
        }
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.index {
            Some(ix) => ix.get(key).and_then(|i| self.entries().get(*i)),
            None => self.entries().iter().find(|e| e.key.as_str() == Some(key)),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// `a.b.c` through nested mappings.
    pub fn at(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |n, k| n.get(k))
    }

    /// A scalar or a sequence of scalars, as a list of strings.
    pub fn strings(&self) -> Vec<&str> {
        match &self.kind {
            Kind::Scalar(..) => self.text().into_iter().collect(),
            Kind::Seq(items) => items.iter().filter_map(Node::text).collect(),
            Kind::Map(_) => Vec::new(),
        }
    }

    /// How many nodes the tree holds and how many bytes of text (scalars and
    /// tags) it carries: what a copy of it costs, for the alias budget.
    pub fn cost(&self) -> (usize, usize) {
        let own = self.tag.as_ref().map_or(0, String::len);
        let (nodes, bytes) = match &self.kind {
            Kind::Scalar(s, _) => (0, s.len()),
            Kind::Seq(items) => items.iter().map(Node::cost).fold((0, 0), add),
            Kind::Map(entries) => entries
                .iter()
                .map(|e| add(e.key.cost(), e.value.cost()))
                .fold((0, 0), add),
        };
        (1 + nodes, own + bytes)
    }
}

fn add(a: (usize, usize), b: (usize, usize)) -> (usize, usize) {
    (a.0 + b.0, a.1 + b.1)
}
