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
//! The record also names the files the build creates where none was (after
//! an empty line). If the build was killed before it switched the manifest,
//! no manifest lists them, and no later build would ever remove them: the
//! next build removes each one that no program of the manifest owns and that
//! still carries an intact pipec header, and the directories that leaves
//! empty.
//!
//! The record comes from the output directory, which anyone may have
//! committed to: only entries with those two reserved names, in directories
//! that are plain relative paths, are ever removed — links themselves, never
//! what they point to.

use std::io;

use pipec_emit::header;
use pipec_fs::path::{is_plain_relative, parent};

use super::manifest::IN_PROGRESS;
use super::{Disk, PlanError};

/// The first line of the record.
const HEADING: &str =
    "pipec build is changing files here; if this file remains, it was interrupted. Directories:";

/// The record for a build that creates temporary files in `dirs` (`""` for
/// the output directory itself) and the files `created` where none was.
pub fn record<'a>(
    dirs: impl IntoIterator<Item = &'a str>,
    created: impl IntoIterator<Item = &'a str>,
) -> String {
    let mut text = format!("{HEADING}\n");
    for d in dirs {
        text.push_str(if d.is_empty() { "." } else { d });
        text.push('\n');
    }
    // Directory lines are never empty (`.` is the directory itself).
    text.push('\n');
    for f in created {
        text.push_str(f);
        text.push('\n');
    }
    text
}

/// The two lists of a record: directories, then created files.
fn sections(text: &str) -> (Vec<&str>, Vec<&str>) {
    let mut lines = text.lines().skip(1);
    let dirs = lines.by_ref().take_while(|l| !l.is_empty()).collect();
    (dirs, lines.collect())
}

/// Whether `name` is one pipec gives a temporary file or a backup.
pub fn is_reserved(name: &str) -> bool {
    name.starts_with('.') && (name.ends_with(".pipec-tmp") || name.ends_with(".pipec-old"))
}

/// What an interrupted build left: its temporary files and backups, then the
/// record itself, then what it staged ([`super::STAGE`]). Empty when the
/// last build completed.
pub fn leftovers(disk: &dyn Disk) -> Result<Vec<String>, PlanError> {
    let mut found = interrupted(disk)?.map_or_else(Vec::new, |i| i.leftovers);
    found.extend(staged(disk)?);
    Ok(found)
}

/// The files in the staging directory: a build stopped before it committed
/// staged them.
fn staged(disk: &dyn Disk) -> Result<Vec<String>, PlanError> {
    if !disk.is_dir(super::STAGE) {
        // Something else at its name (a committed link) is in the way.
        return Ok(if disk.exists(super::STAGE) {
            vec![super::STAGE.to_string()]
        } else {
            Vec::new()
        });
    }
    match super::stage::stage_contents(disk) {
        Ok(found) => Ok(found),
        Err(e) if pipec_fs::refusal(&e).is_some() => Ok(vec![format!("{}/", super::STAGE)]),
        Err(e) => Err(PlanError::Io(super::STAGE.into(), e)),
    }
}

/// What the record of an interrupted build says is left.
struct Interrupted {
    /// Temporary files, backups and unowned created files, then the record.
    leftovers: Vec<String>,
    /// The directories it worked in (plain relative paths; not `.`).
    dirs: Vec<String>,
}

/// Reads the record once: `None` when the last build completed.
fn interrupted(disk: &dyn Disk) -> Result<Option<Interrupted>, PlanError> {
    let text = match disk.read(IN_PROGRESS) {
        Ok(None) => return Ok(None),
        Ok(Some(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
        // Not a file pipec wrote (a link, say): only the entry goes.
        Err(e) if pipec_fs::refusal(&e).is_some() => {
            return Ok(Some(Interrupted {
                leftovers: vec![IN_PROGRESS.to_string()],
                dirs: Vec::new(),
            }));
        }
        Err(e) => return Err(PlanError::Io(IN_PROGRESS.into(), e)),
    };
    let mut found = Vec::new();
    let (lines, created) = sections(&text);
    let dirs: Vec<&str> = lines
        .into_iter()
        .map(|l| if l == "." { "" } else { l })
        .filter(|d| d.is_empty() || is_plain_relative(d))
        .collect();
    for &dir in &dirs {
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
    found.extend(unowned(disk, &created)?);
    found.sort();
    found.dedup();
    found.push(IN_PROGRESS.to_string());
    Ok(Some(Interrupted {
        leftovers: found,
        dirs: dirs
            .into_iter()
            .filter(|d| !d.is_empty())
            .map(|d| format!("{d}/"))
            .collect(),
    }))
}

/// Of the files an interrupted build created, those no program of the
/// manifest owns that are still pipec's, unedited. None when the manifest
/// cannot be read: then nothing is known to be safe to remove.
fn unowned(disk: &dyn Disk, created: &[&str]) -> Result<Vec<String>, PlanError> {
    if created.is_empty() {
        return Ok(Vec::new());
    }
    let Ok(manifest) = super::read_manifest(disk) else {
        return Ok(Vec::new());
    };
    let mut found = Vec::new();
    for &path in created {
        if !super::is_safe_path(path)
            || manifest
                .programs
                .values()
                .any(|e| e.files.contains_key(path))
        {
            continue;
        }
        let text = match disk.read(path) {
            Ok(Some(bytes)) => String::from_utf8(bytes).ok(),
            Ok(None) => None,
            Err(e) if pipec_fs::refusal(&e).is_some() => None,
            Err(e) => return Err(PlanError::Io(path.into(), e)),
        };
        if text.is_some_and(|t| matches!(header::inspect(&t), header::Provenance::Intact { .. })) {
            found.push(path.to_string());
        }
    }
    Ok(found)
}

/// Removes what an interrupted build left (the record last), then the
/// directories it worked in that are empty; returns the files removed.
pub fn recover(disk: &mut dyn Disk) -> Result<Vec<String>, PlanError> {
    let staged = staged(disk)?;
    if disk.exists(super::STAGE) {
        super::discard_stage(disk).map_err(|e| PlanError::Io(format!("{}/", super::STAGE), e))?;
    }
    let Some(Interrupted {
        leftovers: mut found,
        dirs: worked_in,
    }) = interrupted(disk)?
    else {
        return Ok(staged);
    };
    for path in &found {
        match disk.remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(PlanError::Io(path.clone(), e)),
        }
    }
    for path in found.iter().chain(&worked_in) {
        let mut dir = parent(path);
        // A directory it never got to create is skipped; one that is not
        // empty stops the walk.
        while !dir.is_empty() && dir != parent(IN_PROGRESS) {
            if disk.is_dir(dir) && disk.remove_dir(dir).is_err() {
                break;
            }
            dir = parent(dir);
        }
    }
    found.extend(staged);
    Ok(found)
}
