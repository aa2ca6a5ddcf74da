//! `pipec lsp`: the language server (`pipec_lsp`) over stdio, reading
//! programs through the driver's confined file system ([`ProjectFs`]) and
//! validating them for their targets as `pipec check` does.

use std::path::Path;
use std::sync::Arc;

use clap::Args;
use pipec::ProjectFs;
use pipec::persist::{self, RealDisk};
use pipec_check::{FileSystem, MemoryFs};
use pipec_diagnostics::Diagnostic;
use pipec_graph::Program;
use pipec_lsp::{Exit, Options};

use crate::build::{program_key, targets_of};
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
        file_system: Box::new(project_fs),
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

/// The program at `path` read as `pipec check PATH` reads it, confined to
/// its directory; where that cannot be opened (a folder that is gone), a
/// file system with nothing in it, so the editor's documents alone are
/// checked.
fn project_fs(path: &Path) -> Box<dyn FileSystem> {
    match ProjectFs::for_program(path, None) {
        Ok(fs) => Box::new(fs),
        Err(_) => Box::new(MemoryFs::default()),
    }
}

/// What `pipec build` would report for the targets the program builds to,
/// as `pipec check` chooses them: those the manifest under the editor's
/// folder records for it, or all.
fn validate(program: &Program, path: &Path, folder: Option<&Path>) -> Vec<Diagnostic> {
    let manifest = folder
        .and_then(|root| persist::read_manifest(&RealDisk::open(root).ok()?).ok())
        .unwrap_or_default();
    let key = folder
        .and_then(|root| program_key(&pipec_fs::path::absolute(root), path))
        .unwrap_or_default();
    let targets = targets_of(&[], &manifest, &key);
    let names: Vec<&str> = targets.iter().map(String::as_str).collect();
    pipec::validate(program, &names)
}
