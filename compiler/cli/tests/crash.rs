//! `pipec build` killed at random points (SIGKILL) while it replaces a tree of
//! hundreds of files, and two builds racing into one directory.
//!
//! After a kill, every generated file is either its old version or its new
//! one, whole; anything else present is a temporary file, a backup, a
//! staged file or the in-progress record, and then `--check` says the directory is not up to
//! date. The next build — of the new program, or of the old one again —
//! leaves exactly that program's tree, nothing else, and `--check` passes.
//!
//! `PIPEC_CRASH_RUNS` sets the number of kills (default 12, a few tens of
//! seconds); `PIPEC_CRASH_SEED` replays a run.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{Repo, pipec_bin, repo_root};

/// Services in the program: about fourteen files each.
const SERVICES: usize = 30;
const TARGETS: &str = "kustomize,argocd";

/// The flask-api example with `services` copies of its service, named from
/// `first` on, listening on `port`.
fn program(dir: &Path, first: usize, services: usize, port: u16) {
    let example = repo_root().join("examples/flask-api");
    let source = std::fs::read_to_string(example.join("deploy.pipe")).unwrap();
    let start = source.find("service flask_api {").unwrap();
    let end = source.find("gitops {").unwrap();
    let mut out = source[..start].to_string();
    for k in first..first + services {
        out.push_str(
            &source[start..end]
                .replace("service flask_api", &format!("service s{k}"))
                .replace("flask-api/database-url", &format!("s{k}/database-url"))
                .replace("flask.example.com", &format!("s{k}.example.com"))
                .replace("flask-api-tls", &format!("s{k}-tls"))
                .replace("port          8000", &format!("port          {port}")),
        );
    }
    out.push_str(&source[end..]);
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("deploy.pipe"), out).unwrap();
    std::fs::copy(example.join("pipeline.pipe"), dir.join("pipeline.pipe")).unwrap();
}

