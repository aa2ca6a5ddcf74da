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
//! asserted. The wall time depends on what else the machine runs (the load
//! average is printed); the server's CPU time for the check (user + system,
//! from /proc, in clock ticks) does not, and is printed beside it.
//!
//! ```sh
//! cargo bench --bench lsp               # 1,000 services, 20 edits per file
//! cargo bench --bench lsp -- 200 8      # 200 services, 8 edits
//! ```

#[path = "../compiler/cli/tests/support/lsp_client.rs"]
mod lsp_client;
#[path = "support/timing.rs"]
#[allow(dead_code)] // the `time -v` figures are for the other benchmarks
mod timing;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use lsp_client::{Client, file_uri};
use pipec_tests::monorepo;
use serde_json::{Value, json};
use timing::{build_pipec, load};

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
    println!("{}", load());
    println!(
        "{:<26} {:>6} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10}",
        "file", "lines", "open", "valid", "error", "max", "CPU", "+targets"
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
    let mut cpu = Vec::new();
    let pid = c.server_pid();
    for i in 0..edits {
        let (kind, insert) = EDITS[i % EDITS.len()];
        let version = i as i64 + 2;
        c.notifications.clear();
        let cpu_before = cpu_ms(pid);
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
        // Nothing else runs in the server meanwhile: the validation of the
        // previous version was waited for, and this one's starts after.
        cpu.push(cpu_ms(pid) - cpu_before);
        let has_errors = !published["diagnostics"].as_array().unwrap().is_empty();
        let breaks = kind == "error" && !insert.is_empty();
        assert_eq!(has_errors, breaks, "{name}, edit {i}: {published:#}");
        if has_errors {
            error.push(checked);
        } else {
            valid.push(checked);
            // The targets' validation follows, published again.
            wait_version(&mut c, &uri, version);
            targets.push(ms(sent));
        }
    }
    let max = valid.iter().chain(&error).copied().fold(0.0, f64::max);
    println!(
        "{:<26} {:>6} {:>7.0}ms {:>7.1}ms {:>7.1}ms {:>7.1}ms {:>7.0}ms {:>8.0}ms  ({} the {target} ms target)",
        name,
        text.lines().count(),
        open_ms,
        median(&mut valid),
        median(&mut error),
        max,
        median(&mut cpu),
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

/// The CPU time (user + system) a process has used, in milliseconds.
fn cpu_ms(pid: u32) -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    let ticks = *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    });
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name, which is in parentheses: utime and
    // stime are the 14th and 15th of the line.
    let fields: Vec<f64> = stat
        .rsplit_once(')')
        .map(|(_, rest)| {
            rest.split_whitespace()
                .map(|f| f.parse().unwrap_or(0.0))
                .collect()
        })
        .unwrap_or_default();
    let used = fields.get(11).unwrap_or(&0.0) + fields.get(12).unwrap_or(&0.0);
    used * 1000.0 / ticks
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
