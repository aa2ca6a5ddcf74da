//! The driver: what the `pipec` command does, as a library the tests call too.
//!
//! [`emit`] runs the selected targets over a checked program into an in-memory
//! [`OutputTree`]; the commands in `main.rs` print diagnostics and persist the
//! tree.

pub mod persist;
mod project;
pub mod targets;

pub use project::ProjectFs;

use pipec_diagnostics::Diagnostic;
use pipec_emit::{OutputTree, Target};
use pipec_graph::Program;

/// Renders the named targets (all when `selected` is empty).
pub fn emit(program: &Program, selected: &[&str]) -> Result<OutputTree, Vec<Diagnostic>> {
    let mut tree = OutputTree::new();
    let mut diags = Vec::new();
    let all = targets::all();
    let chosen: Vec<&Box<dyn Target>> = all
        .iter()
        .filter(|t| selected.is_empty() || selected.contains(&t.name()))
        .collect();
    for t in chosen {
        let mut part = OutputTree::new();
        match t.emit(program, &mut part) {
            Ok(()) => {
                // Target paths are disjoint by construction (`pipec_emit::layout`).
                if let Some(clash) = tree.merge(part).first() {
                    panic!(
                        "targets {} and {} both write {}",
                        clash.first, clash.second, clash.path
                    );
                }
            }
            Err(d) => diags.extend(d),
        }
    }
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    Ok(tree)
}
