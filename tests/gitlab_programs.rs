//! The GitLab target on small programs: what it cannot express (each error
//! with its code and the user's span), and features the examples do not use
//! — schedules, runs by hand with inputs, run-time text, a test stage after
//! the build — checked with the real validators.

use std::path::{Path, PathBuf};

use pipec_check::{Checked, MemoryFs, check};
use pipec_tests::{scratch, tool, write_tree};
use yaml_serde::Value;

fn checked(text: &str) -> Checked {
    let fs = MemoryFs(
        [(PathBuf::from("app/main.pipe"), text.to_string())]
            .into_iter()
            .collect(),
    );
    let c = check(Path::new("app"), &fs).expect("readable");
    let errors: Vec<String> = c
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    c
}

/// The GitLab target's errors: (code, the source text under the primary label).
fn errors(text: &str) -> Vec<(String, String)> {
    let c = checked(text);
    let program = c.program.as_ref().expect("program");
    match pipec::emit(program, &["gitlab"]) {
        Ok(_) => Vec::new(),
        Err(diags) => diags
            .iter()
            .map(|d| {
                (
                    d.code.to_string(),
                    c.sources.slice(d.primary_span()).to_string(),
                )
            })
            .collect(),
    }
}

fn body(text: &str) -> String {
    let c = checked(text);
    let tree = pipec::emit(c.program.as_ref().expect("program"), &["gitlab"])
        .unwrap_or_else(|d| panic!("{d:#?}"));
    tree.get(".gitlab-ci.yml").expect("written").body.clone()
}

#[test]
fn several_pipelines_are_child_pipelines_of_one_gitlab_file() {
    let c = checked(
        "pipeline api { on push to main paths [\"api/**\"]; on merge_request; job a { run \"true\"; when event pull_request } }\npipeline docs { on push; job b { run \"true\" } }\n",
    );
    let tree = pipec::emit(c.program.as_ref().expect("program"), &["gitlab"])
        .unwrap_or_else(|d| panic!("{d:#?}"));
    let paths: Vec<&str> = tree.files().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            ".gitlab-ci.yml",
            ".gitlab/pipelines/api.gitlab-ci.yml",
            ".gitlab/pipelines/docs.gitlab-ci.yml"
        ]
    );
    let parent: yaml_serde::Value =
        yaml_serde::from_str(&tree.get(".gitlab-ci.yml").expect("parent").body).expect("YAML");
    let api = &parent["api"];
    assert_eq!(
        api["trigger"]["include"][0]["local"],
        ".gitlab/pipelines/api.gitlab-ci.yml"
    );
    assert_eq!(api["trigger"]["strategy"], "depend");
    // The trigger's path filter is the trigger job's, not the parent's.
    let rules = api["rules"].as_sequence().expect("rules");
    assert!(
        rules.iter().any(|r| r["changes"][0] == "api/**/*"),
        "{rules:?}"
    );
    let workflow = parent["workflow"]["rules"].as_sequence().expect("rules");
    assert!(
        workflow.iter().all(|r| r.get("changes").is_none()),
        "the parent runs for every change: {workflow:?}"
    );
    let child = &tree
        .get(".gitlab/pipelines/api.gitlab-ci.yml")
        .expect("child")
        .body;
    assert!(
        child.contains("$CI_PIPELINE_SOURCE == \"parent_pipeline\""),
        "{child}"
    );
    assert!(
        child.contains("$PIPEC_EVENT == \"pull_request\""),
        "{child}"
    );
    assert!(!child.contains("merge_request_event"), "{child}");
}

#[test]
fn job_names_that_are_gitlab_keywords() {
    let e =
        errors("pipeline p { on push; job pages { run \"true\" }; job cache { run \"true\" } }\n");
    let codes: Vec<&str> = e.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(codes, ["E0421", "E0421"], "{e:?}");
    assert!(
        e[0].1.contains("pages") && e[1].1.contains("cache"),
        "{e:?}"
    );
}

#[test]
fn macos_runners() {
    let e = errors("pipeline p { on push; job ios { runs_on macos; run \"true\" } }\n");
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].0, "E0422");
    // The diagnostic points at the runner the job names.
    assert_eq!(e[0].1, "macos", "{e:?}");
}

