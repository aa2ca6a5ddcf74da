//! Checker tests on in-memory programs. Every diagnostic code also has a case
//! in `tests/ui/`; these tests cover the shape of the graph.

use std::path::PathBuf;

use pipec_graph::{Cond, Edge, JobKind, Program, Role};

use crate::{Checked, MemoryFs, check};

fn run(files: &[(&str, &str)]) -> Checked {
    let fs = MemoryFs(
        files
            .iter()
            .map(|(p, t)| (PathBuf::from(p), t.to_string()))
            .collect(),
    );
    let entry = if files.len() == 1 { files[0].0 } else { "app" };
    check(std::path::Path::new(entry), &fs).expect("readable")
}

fn ok(text: &str) -> Program {
    let c = run(&[("app/main.pipe", text)]);
    let errors: Vec<String> = c
        .diagnostics
        .iter()
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    assert!(!c.has_errors(), "{errors:#?}");
    c.program.expect("program")
}

fn codes(text: &str) -> Vec<String> {
    run(&[("app/main.pipe", text)])
        .diagnostics
        .iter()
        .map(|d| d.code.to_string())
        .collect()
}

const BASE: &str = r#"
use std.python
use std.docker
pipeline p {
  on push
  on tag "v*"
  job lint = python.lint()
  job test = python.pytest(python: matrix("3.11", "3.12"), coverage: 80%)
  image app = docker.build(after: [lint, test])
  publish app to ghcr("acme/app") {
    when branch main or release
    tags [sha, semver, latest if release]
  }
}
environment dev { namespace "app-dev"; deploy on branch main }
environment prod { namespace "app-prod"; promote from dev, approvals 2, on release }
service app { image app; port 8080; deploy to [dev, prod] via argocd }
gitops { repo "https://github.com/acme/deploy.git" }
"#;

#[test]
fn builds_the_graph_with_data_flow_and_deployments() {
    let p = ok(BASE);
    let pl = &p.pipelines[0];
    let names: Vec<&str> = pl.jobs.iter().map(|j| j.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "lint",
            "test",
            "build_app",
            "publish_app",
            "deploy_dev",
            "deploy_prod"
        ]
    );
    let job = |n: &str| pl.job_named(n).unwrap().id;
    assert_eq!(pl.needs(job("build_app")), [job("lint"), job("test")]);
    assert_eq!(
        pl.edge(job("build_app"), job("publish_app")),
        Some(&Edge::Release)
    );
    assert_eq!(pl.needs(job("deploy_dev")), [job("publish_app")]);
    // prod is released from tags, dev from main: promotion spans runs.
    assert_eq!(pl.needs(job("deploy_prod")), [job("publish_app")]);
    let test = pl.job(job("test"));
    assert_eq!(test.role, Role::Test);
    assert_eq!(
        test.run().unwrap().coverage_gate().unwrap().hundredths,
        8000
    );
    assert_eq!(
        test.matrix.as_ref().unwrap().axes[0].values,
        ["3.11", "3.12"]
    );
    let JobKind::Deploy(d) = &pl.job(job("deploy_prod")).kind else {
        panic!("deploy job")
    };
    assert_eq!(p.environment(d.env).approvals, 2);
    assert!(matches!(pl.job(job("deploy_prod")).when, Cond::Tag(_)));
}

#[test]
fn reports_a_cycle_with_its_path() {
    let c = run(&[(
        "main.pipe",
        "pipeline p {\n on push\n job a { after c; run \"x\" }\n job b { after a; run \"x\" }\n job c { after b; run \"x\" }\n}\n",
    )]);
    let d = c
        .diagnostics
        .iter()
        .find(|d| d.code.as_str() == "E0301")
        .expect("cycle");
    assert_eq!(d.message, "jobs wait for each other: a → b → c → a");
    // One label on each `after` in the cycle, the first one primary.
    assert_eq!(d.labels.len(), 3);
    assert_eq!(c.sources.slice(d.primary_span()), "c");
}

#[test]
fn reports_many_independent_mistakes() {
    let text = r#"
use std.python
pipeline p {
  on push
  job lint = python.lnt()
  job test = python.pytest(coverage: 170%)
  job x { timeout 5x; run "y" }
}
environment dev { namespace "Dev_NS"; replics 2 }
service s { image nope; port 80 }
"#;
    let c = codes(text);
    for expected in ["E0101", "E0107", "E0202", "E0210"] {
        assert!(
            c.iter().any(|x| x == expected),
            "{expected} missing from {c:?}"
        );
    }
    assert!(c.len() >= 5, "{c:?}");
}

