//! Every string of a program stays a string in the files pipec writes: the
//! attacks of issue 10 as tests, run through the real parsers and shells.
//!
//! - line breaks of every kind in names and values stay inside their scalar
//!   or comment, read back identical by PyYAML, gitlab-ci-local, actionlint
//!   and the GitLab and GitHub schemas;
//! - a GitLab step name never becomes a command;
//! - an input value with both kinds of quotes stays inside its comparison;
//! - a branch pattern with a line break is refused;
//! - `${{ … }}` and `$VAR` written in a program are never evaluated by the
//!   CI system, or are refused where the CI system has no escape.

use std::collections::BTreeMap;
use std::path::Path;

use pipec_check::{MemoryFs, check};
use pipec_emit::OutputTree;
use pipec_tests::{run, scratch, text, tool, write_tree};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use yaml_serde::Value;

/// Checks `source` as a one-file program and renders `targets`; the codes of
/// every error on the way, or the tree.
fn build(source: &str, targets: &[&str]) -> Result<OutputTree, Vec<String>> {
    let dir = Path::new("case");
    let fs = MemoryFs(BTreeMap::from([(
        dir.join("main.pipe"),
        source.to_string(),
    )]));
    let checked = check(dir, &fs).expect("readable");
    let Some(program) = checked.program else {
        return Err(checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.code.to_string())
            .collect());
    };
    pipec::emit(&program, targets).map_err(|d| d.iter().map(|d| d.code.to_string()).collect())
}

fn file(tree: &OutputTree, path: &str) -> String {
    tree.get(path)
        .unwrap_or_else(|| panic!("{path} is generated"))
        .body
        .clone()
}

#[test]
fn a_gitlab_step_name_never_becomes_a_command() {
    for br in ["\n", "\r", "\r\n", "\u{85}"] {
        let name = format!("Build{br}touch PWNED{br}# ");
        let source = format!(
            "pipeline ci {{\n  on push\n  job build {{ step \"{}\" run \"touch RAN\" }}\n}}\n",
            name.replace('\n', "\\n").replace('\r', "\\r")
        );
        let tree = build(&source, &["gitlab"]).expect("builds");
        let doc: Value = yaml_serde::from_str(&file(&tree, ".gitlab-ci.yml")).expect("parses");
        let script = doc["build"]["script"].as_sequence().expect("a script");
        let dir = scratch("gitlab-step-name");
        for line in script {
            let out = std::process::Command::new("sh")
                .args(["-euc", line.as_str().expect("a command")])
                .current_dir(&dir)
                .output()
                .expect("sh runs");
            assert!(out.status.success(), "{br:?}: {}", text(&out));
        }
        assert!(dir.join("RAN").exists(), "{br:?}: the step ran");
        assert!(
            !dir.join("PWNED").exists(),
            "{br:?}: the name ran: {script:?}"
        );
    }
}

/// `when` of each job gitlab-ci-local creates for a pipeline started by hand
/// with input `note`.
fn jobs_started_by_hand(check: &Path, dir: &Path, note: &str) -> BTreeMap<String, String> {
    let out = std::process::Command::new(check)
        .arg(dir)
        .args(["--list-json", "--no-color"])
        .args(["--variable", "CI_PIPELINE_SOURCE=web"])
        .args(["--variable", &format!("PIPEC_INPUT_NOTE={note}")])
        .env("GCL_IGNORE_PREDEFINED_VARS", "CI_PIPELINE_SOURCE")
        .output()
        .expect("gitlab-ci-check runs");
    assert!(out.status.success(), "{}", text(&out));
    let jobs: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("job list");
    jobs.iter()
        .map(|j| {
            (
                j["name"].as_str().expect("name").to_string(),
                j["when"].as_str().expect("when").to_string(),
            )
        })
        .collect()
}

