//! Writing a file the user named (`pipec fmt`, `pipec init`), outside any
//! output directory.
//!
//! The file is written through a temporary file next to it
//! (`.NAME.pipec-tmp`), created exclusively and without following a link —
//! whatever is at that name, a link planted there included, is removed
//! first, never written through — then renamed over the destination, so a
//! reader sees the old file or the new one, whole.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Creates a new file at `path` and writes `contents`; fails when anything,
/// a symbolic link included, is there already.
pub fn create_new(path: &Path, contents: &[u8]) -> io::Result<()> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)?
        .write_all(contents)
}

/// Replaces the file at `dest` with `contents` atomically, keeping an
/// existing file's permissions. A symbolic link at `dest` is replaced by the
/// file; what it pointed to is left alone.
pub fn replace(dest: &Path, contents: &[u8]) -> io::Result<()> {
    let temp = temporary(dest);
    match create_new(&temp, contents) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            std::fs::remove_file(&temp)?;
            create_new(&temp, contents)
        }
        r => r,
    }
    .inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })?;
    if let Ok(meta) = std::fs::symlink_metadata(dest)
        && meta.is_file()
    {
        let _ = std::fs::set_permissions(&temp, meta.permissions());
    }
    std::fs::rename(&temp, dest).inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })
}

/// Creates `dir` and its missing ancestors (`--out` names a directory that
/// may not exist yet); returns those it created, the outermost first, so a
/// caller can remove them again with [`remove_empty_dirs`].
pub fn create_dirs(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut missing = Vec::new();
    let mut at = Some(dir);
    while let Some(d) = at.filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        missing.push(d.to_path_buf());
        at = d.parent();
    }
    missing.reverse();
    for d in &missing {
        std::fs::create_dir(d)?;
    }
    Ok(missing)
}

/// Removes the directories [`create_dirs`] created, innermost first, each
/// only if it is empty.
pub fn remove_empty_dirs(created: &[PathBuf]) {
    for dir in created.iter().rev() {
        let _ = std::fs::remove_dir(dir);
    }
}

/// `DIR/.NAME.pipec-tmp` for `DIR/NAME`.
fn temporary(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dest.with_file_name(format!(".{name}.pipec-tmp"))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    #[test]
    fn a_link_at_the_temporary_name_is_not_written_through() {
        let dir = std::env::temp_dir().join(format!("pipec-fs-write-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("bashrc"), "mine\n").unwrap();
        std::fs::write(dir.join("a.pipe"), "old\n").unwrap();
        symlink(dir.join("bashrc"), dir.join(".a.pipe.pipec-tmp")).unwrap();
        replace(&dir.join("a.pipe"), b"new\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("a.pipe")).unwrap(),
            "new\n"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("bashrc")).unwrap(),
            "mine\n"
        );
        assert!(!dir.join(".a.pipe.pipec-tmp").exists());

        symlink(dir.join("bashrc"), dir.join("b.pipe")).unwrap();
        assert!(create_new(&dir.join("b.pipe"), b"x").is_err());
        replace(&dir.join("b.pipe"), b"file\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("bashrc")).unwrap(),
            "mine\n"
        );
        assert!(
            std::fs::symlink_metadata(dir.join("b.pipe"))
                .unwrap()
                .is_file()
        );
    }
}
