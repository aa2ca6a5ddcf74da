//! Benchmark: how `pipec` grows with the program, on the generated monorepo
//! of `pipec_tests::monorepo` at several sizes (100, 1,000 and 5,000
//! services by default).
//!
//! For each size it writes the program as `ci/` under
//! `target/bench/scale/N` and formats it with `pipec fmt` (unmeasured), then
//! runs under `/usr/bin/time -v`, each a few times:
//!
//! - `check`: `pipec check ci --target …` (the monorepo's targets);
//! - `build`: a first build on disk (the generated files removed before
//!   each run), then `build` again with nothing changed;
//! - `build (memory)`: the same first build in a copy under `/dev/shm`
//!   (a tmpfs), when there is one: what the disk's flushes cost;
//! - `build --check`, with every file up to date;
//! - `fmt --check ci`;
//! - `lint` of the generated workflows, manifests and hooks.
//!
//! It prints the median CPU time (user + system, which does not depend on
//! the machine's load), the median peak memory (maximum resident set size)
//! and wall time of each, the ratios to `check`, and the growth exponent
//! between consecutive sizes: log(CPU ratio) / log(size ratio), 1 for
//! linear growth, 2 for quadratic. Figures are reported, never asserted.
//!
//! ```sh
//! cargo bench --bench scale                         # 100, 1,000, 5,000
//! cargo bench --bench scale -- 100 1000 --runs 5    # sizes and runs
//! PIPEC_BENCH_BIN=/tmp/pipec-old cargo bench --bench scale -- 1000
//! ```
//!
//! `PIPEC_BENCH_BIN` measures another `pipec` binary instead of building
//! the release one, to compare two versions side by side on the same
//! machine. Runs default to 3, and to 1 from 5,000 services up. The
//! programs stay under `target/bench/scale` afterwards, for `perf record`;
//! the copy in `/dev/shm` is removed.

use std::path::{Path, PathBuf};
use std::process::Command;

use pipec_tests::monorepo;

#[path = "support/timing.rs"]
mod timing;
use timing::{Sample, build_pipec, load};

/// What one measured command does, in the project directory of one size.
struct Measure {
    name: &'static str,
    /// Whether it runs in the copy under `/dev/shm`.
    in_memory: bool,
    /// Whether the generated files are removed before each run.
    fresh: bool,
    args: fn(&str) -> Vec<String>,
    /// Exit codes that count as a run (lint and fmt report findings with 1).
    ok: &'static [i32],
}

const MEASURES: &[Measure] = &[
    Measure {
        name: "check",
        in_memory: false,
        fresh: false,
        args: |t| vec!["check".into(), "ci".into(), "--target".into(), t.into()],
        ok: &[0],
    },
    Measure {
        name: "build",
        in_memory: false,
        fresh: true,
        args: build,
        ok: &[0],
    },
    Measure {
        name: "build (memory)",
        in_memory: true,
        fresh: true,
        args: build,
        ok: &[0],
    },
    Measure {
        name: "build, unchanged",
        in_memory: false,
        fresh: false,
        args: build,
        ok: &[0],
    },
    Measure {
        name: "build --check",
        in_memory: false,
        fresh: false,
        args: |t| {
            let mut a = build(t);
            a.push("--check".into());
            a
        },
        ok: &[0],
    },
    Measure {
        name: "fmt --check",
        in_memory: false,
        fresh: false,
        args: |_| vec!["fmt".into(), "--check".into(), "-q".into(), "ci".into()],
        ok: &[0],
    },
    Measure {
        name: "lint output",
        in_memory: false,
        fresh: false,
        args: |_| {
            let mut a: Vec<String> = vec!["lint".into(), "--format".into(), "json".into()];
            a.extend(OUTPUT.iter().map(|s| s.to_string()));
            a
        },
        ok: &[0, 1],
    },
];

/// Where the monorepo's generated YAML is, relative to the project
/// directory: the GitHub workflows, and the Kustomize and Argo CD files under
/// the GitOps path.
const OUTPUT: &[&str] = &[".github", "clusters"];

fn build(targets: &str) -> Vec<String> {
    vec![
        "build".into(),
        "-q".into(),
        "ci".into(),
        "--target".into(),
        targets.into(),
    ]
}

