//! Reading the program's files and the modules they import.
//!
//! The checker never touches the file system itself: the driver passes a
//! [`FileSystem`], and tests pass an in-memory one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pipec_diagnostics::{Diagnostic, SourceFile, SourceId, Span, code, did_you_mean};
use pipec_syntax::ast::{ExprKind, File, Generic, Stmt, StmtKind};

use crate::Checker;

/// File access for the checker.
pub trait FileSystem {
    fn read(&self, path: &Path) -> std::io::Result<String>;
    fn is_dir(&self, path: &Path) -> bool;
    /// The `.pipe` files directly in `dir`, sorted.
    fn pipe_files(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>>;
}

/// The real file system.
pub struct RealFs;

impl FileSystem for RealFs {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        let bytes = std::fs::read(path)?;
        String::from_utf8(bytes).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("not valid UTF-8 at byte {}", e.utf8_error().valid_up_to()),
            )
        })
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }

    fn pipe_files(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir)? {
            let p = e?.path();
            if p.extension().is_some_and(|x| x == "pipe") && p.is_file() {
                out.push(p);
            }
        }
        out.sort();
        Ok(out)
    }
}

/// An in-memory file system: path → contents.
#[derive(Default, Clone)]
pub struct MemoryFs(pub BTreeMap<PathBuf, String>);

impl FileSystem for MemoryFs {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        self.0
            .get(&normalize(path))
            .cloned()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"))
    }

    fn is_dir(&self, path: &Path) -> bool {
        let path = normalize(path);
        self.0.keys().any(|k| k.parent() == Some(&path))
    }

    fn pipe_files(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        let dir = normalize(dir);
        Ok(self
            .0
            .keys()
            .filter(|k| k.parent() == Some(&dir) && k.extension().is_some_and(|x| x == "pipe"))
            .cloned()
            .collect())
    }
}

/// Removes `.` and resolves `..` lexically.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// A module: a standard-library file or a user file loaded with `use "…"`.
pub struct Module {
    /// `std.python` or the file path.
    pub name: String,
    pub source: SourceId,
    pub file: File,
    pub imports: Imports,
}

/// One file's `use` statements: alias → module index.
#[derive(Default)]
pub struct Imports {
    pub aliases: BTreeMap<String, (usize, Span)>,
}

/// A file of the program itself.
pub struct ProgramFile {
    pub source: SourceId,
    pub path: PathBuf,
    pub file: File,
    pub imports: Imports,
}

