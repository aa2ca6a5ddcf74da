//! `pipec lint` end to end: SARIF validates against the SARIF 2.1.0 schema,
//! the JSON and GitHub forms carry what they promise, exit codes follow
//! `--deny`, and every example program lints clean.

use std::path::{Path, PathBuf};
use std::process::Command;

use pipec_check::check;
use pipec_lint::{Batch, Config, Session, report};
use pipec_tests::fs;

fn seeds() -> PathBuf {
    pipec_tests::root().join("tests/fixtures/lint/seeds")
}

/// The seed pipelines as one batch.
fn seed_batch() -> Batch {
    let mut s = Session::new(Default::default(), Config::default());
    for f in [
        "000-deploy.yml",
        "000.gitlab-ci.yml",
        "003-ci.yml",
        "000-deployment.yaml",
    ] {
        let text = std::fs::read_to_string(seeds().join(f)).expect("seed");
        s.add_yaml(&format!("tests/fixtures/lint/seeds/{f}"), &text);
    }
    s.finish()
}

#[test]
fn sarif_validates_against_the_sarif_2_1_0_schema() {
    let batches = [seed_batch()];
    let sarif = report::sarif::sarif(&batches, usize::MAX);
    let v: serde_json::Value = serde_json::from_str(&sarif).expect("SARIF is JSON");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert!(rules.iter().all(
        |r| r["helpUri"].as_str().is_some_and(|u| u.ends_with(&format!(
            "docs/rules/{}.md",
            r["id"].as_str().unwrap_or("?")
        )))
    ));
    assert_eq!(
        run["results"].as_array().map(Vec::len),
        Some(batches[0].findings.len())
    );
    let Some(tool) = pipec_tests::tool("check-jsonschema") else {
        return;
    };
    let dir = pipec_tests::scratch("lint-sarif");
    let out = dir.join("pipec.sarif");
    std::fs::write(&out, &sarif).expect("write");
    let schema = pipec_tests::root().join("tests/fixtures/lint/sarif/sarif-schema-2.1.0.json");
    let r = pipec_tests::run(
        &tool,
        &[
            "--schemafile",
            schema.to_str().expect("utf-8"),
            out.to_str().expect("utf-8"),
        ],
        &dir,
    );
    assert!(
        r.status.success(),
        "{}{}",
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr)
    );
}

#[test]
fn json_carries_codes_positions_and_yaml_paths() {
    let json = report::json(&[seed_batch()], usize::MAX);
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(v["version"], 1);
    let findings = v["findings"].as_array().expect("findings");
    let template = findings
        .iter()
        .find(|f| f["code"] == "PIPE203")
        .expect("template injection in seed 003");
    assert_eq!(template["name"], "template-injection");
    assert_eq!(template["file"], "tests/fixtures/lint/seeds/003-ci.yml");
    assert_eq!(template["line"], 128);
    assert_eq!(template["path"], "jobs.deploy.steps[2].run");
    let errors = findings.iter().filter(|f| f["severity"] == "error").count();
    assert_eq!(v["summary"]["errors"], errors);
}

#[test]
fn github_annotations_are_one_command_per_finding() {
    let batch = seed_batch();
    let out = report::github(std::slice::from_ref(&batch), usize::MAX);
    assert_eq!(out.lines().count(), batch.findings.len());
    assert!(
        out.lines()
            .all(|l| l.starts_with("::error file=") || l.starts_with("::warning file="))
    );
    assert!(out.contains("::error file=tests/fixtures/lint/seeds/003-ci.yml,line=128,col="));
}

#[test]
fn every_example_program_lints_clean() {
    let _cwd = pipec_tests::CwdGuard::enter(&pipec_tests::root());
    for e in pipec_tests::examples() {
        let checked = check(
            Path::new(&format!("examples/{e}")),
            &fs(Path::new(&format!("examples/{e}"))),
        )
        .expect("example");
        let program = checked.program.expect("example checks");
        let mut s = Session::new(checked.sources, Config::default());
        s.add_program(&program);
        let batch = s.finish();
        let shown = report::human(std::slice::from_ref(&batch), Default::default(), usize::MAX);
        assert!(batch.findings.is_empty(), "{e}:\n{shown}");
    }
}

/// The `pipec` binary next to this test's executable, built if needed.
#[test]
fn exit_codes_follow_deny() {
    let bin = pipec_tests::pipec_exe();
    let root = pipec_tests::root();
    let run = |args: &[&str]| {
        let o = Command::new(&bin)
            .args(args)
            .current_dir(&root)
            .output()
            .expect("run pipec");
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).to_string(),
        )
    };
    // Errors: exit 1.
    assert_eq!(
        run(&["lint", "tests/fixtures/lint/seeds/003-ci.yml"]).0,
        Some(1)
    );
    // Only warnings: 0 by default, 1 with --deny warning.
    let warnings = "tests/fixtures/lint/github/PIPE205-credentials.yml";
    assert_eq!(run(&["lint", warnings]).0, Some(0));
    assert_eq!(run(&["lint", warnings, "--deny", "warning"]).0, Some(1));
    // Clean input.
    assert_eq!(run(&["lint", "examples/flask-api"]).0, Some(0));
    // Usage and I/O errors: 2.
    assert_eq!(run(&["lint", "no/such/file.yml"]).0, Some(2));
    assert_eq!(run(&["lint", "--format", "xml"]).0, Some(2));
    // A configuration turns a rule off.
    let (code, out) = run(&[
        "lint",
        "tests/fixtures/lint/github/PIPE201-unpinned.yml",
        "--config",
        "tests/fixtures/lint/config/levels.toml",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(1), "levels.toml has errors of its own");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(codes.contains(&"PIPE004") && codes.contains(&"PIPE005"));
    assert!(
        v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["code"] == "PIPE201")
            .all(|f| f["severity"] == "warning")
    );
    // explain knows lint rules.
    let (code, out) = run(&["explain", "PIPE101"]);
    assert_eq!(code, Some(0));
    assert!(out.starts_with("# PIPE101 prod-manual-approval"));
}
