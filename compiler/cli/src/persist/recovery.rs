//! What a build that was killed leaves behind, and cleaning it up.
//!
//! Before it creates its first temporary file, a build writes the record
//! [`IN_PROGRESS`], naming the directories it will create temporary files and
//! backups in; it removes the record once those are gone. A record found
//! later means a build was interrupted (killed, or the machine stopped): its
//! temporary files (`.NAME.pipec-tmp`) and backups (`.NAME.pipec-old`) may
//! still be in those directories, and some files may be new while others are
//! still old (each file is either, never a mix: it was renamed into place
//! whole). `pipec build --check` reports the leftovers and is not up to date
//! while they exist; the next `pipec build` removes them ([`recover`]), then
//! brings every file up to date as usual.
//!
//! The record comes from the output directory, which anyone may have
//! committed to: only entries with those two reserved names, in directories
//! that are plain relative paths, are ever removed — links themselves, never
//! what they point to.

use std::io;

use pipec_fs::path::is_plain_relative;

use super::manifest::IN_PROGRESS;
use super::{Disk, PlanError};

/// The first line of the record.
const HEADING: &str =
    "pipec build is changing files here; if this file remains, it was interrupted. Directories:";

/// The record for a build that creates temporary files in `dirs` (`""` for
/// the output directory itself).
pub fn record<'a>(dirs: impl IntoIterator<Item = &'a str>) -> String {
    let mut text = format!("{HEADING}\n");
    for d in dirs {
        text.push_str(if d.is_empty() { "." } else { d });
        text.push('\n');
    }
    text
}

/// Whether `name` is one pipec gives a temporary file or a backup.
pub fn is_reserved(name: &str) -> bool {
    name.starts_with('.') && (name.ends_with(".pipec-tmp") || name.ends_with(".pipec-old"))
}

/// What an interrupted build left: its temporary files and backups, then the
/// record itself. Empty when the last build completed.
pub fn leftovers(disk: &dyn Disk) -> Result<Vec<String>, PlanError> {
    let text = match disk.read(IN_PROGRESS) {
        Ok(None) => return Ok(Vec::new()),
        Ok(Some(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
        // Not a file pipec wrote (a link, say): only the entry goes.
        Err(e) if pipec_fs::refusal(&e).is_some() => return Ok(vec![IN_PROGRESS.to_string()]),
        Err(e) => return Err(PlanError::Io(IN_PROGRESS.into(), e)),
    };
    let mut found = Vec::new();
    for line in text.lines().skip(1) {
        let dir = if line == "." { "" } else { line };
        if !dir.is_empty() && !is_plain_relative(dir) {
            continue;
        }
        let names = match disk.files_in(dir) {
            Ok(n) => n,
            // A directory that became a link is not looked into.
            Err(e) if pipec_fs::refusal(&e).is_some() => continue,
            Err(e) => return Err(PlanError::Io(dir.into(), e)),
        };
        for name in names.into_iter().filter(|n| is_reserved(n)) {
            found.push(if dir.is_empty() {
                name
            } else {
                format!("{dir}/{name}")
            });
        }
    }
    found.sort();
    found.dedup();
    found.push(IN_PROGRESS.to_string());
    Ok(found)
}

/// Removes what an interrupted build left (the record last); returns what
/// was removed.
pub fn recover(disk: &mut dyn Disk) -> Result<Vec<String>, PlanError> {
    let found = leftovers(disk)?;
    for path in &found {
        match disk.remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(PlanError::Io(path.clone(), e)),
        }
    }
    Ok(found)
}
