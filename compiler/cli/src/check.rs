//! `pipec check`: everything `pipec build` verifies, without writing a file —
//! the checker, then the validation of every target the program builds to.

use std::path::PathBuf;

use clap::Args;
use pipec::ProjectFs;
use pipec::persist::{self, RealDisk};
use pipec_check::check;

use crate::build::{program_key, targets_of, unknown_target};
use crate::output::{Format, Output};

#[derive(Args)]
pub struct CheckArgs {
    /// A .pipe file, or a directory whose .pipe files form one program.
    pub path: PathBuf,
    /// Targets to validate, comma-separated, as `pipec build --target` names
    /// them. Default: the targets of the program's last build (recorded in
    /// the manifest under --out), or all.
    #[arg(long, value_delimiter = ',')]
    pub target: Vec<String>,
    /// The directory `pipec build` writes into, whose manifest records the
    /// program's targets.
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
    /// Output format for diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Treat warnings as errors.
    #[arg(long)]
    pub deny_warnings: bool,
    /// The project directory the program may import from (default: the
    /// program's directory). `use` outside it is refused (E0114).
    #[arg(long)]
    pub root: Option<PathBuf>,
    /// Print the pipeline graph as JSON (for debugging pipec itself).
    #[arg(long, hide = true)]
    pub dump_graph: bool,
}

pub fn run(args: &CheckArgs, out: &Output) -> u8 {
    if unknown_target(&args.target, out) {
        return 2;
    }
    let targets = if args.target.is_empty() {
        let manifest = RealDisk::open(&args.out)
            .map_err(|e| format!("cannot open {}: {e}", args.out.display()))
            .and_then(|disk| persist::read_manifest(&disk).map_err(|e| e.to_string()));
        let manifest = match manifest {
            Ok(m) => m,
            Err(e) => {
                out.error(&e);
                return 2;
            }
        };
        // A program outside the output directory has no recorded targets.
        let key = program_key(&pipec_fs::path::absolute(&args.out), &args.path).unwrap_or_default();
        targets_of(&[], &manifest, &key)
    } else {
        args.target.clone()
    };
    let fs = ProjectFs::for_program(&args.path, args.root.as_deref());
    let checked = match fs.and_then(|fs| check(&args.path, &fs)) {
        Ok(c) => c,
        Err(e) => {
            out.error(&format!("cannot read {}: {e}", args.path.display()));
            return 2;
        }
    };
    let mut diags = checked.diagnostics.clone();
    if let Some(p) = &checked.program {
        let names: Vec<&str> = targets.iter().map(String::as_str).collect();
        diags.extend(pipec::validate(p, &names));
    }
    out.diagnostics(&diags, &checked.sources, args.format);
    if args.dump_graph
        && let Some(p) = &checked.program
    {
        println!("{}", serde_json::to_string_pretty(p).unwrap_or_default());
        for pl in &p.pipelines {
            for j in &pl.jobs {
                let needs: Vec<&str> = pl
                    .needs(j.id)
                    .iter()
                    .map(|n| pl.job(*n).name.as_str())
                    .collect();
                println!("{}: needs {:?} when {:?}", j.name, needs, j.when);
            }
        }
    }
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    if args.format == Format::Human {
        if errors > 0 {
            out.status(&format!("{errors} error(s), {warnings} warning(s)"));
        } else if let Some(p) = &checked.program {
            let jobs: usize = p.pipelines.iter().map(|p| p.jobs.len()).sum();
            out.status(&format!(
                "ok: {} pipeline(s), {jobs} job(s), {} environment(s), {} service(s); targets {}{}",
                p.pipelines.len(),
                p.environments.len(),
                p.services.len(),
                targets.join(", "),
                if warnings > 0 {
                    format!(", {warnings} warning(s)")
                } else {
                    String::new()
                }
            ));
        }
    }
    if errors > 0 || (args.deny_warnings && warnings > 0) {
        1
    } else {
        0
    }
}
