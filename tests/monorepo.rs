//! The generated monorepo the benchmark checks is a clean program: no errors
//! and no warnings from the checker or from the targets it builds to, so the
//! benchmark measures a real check, not an error path.

use std::path::Path;

use pipec_check::{MemoryFs, check};
use pipec_tests::monorepo;

/// The monorepo of `services` services, checked from memory.
fn checked(services: usize) -> pipec_check::Checked {
    let repo = monorepo::generate(services);
    let fs = MemoryFs(
        repo.files
            .iter()
            .map(|(p, t)| (Path::new("repo").join(p), t.clone()))
            .collect(),
    );
    check(Path::new("repo"), &fs).expect("readable")
}

fn diagnostics(services: usize) -> (Vec<String>, usize) {
    let checked = checked(services);
    let mut diags = checked.diagnostics.clone();
    if let Some(p) = &checked.program {
        let (_, d) = pipec::render(p, monorepo::TARGETS).expect("disjoint files");
        diags.extend(d);
    }
    let rendered = diags
        .iter()
        .map(|d| {
            pipec_diagnostics::render::short(d, &checked.sources)
                .trim_end()
                .to_string()
        })
        .collect();
    let services = checked.program.map_or(0, |p| p.services.len());
    (rendered, services)
}

#[test]
fn a_small_monorepo_checks_clean() {
    let (diags, services) = diagnostics(60);
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(services, 60);
}

#[test]
fn the_benchmark_monorepo_has_the_promised_size() {
    let repo = monorepo::generate(1000);
    let lines = repo.lines();
    assert!((45_000..=60_000).contains(&lines), "{lines} lines");
}

/// The GitHub workflows the monorepo's pipelines run on their own (not the
/// deployment workflows started by hand, `*-deploy.yml`, which accept every
/// release), by path, with the checked program.
fn workflows(services: usize) -> (Vec<(String, String)>, pipec_graph::Program) {
    let checked = checked(services);
    let program = checked.program.expect("the monorepo checks");
    let (tree, _) = pipec::render(&program, &["github"]).expect("disjoint files");
    let files = tree
        .files()
        .filter(|f| f.path.starts_with(".github/workflows/") && !f.path.ends_with("-deploy.yml"))
        .map(|f| (f.path.clone(), f.body.clone()))
        .collect();
    (files, program)
}

/// A service's deployment conditions do not grow with the number of teams:
/// they name only the release tags its own pipeline runs for (issue 14), so
/// every job's `if:` of a service's workflow is the same at 10 services and
/// at 400. (What a deployment started by hand accepts, every release of the
/// program, is listed once per pattern and still grows with the number of
/// teams: docs/performance.md.)
#[test]
fn a_services_deployment_conditions_do_not_grow_with_the_monorepo() {
    let (small, _) = workflows(10);
    let (large, _) = workflows(400);
    let conditions = |body: &str| -> Vec<(String, String)> {
        let doc: yaml_serde::Value = yaml_serde::from_str(body).expect("YAML");
        let jobs = doc["jobs"].as_mapping().expect("jobs");
        jobs.iter()
            .filter_map(|(name, job)| {
                Some((name.as_str()?.to_string(), job["if"].as_str()?.to_string()))
            })
            .collect()
    };
    let mut compared = 0;
    for (path, body) in &small {
        let same = large.iter().find(|(p, _)| p == path).map(|(_, b)| b);
        let same = same.unwrap_or_else(|| panic!("no {path} at 400 services"));
        let (a, b) = (conditions(body), conditions(same));
        assert_eq!(a, b, "{path}: the conditions differ at 400 services");
        compared += a.iter().filter(|(n, _)| n.starts_with("deploy_")).count();
    }
    assert!(compared >= 10, "{compared} deployment conditions compared");
}

