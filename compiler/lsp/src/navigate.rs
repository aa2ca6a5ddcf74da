//! Go to definition, find references, the outline of a document, and rename
//! of jobs and templates.

use std::collections::HashMap;

use lsp_types::{
    DocumentSymbol, DocumentSymbolParams, DocumentSymbolResponse, GotoDefinitionParams,
    GotoDefinitionResponse, Location, PrepareRenameResponse, ReferenceParams, RenameParams,
    SymbolKind, TextDocumentPositionParams, TextEdit, Uri, WorkspaceEdit,
};
use pipec_syntax::ast::ExprKind;

use crate::analysis::Analysis;
use crate::server::Server;
use crate::symbols::DefKind;
use crate::uri::Address;

pub(crate) fn definition(
    server: &Server,
    p: GotoDefinitionParams,
) -> Option<GotoDefinitionResponse> {
    let pos = &p.text_document_position_params;
    let (a, source, offset) = server.locate(pos)?;
    module_file(&a, source, offset).or_else(|| {
        let d = a.definition(a.symbol_at(source, offset)?)?;
        let loc = a.location(a.defs.all[d].name_span, server.encoding)?;
        Some(GotoDefinitionResponse::Scalar(loc))
    })
}

/// `use std.python`, `use "lib/x.pipe"`: the module's file, from the name
/// in the `use` statement.
fn module_file(
    a: &Analysis,
    source: pipec_diagnostics::SourceId,
    offset: u32,
) -> Option<GotoDefinitionResponse> {
    let tree = a.source(source).tree.clone()?;
    tree.stmts.iter().find_map(|s| {
        let g = s.generic().filter(|g| g.head.name == "use")?;
        let target = g.args.first()?;
        if !(target.span.start <= offset && offset <= target.span.end) {
            return None;
        }
        let address = match (&target.kind, target.as_path()) {
            (_, Some(p)) if p.len() == 2 && p[0] == "std" => {
                Address::Std(pipec_stdlib::module(p[1])?.name)
            }
            (ExprKind::Str(st), _) => {
                let here = a.source(source).address.as_ref()?.path()?;
                let dir = here.parent()?;
                Address::File(pipec_check::load::normalize(&dir.join(&st.value)))
            }
            _ => return None,
        };
        Some(GotoDefinitionResponse::Scalar(Location::new(
            address.uri(),
            Default::default(),
        )))
    })
}

pub(crate) fn references(server: &Server, p: ReferenceParams) -> Option<Vec<Location>> {
    let (a, source, offset) = server.locate(&p.text_document_position)?;
    let d = a.definition(a.symbol_at(source, offset)?)?;
    let mut spans = a.references_to(d);
    if !p.context.include_declaration && a.defs.all[d].written {
        spans.remove(0);
    }
    Some(
        spans
            .into_iter()
            .filter_map(|s| a.location(s, server.encoding))
            .collect(),
    )
}

pub(crate) fn symbols(server: &Server, p: DocumentSymbolParams) -> Option<DocumentSymbolResponse> {
    let address = Address::of(&p.text_document.uri)?;
    let (a, source) = server.analysis_of(&address)?;
    let mut children: HashMap<usize, Vec<DocumentSymbol>> = HashMap::new();
    let mut top = Vec::new();
    // Containers come before what they contain: build from the end.
    let defs: Vec<(usize, &crate::symbols::Definition)> = a.defs.of_source(source).collect();
    for (i, d) in defs.into_iter().rev() {
        #[allow(deprecated)] // `deprecated` is a required field of the type.
        let sym = DocumentSymbol {
            name: d.name.clone(),
            detail: Some(detail(&a, i)),
            kind: symbol_kind(d.kind),
            tags: None,
            deprecated: None,
            range: a.range(d.span, server.encoding),
            selection_range: a.range(d.name_span, server.encoding),
            children: children.remove(&i).map(|mut c| {
                c.reverse();
                c
            }),
        };
        match d.container {
            Some(c) => children.entry(c).or_default().push(sym),
            None => top.push(sym),
        }
    }
    top.reverse();
    Some(DocumentSymbolResponse::Nested(top))
}

