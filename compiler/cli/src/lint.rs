//! `pipec lint`: find the inputs under the given paths, read them, run the
//! policy rules, print the findings, and exit with 1 when one is at or above
//! `--deny`.
//!
//! Directories are walked with `pipec_fs::walk`: a symbolic link is followed
//! only to a regular file inside the directory given, never to a directory,
//! a FIFO or a device. Every file is read whole only up to
//! `pipec_fs::MAX_FILE_SIZE`.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use pipec::ProjectFs;
use pipec_check::check;
use pipec_diagnostics::render::HumanOptions;
use pipec_diagnostics::{Severity, SourceFile, SourceMap};
use pipec_fs::walk::{self, Entry, Links};
use pipec_lint::{Batch, Config, Session, report};

use crate::output::Output;

#[derive(Args)]
pub struct LintArgs {
    /// `.pipe` files, YAML files or directories (default: the current directory).
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LintFormat::Human)]
    pub format: LintFormat,
    /// Exit with 1 when a finding is at least this severe.
    #[arg(long, value_enum, default_value_t = Deny::Error)]
    pub deny: Deny,
    /// The configuration file (default: the nearest pipec.toml above the first path).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Only the rules of a preset: `security` (supply chain, injection,
    /// credentials) or `policy` (delivery policy); `all` by default or as
    /// `[lint] select` in pipec.toml says.
    #[arg(long, value_parser = ["security", "policy", "all"])]
    pub select: Option<String>,
    /// The project directory `.pipe` programs may import from (default: each
    /// program's directory). `use` outside it is refused (E0114).
    #[arg(long)]
    pub root: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum LintFormat {
    /// Rendered for people, with source snippets, on stderr.
    Human,
    /// Versioned JSON (docs/rules/index.md).
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub workflow annotations.
    Github,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Deny {
    Error,
    Warning,
    Note,
}

/// What was found under the paths.
#[derive(Default)]
struct Inputs {
    programs: Vec<PathBuf>,
    yaml: Vec<PathBuf>,
    coverage: Vec<PathBuf>,
    /// Entries a walk left out, and why.
    skipped: Vec<(PathBuf, &'static str)>,
}

const COVERAGE_CONFIGS: [&str; 4] = ["pyproject.toml", ".coveragerc", "setup.cfg", "tox.ini"];

fn is_yaml(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml"))
}

/// Finds the inputs under `dir`, a directory inside `root` (canonical),
/// the directory the user named.
fn walk(dir: &Path, root: &Path, top: bool, found: &mut Inputs) -> std::io::Result<()> {
    let mut has_pipe = false;
    for entry in walk::entries(dir, root, Links::ToFilesInside)? {
        // Paths as a user would type them: `examples/x`, not `./examples/x`.
        let tidy = |p: PathBuf| p.strip_prefix(".").map(Path::to_path_buf).unwrap_or(p);
        let p = match entry {
            Entry::Dir(p) => {
                let p = tidy(p);
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                let hidden = name.starts_with('.') && name != ".github" && name != "workflows";
                if !hidden && !matches!(name, "target" | "node_modules") {
                    walk(&p, root, false, found)?;
                }
                continue;
            }
            Entry::File(p) => tidy(p),
            Entry::Skipped(p, why) => {
                found.skipped.push((tidy(p), why));
                continue;
            }
        };
        let p = &p;
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.ends_with(".pipe") {
            has_pipe = true;
        } else if is_yaml(p) {
            found.yaml.push(p.clone());
        } else if top && COVERAGE_CONFIGS.contains(&name) {
            found.coverage.push(p.clone());
        }
    }
    if has_pipe {
        found.programs.push(dir.to_path_buf());
    }
    Ok(())
}

/// `pipec.toml` in the directory of `start` or above it, up to a repository root.
fn find_config(start: &Path) -> Option<PathBuf> {
    let abs = std::fs::canonicalize(start).ok()?;
    let mut dir = if abs.is_dir() {
        Some(abs.as_path())
    } else {
        abs.parent()
    };
    while let Some(d) = dir {
        let c = d.join("pipec.toml");
        if c.is_file() {
            return Some(c);
        }
        if d.join(".git").exists() {
            break;
        }
        dir = d.parent();
    }
    None
}

fn display(p: &Path) -> String {
    let s = p.to_string_lossy().to_string();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

pub fn run(args: &LintArgs, out: &Output) -> u8 {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let mut found = Inputs::default();
    for p in &paths {
        let Ok(meta) = std::fs::metadata(p) else {
            out.error(&format!("{} does not exist", p.display()));
            return 2;
        };
        if meta.is_dir() {
            let walked = p
                .canonicalize()
                .and_then(|root| walk(p, &root, true, &mut found));
            if let Err(e) = walked {
                out.error(&format!("cannot read {}: {e}", p.display()));
                return 2;
            }
        } else if meta.is_file() {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.ends_with(".pipe") {
                found.programs.push(p.clone());
            } else if is_yaml(p) {
                found.yaml.push(p.clone());
            } else if COVERAGE_CONFIGS.contains(&name) {
                found.coverage.push(p.clone());
            } else {
                out.error(&format!(
                    "{} is neither a .pipe program nor YAML",
                    p.display()
                ));
                return 2;
            }
        } else {
            out.error(&format!(
                "{} is not a regular file or a directory",
                p.display()
            ));
            return 2;
        }
    }
    if out.verbose {
        for (p, why) in &found.skipped {
            eprintln!("skipped {}: {why}", p.display());
        }
    }

    let mut sources = SourceMap::new();
    let config_path = args.config.clone().or_else(|| find_config(&paths[0]));
    let (config, config_problems) = match &config_path {
        Some(path) => match pipec_fs::read::read_text(path, pipec_fs::MAX_FILE_SIZE) {
            Ok(text) => {
                let id = sources.add(SourceFile::new(display(path), text.as_str(), false));
                Config::from_toml(&text, id)
            }
            Err(e) => {
                out.error(&format!("cannot read {}: {e}", path.display()));
                return 2;
            }
        },
        None => (Config::default(), Vec::new()),
    };
    let mut config = config;
    if let Some(name) = &args.select
        && let Ok(group) = Config::parse_select(name)
    {
        config.select = group;
    }

    let mut batches: Vec<Batch> = Vec::new();
    let mut yaml = Session::new(sources, config.clone());
    yaml.add_findings(config_problems);
    for path in &found.yaml {
        match pipec_fs::read(path, pipec_fs::MAX_FILE_SIZE) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                let kinds = yaml.add_yaml(&display(path), &text);
                if kinds.is_empty() && out.verbose {
                    eprintln!(
                        "skipped {}: not a pipeline or manifest pipec knows",
                        path.display()
                    );
                }
            }
            Err(e) => {
                out.error(&format!("cannot read {}: {e}", path.display()));
                return 2;
            }
        }
    }
    for path in &found.coverage {
        if let Ok(text) = pipec_fs::read::read_text(path, pipec_fs::MAX_FILE_SIZE) {
            yaml.add_coverage_config(&display(path), &text);
        }
    }
    batches.push(yaml.finish());

    for path in &found.programs {
        let fs = ProjectFs::for_program(path, args.root.as_deref());
        let checked = match fs.and_then(|fs| check(path, &fs)) {
            Ok(c) => c,
            Err(e) => {
                out.error(&format!("cannot read {}: {e}", path.display()));
                return 2;
            }
        };
        match &checked.program {
            Some(program) => {
                let mut s = Session::new(checked.sources.clone(), config.clone());
                s.add_program(program);
                batches.push(s.finish());
            }
            None => {
                let errors: Vec<_> = checked
                    .diagnostics
                    .iter()
                    .filter(|d| d.is_error())
                    .cloned()
                    .collect();
                batches.push(Batch::from_diagnostics(checked.sources.clone(), &errors));
            }
        }
    }

    match args.format {
        LintFormat::Human => {
            let text = report::human(
                &batches,
                HumanOptions {
                    color: out.color,
                    width: 100,
                },
                out.limit,
            );
            eprint!("{text}");
            let (e, w, n) = report::counts(&batches);
            let files = found.programs.len() + found.yaml.len();
            let groups: Vec<String> = report::group_counts(&batches)
                .iter()
                .filter(|(_, c)| *c > 0)
                .map(|(g, c)| format!("{c} {}", g.as_str()))
                .collect();
            let groups = if groups.is_empty() {
                String::new()
            } else {
                format!(" ({})", groups.join(", "))
            };
            out.status(&format!(
                "{e} error(s), {w} warning(s), {n} note(s){groups} in {files} input(s)"
            ));
        }
        LintFormat::Json => print!("{}", report::json(&batches, out.limit)),
        LintFormat::Sarif => print!("{}", report::sarif::sarif(&batches, out.limit)),
        LintFormat::Github => print!("{}", report::github(&batches, out.limit)),
    }

    let floor = match args.deny {
        Deny::Error => Severity::Error,
        Deny::Warning => Severity::Warning,
        Deny::Note => Severity::Note,
    };
    let failing = batches
        .iter()
        .flat_map(|b| &b.findings)
        .any(|f| f.diagnostic.severity >= floor);
    u8::from(failing)
}