/// Every file of the work tree but `.git` and the program: path → bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(base).unwrap().display().to_string();
            if rel == ".git" || rel.starts_with("ci") {
                continue;
            }
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.is_dir() {
                walk(base, &p, out);
            } else {
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Fails with the paths that differ between two trees.
fn assert_same(
    now: &BTreeMap<String, Vec<u8>>,
    expected: &BTreeMap<String, Vec<u8>>,
    context: &str,
) {
    let differ: Vec<&String> = now
        .keys()
        .chain(expected.keys())
        .filter(|p| now.get(*p) != expected.get(*p))
        .collect();
    assert!(
        differ.is_empty(),
        "{context}: these paths differ: {differ:?}"
    );
}

fn is_leftover(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    path == ".pipec/in-progress"
        || path.starts_with(".pipec/stage/")
        || name.starts_with('.') && (name.ends_with(".pipec-tmp") || name.ends_with(".pipec-old"))
}

/// A small deterministic generator (xorshift), so a failing run can be
/// replayed from its seed.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn a_killed_build_leaves_the_old_or_the_new_version_of_every_file() {
    let runs: usize = std::env::var("PIPEC_CRASH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    let seed: u64 = std::env::var("PIPEC_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        });
    let mut random = Random(seed);

    // The new tree, built on its own.
    let fresh = Repo::new("crash-new");
    program(&fresh.path("ci"), 5, SERVICES, 8001);
    let run = fresh.pipec(&["build", "ci", "--target", TARGETS]);
    assert_eq!(run.code, 0, "{run:?}");
    let new = snapshot(&fresh.dir);

    // The old tree, committed, with the new program's source beside it: five
    // services go, five come, the others change.
    let repo = Repo::new("crash");
    program(&repo.path("ci"), 0, SERVICES, 8000);
    let run = repo.pipec(&["build", "ci", "--target", TARGETS]);
    assert_eq!(run.code, 0, "{run:?}");
    let old = snapshot(&repo.dir);
    assert!(old.len() > 400, "{} files", old.len());
    program(&repo.path("ci"), 5, SERVICES, 8001);
    repo.commit_all("old tree, new program");

    // How long a whole build takes, to kill within it.
    let started = Instant::now();
    let run = repo.pipec(&["build"]);
    assert_eq!(run.code, 0, "{run:?}");
    let span = started.elapsed().as_micros() as u64 + 1;
    assert_same(&snapshot(&repo.dir), &new, "the first build");

    let mut completed = 0;
    for i in 0..runs {
        repo.git(&["reset", "-q", "--hard"]);
        repo.git(&["clean", "-q", "-fdx"]);
        assert_same(&snapshot(&repo.dir), &old, "reset");
        let delay = Duration::from_micros(random.next() % (span + span / 5));
        let mut child = Command::new(pipec_bin())
            .arg("build")
            .current_dir(&repo.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        let status = child.wait().unwrap();
        let context = format!("run {i}, seed {seed}, killed after {delay:?}");

        let now = snapshot(&repo.dir);
        let mut leftovers = 0;
        let mut mixed = false;
        for (path, bytes) in &now {
            if is_leftover(path) {
                leftovers += 1;
                continue;
            }
            let (o, n) = (old.get(path), new.get(path));
            assert!(
                o == Some(bytes) || n == Some(bytes),
                "{context}: {path} is neither its old nor its new version"
            );
            mixed |= n != Some(bytes);
        }
        for path in old.keys().chain(new.keys()) {
            if !now.contains_key(path) {
                let (o, n) = (old.get(path), new.get(path));
                assert!(
                    o.is_none() || n.is_none(),
                    "{context}: {path} is in both trees, and gone"
                );
                mixed |= n.is_some();
            }
        }
        let check = repo.pipec(&["build", "--check"]);
        if leftovers > 0 || mixed {
            assert_eq!(check.code, 1, "{context}: {check:?}");
        } else {
            assert_eq!(check.code, 0, "{context}: {check:?}");
            completed += 1;
        }
        if status.success() {
            assert_same(&now, &new, &format!("{context}: the build completed"));
        }

        // The next build: of the new program, or of the old one again (then
        // nothing the killed build wrote for the new one may survive).
        let expected = if i % 2 == 0 {
            &new
        } else {
            program(&repo.path("ci"), 0, SERVICES, 8000);
            &old
        };
        let run = repo.pipec(&["build"]);
        assert_eq!(run.code, 0, "{context}: {run:?}");
        assert_same(
            &snapshot(&repo.dir),
            expected,
            &format!("{context}: after the next build"),
        );
        let check = repo.pipec(&["build", "--check"]);
        assert_eq!(check.code, 0, "{context}: {check:?}");
    }
    eprintln!("{runs} kills (seed {seed}); {completed} after the build had completed");
}

#[test]
fn two_builds_into_one_directory_never_mix_their_trees() {
    let repo = Repo::new("race");
    program(&repo.path("one"), 0, 10, 8000);
    program(&repo.path("two"), 0, 10, 8001);
    for round in 0..4 {
        let spawn = |program: &str| {
            Command::new(pipec_bin())
                .args(["build", program, "--target", TARGETS])
                .current_dir(&repo.dir)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn("one"), spawn("two"));
        for child in [a, b] {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // Both programs write the same paths: every file comes from the
        // build that ran last, and the manifest says so.
        let tree = snapshot(&repo.dir);
        let from = |needle: &str| {
            tree.iter()
                .filter(|(p, b)| {
                    !p.starts_with(".pipec/") && String::from_utf8_lossy(b).contains(needle)
                })
                .count()
        };
        let (one, two) = (from("from one/"), from("from two/"));
        assert!(
            (one == 0) != (two == 0),
            "round {round}: {one} files from one, {two} from two"
        );
        let last = if one > 0 { "one" } else { "two" };
        let manifest = String::from_utf8_lossy(&tree[".pipec/manifest.json"]).into_owned();
        let m: serde_json::Value = serde_json::from_str(&manifest).unwrap();
        let owners: Vec<&String> = m["programs"].as_object().unwrap().keys().collect();
        assert!(
            owners.contains(&&last.to_string()),
            "round {round}: {manifest}"
        );
        assert!(!tree.keys().any(|p| is_leftover(p)), "round {round}");
    }
}
