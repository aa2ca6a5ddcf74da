//! Formatting through `pipec fmt`'s formatter, and quick fixes from the
//! replacements the checker suggests (a misspelt name, a missing unit).

use std::collections::HashMap;

use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, DocumentFormattingParams,
    Range, TextEdit, WorkspaceEdit,
};

use crate::server::Server;
use crate::text::LineIndex;
use crate::uri::Address;

pub(crate) fn format(server: &Server, p: DocumentFormattingParams) -> Option<Vec<TextEdit>> {
    let Address::File(path) = Address::of(&p.text_document.uri)? else {
        return None;
    };
    let doc = server.documents.get(&path)?;
    // A file with syntax errors is left as it is; its errors are shown.
    let formatted = pipec_syntax::fmt::format(&doc.text).ok()?;
    Some(
        minimal_edit(&doc.text, &formatted, &doc.lines, server.encoding)
            .into_iter()
            .collect(),
    )
}

/// One edit replacing only what differs between `old` and `new`, so the
/// cursor and the undo history stay where the text did not change.
pub fn minimal_edit(
    old: &str,
    new: &str,
    lines: &LineIndex,
    enc: crate::text::Encoding,
) -> Option<TextEdit> {
    if old == new {
        return None;
    }
    let mut start = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(start) || !new.is_char_boundary(start) {
        start -= 1;
    }
    let mut common_end = old[start..]
        .bytes()
        .rev()
        .zip(new[start..].bytes().rev())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - common_end)
        || !new.is_char_boundary(new.len() - common_end)
    {
        common_end -= 1;
    }
    let range: Range = lines.range(old, start, old.len() - common_end, enc);
    Some(TextEdit::new(
        range,
        new[start..new.len() - common_end].to_string(),
    ))
}

pub(crate) fn code_actions(
    server: &Server,
    p: CodeActionParams,
) -> Option<Vec<CodeActionOrCommand>> {
    let address = Address::of(&p.text_document.uri)?;
    let (a, source) = server.analysis_of(&address)?;
    let s = a.source(source);
    let start = s.lines.offset(&s.text, p.range.start, server.encoding) as u32;
    let end = s.lines.offset(&s.text, p.range.end, server.encoding) as u32;
    let mut out = Vec::new();
    for d in &a.checked.diagnostics {
        let span = d.primary_span();
        if span.source != source || span.end < start || end < span.start || d.suggestions.is_empty()
        {
            continue;
        }
        let shown = crate::diagnostics::convert(d, &a, server.encoding).map(|(_, c)| c);
        for fix in &d.suggestions {
            let Some(loc) = a.location(fix.span, server.encoding) else {
                continue;
            };
            let was = a.text(fix.span);
            let edit = TextEdit::new(loc.range, fix.replacement.clone());
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: format!("Write `{}` instead of `{was}`", fix.replacement),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: shown.clone().map(|c| vec![c]),
                edit: Some(WorkspaceEdit::new(HashMap::from([(loc.uri, vec![edit])]))),
                is_preferred: Some(d.suggestions.len() == 1),
                ..Default::default()
            }));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Encoding;

    #[test]
    fn edits_cover_only_the_difference() {
        let old = "job  a { run \"x\" }\n";
        let new = "job a { run \"x\" }\n";
        let e = minimal_edit(old, new, &LineIndex::new(old), Encoding::Utf16).unwrap();
        assert_eq!((e.range.start.character, e.range.end.character), (4, 5));
        assert_eq!(e.new_text, "");
        assert!(minimal_edit(old, old, &LineIndex::new(old), Encoding::Utf16).is_none());
        let (old, new) = ("é1", "é2");
        let e = minimal_edit(old, new, &LineIndex::new(old), Encoding::Utf16).unwrap();
        assert_eq!((e.range.start.character, e.new_text.as_str()), (1, "2"));
    }
}
