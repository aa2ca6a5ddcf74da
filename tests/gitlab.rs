//! The GitLab target on every example: whole-tree snapshots, byte-identical
//! output, GitLab's JSON schema (check-jsonschema), gitlab-ci-local's parser,
//! and — with gitlab-ci-local evaluating the rules — which jobs each kind of
//! pipeline creates and which of them wait for a person.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use pipec_tests::{examples, render, scratch, tool, write_tree};
use yaml_serde::Value;

fn gitlab(example: &str) -> pipec_emit::OutputTree {
    render(example, &["gitlab"])
}

fn document(example: &str) -> Value {
    let tree = gitlab(example);
    let file = tree
        .get(".gitlab-ci.yml")
        .expect("the GitLab target writes .gitlab-ci.yml");
    yaml_serde::from_str(&file.body).expect("valid YAML")
}

#[test]
fn snapshots() {
    for e in examples() {
        insta::assert_snapshot!(format!("gitlab-{e}"), gitlab(&e).render());
    }
}

#[test]
fn output_is_byte_identical_across_runs() {
    for e in examples() {
        assert_eq!(gitlab(&e).render(), gitlab(&e).render(), "{e}");
    }
}

#[test]
fn every_example_matches_the_gitlab_ci_schema() {
    let Some(checker) = tool("check-jsonschema") else {
        return;
    };
    let dir = scratch("gitlab-schema");
    let mut files = Vec::new();
    for e in examples() {
        let d = dir.join(&e);
        write_tree(&gitlab(&e), &d);
        files.push(d.join(".gitlab-ci.yml").to_string_lossy().to_string());
    }
    let mut args = vec!["--builtin-schema", "vendor.gitlab-ci"];
    args.extend(files.iter().map(String::as_str));
    let out = pipec_tests::run(&checker, &args, &dir);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_example_parses_in_gitlab_ci_local() {
    let Some(check) = tool("gitlab-ci-check") else {
        return;
    };
    let dir = scratch("gitlab-parse");
    for e in examples() {
        let d = dir.join(&e);
        write_tree(&gitlab(&e), &d);
        let out = pipec_tests::run(&check, &[d.to_str().expect("utf-8 path")], &dir);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{e}: {stderr}");
        let jobs: serde_json::Value = serde_json::from_slice(&out.stdout).expect("job list");
        assert!(
            jobs.as_array().is_some_and(|j| !j.is_empty()),
            "{e}: {jobs}"
        );
        let out = pipec_tests::run(
            &check,
            &[
                d.to_str().expect("utf-8 path"),
                "--validate-dependency-chain",
                "--no-color",
            ],
            &dir,
        );
        assert!(
            out.status.success(),
            "{e}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn stages_are_named_by_what_they_hold() {
    let stages = |e: &str| -> Vec<String> {
        yaml_serde::from_value(document(e)["stages"].clone()).expect("a list of stages")
    };
    assert_eq!(
        stages("flask-api"),
        [
            "lint",
            "test",
            "build",
            "security",
            "publish",
            "deploy-dev",
            "deploy-staging",
            "deploy-prod",
            "notify"
        ]
    );
    assert_eq!(
        stages("mts-deploy-ai"),
        [
            "test",
            "integration",
            "build",
            "security",
            "publish",
            "deploy-staging",
            "deploy-production"
        ]
    );
    assert_eq!(
        stages("archon-agent"),
        [
            "lint",
            "test",
            "integration",
            "build",
            "security",
            "publish",
            "deploy-staging",
            "deploy-production",
            "notify"
        ]
    );
}

#[test]
fn deploy_jobs_carry_their_environment_and_gate() {
    let doc = document("flask-api");
    for (job, env, tier) in [
        ("deploy_dev", "dev", "development"),
        ("deploy_staging", "staging", "staging"),
        ("deploy_prod", "prod", "production"),
    ] {
        let j = &doc[job];
        assert_eq!(j["environment"]["name"].as_str(), Some(env));
        assert_eq!(j["environment"]["deployment_tier"].as_str(), Some(tier));
        assert!(
            j["environment"]["url"]
                .as_str()
                .is_some_and(|u| u.starts_with("https://"))
        );
        assert_eq!(
            j["resource_group"].as_str(),
            Some(format!("deploy-{env}").as_str())
        );
        assert!(
            j.get("interruptible").is_none(),
            "{job} must not be cancelled"
        );
        let rules = j["rules"].as_sequence().expect("rules");
        // Never in a deployment started by hand (its own jobs deploy), never
        // in merge request pipelines, whatever else the rules say.
        assert_eq!(rules[0]["if"].as_str(), Some("$PIPEC_DEPLOY_ENVIRONMENT"));
        assert_eq!(rules[0]["when"].as_str(), Some("never"));
        assert_eq!(
            rules[1]["if"].as_str(),
            Some("$CI_PIPELINE_SOURCE == \"merge_request_event\"")
        );
        assert_eq!(rules[1]["when"].as_str(), Some("never"));
        let gate = &rules[2];
        if env == "dev" {
            assert!(gate.get("when").is_none(), "{job}: {gate:?}");
        } else {
            assert_eq!(gate["when"].as_str(), Some("manual"), "{job}");
            assert_eq!(gate["allow_failure"].as_bool(), Some(false), "{job}");
        }
    }
    assert_eq!(
        doc["deploy_prod"]["rules"][2]["if"].as_str(),
        Some("$CI_COMMIT_TAG =~ /^v[^\\/]*$/")
    );
    // Deployments started by hand: the ref's image, then the environment.
    let redeploy = &doc["redeploy_prod"];
    assert_eq!(
        redeploy["rules"][0]["if"].as_str(),
        Some("$PIPEC_DEPLOY_ENVIRONMENT == \"prod\"")
    );
    assert_eq!(redeploy["rules"][0]["when"].as_str(), Some("manual"));
    assert_eq!(redeploy["resource_group"].as_str(), Some("deploy-prod"));
    assert_eq!(redeploy["needs"][0].as_str(), Some("resolve_app"));
}

#[test]
fn test_jobs_report_coverage_and_results() {
    let doc = document("flask-api");
    let test = &doc["test"];
    assert_eq!(
        test["artifacts"]["reports"]["coverage_report"]["coverage_format"].as_str(),
        Some("cobertura")
    );
    assert_eq!(
        test["artifacts"]["reports"]["junit"].as_str(),
        Some("junit.xml")
    );
    // GitLab shows the coverage the gate prints.
    assert_eq!(
        test["coverage"].as_str(),
        Some(pipec_emit::coverage::SUMMARY_REGEX)
    );
    // pytest fails under the threshold, and the gate checks the report.
    let script = yaml_serde::to_string(&test["script"]).expect("script");
    assert!(script.contains("--cov-fail-under=70"), "{script}");
    assert!(
        script.contains("pipec_coverage_gate 'coverage.xml' cobertura 70"),
        "{script}"
    );
    let matrix = &test["parallel"]["matrix"][0]["PIPEC_MATRIX_PYTHON"];
    assert_eq!(
        yaml_serde::from_value::<Vec<String>>(matrix.clone()).expect("versions"),
        ["3.10", "3.11", "3.12"]
    );
    assert_eq!(
        test["image"].as_str(),
        Some("python:${PIPEC_MATRIX_PYTHON}-slim")
    );
    assert_eq!(
        yaml_serde::from_value::<Vec<String>>(test["cache"][0]["key"]["files"].clone())
            .expect("key files"),
        ["requirements*.txt"]
    );
}

/// A kind of pipeline, as gitlab-ci-local's variables describe it.
struct Scenario {
    name: &'static str,
    args: Vec<String>,
}

fn push(branch: &str, open_merge_request: bool) -> Scenario {
    let mut args = vec![
        format!("CI_COMMIT_BRANCH={branch}"),
        format!("CI_COMMIT_REF_NAME={branch}"),
    ];
    if open_merge_request {
        args.push("CI_OPEN_MERGE_REQUESTS=acme/app!1".into());
    }
    scenario("push", args, &[])
}

fn tag(name: &str) -> Scenario {
    scenario(
        "tag",
        vec![
            format!("CI_COMMIT_TAG={name}"),
            format!("CI_COMMIT_REF_NAME={name}"),
        ],
        &["CI_COMMIT_BRANCH"],
    )
}

fn merge_request(source: &str, target: &str) -> Scenario {
    scenario(
        "merge request",
        vec![
            "CI_PIPELINE_SOURCE=merge_request_event".into(),
            format!("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME={source}"),
            format!("CI_MERGE_REQUEST_TARGET_BRANCH_NAME={target}"),
            format!("CI_COMMIT_REF_NAME={source}"),
        ],
        &["CI_COMMIT_BRANCH"],
    )
}

fn scenario(name: &'static str, vars: Vec<String>, unset: &[&str]) -> Scenario {
    let mut args = Vec::new();
    for v in vars {
        args.push("--variable".to_string());
        args.push(v);
    }
    for u in unset {
        args.push("--unset-variable".to_string());
        args.push(u.to_string());
    }
    Scenario { name, args }
}

const PROBE: &str = "pipec_workflow_probe";

/// The generated file plus a job whose `rules:` are the workflow rules, so
/// that gitlab-ci-local (which does not apply `workflow:` when listing)
/// reports whether GitLab would create the pipeline at all.
fn with_workflow_probe(example: &str, dir: &Path) {
    let mut doc = document(example);
    let rules = doc["workflow"]["rules"].clone();
    let first_stage = doc["stages"][0].clone();
    let mut probe = yaml_serde::Mapping::new();
    probe.insert("stage".into(), first_stage);
    probe.insert("script".into(), Value::Sequence(vec![":".into()]));
    probe.insert("rules".into(), rules);
    doc.as_mapping_mut()
        .expect("a mapping")
        .insert(PROBE.into(), Value::Mapping(probe));
    std::fs::create_dir_all(dir).expect("mkdir");
    std::fs::write(
        dir.join(".gitlab-ci.yml"),
        yaml_serde::to_string(&doc).expect("serializes"),
    )
    .expect("write");
}

/// `when` of each job (matrix instances folded) in the scenario, or `None`
/// when the workflow creates no pipeline.
fn evaluate(check: &Path, dir: &Path, s: &Scenario) -> Option<BTreeMap<String, String>> {
    let mut cmd = Command::new(check);
    cmd.arg(dir)
        .args(["--list-json", "--no-color"])
        .args(&s.args)
        .env(
            "GCL_IGNORE_PREDEFINED_VARS",
            "CI_PIPELINE_SOURCE,CI_COMMIT_BRANCH,CI_COMMIT_REF_NAME,CI_COMMIT_TAG",
        );
    let out = cmd.output().expect("gitlab-ci-check runs");
    assert!(
        out.status.success(),
        "{}: {}",
        s.name,
        String::from_utf8_lossy(&out.stderr)
    );
    let jobs: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("job list");
    let mut whens = BTreeMap::new();
    for j in jobs {
        let name = j["name"].as_str().expect("name");
        let base = name.split(": [").next().unwrap_or(name).to_string();
        let when = j["when"].as_str().expect("when").to_string();
        if let Some(previous) = whens.insert(base.clone(), when.clone()) {
            assert_eq!(previous, when, "{base}: matrix instances agree");
        }
    }
    let created = whens.remove(PROBE).is_some_and(|w| w != "never");
    created.then_some(whens)
}

/// Expected `when` values of some jobs; absent jobs must not be created.
fn expect(
    check: &Path,
    dir: &Path,
    s: Scenario,
    example: &str,
    created: bool,
    jobs: &[(&str, Option<&str>)],
) {
    let got = evaluate(check, dir, &s);
    let label = format!("{example}, {} {:?}", s.name, s.args);
    let Some(whens) = got else {
        assert!(!created, "{label}: the workflow creates no pipeline");
        return;
    };
    assert!(created, "{label}: the workflow should create no pipeline");
    for (job, when) in jobs {
        let actual = whens
            .get(*job)
            .map(String::as_str)
            .filter(|w| *w != "never");
        assert_eq!(actual, *when, "{label}: {job}");
    }
}

#[test]
fn each_kind_of_pipeline_gets_the_jobs_and_gates_it_should() {
    let Some(check) = tool("gitlab-ci-check") else {
        return;
    };
    let root = scratch("gitlab-rules");
    let none: Option<&str> = None;
    let auto = Some("on_success");
    let manual = Some("manual");

    let e = "flask-api";
    let dir = root.join(e);
    with_workflow_probe(e, &dir);
    // The notification runs after a failure on main and develop and in
    // release runs (they deploy prod), never for merge requests.
    let failure = Some("on_failure");
    let d = |dev, staging, prod, publish, notify| {
        vec![
            ("deploy_dev", dev),
            ("deploy_staging", staging),
            ("deploy_prod", prod),
            ("publish_app", publish),
            ("lint", auto),
            ("test", auto),
            ("notify", notify),
        ]
    };
    expect(
        &check,
        &dir,
        push("develop", false),
        e,
        true,
        &d(auto, manual, none, auto, failure),
    );
    expect(
        &check,
        &dir,
        push("develop", true),
        e,
        true,
        &d(auto, manual, none, auto, failure),
    );
    expect(
        &check,
        &dir,
        push("main", false),
        e,
        true,
        &d(none, none, none, auto, failure),
    );
    expect(
        &check,
        &dir,
        push("feature/x", false),
        e,
        true,
        &d(none, none, none, none, none),
    );
    expect(&check, &dir, push("feature/x", true), e, false, &[]);
    expect(
        &check,
        &dir,
        tag("v1.2.3"),
        e,
        true,
        &d(none, none, manual, auto, failure),
    );
    expect(&check, &dir, tag("nightly"), e, false, &[]);
    // Run pipeline on a release tag with PIPEC_DEPLOY_ENVIRONMENT=prod (a
    // promotion, or a rollback): the tag's published image is resolved and
    // deployed to that environment only; nothing is built, tested or pushed.
    expect(
        &check,
        &dir,
        scenario(
            "deployment by hand",
            vec![
                "CI_PIPELINE_SOURCE=web".into(),
                "CI_COMMIT_TAG=v1.0.0".into(),
                "CI_COMMIT_REF_NAME=v1.0.0".into(),
                "PIPEC_DEPLOY_ENVIRONMENT=prod".into(),
            ],
            &["CI_COMMIT_BRANCH"],
        ),
        e,
        true,
        &[
            ("resolve_app", auto),
            ("redeploy_prod", manual),
            ("redeploy_latest_app", auto),
            ("redeploy_staging", none),
            ("redeploy_dev", none),
            ("deploy_prod", none),
            ("build_app", none),
            ("publish_app", none),
            ("latest_app", none),
            ("lint", none),
            ("test", none),
        ],
    );
    expect(
        &check,
        &dir,
        merge_request("feature/x", "main"),
        e,
        true,
        &d(none, none, none, none, none),
    );
    expect(
        &check,
        &dir,
        merge_request("develop", "main"),
        e,
        false,
        &[],
    );
    expect(
        &check,
        &dir,
        merge_request("feature/x", "release"),
        e,
        false,
        &[],
    );

    let e = "mts-deploy-ai";
    let dir = root.join(e);
    with_workflow_probe(e, &dir);
    let d = |staging, production, publish| {
        vec![
            ("deploy_staging", staging),
            ("deploy_production", production),
            ("publish_app", publish),
            ("unit_tests", auto),
            ("integration", auto),
        ]
    };
    expect(
        &check,
        &dir,
        push("develop", false),
        e,
        true,
        &d(manual, none, auto),
    );
    expect(
        &check,
        &dir,
        push("main", false),
        e,
        true,
        &d(none, none, auto),
    );
    expect(&check, &dir, push("feature/x", false), e, false, &[]);
    expect(&check, &dir, tag("v2.0.0"), e, true, &d(none, manual, auto));
    expect(
        &check,
        &dir,
        merge_request("feature/x", "main"),
        e,
        true,
        &d(none, none, none),
    );
    expect(
        &check,
        &dir,
        merge_request("feature/x", "develop"),
        e,
        false,
        &[],
    );

    let e = "archon-agent";
    let dir = root.join(e);
    with_workflow_probe(e, &dir);
    // A notification in any case is two jobs, one per outcome, on main and
    // in release runs (they deploy production).
    let d = |staging, production, publish, notify: bool| {
        let (ok, failed) = if notify {
            (auto, Some("on_failure"))
        } else {
            (none, none)
        };
        vec![
            ("deploy_staging", staging),
            ("deploy_production", production),
            ("publish_agent", publish),
            ("notify", ok),
            ("notify:failure", failed),
        ]
    };
    expect(
        &check,
        &dir,
        push("main", false),
        e,
        true,
        &d(manual, none, auto, true),
    );
    expect(
        &check,
        &dir,
        push("main", true),
        e,
        true,
        &d(manual, none, auto, true),
    );
    expect(
        &check,
        &dir,
        push("develop", false),
        e,
        true,
        &d(none, none, auto, false),
    );
    expect(
        &check,
        &dir,
        tag("v1.0.0"),
        e,
        true,
        &d(none, manual, auto, true),
    );
    expect(
        &check,
        &dir,
        merge_request("feature/x", "main"),
        e,
        true,
        &d(none, none, none, false),
    );
}

/// Every script entry of every job, in order, as one shell script per job.
fn scripts(doc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (name, job) in doc.as_mapping().expect("a mapping") {
        let Some(script) = job.get("script").and_then(Value::as_sequence) else {
            continue;
        };
        let body: Vec<&str> = script.iter().filter_map(Value::as_str).collect();
        out.push((
            name.as_str().unwrap_or_default().to_string(),
            body.join("\n") + "\n",
        ));
    }
    out
}

#[test]
fn scripts_pass_shellcheck() {
    let Some(shellcheck) = tool("shellcheck") else {
        return;
    };
    let dir = scratch("gitlab-shellcheck");
    for e in examples() {
        for (job, script) in scripts(&document(&e)) {
            let file = dir.join(format!("{e}-{job}.sh"));
            std::fs::write(&file, &script).expect("write");
            // Job images may have only a POSIX shell (busybox in Alpine).
            let out = pipec_tests::run(
                &shellcheck,
                &[
                    "-s",
                    "sh",
                    "-S",
                    "warning",
                    "-f",
                    "gcc",
                    file.to_str().expect("utf-8"),
                ],
                &dir,
            );
            assert!(
                out.status.success(),
                "{e} {job}:\n{}\n{script}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
    }
}
