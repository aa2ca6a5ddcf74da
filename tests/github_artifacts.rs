//! A job's `artifact` reaches the later jobs that need it on GitHub Actions,
//! as on GitLab: the producer uploads its paths, each job that waits for it
//! downloads them into its workspace at the same paths. Read from the
//! workflow's job graph, and checked with actionlint and zizmor.

use pipec_tests::{emitted, program_from, run, scratch, tool};
use yaml_serde::Value;

const PROGRAM: &str = r#"use std.docker

pipeline app {
  on push

  job jar {
    tool     java "21"
    run      "./gradlew bootJar"
    artifact "build/libs/" expire 1d
  }
  job docs {
    matrix   { part: ["api", "guide"] }
    run      "make docs"
    artifact ["site/", "search.json"]
  }
  job e2e {
    after [jar, docs]
    run   "java -jar build/libs/app.jar --selftest"
  }
  job lint { run "make lint" }
  image app = docker.build(after: [jar])
}
"#;

fn steps(doc: &Value, job: &str) -> Vec<Value> {
    doc["jobs"][job]["steps"]
        .as_sequence()
        .unwrap_or_else(|| panic!("{job} has steps"))
        .clone()
}

fn uses(step: &Value, action: &str) -> bool {
    step["uses"]
        .as_str()
        .is_some_and(|u| u.starts_with(&format!("actions/{action}@")))
}

/// The names of the artifacts a job uploads, with their paths.
fn uploads(doc: &Value, job: &str) -> Vec<(String, Vec<String>)> {
    steps(doc, job)
        .iter()
        .filter(|s| uses(s, "upload-artifact"))
        .map(|s| {
            let paths = s["with"]["path"].as_str().unwrap_or_default();
            (
                s["with"]["name"].as_str().unwrap_or_default().to_string(),
                paths.lines().map(String::from).collect(),
            )
        })
        .collect()
}

/// The artifact name patterns a job downloads, each with its position among
/// the job's steps.
fn downloads(doc: &Value, job: &str) -> Vec<(String, usize)> {
    steps(doc, job)
        .iter()
        .enumerate()
        .filter(|(_, s)| uses(s, "download-artifact") && s["with"]["pattern"].is_string())
        .map(|(i, s)| {
            assert_eq!(s["with"]["merge-multiple"], Value::Bool(true), "{job}");
            assert!(s["with"].get("path").is_none(), "{job}: into the workspace");
            (
                s["with"]["pattern"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                i,
            )
        })
        .collect()
}

fn needs(doc: &Value, job: &str) -> Vec<String> {
    match &doc["jobs"][job]["needs"] {
        Value::Sequence(s) => s
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        Value::String(s) => vec![s.clone()],
        _ => Vec::new(),
    }
}

#[test]
fn artifacts_reach_the_jobs_that_need_them() {
    let program = program_from(PROGRAM);
    let workflow = emitted(&program, &["github"], ".github/workflows/app.yml");
    let doc: Value = yaml_serde::from_str(&workflow).expect("workflow parses");

    // The producers upload their paths, with a pattern at the workspace root
    // that keeps them relative to the workspace.
    assert_eq!(
        uploads(&doc, "jar"),
        [(
            "jar-artifacts".to_string(),
            vec![
                "build/libs/".to_string(),
                ".pipec-workspace-root".to_string()
            ]
        )]
    );
    assert_eq!(
        uploads(&doc, "docs"),
        [(
            "docs-artifacts-${{ matrix.part }}".to_string(),
            vec![
                "site/".to_string(),
                "search.json".to_string(),
                ".pipec-workspace-root".to_string()
            ]
        )]
    );

    // Every job downloads what the jobs it needs kept, and nothing else,
    // right after its checkout.
    let jobs: Vec<String> = doc["jobs"]
        .as_mapping()
        .expect("jobs")
        .keys()
        .filter_map(|k| k.as_str().map(String::from))
        .collect();
    for job in &jobs {
        let wanted: Vec<String> = needs(&doc, job)
            .iter()
            .filter(|n| {
                uploads(&doc, n)
                    .iter()
                    .any(|(name, _)| name.starts_with(&format!("{n}-artifacts")))
            })
            .map(|n| format!("{n}-artifacts*"))
            .collect();
        let got = downloads(&doc, job);
        let patterns: Vec<String> = got.iter().map(|(p, _)| p.clone()).collect();
        assert_eq!(patterns, wanted, "{job}");
        for (i, (p, at)) in got.iter().enumerate() {
            assert_eq!(*at, i + 1, "{job}: {p} right after the checkout");
        }
        // Each pattern names what a producer uploads.
        for p in &patterns {
            let prefix = p.trim_end_matches('*');
            assert!(
                needs(&doc, job)
                    .iter()
                    .flat_map(|n| uploads(&doc, n))
                    .any(|(name, _)| name.starts_with(prefix)),
                "{job}: {p}"
            );
        }
    }
    assert_eq!(downloads(&doc, "e2e").len(), 2);
    assert_eq!(downloads(&doc, "build_app").len(), 1);
    assert!(downloads(&doc, "lint").is_empty());

    let dir = scratch("github-artifacts");
    let path = dir.join(".github/workflows/app.yml");
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&path, pipec_emit::header::wrap(&workflow, "app.pipe")).expect("write");
    if let Some(actionlint) = tool("actionlint") {
        let out = run(&actionlint, &[".github/workflows/app.yml"], &dir);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    if let Some(zizmor) = tool("zizmor") {
        let out = run(
            &zizmor,
            &[
                "--offline",
                "--no-config",
                "--persona",
                "pedantic",
                "-q",
                ".github/workflows/app.yml",
            ],
            &dir,
        );
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
