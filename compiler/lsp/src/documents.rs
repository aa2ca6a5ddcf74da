//! The documents the editor has open, and the file system the checker reads
//! through: the editor's text of an open document, unsaved edits included,
//! and the driver's file system for every other file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lsp_types::Uri;
use pipec_check::{FileSystem, ReadError};

use crate::text::LineIndex;

/// An open document.
pub struct Document {
    pub uri: Uri,
    pub text: String,
    pub version: i32,
    pub lines: LineIndex,
}

impl Document {
    pub fn new(uri: Uri, text: String, version: i32) -> Self {
        let lines = LineIndex::new(&text);
        Document {
            uri,
            text,
            version,
            lines,
        }
    }

    pub fn set_text(&mut self, text: String, version: i32) {
        self.lines = LineIndex::new(&text);
        self.text = text;
        self.version = version;
    }
}

/// Open documents on disk, by path.
#[derive(Default)]
pub struct Documents {
    files: BTreeMap<PathBuf, Document>,
}

impl Documents {
    pub fn get(&self, path: &Path) -> Option<&Document> {
        self.files.get(path)
    }

    pub fn get_mut(&mut self, path: &Path) -> Option<&mut Document> {
        self.files.get_mut(path)
    }

    pub fn open(&mut self, path: PathBuf, doc: Document) {
        self.files.insert(path, doc);
    }

    pub fn close(&mut self, path: &Path) -> Option<Document> {
        self.files.remove(path)
    }

    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.files.keys().map(PathBuf::as_path)
    }
}

/// The driver's file system with the open documents laid over it.
pub struct Overlay<'a> {
    pub base: &'a dyn FileSystem,
    pub documents: &'a Documents,
}

impl FileSystem for Overlay<'_> {
    /// An open document's text, where the driver's file system would read
    /// the file: a path it refuses (outside the project) stays refused, open
    /// or not.
    fn read_bytes(&self, path: &Path) -> Result<Vec<u8>, ReadError> {
        let from_disk = self.base.read_bytes(path);
        match self.documents.get(&pipec_check::load::normalize(path)) {
            Some(_) if matches!(from_disk, Err(ReadError::OutsideProject { .. })) => from_disk,
            Some(d) => Ok(d.text.clone().into_bytes()),
            None => from_disk,
        }
    }

    fn is_dir(&self, path: &Path) -> bool {
        self.base.is_dir(path)
    }

    /// The directory's files on disk, and documents open in it that were
    /// never saved.
    fn pipe_files(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        let dir = pipec_check::load::normalize(dir);
        let unsaved: Vec<PathBuf> = self
            .documents
            .paths()
            .filter(|p| p.parent() == Some(&dir) && p.extension().is_some_and(|x| x == "pipe"))
            .map(Path::to_path_buf)
            .collect();
        let mut files = match self.base.pipe_files(&dir) {
            Ok(f) => f,
            Err(e) if unsaved.is_empty() => return Err(e),
            Err(_) => Vec::new(),
        };
        files.extend(unsaved);
        files.sort();
        files.dedup();
        Ok(files)
    }
}
