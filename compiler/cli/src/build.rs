//! `pipec build`: check the program, run the targets into an in-memory output
//! tree, then write the files.

use std::path::{Path, PathBuf};

use clap::Args;
use pipec_check::{RealFs, check};
use pipec_emit::{OutputTree, Target, header};

use crate::output::{Format, Output};
use pipec::targets;

#[derive(Args)]
pub struct BuildArgs {
    /// A .pipe file, or a directory whose .pipe files form one program.
    pub path: PathBuf,
    /// Directory to write into (default: the current directory).
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
    /// Targets to build, comma-separated (default: all).
    #[arg(long, value_delimiter = ',')]
    pub target: Vec<String>,
    /// Output format for diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// Checks the program and renders the selected targets. `Err` carries the exit
/// code after diagnostics were printed.
pub fn render(
    path: &Path,
    selected: &[String],
    format: Format,
    out: &Output,
) -> Result<OutputTree, u8> {
    let all = targets::all();
    for name in selected {
        if !all.iter().any(|t| t.name() == name) {
            let names: Vec<&str> = all.iter().map(|t| t.name()).collect();
            out.error(&format!(
                "unknown target `{name}`; targets: {}",
                names.join(", ")
            ));
            return Err(2);
        }
    }
    let checked = match check(path, &RealFs) {
        Ok(c) => c,
        Err(e) => {
            out.error(&format!("cannot read {}: {e}", path.display()));
            return Err(2);
        }
    };
    let mut diags = checked.diagnostics.clone();
    let Some(program) = checked.program.as_ref() else {
        out.diagnostics(&diags, &checked.sources, format);
        return Err(1);
    };
    let mut tree = OutputTree::new();
    let chosen: Vec<&Box<dyn Target>> = all
        .iter()
        .filter(|t| selected.is_empty() || selected.iter().any(|s| s == t.name()))
        .collect();
    for t in chosen {
        let mut part = OutputTree::new();
        match t.emit(program, &mut part) {
            Ok(()) => {
                if let Some(clash) = tree.merge(part).into_iter().next() {
                    out.error(&format!(
                        "targets {} and {} both write {}",
                        clash.first, clash.second, clash.path
                    ));
                    return Err(2);
                }
            }
            Err(d) => diags.extend(d),
        }
    }
    out.diagnostics(&diags, &checked.sources, format);
    if diags.iter().any(|d| d.is_error()) {
        return Err(1);
    }
    Ok(tree)
}

pub fn run(args: &BuildArgs, out: &Output) -> u8 {
    let tree = match render(&args.path, &args.target, args.format, out) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let mut written = 0;
    for f in tree.files() {
        let dest = args.out.join(&f.path);
        let contents = header::wrap(&f.body, &f.source);
        if std::fs::read_to_string(&dest).is_ok_and(|old| old == contents) {
            continue;
        }
        if let Err(e) = write_atomic(&dest, &contents) {
            out.error(&format!("cannot write {}: {e}", dest.display()));
            return 2;
        }
        written += 1;
        if out.verbose {
            eprintln!("wrote {}", dest.display());
        }
    }
    out.status(&format!("{} file(s), {written} written", tree.len()));
    0
}

/// Writes through a temporary file in the same directory, then renames.
fn write_atomic(dest: &Path, contents: &str) -> std::io::Result<()> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.pipec-tmp"));
    std::fs::write(&tmp, contents)?;
    std::fs::rename(&tmp, dest).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
