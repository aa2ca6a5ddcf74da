//! The file operations persistence needs, behind a trait: [`RealDisk`] on the
//! file system (through `pipec_fs::OutDir`: confined to the output directory,
//! never following a symbolic link), [`MemoryDisk`] in memory for tests, and
//! [`Faulty`], which fails the n-th change to prove that a failed build leaves
//! nothing behind.
//!
//! Paths are plain relative paths under the output directory, with `/`
//! separators.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::Path;
use std::rc::Rc;

use pipec_fs::{Kind, OutDir};

/// File access for one output directory.
pub trait Disk {
    /// The file's bytes, or `None` when there is nothing at `path`. A
    /// symbolic link, a special file or a file too large to be pipec's there
    /// is an error that carries a `pipec_fs::Refusal`; so is a symbolic link
    /// among the directories on the way.
    fn read(&self, path: &str) -> io::Result<Option<Vec<u8>>>;
    fn is_dir(&self, path: &str) -> bool;
    /// Whether anything is at `path` (a link counts; it is not followed).
    fn exists(&self, path: &str) -> bool;
    /// The names of the entries in directory `dir` (`""` for the output
    /// directory) that are not directories; none when it does not exist.
    fn files_in(&self, dir: &str) -> io::Result<Vec<String>>;
    /// The names of the directories in directory `dir` (links to
    /// directories are not directories); none when it does not exist.
    fn dirs_in(&self, dir: &str) -> io::Result<Vec<String>>;
    /// Creates one directory whose parent exists.
    fn create_dir(&mut self, path: &str) -> io::Result<()>;
    /// Removes an empty directory.
    fn remove_dir(&mut self, path: &str) -> io::Result<()>;
    /// Creates a new file and writes `contents`; fails when anything is at
    /// `path` already (`ErrorKind::AlreadyExists`).
    fn create(&mut self, path: &str, contents: &[u8]) -> io::Result<()>;
    /// Gives the file at `from` a second name `to` (which must not exist).
    fn link(&mut self, from: &str, to: &str) -> io::Result<()>;
    /// Renames atomically, replacing `to` if it exists.
    fn rename(&mut self, from: &str, to: &str) -> io::Result<()>;
    fn remove_file(&mut self, path: &str) -> io::Result<()>;
    /// Makes every change so far durable (on the real file system, one flush
    /// of the whole file system rather than one per file).
    fn sync(&mut self) -> io::Result<()>;
}

/// A borrowed disk is a disk, so a caller can wrap its own in [`Faulty`].
impl<D: Disk + ?Sized> Disk for &mut D {
    fn read(&self, path: &str) -> io::Result<Option<Vec<u8>>> {
        (**self).read(path)
    }
    fn is_dir(&self, path: &str) -> bool {
        (**self).is_dir(path)
    }
    fn exists(&self, path: &str) -> bool {
        (**self).exists(path)
    }
    fn files_in(&self, dir: &str) -> io::Result<Vec<String>> {
        (**self).files_in(dir)
    }
    fn dirs_in(&self, dir: &str) -> io::Result<Vec<String>> {
        (**self).dirs_in(dir)
    }
    fn create_dir(&mut self, path: &str) -> io::Result<()> {
        (**self).create_dir(path)
    }
    fn remove_dir(&mut self, path: &str) -> io::Result<()> {
        (**self).remove_dir(path)
    }
    fn create(&mut self, path: &str, contents: &[u8]) -> io::Result<()> {
        (**self).create(path, contents)
    }
    fn link(&mut self, from: &str, to: &str) -> io::Result<()> {
        (**self).link(from, to)
    }
    fn rename(&mut self, from: &str, to: &str) -> io::Result<()> {
        (**self).rename(from, to)
    }
    fn remove_file(&mut self, path: &str) -> io::Result<()> {
        (**self).remove_file(path)
    }
    fn sync(&mut self) -> io::Result<()> {
        (**self).sync()
    }
}

/// The output directory on the real file system.
pub struct RealDisk {
    dir: Rc<OutDir>,
}

impl RealDisk {
    /// The output directory at `root`; one that does not exist yet is empty.
    pub fn open(root: &Path) -> io::Result<Self> {
        Ok(RealDisk {
            dir: Rc::new(OutDir::open(root)?),
        })
    }

    /// A second handle on the same opened directory, sharing what it knows
    /// of the directories below (a build stages files through one while it
    /// holds the other).
    pub fn share(&self) -> RealDisk {
        RealDisk {
            dir: Rc::clone(&self.dir),
        }
    }

