//! The YAML tree: scalars, sequences and mappings, each with its span.

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
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
}

impl Node {
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
        self.entries().iter().find(|e| e.key.as_str() == Some(key))
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

    /// How many nodes the tree holds (for the alias budget).
    pub fn size(&self) -> usize {
        1 + match &self.kind {
            Kind::Scalar(..) => 0,
            Kind::Seq(items) => items.iter().map(Node::size).sum(),
            Kind::Map(entries) => entries.iter().map(|e| e.key.size() + e.value.size()).sum(),
        }
    }
}
