//! `pipec init`: a starter program for the repository it runs in, from the
//! ecosystem its files show (`package.json`, `go.mod`, `build.gradle(.kts)`,
//! `pom.xml`, `Cargo.toml`, `pyproject.toml`; `--lang` overrides) and flags:
//! see [`starter`] for what each starter holds.

mod starter;

use std::path::{Path, PathBuf};

use clap::Args;

use crate::output::Output;

pub use starter::{Lang, NodeManager, Settings};

#[derive(Args)]
pub struct InitArgs {
    /// The ecosystem of the starter. Default: what the repository holds
    /// (Python when it shows none).
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
    /// A service to build and deploy; repeat for several (each then builds
    /// from its own directory).
    #[arg(long = "service", value_name = "NAME", default_value = "app")]
    pub services: Vec<String>,
    /// The GitHub owner (user or organization) of the images and of this
    /// repository.
    #[arg(long, default_value = "your-org")]
    pub owner: String,
    /// The HTTPS URL of this repository, which Argo CD reads the manifests
    /// from. Default: `https://github.com/OWNER/DIRECTORY.git`.
    #[arg(long, value_name = "URL")]
    pub repo: Option<String>,
    /// The Python version the checks run on.
    #[arg(long, default_value = "3.12")]
    pub python: String,
    /// The file to write; `-` prints the program instead.
    #[arg(long, default_value = "pipeline.pipe")]
    pub out: PathBuf,
    /// Overwrite the file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// The ecosystem `dir` holds, by its marker files, in the order the
/// documentation lists them; Python when none is there.
pub fn detect(dir: &Path) -> Lang {
    let has = |name: &str| dir.join(name).is_file();
    if has("package.json") {
        Lang::Node
    } else if has("go.mod") {
        Lang::Go
    } else if [
        "build.gradle",
        "build.gradle.kts",
        "settings.gradle",
        "settings.gradle.kts",
    ]
    .iter()
    .any(|f| has(f))
    {
        Lang::Gradle
    } else if has("pom.xml") {
        Lang::Maven
    } else if has("Cargo.toml") {
        Lang::Rust
    } else if has("pyproject.toml") && !has("Dockerfile") && !has("requirements.txt") {
        Lang::PythonLibrary
    } else {
        Lang::Python
    }
}

/// The Node package manager whose lock file `dir` holds (npm by default).
pub fn node_manager(dir: &Path) -> NodeManager {
    if dir.join("pnpm-lock.yaml").is_file() {
        NodeManager::Pnpm
    } else if dir.join("yarn.lock").is_file() {
        NodeManager::Yarn
    } else {
        NodeManager::Npm
    }
}

pub fn run(args: &InitArgs, out: &Output) -> u8 {
    let mut names = Vec::new();
    for s in &args.services {
        let name = s.replace('-', "_");
        let valid = name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            out.error(&format!(
                "`{s}` is not a service name: use lower-case letters, digits, `_` and `-`"
            ));
            return 2;
        }
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let bad = |s: &str| s.is_empty() || s.contains(['"', '\\', '\n', '{', '}']);
    let here = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let repo = match &args.repo {
        Some(r) => r.clone(),
        None => format!("https://github.com/{}/{}.git", args.owner, repo_name(&here)),
    };
    if bad(&args.owner) || bad(&args.python) || bad(&repo) || !repo.starts_with("https://") {
        out.error(
            "--owner, --repo and --python take plain text (no quotes, braces or backslashes), \
             and --repo an https:// URL",
        );
        return 2;
    }
    let lang = args.lang.unwrap_or_else(|| detect(&here));
    let settings = Settings {
        lang,
        node: node_manager(&here),
        services: &names,
        owner: &args.owner,
        python: &args.python,
        repo: &repo,
    };
    let program = starter::starter(&settings);
    if args.out.as_os_str() == "-" {
        print!("{program}");
        return 0;
    }
    // Never through a symbolic link: without --force nothing may be there,
    // with it the file is replaced whole.
    let written = if args.force {
        pipec_fs::write::replace(&args.out, program.as_bytes())
    } else {
        pipec_fs::write::create_new(&args.out, program.as_bytes())
    };
    if let Err(e) = written {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            out.error(&format!(
                "{} exists; pass --force to overwrite it, or --out to write elsewhere",
                args.out.display()
            ));
            return 2;
        }
        out.error(&format!("cannot write {}: {e}", args.out.display()));
        return 2;
    }
    out.status(&format!(
        "wrote {} ({}); next: `pipec check {0}`, then `pipec build {0}`",
        args.out.display(),
        lang.describe()
    ));
    0
}

/// The repository's name as its directory says it, when that is a plain
/// name GitHub accepts; `app` otherwise.
fn repo_name(dir: &Path) -> String {
    dir.file_name()
        .and_then(|n| n.to_str())
        .filter(|n| {
            !n.is_empty()
                && !n.starts_with('.')
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
        .unwrap_or("app")
        .to_string()
}
