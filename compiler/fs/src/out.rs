//! The output directory of a build: the only directory `pipec build` changes.
//!
//! Every path is a plain relative path ([`crate::path::is_plain_relative`]).
//! It is reached from an open handle on the output directory one directory at
//! a time, each opened with `O_NOFOLLOW`: a directory on the way that is a
//! symbolic link (a committed `.github` pointing elsewhere) is refused, never
//! followed. The last name is then read, created, renamed or removed relative
//! to its directory's handle with calls that do not follow a link there
//! either: files are read with `O_NOFOLLOW | O_NONBLOCK` and must be regular,
//! new files are created with `O_CREAT | O_EXCL | O_NOFOLLOW` (a link or a
//! file already at a temporary name is never written through), and renaming
//! or removing a link replaces or removes the link itself.
//!
//! The handles of the directories last walked through are kept, so a build,
//! which goes through its files in path order, opens each directory about
//! once.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};

use rustix::fs::{AtFlags, FileType, FlockOperation, Mode, OFlags};
use rustix::io::Errno;

use crate::error::Refusal;
use crate::path::is_plain_relative;

/// What is at a path, without following a symbolic link there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Symlink,
    /// A FIFO, a socket or a device.
    Other,
}

impl Kind {
    fn of(t: FileType) -> Kind {
        match t {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Dir,
            FileType::Symlink => Kind::Symlink,
            _ => Kind::Other,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Kind::File => "a regular file",
            Kind::Dir => "a directory",
            Kind::Symlink => "a symbolic link",
            Kind::Other => "a special file (FIFO, socket or device)",
        }
    }
}

/// The directories on the way to one place: `(name, handle)` from the root
/// down.
type Walk = Vec<(String, Rc<OwnedFd>)>;

/// An output directory, opened.
pub struct OutDir {
    path: PathBuf,
    /// `None` when the directory does not exist: it then holds nothing.
    root: Option<Rc<OwnedFd>>,
    /// The directories last walked through: `(name, handle)` from the root
    /// down, for two places at once (a build alternates between a file's
    /// directory and its staging directory); the one used last is
    /// [`OutDir::last`].
    cursors: RefCell<[Walk; 2]>,
    last: std::cell::Cell<usize>,
    /// The directory last found missing: everything under it is missing
    /// too, until pipec creates a directory (a fresh build looks up every
    /// file of a tree that does not exist yet).
    missing: RefCell<Option<String>>,
}

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

