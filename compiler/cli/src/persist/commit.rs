//! Applying a [`Plan`] all at once or not at all.
//!
//! A file system renames one file atomically, not a set of files, so a build
//! runs as a small transaction:
//! 1. **prepare**: the record [`manifest::IN_PROGRESS`] names the
//!    directories the build works in; every new content goes to a
//!    temporary file next to its destination (`.NAME.pipec-tmp`, created
//!    exclusively: whatever was at that name, a link included, is removed
//!    first, never written through) unless it was staged while the build
//!    rendered ([`super::Stager`]), and every file about to be replaced gets
//!    a second name (`.NAME.pipec-old`, a hard link) to restore it from; then
//!    one flush of the file system makes all of it durable;
//! 2. **switch**: temporary (or staged) files are renamed over their
//!    destinations and removed files are renamed to their backup names, the
//!    manifest last; if one step fails, the steps done are undone in
//!    reverse; a second flush makes the renames durable;
//! 3. **clean up**: backups go, then the record, the staging directory, then
//!    directories emptied by removals.
//!
//! A failure in 1 or 2 leaves every file as it was and no temporary file
//! behind. A failure in 3 loses nothing: the build is complete, and the
//! backups left behind are named in the outcome's warnings; the next build
//! removes them. A build that is killed leaves each file old or new, whole,
//! and the record, from which the next build finds and removes what it left
//! ([`super::recovery`]).
//!
//! Two flushes per build, whatever its size, instead of one per file: the
//! guarantee does not need more. Files that do not change are not touched.

use std::collections::{BTreeSet, HashSet};
use std::io;

use pipec_fs::path::{parent, sibling};

use super::{Disk, FilePlan, Plan, Status, manifest, recovery};

/// What a successful commit did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub written: Vec<String>,
    pub removed: Vec<String>,
    /// Paths left in the manifest's care no longer (their header is gone).
    pub disowned: Vec<String>,
    /// Clean-up steps that failed after the build was complete.
    pub warnings: Vec<String>,
}

#[derive(Debug)]
pub enum CommitError {
    /// Conflicts and no `--force`: nothing was changed.
    Refused(Vec<FilePlan>),
    /// A step failed; `undo_failures` lists what could not be restored (empty
    /// when the directory is as it was).
    Failed {
        path: String,
        error: io::Error,
        undo_failures: Vec<String>,
    },
}

/// One destination's change.
struct Step<'p> {
    dest: &'p str,
    /// Whether it is written (rather than removed).
    writes: bool,
    /// The new contents to write to `temp`; `None` when staged already or
    /// removed.
    contents: Option<&'p str>,
    /// Its temporary name (or staged file), when written.
    temp: Option<String>,
    /// Its backup name, when a file is there now.
    backup: Option<String>,
}

struct Txn<'d> {
    disk: &'d mut dyn Disk,
    created_dirs: Vec<String>,
    /// Directories known to exist, so each is looked up once.
    dirs: HashSet<String>,
    /// Files prepare created (temporary files and backups), to remove on
    /// failure.
    made: Vec<String>,
    /// Whether the in-progress record exists.
    recorded: bool,
}

