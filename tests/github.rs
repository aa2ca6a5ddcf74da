//! The GitHub Actions target on every example, and on
//! `tests/github/features.pipe` (the constructs the examples do not use):
//! whole-tree snapshots, the same bytes on every run, and the validators
//! GitHub users run — actionlint, zizmor (pedantic), the workflow JSON schema
//! and shellcheck on every `run:` script — each with zero findings.

use std::path::{Path, PathBuf};

use pipec_check::check;
use pipec_emit::OutputTree;
use pipec_tests::fs;
use pipec_tests::{CwdGuard, examples, render, root, run, scratch, text, tool, write_tree};
use yaml_serde::Value;

/// The programs checked here: every example, and the feature fixture.
fn cases() -> Vec<String> {
    let mut c = examples();
    c.push("features".into());
    c
}

fn github(case: &str) -> OutputTree {
    if case != "features" {
        return render(case, &["github"]);
    }
    let _cwd = CwdGuard::enter(&root());
    let checked = check(
        Path::new("tests/github/features.pipe"),
        &fs(Path::new("tests/github/features.pipe")),
    )
    .expect("fixture readable");
    let program = checked
        .program
        .unwrap_or_else(|| panic!("fixture has errors: {:#?}", checked.diagnostics));
    pipec::emit(&program, &["github"]).unwrap_or_else(|d| panic!("{d:#?}"))
}

/// Every case's workflows written under one directory; returns the files.
fn written(name: &str) -> (PathBuf, Vec<String>) {
    let dir = scratch(name);
    let mut files = Vec::new();
    for e in cases() {
        let tree = github(&e);
        assert!(!tree.is_empty(), "{e}: no workflow");
        write_tree(&tree, &dir.join(&e));
        for f in tree.files() {
            files.push(format!("{e}/{}", f.path));
        }
    }
    (dir, files)
}

#[test]
fn whole_tree_snapshots() {
    for e in cases() {
        insta::assert_snapshot!(format!("github-{e}"), github(&e).render());
    }
}

#[test]
fn output_is_byte_identical_across_runs() {
    for e in cases() {
        assert_eq!(github(&e).render(), github(&e).render(), "{e}");
    }
}

#[test]
fn actionlint_finds_nothing() {
    let Some(actionlint) = tool("actionlint") else {
        return;
    };
    let (dir, files) = written("github-actionlint");
    let args: Vec<&str> = files.iter().map(String::as_str).collect();
    let out = run(&actionlint, &args, &dir);
    assert!(out.status.success(), "actionlint:\n{}", text(&out));
}

#[test]
fn workflow_schema_accepts_every_workflow() {
    let Some(cj) = tool("check-jsonschema") else {
        return;
    };
    let (dir, files) = written("github-schema");
    let mut args = vec!["--builtin-schema", "vendor.github-workflows"];
    args.extend(files.iter().map(String::as_str));
    let out = run(&cj, &args, &dir);
    assert!(out.status.success(), "check-jsonschema:\n{}", text(&out));
}

/// zizmor's findings per file, for a persona.
fn zizmor(persona: &str, dir: &Path, files: &[String]) -> Vec<(String, usize)> {
    let zizmor = tool("zizmor").expect("checked by the caller");
    let mut counts = Vec::new();
    for f in files {
        let out = run(
            &zizmor,
            &[
                "--offline",
                "--no-config",
                "--strict-collection",
                "--persona",
                persona,
                "--format",
                "json",
                "-q",
                f,
            ],
            dir,
        );
        let code = out.status.code().unwrap_or(-1);
        assert!(
            code == 0 || (11..=14).contains(&code),
            "zizmor failed on {f} ({code}):\n{}",
            text(&out)
        );
        let findings: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
        let n = findings.as_array().map_or(0, Vec::len);
        if persona == "pedantic" {
            assert_eq!(
                n,
                0,
                "zizmor --persona pedantic on {f}:\n{}",
                serde_json::to_string_pretty(&findings).unwrap_or_default()
            );
        }
        counts.push((f.clone(), n));
    }
    counts
}

