//! One policy, one verdict: `pipec lint` of a program and `pipec lint` of
//! the YAML pipec generates from it report the same findings — the same
//! rules, at the same severity, about the same jobs and objects with the same
//! figures ([`subject`]). Nothing the compiler
//! accepted is refused in its output, and nothing it refused is let through,
//! except what the YAML cannot show ([`program_only`]).
//!
//! The programs: every example, every case of `tests/ui` that checks and
//! builds clean, programs in the shapes the first reports came from (Node,
//! Go and Java services with scans the linter does not recognise by their
//! commands, suppressions), and the monorepo benchmark program —
//! `monorepo::generate(100)`, which has every kind of service the 1,000-
//! service one has; `PIPEC_MONOREPO_SERVICES=1000 cargo test --release
//! --test policy_verdict` checks the whole benchmark program.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pipec_check::{FileSystem, MemoryFs, check};
use pipec_lint::{Batch, Config, Input, Session};

/// Findings only a program can have: those of rules that read what no YAML
/// says (durations, PIPE108), its unused suppressions (PIPE003: a generated
/// file's suppressions are copies, reported once, in the program), and
/// PIPE104, since the YAML lint does not read which tags pipec's tag shell
/// functions push under which conditions.
fn program_only(code: &str) -> bool {
    matches!(code, "PIPE003" | "PIPE104")
        || pipec_lint::rules::find(code).is_some_and(|r| r.inputs == [Input::Pipe])
}

/// What a lint run found, comparable across inputs: each finding's rule,
/// severity and [`subject`], with a message for people.
type Verdict = BTreeMap<(&'static str, String), String>;

/// What a finding is about: the names its message quotes (jobs, services,
/// environments) and the figures it gives (`65%`). The words around them
/// may differ — a program's `service api` is the YAML's `Deployment api`.
fn subject(message: &str) -> String {
    let quoted = message.split('`').skip(1).step_by(2);
    let figures = message
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| w.ends_with('%'));
    quoted.chain(figures).collect::<Vec<_>>().join(" ")
}

/// The verdict of a lint run.
fn verdict(batch: &Batch) -> Verdict {
    batch
        .findings
        .iter()
        .map(|f| {
            let message = &f.diagnostic.message;
            let key = format!("{:?} {}", f.diagnostic.severity, subject(message));
            (
                (f.code, key),
                format!("{} {:?}: {message}", f.code, f.diagnostic.severity),
            )
        })
        .collect()
}

/// Both verdicts of a program and the targets it builds to; `None` when the
/// compiler refuses the program.
fn verdicts(
    path: &Path,
    fs: &dyn FileSystem,
    targets: &[&str],
) -> Option<(Verdict, Verdict, usize)> {
    let checked = check(path, fs).expect("readable");
    let program = checked.program.as_ref()?;
    if checked.diagnostics.iter().any(|d| d.is_error()) {
        return None;
    }
    let tree = pipec::emit(program, targets).ok()?;
    let mut s = Session::new(checked.sources.clone(), Config::default());
    s.add_program(program);
    let pipe = verdict(&s.finish());
    // The same policy: the program's `policy` block, as `pipec.toml` would
    // give it to a lint of the generated files.
    let mut config = Config::default();
    let _ = config.apply_policy(&program.policy);
    let mut s = Session::new(Default::default(), config);
    let mut files = 0;
    for f in tree.files() {
        if f.path.ends_with(".yml") || f.path.ends_with(".yaml") {
            s.add_yaml(&f.path, &pipec_emit::header::wrap(&f.body, &f.source));
            files += 1;
        }
    }
    Some((pipe, verdict(&s.finish()), files))
}

/// Differences between the verdicts, for the failure message.
fn disagreement(name: &str, pipe: &Verdict, yaml: &Verdict) -> Option<String> {
    let missing: Vec<&String> = pipe
        .iter()
        .filter(|(k, _)| !yaml.contains_key(*k) && !program_only(k.0))
        .map(|(_, m)| m)
        .collect();
    let extra: Vec<&String> = yaml
        .iter()
        .filter(|(k, _)| !pipe.contains_key(*k))
        .map(|(_, m)| m)
        .collect();
    if missing.is_empty() && extra.is_empty() {
        return None;
    }
    let mut out = format!("{name}:\n");
    for f in missing {
        out.push_str(&format!("  only on the program: {f}\n"));
    }
    for f in extra {
        out.push_str(&format!("  only on the generated YAML: {f}\n"));
    }
    Some(out)
}

fn ui_cases() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(pipec_tests::root().join("tests/ui"))
        .expect("tests/ui")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir() || p.extension().is_some_and(|e| e == "pipe"))
        .collect();
    out.sort();
    out
}

