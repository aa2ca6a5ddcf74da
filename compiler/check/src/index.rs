//! What an editor needs from a check besides its diagnostics: where each
//! name the checker resolved is written and what it refers to, and the type
//! each value was read as.
//!
//! The checker records these as it resolves names and evaluates
//! expressions, so an editor follows the checker's own reading of the
//! program (`tool python python` is the tool, then the parameter) instead of
//! guessing from the syntax. Only [`crate::check_indexed`] records them:
//! `pipec check` has no use for them.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use pipec_diagnostics::Span;

use crate::Checker;
use crate::types::Ty;

/// What a name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferenceKind {
    /// A job, an image's build or a publish rule of the pipeline (`after`).
    Job,
    Image,
    Environment,
    /// A manual-dispatch input (`inputs.NAME`).
    Input,
    Template,
    /// The alias of a `use` (`python` in `python.pytest`).
    Module,
    /// A template parameter: an argument name in a call, or the parameter's
    /// name in the template's body.
    Parameter,
}

/// A name the checker resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The name as written.
    pub span: Span,
    pub name: String,
    pub kind: ReferenceKind,
    /// The declaration's name, where the checker knew it when resolving:
    /// templates, modules (the `use` statement) and the parameters of a
    /// call. Jobs, images, environments, inputs and parameters used in a
    /// template's body are known by name within the program, the pipeline or
    /// the template around [`Reference::site`].
    pub declaration: Option<Span>,
    /// Where the name's meaning was decided: the template call, for a name
    /// inside a template's body; otherwise the name itself.
    pub site: Span,
}

/// The references and value types of one check.
#[derive(Debug, Default)]
pub struct Index {
    /// Sorted by position; a name inside a template body called several
    /// times is listed once.
    pub references: Vec<Reference>,
    /// The type each expression the checker evaluated was expected to have.
    pub types: HashMap<Span, Ty>,
}

impl Index {
    /// The innermost evaluated expression around `offset` of `source`, with
    /// its type.
    pub fn type_at(&self, source: pipec_diagnostics::SourceId, offset: u32) -> Option<(Span, &Ty)> {
        self.types
            .iter()
            .filter(|(s, _)| s.source == source && s.start <= offset && offset <= s.end)
            .min_by_key(|(s, _)| (s.len(), s.start))
            .map(|(s, t)| (*s, t))
    }

    pub(crate) fn finish(mut self) -> Index {
        self.references.sort_by_key(|r| (r.span, r.kind as u8));
        self.references
            .dedup_by(|a, b| a.span == b.span && a.kind == b.kind);
        self
    }
}

impl Checker<'_> {
    /// Records that `span` names `name`, a `kind`, when an index is kept.
    pub(crate) fn note_reference(
        &mut self,
        span: Span,
        name: &str,
        kind: ReferenceKind,
        declaration: Option<Span>,
        site: Option<Span>,
    ) {
        if let Some(index) = &mut self.index {
            index.references.push(Reference {
                span,
                name: name.to_string(),
                kind,
                declaration,
                site: site.unwrap_or(span),
            });
        }
    }

    /// Records the type `span` was read as, when an index is kept. The last
    /// reading is kept: a single value read as a list is then read as an
    /// item, which is the more useful type to show.
    pub(crate) fn note_type(&mut self, span: Span, ty: &Ty) {
        if let Some(index) = &mut self.index {
            match index.types.entry(span) {
                Entry::Occupied(mut o) => {
                    if o.get() != ty {
                        o.insert(ty.clone());
                    }
                }
                Entry::Vacant(v) => {
                    v.insert(ty.clone());
                }
            }
        }
    }
}
