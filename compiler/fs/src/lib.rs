//! The file-system layer: every path pipec opens, writes, renames or deletes
//! goes through this crate, so that what pipec may touch is decided in one
//! place (docs/security.md).
//!
//! - [`read`]: reading a file: regular files only — a FIFO, a socket or a
//!   device is refused without blocking — and never more than a limit, which
//!   is enforced while reading.
//! - [`Project`]: the directory a program and the modules it imports are read
//!   from. Nothing outside it is read: no absolute path, no `..` above it, no
//!   symbolic link that leads out of it.
//! - [`OutDir`]: the output directory of a build. Every change is confined to
//!   it and never follows a symbolic link — neither at the file changed nor
//!   at any directory on the way to it; new files are created exclusively.
//!   It also holds the build lock ([`OutDir::lock`]) and flushes changes to
//!   disk ([`OutDir::sync`]).
//! - [`walk`]: the files under a directory, for `pipec lint` and `pipec fmt`:
//!   symbolic links are followed only to regular files inside the walked
//!   directory.
//! - [`write`]: replacing a file the user named (`pipec fmt`, `pipec init`)
//!   through an exclusively created temporary file.
//! - [`path`]: plain relative paths, lexical normalization, relative names.
//!
//! Refusals are `std::io::Error`s that carry a [`Refusal`], so callers that
//! only report them need nothing special, and callers that decide on them
//! (`pipec build` treating a symbolic link at a destination as a file that is
//! not pipec's) can ask [`refusal`].
//!
//! pipec runs on Unix-like systems (Linux, macOS); this crate uses their
//! directory-relative calls (`openat`, `renameat`, `unlinkat`).

#[cfg(not(unix))]
compile_error!("pipec's file-system layer needs a Unix-like system");

mod error;
mod out;
pub mod path;
mod project;
pub mod read;
pub mod walk;
pub mod write;

pub use error::{Refusal, refusal};
pub use out::{Kind, Lock, LockMode, OutDir};
pub use project::{Project, ProjectError};
pub use read::read;

/// The largest file pipec reads: a `.pipe` program or module, a YAML file to
/// lint, a configuration file, a generated file (8 MiB).
pub const MAX_FILE_SIZE: u64 = 8 * 1024 * 1024;