impl Checker<'_> {
    /// Loads the program at `path` (a file or a directory of `.pipe` files).
    /// I/O failures on the entry path are returned; failures on imports become
    /// diagnostics at the `use` statement.
    pub(crate) fn load(&mut self, path: &Path) -> std::io::Result<()> {
        let files = if self.fs.is_dir(path) {
            let files = self.fs.pipe_files(path)?;
            if files.is_empty() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("no .pipe files in {}", path.display()),
                ));
            }
            files
        } else {
            vec![path.to_path_buf()]
        };
        for f in files {
            let text = self.fs.read(&f)?;
            let source = self
                .sources
                .add(SourceFile::new(display(&f), text.clone(), false));
            let (file, diags) = pipec_syntax::parse(source, &text);
            self.diags.extend(diags);
            let mut stack = vec![normalize(&f)];
            let imports = self.imports(&file, &f, &mut stack);
            self.files.push(ProgramFile {
                source,
                path: f,
                file,
                imports,
            });
        }
        Ok(())
    }

    /// Resolves the `use` statements of a file, loading modules as needed.
    fn imports(&mut self, file: &File, path: &Path, stack: &mut Vec<PathBuf>) -> Imports {
        let mut imports = Imports::default();
        for stmt in &file.stmts {
            let Some(g) = stmt.generic().filter(|g| g.head.name == "use") else {
                continue;
            };
            let Some((alias, module)) = self.import(stmt, g, path, stack) else {
                continue;
            };
            if let Some((_, first)) = imports.aliases.get(&alias) {
                self.diags.push(
                    Diagnostic::new(
                        code::DUPLICATE_DEFINITION,
                        stmt.span,
                        format!("`{alias}` is imported twice"),
                    )
                    .label("second import")
                    .secondary(*first, "first imported here")
                    .help("remove one, or give one a different name with `as`"),
                );
                continue;
            }
            imports.aliases.insert(alias, (module, stmt.span));
        }
        imports
    }

    fn import(
        &mut self,
        stmt: &Stmt,
        g: &Generic,
        path: &Path,
        stack: &mut Vec<PathBuf>,
    ) -> Option<(String, usize)> {
        let shape = "use std.MODULE [as NAME]` or `use \"FILE.pipe\" [as NAME]";
        let alias = match g.args.as_slice() {
            [_] => None,
            [_, w, a] if w.as_ident() == Some("as") && a.as_ident().is_some() => {
                a.as_ident().map(str::to_string)
            }
            _ => {
                self.diags.push(crate::stmt::malformed(stmt.span, shape));
                return None;
            }
        };
        let target = &g.args[0];
        if let Some(p) = target.as_path() {
            if p.len() != 2 || p[0] != "std" {
                self.diags.push(
                    Diagnostic::new(
                        code::UNKNOWN_MODULE,
                        target.span,
                        format!("`{}` is not a module", p.join(".")),
                    )
                    .label("expected `std.NAME` or a file path in quotes")
                    .help(format!("standard modules: {}", std_names().join(", "))),
                );
                return None;
            }
            let name = p[1];
            let Some(m) = pipec_stdlib::module(name) else {
                let mut d = Diagnostic::new(
                    code::UNKNOWN_MODULE,
                    target.span,
                    format!("no standard module `std.{name}`"),
                )
                .label("unknown module");
                d = match did_you_mean(name, pipec_stdlib::MODULES.iter().map(|m| m.name)) {
                    Some(s) => d.help(format!("did you mean `std.{s}`?")),
                    None => d.help(format!("standard modules: {}", std_names().join(", "))),
                };
                self.diags.push(d);
                return None;
            };
            let key = format!("std.{name}");
            let idx = match self.modules.iter().position(|x| x.name == key) {
                Some(i) => i,
                None => {
                    let source = self.sources.add(SourceFile::new(m.path(), m.source, true));
                    let (file, diags) = pipec_syntax::parse(source, m.source);
                    self.diags.extend(diags);
                    self.add_module(key, source, file, Path::new(""), stack)
                }
            };
            return Some((alias.unwrap_or_else(|| name.to_string()), idx));
        }
        let ExprKind::Str(s) = &target.kind else {
            self.diags.push(crate::stmt::malformed(stmt.span, shape));
            return None;
        };
        let rel = PathBuf::from(&s.value);
        let full = normalize(&path.parent().unwrap_or(Path::new("")).join(&rel));
        let alias = alias.or_else(|| {
            full.file_stem()
                .map(|s| s.to_string_lossy().replace('-', "_"))
        })?;
        if let Some(at) = stack.iter().position(|p| *p == full) {
            let chain: Vec<String> = stack[at..]
                .iter()
                .chain(std::iter::once(&full))
                .map(|p| display(p))
                .collect();
            self.diags.push(
                Diagnostic::new(code::IMPORT_CYCLE, target.span, "modules import each other")
                    .label("this import closes the cycle")
                    .note(format!("cycle: {}", chain.join(" → ")))
                    .help("move the shared templates into a module that imports neither"),
            );
            return None;
        }
        if let Some(i) = self.modules.iter().position(|m| m.name == display(&full)) {
            return Some((alias, i));
        }
        let text = match self.fs.read(&full) {
            Ok(t) => t,
            Err(e) => {
                self.diags.push(
                    Diagnostic::new(
                        code::IMPORT_FAILED,
                        target.span,
                        format!("cannot read `{}`: {e}", display(&full)),
                    )
                    .label("imported here")
                    .help("paths in `use` are relative to the file that contains the `use`"),
                );
                return None;
            }
        };
        let source = self
            .sources
            .add(SourceFile::new(display(&full), text.clone(), false));
        let (file, diags) = pipec_syntax::parse(source, &text);
        self.diags.extend(diags);
        let idx = self.add_module(display(&full), source, file, &full, stack);
        Some((alias, idx))
    }

    fn add_module(
        &mut self,
        name: String,
        source: SourceId,
        file: File,
        path: &Path,
        stack: &mut Vec<PathBuf>,
    ) -> usize {
        for stmt in &file.stmts {
            let ok = match &stmt.kind {
                StmtKind::Template(_) => true,
                StmtKind::Generic(g) => g.head.name == "use",
                StmtKind::Dispatch(_) => false,
            };
            if !ok {
                self.diags.push(
                    Diagnostic::new(
                        code::MODULE_CONTENT,
                        stmt.head_span(),
                        "a module may only define templates",
                    )
                    .label("not a template")
                    .help("pipelines, environments and services belong in the program's own files; move this there"),
                );
            }
        }
        stack.push(normalize(path));
        let imports = self.imports(&file, path, stack);
        stack.pop();
        self.modules.push(Module {
            name,
            source,
            file,
            imports,
        });
        self.modules.len() - 1
    }
}

fn std_names() -> Vec<String> {
    pipec_stdlib::MODULES
        .iter()
        .map(|m| format!("std.{}", m.name))
        .collect()
}

/// A path as shown in diagnostics and headers: forward slashes.
pub fn display(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}
