//! The session: initialization, the message loop, open documents, checks and
//! the diagnostics published from them, and the background validation of
//! the targets.
//!
//! Checks run on the loop's thread. Changes that arrive together are applied
//! together and checked once, before the next request is answered, so every
//! answer reads the text the editor has. The targets' validation, which can
//! take seconds on a large program, runs on its own thread: its diagnostics
//! are published when it is done, unless the program changed meanwhile.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender, select};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use lsp_types::{notification as note, request as req, *};
use pipec_diagnostics::Diagnostic;
use serde_json::Value;

use crate::analysis::Analysis;
use crate::documents::{Document, Documents, Overlay};
use crate::text::{Encoding, apply_change};
use crate::uri::Address;
use crate::workspace::{Programs, Workspace};
use crate::{Exit, Options, actions, complete, hover, navigate};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The request that gives the text of a `pipec-std:` document.
pub const VIRTUAL_DOCUMENT: &str = "pipec/virtualDocument";

/// A target validation that finished.
struct Validated {
    root: PathBuf,
    generation: u64,
    diagnostics: Vec<Diagnostic>,
}

pub(crate) struct Server {
    sender: Sender<Message>,
    options: Options,
    pub(crate) encoding: Encoding,
    pub(crate) documents: Documents,
    pub(crate) workspace: Workspace,
    /// Programs changed since their last check.
    dirty: BTreeSet<PathBuf>,
    /// What each program published, by document.
    published: BTreeMap<Uri, BTreeMap<PathBuf, Vec<lsp_types::Diagnostic>>>,
    validated_tx: Sender<Validated>,
    shutting_down: bool,
}

pub(crate) fn serve(connection: Connection, options: Options) -> Result<Exit, Error> {
    let (id, params) = connection.initialize_start()?;
    let params: InitializeParams = serde_json::from_value(params)?;
    let encoding = negotiate(&params);
    let settings = params.initialization_options.unwrap_or(Value::Null);
    let mode = match settings.get("programs").and_then(Value::as_str) {
        Some("file") => Programs::File,
        _ => Programs::Directory,
    };
    #[allow(deprecated)] // `root_uri` is what older clients (Neovim 0.7) send.
    let root = params
        .workspace_folders
        .as_ref()
        .and_then(|f| f.first())
        .map(|f| &f.uri)
        .or(params.root_uri.as_ref())
        .and_then(Address::of)
        .and_then(|a| a.path().map(Path::to_path_buf));
    let result = InitializeResult {
        capabilities: capabilities(encoding),
        server_info: Some(ServerInfo {
            name: "pipec".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
    };
    connection.initialize_finish(id, serde_json::to_value(result)?)?;
    let (validated_tx, validated_rx) = crossbeam_channel::unbounded();
    let mut server = Server {
        sender: connection.sender.clone(),
        options,
        encoding,
        documents: Documents::default(),
        workspace: Workspace::new(mode, root),
        dirty: BTreeSet::new(),
        published: BTreeMap::new(),
        validated_tx,
        shutting_down: false,
    };
    server.run(&connection.receiver, &validated_rx)
}

/// UTF-8 positions when the editor offers them (nothing to convert), else
/// the protocol's UTF-16.
fn negotiate(params: &InitializeParams) -> Encoding {
    let offered = params
        .capabilities
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref());
    match offered {
        Some(kinds) if kinds.contains(&PositionEncodingKind::UTF8) => Encoding::Utf8,
        _ => Encoding::Utf16,
    }
}

fn capabilities(encoding: Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(match encoding {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                // Saving changes nothing: the server reads an open
                // document's text, saved or not.
                ..Default::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: Default::default(),
        })),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some([".", "(", "[", ",", ":", " "].map(String::from).to_vec()),
            ..Default::default()
        }),
        document_formatting_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..Default::default()
        })),
        ..Default::default()
    }
}