fn main() {
    let mut sizes = Vec::new();
    let mut runs: Option<usize> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--runs" {
            runs = args.next().and_then(|n| n.parse().ok());
        } else if let Ok(n) = a.parse::<usize>() {
            sizes.push(n);
        }
    }
    if sizes.is_empty() {
        sizes = vec![100, 1000, 5000];
    }
    let pipec = match std::env::var_os("PIPEC_BENCH_BIN") {
        Some(p) => PathBuf::from(p),
        None => build_pipec(),
    };
    let targets = monorepo::TARGETS.join(",");
    let shm = Path::new("/dev/shm");
    println!("pipec: {}", pipec.display());
    println!("{}", load());

    // results[size][measure] = (cpu, mb, wall)
    let mut results: Vec<Vec<Option<Sample>>> = Vec::new();
    for &n in &sizes {
        let runs = runs.unwrap_or(if n >= 5000 { 1 } else { 3 }).max(1);
        let dir = pipec_tests::root().join(format!("target/bench/scale/{n}"));
        let repo = monorepo::generate(n);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).expect("remove the old program");
        }
        repo.write_to(&dir.join("ci")).expect("write the monorepo");
        // The generator does not lay the program out as `pipec fmt` does;
        // formatted first, it is a program `fmt --check` passes, as in CI.
        let formatted = Command::new(&pipec)
            .args(["fmt", "-q", "ci"])
            .current_dir(&dir)
            .status()
            .expect("run pipec fmt");
        assert!(formatted.success(), "pipec fmt of the monorepo failed");
        let memory = shm
            .is_dir()
            .then(|| shm.join(format!("pipec-bench-scale-{n}")));
        if let Some(m) = &memory {
            if m.exists() {
                std::fs::remove_dir_all(m).expect("remove the old copy");
            }
            copy_dir(&dir.join("ci"), &m.join("ci"));
        }
        println!(
            "\n{n} services: {} files, {} lines of .pipe, {runs} run(s) each",
            repo.files.len(),
            repo.lines()
        );
        let mut row = Vec::new();
        for m in MEASURES {
            let Some(at) = (if m.in_memory {
                memory.clone()
            } else {
                Some(dir.clone())
            }) else {
                println!("  {:<18} skipped: no /dev/shm", m.name);
                row.push(None);
                continue;
            };
            let mut samples = Vec::new();
            for _ in 0..runs {
                if m.fresh {
                    remove_output(&at);
                }
                samples.push(measure(&pipec, &at, &(m.args)(&targets), m.ok));
            }
            let s = median_of(&samples);
            println!(
                "  {:<18} {:>8.3} s CPU {:>8.1} MB {:>8.3} s wall",
                m.name, s.cpu, s.mb, s.wall
            );
            row.push(Some(s));
        }
        if let Some(m) = &memory {
            let _ = std::fs::remove_dir_all(m);
        }
        let files = count_files(&dir) - repo.files.len();
        println!("  generated files: {files}");
        results.push(row);
    }

    println!("\nratios to `check` (CPU time):");
    for (n, row) in sizes.iter().zip(&results) {
        let Some(check) = &row[0] else { continue };
        let ratios: Vec<String> = MEASURES
            .iter()
            .zip(row)
            .skip(1)
            .filter_map(|(m, s)| {
                s.as_ref()
                    .map(|s| format!("{} {:.2}", m.name, s.cpu / check.cpu))
            })
            .collect();
        println!("  {n:>6}: {}", ratios.join(", "));
    }
    if sizes.len() > 1 {
        println!("\ngrowth exponents, log(CPU ratio) / log(size ratio) (1 is linear):");
        for w in 0..sizes.len() - 1 {
            let (a, b) = (sizes[w], sizes[w + 1]);
            let exps: Vec<String> = MEASURES
                .iter()
                .enumerate()
                .filter_map(|(i, m)| {
                    let (x, y) = (results[w][i].as_ref()?, results[w + 1][i].as_ref()?);
                    let e = (y.cpu / x.cpu).ln() / (b as f64 / a as f64).ln();
                    Some(format!("{} {e:.2}", m.name))
                })
                .collect();
            println!("  {a} → {b}: {}", exps.join(", "));
        }
    }
    println!("\n{}", load());
}

/// Removes what a build wrote in the project directory `dir`, keeping `ci/`.
fn remove_output(dir: &Path) {
    for e in std::fs::read_dir(dir).expect("read the project directory") {
        let e = e.expect("a directory entry");
        if e.file_name() == "ci" {
            continue;
        }
        let p = e.path();
        if p.is_dir() {
            std::fs::remove_dir_all(&p).expect("remove generated files");
        } else {
            std::fs::remove_file(&p).expect("remove a generated file");
        }
    }
}

/// Copies the program directory `from` to `to`.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the copy");
    for e in std::fs::read_dir(from).expect("read the program") {
        let p = e.expect("a directory entry").path();
        let dest = to.join(p.file_name().expect("a name"));
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).expect("copy a file");
        }
    }
}

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() { count_files(&p) } else { 1 }
                })
                .sum()
        })
        .unwrap_or(0)
}

/// The median of each figure on its own.
fn median_of(samples: &[Sample]) -> Sample {
    let median = |f: fn(&Sample) -> f64| {
        let mut v: Vec<f64> = samples.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    Sample {
        wall: median(|s| s.wall),
        cpu: median(|s| s.cpu),
        mb: median(|s| s.mb),
    }
}

/// One run of `pipec ARGS` in `dir` under `/usr/bin/time -v`.
fn measure(pipec: &Path, dir: &Path, args: &[String], ok: &[i32]) -> Sample {
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(pipec)
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .output()
        .expect("run /usr/bin/time (Debian package `time`)");
    let report = String::from_utf8_lossy(&out.stderr);
    let status = report
        .lines()
        .find_map(|l| l.trim().strip_prefix("Exit status:"))
        .and_then(|s| s.trim().parse::<i32>().ok());
    assert!(
        status.is_some_and(|s| ok.contains(&s)),
        "`pipec {}` in {} failed:\n{report}",
        args.join(" "),
        dir.display()
    );
    Sample::from_report(&report)
}