impl OutDir {
    /// Opens the output directory at `path` (following links in `path`
    /// itself: the user names it). A directory that does not exist is empty.
    pub fn open(path: &Path) -> io::Result<OutDir> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let root = match rustix::fs::open(path, flags, Mode::empty()) {
            Ok(fd) => Some(Rc::new(fd)),
            Err(Errno::NOENT) => None,
            Err(e) => return Err(e.into()),
        };
        Ok(OutDir {
            path: path.to_path_buf(),
            root,
            cursors: RefCell::new([Vec::new(), Vec::new()]),
            last: std::cell::Cell::new(0),
            missing: RefCell::new(None),
        })
    }

    /// The directory as it was named.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the directory exists.
    pub fn exists(&self) -> bool {
        self.root.is_some()
    }

    fn root(&self) -> io::Result<&Rc<OwnedFd>> {
        self.root.as_ref().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} does not exist", self.path.display()),
            )
        })
    }

    /// The handle of directory `dir` (`""` for the root); `None` when it does
    /// not exist.
    fn dir(&self, dir: &str) -> io::Result<Option<Rc<OwnedFd>>> {
        let Some(root) = &self.root else {
            return Ok(None);
        };
        if dir.is_empty() {
            return Ok(Some(root.clone()));
        }
        if let Some(m) = &*self.missing.borrow()
            && dir
                .strip_prefix(m.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        {
            return Ok(None);
        }
        let names: Vec<&str> = dir.split('/').collect();
        let mut cursors = self.cursors.borrow_mut();
        let common = |c: &Walk| {
            c.iter()
                .zip(&names)
                .take_while(|((have, _), want)| have == *want)
                .count()
        };
        let keeps = [common(&cursors[0]), common(&cursors[1])];
        // The walk that shares more of the way; on a tie, the one not used
        // last, so that the other keeps its place.
        let i = match keeps[0].cmp(&keeps[1]) {
            std::cmp::Ordering::Greater => 0,
            std::cmp::Ordering::Less => 1,
            std::cmp::Ordering::Equal => 1 - self.last.get(),
        };
        self.last.set(i);
        let keep = keeps[i];
        let cursor = &mut cursors[i];
        cursor.truncate(keep);
        for (i, name) in names.iter().enumerate().skip(keep) {
            let parent = cursor.last().map_or(root, |(_, fd)| fd).clone();
            match rustix::fs::openat(&*parent, *name, DIR_FLAGS, Mode::empty()) {
                Ok(fd) => cursor.push((name.to_string(), Rc::new(fd))),
                Err(Errno::NOENT) => {
                    *self.missing.borrow_mut() = Some(names[..=i].join("/"));
                    return Ok(None);
                }
                Err(Errno::LOOP | Errno::NOTDIR) => {
                    let what = kind_at(&parent, name)?.map_or("missing", Kind::describe);
                    return Err(Refusal::NotADirectory {
                        at: names[..=i].join("/"),
                        what,
                    }
                    .into());
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(cursor.last().map(|(_, fd)| fd.clone()))
    }

    /// The directory handle and the last name of `path`.
    fn place(&self, path: &str) -> io::Result<(Option<Rc<OwnedFd>>, String)> {
        if !is_plain_relative(path) {
            return Err(Refusal::NotPlain { path: path.into() }.into());
        }
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        Ok((self.dir(dir)?, name.to_string()))
    }

    /// Like [`OutDir::place`], for a change: the directory must exist.
    fn place_existing(&self, path: &str) -> io::Result<(Rc<OwnedFd>, String)> {
        self.root()?;
        match self.place(path)? {
            (Some(fd), name) => Ok((fd, name)),
            (None, _) => Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("the directory of {path} does not exist"),
            )),
        }
    }

    /// What is at `path`, without following a link there; `None` if nothing.
    pub fn kind(&self, path: &str) -> io::Result<Option<Kind>> {
        match self.place(path)? {
            (Some(fd), name) => kind_at(&fd, &name),
            (None, _) => Ok(None),
        }
    }

    /// The contents of the regular file at `path` (at most `limit` bytes);
    /// `None` when there is nothing there. A symbolic link, a FIFO or a device
    /// there is refused ([`Refusal::NotRegular`]) without blocking.
    pub fn read(&self, path: &str, limit: u64) -> io::Result<Option<Vec<u8>>> {
        let (Some(dir), name) = self.place(path)? else {
            return Ok(None);
        };
        let flags =
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
        match rustix::fs::openat(&*dir, name.as_str(), flags, Mode::empty()) {
            Ok(fd) => crate::read::read_open(File::from(fd), limit).map(Some),
            Err(Errno::NOENT) => Ok(None),
            Err(Errno::LOOP) => Err(Refusal::NotRegular {
                what: "a symbolic link",
            }
            .into()),
            Err(e) => Err(e.into()),
        }
    }

    /// Creates one directory whose parent exists.
    pub fn create_dir(&self, path: &str) -> io::Result<()> {
        let (dir, name) = self.place_existing(path)?;
        self.missing.borrow_mut().take();
        rustix::fs::mkdirat(&*dir, name.as_str(), Mode::from_raw_mode(0o777))?;
        Ok(())
    }

    /// Removes an empty directory.
    pub fn remove_dir(&self, path: &str) -> io::Result<()> {
        let (dir, name) = self.place_existing(path)?;
        // The handles kept may lead into the directory removed.
        for c in self.cursors.borrow_mut().iter_mut() {
            c.clear();
        }
        rustix::fs::unlinkat(&*dir, name.as_str(), AtFlags::REMOVEDIR)?;
        Ok(())
    }

    /// Creates a new file and writes `contents`: fails if anything, a link
    /// included, is already at `path`. Not flushed to disk: see
    /// [`OutDir::sync`].
    pub fn create_file(&self, path: &str, contents: &[u8]) -> io::Result<()> {
        let (dir, name) = self.place_existing(path)?;
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&*dir, name.as_str(), flags, Mode::from_raw_mode(0o666))?;
        File::from(fd).write_all(contents)
    }

    /// Gives the entry at `from` a second name `to`, which must not exist. A
    /// link at `from` is linked itself, not its target.
    pub fn link(&self, from: &str, to: &str) -> io::Result<()> {
        let (fdir, fname) = self.place_existing(from)?;
        let (tdir, tname) = self.place_existing(to)?;
        match rustix::fs::linkat(
            &*fdir,
            fname.as_str(),
            &*tdir,
            tname.as_str(),
            AtFlags::empty(),
        ) {
            Ok(()) => Ok(()),
            // Some file systems have no hard links; a copy serves the purpose.
            Err(Errno::PERM | Errno::OPNOTSUPP | Errno::MLINK) => {
                let bytes = self.read(from, u64::MAX)?.ok_or_else(|| {
                    io::Error::new(io::ErrorKind::NotFound, format!("{from}: not found"))
                })?;
                self.create_file(to, &bytes)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Renames atomically, replacing whatever entry is at `to` (a link there
    /// is replaced, not followed).
    pub fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        let (fdir, fname) = self.place_existing(from)?;
        let (tdir, tname) = self.place_existing(to)?;
        rustix::fs::renameat(&*fdir, fname.as_str(), &*tdir, tname.as_str())?;
        Ok(())
    }

    /// Removes the entry at `path` (a link itself, never its target).
    pub fn remove_file(&self, path: &str) -> io::Result<()> {
        let (dir, name) = self.place_existing(path)?;
        rustix::fs::unlinkat(&*dir, name.as_str(), AtFlags::empty())?;
        Ok(())
    }

    /// The names in directory `dir` (`""` for the root) and what each is;
    /// nothing when it does not exist. Names that are not UTF-8 are left out:
    /// pipec never creates one.
    pub fn list(&self, dir: &str) -> io::Result<Vec<(String, Kind)>> {
        if !dir.is_empty() && !is_plain_relative(dir) {
            return Err(Refusal::NotPlain { path: dir.into() }.into());
        }
        let Some(fd) = self.dir(dir)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for entry in rustix::fs::Dir::read_from(&*fd)? {
            let entry = entry?;
            let Ok(name) = entry.file_name().to_str() else {
                continue;
            };
            if name == "." || name == ".." {
                continue;
            }
            let kind = match entry.file_type() {
                FileType::Unknown => match kind_at(&fd, name)? {
                    Some(k) => k,
                    None => continue,
                },
                t => Kind::of(t),
            };
            out.push((name.to_string(), kind));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// Makes every change made so far durable: one flush of the file system
    /// the directory is on, instead of one per file.
    pub fn sync(&self) -> io::Result<()> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        rustix::fs::syncfs(&**self.root()?)?;
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        {
            self.root()?;
            rustix::fs::sync();
        }
        Ok(())
    }

    /// Takes the directory's build lock: `Exclusive` for a build, `Shared`
    /// for `--check`. Waits up to `wait` for another holder, calling
    /// `waiting` once when it has to; the lock is released when the [`Lock`]
    /// is dropped or the process ends, however it ends.
    pub fn lock(&self, mode: LockMode, wait: Duration, waiting: impl FnOnce()) -> io::Result<Lock> {
        // A handle of its own: a lock belongs to one opening of the directory.
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&**self.root()?, ".", flags, Mode::empty())?;
        let op = match mode {
            LockMode::Shared => FlockOperation::NonBlockingLockShared,
            LockMode::Exclusive => FlockOperation::NonBlockingLockExclusive,
        };
        let start = Instant::now();
        let mut waiting = Some(waiting);
        loop {
            match rustix::fs::flock(&fd, op) {
                Ok(()) => return Ok(Lock { _fd: fd }),
                Err(Errno::INTR) => {}
                Err(Errno::WOULDBLOCK) => {
                    if start.elapsed() >= wait {
                        return Err(io::Error::new(
                            io::ErrorKind::WouldBlock,
                            format!(
                                "another pipec build is writing to {} (waited {} s)",
                                self.path.display(),
                                wait.as_secs()
                            ),
                        ));
                    }
                    if let Some(f) = waiting.take() {
                        f();
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// How a build lock is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// Readers (`build --check`): any number at once, none during a build.
    Shared,
    /// A build: alone.
    Exclusive,
}

/// A held build lock.
pub struct Lock {
    _fd: OwnedFd,
}

/// What is at `name` in `dir`, without following a link.
fn kind_at(dir: &impl AsFd, name: &str) -> io::Result<Option<Kind>> {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some(Kind::of(FileType::from_raw_mode(st.st_mode)))),
        Err(Errno::NOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests;
