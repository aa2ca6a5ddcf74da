//! The checker's diagnostics as an editor shows them: in the file of their
//! primary span, with the code linked to its explanation page, the other
//! labels as related locations, and the hint and notes in the message.

use std::str::FromStr;

use lsp_types::{
    CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag,
    NumberOrString, Uri,
};
use pipec_diagnostics::{Diagnostic, Severity, SourceId, code};

use crate::analysis::Analysis;
use crate::text::Encoding;

/// One diagnostic for the file of its primary span; `None` when that file
/// is not a document of the program (the standard library never has any).
pub fn convert(
    d: &Diagnostic,
    analysis: &Analysis,
    enc: Encoding,
) -> Option<(SourceId, lsp_types::Diagnostic)> {
    let primary = d.primary_span();
    let source = analysis.source(primary.source);
    source.address.as_ref()?.path()?;
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    for n in &d.notes {
        message.push_str("\nnote: ");
        message.push_str(n);
    }
    let related: Vec<DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .filter(|l| !l.primary)
        .filter_map(|l| {
            Some(DiagnosticRelatedInformation {
                location: analysis.location(l.span, enc)?,
                message: if l.message.is_empty() {
                    "related location".into()
                } else {
                    l.message.clone()
                },
            })
        })
        .collect();
    let unused = [code::UNUSED, code::UNUSED_IMPORT].contains(&d.code);
    Some((
        primary.source,
        lsp_types::Diagnostic {
            range: analysis.range(primary, enc),
            severity: Some(match d.severity {
                Severity::Error => DiagnosticSeverity::ERROR,
                Severity::Warning => DiagnosticSeverity::WARNING,
                Severity::Note => DiagnosticSeverity::INFORMATION,
            }),
            code: Some(NumberOrString::String(d.code.to_string())),
            code_description: Uri::from_str(&code::help_uri(d.code.as_str()))
                .ok()
                .map(|href| CodeDescription { href }),
            source: Some("pipec".into()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            tags: unused.then(|| vec![DiagnosticTag::UNNECESSARY]),
            data: None,
        },
    ))
}
