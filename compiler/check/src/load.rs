//! Reading the program's files and the modules they import.
//!
//! The checker never touches the file system itself: the driver passes a
//! [`FileSystem`], and tests pass an in-memory one.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use pipec_diagnostics::{Diagnostic, SourceFile, SourceId, Span, code, did_you_mean};
use pipec_syntax::ast::{ExprKind, File, Generic, Stmt, StmtKind};

use crate::Checker;

/// File access for the checker.
///
/// The driver's implementation (`pipec::ProjectFs`) reads only inside the
/// program's project directory, only regular files, and at most
/// [`pipec_syntax::MAX_FILE_SIZE`] bytes of each.
pub trait FileSystem {
    /// The raw contents; the checker decodes them itself so that a file that is
    /// not UTF-8 gets a diagnostic (E0007) at the first bad byte.
    fn read_bytes(&self, path: &Path) -> Result<Vec<u8>, ReadError>;
    fn is_dir(&self, path: &Path) -> bool;
    /// The `.pipe` files directly in `dir`, sorted.
    fn pipe_files(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>>;
}

/// Why a file of the program could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The path leads outside the project (`..` past its root, or a symbolic
    /// link out of it); nothing was read. `root` is the project directory as
    /// the user would name it.
    OutsideProject {
        root: String,
    },
    Io(std::io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::OutsideProject { root } => {
                write!(f, "it is outside the project directory `{root}`")
            }
            ReadError::Io(e) => e.fmt(f),
        }
    }
}

impl From<std::io::Error> for ReadError {
    fn from(e: std::io::Error) -> Self {
        ReadError::Io(e)
    }
}

impl From<ReadError> for std::io::Error {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Io(e) => e,
            outside => {
                std::io::Error::new(std::io::ErrorKind::PermissionDenied, outside.to_string())
            }
        }
    }
}

/// An in-memory file system: path → contents. Its project is the whole
/// tree: a path that leads above it (`..` past the top) is outside.
#[derive(Default, Clone)]
pub struct MemoryFs(pub BTreeMap<PathBuf, String>);