fn detail(a: &Analysis, d: usize) -> String {
    let def = &a.defs.all[d];
    let sig = a.text(def.signature);
    let first = sig.lines().next().unwrap_or("").trim();
    match def.kind {
        DefKind::Parameter | DefKind::Input => first.to_string(),
        _ => first
            .split_once('=')
            .map_or(def.kind.word().to_string(), |(_, v)| v.trim().to_string()),
    }
}

fn symbol_kind(k: DefKind) -> SymbolKind {
    match k {
        DefKind::Pipeline => SymbolKind::NAMESPACE,
        DefKind::Job | DefKind::Publish => SymbolKind::FUNCTION,
        DefKind::Image => SymbolKind::CLASS,
        DefKind::Input | DefKind::Parameter => SymbolKind::VARIABLE,
        DefKind::Environment => SymbolKind::ENUM_MEMBER,
        DefKind::Service => SymbolKind::OBJECT,
        DefKind::Template => SymbolKind::METHOD,
        DefKind::Module => SymbolKind::MODULE,
        DefKind::Gitops | DefKind::Policy => SymbolKind::PROPERTY,
    }
}

/// The job or template declaration a rename at `pos` would rename, or why
/// it cannot.
fn renamable(
    server: &Server,
    pos: &TextDocumentPositionParams,
) -> Result<(std::sync::Arc<Analysis>, usize), String> {
    let (a, source, offset) = server
        .locate(pos)
        .ok_or_else(|| "no program is checked for this document".to_string())?;
    let d = a
        .symbol_at(source, offset)
        .and_then(|s| a.definition(s))
        .ok_or_else(|| "there is no job or template name here".to_string())?;
    let def = &a.defs.all[d];
    if !matches!(
        def.kind,
        DefKind::Job | DefKind::Template | DefKind::Publish
    ) {
        return Err(format!(
            "only jobs and templates are renamed, not a {}",
            def.kind.word()
        ));
    }
    if !def.written {
        return Err(format!(
            "`{}` is named after its image; write `as NAME` to give it a name",
            def.name
        ));
    }
    if a.source(def.span.source)
        .address
        .as_ref()
        .and_then(Address::path)
        .is_none()
    {
        return Err(format!(
            "`{}` is in the standard library, which is read-only",
            def.name
        ));
    }
    Ok((a, d))
}

pub(crate) fn prepare_rename(
    server: &Server,
    p: TextDocumentPositionParams,
) -> Option<PrepareRenameResponse> {
    let (a, source, offset) = server.locate(&p)?;
    let (_, d) = renamable(server, &p).ok()?;
    // The name under the cursor: the declaration's or a reference's.
    let span = a
        .symbol_at(source, offset)
        .map(|s| match s {
            crate::analysis::Symbol::Reference(r) => a.index.references[r].span,
            crate::analysis::Symbol::Definition(i) => a.defs.all[i].name_span,
        })
        .unwrap_or(a.defs.all[d].name_span);
    Some(PrepareRenameResponse::RangeWithPlaceholder {
        range: a.range(span, server.encoding),
        placeholder: a.defs.all[d].name.clone(),
    })
}

pub(crate) fn rename(server: &Server, p: RenameParams) -> Result<Option<WorkspaceEdit>, String> {
    let (a, d) = renamable(server, &p.text_document_position)?;
    let new = p.new_name.trim();
    let is_name = new.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && new.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !is_name || RESERVED.contains(&new) {
        return Err(format!(
            "`{new}` is not a name: use letters, digits and `_`"
        ));
    }
    let def = &a.defs.all[d];
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for span in a.references_to(d) {
        let Some(loc) = a.location(span, server.encoding) else {
            continue;
        };
        // A template called from another module is written `alias.name`:
        // the reference's span is the name alone.
        let written = a.text(span);
        if written != def.name {
            return Err(format!("`{written}` is not written as `{}`", def.name));
        }
        changes
            .entry(loc.uri)
            .or_default()
            .push(TextEdit::new(loc.range, new.to_string()));
    }
    Ok(Some(WorkspaceEdit::new(changes)))
}

/// Words that cannot name a job or template.
const RESERVED: &[&str] = &[
    "and", "or", "not", "in", "if", "true", "false", "branch", "tag", "event", "all",
];
