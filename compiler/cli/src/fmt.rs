//! `pipec fmt`: rewrite `.pipe` files in their canonical layout
//! (`pipec_syntax::fmt`), or with `--check` list the files that are not.
//!
//! Directories are walked without following symbolic links (a link to a
//! `.pipe` file would be replaced by a formatted copy); files are read with
//! `pipec_fs::read` and replaced with `pipec_fs::write::replace`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use pipec_diagnostics::{SourceFile, SourceMap};
use pipec_fs::walk::{self, Entry, Links};
use pipec_syntax::fmt::{FormatError, format};

use crate::output::{Format, Output};

#[derive(Args)]
pub struct FmtArgs {
    /// .pipe files, or directories to search for them (recursively); `-`
    /// formats standard input to standard output.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Write nothing; exit 1 if any file is not formatted.
    #[arg(long)]
    pub check: bool,
}

pub fn run(args: &FmtArgs, out: &Output) -> u8 {
    if args.paths.len() == 1 && args.paths[0] == Path::new("-") {
        return stdin(out);
    }
    let mut files = Vec::new();
    for p in &args.paths {
        if let Err(e) = collect(p, &mut files) {
            out.error(&format!("cannot read {}: {e}", p.display()));
            return 2;
        }
    }
    let mut code = 0;
    let (mut changed, mut unchanged) = (0, 0);
    for f in &files {
        let text = match pipec_fs::read::read_text(f, pipec_fs::MAX_FILE_SIZE) {
            Ok(t) => t,
            Err(e) => {
                out.error(&format!("cannot read {}: {e}", f.display()));
                code = 2;
                continue;
            }
        };
        let formatted = match formatted(f, &text, out) {
            Ok(t) => t,
            Err(c) => {
                code = code.max(c);
                continue;
            }
        };
        if formatted == text {
            unchanged += 1;
            continue;
        }
        changed += 1;
        if args.check {
            eprintln!("not formatted: {}", f.display());
            code = code.max(1);
        } else if let Err(e) = pipec_fs::write::replace(f, formatted.as_bytes()) {
            out.error(&format!("cannot write {}: {e}", f.display()));
            code = 2;
        } else if out.verbose {
            eprintln!("formatted {}", f.display());
        }
    }
    let verb = if args.check { "to format" } else { "formatted" };
    out.status(&format!("{changed} file(s) {verb}, {unchanged} unchanged"));
    code
}

fn stdin(out: &Output) -> u8 {
    let mut text = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut text) {
        out.error(&format!("cannot read standard input: {e}"));
        return 2;
    }
    match formatted(Path::new("<stdin>"), &text, out) {
        Ok(t) => {
            let _ = std::io::stdout().write_all(t.as_bytes());
            0
        }
        Err(c) => c,
    }
}

/// The formatted text, or the exit code after the reason was printed.
fn formatted(path: &Path, text: &str, out: &Output) -> Result<String, u8> {
    match format(text) {
        Ok(t) => Ok(t),
        Err(FormatError::Syntax(diags)) => {
            let mut sources = SourceMap::new();
            sources.add(SourceFile::new(path.display().to_string(), text, false));
            out.diagnostics(&diags, &sources, Format::Human);
            Err(1)
        }
        Err(FormatError::Changed(why)) => {
            out.error(&format!(
                "{} was left as it is: {why} (a bug in pipec fmt)",
                path.display()
            ));
            Err(2)
        }
    }
}

/// `.pipe` files at `path`: the file itself, or those under a directory
/// (hidden directories, `target` and symbolic links skipped), sorted.
fn collect(path: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if !path.is_dir() {
        std::fs::metadata(path)?;
        files.push(path.to_path_buf());
        return Ok(());
    }
    for entry in walk::entries(path, path, Links::Never)? {
        match entry {
            Entry::Dir(p) => {
                let name = p.file_name().map(|n| n.to_string_lossy().to_string());
                if name.is_some_and(|n| !n.starts_with('.') && n != "target") {
                    collect(&p, files)?;
                }
            }
            Entry::File(p) if p.extension().is_some_and(|x| x == "pipe") => files.push(p),
            Entry::File(_) | Entry::Skipped(..) => {}
        }
    }
    Ok(())
}
