//! `pipec lsp`: the language server editors start to check `.pipe` files as
//! they are written.
//!
//! It speaks the Language Server Protocol over stdio ([`serve_stdio`]) with
//! `lsp-server`, and answers from the same checker `pipec check` runs:
//! - **diagnostics** ([`diagnostics`]) of the whole program a document
//!   belongs to ([`workspace`]), on open and on every change, in the file
//!   each belongs to, then the targets' validation when it is done;
//! - **hover** ([`hover`]): the type and unit of a value, the documentation
//!   of a statement ([`vocabulary`]) or template, what a name refers to;
//! - **navigation** ([`navigate`]): go to definition (into the standard
//!   library as read-only `pipec-std:` documents, [`uri`]), references,
//!   the outline of a document, rename of jobs and templates;
//! - **completion** ([`complete`]) of statements, template parameters,
//!   names, enum values and units;
//! - **formatting** through `pipec fmt`'s formatter and **quick fixes**
//!   from the checker's suggestions ([`actions`]).
//!
//! A check after a change parses only the changed file
//! (`pipec_check::check_indexed` with a `ParseCache` per program), and the
//! checker's index ([`analysis`], [`symbols`]) says what each name refers
//! to. The server reads files only through the [`FileSystem`] the driver
//! gives it, with the editor's unsaved documents laid over it
//! ([`documents`]).

// `lsp_types::Uri` keeps parts of itself in cells once parsed, but its
// equality, order and hash are those of its text, so maps keyed by it are
// sound.
#![allow(clippy::mutable_key_type)]

pub mod actions;
pub mod analysis;
pub mod complete;
mod context;
pub mod diagnostics;
pub mod documents;
pub mod hover;
pub mod navigate;
mod server;
pub mod symbols;
pub mod text;
pub mod uri;
pub mod vocabulary;
pub mod workspace;

use std::path::Path;
use std::sync::Arc;

use pipec_check::FileSystem;
use pipec_diagnostics::Diagnostic;
use pipec_graph::Program;

/// Validates a checked program for the targets it builds to, as `pipec
/// check` does: the program, the path it was checked from, and the folder
/// the editor opened (where `pipec build` keeps its manifest).
pub type Validate = Arc<dyn Fn(&Program, &Path, Option<&Path>) -> Vec<Diagnostic> + Send + Sync>;

/// The file system to read the program at a path (a file or a directory)
/// from, as `pipec check PATH` reads it: the driver confines it to the
/// program's project, so a `use` that leads out of it is refused (E0114)
/// in the editor too.
pub type FileSystemFor = Box<dyn Fn(&Path) -> Box<dyn FileSystem>>;

/// What the driver gives the server.
pub struct Options {
    pub file_system: FileSystemFor,
    /// The targets' validation; it runs in the background after each check,
    /// its diagnostics joining the checker's when it is done.
    pub validate: Option<Validate>,
}

/// How the session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// `exit` after `shutdown`, as the protocol asks.
    Clean,
    /// `exit` without `shutdown`, or the editor went away.
    Abrupt,
}

/// Serves one editor over stdin and stdout until it exits.
pub fn serve_stdio(options: Options) -> Result<Exit, Box<dyn std::error::Error + Send + Sync>> {
    let (connection, io_threads) = lsp_server::Connection::stdio();
    let exit = server::serve(connection, options)?;
    io_threads.join()?;
    Ok(exit)
}

/// Serves one editor over a connection (tests use an in-memory one).
pub fn serve(
    connection: lsp_server::Connection,
    options: Options,
) -> Result<Exit, Box<dyn std::error::Error + Send + Sync>> {
    server::serve(connection, options)
}