#[test]
fn examples_and_ui_programs_get_the_same_verdict_as_their_yaml() {
    let mut failures = Vec::new();
    let mut compared = 0;
    let examples = pipec_tests::examples()
        .into_iter()
        .map(|e| pipec_tests::root().join("examples").join(e));
    for path in examples.chain(ui_cases()) {
        let Some((pipe, yaml, files)) = verdicts(&path, &pipec_tests::fs(&path), &[]) else {
            continue;
        };
        assert!(files > 0, "{}: no YAML generated", path.display());
        compared += 1;
        failures.extend(disagreement(&path.display().to_string(), &pipe, &yaml));
    }
    // The examples and the ui cases without errors (the W cases).
    assert!(compared >= 6, "only {compared} programs compared");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn one_file(text: &str) -> MemoryFs {
    MemoryFs([(PathBuf::from("app.pipe"), text.to_string())].into())
}

/// Services the issue found disagreements on: scans and tests the program
/// declares by role, with commands the linter does not recognise, and
/// coverage reports of each format.
const SERVICES: &[(&str, &str)] = &[
    (
        "node",
        r#"use std.docker
use std.security

pipeline web {
  on push to [main]
  on pull_request to [main]
  on tag "v*"

  job test {
    tool   node "20"
    run    "npm ci && npm test -- --coverage"
    report coverage "coverage/lcov.info" min 80%
  }
  job audit {
    role dependency_audit
    tool node "20"
    run  "npx better-npm-audit audit --level high"
  }
  job sast { role sast; run "make sast" }
  job secrets = security.gitleaks()
  image web = docker.build(after: [test])
  job scan = security.trivy(web)
  publish web to ghcr("acme/web") {
    after [scan, audit, sast, secrets]
    when  branch main or release
    tags  [sha, semver, latest if release]
  }
}
"#,
    ),
    (
        "go",
        r#"use std.docker
use std.security

pipeline svc {
  on push to [main]
  on tag "svc-v*"

  job unit {
    role   test
    tool   go "1.23"
    run    "make check"
    report coverage "coverage.out" min 90%
  }
  job audit { role dependency_audit; tool go "1.23"; run "go run golang.org/x/vuln/cmd/govulncheck@latest ./..." }
  job sast { role sast; tool go "1.23"; run "go run github.com/securego/gosec/v2/cmd/gosec@latest ./..." }
  job secrets = security.gitleaks()
  image svc = docker.build(after: [unit])
  job scan = security.trivy(svc)
  publish svc to ghcr("acme/svc") {
    after [scan, audit, sast, secrets]
    when  branch main or release
    tags  [sha, semver]
  }
}
"#,
    ),
    (
        "java",
        r#"use std.docker
use std.security

pipeline app {
  on push to [main]
  on tag "v*"

  job test {
    tool   java "21"
    run    "./gradlew test jacocoTestReport"
    report coverage "build/reports/jacoco/test/jacocoTestReport.xml" min 65%
  }
  job api_tests {
    role integration
    tool java "21"
    run  "./gradlew test --tests 'api.*'"
  }
  job audit { role dependency_audit; tool java "21"; run "./gradlew dependencyCheckAnalyze" }
  job sast { role sast; tool java "21"; run "./gradlew spotbugsMain" }
  job secrets = security.gitleaks()
  image app = docker.build(after: [test, api_tests])
  job scan = security.trivy(app)
  @allow(PIPE104, "the test registry keeps latest for the load tests")
  publish app to ghcr("acme/app") {
    after [scan, audit, sast, secrets]
    when  branch main or release
    tags  [sha, semver, latest]
  }
  @allow(PIPE105, "nothing to suppress here")
  job docs { run "make docs" }
}
"#,
    ),
];

#[test]
fn services_in_every_language_get_the_same_verdict_as_their_yaml() {
    let mut failures = Vec::new();
    for (name, text) in SERVICES {
        let (pipe, yaml, _) =
            verdicts(Path::new("app.pipe"), &one_file(text), &[]).expect("builds");
        failures.extend(disagreement(name, &pipe, &yaml));
        if *name == "java" {
            // The 65% gate is under the policy's 70% on both sides; the
            // unused suppression is the program's; what the used one
            // suppresses is reported on neither side.
            let codes = |v: &Verdict| -> Vec<&'static str> { v.keys().map(|(c, _)| *c).collect() };
            assert_eq!(codes(&pipe), ["PIPE003", "PIPE102"], "{pipe:#?}");
            assert_eq!(codes(&yaml), ["PIPE102"], "{yaml:#?}");
        } else {
            assert!(pipe.is_empty(), "{name}: {pipe:#?}");
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The role comments are pipec's word only in files whose header and hash
/// are intact: the same workflow, edited by hand, is judged by its commands.
#[test]
fn declared_roles_count_only_in_intact_generated_files() {
    let fs = one_file(SERVICES[1].1);
    let checked = check(Path::new("app.pipe"), &fs).expect("readable");
    let tree = pipec::emit(checked.program.as_ref().expect("checks"), &["github"]).expect("builds");
    let f = tree.files().next().expect("a workflow");
    let codes = |text: &str| {
        let mut s = Session::new(Default::default(), Config::default());
        s.add_yaml(&f.path, text);
        let b = s.finish();
        b.findings.iter().map(|f| f.code).collect::<Vec<_>>()
    };
    let intact = pipec_emit::header::wrap(&f.body, &f.source);
    assert_eq!(codes(&intact), Vec::<&str>::new());
    let edited = intact.replacen("name: svc", "name: svc ", 1);
    assert!(codes(&edited).contains(&"PIPE105"), "{edited}");
}

#[test]
fn the_monorepo_benchmark_program_gets_the_same_verdict_as_its_yaml() {
    let services = std::env::var("PIPEC_MONOREPO_SERVICES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100);
    let repo = pipec_tests::monorepo::generate(services);
    let fs = MemoryFs(
        repo.files
            .iter()
            .map(|(p, t)| (Path::new("repo").join(p), t.clone()))
            .collect(),
    );
    let (pipe, yaml, files) = verdicts(Path::new("repo"), &fs, pipec_tests::monorepo::TARGETS)
        .expect("the monorepo builds for its targets");
    assert!(files > services, "{files} files");
    if let Some(d) = disagreement("monorepo", &pipe, &yaml) {
        panic!("{d}");
    }
}
