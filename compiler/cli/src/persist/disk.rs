//! The file operations persistence needs, behind a trait: [`RealDisk`] on the
//! file system, [`MemoryDisk`] in memory for tests, and [`Faulty`], which fails
//! the n-th change to prove that a failed build leaves nothing behind.
//!
//! Paths are relative to the output directory and use `/` separators.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};

/// File access for one output directory.
pub trait Disk {
    /// The file's bytes, or `None` when there is no such file.
    fn read(&self, path: &str) -> io::Result<Option<Vec<u8>>>;
    fn is_dir(&self, path: &str) -> bool;
    /// Whether anything (a file or a directory) exists at `path`, which may
    /// lead out of the output directory (`../src/ci.pipe`).
    fn exists(&self, path: &str) -> bool;
    /// Creates one directory whose parent exists.
    fn create_dir(&mut self, path: &str) -> io::Result<()>;
    /// Removes an empty directory.
    fn remove_dir(&mut self, path: &str) -> io::Result<()>;
    /// Creates or truncates a file and writes `contents`.
    fn write(&mut self, path: &str, contents: &[u8]) -> io::Result<()>;
    /// Gives the file at `from` a second name `to` (which must not exist).
    fn link(&mut self, from: &str, to: &str) -> io::Result<()>;
    /// Renames atomically, replacing `to` if it exists.
    fn rename(&mut self, from: &str, to: &str) -> io::Result<()>;
    fn remove_file(&mut self, path: &str) -> io::Result<()>;
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
    fn create_dir(&mut self, path: &str) -> io::Result<()> {
        (**self).create_dir(path)
    }
    fn remove_dir(&mut self, path: &str) -> io::Result<()> {
        (**self).remove_dir(path)
    }
    fn write(&mut self, path: &str, contents: &[u8]) -> io::Result<()> {
        (**self).write(path, contents)
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
}

/// The output directory on the real file system.
pub struct RealDisk {
    root: PathBuf,
}

impl RealDisk {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        RealDisk { root: root.into() }
    }

    fn at(&self, path: &str) -> PathBuf {
        if path.is_empty() {
            self.root.clone()
        } else {
            self.root.join(path)
        }
    }
}

impl Disk for RealDisk {
    fn read(&self, path: &str) -> io::Result<Option<Vec<u8>>> {
        match std::fs::read(self.at(path)) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn is_dir(&self, path: &str) -> bool {
        self.at(path).is_dir()
    }

    fn exists(&self, path: &str) -> bool {
        self.at(path).exists()
    }

    fn create_dir(&mut self, path: &str) -> io::Result<()> {
        std::fs::create_dir(self.at(path))
    }

    fn remove_dir(&mut self, path: &str) -> io::Result<()> {
        std::fs::remove_dir(self.at(path))
    }

    fn write(&mut self, path: &str, contents: &[u8]) -> io::Result<()> {
        use io::Write;
        let mut f = std::fs::File::create(self.at(path))?;
        f.write_all(contents)?;
        // The rename that follows must not publish a file whose data is not
        // on disk yet.
        f.sync_all()
    }

    fn link(&mut self, from: &str, to: &str) -> io::Result<()> {
        let (from, to) = (self.at(from), self.at(to));
        // Some file systems have no hard links; a copy serves the same purpose.
        std::fs::hard_link(&from, &to).or_else(|_| std::fs::copy(&from, &to).map(|_| ()))
    }

    fn rename(&mut self, from: &str, to: &str) -> io::Result<()> {
        std::fs::rename(self.at(from), self.at(to))
    }

    fn remove_file(&mut self, path: &str) -> io::Result<()> {
        std::fs::remove_file(self.at(path))
    }
}

/// An output directory in memory: files and directories, with the same rules
/// as a file system (a file's directory must exist, only empty directories can
/// be removed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryDisk {
    pub files: BTreeMap<String, Vec<u8>>,
    pub dirs: BTreeSet<String>,
    /// Paths outside the tree that exist (program sources).
    pub outside: BTreeSet<String>,
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
        self.files.contains_key(path) || self.dir_exists(path) || self.outside.contains(path)
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

    fn write(&mut self, path: &str, contents: &[u8]) -> io::Result<()> {
        self.need_parent(path)?;
        if self.dirs.contains(path) {
            return Err(io::Error::other(format!("{path}: is a directory")));
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
}

/// Wraps a disk and makes its `fail_at`-th change (counting from 0) fail. A
/// failing write leaves half of the contents behind, as an interrupted write
/// would. Reads never fail.
pub struct Faulty<D> {
    pub inner: D,
    pub fail_at: usize,
    /// Changes attempted so far.
    pub changes: usize,
}

impl<D: Disk> Faulty<D> {
    pub fn new(inner: D, fail_at: usize) -> Self {
        Faulty {
            inner,
            fail_at,
            changes: 0,
        }
    }

    fn tick(&mut self, what: &str, path: &str) -> io::Result<()> {
        let n = self.changes;
        self.changes += 1;
        if n == self.fail_at {
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
    fn create_dir(&mut self, path: &str) -> io::Result<()> {
        self.tick("create directory", path)?;
        self.inner.create_dir(path)
    }
    fn remove_dir(&mut self, path: &str) -> io::Result<()> {
        self.tick("remove directory", path)?;
        self.inner.remove_dir(path)
    }
    fn write(&mut self, path: &str, contents: &[u8]) -> io::Result<()> {
        if let Err(e) = self.tick("write", path) {
            self.inner.write(path, &contents[..contents.len() / 2])?;
            return Err(e);
        }
        self.inner.write(path, contents)
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
}

/// `to` as a path relative to the directory `from`, both absolute and
/// normalized; `/` separators.
pub fn relative(from: &Path, to: &Path) -> String {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = Vec::new();
    for _ in common..from.len() {
        parts.push("..".into());
    }
    for c in &to[common..] {
        parts.push(c.as_os_str().to_string_lossy().into_owned());
    }
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

/// An absolute, normalized form of `path` (following symbolic links when the
/// path exists).
pub fn absolute(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    let abs = pipec_check::load::normalize(
        &std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
    );
    // Canonicalize the longest existing ancestor, so that a directory that does
    // not exist yet is still comparable with ones that do.
    let mut existing = abs.as_path();
    let mut rest = Vec::new();
    while let Some(parent) = existing.parent() {
        if let Some(name) = existing.file_name() {
            rest.push(name.to_os_string());
        }
        existing = parent;
        if let Ok(p) = existing.canonicalize() {
            let mut out = p;
            for r in rest.iter().rev() {
                out.push(r);
            }
            return pipec_check::load::normalize(&out);
        }
    }
    abs
}