impl Server {
    fn run(
        &mut self,
        messages: &Receiver<Message>,
        validated: &Receiver<Validated>,
    ) -> Result<Exit, Error> {
        loop {
            select! {
                recv(messages) -> msg => {
                    let Ok(msg) = msg else { return Ok(Exit::Abrupt) };
                    match msg {
                        Message::Request(r) => {
                            self.flush();
                            self.request(r);
                        }
                        Message::Notification(n) if n.method == note::Exit::METHOD => {
                            return Ok(if self.shutting_down { Exit::Clean } else { Exit::Abrupt });
                        }
                        Message::Notification(n) => self.notification(n),
                        Message::Response(_) => {}
                    }
                }
                recv(validated) -> v => {
                    if let Ok(v) = v {
                        self.validated(v);
                    }
                }
            }
            // Changes that arrived together are checked once.
            if messages.is_empty() {
                self.flush();
            }
        }
    }

    fn send(&self, m: impl Into<Message>) {
        // The editor going away ends the loop through the receiver.
        let _ = self.sender.send(m.into());
    }

    fn notify<N: note::Notification>(&self, params: N::Params) {
        self.send(Notification::new(N::METHOD.to_string(), params));
    }

    fn request(&mut self, r: Request) {
        let id = r.id.clone();
        if self.shutting_down {
            return self.send(Response::new_err(
                id,
                ErrorCode::InvalidRequest as i32,
                "the server is shutting down".into(),
            ));
        }
        if r.method == req::Shutdown::METHOD {
            self.shutting_down = true;
            return self.send(Response::new_ok(id, ()));
        }
        // A failure to answer one request must not end the session: it is
        // answered with an error and the next one is served.
        let answer =
            std::panic::catch_unwind(AssertUnwindSafe(|| self.answer(&r))).unwrap_or_else(|_| {
                Err((
                    ErrorCode::InternalError,
                    format!("pipec failed on {}", r.method),
                ))
            });
        self.send(match answer {
            Ok(v) => Response::new_ok(id, v),
            Err((code, message)) => Response::new_err(id, code as i32, message),
        });
    }

