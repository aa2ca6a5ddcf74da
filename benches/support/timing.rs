//! What the benchmarks share: the release `pipec` they run, and the figures
//! `/usr/bin/time -v` reports for one run.

use std::path::PathBuf;
use std::process::Command;

/// One run's figures.
#[derive(Clone, Copy)]
pub struct Sample {
    pub wall: f64,
    /// User + system time: what the run cost, whatever the machine's load.
    pub cpu: f64,
    /// Maximum resident set size.
    pub mb: f64,
}

impl Sample {
    /// The figures in the report `/usr/bin/time -v` writes to standard error.
    pub fn from_report(report: &str) -> Sample {
        let field = |name: &str| {
            report
                .lines()
                .find_map(|l| l.trim().strip_prefix(name))
                .map(str::trim)
                .unwrap_or_else(|| panic!("no `{name}` in the output of time -v:\n{report}"))
                .to_string()
        };
        let number = |name: &str| -> f64 { field(name).parse().expect("a number") };
        Sample {
            wall: clock_seconds(&field("Elapsed (wall clock) time (h:mm:ss or m:ss):")),
            cpu: number("User time (seconds):") + number("System time (seconds):"),
            mb: number("Maximum resident set size (kbytes):") / 1024.0,
        }
    }
}

/// Builds the release `pipec` and returns its path.
pub fn build_pipec() -> PathBuf {
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
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["target"]["name"] == "pipec")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("cargo reported the pipec executable")
}

/// The load average and the number of cores: the CPU time of a run on a
/// shared machine is to be read with it.
pub fn load() -> String {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    format!(
        "load average: {} on {} cores",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    )
}

/// `m:ss.cc` or `h:mm:ss` as seconds.
fn clock_seconds(s: &str) -> f64 {
    s.split(':')
        .map(|p| p.parse::<f64>().expect("a clock time"))
        .fold(0.0, |acc, p| acc * 60.0 + p)
}
