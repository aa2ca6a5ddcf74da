//! Hover: what a name refers to, with its declaration and documentation;
//! what a statement does; what type a value was read as, and what its unit
//! makes of it.

use lsp_types::{Hover, HoverContents, HoverParams, MarkupContent, MarkupKind};
use pipec_check::types::Ty;
use pipec_check::value::{parse_cpu, parse_duration, parse_memory};
use pipec_diagnostics::{SourceId, Span};

use crate::analysis::{Analysis, Symbol};
use crate::context::statement_at;
use crate::server::Server;
use crate::symbols::DefKind;
use crate::vocabulary;

pub(crate) fn hover(server: &Server, p: HoverParams) -> Option<Hover> {
    let (a, source, offset) = server.locate(&p.text_document_position_params)?;
    let (text, span) = describe(&a, source, offset)?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: text,
        }),
        range: Some(a.range(span, server.encoding)),
    })
}

/// The markdown hover shows at `offset`, and the span it is about.
pub fn describe(a: &Analysis, source: SourceId, offset: u32) -> Option<(String, Span)> {
    if let Some(symbol) = a.symbol_at(source, offset) {
        let span = match symbol {
            Symbol::Reference(r) => a.index.references[r].span,
            Symbol::Definition(d) => a.defs.all[d].name_span,
        };
        let mut text = a
            .definition(symbol)
            .map(|d| declaration(a, d))
            .unwrap_or_default();
        if let Some((_, ty)) = a.index.type_at(source, offset).filter(|(s, _)| *s == span) {
            push_paragraph(&mut text, &format!("read as {}", type_text(ty)));
        }
        if !text.is_empty() {
            return Some((text, span));
        }
    }
    if let Some(tree) = &a.source(source).tree
        && let Some((context, stmt)) = statement_at(tree, offset)
    {
        let head = match &stmt.kind {
            pipec_syntax::ast::StmtKind::Generic(g) => g.head.name.as_str(),
            pipec_syntax::ast::StmtKind::Template(_) => "template",
            pipec_syntax::ast::StmtKind::Dispatch(_) => "on",
        };
        if let Some(doc) = vocabulary::doc(context, head) {
            let shapes = doc
                .shapes
                .iter()
                .map(|s| format!("    {s}"))
                .collect::<Vec<_>>()
                .join("\n");
            return Some((format!("{shapes}\n\n{}", doc.meaning), stmt.head_span()));
        }
    }
    let (span, ty) = a.index.type_at(source, offset)?;
    Some((value(a.text(span), ty), span))
}

/// A declaration: its statement as written, what it is and where, and the
/// comment above it.
fn declaration(a: &Analysis, d: usize) -> String {
    let def = &a.defs.all[d];
    let mut signature = a.text(def.signature).trim_end().to_string();
    if signature.lines().count() > 12 {
        signature = signature.lines().take(12).collect::<Vec<_>>().join("\n") + "\n…";
    }
    let mut text = format!("```pipe\n{signature}\n```");
    let mut what = format!("{} `{}`", def.kind.word(), def.name);
    if let Some(c) = def.container {
        let container = &a.defs.all[c];
        what.push_str(&format!(
            " of {} `{}`",
            container.kind.word(),
            container.name
        ));
    }
    let file = a.source(def.span.source);
    if let Some(module) = file.address.as_ref().and_then(|ad| match ad {
        crate::uri::Address::Std(m) => Some(*m),
        _ => None,
    }) {
        what.push_str(&format!(" in `std.{module}`"));
    }
    push_paragraph(&mut text, &what);
    if !def.written {
        push_paragraph(
            &mut text,
            "the job is named after its image; write `as NAME` to name it",
        );
    }
    let doc = match def.kind {
        // What a module is about: the comment its file starts with.
        DefKind::Module => module_doc(a, def.span),
        _ => comment_above(&file.text, def.span.start as usize),
    };
    if !doc.is_empty() {
        push_paragraph(&mut text, &doc);
    }
    text
}

fn push_paragraph(text: &mut String, p: &str) {
    if !text.is_empty() {
        text.push_str("\n\n");
    }
    text.push_str(p);
}

/// The `//` lines right above byte `at` (no blank line between).
pub fn comment_above(text: &str, at: usize) -> String {
    let before = text.get(..at).unwrap_or("");
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let mut lines: Vec<&str> = Vec::new();
    for line in before[..line_start].lines().rev() {
        match line.trim_start().strip_prefix("//") {
            Some(c) => lines.push(c.strip_prefix(' ').unwrap_or(c)),
            None => break,
        }
    }
    lines.reverse();
    lines.join(" ")
}