impl FileSystem for MemoryFs {
    fn read_bytes(&self, path: &Path) -> Result<Vec<u8>, ReadError> {
        let path = normalize(path);
        if path.starts_with("..") {
            return Err(ReadError::OutsideProject { root: ".".into() });
        }
        self.0
            .get(&path)
            .map(|t| t.clone().into_bytes())
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file").into())
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

pub use pipec_fs::path::normalize;

/// A module: a standard-library file or a user file loaded with `use "…"`.
pub struct Module {
    /// `std.python` or the file path.
    pub name: String,
    pub source: SourceId,
    pub file: Arc<File>,
    pub imports: Imports,
}

/// One file's `use` statements: alias → module index.
#[derive(Default)]
pub struct Imports {
    pub aliases: BTreeMap<String, (usize, Span)>,
    /// Aliases of imports that failed (and were reported): their uses are not
    /// reported again as unknown modules.
    pub failed: BTreeSet<String>,
}

/// A file of the program itself.
pub struct ProgramFile {
    pub source: SourceId,
    pub path: PathBuf,
    pub file: Arc<File>,
    pub imports: Imports,
}

/// Syntax trees kept from one check of a program to the next, so that a
/// check after an edit parses only the files that changed (the language
/// server checks the whole program on every change).
///
/// A tree is reused when its file has the same source id and the same text
/// as when it was parsed: parsing depends on nothing else. Source ids are
/// given in the order files are loaded, so they stay the same from one check
/// to the next as long as the program's files and imports do.
#[derive(Default)]
pub struct ParseCache {
    files: Mutex<HashMap<SourceId, Parsed>>,
}

#[derive(Clone)]
struct Parsed {
    text: Arc<str>,
    file: Arc<File>,
    diagnostics: Vec<Diagnostic>,
}

impl ParseCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The tree of `text`, kept from an earlier parse or parsed now.
    pub fn parse(&self, source: SourceId, text: &str) -> Parse {
        if let Some(p) = self.lock().get(&source).filter(|p| *p.text == *text) {
            return (p.file.clone(), p.diagnostics.clone());
        }
        let (file, diagnostics) = pipec_syntax::parse(source, text);
        let file = Arc::new(file);
        self.lock().insert(
            source,
            Parsed {
                text: text.into(),
                file: file.clone(),
                diagnostics: diagnostics.clone(),
            },
        );
        (file, diagnostics)
    }

    /// The tree last parsed for `source`, and the text it was parsed from.
    pub fn get(&self, source: SourceId) -> Option<(Arc<str>, Arc<File>)> {
        self.lock()
            .get(&source)
            .map(|p| (p.text.clone(), p.file.clone()))
    }

    /// Forgets the trees of sources a program no longer has.
    pub fn retain(&self, keep: impl Fn(SourceId) -> bool) {
        self.lock().retain(|id, _| keep(*id));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SourceId, Parsed>> {
        // A panic while the map was held left it whole: entries are inserted
        // in one step.
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A file's syntax tree and syntax errors.
type Parse = (Arc<File>, Vec<Diagnostic>);

/// Parses without keeping anything when no cache is given.
fn parse_with(cache: Option<&ParseCache>, source: SourceId, text: &str) -> Parse {
    match cache {
        Some(c) => c.parse(source, text),
        None => {
            let (file, diags) = pipec_syntax::parse(source, text);
            (Arc::new(file), diags)
        }
    }
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
        let mut texts = Vec::with_capacity(files.len());
        for f in files {
            let bytes = self.fs.read_bytes(&f)?;
            // Text that is not UTF-8 was reported; it parses as empty.
            let (source, text) = self.add_source(&f, bytes);
            texts.push((f, source, text.unwrap_or_default()));
        }
        let parsed = parse_all(&texts, self.parses);
        for ((f, source, _), (file, diags)) in texts.into_iter().zip(parsed) {
            self.diags.extend(diags);
            let (file, imports) = self.imports(file, &f);
            self.files.push(ProgramFile {
                source,
                path: f,
                file,
                imports,
            });
        }
        let files = self.files.iter().map(|f| &f.file);
        let modules = self.modules.iter().map(|m| &m.file);
        self.top_level = self
            .files
            .iter()
            .flat_map(|f| f.file.stmts.iter().map(|s| s.span))
            .collect();
        for f in files.chain(modules) {
            self.unparsed.extend(f.unparsed.iter().copied());
            let touches = |s: &Span| {
                f.unparsed
                    .iter()
                    .any(|u| u.start < s.end && s.start < u.end)
            };
            self.damaged
                .extend(f.stmts.iter().map(|s| s.span).filter(|s| touches(s)));
            self.damaged.extend(f.unparsed.iter().copied());
        }
        Ok(())
    }

    /// Adds a file to the source map. Text that is not UTF-8 is reported (E0007)
    /// and shown with replacement characters; `None` means it is not parsed.
    fn add_source(&mut self, path: &Path, bytes: Vec<u8>) -> (SourceId, Option<String>) {
        match String::from_utf8(bytes) {
            Ok(text) => {
                let id = self
                    .sources
                    .add(SourceFile::new(display(path), text.clone(), false));
                (id, Some(text))
            }
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
                let id = self
                    .sources
                    .add(SourceFile::new(display(path), lossy, false));
                // The bad bytes became one U+FFFD (3 bytes) at the same offset.
                let bad = Span::new(id, at, at + '\u{FFFD}'.len_utf8());
                self.diags.push(
                    Diagnostic::new(code::INVALID_SOURCE, bad, "file is not valid UTF-8 text")
                        .label("this byte is not UTF-8")
                        .help("save the file as UTF-8; .pipe files are text"),
                );
                (id, None)
            }
        }
    }

    /// Resolves the `use` statements of a program file, loading the modules
    /// they import, and the modules those import, depth first.
    ///
    /// The walk keeps its own stack of files whose imports are being resolved
    /// rather than recursing, so a chain of thousands of modules needs no
    /// more native stack than one. Modules are numbered in the order they are
    /// completed (a module after everything it imports).
    fn imports(&mut self, file: Arc<File>, path: &Path) -> (Arc<File>, Imports) {
        let root = display(&normalize(path));
        let mut open = Open {
            names: vec![root.clone()],
            at: HashMap::from([(root, 0)]),
        };
        let mut pending = vec![Pending {
            file,
            path: path.to_path_buf(),
            next: 0,
            imports: Imports::default(),
            module: None,
        }];
        loop {
            let top = pending.last_mut().expect("the program file is pending");
            let Some(stmt) = top.file.stmts.get(top.next) else {
                let done = pending.pop().expect("a file is pending");
                let Some(m) = done.module else {
                    return (done.file, done.imports);
                };
                open.pop();
                self.modules.push(Module {
                    name: m.name.clone(),
                    source: m.source,
                    file: done.file,
                    imports: done.imports,
                });
                let idx = self.modules.len() - 1;
                self.module_index.insert(m.name, idx);
                let parent = pending.last_mut().expect("the importer is pending");
                self.bind(&mut parent.imports, m.alias, idx, m.span);
                continue;
            };
            top.next += 1;
            let Some(g) = stmt.generic().filter(|g| g.head.name == "use") else {
                continue;
            };
            match self.import(stmt, g, &top.path, &open) {
                Import::Bound(alias, idx) => self.bind(&mut top.imports, alias, idx, stmt.span),
                Import::Failed => {
                    if let Some(alias) = intended_alias(g) {
                        top.imports.failed.insert(alias);
                    }
                }
                Import::Load {
                    name,
                    source,
                    alias,
                    file,
                    path,
                } => {
                    let m = PendingModule {
                        name,
                        source,
                        alias,
                        span: stmt.span,
                    };
                    self.check_module_content(&file);
                    open.push(m.name.clone());
                    pending.push(Pending {
                        file,
                        path,
                        next: 0,
                        imports: Imports::default(),
                        module: Some(m),
                    });
                }
            }
        }
    }

    /// Binds `alias` to module `idx` in one file's imports, unless the file
    /// already uses the name.
    fn bind(&mut self, imports: &mut Imports, alias: String, idx: usize, span: Span) {
        if let Some((_, first)) = imports.aliases.get(&alias) {
            self.diags.push(
                Diagnostic::new(
                    code::DUPLICATE_DEFINITION,
                    span,
                    format!("`{alias}` is imported twice"),
                )
                .label("second import")
                .secondary(*first, "first imported here")
                .help("remove one, or give one a different name with `as`"),
            );
            return;
        }
        imports.aliases.insert(alias, (idx, span));
    }

    fn import(&mut self, stmt: &Stmt, g: &Generic, path: &Path, open: &Open) -> Import {
        let shape = "use std.MODULE [as NAME]` or `use \"FILE.pipe\" [as NAME]";
        let alias = match g.args.as_slice() {
            [_] => None,
            [_, w, a] if w.as_ident() == Some("as") && a.as_ident().is_some() => {
                a.as_ident().map(str::to_string)
            }
            _ => {
                self.diags
                    .push(crate::stmt::malformed(stmt.signature_span(), shape));
                return Import::Failed;
            }
        };
        let target = &g.args[0];
        if let Some(p) = target.as_path() {
            return self.import_std(target, &p, alias, open);
        }
        let ExprKind::Str(s) = &target.kind else {
            self.diags
                .push(crate::stmt::malformed(stmt.signature_span(), shape));
            return Import::Failed;
        };
        let rel = PathBuf::from(&s.value);
        if rel.has_root() {
            self.diags.push(
                Diagnostic::new(
                    code::IMPORT_OUTSIDE,
                    target.span,
                    format!("`{}` is an absolute path", s.value),
                )
                .label("not read")
                .help("write the path relative to the file that contains the `use`, inside the program's directory"),
            );
            return Import::Failed;
        }
        let full = normalize(&path.parent().unwrap_or(Path::new("")).join(&rel));
        let Some(alias) = alias.or_else(|| {
            full.file_stem()
                .map(|s| s.to_string_lossy().replace('-', "_"))
        }) else {
            return Import::Failed;
        };
        let name = display(&full);
        if let Some(&at) = open.at.get(&name) {
            let chain: Vec<&str> = open.names[at..]
                .iter()
                .map(String::as_str)
                .chain(std::iter::once(name.as_str()))
                .collect();
            self.diags.push(
                Diagnostic::new(code::IMPORT_CYCLE, target.span, "modules import each other")
                    .label("this import closes the cycle")
                    .note(format!("cycle: {}", chain.join(" → ")))
                    .help("move the shared templates into a module that imports neither"),
            );
            return Import::Failed;
        }
        if let Some(&i) = self.module_index.get(&name) {
            return Import::Bound(alias, i);
        }
        let bytes = match self.fs.read_bytes(&full) {
            Ok(b) => b,
            Err(ReadError::OutsideProject { root }) => {
                self.diags.push(
                    Diagnostic::new(
                        code::IMPORT_OUTSIDE,
                        target.span,
                        format!("`{name}` is outside the project directory `{root}`"),
                    )
                    .label("not read")
                    .help(format!(
                        "move the module into `{root}`, or name a directory that contains both with `--root`"
                    )),
                );
                return Import::Failed;
            }
            Err(ReadError::Io(e)) => {
                self.diags.push(
                    Diagnostic::new(
                        code::IMPORT_FAILED,
                        target.span,
                        format!("cannot read `{name}`: {e}"),
                    )
                    .label("imported here")
                    .help("paths in `use` are relative to the file that contains the `use`"),
                );
                return Import::Failed;
            }
        };
        let (source, text) = self.add_source(&full, bytes);
        let Some(text) = text else {
            return Import::Failed;
        };
        let (file, diags) = parse_with(self.parses, source, &text);
        self.diags.extend(diags);
        Import::Load {
            name,
            source,
            alias,
            file,
            path: full,
        }
    }

    /// `use std.NAME`: the standard library, embedded in pipec.
    fn import_std(
        &mut self,
        target: &pipec_syntax::ast::Expr,
        p: &[&str],
        alias: Option<String>,
        open: &Open,
    ) -> Import {
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
            return Import::Failed;
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
                Some(s) => d
                    .help(format!("did you mean `std.{s}`?"))
                    .suggest(target.span, format!("std.{s}")),
                None => d.help(format!("standard modules: {}", std_names().join(", "))),
            };
            self.diags.push(d);
            return Import::Failed;
        };
        let alias = alias.unwrap_or_else(|| name.to_string());
        let key = format!("std.{name}");
        if let Some(&i) = self.module_index.get(&key) {
            return Import::Bound(alias, i);
        }
        if open.at.contains_key(&key) {
            // Standard modules do not import each other in a cycle; were one
            // to, the import is left out rather than loaded forever.
            return Import::Failed;
        }
        let source = self.sources.add(SourceFile::new(m.path(), m.source, true));
        let (file, diags) = parse_with(self.parses, source, m.source);
        self.diags.extend(diags);
        Import::Load {
            name: key,
            source,
            alias,
            file,
            path: PathBuf::new(),
        }
    }