#[test]
fn input_values_stay_inside_their_comparison() {
    let values = [
        r#"it's "quoted""#,
        r#"a" || $CI_COMMIT_BRANCH || "b"#,
        r#"x' || $CI_JOB_TOKEN == 'y"#,
        // Written as `'…'` because it holds a `"`, it would close the
        // literal and make the condition true for every input.
        r#"z' || $CI_PIPELINE_SOURCE || '""#,
        "$HOME",
        "50%",
        "a/b",
    ];
    let Some(check) = tool("gitlab-ci-check") else {
        return;
    };
    // One job per value, each run only when the input is exactly its value.
    let jobs: String = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let escaped = v.replace('\\', "\\\\").replace('"', "\\\"");
            format!("  job gated{i} {{\n    when inputs.note == \"{escaped}\"\n    run  \"echo {i}\"\n  }}\n")
        })
        .collect();
    let source = format!(
        "pipeline ops {{\n  on dispatch(note: string = \"none\")\n{jobs}  job other {{ run \"echo other\" }}\n}}\n"
    );
    let tree = build(&source, &["gitlab"]).expect("builds");
    let dir = scratch("gitlab-input-quotes");
    write_tree(&tree, &dir);
    let body = file(&tree, ".gitlab-ci.yml");
    for (note, runs) in values
        .iter()
        .enumerate()
        .map(|(i, v)| (*v, Some(i)))
        .chain([("none", None), ("it's", None), ("", None)])
    {
        let got = jobs_started_by_hand(&check, &dir, note);
        for (i, value) in values.iter().enumerate() {
            let expected = if runs == Some(i) {
                "on_success"
            } else {
                "never"
            };
            assert_eq!(
                got.get(&format!("gated{i}")).map(String::as_str),
                Some(expected),
                "input {note:?}, job for {value:?}: {got:?}\n{body}"
            );
        }
    }
}

#[test]
fn branch_patterns_with_line_breaks_are_refused() {
    for br in ["\\r", "\\n", "\\u{85}", "\\t", "\\u{a0}"] {
        for stmt in [
            format!("on push to [\"main{br}- evil\"]"),
            format!("on tag \"v{br}*\""),
        ] {
            let source = format!("pipeline ci {{\n  {stmt}\n  job t {{ run \"make\" }}\n}}\n");
            assert_eq!(
                build(&source, &[]).err(),
                Some(vec!["E0203".to_string()]),
                "{stmt}"
            );
        }
        let source = format!(
            "pipeline ci {{\n  on push\n  job t {{ run \"make\"; when branch \"a{br}b\" }}\n}}\n"
        );
        assert_eq!(
            build(&source, &[]).err(),
            Some(vec!["E0203".to_string()]),
            "{br}"
        );
    }
}

/// A program writing `v` (a `${{ … }}` or a `$VAR`) in every field that is
/// not a script.
fn every_field(v: &str, runner: &str) -> String {
    // A URL holds no white space.
    let url_v = v.replace(' ', "");
    format!(
        r#"pipeline ci {{
  on push
  on dispatch(who: string = "x")
  job test {{
    title     "Test {v}"
    runs_on   "{runner}"
    container "python:3.12{v}"
    service db "postgres:16{v}" {{
      env  {{ NOTE: "{v}" }}
      port 5432
    }}
    env      {{ NOTE: "{v}" }}
    step     "Name {v}" run "echo test"
    artifact "dist{v}/"
    report   junit "junit{v}.xml"
  }}
  image app {{
    dockerfile "Dockerfile{v}"
    context    "ctx{v}"
    target     "stage{v}"
    build_args {{ NOTE: "{v}" }}
  }}
  publish app to ghcr("acme/app") {{ tags [sha] }}
}}

environment dev {{
  namespace "app-dev"
  deploy    on branch main
  url       "https://dev.example.com/{url_v}"
}}

service app {{
  image app
  port  8000
  deploy to [dev] via kubectl(kubeconfig: secret("KUBECONFIG"))
}}
"#
    )
}

