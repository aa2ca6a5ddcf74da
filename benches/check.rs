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

use std::path::Path;
use std::process::Command;

use pipec_tests::monorepo;

#[path = "support/timing.rs"]
mod timing;
use timing::{Sample, build_pipec, load};

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

    println!("{}", load());

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
    Sample::from_report(&report)
}
