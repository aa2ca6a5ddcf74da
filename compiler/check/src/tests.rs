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

/// Each misspelling, with its suggestion applied, checks clean: the
/// suggestions an editor offers as quick fixes are the right text at the
/// right place.
#[test]
fn suggestions_fix_what_they_are_about() {
    let broken = [
        ("job lint = python.lnt()", "python.lint"),
        ("job lint = pyhton.lint()", "python.lint"),
        ("job lint = python.lint(pth: \"src\")", "path"),
        ("job lint = python.lint(after: tset)", "test"),
        ("job lint { run \"make\"; timout 10m }", "timeout"),
        ("job lint { run \"make\"; timeout 90 }", "90s"),
        ("job lint { run \"make\"; runs_on ubunty }", "ubuntu"),
        ("job lint { run \"make\"; when releas }", "release"),
        (
            "job lint { run \"echo {{ ci.sha }}\"; title ci.shaa }",
            "ci.sha",
        ),
        ("job lint = python.pytest(coverage: 75)", "75%"),
    ];
    for (line, replacement) in broken {
        let text = BASE.replace("job lint = python.lint()", line);
        let c = run(&[("app/main.pipe", &text)]);
        let fixes: Vec<_> = c
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.suggestions.first().expect("a suggestion").clone())
            .collect();
        assert_eq!(fixes.len(), 1, "{line}: {:#?}", c.diagnostics);
        let fix = &fixes[0];
        assert_eq!(fix.replacement, replacement, "{line}");
        let mut fixed = text.clone();
        fixed.replace_range(fix.span.range(), &fix.replacement);
        let again = run(&[("app/main.pipe", &fixed)]);
        assert!(!again.has_errors(), "{fixed}: {:#?}", again.diagnostics);
    }
}

fn indexed(text: &str, parses: &crate::ParseCache) -> (Checked, crate::Index) {
    let fs = MemoryFs([(PathBuf::from("app/main.pipe"), text.to_string())].into());
    crate::check_indexed(std::path::Path::new("app/main.pipe"), &fs, parses).expect("readable")
}

/// The index names what the checker resolved, where it is written.
#[test]
fn index_records_references_and_types() {
    use crate::ReferenceKind as K;
    let (c, index) = indexed(BASE, &crate::ParseCache::new());
    assert!(!c.has_errors(), "{:#?}", c.diagnostics);
    let at = |needle: &str, nth: usize| -> u32 {
        BASE.match_indices(needle).nth(nth).expect(needle).0 as u32
    };
    let find = |start: u32, kind: K| {
        index
            .references
            .iter()
            .find(|r| r.span.source.0 == 0 && r.span.start == start && r.kind == kind)
            .unwrap_or_else(|| panic!("no {kind:?} at {start}: {:#?}", index.references))
    };
    // `python.pytest(…)`: the module alias, then the template in std.python.
    let module = find(at("python.pytest", 0), K::Module);
    assert_eq!(
        c.sources.slice(module.declaration.unwrap()),
        "use std.python"
    );
    let template = find(at("pytest(", 0), K::Template);
    let decl = template.declaration.unwrap();
    assert_eq!(c.sources.get(decl.source).name, "<std>/python.pipe");
    assert_eq!(c.sources.slice(decl), "pytest");
    // A named argument names the parameter.
    let param = find(at("coverage:", 0), K::Parameter);
    assert_eq!(c.sources.slice(param.declaration.unwrap()), "coverage");
    // Jobs, images and environments by name.
    assert_eq!(find(at("lint, test]", 0), K::Job).name, "lint");
    assert_eq!(find(at("app to ghcr", 0), K::Image).name, "app");
    assert_eq!(find(at("dev, prod]", 0), K::Environment).name, "dev");
    assert_eq!(find(at("dev, approvals", 0), K::Environment).name, "dev");
    // A parameter used in a template body, decided at the call.
    assert!(index.references.iter().any(|r| {
        r.kind == K::Parameter
            && r.name == "coverage"
            && c.sources.get(r.span.source).name == "<std>/python.pipe"
            && r.site.source.0 == 0
    }));
    // Values with the type they were read as.
    let (span, ty) = index.type_at(module.span.source, at("80%", 0) + 1).unwrap();
    assert_eq!(
        (c.sources.slice(span), ty),
        ("80%", &crate::types::Ty::Percent)
    );
    let (span, ty) = index
        .type_at(module.span.source, at("lint, test]", 0))
        .unwrap();
    assert_eq!(
        (c.sources.slice(span), ty),
        ("lint", &crate::types::Ty::Job)
    );
}

/// A second check of unchanged text reuses its trees; changed text is
/// parsed again.
#[test]
fn parse_cache_reuses_unchanged_files() {
    let parses = crate::ParseCache::new();
    indexed(BASE, &parses);
    let (_, first) = parses.get(pipec_diagnostics::SourceId(0)).unwrap();
    let (_, again) = {
        indexed(BASE, &parses);
        parses.get(pipec_diagnostics::SourceId(0)).unwrap()
    };
    assert!(std::sync::Arc::ptr_eq(&first, &again));
    let changed = BASE.replace("80%", "85%");
    let (c, _) = indexed(&changed, &parses);
    let (text, tree) = parses.get(pipec_diagnostics::SourceId(0)).unwrap();
    assert!(!std::sync::Arc::ptr_eq(&first, &tree));
    assert_eq!(&*text, changed.as_str());
    assert!(!c.has_errors());
}