    pub fn out_dir(&self) -> &OutDir {
        &self.dir
    }
}

/// The most of a file in the output directory that is read. Generated files
/// are far smaller (the manifest of a 5,000-service monorepo is 5 MB); a
/// larger file is not pipec's, and is not read whole.
const MAX_OUTPUT_FILE: u64 = 64 << 20;

impl Disk for RealDisk {
    fn read(&self, path: &str) -> io::Result<Option<Vec<u8>>> {
        self.dir.read(path, MAX_OUTPUT_FILE)
    }

    fn is_dir(&self, path: &str) -> bool {
        path.is_empty() && self.dir.exists() || matches!(self.dir.kind(path), Ok(Some(Kind::Dir)))
    }

    fn exists(&self, path: &str) -> bool {
        matches!(self.dir.kind(path), Ok(Some(_)))
    }

    fn files_in(&self, dir: &str) -> io::Result<Vec<String>> {
        Ok(self
            .dir
            .list(dir)?
            .into_iter()
            .filter(|(_, k)| *k != Kind::Dir)
            .map(|(name, _)| name)
            .collect())
    }

    fn dirs_in(&self, dir: &str) -> io::Result<Vec<String>> {
        Ok(self
            .dir
            .list(dir)?
            .into_iter()
            .filter(|(_, k)| *k == Kind::Dir)
            .map(|(name, _)| name)
            .collect())
    }

    fn create_dir(&mut self, path: &str) -> io::Result<()> {
        self.dir.create_dir(path)
    }

    fn remove_dir(&mut self, path: &str) -> io::Result<()> {
        self.dir.remove_dir(path)
    }

    fn create(&mut self, path: &str, contents: &[u8]) -> io::Result<()> {
        self.dir.create_file(path, contents)
    }

    fn link(&mut self, from: &str, to: &str) -> io::Result<()> {
        self.dir.link(from, to)
    }

    fn rename(&mut self, from: &str, to: &str) -> io::Result<()> {
        self.dir.rename(from, to)
    }

    fn remove_file(&mut self, path: &str) -> io::Result<()> {
        self.dir.remove_file(path)
    }

    fn sync(&mut self) -> io::Result<()> {
        self.dir.sync()
    }
}

/// An output directory in memory: files and directories, with the same rules
/// as a file system (a file's directory must exist, only empty directories can
/// be removed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryDisk {
    pub files: BTreeMap<String, Vec<u8>>,
    pub dirs: BTreeSet<String>,
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(p, _)| p)
}

fn not_found(path: &str) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("{path}: not found"))
}

impl MemoryDisk {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file and the directories above it.
    pub fn with_file(mut self, path: &str, contents: &str) -> Self {
        let mut dir = parent(path);
        while !dir.is_empty() {
            self.dirs.insert(dir.to_string());
            dir = parent(dir);
        }
        self.files
            .insert(path.to_string(), contents.as_bytes().to_vec());
        self
    }

    pub fn text(&self, path: &str) -> Option<&str> {
        self.files
            .get(path)
            .and_then(|b| std::str::from_utf8(b).ok())
    }

    fn dir_exists(&self, path: &str) -> bool {
        path.is_empty() || self.dirs.contains(path)
    }

    fn need_parent(&self, path: &str) -> io::Result<()> {
        if self.dir_exists(parent(path)) {
            Ok(())
        } else {
            Err(not_found(parent(path)))
        }
    }
}

impl Disk for MemoryDisk {
    fn read(&self, path: &str) -> io::Result<Option<Vec<u8>>> {
        Ok(self.files.get(path).cloned())
    }

    fn is_dir(&self, path: &str) -> bool {
        self.dir_exists(path)
    }

    fn exists(&self, path: &str) -> bool {
        self.files.contains_key(path) || self.dir_exists(path)
    }