/// GitHub's reading of each prod deployment's `if:` admits exactly the runs
/// the program's `prod` condition (`on release`: every pipeline's tag
/// patterns) admits among the runs the workflow can have: its own team's
/// tags, and pushes to its branches.
#[test]
fn each_prod_deployment_admits_its_teams_release_tags() {
    let (files, program) = workflows(60);
    let prod = program
        .environments
        .iter()
        .find(|e| e.name == "prod")
        .expect("prod");
    let release = prod.trigger.clone().expect("prod deploys on release");
    let mut checked = 0;
    for (path, body) in &files {
        let doc: yaml_serde::Value = yaml_serde::from_str(body).expect("YAML");
        let Some(cond) = doc["jobs"]["deploy_prod"]["if"].as_str() else {
            continue;
        };
        let team = doc["env"]["TEAM"].as_str().expect("TEAM").to_string();
        let tags: Vec<&str> = doc["on"]["push"]["tags"]
            .as_sequence()
            .expect("tag filters")
            .iter()
            .filter_map(|t| t.as_str())
            .collect();
        assert_eq!(tags, [format!("{team}-v*")], "{path}");
        let expr = pipec_lint::facts::expr::parse(cond).expect("an expression");
        for (git_ref, run) in [
            (format!("refs/tags/{team}-v1.2.0"), true),
            (format!("refs/tags/{team}-v2"), true),
            ("refs/heads/main".to_string(), false),
            ("refs/heads/develop".to_string(), false),
        ] {
            let name = git_ref
                .splitn(3, '/')
                .nth(2)
                .unwrap_or_default()
                .to_string();
            let is_tag = git_ref.starts_with("refs/tags/");
            let want = release.eval(&pipec_graph::Run {
                event: if is_tag {
                    pipec_graph::Event::Tag
                } else {
                    pipec_graph::Event::Push
                },
                branch: (!is_tag).then(|| name.clone()),
                tag: is_tag.then(|| name.clone()),
                inputs: Vec::new(),
            });
            assert_eq!(want, run, "{git_ref}");
            let got = truthy(&github_eval(&expr, &git_ref, &name));
            assert_eq!(got, want, "{path}: `{cond}` on {git_ref}");
        }
        // Another team's tag never starts this workflow, and would not
        // deploy it.
        let other = github_eval(&expr, "refs/tags/team-99-v1", "team-99-v1");
        assert!(!truthy(&other), "{path}");
        assert!(cond.len() < 120, "{path}: {cond}");
        checked += 1;
    }
    assert!(checked > 50, "{checked} prod deployments");
}

/// A GitHub expression's value, for the functions and contexts deployment
/// conditions use, as GitHub evaluates them (string comparisons ignore case).
fn github_eval(e: &pipec_lint::facts::expr::Expr, git_ref: &str, ref_name: &str) -> Val {
    use pipec_lint::facts::expr::Expr;
    let text = |e: &Expr| match github_eval(e, git_ref, ref_name) {
        Val::Str(s) => s.to_lowercase(),
        other => panic!("expected a string, found {other:?}"),
    };
    match e {
        Expr::Str(s) => Val::Str(s.clone()),
        Expr::Bool(b) => Val::Bool(*b),
        Expr::Ctx(c) => match c.as_str() {
            "github.ref" => Val::Str(git_ref.into()),
            "github.ref_name" => Val::Str(ref_name.into()),
            "github.event_name" => Val::Str("push".into()),
            other => panic!("context {other} in a deployment condition"),
        },
        Expr::Not(x) => Val::Bool(!truthy(&github_eval(x, git_ref, ref_name))),
        Expr::Bin("&&", a, b) => {
            let a = github_eval(a, git_ref, ref_name);
            if truthy(&a) {
                github_eval(b, git_ref, ref_name)
            } else {
                a
            }
        }
        Expr::Bin("||", a, b) => {
            let a = github_eval(a, git_ref, ref_name);
            if truthy(&a) {
                a
            } else {
                github_eval(b, git_ref, ref_name)
            }
        }
        Expr::Bin("==", a, b) => Val::Bool(text(a) == text(b)),
        Expr::Bin("!=", a, b) => Val::Bool(text(a) != text(b)),
        Expr::Call(f, args) => match (f.as_str(), args.as_slice()) {
            ("startswith", [a, b]) => Val::Bool(text(a).starts_with(&text(b))),
            ("endswith", [a, b]) => Val::Bool(text(a).ends_with(&text(b))),
            ("contains", [a, b]) => Val::Bool(text(a).contains(&text(b))),
            other => panic!("function {other:?} in a deployment condition"),
        },
        other => panic!("{other:?} in a deployment condition"),
    }
}

#[derive(Debug)]
enum Val {
    Str(String),
    Bool(bool),
}

fn truthy(v: &Val) -> bool {
    match v {
        Val::Str(s) => !s.is_empty(),
        Val::Bool(b) => *b,
    }
}
