//! Planning a build while it renders, so that it never holds its whole
//! output.
//!
//! A [`Stager`] receives each file as a target makes it (it is the
//! [`Sink`] of a streaming output tree), compares it with what is on disk
//! as [`super::plan`] does, and writes the contents the build will write to
//! the staging directory [`STAGE`] at once, keeping only their name there.
//! [`super::commit`] then renames the staged files into place instead of
//! writing temporary files next to them; everything else about the
//! transaction is unchanged.
//!
//! The staging directory belongs to the build that holds the output
//! directory's lock. Whatever is in it when a build starts was left by one
//! that was stopped before it committed, and is removed
//! ([`super::recover`]; `pipec build --check` reports it). A build that
//! ends without committing (errors in the program, a refused change, a
//! failed step) removes it ([`discard_stage`]).

use std::io;

use pipec_emit::GeneratedFile;
use pipec_emit::OutputTree;
use pipec_emit::tree::Sink;
use pipec_fs::path::parent;

use super::{Disk, FilePlan, Plan, PlanError, Request, finish, plan_file, recovery};

/// Where a build stages the files it writes.
pub const STAGE: &str = ".pipec/stage";

/// Plans each file as it is rendered ([`Sink`]), staging what differs.
pub struct Stager<D: Disk> {
    disk: D,
    /// The files' sources, renamed as the build names them in headers.
    name_source: Box<dyn FnMut(String) -> String>,
    /// Whether new contents are staged (a build) or kept (`--check`).
    stage: bool,
    /// Every path produced so far, with its target.
    paths: OutputTree,
    /// Each file planned, with the target that made it.
    files: Vec<(&'static str, FilePlan)>,
    /// What an interrupted build left, found before anything was staged.
    leftovers: Vec<String>,
    /// The first failure; later files are not planned.
    error: Option<PlanError>,
    /// Whether the staging directory was created.
    created: bool,
    next: usize,
}

impl<D: Disk> Stager<D> {
    /// A stager over `disk`; `stage` is false for `--check`, which writes
    /// nothing and keeps the new contents of what differs.
    pub fn new(
        mut disk: D,
        stage: bool,
        name_source: Box<dyn FnMut(String) -> String>,
    ) -> Result<Self, PlanError> {
        if stage {
            // The stage is this build's: whatever is left in it (a build
            // before it that could not remove it) goes first, so that none
            // of it is mistaken for, or removed as, this build's files.
            discard_stage(&mut disk).map_err(|e| PlanError::Io(format!("{STAGE}/"), e))?;
        }
        let leftovers = recovery::leftovers(&disk)?;
        Ok(Stager {
            disk,
            name_source,
            stage,
            paths: OutputTree::paths_only(),
            files: Vec::new(),
            leftovers,
            error: None,
            created: false,
            next: 0,
        })
    }

    fn plan(&mut self, mut file: GeneratedFile) -> Result<(), PlanError> {
        file.source = (self.name_source)(std::mem::take(&mut file.source));
        // Paths are unique among the files a tree hands over.
        let _ = self
            .paths
            .add(file.target, file.path.clone(), String::new(), "");
        let target = file.target;
        let mut planned = plan_file(&self.disk, &file)?;
        drop(file);
        if self.stage
            && let Some(desired) = planned.desired.take()
        {
            let name = self
                .stage_text(&desired)
                .map_err(|e| PlanError::Io(format!("{STAGE}/ (staging {})", planned.path), e))?;
            planned.staged = Some(name);
        }
        self.files.push((target, planned));
        Ok(())
    }

    fn stage_text(&mut self, text: &str) -> io::Result<String> {
        if !self.created {
            for dir in [parent(STAGE), STAGE] {
                match self.disk.create_dir(dir) {
                    Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
                    _ => {}
                }
            }
            self.created = true;
        }
        let name = format!("{STAGE}/{}", self.next);
        self.next += 1;
        match self.disk.create(&name, text.as_bytes()) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                // Not this build's: the stage was emptied when it started.
                self.disk.remove_file(&name)?;
                self.disk.create(&name, text.as_bytes())?;
            }
            r => r?,
        }
        Ok(name)
    }

    /// The plan of everything handed over, and the disk back.
    pub fn finish(self, program: &str, targets: &[String]) -> (D, Result<Plan, PlanError>) {
        let Stager {
            disk,
            paths,
            files,
            leftovers,
            error,
            ..
        } = self;
        if let Some(e) = error {
            return (disk, Err(e));
        }
        let req = Request {
            program,
            targets,
            tree: &paths,
        };
        let files = files.into_iter().map(|(_, f)| f).collect();
        let plan = finish(&disk, &req, files, leftovers);
        (disk, plan)
    }
}

impl<D: Disk> Sink for Stager<D> {
    fn file(&mut self, file: GeneratedFile) {
        if self.error.is_none()
            && let Err(e) = self.plan(file)
        {
            self.error = Some(e);
        }
    }

    fn discard(&mut self, target: &'static str) {
        let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.files)
            .into_iter()
            .partition(|(by, _)| *by == target);
        self.files = kept;
        for name in gone.into_iter().filter_map(|(_, f)| f.staged) {
            let _ = self.disk.remove_file(&name);
        }
        let mut paths = OutputTree::paths_only();
        for f in self.paths.files().filter(|f| f.target != target) {
            let _ = paths.add(f.target, f.path.clone(), String::new(), "");
        }
        self.paths = paths;
    }
}

/// What is in the staging directory, deepest first: its files, and any
/// directory inside it (pipec makes none; one committed there is removed
/// too, its links as entries, never followed), the directories last.
pub(crate) fn stage_contents(disk: &dyn Disk) -> io::Result<Vec<String>> {
    fn walk(disk: &dyn Disk, dir: &str, out: &mut Vec<String>) -> io::Result<()> {
        let mut files = disk.files_in(dir)?;
        files.sort();
        out.extend(files.into_iter().map(|n| format!("{dir}/{n}")));
        let mut dirs = disk.dirs_in(dir)?;
        dirs.sort();
        for d in dirs {
            let sub = format!("{dir}/{d}");
            walk(disk, &sub, out)?;
            out.push(format!("{sub}/"));
        }
        Ok(())
    }
    let mut out = Vec::new();
    if disk.is_dir(STAGE) {
        walk(disk, STAGE, &mut out)?;
    }
    Ok(out)
}

/// Removes one entry [`stage_contents`] names: a directory (emptied before)
/// when the name ends in `/`, else a file or link.
pub(crate) fn remove_entry(disk: &mut dyn Disk, entry: &str) -> io::Result<()> {
    match entry.strip_suffix('/') {
        Some(dir) => disk.remove_dir(dir),
        None => disk.remove_file(entry),
    }
}

/// Removes the staging directory and what is in it (a build that did not
/// commit). Errors are returned for the message; the next build retries.
pub fn discard_stage(disk: &mut dyn Disk) -> io::Result<()> {
    if !disk.is_dir(STAGE) {
        // Anything else there (a link, say) is not pipec's directory: the
        // entry itself goes, never what it points to.
        if disk.exists(STAGE) {
            disk.remove_file(STAGE)?;
        }
        return Ok(());
    }
    for entry in stage_contents(disk)? {
        match remove_entry(disk, &entry) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    disk.remove_dir(STAGE)?;
    // `.pipec/` goes too when the stage was all it held.
    if disk.files_in(parent(STAGE)).is_ok_and(|f| f.is_empty())
        && disk.dirs_in(parent(STAGE)).is_ok_and(|d| d.is_empty())
    {
        let _ = disk.remove_dir(parent(STAGE));
    }
    Ok(())
}