#[test]
fn caches_keyed_on_more_than_two_files() {
    let e = errors(
        "pipeline p { on push; job t { tool python \"3.12\"; cache pip keyed [\"a.txt\", \"b.txt\", \"c.txt\"]; run \"true\" } }\n",
    );
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].0, "E0423");
}

#[test]
fn matrices_over_gitlabs_limit() {
    let values: Vec<String> = (0..15).map(|i| format!("\"v{i}\"")).collect();
    let list = values.join(", ");
    let e = errors(&format!(
        "pipeline p {{ on push; job t {{ matrix {{ a: [{list}], b: [{list}] }}; run \"true\" }} }}\n"
    ));
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].0, "E0424");
}

#[test]
fn more_than_fifty_named_dependencies() {
    let mut text = String::from("pipeline p {\n  on push\n  job other { run \"true\" }\n");
    let mut names = Vec::new();
    for i in 0..51 {
        text.push_str(&format!("  job j{i} {{ run \"true\" }}\n"));
        names.push(format!("j{i}"));
    }
    text.push_str(&format!(
        "  job last {{ after [{}]; run \"true\" }}\n}}\n",
        names.join(", ")
    ));
    let e = errors(&text);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].0, "E0425");
    assert!(e[0].1.contains("last"), "{e:?}");
}

#[test]
fn after_all_waits_for_more_than_fifty_jobs_without_needs() {
    let mut text = String::from("pipeline p {\n  on push\n  job lint { run \"true\" }\n");
    for i in 0..51 {
        text.push_str(&format!("  job j{i} {{ run \"true\" }}\n"));
    }
    text.push_str("  job last { after all; run \"true\" }\n}\n");
    assert_eq!(errors(&text), Vec::new());
    let d = doc(&text);
    let stages: Vec<String> = yaml_serde::from_value(d["stages"].clone()).expect("stages");
    assert_eq!(stages, ["other", "other-2"]);
    // The stage order says what `needs:` could not list.
    assert_eq!(d["last"]["stage"].as_str(), Some("other-2"));
    assert_eq!(d["last"]["needs"], Value::Null);
    validate("after-all", &text);
}

#[test]
fn images_for_several_platforms() {
    let program = "use std.docker\npipeline p {\n  on push\n  image app = docker.build(platforms: [\"linux/amd64\", \"linux/arm64\"])\n  job scan { load app; run \"true\" }\n}\n";
    assert_eq!(errors(program), Vec::new());
    let e = errors(&program.replace("linux/arm64", "linux/sparc64"));
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].0, "E0426");
}

#[test]
fn secrets_gitlab_cannot_name() {
    let e = errors(
        "pipeline p { on push; job t { env { TOKEN: secret(\"deploy-token\") }; run \"true\" } }\n",
    );
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].0, "E0427");
    assert_eq!(e[0].1, "\"deploy-token\"");
}

const OPS: &str = r#"
pipeline ops {
  on schedule "0 3 * * *"
  on dispatch(target: environment = dev, dry_run: bool = false, note: string)
  env { REPORT_URL: "{{ ci.run_url }}", TEAM_TOKEN: secret("TEAM_TOKEN") }
  job report {
    env { SHA7: "sha-{{ ci.short_sha }}" }
    matrix { shard: ["1", "2", "3"] }
    exclude { shard: "2" }
    run "echo 'checking {{ inputs.target }}' shard {{ matrix.shard }} at {{ ci.short_sha }}"
  }
  job apply {
    when inputs.dry_run == false and branch main
    after report
    timeout 90m
    allow_failure
    run "echo \"applying {{ inputs.note }}\""
  }
}
environment dev { namespace "ops-dev"; deploy on branch main }
environment prod { namespace "ops-prod"; promote from dev, approvals 2 }
"#;

fn doc(text: &str) -> Value {
    yaml_serde::from_str(&body(text)).expect("YAML")
}

