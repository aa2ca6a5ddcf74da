//! Applying a [`Plan`] all at once or not at all.
//!
//! A file system renames one file atomically, not a set of files, so a build
//! runs as a small transaction:
//! 1. **prepare**: every new content goes to a temporary file next to its
//!    destination (`.NAME.pipec-tmp`), and every file about to be replaced
//!    gets a second name (`.NAME.pipec-old`, a hard link) to restore it from;
//! 2. **switch**: temporary files are renamed over their destinations and
//!    removed files are renamed to their backup names, the manifest last; if
//!    one step fails, the steps done are undone in reverse;
//! 3. **clean up**: backups go, and directories emptied by removals.
//!
//! A failure in 1 or 2 leaves every file as it was and no temporary file
//! behind. A failure in 3 loses nothing: the build is complete, and the
//! backups left behind are named in the outcome's warnings; the next build of
//! the same file removes them.

use std::io;

use super::{Disk, FilePlan, Plan, Status, manifest};

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

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(p, _)| p)
}

/// `dir/.name.SUFFIX`: a sibling, so that renames stay in one file system.
fn sibling(path: &str, suffix: &str) -> String {
    match path.rsplit_once('/') {
        Some((dir, name)) => format!("{dir}/.{name}.{suffix}"),
        None => format!(".{path}.{suffix}"),
    }
}

enum Step {
    Write {
        dest: String,
        temp: String,
        backup: Option<String>,
    },
    Remove {
        dest: String,
        backup: String,
    },
}

struct Txn<'d> {
    disk: &'d mut dyn Disk,
    created_dirs: Vec<String>,
    temps: Vec<String>,
    backups: Vec<String>,
}

impl Txn<'_> {
    fn ensure_dir(&mut self, dir: &str) -> io::Result<()> {
        if dir.is_empty() || self.disk.is_dir(dir) {
            return Ok(());
        }
        self.ensure_dir(parent(dir))?;
        self.disk.create_dir(dir)?;
        self.created_dirs.push(dir.to_string());
        Ok(())
    }

    /// Puts back what the switch did, then removes what prepare made.
    fn undo(&mut self, done: &[&Step]) -> Vec<String> {
        let mut failures = Vec::new();
        for step in done.iter().rev() {
            let r = match step {
                Step::Write {
                    dest,
                    backup: Some(b),
                    ..
                } => self.disk.rename(b, dest).map(|()| {
                    self.backups.retain(|x| x != b);
                }),
                Step::Write {
                    dest, backup: None, ..
                } => self.disk.remove_file(dest),
                Step::Remove { dest, backup } => self.disk.rename(backup, dest).map(|()| {
                    self.backups.retain(|x| x != backup);
                }),
            };
            if let Err(e) = r {
                let dest = match step {
                    Step::Write { dest, .. } | Step::Remove { dest, .. } => dest,
                };
                failures.push(format!("{dest}: {e}"));
            }
        }
        for t in std::mem::take(&mut self.temps) {
            match self.disk.remove_file(&t) {
                // The write that failed never created it.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => failures.push(format!("{t}: {e}")),
                Ok(()) => {}
            }
        }
        for b in std::mem::take(&mut self.backups) {
            if let Err(e) = self.disk.remove_file(&b) {
                failures.push(format!("{b}: {e}"));
            }
        }
        for d in std::mem::take(&mut self.created_dirs).iter().rev() {
            if let Err(e) = self.disk.remove_dir(d) {
                failures.push(format!("{d}/: {e}"));
            }
        }
        failures
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
    // The manifest is the last step: until it changes, a later build still
    // knows every file this one may have touched.
    let mut ordered: Vec<&FilePlan> = plan
        .changes()
        .filter(|f| f.path != manifest::PATH)
        .collect();
    ordered.extend(plan.changes().filter(|f| f.path == manifest::PATH));

    let mut txn = Txn {
        disk,
        created_dirs: Vec::new(),
        temps: Vec::new(),
        backups: Vec::new(),
    };
    let mut steps = Vec::new();
    let fail = |txn: &mut Txn, path: &str, error: io::Error, done: &[&Step]| {
        let undo_failures = txn.undo(done);
        CommitError::Failed {
            path: path.to_string(),
            error,
            undo_failures,
        }
    };

    // Prepare.
    for f in &ordered {
        if f.status == Status::Disowned {
            outcome.disowned.push(f.path.clone());
            continue;
        }
        let exists = txn.disk.read(&f.path).ok().flatten().is_some();
        let backup = exists.then(|| sibling(&f.path, "pipec-old"));
        if let Some(b) = &backup {
            let r = (|| {
                if txn.disk.read(b)?.is_some() {
                    // Left by a build that was killed half-way.
                    txn.disk.remove_file(b)?;
                }
                if f.desired.is_some() {
                    txn.backups.push(b.clone());
                    txn.disk.link(&f.path, b)?;
                }
                Ok(())
            })();
            if let Err(e) = r {
                txn.backups.retain(|x| x != b);
                return Err(fail(&mut txn, b, e, &[]));
            }
        }
        match (&f.desired, backup) {
            (Some(contents), backup) => {
                let temp = sibling(&f.path, "pipec-tmp");
                if let Err(e) = txn.ensure_dir(parent(&f.path)) {
                    return Err(fail(&mut txn, parent(&f.path), e, &[]));
                }
                txn.temps.push(temp.clone());
                if let Err(e) = txn.disk.write(&temp, contents.as_bytes()) {
                    return Err(fail(&mut txn, &f.path, e, &[]));
                }
                steps.push(Step::Write {
                    dest: f.path.clone(),
                    temp,
                    backup,
                });
            }
            (None, Some(backup)) => steps.push(Step::Remove {
                dest: f.path.clone(),
                backup,
            }),
            (None, None) => {}
        }
    }

    // Switch.
    let mut done: Vec<&Step> = Vec::new();
    for step in &steps {
        let r = match step {
            Step::Write { dest, temp, .. } => txn.disk.rename(temp, dest).map(|()| {
                txn.temps.retain(|t| t != temp);
            }),
            Step::Remove { dest, backup } => txn.disk.rename(dest, backup).map(|()| {
                txn.backups.push(backup.clone());
            }),
        };
        match r {
            Ok(()) => done.push(step),
            Err(e) => {
                let path = match step {
                    Step::Write { dest, .. } | Step::Remove { dest, .. } => dest.clone(),
                };
                return Err(fail(&mut txn, &path, e, &done));
            }
        }
    }

    // Clean up.
    for b in std::mem::take(&mut txn.backups) {
        if let Err(e) = txn.disk.remove_file(&b) {
            outcome
                .warnings
                .push(format!("could not remove the backup {b}: {e}"));
        }
    }
    for step in &steps {
        match step {
            Step::Write { dest, .. } => outcome.written.push(dest.clone()),
            Step::Remove { dest, .. } => {
                outcome.removed.push(dest.clone());
                let mut dir = parent(dest);
                while !dir.is_empty() && txn.disk.is_dir(dir) && txn.disk.remove_dir(dir).is_ok() {
                    dir = parent(dir);
                }
            }
        }
    }
    Ok(outcome)
}