/// The comment a module's file starts with, for `use` statements.
fn module_doc(a: &Analysis, use_stmt: Span) -> String {
    let Some(r) = a
        .index
        .references
        .iter()
        .find(|r| r.declaration == Some(use_stmt))
    else {
        return String::new();
    };
    let Some(t) = a.index.references.iter().find(|t| {
        t.span.start > r.span.start && t.declaration.is_some_and(|d| d.source != r.span.source)
    }) else {
        return String::new();
    };
    let module = &a
        .source(t.declaration.map_or(t.span.source, |d| d.source))
        .text;
    let first: Vec<&str> = module
        .lines()
        .take_while(|l| l.trim_start().starts_with("//"))
        .map(|l| l.trim_start().trim_start_matches("//").trim())
        .collect();
    first.join(" ")
}

/// A type for people: `list<enum(low, high)>`, and the words it allows.
fn type_text(ty: &Ty) -> String {
    format!("`{ty}`, {}", pipec_check::eval::ty_name(ty))
}

/// What a value is, read as `ty`.
fn value(text: &str, ty: &Ty) -> String {
    let mut out = format!("`{text}`: {}", type_text(ty));
    if let Some(meaning) = quantity(text, ty) {
        out.push_str(&format!(" — {meaning}"));
    }
    out
}

/// What a number with a unit means as `ty`: `5m` is five minutes as a
/// duration and five millicores as CPU.
pub fn quantity(text: &str, ty: &Ty) -> Option<String> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(text.len());
    let (number, unit) = (text[..split].replace('_', ""), &text[split..]);
    if number.is_empty() {
        return None;
    }
    match ty {
        Ty::Duration => {
            let d = parse_duration(&format!("{number}{unit}")).ok()?;
            Some(duration_words(d.seconds))
        }
        Ty::Cpu => {
            let c = parse_cpu(&number, unit).ok()?;
            let cores = c.millicores as f64 / 1000.0;
            Some(format!("{} millicores ({cores} of a core)", c.millicores))
        }
        Ty::Memory => {
            let m = parse_memory(&number, unit).ok()?;
            Some(format!("{} bytes", thousands(m.bytes)))
        }
        Ty::Percent if unit == "%" => Some(format!("{number} percent")),
        Ty::Range(t) => {
            let (lo, hi) = text.split_once("..")?;
            Some(format!("from {} to {}", quantity(lo, t)?, quantity(hi, t)?))
        }
        Ty::List(t) | Ty::Matrix(t) | Ty::Optional(t) => quantity(text, t),
        _ => None,
    }
}

fn duration_words(seconds: u64) -> String {
    let parts = [
        (86_400, "day"),
        (3_600, "hour"),
        (60, "minute"),
        (1, "second"),
    ];
    let mut rest = seconds;
    let mut words = Vec::new();
    for (size, name) in parts {
        let n = rest / size;
        rest %= size;
        if n > 0 {
            words.push(format!("{n} {name}{}", if n == 1 { "" } else { "s" }));
        }
    }
    if words.is_empty() {
        "0 seconds".into()
    } else {
        words.join(" ")
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_depend_on_the_type() {
        assert_eq!(quantity("5m", &Ty::Duration).as_deref(), Some("5 minutes"));
        assert_eq!(
            quantity("1h30m", &Ty::Duration).as_deref(),
            Some("1 hour 30 minutes")
        );
        assert_eq!(
            quantity("250m", &Ty::Cpu).as_deref(),
            Some("250 millicores (0.25 of a core)")
        );
        assert_eq!(
            quantity("512Mi", &Ty::Memory).as_deref(),
            Some("536,870,912 bytes")
        );
        assert_eq!(
            quantity("250m..1", &Ty::Range(Box::new(Ty::Cpu))).as_deref(),
            Some("from 250 millicores (0.25 of a core) to 1000 millicores (1 of a core)")
        );
        assert_eq!(quantity("70%", &Ty::Percent).as_deref(), Some("70 percent"));
        assert_eq!(quantity("\"x\"", &Ty::String), None);
    }

    #[test]
    fn comments_above_a_statement() {
        let text = "// one\n// two\ntemplate t() -> job {}\n\n// not this\n\njob x";
        assert_eq!(
            comment_above(text, text.find("template").unwrap()),
            "one two"
        );
        assert_eq!(comment_above(text, text.find("job x").unwrap()), "");
    }
}
