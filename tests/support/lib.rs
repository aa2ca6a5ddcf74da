//! Helpers for the tests in `tests/`: the repository, the examples, and the
//! validators installed by `scripts/install-tools.sh`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "tool.rs"]
mod tool_lookup;

use pipec_check::check;
use pipec_emit::OutputTree;
use pipec_graph::Program;

pub mod monorepo;
pub mod shell;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The names of the programs under `examples/`.
pub fn examples() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(root().join("examples"))
        .expect("examples/ exists")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    out.sort();
    out
}

/// The file system as `pipec check PATH` reads the program at `path`
/// (relative to the working directory): inside the program's directory.
pub fn fs(path: &Path) -> pipec::ProjectFs {
    pipec::ProjectFs::for_program(path, None).expect("the program's directory exists")
}

/// Checks an example; panics with the rendered diagnostics on errors.
pub fn program(example: &str) -> Program {
    // Paths as a user would type them from the repository root.
    let _cwd = CwdGuard::enter(&root());
    let checked = check(
        Path::new(&format!("examples/{example}")),
        &fs(Path::new(&format!("examples/{example}"))),
    )
    .expect("example readable");
    if let Some(p) = checked.program {
        return p;
    }
    panic!(
        "{example} has errors:\n{}",
        pipec_diagnostics::render::human(
            &checked.diagnostics,
            &checked.sources,
            Default::default()
        )
    );
}

/// Checks a one-file program given as text; panics with the rendered
/// diagnostics on errors.
pub fn program_from(text: &str) -> Program {
    let fs = pipec_check::MemoryFs([(PathBuf::from("main.pipe"), text.to_string())].into());
    let checked = check(Path::new("main.pipe"), &fs).expect("in memory");
    if let Some(p) = checked.program {
        return p;
    }
    panic!(
        "the program has errors:\n{}",
        pipec_diagnostics::render::human(
            &checked.diagnostics,
            &checked.sources,
            Default::default()
        )
    );
}

/// The file at `path` of a tree rendered for `targets`; panics with the
/// diagnostics when a target refuses the program.
pub fn emitted(program: &Program, targets: &[&str], path: &str) -> String {
    let tree = pipec::emit(program, targets).unwrap_or_else(|d| panic!("{d:#?}"));
    tree.files()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("no file {path}"))
        .body
        .clone()
}

/// Renders the given targets (all when empty) of an example into memory.
pub fn render(example: &str, targets: &[&str]) -> OutputTree {
    let p = program(example);
    match pipec::emit(&p, targets) {
        Ok(tree) => tree,
        Err(diags) => panic!("{example}: targets reported {diags:#?}"),
    }
}

/// Writes a tree under `dir` (with headers), for tools that read files.
pub fn write_tree(tree: &OutputTree, dir: &Path) {
    for f in tree.files() {
        let dest = dir.join(&f.path);
        std::fs::create_dir_all(dest.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(&dest, pipec_emit::header::wrap(&f.body, &f.source)).expect("write");
    }
}

/// A fresh empty directory under the target directory, unique per test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = root()
        .join("target")
        .join("test-scratch")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The `pipec` binary, built first (the tests of the root package do not
/// get it from Cargo).
pub fn pipec_exe() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "-p", "pipec", "--bin", "pipec"])
        .current_dir(root())
        .status()
        .expect("cargo build");
    assert!(status.success());
    let exe = std::env::current_exe().expect("test exe");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    dir.join(format!("pipec{}", std::env::consts::EXE_SUFFIX))
}

/// An installed validator; see [`tool_lookup::find`].
pub fn tool(name: &str) -> Option<PathBuf> {
    tool_lookup::find(&root(), name)
}

/// A command's standard output and error, for failure messages.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs a tool and returns its output.
pub fn run(tool: &Path, args: &[&str], dir: &Path) -> Output {
    Command::new(tool)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", tool.display()))
}

/// Sets the working directory for the duration of a scope. Tests using it are
/// serialized by a lock, since the working directory is per process.
pub struct CwdGuard {
    previous: PathBuf,
    _lock: std::sync::MutexGuard<'static, ()>,
}

static CWD_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl CwdGuard {
    pub fn enter(dir: &Path) -> CwdGuard {
        let lock = CWD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let previous = std::env::current_dir().expect("cwd");
        std::env::set_current_dir(dir).expect("enter dir");
        CwdGuard {
            previous,
            _lock: lock,
        }
    }
}

impl Drop for CwdGuard {
    fn drop(&mut self) {
        let _ = std::env::set_current_dir(&self.previous);
    }
}
