//! Lowering coverage: every statement of the language reaches every target
//! that can express it, or is refused with a code.
//!
//! [`cases`] holds, for each statement of each kind of block, a program using
//! it with a literal value and one using it with a value known only when the
//! pipeline runs (`{{ matrix.* }}`, `{{ inputs.* }}`, `{{ ci.* }}`), and what
//! each target must make of them: show a given text in its files, report a
//! code, or — for targets that do not read that kind of block — show nothing
//! of the value. The table is checked against the statements the checker
//! accepts (`pipec_check::vocabularies`) and the statement tables of
//! docs/language.md, so a statement added to either without a row here fails
//! the test, as does a target that stops carrying a value.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use pipec_check::{MemoryFs, check};

#[path = "lowering_coverage/deploy.rs"]
mod deploy;
#[path = "lowering_coverage/jobs.rs"]
mod jobs;
#[path = "lowering_coverage/workloads.rs"]
mod workloads;

use jobs::{BLOCKS, COMMON};

/// The targets, in the order of [`Case::lit`] and [`Case::rt`].
const TARGETS: [&str; 5] = ["github", "gitlab", "kustomize", "argocd", "pre-commit"];

/// What a target makes of a statement.
///
/// - `has:TEXT` — the target's files contain TEXT (several joined by ` && `);
/// - `lacks:TEXT` — they do not contain it (what an `exclude` removes);
/// - `err:CODE` — building the target reports CODE;
/// - `-` — the target does not read this kind of block: none of its files
///   shows the value's marker `zq1`.
type Expect = &'static str;

/// The expectation of a block no target reads.
const NONE: [Expect; 5] = ["-", "-", "-", "-", "-"];

/// A statement, with a literal and a run-time value.
struct Case {
    /// The block it is written in, as `pipec_check::vocabularies` names it.
    block: &'static str,
    head: &'static str,
    /// The statement with a literal value holding the marker `zq1`.
    literal: &'static str,
    lit: [Expect; 5],
    /// The statement with a run-time value.
    runtime: &'static str,
    /// What the targets make of it, or `Refused(CODE)` when the checker
    /// refuses it (a value that must be known before the run, or a
    /// statement whose value is not text).
    rt: Runtime,
}

