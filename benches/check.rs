//! Benchmark: `pipec check` on a generated monorepo of 1,000 services.
//!
//! Builds the release `pipec`, writes the program of `pipec_tests::monorepo`
//! under `target/bench/monorepo`, then runs `/usr/bin/time -v pipec check` on
//! it several times, validating the targets it builds to
//! (`monorepo::TARGETS`), and prints the wall time, the CPU time (user +
//! system) and the peak memory (maximum resident set size) of each run and
//! their medians.
//! The targets are under 0.5 s and under 200 MB; the figures are reported,
//! never asserted. On a machine shared with other work the wall time depends
//! on the load, which is printed too; the CPU time does not.
//!
//! ```sh
//! cargo bench --bench check                 # 1,000 services, 10 runs
//! cargo bench --bench check -- 200 5        # 200 services, 5 runs
//! ```
//!
//! The program stays on disk afterwards, for `perf record` or `valgrind`
//! (docs/performance.md says how).

use std::path::{Path, PathBuf};
use std::process::Command;

use pipec_tests::monorepo;

const TARGET_SECONDS: f64 = 0.5;
const TARGET_MB: f64 = 200.0;

fn main() {
    // `cargo bench` passes `--bench`; the numbers are ours.
    let numbers: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let services = numbers.first().copied().unwrap_or(1000);
    let runs = numbers.get(1).copied().unwrap_or(10).max(1);

    let pipec = build_pipec();
    let dir = pipec_tests::root().join("target/bench/monorepo");
    let repo = monorepo::generate(services);
    repo.write_to(&dir).expect("write the monorepo");
    let bytes: usize = repo.files.iter().map(|(_, t)| t.len()).sum();
    println!(
        "monorepo: {services} services, {} files, {} lines, {} KiB in {}",
        repo.files.len(),
        repo.lines(),
        bytes / 1024,
        dir.display()
    );

    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "load average: {} on {} cores",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    let mut samples: Vec<Sample> = Vec::new();
    // One unmeasured run first: it brings the files into the page cache.
    measure(&pipec, &dir);
    for i in 0..runs {
        let s = measure(&pipec, &dir);
        println!(
            "run {:>2}: {:.3} s wall, {:.3} s CPU, {:.1} MB",
            i + 1,
            s.wall,
            s.cpu,
            s.mb
        );
        samples.push(s);
    }
    let median = |f: fn(&Sample) -> f64| {
        let mut v: Vec<f64> = samples.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (wall, cpu, mb) = (median(|s| s.wall), median(|s| s.cpu), median(|s| s.mb));
    let verdict = |ok: bool| if ok { "within" } else { "OVER" };
    println!(
        "median: {wall:.3} s wall ({} the {TARGET_SECONDS} s target), {cpu:.3} s CPU, {mb:.1} MB peak ({} the {TARGET_MB} MB target)",
        verdict(wall < TARGET_SECONDS),
        verdict(mb < TARGET_MB),
    );
}

/// One run's figures.
struct Sample {
    wall: f64,
    cpu: f64,
    mb: f64,
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
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["target"]["name"] == "pipec")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("cargo reported the pipec executable")
}

/// One `pipec check` under `/usr/bin/time -v`.
fn measure(pipec: &Path, dir: &Path) -> Sample {
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(pipec)
        .arg("check")
        .arg(dir)
        .arg("--target")
        .arg(monorepo::TARGETS.join(","))
        .output()
        .expect("run /usr/bin/time (Debian package `time`)");
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "pipec check found errors in the monorepo:\n{report}"
    );
    let field = |name: &str| {
        report
            .lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .map(str::trim)
            .unwrap_or_else(|| panic!("no `{name}` in the output of time -v:\n{report}"))
            .to_string()
    };
    let wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss):");
    let number = |name: &str| -> f64 { field(name).parse().expect("a number") };
    Sample {
        wall: clock_seconds(&wall),
        cpu: number("User time (seconds):") + number("System time (seconds):"),
        mb: number("Maximum resident set size (kbytes):") / 1024.0,
    }
}

/// `m:ss.cc` or `h:mm:ss` as seconds.
fn clock_seconds(s: &str) -> f64 {
    s.split(':')
        .map(|p| p.parse::<f64>().expect("a clock time"))
        .fold(0.0, |acc, p| acc * 60.0 + p)
}
