//! The driver: what the `pipec` command does, as a library the tests call too.
//!
//! [`render`] runs the selected targets over a checked program into an
//! in-memory [`OutputTree`] with every diagnostic they report, which `pipec
//! build` persists; [`validate`] keeps only the diagnostics, for `pipec
//! check`.

pub mod persist;
mod project;
pub mod targets;

pub use project::ProjectFs;

use pipec_diagnostics::Diagnostic;
use std::cell::RefCell;
use std::rc::Rc;

use pipec_emit::tree::{PathClash, Sink};
use pipec_emit::{OutputTree, Target};
use pipec_graph::Program;

/// Runs the named targets (all when `selected` is empty): the files they
/// write and every diagnostic they report, warnings included. `Err` when two
/// targets write the same path.
pub fn render(
    program: &Program,
    selected: &[&str],
) -> Result<(OutputTree, Vec<Diagnostic>), PathClash> {
    render_into(program, selected, None)
}

/// [`render`], handing each file to `sink` as it is made instead of keeping
/// it: the tree returned holds the paths only. The files of a target that
/// fails are [`Sink::discard`]ed.
pub fn render_streaming(
    program: &Program,
    selected: &[&str],
    sink: Rc<RefCell<dyn Sink>>,
) -> Result<(OutputTree, Vec<Diagnostic>), PathClash> {
    render_into(program, selected, Some(sink))
}

fn render_into(
    program: &Program,
    selected: &[&str],
    sink: Option<Rc<RefCell<dyn Sink>>>,
) -> Result<(OutputTree, Vec<Diagnostic>), PathClash> {
    let mut tree = if sink.is_some() {
        OutputTree::paths_only()
    } else {
        OutputTree::new()
    };
    let mut diags = Vec::new();
    let all = targets::all();
    let chosen: Vec<&Box<dyn Target>> = all
        .iter()
        .filter(|t| selected.is_empty() || selected.contains(&t.name()))
        .collect();
    for t in chosen {
        let mut part = match &sink {
            Some(s) => OutputTree::streaming(s.clone()),
            None => OutputTree::new(),
        };
        match t.emit(program, &mut part) {
            Ok(()) => {
                if let Some(clash) = tree.merge(part).into_iter().next() {
                    return Err(clash);
                }
            }
            Err(d) => {
                if let Some(s) = &sink {
                    s.borrow_mut().discard(t.name());
                }
                diags.extend(d)
            }
        }
    }
    Ok((tree, diags))
}

/// The diagnostics of the named targets (all when `selected` is empty): what
/// [`render`] reports, without keeping the files.
pub fn validate(program: &Program, selected: &[&str]) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for t in targets::all()
        .iter()
        .filter(|t| selected.is_empty() || selected.contains(&t.name()))
    {
        // Only the diagnostics are wanted: the files are dropped as made.
        if let Err(d) = t.emit(program, &mut OutputTree::paths_only()) {
            diags.extend(d);
        }
    }
    diags
}

/// Renders the named targets (all when `selected` is empty); `Err` with the
/// diagnostics when a target reports an error.
pub fn emit(program: &Program, selected: &[&str]) -> Result<OutputTree, Vec<Diagnostic>> {
    // Target paths are disjoint by construction (`pipec_emit::layout`).
    let (tree, diags) = render(program, selected)
        .unwrap_or_else(|c| panic!("targets {} and {} both write {}", c.first, c.second, c.path));
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    Ok(tree)
}