#[derive(Clone)]
enum Runtime {
    Targets([Expect; 5]),
    Refused(&'static str),
}

use Runtime::{Refused, Targets};

/// A row of [`COMMON`]: a [`Case`] without its block.
struct Common {
    head: &'static str,
    literal: &'static str,
    lit: [Expect; 5],
    runtime: &'static str,
    rt: Runtime,
}

/// Every case: the rows of [`jobs`], [`deploy`] and [`workloads`], a
/// service's rows for the statements workers and CronJobs share with it, and
/// [`COMMON`] for images and publish rules.
fn cases() -> Vec<Case> {
    let shared = [
        ("a worker", workloads::WORKER_SHARED),
        ("a cronjob", workloads::CRONJOB_SHARED),
    ];
    let mut out: Vec<Case> = jobs::CASES
        .iter()
        .chain(deploy::CASES)
        .chain(workloads::CASES)
        .map(|c| Case {
            block: c.block,
            head: c.head,
            literal: c.literal,
            lit: c.lit,
            runtime: c.runtime,
            rt: c.rt.clone(),
        })
        .collect();
    for (block, heads) in shared {
        out.extend(
            deploy::CASES
                .iter()
                .filter(|c| c.block == "a service" && heads.contains(&c.head))
                .map(|c| Case {
                    block,
                    head: c.head,
                    literal: c.literal,
                    lit: c.lit,
                    runtime: c.runtime,
                    rt: c.rt.clone(),
                }),
        );
    }
    for block in ["an image", "a publish rule"] {
        out.extend(COMMON.iter().map(|c| Case {
            block,
            head: c.head,
            literal: c.literal,
            lit: c.lit,
            runtime: c.runtime,
            rt: c.rt.clone(),
        }));
    }
    out
}

/// A program with the statement `stmt` in a block of kind `block`.
fn program(block: &str, head: &str, stmt: &str) -> String {
    match block {
        "a pipeline" => {
            let base = if head == "on" {
                "on pull_request"
            } else {
                "on push\n  on dispatch(who: string = \"x\")"
            };
            format!("pipeline p {{\n  {base}\n  {stmt}\n  job t {{ run \"make test\" }}\n}}\n")
        }
        // A release runs once per tag: in a pipeline of tags, outside a
        // matrix.
        "a job" if head == "release" => format!(
            "pipeline p {{\n  on tag \"v*\"\n  job t {{\n    role lint\n    {stmt}\n    run \"make check\"\n  }}\n}}\n"
        ),
        "a job" => {
            let matrix = if head == "matrix" {
                ""
            } else {
                "matrix { os: [\"linux\", \"mac\"] }\n    "
            };
            // A lint job: pre-commit reads the steps of local checks.
            let role = if head == "role" {
                ""
            } else {
                "role lint\n    "
            };
            format!(
                "pipeline p {{\n  on push\n  on dispatch(who: string = \"x\")\n  job prepper {{ run \"make prep\" }}\n  image loadme {{ dockerfile \"Dockerfile\" }}\n  job t {{\n    {matrix}{role}{stmt}\n    run \"make check\"\n  }}\n}}\n"
            )
        }
        "a job service" => format!(
            "pipeline p {{\n  on push\n  on dispatch(who: string = \"x\")\n  job t {{\n    matrix {{ os: [\"linux\"] }}\n    service zqdb \"postgres:16\" {{\n      {stmt}\n      {}\n    }}\n    run \"make check\"\n  }}\n}}\n",
            if head == "port" { "" } else { "port 5432" }
        ),
        "an image" => format!(
            "pipeline p {{\n  on push\n  on dispatch(who: string = \"x\")\n  job prep {{ run \"make prep\" }}\n  image app {{\n    {stmt}\n  }}\n  publish app to ghcr(\"acme/app\") {{ tags [sha] }}\n}}\n"
        ),
        "a publish rule" => format!(
            "pipeline p {{\n  on push\n  on dispatch(who: string = \"x\")\n  job prep {{ run \"make prep\" }}\n  image app {{ dockerfile \"Dockerfile\" }}\n  publish app to ghcr(\"acme/app\") {{\n    {stmt}\n  }}\n}}\n"
        ),
        "an environment" => {
            let mut dev = String::new();
            if head != "namespace" {
                dev.push_str("  namespace \"app-dev\"\n");
            }
            if !matches!(head, "promote" | "deploy" | "on") {
                dev.push_str("  promote from qa\n");
            }
            format!(
                "{DEPLOYED}environment qa {{\n  namespace \"app-qa\"\n  deploy on branch main\n}}\nenvironment dev {{\n{dev}  {stmt}\n}}\nservice app {{\n  image app\n  port 8000\n  resources {{ cpu 100m..200m, memory 100Mi..200Mi }}\n  deploy to [qa, dev] via argocd\n}}\n{GITOPS}"
            )
        }
        "a service" => {
            let mut body = String::new();
            for (h, s) in [
                ("image", "image app"),
                ("port", "port 8000"),
                // Autoscaling needs requests of the resource it scales on.
                ("resources", "resources { cpu 100m..200m }"),
                ("deploy", "deploy to [dev] via argocd"),
            ] {
                if head != h {
                    body.push_str(&format!("  {s}\n"));
                }
            }
            format!(
                "{DEPLOYED}environment dev {{\n  namespace \"app-dev\"\n  deploy on branch main\n}}\nservice app {{\n{body}  {stmt}\n}}\n{GITOPS}"
            )
        }
        "a worker" | "a cronjob" => {
            let (kind, needed): (&str, &[(&str, &str)]) = if block == "a worker" {
                (
                    "worker",
                    &[
                        ("image", "image app"),
                        ("probes", "probes none"),
                        ("resources", "resources { cpu 100m..200m }"),
                        ("deploy", "deploy to [dev] via argocd"),
                    ],
                )
            } else {
                (
                    "cronjob",
                    &[
                        ("image", "image app"),
                        ("schedule", "schedule \"0 3 * * *\""),
                        ("command", "command \"make report\""),
                        ("deploy", "deploy to [dev] via argocd"),
                    ],
                )
            };
            let mut body = String::new();
            for (h, s) in needed {
                if head != *h {
                    body.push_str(&format!("  {s}\n"));
                }
            }
            format!(
                "{DEPLOYED}environment dev {{\n  namespace \"app-dev\"\n  deploy on branch main\n}}\n{kind} app {{\n{body}  {stmt}\n}}\n{GITOPS}"
            )
        }
        "gitops" => {
            let mut body = String::new();
            for (h, s) in [
                ("repo", "repo \"https://github.com/acme/deploy.git\""),
                ("token", "token secret(\"GITOPS_TOKEN\")"),
            ] {
                if head != h {
                    body.push_str(&format!("  {s}\n"));
                }
            }
            format!(
                "{DEPLOYED}environment dev {{\n  namespace \"app-dev\"\n  deploy on branch main\n}}\nservice app {{\n  image app\n  port 8000\n  deploy to [dev] via argocd\n}}\ngitops {{\n{body}  {stmt}\n}}\n"
            )
        }
        "policy" => format!(
            "pipeline p {{\n  on push\n  job t {{ run \"make test\" }}\n}}\npolicy {{\n  {stmt}\n}}\n"
        ),
        other => panic!("no program for {other}"),
    }
}

/// A pipeline that builds and publishes the image services deploy.
const DEPLOYED: &str = "pipeline p {\n  on push\n  image app { dockerfile \"Dockerfile\" }\n  publish app to ghcr(\"acme/app\") { tags [sha] }\n}\n";

/// The GitOps repository Argo CD deployments need.
const GITOPS: &str = "gitops {\n  repo  \"https://github.com/acme/deploy.git\"\n  token secret(\"GITOPS_TOKEN\")\n}\n";

/// The root of the repository.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What building `source` gives: the checker's codes, and per target its
/// codes and the text of its files.
struct Built {
    checker: Vec<String>,
    targets: BTreeMap<&'static str, (Vec<String>, String)>,
}

fn build(source: &str) -> Built {
    let dir = Path::new("case");
    let fs = MemoryFs(BTreeMap::from([(
        dir.join("main.pipe"),
        source.to_string(),
    )]));
    let checked = check(dir, &fs).expect("the case is readable");
    let checker: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.code.to_string())
        .collect();
    let mut targets = BTreeMap::new();
    if let Some(program) = &checked.program {
        for t in TARGETS {
            let entry = match pipec::emit(program, &[t]) {
                Ok(tree) => (
                    Vec::new(),
                    tree.files()
                        .map(|f| format!("=== {}\n{}", f.path, f.body))
                        .collect::<String>(),
                ),
                Err(d) => (
                    d.iter().map(|d| d.code.to_string()).collect(),
                    String::new(),
                ),
            };
            targets.insert(t, entry);
        }
    }
    Built { checker, targets }
}

