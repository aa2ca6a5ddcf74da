//! The `.pipe` syntax: grammar, syntax tree and parser.
//!
//! Phases of the compiler, in order:
//! 1. **syntax** (this crate): text → [`ast::File`], with every syntax error of
//!    the file, never a panic, whatever the input;
//! 2. `pipec-check`: files → resolved, typed program (names, types, templates);
//! 3. `pipec-graph`: the pipeline graph every target reads;
//! 4. targets: GitHub Actions, GitLab CI, Kustomize, Argo CD, pre-commit.
//!
//! [`scan`] runs before the grammar and bounds what the grammar sees (nesting,
//! forbidden characters); [`parse`] builds the tree and resumes after errors at
//! the next top-level statement. [`fmt`] prints a tree back in the canonical
//! layout, with the comments of the text it came from (`pipec fmt`).

pub mod ast;
mod errors;
pub mod fmt;
mod parse;
mod recover;
pub mod scan;

pub use parse::{MAX_EXPR_DEPTH, MAX_FILE_SIZE, dedent, parse};

#[cfg(test)]
mod tests;
