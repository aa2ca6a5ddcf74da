//! `pipec lsp` never fails on text as it is typed: every case of the
//! diagnostics corpus (`tests/ui`) and every fuzzing seed (`fuzz/seeds`,
//! the YAML seeds of the lint fuzzer too: text no program is made of) is
//! sent as a stream of edits, a few lines at a time and then with
//! characters deleted and replaced here and there, with requests in
//! between. Every request must be answered, none with an internal error,
//! every document must get its diagnostics, and the server must not panic.

#[path = "support/lsp_client.rs"]
mod lsp_client;

use std::path::{Path, PathBuf};

use lsp_client::{Client, file_uri, position, range};
use serde_json::{Value, json};

/// Lines sent per edit while a document is being "typed".
const LINES_PER_EDIT: usize = 3;
/// Random edits once the whole text is in.
const RANDOM_EDITS: usize = 6;

fn corpus() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    collect(
        &root.join("tests/ui"),
        &|p| p.extension().is_some_and(|x| x == "pipe"),
        &mut files,
    );
    collect(&root.join("fuzz/seeds"), &|_| true, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            // One flat folder of documents, each named after its case.
            let name = p
                .strip_prefix(&root)
                .unwrap_or(&p)
                .with_extension("pipe")
                .to_string_lossy()
                .replace('/', "__");
            // Text that is not UTF-8 cannot be an editor's document; its
            // readable part is.
            let text = String::from_utf8_lossy(&std::fs::read(&p).expect("readable")).into_owned();
            (name, text)
        })
        .collect()
}

fn collect(dir: &Path, keep: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("corpus directory") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            collect(&p, keep, out);
        } else if keep(&p) {
            out.push(p);
        }
    }
}

/// A small deterministic generator, so a failure repeats.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// The position of byte `offset` (UTF-16 columns).
fn pos_of(text: &str, offset: usize) -> (u32, u32) {
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    let col: usize = before[start..].chars().map(char::len_utf16).sum();
    (line, col as u32)
}

fn boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Asks what an editor asks while typing, at byte `offset`.
fn ask(c: &mut Client, uri: &str, text: &str, offset: usize, requests: &mut usize) {
    let (line, character) = pos_of(text, offset);
    let at = json!({ "textDocument": { "uri": uri }, "position": position(line, character) });
    let mut answered = |c: &mut Client, method: &str, params: Value| {
        *requests += 1;
        if let Err(e) = c.try_request(method, params) {
            assert_ne!(
                e["code"], -32603,
                "{method} at {line}:{character} of {uri}: {e:#}"
            );
        }
    };
    answered(c, "textDocument/completion", at.clone());
    answered(c, "textDocument/hover", at.clone());
    answered(c, "textDocument/definition", at.clone());
    answered(
        c,
        "textDocument/references",
        json!({ "textDocument": { "uri": uri }, "position": position(line, character), "context": { "includeDeclaration": true } }),
    );
    answered(c, "textDocument/prepareRename", at);
    answered(
        c,
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri } }),
    );
    answered(
        c,
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": range((0, 0), (line, character)), "context": { "diagnostics": [] } }),
    );
}

#[test]
fn the_corpora_typed_into_an_editor() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("lsp-tests")
        .join(format!("corpus-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // Each file is its own program: the cases are independent.
    let mut c = Client::start(&dir, json!({ "programs": "file" }));
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut edits, mut requests) = (0, 0);
    let cases = corpus();
    assert!(cases.len() > 100, "the corpus is found: {}", cases.len());
    for (name, full) in &cases {
        // Never on disk: the server reads the editor's text.
        let uri = file_uri(&dir.join(name));
        c.open(&uri, "");
        let mut text = String::new();
        let mut version = 1;
        let lines: Vec<&str> = full.split_inclusive('\n').collect();
        for chunk in lines.chunks(LINES_PER_EDIT) {
            let end = pos_of(&text, text.len());
            let add: String = chunk.concat();
            version += 1;
            c.edit(&uri, version, end, end, &add);
            text.push_str(&add);
            edits += 1;
            let at = boundary(&text, rng.below(text.len() + 1));
            ask(&mut c, &uri, &text, at, &mut requests);
        }
        for _ in 0..RANDOM_EDITS {
            let start = boundary(&text, rng.below(text.len() + 1));
            let end = boundary(&text, start + rng.below(4));
            let insert = ["", "{", "}", "(", "\"", "x", "\n", "é", ",", "= "][rng.below(10)];
            version += 1;
            c.edit(
                &uri,
                version,
                pos_of(&text, start),
                pos_of(&text, end),
                insert,
            );
            text.replace_range(start..end, insert);
            edits += 1;
            let at = boundary(&text, rng.below(text.len() + 1));
            ask(&mut c, &uri, &text, at, &mut requests);
        }
        // Checked as it was typed: the server said what it found.
        c.diagnostics(&uri, |_| true);
        c.notify(
            "textDocument/didClose",
            json!({ "textDocument": { "uri": uri } }),
        );
        c.notifications.clear();
    }
    eprintln!(
        "{} documents, {edits} edits, {requests} requests answered",
        cases.len()
    );
    assert_eq!(c.shutdown(), Some(0));
}