#[test]
fn job_that_can_never_run_is_a_warning() {
    let c = codes("pipeline p {\n on push to main\n job a { when tag \"v*\"; run \"x\" }\n}\n");
    assert_eq!(c, ["W0002"]);
}

#[test]
fn jobs_on_dispatch_inputs_other_than_their_defaults_can_run() {
    // Each condition holds when the run is started with the right inputs,
    // together or one after the other along `after`.
    let c = codes(
        r#"pipeline p {
  on dispatch(mode: enum(quick, full) = quick, dry: bool = false, note: string = "x")
  job both { run "make"; when inputs.mode == full and inputs.dry == true }
  job full { run "make"; when inputs.mode == full }
  job dry { run "make"; when inputs.dry == true; after full }
  job other { run "make"; when inputs.note != "x" }
  job three { run "make"; when inputs.mode != quick and inputs.dry == true and inputs.note == "y" }
}
"#,
    );
    assert_eq!(c, Vec::<String>::new());
    // What no inputs can make hold is still reported.
    let c = codes(
        "pipeline p {\n on dispatch(mode: enum(quick, full) = quick)\n job a { run \"x\"; when inputs.mode == quick and inputs.mode == full }\n}\n",
    );
    assert_eq!(c, ["W0002"]);
}

#[test]
fn services_deployed_with_the_same_kubeconfig_reach_their_environment_the_same_way() {
    let service = |name: &str| {
        format!(
            "service {name} {{\n  image {name}\n  port 80\n  deploy to [live] via kubectl(kubeconfig: secret(\"KUBE\"))\n}}\n"
        )
    };
    let text = format!(
        "use std.docker\npipeline p {{\n  on push\n  image a = docker.build()\n  image b = docker.build()\n  publish a to ghcr(\"acme/a\") {{ tags [sha] }}\n  publish b to ghcr(\"acme/b\") {{ tags [sha] }}\n}}\nenvironment live {{ namespace \"live\"; deploy on branch main }}\n{}{}",
        service("a"),
        service("b")
    );
    assert_eq!(codes(&text), Vec::<String>::new());
    let other = text.replacen("secret(\"KUBE\")", "secret(\"OTHER\")", 1);
    assert_eq!(codes(&other), ["E0310"]);
}