    fn create_dir(&mut self, path: &str) -> io::Result<()> {
        self.need_parent(path)?;
        if self.exists(path) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                path.to_string(),
            ));
        }
        self.dirs.insert(path.to_string());
        Ok(())
    }

    fn remove_dir(&mut self, path: &str) -> io::Result<()> {
        let prefix = format!("{path}/");
        if self
            .files
            .keys()
            .chain(&self.dirs)
            .any(|p| p.starts_with(&prefix))
        {
            return Err(io::Error::other(format!("{path}: directory not empty")));
        }
        if !self.dirs.remove(path) {
            return Err(not_found(path));
        }
        Ok(())
    }

    fn files_in(&self, dir: &str) -> io::Result<Vec<String>> {
        Ok(self
            .files
            .keys()
            .filter(|p| parent(p) == dir)
            .map(|p| p.rsplit('/').next().unwrap_or(p).to_string())
            .collect())
    }

    fn dirs_in(&self, dir: &str) -> io::Result<Vec<String>> {
        Ok(self
            .dirs
            .iter()
            .filter(|p| !p.is_empty() && parent(p) == dir)
            .map(|p| p.rsplit('/').next().unwrap_or(p).to_string())
            .collect())
    }

    fn create(&mut self, path: &str, contents: &[u8]) -> io::Result<()> {
        self.need_parent(path)?;
        if self.exists(path) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                path.to_string(),
            ));
        }
        self.files.insert(path.to_string(), contents.to_vec());
        Ok(())
    }

    fn link(&mut self, from: &str, to: &str) -> io::Result<()> {
        self.need_parent(to)?;
        if self.exists(to) {
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, to.to_string()));
        }
        let bytes = self
            .files
            .get(from)
            .cloned()
            .ok_or_else(|| not_found(from))?;
        self.files.insert(to.to_string(), bytes);
        Ok(())
    }

    fn rename(&mut self, from: &str, to: &str) -> io::Result<()> {
        self.need_parent(to)?;
        let bytes = self.files.remove(from).ok_or_else(|| not_found(from))?;
        self.files.insert(to.to_string(), bytes);
        Ok(())
    }

    fn remove_file(&mut self, path: &str) -> io::Result<()> {
        self.files
            .remove(path)
            .map(|_| ())
            .ok_or_else(|| not_found(path))
    }

    fn sync(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Wraps a disk and makes its `fail_at`-th change (counting from 0) fail. A
/// failing write leaves half of the contents behind, as an interrupted write
/// would. Reads never fail.
pub struct Faulty<D> {
    pub inner: D,
    pub fail_at: usize,
    /// Changes attempted so far.
    pub changes: usize,
    /// Every change from `fail_at` on fails, as if the process had been
    /// killed there (nothing can be undone).
    pub killed: bool,
}

impl<D: Disk> Faulty<D> {
    pub fn new(inner: D, fail_at: usize) -> Self {
        Faulty {
            inner,
            fail_at,
            changes: 0,
            killed: false,
        }
    }

    /// A disk on which the process stops at change `at`.
    pub fn killed(inner: D, at: usize) -> Self {
        Faulty {
            killed: true,
            ..Faulty::new(inner, at)
        }
    }

    fn tick(&mut self, what: &str, path: &str) -> io::Result<()> {
        let n = self.changes;
        self.changes += 1;
        if n == self.fail_at || (self.killed && n > self.fail_at) {
            Err(io::Error::other(format!(
                "injected failure at change {n} ({what} {path})"
            )))
        } else {
            Ok(())
        }
    }
}

impl<D: Disk> Disk for Faulty<D> {
    fn read(&self, path: &str) -> io::Result<Option<Vec<u8>>> {
        self.inner.read(path)
    }
    fn is_dir(&self, path: &str) -> bool {
        self.inner.is_dir(path)
    }
    fn exists(&self, path: &str) -> bool {
        self.inner.exists(path)
    }
    fn files_in(&self, dir: &str) -> io::Result<Vec<String>> {
        self.inner.files_in(dir)
    }
    fn dirs_in(&self, dir: &str) -> io::Result<Vec<String>> {
        self.inner.dirs_in(dir)
    }
    fn create_dir(&mut self, path: &str) -> io::Result<()> {
        self.tick("create directory", path)?;
        self.inner.create_dir(path)
    }
    fn remove_dir(&mut self, path: &str) -> io::Result<()> {
        self.tick("remove directory", path)?;
        self.inner.remove_dir(path)
    }
    fn create(&mut self, path: &str, contents: &[u8]) -> io::Result<()> {
        if let Err(e) = self.tick("write", path) {
            self.inner.create(path, &contents[..contents.len() / 2])?;
            return Err(e);
        }
        self.inner.create(path, contents)
    }
    fn link(&mut self, from: &str, to: &str) -> io::Result<()> {
        self.tick("link", to)?;
        self.inner.link(from, to)
    }
    fn rename(&mut self, from: &str, to: &str) -> io::Result<()> {
        self.tick("rename", to)?;
        self.inner.rename(from, to)
    }
    fn remove_file(&mut self, path: &str) -> io::Result<()> {
        self.tick("remove", path)?;
        self.inner.remove_file(path)
    }
    fn sync(&mut self) -> io::Result<()> {
        self.tick("sync", "")?;
        self.inner.sync()
    }
}