#[test]
fn zizmor_pedantic_finds_nothing() {
    if tool("zizmor").is_none() {
        return;
    }
    let (dir, files) = written("github-zizmor");
    zizmor("pedantic", &dir, &files);
    // The auditor persona reports likely false positives too; its count is
    // measured, not required to be zero (docs/targets/github.md says why).
    for (f, n) in zizmor("auditor", &dir, &files) {
        eprintln!("zizmor --persona auditor: {n} finding(s) in {f}");
    }
}

/// A `run:` script with the shell it runs in and the variables its step,
/// job and workflow set.
struct Script {
    origin: String,
    shell: String,
    env: Vec<String>,
    body: String,
}

fn env_names(v: &Value) -> Vec<String> {
    v.get("env")
        .and_then(Value::as_mapping)
        .map(|m| {
            m.keys()
                .filter_map(|k| k.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn shell_of(v: &Value) -> Option<String> {
    v.get("defaults")?
        .get("run")?
        .get("shell")?
        .as_str()
        .map(String::from)
}

fn scripts(file: &str, doc: &Value) -> Vec<Script> {
    let mut out = Vec::new();
    let wf_env = env_names(doc);
    let wf_shell = shell_of(doc).unwrap_or_else(|| "bash".into());
    let jobs = doc.get("jobs").and_then(Value::as_mapping).expect("jobs");
    for (name, job) in jobs {
        let name = name.as_str().unwrap_or_default();
        let shell = shell_of(job).unwrap_or_else(|| wf_shell.clone());
        let steps = job
            .get("steps")
            .and_then(Value::as_sequence)
            .expect("steps");
        for (i, step) in steps.iter().enumerate() {
            let Some(body) = step.get("run").and_then(Value::as_str) else {
                continue;
            };
            let mut env = wf_env.clone();
            env.extend(env_names(job));
            env.extend(env_names(step));
            out.push(Script {
                origin: format!("{file}: jobs.{name}.steps[{i}]"),
                shell: shell.clone(),
                env,
                body: body.to_string(),
            });
        }
    }
    out
}

#[test]
fn shellcheck_finds_nothing_in_run_scripts() {
    let Some(shellcheck) = tool("shellcheck") else {
        return;
    };
    let dir = scratch("github-shellcheck");
    let mut all = Vec::new();
    for e in cases() {
        for f in github(&e).files() {
            let doc: Value = yaml_serde::from_str(&f.body).expect("workflow parses");
            all.extend(scripts(&format!("{e}/{}", f.path), &doc));
        }
    }
    assert!(all.len() > 20, "only {} scripts found", all.len());
    for (i, s) in all.iter().enumerate() {
        assert!(
            !s.body.contains("${{"),
            "{}: an expression inside run:\n{}",
            s.origin,
            s.body
        );
        // The variables the step receives are assigned, as far as shellcheck
        // can tell, before the script proper.
        let mut file = format!("# {}\n", s.origin);
        for v in &s.env {
            file.push_str(&format!(": \"${{{v}=}}\"\n"));
        }
        file.push_str(&s.body);
        let path = dir.join(format!("script-{i}.sh"));
        std::fs::write(&path, file).expect("write script");
        let out = run(
            &shellcheck,
            &[
                "-s",
                &s.shell,
                "-f",
                "gcc",
                path.to_str().expect("utf-8 path"),
            ],
            &dir,
        );
        assert!(
            out.status.success(),
            "shellcheck on {}:\n{}\n{}",
            s.origin,
            text(&out),
            s.body
        );
    }
}

/// Both readers, YAML 1.1 (PyYAML) and the project's own (yaml_serde), read
/// every generated workflow as the same data.
#[test]
fn yaml_readers_agree_on_every_workflow() {
    let Some(python) = tool("python") else {
        return;
    };
    let (dir, files) = written("github-readers");
    let mut args = vec![
        "-c",
        "import json, sys, yaml\nprint(json.dumps([yaml.safe_load(open(f, encoding='utf-8')) for f in sys.argv[1:]]))",
    ];
    args.extend(files.iter().map(String::as_str));
    let out = run(&python, &args, &dir);
    assert!(out.status.success(), "python:\n{}", text(&out));
    let pyyaml: Vec<serde_json::Value> =
        serde_json::from_slice(&out.stdout).expect("python prints JSON");
    for (f, py) in files.iter().zip(pyyaml) {
        let body = std::fs::read_to_string(dir.join(f)).expect("read workflow");
        let ours: serde_json::Value = yaml_serde::from_str(&body).expect("yaml_serde reads it");
        assert_eq!(py, ours, "{f}: PyYAML and yaml_serde disagree");
    }
}

/// The release run does no more than it must: image scans read the archive
/// without `docker load` and keep Trivy's database between runs (only looked
/// up in tag runs), and the layer cache is pushed by a job nothing waits
/// for, not by the publish job.
#[test]
fn scans_and_the_layer_cache_stay_off_the_release_path() {
    for e in examples() {
        let program = pipec_tests::program(&e);
        let tree = github(&e);
        // Each pipeline is a workflow of its own.
        for pipeline in &program.pipelines {
            let path = pipec_emit::layout::github_workflow(pipeline);
            let file = tree
                .files()
                .find(|f| f.path == path)
                .unwrap_or_else(|| panic!("{e}: no {path}"));
            let doc: Value = yaml_serde::from_str(&file.body).expect("YAML");
            let jobs = doc["jobs"].as_mapping().expect("jobs");
            let steps = |name: &str| -> Vec<Value> {
                doc["jobs"][name]["steps"]
                    .as_sequence()
                    .cloned()
                    .unwrap_or_default()
            };
            let uses = |s: &Value, action: &str| {
                s["uses"]
                    .as_str()
                    .is_some_and(|u| u.starts_with(&format!("{action}@")))
            };
            for job in &pipeline.jobs {
                match &job.kind {
                    pipec_graph::JobKind::Run(r) if job.role == pipec_graph::Role::ImageScan => {
                        let steps = steps(&job.name);
                        assert!(!r.images.is_empty(), "{e} {}", job.name);
                        assert!(
                            steps
                                .iter()
                                .all(|s| !s["run"].as_str().unwrap_or("").contains("docker load")),
                            "{e} {}: loads the image it scans as a file",
                            job.name
                        );
                        let cache = steps
                            .iter()
                            .find(|s| uses(s, "actions/cache"))
                            .unwrap_or_else(|| panic!("{e} {}: no Trivy database cache", job.name));
                        assert_eq!(cache["with"]["path"], "~/.cache/trivy/db");
                        let key = cache["with"]["key"].as_str().expect("key");
                        assert!(
                            key.contains("steps.trivy-db-period.outputs.period"),
                            "{key}"
                        );
                        assert_eq!(
                            cache["with"]["lookup-only"],
                            "${{ startsWith(github.ref, 'refs/tags/') }}",
                            "{e}: a release restores no database another run saved"
                        );
                    }
                    pipec_graph::JobKind::PublishImage(p) => {
                        let publish = program.publish(*p);
                        assert!(
                            steps(&job.name)
                                .iter()
                                .all(|s| !uses(s, "docker/build-push-action")),
                            "{e} {}: builds again",
                            job.name
                        );
                        let cache_job = format!("{}-cache", job.name);
                        assert_eq!(
                            doc["jobs"].get(&cache_job).is_some(),
                            publish.layer_cache,
                            "{e}: {cache_job}"
                        );
                        for (id, other) in jobs {
                            let needs = other["needs"].as_sequence().cloned().unwrap_or_default();
                            assert!(
                                !needs.iter().any(|n| n.as_str() == Some(cache_job.as_str())),
                                "{e}: {} waits for the layer cache",
                                id.as_str().unwrap_or("?")
                            );
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}