    fn answer(&self, r: &Request) -> Result<Value, (ErrorCode, String)> {
        fn run<R: req::Request>(
            r: &Request,
            f: impl FnOnce(R::Params) -> R::Result,
        ) -> Result<Value, (ErrorCode, String)> {
            let params: R::Params = serde_json::from_value(r.params.clone())
                .map_err(|e| (ErrorCode::InvalidParams, e.to_string()))?;
            serde_json::to_value(f(params)).map_err(|e| (ErrorCode::InternalError, e.to_string()))
        }
        match r.method.as_str() {
            req::HoverRequest::METHOD => run::<req::HoverRequest>(r, |p| hover::hover(self, p)),
            req::GotoDefinition::METHOD => {
                run::<req::GotoDefinition>(r, |p| navigate::definition(self, p))
            }
            req::References::METHOD => run::<req::References>(r, |p| navigate::references(self, p)),
            req::DocumentSymbolRequest::METHOD => {
                run::<req::DocumentSymbolRequest>(r, |p| navigate::symbols(self, p))
            }
            req::PrepareRenameRequest::METHOD => {
                run::<req::PrepareRenameRequest>(r, |p| navigate::prepare_rename(self, p))
            }
            req::Rename::METHOD => {
                let params: RenameParams = serde_json::from_value(r.params.clone())
                    .map_err(|e| (ErrorCode::InvalidParams, e.to_string()))?;
                let edit =
                    navigate::rename(self, params).map_err(|m| (ErrorCode::RequestFailed, m))?;
                serde_json::to_value(edit).map_err(|e| (ErrorCode::InternalError, e.to_string()))
            }
            req::Completion::METHOD => run::<req::Completion>(r, |p| complete::completion(self, p)),
            req::Formatting::METHOD => run::<req::Formatting>(r, |p| actions::format(self, p)),
            req::CodeActionRequest::METHOD => {
                run::<req::CodeActionRequest>(r, |p| actions::code_actions(self, p))
            }
            VIRTUAL_DOCUMENT => {
                let uri = r
                    .params
                    .get("uri")
                    .cloned()
                    .and_then(|u| serde_json::from_value::<Uri>(u).ok())
                    .ok_or((ErrorCode::InvalidParams, "expected { uri }".to_string()))?;
                match Address::of(&uri) {
                    Some(Address::Std(name)) => {
                        let text = pipec_stdlib::module(name).map_or("", |m| m.source);
                        Ok(serde_json::json!({ "text": text }))
                    }
                    _ => Err((ErrorCode::InvalidParams, "not a pipec-std: document".into())),
                }
            }
            _ => Err((ErrorCode::MethodNotFound, format!("no method {}", r.method))),
        }
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            note::DidOpenTextDocument::METHOD => {
                let Ok(p) =
                    n.extract::<DidOpenTextDocumentParams>(note::DidOpenTextDocument::METHOD)
                else {
                    return;
                };
                let d = p.text_document;
                let Some(Address::File(path)) = Address::of(&d.uri) else {
                    return;
                };
                self.documents
                    .open(path.clone(), Document::new(d.uri, d.text, d.version));
                self.changed(&path);
            }
            note::DidChangeTextDocument::METHOD => {
                let Ok(p) =
                    n.extract::<DidChangeTextDocumentParams>(note::DidChangeTextDocument::METHOD)
                else {
                    return;
                };
                let Some(Address::File(path)) = Address::of(&p.text_document.uri) else {
                    return;
                };
                let enc = self.encoding;
                let Some(doc) = self.documents.get_mut(&path) else {
                    return;
                };
                let mut text = std::mem::take(&mut doc.text);
                for c in p.content_changes {
                    apply_change(&mut text, c.range, &c.text, enc);
                }
                doc.set_text(text, p.text_document.version);
                self.changed(&path);
            }
            note::DidCloseTextDocument::METHOD => {
                let Ok(p) =
                    n.extract::<DidCloseTextDocumentParams>(note::DidCloseTextDocument::METHOD)
                else {
                    return;
                };
                if let Some(Address::File(path)) = Address::of(&p.text_document.uri) {
                    self.documents.close(&path);
                    self.closed(&path);
                }
            }
            note::DidChangeWatchedFiles::METHOD => {
                let Ok(p) =
                    n.extract::<DidChangeWatchedFilesParams>(note::DidChangeWatchedFiles::METHOD)
                else {
                    return;
                };
                for c in p.changes {
                    if let Some(Address::File(path)) = Address::of(&c.uri) {
                        self.changed_on_disk(&path);
                    }
                }
            }
            _ => {}
        }
    }

    /// An open document changed: its programs are checked again.
    fn changed(&mut self, path: &Path) {
        // The program is looked for in the editor's folder (a module's is
        // above it), read as a program of that folder would be.
        let within = match &self.workspace.root {
            Some(r) if path.starts_with(r) => r.clone(),
            _ => path.parent().unwrap_or(path).to_path_buf(),
        };
        let base = (self.options.file_system)(&within);
        let fs = Overlay {
            base: &*base,
            documents: &self.documents,
        };
        let roots = self.workspace.programs_of(path, &fs);
        self.dirty.extend(roots);
    }

    /// A file changed on disk: programs that read it, or whose directory it
    /// is in, are checked again.
    fn changed_on_disk(&mut self, path: &Path) {
        let parent = path.parent();
        let roots: Vec<PathBuf> = self
            .workspace
            .programs
            .values()
            .filter(|p| p.has_file(path) || Some(p.root.as_path()) == parent)
            .map(|p| p.root.clone())
            .collect();
        self.dirty.extend(roots);
    }

    /// A document was closed: a program with no open document left is
    /// forgotten and its diagnostics cleared; the others read the file from
    /// disk again.
    fn closed(&mut self, path: &Path) {
        let mut forget = Vec::new();
        for p in self.workspace.programs.values() {
            if !(p.root == path || p.has_file(path)) {
                continue;
            }
            let open = self.documents.paths().any(|d| p.root == d || p.has_file(d));
            if open {
                self.dirty.insert(p.root.clone());
            } else {
                forget.push(p.root.clone());
            }
        }
        for root in forget {
            self.dirty.remove(&root);
            if let Some(p) = self.workspace.programs.remove(&root) {
                for uri in p.published {
                    self.publish(&uri, &root, Vec::new());
                }
            }
        }
    }

    /// Checks the programs that changed.
    fn flush(&mut self) {
        for root in std::mem::take(&mut self.dirty) {
            self.check(&root);
        }
    }

    fn check(&mut self, root: &Path) {
        let base = (self.options.file_system)(root);
        let fs = Overlay {
            base: &*base,
            documents: &self.documents,
        };
        let Some(program) = self.workspace.programs.get_mut(root) else {
            return;
        };
        let checked = std::panic::catch_unwind(AssertUnwindSafe(|| {
            pipec_check::check_indexed(root, &fs, &program.parses)
        }));
        let (checked, index) = match checked {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                self.log(
                    MessageType::WARNING,
                    format!("cannot check {}: {e}", root.display()),
                );
                return;
            }
            Err(_) => {
                self.log(
                    MessageType::ERROR,
                    format!("pipec failed checking {}", root.display()),
                );
                return;
            }
        };
        let count = checked.sources.files().count() as u32;
        program.parses.retain(|id| id.0 < count);
        let analysis = Arc::new(Analysis::new(checked, index, &program.parses));
        program.generation += 1;
        program.targets.clear();
        program.analysis = Some(analysis);
        self.publish_program(root);
        self.validate(root);
    }

    /// Starts the targets' validation of a program's latest check, unless
    /// one is running: when that one ends, the latest check is validated.
    fn validate(&mut self, root: &Path) {
        let Some(validate) = self.options.validate.clone() else {
            return;
        };
        let Some(program) = self.workspace.programs.get_mut(root) else {
            return;
        };
        let Some(analysis) = program.analysis.clone() else {
            return;
        };
        if program.validating.is_some() || analysis.checked.program.is_none() {
            return;
        }
        let generation = program.generation;
        program.validating = Some(generation);
        let tx = self.validated_tx.clone();
        let root = root.to_path_buf();
        let folder = self.workspace.root.clone();
        let spawned = std::thread::Builder::new()
            .name("pipec-validate".into())
            .spawn(move || {
                background_priority();
                let diagnostics = std::panic::catch_unwind(AssertUnwindSafe(|| {
                    analysis
                        .checked
                        .program
                        .as_ref()
                        .map(|p| validate(p, &root, folder.as_deref()))
                        .unwrap_or_default()
                }))
                .unwrap_or_default();
                let _ = tx.send(Validated {
                    root,
                    generation,
                    diagnostics,
                });
            });
        if spawned.is_err() {
            program.validating = None;
        }
    }

    fn validated(&mut self, v: Validated) {
        let Some(program) = self.workspace.programs.get_mut(&v.root) else {
            return;
        };
        program.validating = None;
        // A program changed since (its check waits for more changes to
        // arrive) would publish an older check under the document's newer
        // version; its own check validates it again.
        if self.dirty.contains(&v.root) {
            return;
        }
        if program.generation == v.generation {
            program.targets = v.diagnostics;
            self.publish_program(&v.root);
        } else {
            self.validate(&v.root);
        }
    }

    /// Publishes the diagnostics of a program's latest check (and its
    /// targets' validation, when done) for each of its files, clearing those
    /// of files it no longer has.
    fn publish_program(&mut self, root: &Path) {
        let Some(program) = self.workspace.programs.get_mut(root) else {
            return;
        };
        let Some(analysis) = program.analysis.clone() else {
            return;
        };
        let mut by_file: BTreeMap<Uri, Vec<lsp_types::Diagnostic>> = analysis
            .files()
            .map(|(id, _)| (uri_of(&analysis, id), Vec::new()))
            .collect();
        let all = analysis.checked.diagnostics.iter().chain(&program.targets);
        for d in all {
            if let Some((source, diag)) = crate::diagnostics::convert(d, &analysis, self.encoding) {
                by_file
                    .entry(uri_of(&analysis, source))
                    .or_default()
                    .push(diag);
            }
        }
        let gone: Vec<Uri> = program
            .published
            .iter()
            .filter(|u| !by_file.contains_key(*u))
            .cloned()
            .collect();
        program.published = by_file.keys().cloned().collect();
        for uri in gone {
            self.publish(&uri, root, Vec::new());
        }
        for (uri, diags) in by_file {
            self.publish(&uri, root, diags);
        }
    }

    /// Publishes what every program says about one document.
    fn publish(&mut self, uri: &Uri, root: &Path, diags: Vec<lsp_types::Diagnostic>) {
        let by_program = self.published.entry(uri.clone()).or_default();
        if diags.is_empty() {
            by_program.remove(root);
        } else {
            by_program.insert(root.to_path_buf(), diags);
        }
        let mut all: Vec<lsp_types::Diagnostic> = Vec::new();
        for d in by_program.values().flatten() {
            if !all.contains(d) {
                all.push(d.clone());
            }
        }
        if by_program.is_empty() {
            self.published.remove(uri);
        }
        let version = Address::of(uri).and_then(|a| {
            a.path()
                .and_then(|p| self.documents.get(p))
                .map(|d| d.version)
        });
        self.notify::<note::PublishDiagnostics>(PublishDiagnosticsParams {
            uri: uri.clone(),
            diagnostics: all,
            version,
        });
    }

    fn log(&self, typ: MessageType, message: String) {
        self.notify::<note::LogMessage>(LogMessageParams { typ, message });
    }

    /// The latest analysis that has `address` among its files, with the
    /// file's source id.
    pub(crate) fn analysis_of(
        &self,
        address: &Address,
    ) -> Option<(Arc<Analysis>, pipec_diagnostics::SourceId)> {
        self.workspace.programs.values().find_map(|p| {
            let a = p.analysis.as_ref()?;
            let id = a.source_of(address)?;
            Some((a.clone(), id))
        })
    }

    /// The analysis, source and byte offset of a position in a document.
    pub(crate) fn locate(
        &self,
        pos: &TextDocumentPositionParams,
    ) -> Option<(Arc<Analysis>, pipec_diagnostics::SourceId, u32)> {
        let address = Address::of(&pos.text_document.uri)?;
        let (analysis, id) = self.analysis_of(&address)?;
        let s = analysis.source(id);
        let offset = s.lines.offset(&s.text, pos.position, self.encoding);
        Some((analysis, id, offset as u32))
    }
}

