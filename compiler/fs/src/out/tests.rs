//! The output directory on the real file system: symbolic links anywhere on
//! the way are refused, never followed.

use std::os::unix::fs::symlink;
use std::path::PathBuf;

use super::*;
use crate::refusal;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pipec-fs-out-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("out")).unwrap();
    dir
}

#[test]
fn creates_reads_renames_and_removes_inside() {
    let base = scratch("basic");
    let out = OutDir::open(&base.join("out")).unwrap();
    out.create_dir("a").unwrap();
    out.create_dir("a/b").unwrap();
    out.create_file("a/b/.x.pipec-tmp", b"new").unwrap();
    out.rename("a/b/.x.pipec-tmp", "a/b/x").unwrap();
    assert_eq!(out.read("a/b/x", 10).unwrap().unwrap(), b"new");
    assert_eq!(out.kind("a/b").unwrap(), Some(Kind::Dir));
    out.link("a/b/x", "a/b/.x.pipec-old").unwrap();
    assert_eq!(
        out.list("a/b").unwrap(),
        vec![
            (".x.pipec-old".to_string(), Kind::File),
            ("x".to_string(), Kind::File)
        ]
    );
    out.remove_file("a/b/.x.pipec-old").unwrap();
    out.remove_file("a/b/x").unwrap();
    out.remove_dir("a/b").unwrap();
    assert_eq!(out.read("a/b/x", 10).unwrap(), None);
    assert_eq!(out.kind("a/b").unwrap(), None);
    out.sync().unwrap();
    for bad in ["../x", "/etc/passwd", "a/../../x", ""] {
        let e = out.read(bad, 10).unwrap_err();
        assert!(
            matches!(refusal(&e), Some(Refusal::NotPlain { .. })),
            "{bad}"
        );
    }
}

#[test]
fn never_writes_through_a_link_at_the_file() {
    let base = scratch("link-file");
    std::fs::write(base.join("bashrc"), "mine\n").unwrap();
    symlink(base.join("bashrc"), base.join("out/.ci.yml.pipec-tmp")).unwrap();
    let out = OutDir::open(&base.join("out")).unwrap();
    assert!(out.create_file(".ci.yml.pipec-tmp", b"evil").is_err());
    let e = out.read(".ci.yml.pipec-tmp", 100).unwrap_err();
    assert_eq!(
        refusal(&e),
        Some(&Refusal::NotRegular {
            what: "a symbolic link"
        })
    );
    assert_eq!(out.kind(".ci.yml.pipec-tmp").unwrap(), Some(Kind::Symlink));
    // Removing or replacing the link leaves its target alone.
    out.create_file("new", b"x").unwrap();
    out.rename("new", ".ci.yml.pipec-tmp").unwrap();
    assert_eq!(
        std::fs::read_to_string(base.join("bashrc")).unwrap(),
        "mine\n"
    );
    symlink(base.join("bashrc"), base.join("out/.ci.yml.pipec-old")).unwrap();
    out.remove_file(".ci.yml.pipec-old").unwrap();
    assert_eq!(
        std::fs::read_to_string(base.join("bashrc")).unwrap(),
        "mine\n"
    );
}

#[test]
fn never_walks_through_a_linked_directory() {
    let base = scratch("link-dir");
    std::fs::create_dir_all(base.join("elsewhere/workflows")).unwrap();
    std::fs::write(base.join("elsewhere/workflows/ci.yml"), "theirs\n").unwrap();
    symlink(base.join("elsewhere"), base.join("out/.github")).unwrap();
    let out = OutDir::open(&base.join("out")).unwrap();
    for e in [
        out.read(".github/workflows/ci.yml", 100).unwrap_err(),
        out.create_file(".github/workflows/.ci.yml.pipec-tmp", b"x")
            .unwrap_err(),
        out.remove_file(".github/workflows/ci.yml").unwrap_err(),
        out.create_dir(".github/workflows/x").unwrap_err(),
    ] {
        assert_eq!(
            refusal(&e),
            Some(&Refusal::NotADirectory {
                at: ".github".into(),
                what: "a symbolic link"
            }),
            "{e}"
        );
    }
    assert_eq!(
        std::fs::read_dir(base.join("elsewhere/workflows"))
            .unwrap()
            .count(),
        1
    );
}

#[test]
fn a_fifo_in_the_directory_is_refused_without_blocking() {
    let base = scratch("fifo");
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        base.join("out/ci.yml"),
        Mode::from_raw_mode(0o600),
    )
    .unwrap();
    let out = OutDir::open(&base.join("out")).unwrap();
    let e = out.read("ci.yml", 100).unwrap_err();
    assert_eq!(refusal(&e), Some(&Refusal::NotRegular { what: "a FIFO" }));
    assert_eq!(out.kind("ci.yml").unwrap(), Some(Kind::Other));
}

#[test]
fn a_missing_directory_is_empty() {
    let base = scratch("missing");
    let out = OutDir::open(&base.join("nothing")).unwrap();
    assert!(!out.exists());
    assert_eq!(out.read("a/b", 10).unwrap(), None);
    assert_eq!(out.list("").unwrap(), vec![]);
    assert!(out.create_file("a", b"x").is_err());
}

#[test]
fn the_lock_is_exclusive_and_waits_a_bounded_time() {
    let base = scratch("lock");
    let out = OutDir::open(&base.join("out")).unwrap();
    let held = out
        .lock(LockMode::Exclusive, Duration::ZERO, || {})
        .unwrap();
    let mut waited = false;
    let e = out
        .lock(LockMode::Shared, Duration::from_millis(100), || {
            waited = true
        })
        .err()
        .unwrap();
    assert!(waited);
    assert!(e.to_string().contains("another pipec build"), "{e}");
    drop(held);
    let a = out.lock(LockMode::Shared, Duration::ZERO, || {}).unwrap();
    let b = out.lock(LockMode::Shared, Duration::ZERO, || {}).unwrap();
    assert!(
        out.lock(LockMode::Exclusive, Duration::ZERO, || {})
            .is_err()
    );
    drop((a, b));
}
