//! The programs the open documents belong to.
//!
//! `pipec check DIR` reads the `.pipe` files directly in a directory as one
//! program, and the files in subdirectories are modules the program imports
//! with `use "…"`. An open document is checked as part of its program: the
//! one a check already found it in; else, for a module, the program in a
//! directory above that imports it; else its own directory's program (or the
//! file alone, when the editor asks for one program per file).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lsp_types::Uri;
use pipec_check::{FileSystem, ParseCache};
use pipec_diagnostics::Diagnostic;

use crate::analysis::Analysis;

/// What the editor treats as a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Programs {
    /// A directory's `.pipe` files, as `pipec check DIR` reads them.
    Directory,
    /// Each file on its own, as `pipec check FILE` reads it.
    File,
}

/// How far above a module's directory its importer is looked for when the
/// workspace root is not known.
const IMPORTER_LEVELS: usize = 4;

/// One program and its latest check.
pub struct Program {
    /// What the checker is given: a directory or a file.
    pub root: PathBuf,
    pub parses: ParseCache,
    pub analysis: Option<Arc<Analysis>>,
    /// Counts checks, so that a target validation of an older check is
    /// recognised when it arrives.
    pub generation: u64,
    /// The targets' diagnostics for the current generation.
    pub targets: Vec<Diagnostic>,
    /// A validation is running (`Some(generation)`).
    pub validating: Option<u64>,
    /// Documents this program published diagnostics for.
    pub published: BTreeSet<Uri>,
}

impl Program {
    pub fn new(root: PathBuf) -> Self {
        Program {
            root,
            parses: ParseCache::new(),
            analysis: None,
            generation: 0,
            targets: Vec::new(),
            validating: None,
            published: BTreeSet::new(),
        }
    }

    /// Whether the latest check read `path` (a file of the program or a
    /// module it imports).
    pub fn has_file(&self, path: &Path) -> bool {
        self.analysis
            .as_ref()
            .is_some_and(|a| a.files().any(|(_, p)| p == path))
    }
}

/// The programs of the open documents, by root.
pub struct Workspace {
    pub programs: BTreeMap<PathBuf, Program>,
    pub mode: Programs,
    /// The folder the editor opened, if any: importers are looked for up to
    /// it.
    pub root: Option<PathBuf>,
}

impl Workspace {
    pub fn new(mode: Programs, root: Option<PathBuf>) -> Self {
        Workspace {
            programs: BTreeMap::new(),
            mode,
            root,
        }
    }

    /// The roots of the programs `path` belongs to, adding a program when it
    /// belongs to none known yet.
    pub fn programs_of(&mut self, path: &Path, fs: &dyn FileSystem) -> Vec<PathBuf> {
        let known: Vec<PathBuf> = self
            .programs
            .values()
            .filter(|p| p.root == path || p.has_file(path))
            .map(|p| p.root.clone())
            .collect();
        if !known.is_empty() {
            return known;
        }
        let root = match self.mode {
            Programs::File => path.to_path_buf(),
            Programs::Directory => self.importer(path, fs).unwrap_or_else(|| {
                path.parent()
                    .map_or_else(|| path.to_path_buf(), Path::to_path_buf)
            }),
        };
        self.programs
            .entry(root.clone())
            .or_insert_with(|| Program::new(root.clone()));
        vec![root]
    }

    /// A directory above `path`'s whose program has a file that imports
    /// `path` with `use "…"`.
    fn importer(&self, path: &Path, fs: &dyn FileSystem) -> Option<PathBuf> {
        let dir = path.parent()?;
        let limit = match &self.root {
            Some(r) if dir.starts_with(r) => dir.components().count() - r.components().count(),
            _ => IMPORTER_LEVELS,
        };
        for above in dir.ancestors().skip(1).take(limit) {
            let files = fs.pipe_files(above).unwrap_or_default();
            for f in files {
                let Some(text) = fs
                    .read_bytes(&f)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                else {
                    continue;
                };
                if imports(&text).any(|rel| pipec_check::load::normalize(&above.join(rel)) == path)
                {
                    return Some(above.to_path_buf());
                }
            }
        }
        None
    }
}

/// The paths a file's `use "…"` statements name, read from its lines
/// without parsing it (it may not parse).
fn imports(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter_map(|l| {
        let rest = l.trim_start().strip_prefix("use")?;
        let rest = rest.trim_start().strip_prefix('"')?;
        rest.split('"').next()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipec_check::MemoryFs;

    #[test]
    fn modules_belong_to_the_program_that_imports_them() {
        let fs = MemoryFs(
            [
                (
                    "/w/app/main.pipe",
                    "use \"lib/shared.pipe\" as s\npipeline p {}\n",
                ),
                (
                    "/w/app/lib/shared.pipe",
                    "template t() -> job { run \"x\" }\n",
                ),
                (
                    "/w/app/lib/other.pipe",
                    "template u() -> job { run \"x\" }\n",
                ),
            ]
            .into_iter()
            .map(|(p, t)| (PathBuf::from(p), t.to_string()))
            .collect(),
        );
        let mut ws = Workspace::new(Programs::Directory, Some(PathBuf::from("/w")));
        assert_eq!(
            ws.programs_of(Path::new("/w/app/lib/shared.pipe"), &fs),
            vec![PathBuf::from("/w/app")]
        );
        // Not imported: its own directory.
        assert_eq!(
            ws.programs_of(Path::new("/w/app/lib/other.pipe"), &fs),
            vec![PathBuf::from("/w/app/lib")]
        );
        let mut single = Workspace::new(Programs::File, None);
        assert_eq!(
            single.programs_of(Path::new("/w/app/main.pipe"), &fs),
            vec![PathBuf::from("/w/app/main.pipe")]
        );
    }
}
