//! `pipec fmt`: rewrite `.pipe` files in their canonical layout
//! (`pipec_syntax::fmt`), or with `--check` list the files that are not.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use pipec_diagnostics::{SourceFile, SourceMap};
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
        let text = match std::fs::read_to_string(f) {
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
        } else if let Err(e) = write_atomic(f, &formatted) {
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
/// (hidden directories and `target` skipped), sorted.
fn collect(path: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if !path.is_dir() {
        std::fs::metadata(path)?;
        files.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if p.is_dir() {
            if !name.starts_with('.') && name != "target" {
                collect(&p, files)?;
            }
        } else if name.ends_with(".pipe") {
            files.push(p);
        }
    }
    Ok(())
}

/// Writes through a temporary file in the same directory, then renames.
fn write_atomic(dest: &Path, contents: &str) -> std::io::Result<()> {
    let dir = dest
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.pipec-tmp"));
    std::fs::write(&tmp, contents)?;
    if let Ok(meta) = std::fs::metadata(dest) {
        let _ = std::fs::set_permissions(&tmp, meta.permissions());
    }
    std::fs::rename(&tmp, dest).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
