//! The output tree: every file a build produces, in memory, before anything is
//! written. Targets add files; the driver validates the tree and persists it.
//! A tree made with [`OutputTree::streaming`] keeps only the paths and hands
//! each file to a [`Sink`] as it is added, so that a large build never holds
//! its whole output.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Relative path with `/` separators, e.g. `.github/workflows/ci.yml`.
    pub path: String,
    /// The file's body, without the generated-file header.
    pub body: String,
    /// The `.pipe` file it is generated from, named in the header.
    pub source: String,
    /// The target that produced it (`github`, `gitlab`, …).
    pub target: &'static str,
}

/// Receives the files of a [`OutputTree::streaming`] tree as targets add
/// them.
pub trait Sink {
    /// A file a target added (its path is new to the tree).
    fn file(&mut self, file: GeneratedFile);
    /// `target` failed: the files it handed over are not part of the build.
    fn discard(&mut self, target: &'static str);
}

/// Files by path, in path order.
#[derive(Clone, Default)]
pub struct OutputTree {
    files: BTreeMap<String, GeneratedFile>,
    /// Bodies are dropped as they are added ([`OutputTree::paths_only`]).
    paths_only: bool,
    /// Where bodies go instead ([`OutputTree::streaming`]).
    sink: Option<Rc<RefCell<dyn Sink>>>,
}

impl std::fmt::Debug for OutputTree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputTree")
            .field("files", &self.files)
            .field("paths_only", &self.paths_only)
            .field("streaming", &self.sink.is_some())
            .finish()
    }
}

impl PartialEq for OutputTree {
    fn eq(&self, other: &Self) -> bool {
        self.files == other.files && self.paths_only == other.paths_only
    }
}

impl Eq for OutputTree {}

/// Two targets (or one target twice) tried to write the same path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathClash {
    pub path: String,
    pub first: &'static str,
    pub second: &'static str,
}

impl OutputTree {
    pub fn new() -> Self {
        Self::default()
    }

    /// A tree that keeps the paths (clashes are still found) but drops every
    /// body as it is added: what checking a target needs, without holding
    /// its whole output in memory.
    pub fn paths_only() -> Self {
        Self {
            paths_only: true,
            ..Self::default()
        }
    }

    /// A tree that keeps the paths (clashes are still found) and hands each
    /// file to `sink` as it is added.
    pub fn streaming(sink: Rc<RefCell<dyn Sink>>) -> Self {
        Self {
            paths_only: true,
            sink: Some(sink),
            ..Self::default()
        }
    }

    /// Adds a file; a path may be written once.
    pub fn add(
        &mut self,
        target: &'static str,
        path: impl Into<String>,
        source: impl Into<String>,
        body: impl Into<String>,
    ) -> Result<(), PathClash> {
        let path = path.into();
        if let Some(f) = self.files.get(&path) {
            return Err(PathClash {
                path,
                first: f.target,
                second: target,
            });
        }
        let body = if let Some(sink) = &self.sink {
            sink.borrow_mut().file(GeneratedFile {
                path: path.clone(),
                body: body.into(),
                source: source.into(),
                target,
            });
            self.files.insert(
                path.clone(),
                GeneratedFile {
                    path,
                    body: String::new(),
                    source: String::new(),
                    target,
                },
            );
            return Ok(());
        } else if self.paths_only {
            String::new()
        } else {
            // Bodies are written into growing strings, which end with up to
            // as much room to spare as they hold; the tree keeps every file
            // until the build is planned.
            let mut body = body.into();
            body.shrink_to_fit();
            body
        };
        self.files.insert(
            path.clone(),
            GeneratedFile {
                path,
                body,
                source: source.into(),
                target,
            },
        );
        Ok(())
    }

    pub fn get(&self, path: &str) -> Option<&GeneratedFile> {
        self.files.get(path)
    }

    pub fn files(&self) -> impl Iterator<Item = &GeneratedFile> {
        self.files.values()
    }

    /// The files, by value, in path order.
    pub fn into_files(self) -> impl Iterator<Item = GeneratedFile> {
        self.files.into_values()
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Moves every file of `other` in; clashes are returned, not inserted.
    pub fn merge(&mut self, other: OutputTree) -> Vec<PathClash> {
        let mut clashes = Vec::new();
        for (_, f) in other.files {
            if let Err(c) = self.add(f.target, f.path, f.source, f.body) {
                clashes.push(c);
            }
        }
        clashes
    }

    /// The whole tree as one string (path, then the file with its header), for
    /// snapshot tests.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for f in self.files.values() {
            out.push_str("=== ");
            out.push_str(&f.path);
            out.push('\n');
            out.push_str(&crate::header::wrap(&f.body, &f.source));
        }
        out
    }
}