#[test]
fn github_expressions_written_in_a_program_are_never_evaluated() {
    // `{{ '{{' }}` is how a program writes `{{` as text.
    let attack = "${{ '{{' }} github.head_ref }}";
    let runner = "self-hosted-${{ '{{' }} github.head_ref }}";
    let tree = build(&every_field(attack, runner), &["github"]).expect("builds");
    let body = file(&tree, ".github/workflows/ci.yml");
    let escaped = "${{ '${{' }} github.head_ref }}";
    // (pipec's own expressions read `github.head_ref || github.ref_name`.)
    assert!(
        !body.contains("${{ github.head_ref }}") && !body.contains("${{github.head_ref}}"),
        "evaluated:\n{body}"
    );
    // Every field holds the escaped text: title, runner, container, service
    // image and variables, job variables, step name, artifact and report
    // paths, the image's Dockerfile, context, target and build argument, the
    // environment's URL.
    assert!(
        body.matches(escaped).count() >= 14,
        "{} escaped:\n{body}",
        body.matches(escaped).count()
    );
    let Some(actionlint) = tool("actionlint") else {
        return;
    };
    let dir = scratch("github-literal-expressions");
    write_tree(&tree, &dir);
    let out = run(&actionlint, &[".github/workflows/ci.yml"], &dir);
    assert!(out.status.success(), "actionlint:\n{}", text(&out));
}

#[test]
fn gitlab_variables_written_in_a_program_stay_literal_or_are_refused() {
    // The runner reads `$$` as `$`: images, service names and variables,
    // job variables, artifact and report paths keep the text.
    let tree = build(&every_field("$CI_JOB_TOKEN", "docker"), &["gitlab"]);
    // The environment's URL is expanded by GitLab itself, which has no escape.
    assert_eq!(tree.err(), Some(vec!["E0429".to_string()]));
    let source = every_field("$CI_JOB_TOKEN", "docker").replace(
        "url       \"https://dev.example.com/$CI_JOB_TOKEN\"",
        "url       \"https://dev.example.com/\"",
    );
    let tree = build(&source, &["gitlab"]).expect("builds");
    let body = file(&tree, ".gitlab-ci.yml");
    let doc: Value = yaml_serde::from_str(&body).expect("parses");
    let job = &doc["test"];
    assert_eq!(job["image"], "python:3.12$$CI_JOB_TOKEN");
    assert_eq!(job["services"][0]["name"], "postgres:16$$CI_JOB_TOKEN");
    assert_eq!(job["services"][0]["variables"]["NOTE"], "$$CI_JOB_TOKEN");
    assert_eq!(job["variables"]["NOTE"], "$$CI_JOB_TOKEN");
    assert_eq!(job["artifacts"]["paths"][0], "dist$$CI_JOB_TOKEN/");
    assert_eq!(
        job["artifacts"]["reports"]["junit"],
        "junit$$CI_JOB_TOKEN.xml"
    );
    // Runner tags are expanded by GitLab itself, too.
    let source = every_field("x", "docker-$CI_JOB_TOKEN");
    assert_eq!(
        build(&source, &["gitlab"]).err(),
        Some(vec!["E0429".to_string()])
    );
}

/// Text a `.pipe` string can hold, biased toward what breaks YAML, shells
/// and CI systems (the source rejects bidirectional and zero-width
/// characters, line and paragraph separators, private-use characters and
/// ASCII controls other than tab, LF and CR).
const PIECES: &[&str] = &[
    "\n",
    "\r",
    "\r\n",
    "\u{85}",
    "\u{9b}",
    "\t",
    "\u{a0}",
    "\u{fffe}",
    " ",
    "#",
    " #",
    ": ",
    "-",
    "'",
    "\"",
    "\\",
    "|",
    ">",
    "&",
    "*",
    "!",
    "%",
    "@",
    "`",
    "[",
    "]",
    ",",
    "---",
    "~",
    "on",
    "no",
    "0755",
    "1e3",
    "<<",
    "$HOME",
    "$$",
    "${X}",
    "%PATH%",
    "${{ x }}",
    "é",
    "🙂",
    " # pipec: set by CI",
];

