//! An editor's side of the Language Server Protocol, for tests and the
//! latency benchmark (`benches/lsp.rs`): starts
//! `pipec lsp`, frames JSON-RPC messages over its stdin and stdout, and
//! collects what it publishes.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long any answer may take: generous, since the machine running the
/// tests may be busy; the latency is measured by the benchmark instead.
pub const PATIENCE: Duration = Duration::from_secs(120);

pub struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
    /// Notifications received and not yet looked at.
    pub notifications: Vec<Value>,
    /// What the server said it can do, in its answer to `initialize`.
    pub capabilities: Value,
}

impl Client {
    /// Starts `pipec lsp` and initializes it for the folder `root`.
    pub fn start(root: &Path, options: Value) -> Client {
        // Set for the tests of the package with the binary; the benchmark
        // (`benches/lsp.rs`) names a release build instead.
        let Some(bin) = option_env!("CARGO_BIN_EXE_pipec") else {
            panic!("no pipec binary in this package: use `start_with`");
        };
        Client::start_with(Path::new(bin), root, options)
    }

    /// Starts the `pipec` at `bin` as a language server for `root`.
    pub fn start_with(bin: &Path, root: &Path, options: Value) -> Client {
        Client::launch(bin, root, options, &["utf-16"])
    }

    /// Starts `pipec lsp` for an editor that offers these position
    /// encodings (`utf-8`, `utf-16`), most preferred first; returns the
    /// client and the encoding the server chose.
    pub fn start_offering(root: &Path, encodings: &[&str]) -> (Client, Value) {
        let Some(bin) = option_env!("CARGO_BIN_EXE_pipec") else {
            panic!("no pipec binary in this package: use `start_with`");
        };
        let c = Client::launch(Path::new(bin), root, Value::Null, encodings);
        let chosen = c.capabilities["positionEncoding"].clone();
        (c, chosen)
    }

