//! The project directory a program is read from.
//!
//! A path is inside the project when it is lexically (an absolute path, or
//! `..` past the root, is refused without looking at the file system, so a
//! refusal does not tell whether something exists out there) and once its
//! symbolic links are resolved (a link inside the project that points out of
//! it is refused). Only then is the file opened, with the rules of
//! [`crate::read`]. The project's files are assumed not to change while pipec
//! reads them: a checkout that is rewritten concurrently is out of scope
//! (docs/security.md).

use std::io;
use std::path::{Path, PathBuf};

use crate::path::normalize;

/// A directory whose files pipec may read.
#[derive(Debug, Clone)]
pub struct Project {
    /// Canonical: symbolic links resolved.
    root: PathBuf,
    /// Absolute and normalized, as the user named it (its links unresolved).
    named: PathBuf,
    /// How messages name it.
    shown: String,
}

/// Why a path of the project could not be read.
#[derive(Debug)]
pub enum ProjectError {
    /// The path is outside the project; nothing was read.
    Outside,
    Io(io::Error),
}

impl Project {
    /// The project rooted at `root`, which must be an existing directory.
    pub fn new(root: &Path) -> io::Result<Project> {
        let canonical = root.canonicalize()?;
        if !canonical.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("{} is not a directory", root.display()),
            ));
        }
        let named = normalize(&std::path::absolute(root)?);
        let shown = root.to_string_lossy();
        Ok(Project {
            root: canonical,
            named,
            shown: if shown.is_empty() {
                ".".into()
            } else {
                shown.into()
            },
        })
    }

    /// The same project, named `shown` in messages.
    pub fn named_as(self, shown: &str) -> Project {
        Project {
            shown: shown.to_string(),
            ..self
        }
    }

    /// The project of a program: `root` when given, else the program's own
    /// directory (the directory itself, or the directory of a file).
    pub fn of_program(program: &Path, root: Option<&Path>) -> io::Result<Project> {
        if let Some(root) = root {
            return Project::new(root);
        }
        if program.is_dir() {
            return Project::new(program);
        }
        match program.parent() {
            Some(p) if !p.as_os_str().is_empty() => Project::new(p),
            _ => Project::new(Path::new(".")),
        }
    }

    /// The project directory, symbolic links resolved.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The project directory as the user named it.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// Where `path` really is, when it is inside the project.
    pub fn locate(&self, path: &Path) -> Result<PathBuf, ProjectError> {
        let lexical = normalize(&std::path::absolute(path).map_err(ProjectError::Io)?);
        if !lexical.starts_with(&self.named) && !lexical.starts_with(&self.root) {
            return Err(ProjectError::Outside);
        }
        let real = lexical.canonicalize().map_err(ProjectError::Io)?;
        if !real.starts_with(&self.root) {
            return Err(ProjectError::Outside);
        }
        Ok(real)
    }

    /// Whether `path` is inside the project (false when it does not exist).
    pub fn contains(&self, path: &Path) -> bool {
        self.locate(path).is_ok()
    }

    /// The contents of the regular file at `path` inside the project, at most
    /// `limit` bytes.
    pub fn read(&self, path: &Path, limit: u64) -> Result<Vec<u8>, ProjectError> {
        let real = self.locate(path)?;
        crate::read::read(&real, limit).map_err(ProjectError::Io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_inside_and_refuses_outside() {
        let base = std::env::temp_dir().join(format!("pipec-fs-project-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(base.join("repo/ci/lib")).unwrap();
        std::fs::write(base.join("repo/ci/lib/a.pipe"), "a").unwrap();
        std::fs::write(base.join("secret"), "s").unwrap();
        std::os::unix::fs::symlink(base.join("secret"), base.join("repo/ci/link.pipe")).unwrap();
        std::os::unix::fs::symlink("lib/a.pipe", base.join("repo/ci/inside.pipe")).unwrap();

        let p = Project::new(&base.join("repo/ci")).unwrap();
        assert_eq!(p.read(&base.join("repo/ci/lib/a.pipe"), 10).unwrap(), b"a");
        assert_eq!(p.read(&base.join("repo/ci/inside.pipe"), 10).unwrap(), b"a");
        assert!(matches!(
            p.read(&base.join("repo/ci/link.pipe"), 10),
            Err(ProjectError::Outside)
        ));
        assert!(matches!(
            p.read(&base.join("repo/ci/../../secret"), 10),
            Err(ProjectError::Outside)
        ));
        assert!(matches!(
            p.read(Path::new("/etc/passwd"), 10),
            Err(ProjectError::Outside)
        ));
        // Refused before the file system is asked: no difference between a
        // file that exists outside and one that does not.
        assert!(matches!(
            p.read(&base.join("repo/nothing"), 10),
            Err(ProjectError::Outside)
        ));
        assert!(matches!(
            p.read(&base.join("repo/ci/nothing"), 10),
            Err(ProjectError::Io(_))
        ));
    }
}
