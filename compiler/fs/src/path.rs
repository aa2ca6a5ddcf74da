//! Paths as pipec names them: plain relative paths inside a directory,
//! lexical normalization, and one path relative to another.

use std::path::{Component, Path, PathBuf};

/// Whether `path` is a plain relative path: names separated by `/`, none of
/// them empty, `.` or `..`, and no backslash or NUL. Such a path stays inside
/// the directory it is relative to, unless a symbolic link leads out.
pub fn is_plain_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.contains(['\\', '\0'])
        && path
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
}

/// Removes `.` and resolves `..` lexically (without looking at the file
/// system).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            c => out.push(c),
        }
    }
    out
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

/// An absolute, normalized form of `path`, following symbolic links where
/// the path exists; the part that does not exist yet is appended as written.
pub fn absolute(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    let abs = normalize(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()));
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
            return normalize(&out);
        }
    }
    abs
}

/// `dir/.NAME.SUFFIX`: a sibling of `path` (a plain relative path), so that a
/// rename between them stays in one directory and one file system.
pub fn sibling(path: &str, suffix: &str) -> String {
    match path.rsplit_once('/') {
        Some((dir, name)) => format!("{dir}/.{name}.{suffix}"),
        None => format!(".{path}.{suffix}"),
    }
}

/// The directory part of a plain relative path (`""` for a name alone).
pub fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(p, _)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_relative_paths() {
        for ok in ["a", "a/b.yml", ".github/workflows/ci.yml", "a..b", "..."] {
            assert!(is_plain_relative(ok), "{ok}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../b",
            "a//b",
            "a/./b",
            "a/",
            "a\\b",
            "a\0",
        ] {
            assert!(!is_plain_relative(bad), "{bad:?}");
        }
    }

    #[test]
    fn normalizes_and_relates() {
        assert_eq!(normalize(Path::new("./a/b/../c")), PathBuf::from("a/c"));
        assert_eq!(normalize(Path::new("../a")), PathBuf::from("../a"));
        assert_eq!(
            relative(Path::new("/r/out"), Path::new("/r/ci/x.pipe")),
            "../ci/x.pipe"
        );
        assert_eq!(relative(Path::new("/r"), Path::new("/r")), ".");
        assert_eq!(sibling("a/b.yml", "pipec-tmp"), "a/.b.yml.pipec-tmp");
        assert_eq!(sibling("b.yml", "pipec-old"), ".b.yml.pipec-old");
        assert_eq!(parent("a/b/c"), "a/b");
        assert_eq!(parent("c"), "");
    }
}
