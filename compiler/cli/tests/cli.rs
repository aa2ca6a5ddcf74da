//! The `pipec` binary as users run it: exit codes of `check`, the pages of
//! `explain`, and the JSON of `--format json`.
//!
//! These tests live in the `pipec` package so that Cargo builds the binary
//! first and gives its path (`CARGO_BIN_EXE_pipec`).

use std::path::PathBuf;
use std::process::{Command, Output};

use pipec_diagnostics::code;
use serde_json::Value;

fn pipec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pipec"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("pipec runs")
}

fn status(out: &Output) -> i32 {
    out.status.code().expect("pipec exits, not killed")
}

/// A fresh directory for one test's files.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("pipec-cli-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }

    fn file(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("write");
        path.to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const CLEAN: &str = "pipeline app {\n  on push\n  job test { run \"pytest\" }\n}\n";

const WARNS: &str = "use std.python\npipeline app {\n  on push\n  job test { run \"pytest\" }\n}\n";

/// Five independent mistakes, of five kinds, in different statements.
const FIVE_MISTAKES: &str = r#"use std.python

pipeline app {
  on push
  job lint = python.lint()
  job test {
    run "pytest"
    after lnit
    timeout 10x
  }
  job lint { run "flake8" }
}

environment dev {
  namespace "app-dev"
  replicas "2"
}

environment staging {
  namespace "app-staging"
  approvals 1 +
}
"#;

#[test]
fn check_exits_0_on_a_clean_program_even_with_warnings() {
    let s = Scratch::new("clean");
    let out = pipec(&["check", &s.file("app.pipe", CLEAN)]);
    assert_eq!(status(&out), 0, "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("ok: 1 pipeline(s)"));

    let out = pipec(&["check", &s.file("warns.pipe", WARNS)]);
    assert_eq!(status(&out), 0, "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("W0003"));
}

#[test]
fn check_exits_1_on_errors_and_on_warnings_when_denied() {
    let s = Scratch::new("errors");
    let out = pipec(&["check", &s.file("bad.pipe", FIVE_MISTAKES)]);
    assert_eq!(status(&out), 1, "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("5 error(s)"));

    let warns = s.file("warns.pipe", WARNS);
    assert_eq!(status(&pipec(&["check", "--deny-warnings", &warns])), 1);
}

#[test]
fn check_exits_2_on_usage_and_io_failures() {
    let s = Scratch::new("usage");
    let missing = s.0.join("missing.pipe");
    let out = pipec(&["check", &missing.to_string_lossy()]);
    assert_eq!(status(&out), 2, "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));

    // A directory without .pipe files is not a program.
    let empty = s.0.join("empty");
    std::fs::create_dir_all(&empty).expect("mkdir");
    assert_eq!(status(&pipec(&["check", &empty.to_string_lossy()])), 2);

    let app = s.file("app.pipe", CLEAN);
    assert_eq!(status(&pipec(&["check"])), 2, "no path");
    assert_eq!(status(&pipec(&["check", "--no-such-flag", &app])), 2);
    assert_eq!(status(&pipec(&["check", "--format", "xml", &app])), 2);
    assert_eq!(status(&pipec(&["explain", "E9999"])), 2);
    assert_eq!(status(&pipec(&["frobnicate"])), 2);
}

#[test]
fn help_and_version_exit_0() {
    assert_eq!(status(&pipec(&["--help"])), 0);
    assert_eq!(status(&pipec(&["--version"])), 0);
}

#[test]
fn explain_prints_the_page_of_every_code() {
    for c in code::ALL {
        let out = pipec(&["explain", c.code.as_str()]);
        assert_eq!(status(&out), 0, "{}", c.code);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            c.explanation,
            "{}",
            c.code
        );
        // Codes are matched without regard to case.
        let lower = pipec(&["explain", &c.code.as_str().to_lowercase()]);
        assert_eq!(lower.stdout, out.stdout, "{}", c.code);
    }
    let list = pipec(&["explain", "--list"]);
    assert_eq!(status(&list), 0);
    let list = String::from_utf8_lossy(&list.stdout);
    for c in code::ALL {
        assert!(
            list.contains(&format!("{}  {}", c.code, c.summary)),
            "{}",
            c.code
        );
    }
}

#[test]
fn json_output_is_valid_and_has_the_documented_fields() {
    let s = Scratch::new("json");
    let out = pipec(&[
        "check",
        "--format",
        "json",
        &s.file("bad.pipe", FIVE_MISTAKES),
    ]);
    assert_eq!(status(&out), 1, "{out:?}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON value");
    assert_eq!(report["version"], 1);
    assert_eq!(report["errors"], 5);
    assert_eq!(report["warnings"], 0);
    let diags = report["diagnostics"].as_array().expect("diagnostics");
    assert_eq!(diags.len(), 5);
    for d in diags {
        for key in ["code", "severity", "message", "file"] {
            assert!(d[key].is_string(), "{key} in {d}");
        }
        assert_location(d);
        assert!(d["help"].is_string() || d["help"].is_null(), "{d}");
        assert!(d["notes"].is_array(), "{d}");
        let labels = d["labels"].as_array().expect("labels");
        assert_eq!(
            labels.iter().filter(|l| l["primary"] == true).count(),
            1,
            "{d}"
        );
        for l in labels {
            assert!(l["message"].is_string() && l["primary"].is_boolean(), "{l}");
            assert_location(l);
        }
        let primary = labels
            .iter()
            .find(|l| l["primary"] == true)
            .expect("primary");
        for key in ["file", "line", "column", "end_line", "end_column"] {
            assert_eq!(
                primary[key], d[key],
                "the diagnostic's place is its primary label's"
            );
        }
    }
}

fn assert_location(v: &Value) {
    assert!(v["file"].is_string(), "{v}");
    for key in ["line", "column", "end_line", "end_column"] {
        assert!(v[key].as_u64().is_some_and(|n| n >= 1), "{key} in {v}");
    }
}

#[test]
fn five_independent_mistakes_are_reported_in_one_run() {
    let s = Scratch::new("five");
    let path = s.file("five.pipe", FIVE_MISTAKES);
    let out = pipec(&["check", "--format", "json", &path]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let mut found: Vec<(String, u64)> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_string(),
                d["line"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    found.sort();
    // A syntax error in one top-level statement, an unknown name, a value of
    // the wrong type, a bad unit and a duplicate, each on its own line.
    assert_eq!(
        found,
        [
            ("E0001".to_string(), 21),
            ("E0006".to_string(), 9),
            ("E0101".to_string(), 8),
            ("E0102".to_string(), 11),
            ("E0201".to_string(), 16),
        ]
    );
}

/// A program the checker accepts but a target refuses: GitHub Actions cannot
/// test `feature/*` exactly (E0401), GitLab can.
const TARGET_ERROR: &str = r#"pipeline app {
  on push
  job test {
    run  "pytest"
    when branch "feature/*"
  }
}
"#;

#[test]
fn check_refuses_what_build_refuses_for_the_targets_the_program_builds_to() {
    let s = Scratch::new("target-errors");
    let app = s.file("app.pipe", TARGET_ERROR);
    // The program lives in the directory it generates files for.
    let out_dir = s.0.to_string_lossy();

    let check = pipec(&["check", &app]);
    assert_eq!(status(&check), 1, "{check:?}");
    assert!(
        String::from_utf8_lossy(&check.stderr).contains("E0401"),
        "{check:?}"
    );
    let build = pipec(&["build", &app, "--out", &out_dir]);
    assert_eq!(status(&build), 1, "{build:?}");

    // `--target` narrows both the same way.
    assert_eq!(status(&pipec(&["check", &app, "--target", "gitlab"])), 0);
    assert_eq!(
        status(&pipec(&["check", &app, "--target", "gitlab,github"])),
        1
    );
    assert_eq!(status(&pipec(&["check", &app, "--target", "gitlub"])), 2);
    let built = pipec(&["build", &app, "--out", &out_dir, "--target", "gitlab"]);
    assert_eq!(status(&built), 0, "{built:?}");

    // Without `--target`, the targets of the last build recorded in the
    // manifest of `--out`.
    let check = pipec(&["check", &app, "--out", &out_dir]);
    assert_eq!(status(&check), 0, "{check:?}");
    assert!(
        String::from_utf8_lossy(&check.stderr).contains("targets gitlab"),
        "{check:?}"
    );
}

/// The diagnostic codes of a `--format json` run.
fn codes_of(out: &Output) -> Vec<String> {
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    let mut codes: Vec<String> = v["diagnostics"]
        .as_array()
        .map(|d| {
            d.iter()
                .filter_map(|x| x["code"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    codes.sort();
    codes
}

/// Every target case of the diagnostic corpus (`tests/ui`, `// target:`):
/// `check` and `build` with the same `--target` exit alike and report the
/// same codes.
#[test]
fn check_and_build_agree_on_every_target_case() {
    let ui = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/ui");
    let s = Scratch::new("target-cases");
    let mut cases = 0;
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&ui)
        .expect("tests/ui")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pipe"))
        .collect();
    entries.sort();
    for case in entries {
        // Cases about source text may not be UTF-8; they have no targets.
        let Ok(text) = std::fs::read_to_string(&case) else {
            continue;
        };
        let Some(targets) = text
            .lines()
            .take_while(|l| l.starts_with("//"))
            .find_map(|l| l.strip_prefix("// target:"))
        else {
            continue;
        };
        let targets = targets.split_whitespace().collect::<Vec<_>>().join(",");
        // A copy in an output directory of its own, which holds the program.
        let out = s.0.join(case.file_stem().expect("name"));
        std::fs::create_dir_all(&out).expect("case directory");
        let copy = out.join(case.file_name().expect("name"));
        std::fs::write(&copy, &text).expect("copy the case");
        let path = copy.to_string_lossy().to_string();
        let check = pipec(&["check", &path, "--target", &targets, "--format", "json"]);
        let build = pipec(&[
            "build",
            &path,
            "--target",
            &targets,
            "--format",
            "json",
            "--out",
            &out.to_string_lossy(),
        ]);
        assert_eq!(
            status(&check),
            status(&build),
            "{path}: {check:?}\n{build:?}"
        );
        assert_eq!(codes_of(&check), codes_of(&build), "{path}");
        cases += 1;
    }
    assert!(cases >= 20, "only {cases} target cases");
}
