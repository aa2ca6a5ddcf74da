//! Listing a directory for `pipec lint` and `pipec fmt`.
//!
//! A walk stays inside the directory it was asked to walk: a symbolic link to
//! a directory is never entered (it could lead anywhere, or back up into a
//! loop), and a symbolic link to a file counts only when the walk follows
//! links to files and the link resolves to a regular file inside the walked
//! root. FIFOs, sockets and devices are left out, so nothing the walk finds
//! can block a read.

use std::io;
use std::path::{Path, PathBuf};

/// One entry of a directory, as a walk sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    File(PathBuf),
    Dir(PathBuf),
    /// Left out, and why (for `--verbose`).
    Skipped(PathBuf, &'static str),
}

/// How a walk treats symbolic links to files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// Followed to a regular file inside the root (`pipec lint` reads them).
    ToFilesInside,
    /// Left out (`pipec fmt` would replace the link by a file).
    Never,
}

/// The entries of `dir`, sorted by path. `root` is the canonical directory
/// the walk started from.
pub fn entries(dir: &Path, root: &Path, links: Links) -> io::Result<Vec<Entry>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let path = e.path();
        // `DirEntry::file_type` does not follow a link.
        let t = e.file_type()?;
        out.push(if t.is_dir() {
            Entry::Dir(path)
        } else if t.is_file() {
            Entry::File(path)
        } else if t.is_symlink() {
            link(path, root, links)
        } else {
            Entry::Skipped(path, "not a regular file")
        });
    }
    out.sort_by(|a, b| name(a).cmp(name(b)));
    Ok(out)
}

fn name(e: &Entry) -> &Path {
    match e {
        Entry::File(p) | Entry::Dir(p) | Entry::Skipped(p, _) => p,
    }
}

fn link(path: PathBuf, root: &Path, links: Links) -> Entry {
    if links == Links::Never {
        return Entry::Skipped(path, "a symbolic link");
    }
    match path.canonicalize() {
        Ok(target) if !target.starts_with(root) => {
            Entry::Skipped(path, "a symbolic link out of the directory")
        }
        Ok(target) if target.is_dir() => Entry::Skipped(path, "a symbolic link to a directory"),
        Ok(target) if target.is_file() => Entry::File(path),
        Ok(_) => Entry::Skipped(path, "a symbolic link to a special file"),
        Err(_) => Entry::Skipped(path, "a broken symbolic link"),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    #[test]
    fn stays_inside_and_skips_special_files() {
        let base = std::env::temp_dir().join(format!("pipec-fs-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(base.join("repo/sub")).unwrap();
        std::fs::write(base.join("repo/a.yml"), "a").unwrap();
        std::fs::write(base.join("outside.yml"), "o").unwrap();
        symlink("a.yml", base.join("repo/b.yml")).unwrap();
        symlink(base.join("outside.yml"), base.join("repo/c.yml")).unwrap();
        symlink("/dev/zero", base.join("repo/d.yml")).unwrap();
        symlink("/", base.join("repo/e")).unwrap();
        let root = base.join("repo").canonicalize().unwrap();
        let got = entries(&base.join("repo"), &root, Links::ToFilesInside).unwrap();
        let kinds: Vec<String> = got
            .iter()
            .map(|e| match e {
                Entry::File(p) => format!("file {}", p.file_name().unwrap().to_string_lossy()),
                Entry::Dir(p) => format!("dir {}", p.file_name().unwrap().to_string_lossy()),
                Entry::Skipped(p, _) => {
                    format!("skip {}", p.file_name().unwrap().to_string_lossy())
                }
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "file a.yml",
                "file b.yml",
                "skip c.yml",
                "skip d.yml",
                "skip e",
                "dir sub"
            ]
        );
        let never = entries(&base.join("repo"), &root, Links::Never).unwrap();
        assert!(matches!(&never[1], Entry::Skipped(_, "a symbolic link")));
    }
}