fn strings(n: usize) -> Vec<String> {
    let strategy = prop::collection::vec(
        prop_oneof![
            3 => prop::sample::select(PIECES).prop_map(str::to_string),
            1 => "[a-zA-Z0-9 ]{1,4}",
        ],
        1..8,
    )
    .prop_map(|parts| parts.concat());
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let mut out = Vec::new();
    while out.len() < n {
        let s: String = strategy.new_tree(&mut runner).expect("generates").current();
        // Placeholders are template syntax, not text.
        if !s.contains("{{") && !s.contains("{%") && !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// A `.pipe` string literal for `s`.
fn literal(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[test]
fn strings_read_back_identical_through_the_ci_parsers() {
    let strings = strings(40);
    let vars: Vec<String> = strings
        .iter()
        .enumerate()
        .map(|(i, s)| format!("V{i}: {}", literal(s)))
        .collect();
    let steps: String = strings
        .iter()
        .enumerate()
        .map(|(i, s)| {
            format!(
                "    step {} run \"echo {i}\"\n",
                literal(&format!("s{i} {s}"))
            )
        })
        .collect();
    let source = format!(
        "pipeline ci {{\n  on push\n  job test {{\n    env {{ {} }}\n{steps}  }}\n}}\n",
        vars.join(", ")
    );
    let tree = build(&source, &["github", "gitlab"]).expect("builds");
    let dir = scratch("ci-parsers-strings");
    write_tree(&tree, &dir);

    // What each CI system reads: GitHub escapes `${{`, GitLab doubles `$`.
    let github = |s: &str| s.replace("${{", "${{ '${{' }}");
    let gitlab = |s: &str| s.replace('$', "$$");
    let workflow: Value =
        yaml_serde::from_str(&file(&tree, ".github/workflows/ci.yml")).expect("parses");
    let gitlab_doc: Value = yaml_serde::from_str(&file(&tree, ".gitlab-ci.yml")).expect("parses");
    for (i, s) in strings.iter().enumerate() {
        let key = format!("V{i}");
        assert_eq!(
            workflow["jobs"]["test"]["env"][&key],
            github(s).as_str(),
            "{s:?}"
        );
        assert_eq!(
            gitlab_doc["test"]["variables"][&key],
            gitlab(s).as_str(),
            "{s:?}"
        );
    }

    if let Some(python) = tool("python") {
        let out = run(
            &python,
            &[
                "-c",
                "import json, yaml\nprint(json.dumps([yaml.safe_load(open(f, encoding='utf-8')) for f in ('.github/workflows/ci.yml', '.gitlab-ci.yml')]))",
            ],
            &dir,
        );
        assert!(out.status.success(), "PyYAML: {}", text(&out));
        let docs: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        for (i, s) in strings.iter().enumerate() {
            let key = format!("V{i}");
            assert_eq!(
                docs[0]["jobs"]["test"]["env"][&key],
                github(s).as_str(),
                "PyYAML {s:?}"
            );
            assert_eq!(
                docs[1]["test"]["variables"][&key],
                gitlab(s).as_str(),
                "PyYAML {s:?}"
            );
            let name = docs[0]["jobs"]["test"]["steps"][i + 1]["name"].as_str();
            assert_eq!(
                name,
                Some(github(&format!("s{i} {s}")).as_str()),
                "PyYAML step {i}"
            );
        }
    }
    if let Some(check) = tool("gitlab-ci-check") {
        let out = run(&check, &[dir.to_str().expect("utf-8"), "--preview"], &dir);
        assert!(out.status.success(), "gitlab-ci-local: {}", text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let preview = stdout.split_once("---\n").map_or(&*stdout, |(_, d)| d);
        let doc: Value = yaml_serde::from_str(preview).expect("the preview parses");
        for (i, s) in strings.iter().enumerate() {
            let key = format!("V{i}");
            assert_eq!(
                doc["test"]["variables"][&key],
                gitlab(s).as_str(),
                "gitlab-ci-local {s:?}"
            );
        }
    }
    if let Some(actionlint) = tool("actionlint") {
        let out = run(&actionlint, &[".github/workflows/ci.yml"], &dir);
        assert!(out.status.success(), "actionlint:\n{}", text(&out));
    }
    if let Some(cj) = tool("check-jsonschema") {
        for (schema, path) in [
            ("vendor.github-workflows", ".github/workflows/ci.yml"),
            ("vendor.gitlab-ci", ".gitlab-ci.yml"),
        ] {
            let out = run(&cj, &["--builtin-schema", schema, path], &dir);
            assert!(
                out.status.success(),
                "check-jsonschema {schema}:\n{}",
                text(&out)
            );
        }
    }
}