    /// A module may only define templates (and import other modules).
    fn check_module_content(&mut self, file: &File) {
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
    }
}

/// What one `use` statement comes to.
enum Import {
    /// A module already loaded.
    Bound(String, usize),
    /// Reported, or nothing to bind.
    Failed,
    /// A module read and parsed, whose own imports are resolved next.
    Load {
        name: String,
        source: SourceId,
        alias: String,
        file: Arc<File>,
        path: PathBuf,
    },
}

/// A module being loaded: what it will be called, and where its importer
/// binds it.
struct PendingModule {
    name: String,
    source: SourceId,
    alias: String,
    /// The `use` statement that imports it.
    span: Span,
}

/// A file whose `use` statements are being resolved.
struct Pending {
    file: Arc<File>,
    path: PathBuf,
    /// The next statement to look at.
    next: usize,
    imports: Imports,
    /// `None` for the program file the walk started from.
    module: Option<PendingModule>,
}

/// The chain of files being loaded, outermost first: a module that imports
/// one of them closes a cycle.
struct Open {
    names: Vec<String>,
    /// Position of each name in `names`.
    at: HashMap<String, usize>,
}

impl Open {
    fn push(&mut self, name: String) {
        self.at.insert(name.clone(), self.names.len());
        self.names.push(name);
    }

