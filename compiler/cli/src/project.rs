//! The file system as pipec reads a program: the checker's [`FileSystem`]
//! over `pipec_fs`, confined to the program's project directory.
//!
//! The project is the directory `--root` names, or else the program's own
//! directory (the directory given, or the one that contains the file given).
//! A `use` that leads out of it is refused (E0114) without being read; every
//! file is read as `pipec_fs::read` reads: regular files only, at most
//! [`pipec_fs::MAX_FILE_SIZE`] bytes, never blocking on a FIFO or a device.

use std::io;
use std::path::{Path, PathBuf};

use pipec_check::{FileSystem, ReadError};
use pipec_fs::walk::{self, Entry, Links};
use pipec_fs::{Project, ProjectError};

/// A program's files, read inside its project.
pub struct ProjectFs {
    project: Project,
    /// What relative paths are relative to, when not the working directory.
    base: Option<PathBuf>,
}

impl ProjectFs {
    /// The project of the program at `program`: `root` when given (it must
    /// contain the program), else the program's directory.
    pub fn for_program(program: &Path, root: Option<&Path>) -> io::Result<ProjectFs> {
        let fs = ProjectFs {
            project: Project::of_program(program, root)?,
            base: None,
        };
        if root.is_some() && !fs.project.contains(program) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{} is not inside the project directory {}",
                    program.display(),
                    fs.project.shown()
                ),
            ));
        }
        Ok(fs)
    }

    /// The project at `root`, with relative paths taken relative to `base`
    /// instead of the working directory (so that file names in diagnostics
    /// stay as short as the caller's).
    pub fn at(root: &Path, base: &Path) -> io::Result<ProjectFs> {
        Ok(ProjectFs {
            project: Project::new(&base.join(root))?.named_as(&root.to_string_lossy()),
            base: Some(base.to_path_buf()),
        })
    }

    pub fn project(&self) -> &Project {
        &self.project
    }

    fn full(&self, path: &Path) -> PathBuf {
        match &self.base {
            Some(b) => b.join(path),
            None => path.to_path_buf(),
        }
    }
}

impl FileSystem for ProjectFs {
    fn read_bytes(&self, path: &Path) -> Result<Vec<u8>, ReadError> {
        self.project
            .read(&self.full(path), pipec_fs::MAX_FILE_SIZE)
            .map_err(|e| match e {
                ProjectError::Outside => ReadError::OutsideProject {
                    root: self.project.shown().to_string(),
                },
                ProjectError::Io(e) => ReadError::Io(e),
            })
    }

    fn is_dir(&self, path: &Path) -> bool {
        self.full(path).is_dir()
    }

    /// Every entry named `*.pipe` that is not a directory: a link or a
    /// special file among them is then refused when it is read, with a
    /// message, rather than left out without one.
    fn pipe_files(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        let full = self.full(dir);
        let mut out = Vec::new();
        for entry in walk::entries(&full, self.project.root(), Links::Never)? {
            let (Entry::File(p) | Entry::Skipped(p, _)) = entry else {
                continue;
            };
            if p.extension().is_some_and(|x| x == "pipe")
                && let Some(name) = p.file_name()
            {
                out.push(dir.join(name));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn programs_have_the_parsers_size_limit() {
        assert_eq!(pipec_fs::MAX_FILE_SIZE, pipec_syntax::MAX_FILE_SIZE as u64);
    }
}