#[test]
fn steps_after_a_template_call_go_before_or_after_the_steps_they_name() {
    let p = ok(r#"use std.python
pipeline p {
  on push
  job test = python.pytest() {
    step "Migrate" run "alembic upgrade head" before "Test"
    step "Seed" run "python seed.py" before "Test"
    step "Report" run "python report.py" after "Test"
    step "Upload" run "python upload.py" after "Test"
    run "cleanup"
    step "Wait" run "sleep 1" after "Migrate"
  }
}
"#);
    let names: Vec<String> = p.pipelines[0].jobs[0]
        .run()
        .expect("a run job")
        .steps
        .iter()
        .map(|s| s.name.as_literal().expect("a literal name"))
        .collect();
    assert_eq!(
        names,
        [
            "Install dependencies",
            "Migrate",
            "Wait",
            "Seed",
            "Test",
            "Report",
            "Upload",
            "cleanup"
        ]
    );
}

#[test]
fn template_strings_are_checked_against_parameters() {
    let c = codes(
        "template t(n: int = 1) -> job { run \"echo {{ m }}\" }\npipeline p {\n on push\n job a = t()\n}\n",
    );
    assert_eq!(c, ["E0207"]);
}

#[test]
fn matrix_values_become_run_time_parts() {
    let p = ok(
        "pipeline p {\n on push\n job a { matrix { os: [\"a\", \"b\"] }; run \"echo {{ matrix.os }}\" }\n}\n",
    );
    let step = &p.pipelines[0].jobs[0].run().unwrap().steps[0];
    assert_eq!(step.script.to_string(), "echo {{ matrix.os }}");
    assert!(!step.script.is_literal());
}

#[test]
fn unnamed_steps_are_named_after_their_first_line_with_its_values() {
    let p = ok(concat!(
        "pipeline p {\n on push\n job a {\n matrix { os: [\"a\"] }\n",
        " run \"\\n  pytest --os {{ matrix.os }} -k smoke\\nexit 0\"\n",
        " run \"echo {{ matrix.os }} and a rather long line that goes on and on\"\n",
        " }\n}\n"
    ));
    let steps = &p.pipelines[0].jobs[0].run().unwrap().steps;
    assert_eq!(
        steps[0].name.to_string(),
        "pytest --os {{ matrix.os }} -k smoke"
    );
    assert!(!steps[0].name.is_literal());
    assert_eq!(
        steps[1].name.to_string(),
        "echo {{ matrix.os }} and a rather long l…"
    );
}

#[test]
fn run_time_values_stay_in_the_fields_of_a_job() {
    let p = ok(concat!(
        "pipeline p {\n on push\n on dispatch(who: string = \"x\")\n job a {\n",
        " matrix { os: [\"a\"] }\n title \"T {{ matrix.os }}\"\n runs_on \"{{ matrix.os }}\"\n",
        " step \"S {{ inputs.who }}\" run \"true\"\n artifact \"d-{{ matrix.os }}/\"\n",
        " report coverage \"c-{{ ci.sha }}.xml\" min 80%\n }\n}\n"
    ));
    let job = &p.pipelines[0].jobs[0];
    let r = job.run().unwrap();
    assert_eq!(job.title.to_string(), "T {{ matrix.os }}");
    assert!(
        matches!(&job.runner, pipec_graph::Runner::Label(l) if l.to_string() == "{{ matrix.os }}")
    );
    assert_eq!(r.steps[0].name.to_string(), "S {{ inputs.who }}");
    assert_eq!(r.artifacts[0].paths[0].to_string(), "d-{{ matrix.os }}/");
    assert_eq!(r.reports[0].path.to_string(), "c-{{ ci.sha }}.xml");
    assert_eq!(
        r.coverage_gate().map(|g| g.to_string()).as_deref(),
        Some("80")
    );
}

#[test]
fn stdlib_errors_point_at_the_call() {
    let c = run(&[(
        "main.pipe",
        "use std.python\npipeline p {\n on push\n job t = python.pytest(coverage: \"70\")\n}\n",
    )]);
    let d = &c.diagnostics[0];
    assert_eq!(d.code.as_str(), "E0201");
    assert_eq!(c.sources.get(d.primary_span().source).name, "main.pipe");
}

#[test]
fn output_is_deterministic() {
    let a = format!("{:?}", ok(BASE));
    let b = format!("{:?}", ok(BASE));
    assert_eq!(a, b);
}

#[test]
fn a_publish_rule_may_come_before_its_image() {
    let p = ok(r#"
use std.docker
pipeline p {
  on push
  publish app to ghcr("acme/app") { tags [sha] }
  image app = docker.build()
}
"#);
    let names: Vec<&str> = p.pipelines[0]
        .jobs
        .iter()
        .map(|j| j.name.as_str())
        .collect();
    assert_eq!(names, ["build_app", "publish_app"]);
}

#[test]
fn each_pipeline_gets_its_own_edges_and_deployments() {
    let p = ok(r#"
template say(word: string) -> job { run "echo {{ word }}" }
pipeline one {
  on push
  job a = say(word: "first")
  job b = say(word: "second") { after a }
  image x { dockerfile "x/Dockerfile" }
  publish x to ghcr("acme/x") { tags [sha] }
  job last { run "echo done"; after all; run_if always }
}
pipeline two {
  on push
  job c { run "echo c" }
  image y { dockerfile "y/Dockerfile"; after c }
  publish y to ghcr("acme/y") { tags [sha] }
}
environment dev { namespace "dev"; deploy on branch main }
service x { image x; port 80; deploy to [dev] via argocd }
service y { image y; port 80; deploy to [dev] via argocd }
gitops { repo "https://github.com/acme/deploy.git" }
"#);
    let script = |pl: &pipec_graph::Pipeline, job: &str| {
        pl.job_named(job).unwrap().run().unwrap().steps[0]
            .script
            .to_string()
    };
    let (one, two) = (&p.pipelines[0], &p.pipelines[1]);
    // One compiled string, rendered with each call's arguments.
    assert_eq!(script(one, "a"), "echo first");
    assert_eq!(script(one, "b"), "echo second");
    let names = |pl: &pipec_graph::Pipeline, job: &str| -> Vec<String> {
        let id = pl.job_named(job).unwrap().id;
        pl.needs(id)
            .iter()
            .map(|n| pl.job(*n).name.clone())
            .collect()
    };
    assert_eq!(names(one, "b"), ["a"]);
    assert_eq!(
        names(one, "last"),
        ["a", "b", "build_x", "deploy_dev", "publish_x"]
    );
    assert_eq!(names(one, "deploy_dev"), ["publish_x"]);
    assert_eq!(names(two, "build_y"), ["c"]);
    assert_eq!(names(two, "deploy_dev"), ["publish_y"]);
    // Dependencies before dependents, ties in declaration order.
    let order: Vec<&str> = one
        .topo_order()
        .iter()
        .map(|j| one.job(*j).name.as_str())
        .collect();
    assert_eq!(
        order,
        ["a", "b", "build_x", "publish_x", "deploy_dev", "last"]
    );
}

#[test]
fn parameters_without_text_form_are_errors_only_where_used() {
    let template = "template t(webhook: secret, sizes: range<int> = 1..3, n: int = 1) -> job {\n  env { HOOK: webhook }\n  run \"echo {{ n }}\"\n}\n";
    ok(&format!(
        "{template}pipeline p {{\n on push\n job a = t(webhook: secret(\"HOOK\"))\n}}\n"
    ));
    let c = codes(&format!(
        "{}pipeline p {{\n on push\n job a = t(webhook: secret(\"HOOK\"))\n}}\n",
        template.replace("{{ n }}", "{{ webhook }}")
    ));
    assert_eq!(c, ["E0207"]);
}

#[test]
fn strings_cannot_build_huge_values() {
    // Each of these took minutes and gigabytes to render before being refused.
    let doubling = format!(
        "{}{{{{ a }}}}{}",
        "{% for a in [[a, a]] %}".repeat(30),
        "{% endfor %}".repeat(30)
    );
    for script in [
        "{{ [1] * 100000000 }}".to_string(),
        "{% set a = [1] %}{% set a = a + a %}{{ a }}".to_string(),
        doubling,
    ] {
        let c = codes(&format!(
            "template t(a: string = \"x\") -> job {{ run \"{script}\" }}\npipeline p {{\n on push\n job j = t()\n}}\n"
        ));
        assert_eq!(c, ["E0207"], "{script}");
    }
}

#[test]
fn files_parsed_in_parallel_keep_their_order() {
    let files: Vec<(String, String)> = (0..9)
        .map(|i| {
            (
                format!("app/f{i}.pipe"),
                format!("pipeline p{i} {{\n on push\n job j {{ run \"x\" }}\n}}\n)\n"),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let c = run(&refs);
    let names: Vec<&str> = c
        .diagnostics
        .iter()
        .map(|d| c.sources.get(d.primary_span().source).name.as_str())
        .collect();
    let expected: Vec<String> = (0..9).map(|i| format!("app/f{i}.pipe")).collect();
    assert_eq!(names, expected);
}

/// Each module imports the next: loading the chain takes no native stack in
/// proportion to its length (the test thread has 2 MiB), and the template at
/// its far end is still found through it.
#[test]
fn a_chain_of_ten_thousand_modules_loads_without_deep_recursion() {
    const N: usize = 10_000;
    let mut files = vec![(
        PathBuf::from("app/main.pipe"),
        "use \"lib/m0.pipe\"\npipeline app {\n  on push\n  job test = m0.unit()\n}\n".to_string(),
    )];
    for i in 0..N {
        let next = if i + 1 < N {
            format!("use \"m{}.pipe\"\n", i + 1)
        } else {
            String::new()
        };
        files.push((
            PathBuf::from(format!("app/lib/m{i}.pipe")),
            format!("{next}template unit() -> job {{\n  run \"test {i}\"\n}}\n"),
        ));
    }
    let fs = MemoryFs(files.into_iter().collect());
    let checked = check(std::path::Path::new("app"), &fs).expect("readable");
    assert!(
        checked.diagnostics.is_empty(),
        "{:#?}",
        &checked.diagnostics[..3.min(checked.diagnostics.len())]
    );
    let program = checked.program.expect("program");
    assert_eq!(program.pipelines[0].jobs.len(), 1);
}
