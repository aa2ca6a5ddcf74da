//! `pipec lsp`: the language server (`pipec_lsp`) over stdio, reading
//! programs through the driver's file system and validating them for their
//! targets as `pipec check` does.

use std::path::Path;
use std::sync::Arc;

use clap::Args;
use pipec::persist::{self, RealDisk, disk};
use pipec::targets;
use pipec_check::RealFs;
use pipec_diagnostics::Diagnostic;
use pipec_emit::OutputTree;
use pipec_graph::Program;
use pipec_lsp::{Exit, Options};

use crate::output::Output;

#[derive(Args)]
pub struct LspArgs {
    /// Speak over standard input and output (the only transport; accepted
    /// because editors pass it).
    #[arg(long)]
    pub stdio: bool,
}

pub fn run(_args: &LspArgs, out: &Output) -> u8 {
    let options = Options {
        file_system: Box::new(|_| Box::new(RealFs)),
        validate: Some(Arc::new(validate)),
    };
    match pipec_lsp::serve_stdio(options) {
        Ok(Exit::Clean) => 0,
        Ok(Exit::Abrupt) => 1,
        Err(e) => {
            out.error(&format!("language server: {e}"));
            2
        }
    }
}

/// What `pipec build` would report for the targets the program builds to:
/// those the manifest under the editor's folder records for it, or all.
fn validate(program: &Program, path: &Path, folder: Option<&Path>) -> Vec<Diagnostic> {
    let recorded = folder.and_then(|root| {
        let manifest = persist::read_manifest(&RealDisk::new(root)).ok()?;
        let key = disk::relative(root, path);
        manifest.programs.get(&key).map(|e| e.targets.clone())
    });
    let mut diags = Vec::new();
    for t in targets::all().iter().filter(|t| {
        recorded
            .as_ref()
            .is_none_or(|r| r.iter().any(|n| n == t.name()))
    }) {
        if let Err(d) = t.emit(program, &mut OutputTree::new()) {
            diags.extend(d);
        }
    }
    diags
}