    fn launch(bin: &Path, root: &Path, options: Value, encodings: &[&str]) -> Client {
        let mut child = Command::new(bin)
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("pipec lsp starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, messages) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            while let Some(m) = read_message(&mut r) {
                if tx.send(m).is_err() {
                    break;
                }
            }
        });
        let mut c = Client {
            child,
            stdin,
            messages,
            next_id: 0,
            notifications: Vec::new(),
            capabilities: Value::Null,
        };
        let root_uri = file_uri(root);
        let init = c.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": root_uri,
                "workspaceFolders": [{ "uri": root_uri, "name": "test" }],
                "capabilities": {
                    "general": { "positionEncodings": encodings },
                    "textDocument": { "publishDiagnostics": { "relatedInformation": true } }
                },
                "initializationOptions": options,
            }),
        );
        assert!(
            init["capabilities"]["hoverProvider"] == json!(true),
            "{init:#}"
        );
        c.capabilities = init["capabilities"].clone();
        c.notify("initialized", json!({}));
        c
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and waits for its answer; panics on an error answer.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        match self.try_request(method, params) {
            Ok(v) => v,
            Err(e) => panic!("{method} failed: {e:#}"),
        }
    }

    /// Sends a request and waits for its answer or error.
    pub fn try_request(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        let deadline = Instant::now() + PATIENCE;
        loop {
            let m = self.next(deadline).unwrap_or_else(|| {
                panic!(
                    "no answer to {method} within {PATIENCE:?}; stderr: {}",
                    self.stderr()
                )
            });
            if m.get("id") == Some(&json!(id)) && m.get("method").is_none() {
                return match m.get("error") {
                    Some(e) => Err(e.clone()),
                    None => Ok(m["result"].clone()),
                };
            }
            if m.get("method").is_some() && m.get("id").is_none() {
                self.notifications.push(m);
            }
        }
    }

    fn next(&mut self, deadline: Instant) -> Option<Value> {
        let left = deadline.saturating_duration_since(Instant::now());
        self.messages.recv_timeout(left).ok()
    }

    /// Waits until the server publishes diagnostics for `uri` that satisfy
    /// `want`, and returns them.
    pub fn diagnostics(&mut self, uri: &str, want: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + PATIENCE;
        let mut last = None;
        loop {
            // The latest publication for the document decides.
            let found = self
                .notifications
                .iter()
                .rev()
                .find(|n| {
                    n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri
                })
                .map(|n| {
                    n["params"]["diagnostics"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default()
                });
            if let Some(d) = &found {
                if want(d) {
                    return d.clone();
                }
                last = found.clone();
            }
            match self.next(deadline) {
                Some(m) => {
                    if m.get("method").is_some() {
                        self.notifications.push(m);
                    }
                }
                None => panic!(
                    "no diagnostics as expected for {uri} within {PATIENCE:?}; last: {last:#?}"
                ),
            }
        }
    }

    /// The next publication of diagnostics for `uri` not looked at yet
    /// (its `params`: `uri`, `version`, `diagnostics`), waiting for it.
    pub fn next_publication(&mut self, uri: &str) -> Value {
        let is = |n: &Value| {
            n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri
        };
        if let Some(i) = self.notifications.iter().position(is) {
            return self.notifications.remove(i)["params"].clone();
        }
        let deadline = Instant::now() + PATIENCE;
        loop {
            let m = self
                .next(deadline)
                .unwrap_or_else(|| panic!("no diagnostics for {uri} within {PATIENCE:?}"));
            if is(&m) {
                return m["params"].clone();
            }
            if m.get("method").is_some() {
                self.notifications.push(m);
            }
        }
    }

    pub fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "pipe", "version": 1, "text": text } }),
        );
    }

    /// Replaces a range of the document (0-based line and UTF-16 column).
    pub fn edit(
        &mut self,
        uri: &str,
        version: i32,
        start: (u32, u32),
        end: (u32, u32),
        text: &str,
    ) {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{ "range": range(start, end), "text": text }],
            }),
        );
    }

    /// Sends `shutdown` and `exit`; returns the server's exit code, after
    /// checking that it never panicked.
    pub fn shutdown(mut self) -> Option<i32> {
        let r = self.request("shutdown", Value::Null);
        assert_eq!(r, Value::Null);
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let stderr = self.stderr();
                assert!(
                    !stderr.contains("panicked"),
                    "pipec lsp panicked:\n{stderr}"
                );
                return status.code();
            }
            assert!(Instant::now() < deadline, "pipec lsp did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server's process id.
    pub fn server_pid(&self) -> u32 {
        self.child.id()
    }

    /// What the server wrote to stderr (after it exited or was killed).
    pub fn stderr(&mut self) -> String {
        let _ = self.child.kill();
        let mut s = String::new();
        if let Some(e) = self.child.stderr.as_mut() {
            let _ = e.read_to_string(&mut s);
        }
        s
    }

    fn send(&mut self, m: Value) {
        let body = m.to_string();
        let framed = format!("Content-Length: {}\r\n\r\n{body}", body.len());
        self.stdin
            .write_all(framed.as_bytes())
            .and_then(|_| self.stdin.flush())
            .expect("pipec lsp reads its input");
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_message(r: &mut impl BufRead) -> Option<Value> {
    let mut len = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length: ") {
            len = v.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; len?];
    r.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

pub fn range(start: (u32, u32), end: (u32, u32)) -> Value {
    json!({
        "start": { "line": start.0, "character": start.1 },
        "end": { "line": end.0, "character": end.1 },
    })
}

pub fn position(line: u32, character: u32) -> Value {
    json!({ "line": line, "character": character })
}

/// The `file:` URI of a path, as editors write it.
pub fn file_uri(path: &Path) -> String {
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = String::from("file://");
    for b in abs.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The 0-based line and UTF-16 column of the first `needle` in `text`,
/// plus `skip` characters.
pub fn find(text: &str, needle: &str, skip: u32) -> (u32, u32) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` in the text"));
    let line = text[..at].matches('\n').count() as u32;
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let col: usize = text[start..at].chars().map(char::len_utf16).sum();
    (line, col as u32 + skip)
}
