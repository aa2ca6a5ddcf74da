//! Benchmark: how soon `pipec lsp` publishes diagnostics after an edit.
//!
//! Builds the release `pipec`, starts `pipec lsp` as an editor does (over
//! stdio, `lsp_client`), opens one file of each example and of the
//! generated 1,000-service monorepo (`pipec_tests::monorepo`), and types
//! into it: a comment line added and taken away (the program stays valid)
//! and a line that is a syntax error added and taken away. For each edit it
//! measures the time from sending `didChange` to receiving the checker's
//! diagnostics for that version of the document, and, when the program is
//! valid, to receiving them again with the targets' validation (which runs
//! in the background). The targets are 100 ms on the examples and 500 ms on
//! the monorepo for the checker's diagnostics; figures are reported, never
//! asserted. The load average is printed: the machine may be shared.
//!
//! ```sh
//! cargo bench --bench lsp               # 1,000 services, 20 edits per file
//! cargo bench --bench lsp -- 200 8      # 200 services, 8 edits
//! ```

#[path = "../compiler/cli/tests/support/lsp_client.rs"]
mod lsp_client;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use lsp_client::{Client, file_uri};
use pipec_tests::monorepo;
use serde_json::{Value, json};

/// The edits, in turn: each is undone by the next.
const EDITS: [(&str, &str); 4] = [
    ("valid", "// an edit\n"),
    ("valid", ""),
    ("error", "job {\n"),
    ("error", ""),
];

fn main() {
    let numbers: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let services = numbers.first().copied().unwrap_or(1000);
    let edits = numbers.get(1).copied().unwrap_or(20).max(4);
    let pipec = build_pipec();
    let base = pipec_tests::root().join("target/bench/lsp");
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "load average: {} on {} cores",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "{:<28} {:>6} {:>10} {:>10} {:>10} {:>10} {:>12}",
        "file", "lines", "open", "valid", "error", "max", "+targets"
    );
    for example in pipec_tests::examples() {
        let dir = base.join("examples").join(&example);
        copy_dir(&pipec_tests::root().join("examples").join(&example), &dir);
        run(
            &pipec,
            &dir,
            &dir.join("pipeline.pipe"),
            &example,
            edits,
            100.0,
        );
    }
    let dir = base.join("monorepo");
    let repo = monorepo::generate(services);
    repo.write_to(&dir).expect("write the monorepo");
    println!(
        "monorepo: {services} services, {} files, {} lines",
        repo.files.len(),
        repo.lines()
    );
    for file in ["team_00.pipe", "platform.pipe"] {
        run(
            &pipec,
            &dir,
            &dir.join(file),
            &format!("monorepo/{file}"),
            edits,
            500.0,
        );
    }
}

/// Opens `file` of the program in `dir`, types `edits` edits into it, and
/// prints the median latencies in milliseconds.
fn run(pipec: &Path, dir: &Path, file: &Path, name: &str, edits: usize, target: f64) {
    let text = std::fs::read_to_string(file).expect("the file to edit");
    let uri = file_uri(file);
    let mut c = Client::start_with(pipec, dir, Value::Null);
    let started = Instant::now();
    c.open(&uri, &text);
    let open = wait_version(&mut c, &uri, 1);
    let open_ms = ms(started);
    assert!(
        open["diagnostics"].as_array().is_some_and(|d| d.is_empty()),
        "{name} is clean: {open:#}"
    );
    // The validation of the opened program, before the first edit.
    c.next_publication(&uri);
    let (mut valid, mut error, mut targets) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..edits {
        let (kind, insert) = EDITS[i % EDITS.len()];
        let version = i as i64 + 2;
        c.notifications.clear();
        let sent = Instant::now();
        // An insertion at the top, or the removal of the line inserted.
        let end = if insert.is_empty() { 1 } else { 0 };
        c.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{ "range": lsp_client::range((0, 0), (end, 0)), "text": insert }],
            }),
        );
        let published = wait_version(&mut c, &uri, version);
        let checked = ms(sent);
        let has_errors = !published["diagnostics"].as_array().unwrap().is_empty();
        match kind {
            "valid" => {
                assert!(!has_errors, "{name}: a valid edit: {published:#}");
                valid.push(checked);
                // The targets' validation follows, published again.
                wait_version(&mut c, &uri, version);
                targets.push(ms(sent));
            }
            _ if insert.is_empty() => valid.push(checked),
            _ => {
                assert!(has_errors, "{name}: a syntax error is reported");
                error.push(checked);
            }
        }
    }
    let max = valid.iter().chain(&error).copied().fold(0.0, f64::max);
    println!(
        "{:<28} {:>6} {:>8.1}ms {:>8.1}ms {:>8.1}ms {:>8.1}ms {:>10.1}ms  ({} the {target} ms target)",
        name,
        text.lines().count(),
        open_ms,
        median(&mut valid),
        median(&mut error),
        max,
        median(&mut targets),
        if median(&mut valid).max(median(&mut error)) < target {
            "within"
        } else {
            "OVER"
        },
    );
    assert_eq!(c.shutdown(), Some(0));
}

/// Waits for a publication for `uri` at `version`; returns it.
fn wait_version(c: &mut Client, uri: &str, version: i64) -> Value {
    loop {
        let p = c.next_publication(uri);
        if p["version"] == json!(version) {
            return p;
        }
    }
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).expect("create the copy");
    for e in std::fs::read_dir(from).expect("the example") {
        let p = e.expect("an entry").path();
        std::fs::copy(&p, to.join(p.file_name().expect("a name"))).expect("copy");
    }
}

/// Builds the release `pipec` and returns its path.
fn build_pipec() -> PathBuf {
    let out = Command::new(env!("CARGO"))
        .args([
            "build",
            "--release",
            "--locked",
            "--package",
            "pipec",
            "--bin",
            "pipec",
            "--message-format=json-render-diagnostics",
        ])
        .current_dir(pipec_tests::root())
        .output()
        .expect("run cargo build");
    assert!(
        out.status.success(),
        "cargo build --release -p pipec failed"
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["target"]["name"] == "pipec")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("cargo reported the pipec executable")
}