fn uri_of(analysis: &Analysis, id: pipec_diagnostics::SourceId) -> Uri {
    analysis
        .source(id)
        .address
        .as_ref()
        .map_or_else(|| Address::File(PathBuf::from("/")).uri(), Address::uri)
}

/// Lowers the calling thread's scheduling priority by 10 nice levels (at
/// most to 19). The targets'
/// validation renders every target of the program — seconds on a large
/// one — while the checker answers the next edit: on a busy machine the
/// checker's diagnostics must not wait for CPU the validation of an older
/// version holds. Linux gives each thread its own nice value; where the
/// call fails the validation runs at the server's priority.
fn background_priority() {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{getpriority_process, setpriority_process};
        let me = Some(rustix::thread::gettid());
        if let Ok(nice) = getpriority_process(me) {
            let _ = setpriority_process(me, (nice + 10).min(19));
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod priority_tests {
    /// The validation thread's nice value, as the kernel reports it, and the
    /// server's own, unchanged.
    #[test]
    fn background_priority_lowers_only_the_calling_thread() {
        fn nice() -> i64 {
            let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("stat");
            // Fields after the command name, which ends with the last ')':
            // state is field 3, nice is field 19.
            let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
            fields[16].parse().expect("nice")
        }
        let before = nice();
        let lowered = std::thread::spawn(|| {
            super::background_priority();
            nice()
        })
        .join()
        .unwrap();
        assert_eq!(lowered, (before + 10).min(19));
        assert_eq!(nice(), before);
    }
}