/// Checks one target against its expectation; the problem, if any.
fn expect(target: &str, want: Expect, got: &(Vec<String>, String)) -> Option<String> {
    let (codes, text) = got;
    if let Some(code) = want.strip_prefix("err:") {
        return (!codes.iter().any(|c| c == code))
            .then(|| format!("{target}: expected {code}, got {codes:?}"));
    }
    if !codes.is_empty() {
        return Some(format!("{target}: reported {codes:?}"));
    }
    if want == "-" {
        return text.contains("zq1").then(|| {
            format!("{target}: listed as not reading the statement, but shows it:\n{text}")
        });
    }
    if let Some(absent) = want.strip_prefix("lacks:") {
        return text
            .contains(absent)
            .then(|| format!("{target}: shows `{absent}`:\n{text}"));
    }
    let wanted = want.strip_prefix("has:").expect("has:, lacks:, err: or -");
    let missing: Vec<&str> = wanted.split(" && ").filter(|w| !text.contains(w)).collect();
    (!missing.is_empty()).then(|| format!("{target}: lacks {missing:?}:\n{text}"))
}

#[test]
fn every_statement_reaches_every_target_or_is_refused() {
    let mut problems = Vec::new();
    for case in &cases() {
        let what = format!("{} `{}`", case.block, case.head);
        for (label, stmt, outcome) in [
            ("literal", case.literal, Targets(case.lit)),
            ("run-time", case.runtime, case.rt.clone()),
        ] {
            let built = build(&program(case.block, case.head, stmt));
            match outcome {
                Refused(code) => {
                    if !built.checker.iter().any(|c| c == code) {
                        problems.push(format!(
                            "{what}, {label} `{stmt}`: the checker should report {code}, reported {:?}",
                            built.checker
                        ));
                    }
                }
                Targets(expected) => {
                    if !built.checker.is_empty() {
                        problems.push(format!(
                            "{what}, {label} `{stmt}`: the checker reported {:?}",
                            built.checker
                        ));
                        continue;
                    }
                    for (i, t) in TARGETS.iter().enumerate() {
                        if let Some(p) = expect(t, expected[i], &built.targets[t]) {
                            problems.push(format!("{what}, {label} `{stmt}`: {p}"));
                        }
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// The statements the table covers, by block.
fn covered() -> BTreeMap<&'static str, BTreeSet<&'static str>> {
    let mut out: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for c in cases() {
        out.entry(c.block).or_default().insert(c.head);
    }
    for (block, head) in BLOCKS {
        out.entry(block).or_default().insert(head);
    }
    out
}

#[test]
fn the_table_covers_every_statement_the_checker_accepts() {
    let covered = covered();
    let mut missing = Vec::new();
    for (block, heads) in pipec_check::vocabularies() {
        for head in heads {
            if !covered.get(block).is_some_and(|c| c.contains(head)) {
                missing.push(format!("{block}: `{head}`"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "statements with no row in tests/lowering_coverage.rs: {}",
        missing.join(", ")
    );
}

/// The statement heads of the `| statement | … |` tables of
/// docs/language.md, by the block their section describes.
fn documented() -> BTreeMap<&'static str, BTreeSet<String>> {
    let text = std::fs::read_to_string(root().join("docs/language.md")).expect("read docs");
    let sections = [
        ("## `pipeline`", "a pipeline"),
        ("## Jobs", "a job"),
        ("## Images", "an image"),
        ("## `environment`", "an environment"),
        ("## `service`", "a service"),
        ("## `worker`", "a worker"),
        ("## `cronjob`", "a cronjob"),
    ];
    let mut out: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut block = None;
    let mut in_table = false;
    for line in text.lines() {
        if line.starts_with("## ") {
            block = sections.iter().find(|(h, _)| line == *h).map(|(_, b)| *b);
        }
        if line.starts_with("| statement |") {
            in_table = true;
            continue;
        }
        if !line.starts_with('|') {
            in_table = false;
            continue;
        }
        let (Some(block), true) = (block, in_table) else {
            continue;
        };
        let first = line
            .split(" | ")
            .next()
            .unwrap_or("")
            .trim_start_matches("| ");
        for item in first.split("`, `") {
            let word: String = item
                .trim_matches('`')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !word.is_empty() {
                out.entry(block).or_default().insert(word);
            }
        }
    }
    out
}

#[test]
fn the_table_covers_every_statement_the_reference_documents() {
    let covered = covered();
    let documented = documented();
    assert!(
        documented.len() >= 5,
        "statement tables found: {documented:?}"
    );
    let mut missing = Vec::new();
    for (block, heads) in &documented {
        for head in heads {
            if !covered
                .get(block)
                .is_some_and(|c| c.contains(head.as_str()))
            {
                missing.push(format!("{block}: `{head}`"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "documented statements with no row in tests/lowering_coverage.rs: {}",
        missing.join(", ")
    );
}

#[test]
fn a_coverage_gate_stays_whatever_its_path_holds() {
    for path in [
        "coverage.xml",
        "cov-{{ inputs.who }}.xml",
        "cov-{{ matrix.os }}.xml",
    ] {
        let source = program(
            "a job",
            "report",
            &format!("report coverage \"{path}\" min 81%"),
        );
        let dir = Path::new("case");
        let fs = MemoryFs(BTreeMap::from([(dir.join("main.pipe"), source)]));
        let program = check(dir, &fs)
            .expect("readable")
            .program
            .expect("the program checks");
        let job = program.pipelines[0].job_named("t").expect("job t");
        let gate = job.run().and_then(|r| r.coverage_gate());
        assert_eq!(
            gate.map(|p| p.to_string()),
            Some("81".to_string()),
            "{path}"
        );
    }
}