impl Txn<'_> {
    fn ensure_dir(&mut self, dir: &str) -> io::Result<()> {
        if dir.is_empty() || self.dirs.contains(dir) {
            return Ok(());
        }
        if !self.disk.is_dir(dir) {
            self.ensure_dir(parent(dir))?;
            self.disk.create_dir(dir)?;
            self.created_dirs.push(dir.to_string());
        }
        self.dirs.insert(dir.to_string());
        Ok(())
    }

    /// Runs `make` for a new name; when something is there already (a
    /// leftover of a killed build, or anything else at a reserved name), it is
    /// removed — the entry itself, a link included — and `make` runs again.
    fn fresh(
        &mut self,
        name: &str,
        make: impl Fn(&mut dyn Disk) -> io::Result<()>,
    ) -> io::Result<()> {
        // Named before it is made: a write that fails half-way leaves a file.
        self.made.push(name.to_string());
        match make(&mut *self.disk) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                self.disk.remove_file(name)?;
                make(&mut *self.disk)
            }
            r => r,
        }
    }

    /// Puts back what the first `switched` steps did, then removes what
    /// prepare made.
    fn undo(&mut self, steps: &[Step], switched: usize) -> Vec<String> {
        let mut failures = Vec::new();
        for step in steps[..switched].iter().rev() {
            let r = match (step.writes, &step.backup) {
                (_, Some(b)) => self.disk.rename(b, step.dest),
                (true, None) => self.disk.remove_file(step.dest),
                (false, None) => Ok(()),
            };
            if let Err(e) = r {
                failures.push(format!("{}: {e}", step.dest));
            }
        }
        for m in std::mem::take(&mut self.made) {
            match self.disk.remove_file(&m) {
                // Renamed into place and back, or never created.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => failures.push(format!("{m}: {e}")),
                Ok(()) => {}
            }
        }
        if self.recorded {
            match self.disk.remove_file(manifest::IN_PROGRESS) {
                Ok(()) => self.recorded = false,
                Err(e) => failures.push(format!("{}: {e}", manifest::IN_PROGRESS)),
            }
        }
        for d in std::mem::take(&mut self.created_dirs).iter().rev() {
            if let Err(e) = self.disk.remove_dir(d) {
                failures.push(format!("{d}/: {e}"));
            }
        }
        if let Err(e) = super::discard_stage(&mut *self.disk) {
            failures.push(format!("{}/: {e}", super::STAGE));
        }
        failures
    }

    fn fail(
        &mut self,
        path: &str,
        error: io::Error,
        steps: &[Step],
        switched: usize,
    ) -> CommitError {
        let undo_failures = self.undo(steps, switched);
        CommitError::Failed {
            path: path.to_string(),
            error,
            undo_failures,
        }
    }
}

