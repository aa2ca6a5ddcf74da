//! `pipec check`.

use std::path::PathBuf;

use clap::Args;
use pipec::ProjectFs;
use pipec_check::check;

use crate::output::{Format, Output};

#[derive(Args)]
pub struct CheckArgs {
    /// A .pipe file, or a directory whose .pipe files form one program.
    pub path: PathBuf,
    /// Output format for diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Treat warnings as errors.
    #[arg(long)]
    pub deny_warnings: bool,
    /// The project directory the program may import from (default: the
    /// program's directory). `use` outside it is refused (E0113).
    #[arg(long)]
    pub root: Option<PathBuf>,
    /// Print the pipeline graph as JSON (for debugging pipec itself).
    #[arg(long, hide = true)]
    pub dump_graph: bool,
}

pub fn run(args: &CheckArgs, out: &Output) -> u8 {
    let fs = ProjectFs::for_program(&args.path, args.root.as_deref());
    let checked = match fs.and_then(|fs| check(&args.path, &fs)) {
        Ok(c) => c,
        Err(e) => {
            out.error(&format!("cannot read {}: {e}", args.path.display()));
            return 2;
        }
    };
    out.diagnostics(&checked.diagnostics, &checked.sources, args.format);
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
    let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = checked.diagnostics.len() - errors;
    if args.format == Format::Human {
        if errors > 0 {
            out.status(&format!("{errors} error(s), {warnings} warning(s)"));
        } else if let Some(p) = &checked.program {
            let jobs: usize = p.pipelines.iter().map(|p| p.jobs.len()).sum();
            out.status(&format!(
                "ok: {} pipeline(s), {jobs} job(s), {} environment(s), {} service(s){}",
                p.pipelines.len(),
                p.environments.len(),
                p.services.len(),
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
