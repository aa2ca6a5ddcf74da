//! Helpers for the command-line tests: throw-away git repositories, running
//! the `pipec` binary, and finding the validators `scripts/install-tools.sh`
//! installs.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "../../../../tests/support/tool.rs"]
mod tool_lookup;

pub mod validators;

/// The repository pipec lives in.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `pipec` binary under test.
pub fn pipec_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_pipec"))
}

/// A fresh git repository in the target directory, unique per test.
pub struct Repo {
    pub dir: PathBuf,
}

impl Repo {
    pub fn new(name: &str) -> Repo {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("cli-tests")
            .join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create test repository");
        let repo = Repo { dir };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    /// A repository holding a copy of `examples/NAME` under `ci/`.
    pub fn with_example(name: &str, example: &str) -> Repo {
        let repo = Repo::new(name);
        let from = repo_root().join("examples").join(example);
        let to = repo.dir.join("ci");
        std::fs::create_dir_all(&to).expect("mkdir ci");
        for e in std::fs::read_dir(&from).expect("example exists") {
            let e = e.expect("dir entry");
            std::fs::copy(e.path(), to.join(e.file_name())).expect("copy example");
        }
        repo
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    pub fn write(&self, rel: &str, contents: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, contents).expect("write");
    }

    pub fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .args([
                "-c",
                "user.name=pipec tests",
                "-c",
                "user.email=tests@pipec.invalid",
            ])
            .args([
                "-c",
                "commit.gpgsign=false",
                "-c",
                "core.hooksPath=/dev/null",
            ])
            .args(args)
            .current_dir(&self.dir)
            .output()
            .expect("run git");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Stages and commits everything.
    pub fn commit_all(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
    }

    /// `git status` of everything, ignored and untracked files included:
    /// empty when the work tree is exactly the last commit.
    pub fn status(&self) -> String {
        self.git(&[
            "status",
            "--porcelain",
            "--untracked-files=all",
            "--ignored",
        ])
    }

    /// Runs `pipec ARGS` in the repository.
    pub fn pipec(&self, args: &[&str]) -> Run {
        let out = Command::new(pipec_bin())
            .args(args)
            .current_dir(&self.dir)
            .env("NO_COLOR", "1")
            .output()
            .expect("run pipec");
        Run::from(out)
    }
}

impl Repo {
    /// Runs `pipec ARGS` in `dir` (relative to the repository).
    pub fn pipec_in(&self, dir: &str, args: &[&str]) -> Run {
        let out = Command::new(pipec_bin())
            .args(args)
            .current_dir(self.path(dir))
            .env("NO_COLOR", "1")
            .output()
            .expect("run pipec");
        Run::from(out)
    }

    /// Runs `pipec ARGS` in the repository and fails the test if it has not
    /// finished within `seconds` (it is killed then): for inputs that could
    /// make a read block or never end.
    pub fn pipec_within(&self, seconds: u64, args: &[&str]) -> Run {
        let mut child = Command::new(pipec_bin())
            .args(args)
            .current_dir(&self.dir)
            .env("NO_COLOR", "1")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run pipec");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
        while child.try_wait().expect("wait for pipec").is_none() {
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("pipec {args:?} did not finish within {seconds} s");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Run::from(child.wait_with_output().expect("pipec output"))
    }
}

/// The result of running a command.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// An installed validator; see [`tool_lookup::find`].
pub fn tool(name: &str) -> Option<PathBuf> {
    tool_lookup::find(&repo_root(), name)
}

/// `PATH` with the directory of the `pipec` binary under test first.
pub fn path_with_pipec() -> std::ffi::OsString {
    let mut path = vec![pipec_bin().parent().expect("a directory").to_path_buf()];
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(path).expect("a PATH")
}