/// Applies `plan`. Conflicts are refused unless `force`; `Disowned` paths are
/// only dropped from the manifest.
pub fn commit(disk: &mut dyn Disk, plan: &Plan, force: bool) -> Result<Outcome, CommitError> {
    let conflicts: Vec<FilePlan> = plan.conflicts().cloned().collect();
    if !force && !conflicts.is_empty() {
        return Err(CommitError::Refused(conflicts));
    }
    let mut outcome = Outcome::default();
    // What an interrupted build left goes first (`pipec build` has removed
    // it before planning; a caller of the library may not have).
    for path in &plan.leftovers {
        // A directory found in the stage is named with a final `/`, after
        // what it held.
        match super::stage::remove_entry(disk, path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                return Err(CommitError::Failed {
                    path: path.clone(),
                    error: e,
                    undo_failures: Vec::new(),
                });
            }
            _ => {}
        }
    }
    // The manifest is the last step: until it changes, a later build still
    // knows every file this one may have touched.
    let ordered = plan
        .changes()
        .filter(|f| f.path != manifest::PATH)
        .chain(plan.changes().filter(|f| f.path == manifest::PATH));
    let mut steps: Vec<Step> = Vec::new();
    for f in ordered {
        if f.status == Status::Disowned {
            outcome.disowned.push(f.path.clone());
            continue;
        }
        let exists = f.status != Status::Missing;
        steps.push(Step {
            dest: &f.path,
            writes: f.writes(),
            contents: f.desired.as_deref(),
            temp: match (&f.staged, &f.desired) {
                (Some(staged), _) => Some(staged.clone()),
                (None, Some(_)) => Some(sibling(&f.path, "pipec-tmp")),
                (None, None) => None,
            },
            backup: exists.then(|| sibling(&f.path, "pipec-old")),
        });
    }
    if steps.is_empty() {
        return Ok(outcome);
    }

    let mut txn = Txn {
        disk,
        created_dirs: Vec::new(),
        dirs: HashSet::new(),
        made: Vec::new(),
        recorded: false,
    };

    // Prepare.
    let dirs: BTreeSet<&str> = steps.iter().map(|s| parent(s.dest)).collect();
    let created = steps
        .iter()
        .filter(|s| s.backup.is_none() && s.writes)
        .map(|s| s.dest);
    let record = recovery::record(dirs.iter().copied(), created);
    let r = txn
        .ensure_dir(parent(manifest::IN_PROGRESS))
        .and_then(|()| {
            txn.fresh(manifest::IN_PROGRESS, |d| {
                d.create(manifest::IN_PROGRESS, record.as_bytes())
            })
        });
    if let Err(e) = r {
        return Err(txn.fail(manifest::IN_PROGRESS, e, &steps, 0));
    }
    // The record is removed on its own, not with what prepare made.
    txn.made.clear();
    txn.recorded = true;
    for step in &steps {
        let Some(temp) = &step.temp else {
            continue;
        };
        if let Err(e) = txn.ensure_dir(parent(step.dest)) {
            return Err(txn.fail(parent(step.dest), e, &steps, 0));
        }
        if let Some(b) = &step.backup
            && let Err(e) = txn.fresh(b, |d| d.link(step.dest, b))
        {
            return Err(txn.fail(b, e, &steps, 0));
        }
        match step.contents {
            Some(contents) => {
                if let Err(e) = txn.fresh(temp, |d| d.create(temp, contents.as_bytes())) {
                    return Err(txn.fail(step.dest, e, &steps, 0));
                }
            }
            // Staged while the build rendered: removed if the build fails.
            None => txn.made.push(temp.clone()),
        }
    }
    if let Err(e) = txn.disk.sync() {
        return Err(txn.fail(".", e, &steps, 0));
    }

    // Switch.
    for (i, step) in steps.iter().enumerate() {
        let r = match (&step.temp, &step.backup) {
            (Some(temp), _) => txn.disk.rename(temp, step.dest),
            (None, Some(backup)) => txn.disk.rename(step.dest, backup),
            (None, None) => Ok(()),
        };
        if let Err(e) = r {
            return Err(txn.fail(step.dest, e, &steps, i));
        }
    }
    if let Err(e) = txn.disk.sync() {
        return Err(txn.fail(".", e, &steps, steps.len()));
    }

    // Clean up.
    for b in steps.iter().filter_map(|s| s.backup.as_deref()) {
        if let Err(e) = txn.disk.remove_file(b) {
            outcome
                .warnings
                .push(format!("could not remove the backup {b}: {e}"));
        }
    }
    if !outcome.warnings.is_empty() {
        // It tells `--check` and the next build that backups remain.
        outcome.warnings.push(format!(
            "kept {}: the next build removes the backups left",
            manifest::IN_PROGRESS
        ));
    } else if let Err(e) = txn.disk.remove_file(manifest::IN_PROGRESS) {
        outcome.warnings.push(format!(
            "could not remove {}: {e}; the next build removes it",
            manifest::IN_PROGRESS
        ));
    }
    if let Err(e) = super::discard_stage(&mut *txn.disk) {
        outcome
            .warnings
            .push(format!("could not remove {}/: {e}", super::STAGE));
    }
    for step in &steps {
        if step.writes {
            outcome.written.push(step.dest.to_string());
            continue;
        }
        outcome.removed.push(step.dest.to_string());
        let mut dir = parent(step.dest);
        while !dir.is_empty() && txn.disk.is_dir(dir) && txn.disk.remove_dir(dir).is_ok() {
            dir = parent(dir);
        }
    }
    // `.pipec/` goes with its last file.
    let pipec_dir = parent(manifest::PATH);
    if txn.disk.files_in(pipec_dir).is_ok_and(|f| f.is_empty()) {
        let _ = txn.disk.remove_dir(pipec_dir);
    }
    Ok(outcome)
}