    fn pop(&mut self) {
        if let Some(name) = self.names.pop() {
            self.at.remove(&name);
        }
    }
}

/// The name a `use` statement binds, whether or not the import works.
fn intended_alias(g: &Generic) -> Option<String> {
    if let [_, w, a] = g.args.as_slice()
        && w.as_ident() == Some("as")
    {
        return a.as_ident().map(str::to_string);
    }
    let target = g.args.first()?;
    if let Some(p) = target.as_path() {
        return p.last().map(|n| n.to_string());
    }
    let ExprKind::Str(s) = &target.kind else {
        return None;
    };
    Path::new(&s.value)
        .file_stem()
        .map(|s| s.to_string_lossy().replace('-', "_"))
}

/// Stack for each parsing thread: nesting is bounded before the grammar
/// runs, but a debug build's parser frames are large.
const PARSE_STACK: usize = 16 << 20;

/// Below this much text, a program's files are parsed on the calling
/// thread (as imported modules are): starting threads would cost more than
/// they save.
const PARSE_ALONE: usize = 64 << 10;

/// Parses the program's files, on as many threads as there are cores and
/// files: parsing is most of the time of a check, and files are independent.
/// The results are in the order of `texts`.
fn parse_all(texts: &[(PathBuf, SourceId, String)], cache: Option<&ParseCache>) -> Vec<Parse> {
    let parse = |i: usize| parse_with(cache, texts[i].1, &texts[i].2);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(texts.len());
    let size: usize = texts.iter().map(|(_, _, t)| t.len()).sum();
    if threads <= 1 || size < PARSE_ALONE {
        return (0..texts.len()).map(parse).collect();
    }
    // Each thread takes the next file not taken yet, so that large and small
    // files even out.
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, Parse)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                std::thread::Builder::new()
                    .stack_size(PARSE_STACK)
                    .spawn_scoped(scope, || {
                        let mut out = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            if i >= texts.len() {
                                return out;
                            }
                            out.push((i, parse(i)));
                        }
                    })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| match w.map(|h| h.join()) {
                Ok(Ok(parsed)) => parsed,
                Ok(Err(panic)) => std::panic::resume_unwind(panic),
                // No thread could be started: parse here.
                Err(_) => Vec::new(),
            })
            .collect()
    });
    let mut seen = vec![false; texts.len()];
    for (i, _) in &done {
        seen[*i] = true;
    }
    done.extend(
        (0..texts.len())
            .filter(|i| !seen[*i])
            .map(|i| (i, parse(i))),
    );
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, p)| p).collect()
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
