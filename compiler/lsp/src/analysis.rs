//! One check of a program, as the editor features read it: the checker's
//! result and index, the syntax tree and line index of each of its files,
//! and the table of declarations.

use std::path::Path;
use std::sync::Arc;

use pipec_check::{Checked, Index, ParseCache, Reference, ReferenceKind};
use pipec_diagnostics::{SourceId, Span};
use pipec_syntax::ast::File;

use crate::symbols::{DefKind, Definitions, contains};
use crate::text::{Encoding, LineIndex};
use crate::uri::Address;

/// A file of the check.
pub struct Source {
    pub address: Option<Address>,
    pub text: Arc<str>,
    pub lines: LineIndex,
    /// `None` when the file could not be parsed at all (not UTF-8).
    pub tree: Option<Arc<File>>,
}

pub struct Analysis {
    pub checked: Checked,
    pub index: Index,
    /// By source id.
    pub sources: Vec<Source>,
    pub defs: Definitions,
}

/// What is at a position: a name the checker resolved, or a declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symbol {
    Reference(usize),
    Definition(usize),
}

impl Analysis {
    pub fn new(checked: Checked, index: Index, parses: &ParseCache) -> Analysis {
        let sources: Vec<Source> = checked
            .sources
            .files()
            .map(|(id, f)| {
                let tree = parses
                    .get(id)
                    .filter(|(text, _)| **text == *f.text)
                    .map(|(_, t)| t);
                Source {
                    address: Address::of_source(&f.name, f.is_virtual),
                    text: f.text.clone(),
                    lines: LineIndex::new(&f.text),
                    tree,
                }
            })
            .collect();
        let defs = Definitions::collect(sources.iter().filter_map(|s| s.tree.as_deref()));
        Analysis {
            checked,
            index,
            sources,
            defs,
        }
    }

    pub fn source_of(&self, address: &Address) -> Option<SourceId> {
        self.sources
            .iter()
            .position(|s| s.address.as_ref() == Some(address))
            .map(|i| SourceId(i as u32))
    }

    /// The files of the program that are on disk (not the standard library).
    pub fn files(&self) -> impl Iterator<Item = (SourceId, &Path)> {
        self.sources.iter().enumerate().filter_map(|(i, s)| {
            s.address
                .as_ref()
                .and_then(Address::path)
                .map(|p| (SourceId(i as u32), p))
        })
    }

    pub fn source(&self, id: SourceId) -> &Source {
        &self.sources[id.0 as usize]
    }

    pub fn text(&self, span: Span) -> &str {
        self.source(span.source)
            .text
            .get(span.range())
            .unwrap_or("")
    }

    pub fn range(&self, span: Span, enc: Encoding) -> lsp_types::Range {
        let s = self.source(span.source);
        s.lines
            .range(&s.text, span.start as usize, span.end as usize, enc)
    }

    pub fn location(&self, span: Span, enc: Encoding) -> Option<lsp_types::Location> {
        let address = self.source(span.source).address.as_ref()?;
        Some(lsp_types::Location::new(
            address.uri(),
            self.range(span, enc),
        ))
    }

    /// The symbol at byte `offset` of `source`: the innermost reference, or
    /// the declaration whose name is there.
    pub fn symbol_at(&self, source: SourceId, offset: u32) -> Option<Symbol> {
        let within = |s: Span| s.source == source && s.start <= offset && offset <= s.end;
        let reference = self
            .index
            .references
            .iter()
            .enumerate()
            .filter(|(_, r)| within(r.span))
            .min_by_key(|(_, r)| r.span.len())
            .map(|(i, _)| Symbol::Reference(i));
        reference.or_else(|| {
            self.defs
                .all
                .iter()
                .position(|d| within(d.name_span))
                .map(Symbol::Definition)
        })
    }

    /// The declaration a symbol stands for.
    pub fn definition(&self, symbol: Symbol) -> Option<usize> {
        match symbol {
            Symbol::Definition(d) => Some(d),
            Symbol::Reference(r) => self.resolve(&self.index.references[r]),
        }
    }

    /// The declaration a resolved name refers to.
    pub fn resolve(&self, r: &Reference) -> Option<usize> {
        let defs = &self.defs;
        let in_pipeline = |kinds: &[DefKind]| {
            let pipeline = defs.around(DefKind::Pipeline, r.site)?;
            kinds.iter().find_map(|k| {
                defs.named(*k, &r.name)
                    .find(|d| defs.all[*d].container == Some(pipeline))
            })
        };
        match r.kind {
            ReferenceKind::Template | ReferenceKind::Parameter if r.declaration.is_some() => {
                let kind = match r.kind {
                    ReferenceKind::Template => DefKind::Template,
                    _ => DefKind::Parameter,
                };
                defs.named(kind, &r.name)
                    .find(|d| Some(defs.all[*d].name_span) == r.declaration)
            }
            ReferenceKind::Module => defs
                .named(DefKind::Module, &r.name)
                .find(|d| Some(defs.all[*d].span) == r.declaration),
            ReferenceKind::Parameter => {
                let template = defs.around(DefKind::Template, r.span)?;
                defs.named(DefKind::Parameter, &r.name)
                    .find(|d| defs.all[*d].container == Some(template))
            }
            ReferenceKind::Job => in_pipeline(&[DefKind::Job, DefKind::Image, DefKind::Publish]),
            ReferenceKind::Input => in_pipeline(&[DefKind::Input]),
            ReferenceKind::Image => defs.named(DefKind::Image, &r.name).next(),
            ReferenceKind::Environment => defs.named(DefKind::Environment, &r.name).next(),
            ReferenceKind::Template => None,
        }
    }

    /// Every place that names declaration `def`, the declaration first.
    pub fn references_to(&self, def: usize) -> Vec<Span> {
        let d = &self.defs.all[def];
        let mut out = vec![d.name_span];
        for r in &self.index.references {
            if r.name == d.name && self.resolve(r) == Some(def) && !out.contains(&r.span) {
                out.push(r.span);
            }
        }
        // A publish rule's derived name is written as its image's; that
        // span is the image's, not the rule's.
        if !d.written {
            out.remove(0);
        }
        out
    }

    /// The declaration of `kind` around `span`.
    pub fn enclosing(&self, kind: DefKind, span: Span) -> Option<usize> {
        self.defs.around(kind, span)
    }

    /// Whether `span` is inside the statement of declaration `def`.
    pub fn within(&self, def: usize, span: Span) -> bool {
        contains(self.defs.all[def].span, span)
    }
}