#[test]
fn schedules_and_runs_by_hand() {
    let text = body(OPS);
    assert!(
        text.contains("- A pipeline schedule (Build > Pipeline schedules): \"0 3 * * *\", UTC."),
        "{text}"
    );
    let d: Value = yaml_serde::from_str(&text).expect("YAML");
    let rules = d["workflow"]["rules"].as_sequence().expect("rules");
    let conditions: Vec<&str> = rules.iter().filter_map(|r| r["if"].as_str()).collect();
    assert_eq!(
        conditions,
        [
            "$CI_PIPELINE_SOURCE == \"schedule\" && $CI_COMMIT_TAG",
            "$CI_PIPELINE_SOURCE == \"schedule\"",
            "$CI_PIPELINE_SOURCE =~ /^(web|api)$/ && $CI_COMMIT_TAG",
            "$CI_PIPELINE_SOURCE =~ /^(web|api)$/",
        ]
    );
    let vars = &d["variables"];
    assert_eq!(vars["PIPEC_INPUT_TARGET"]["value"].as_str(), Some("dev"));
    assert_eq!(
        yaml_serde::from_value::<Vec<String>>(vars["PIPEC_INPUT_TARGET"]["options"].clone())
            .expect("options"),
        ["dev", "prod"]
    );
    assert_eq!(vars["PIPEC_INPUT_DRY_RUN"]["value"].as_str(), Some("false"));
    assert_eq!(vars["PIPEC_INPUT_NOTE"]["value"].as_str(), Some(""));
    assert_eq!(vars["REPORT_URL"].as_str(), Some("${CI_PIPELINE_URL}"));
    assert_eq!(vars["TEAM_TOKEN"], Value::Null);

    let apply = &d["apply"];
    assert_eq!(
        apply["rules"][0]["if"].as_str(),
        Some(
            "$CI_PIPELINE_SOURCE =~ /^(web|api)$/ && $PIPEC_INPUT_DRY_RUN == \"false\" && $CI_COMMIT_BRANCH =~ /^main$/"
        )
    );
    assert_eq!(apply["timeout"].as_str(), Some("1h 30m"));
    assert_eq!(apply["allow_failure"].as_bool(), Some(true));
    let script: Vec<String> = yaml_serde::from_value(apply["script"].clone()).expect("script");
    assert_eq!(script, ["echo \"applying ${PIPEC_INPUT_NOTE:-}\""]);

    let report = &d["report"];
    let script: Vec<String> = yaml_serde::from_value(report["script"].clone()).expect("script");
    assert_eq!(
        script,
        [
            "SHA7=\"sha-$(printf '%.7s' \"$CI_COMMIT_SHA\")\"\nexport SHA7",
            "echo 'checking '\"${PIPEC_INPUT_TARGET:-}\"'' shard \"${PIPEC_MATRIX_SHARD:-}\" at \"$(printf '%.7s' \"$CI_COMMIT_SHA\")\"",
        ]
    );
    let shards: Vec<Value> =
        yaml_serde::from_value(report["parallel"]["matrix"].clone()).expect("matrix");
    assert_eq!(shards.len(), 2);
    assert_eq!(shards[1]["PIPEC_MATRIX_SHARD"].as_str(), Some("3"));
    validate("ops", OPS);
}

#[test]
fn a_test_after_the_build_gets_a_stage_of_its_own() {
    let text = r#"
use std.docker
pipeline p {
  on push
  job unit { role test; run "true" }
  image app = docker.build(after: [unit])
  job smoke { role test; load app; run "docker image load --input app.tar" }
  job docs { run "true" }
}
"#;
    let d = doc(text);
    let stages: Vec<String> = yaml_serde::from_value(d["stages"].clone()).expect("stages");
    assert_eq!(stages, ["test", "other", "build", "test-2"]);
    assert_eq!(d["smoke"]["stage"].as_str(), Some("test-2"));
    assert_eq!(d["smoke"]["needs"][0].as_str(), Some("build_app"));
    // `docs` waits for nothing, though its stage comes after `test`.
    assert_eq!(d["docs"]["needs"], Value::Sequence(Vec::new()));
    validate("stages", text);
}

/// The schema and gitlab-ci-local accept the program's file.
fn validate(name: &str, text: &str) {
    let c = checked(text);
    let tree = pipec::emit(c.program.as_ref().expect("program"), &["gitlab"]).expect("emits");
    let dir = scratch(&format!("gitlab-program-{name}"));
    write_tree(&tree, &dir);
    if let Some(checker) = tool("check-jsonschema") {
        let out = pipec_tests::run(
            &checker,
            &["--builtin-schema", "vendor.gitlab-ci", ".gitlab-ci.yml"],
            &dir,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    if let Some(check) = tool("gitlab-ci-check") {
        let out = pipec_tests::run(&check, &[dir.to_str().expect("utf-8")], &dir);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
