//! The interpreter (`github.rs`, `expr.rs`, `pattern.rs`) against what
//! GitHub's documentation says, case by case, so that the walk's verdicts
//! rest on GitHub's rules and not on the interpreter's own reading of them.

use std::collections::{BTreeMap, BTreeSet};

use crate::expr;
use crate::github::{self, Event, JobState, Sim};
use crate::pattern;

/// The interpreter against the examples of GitHub's "Filter pattern cheat
/// sheet" (workflow syntax reference): every pattern with the names the
/// documentation says it matches, and names it must not.
#[test]
fn interpreter_filter_patterns_follow_the_documentation() {
    let branches_and_tags: &[(&str, &[&str], &[&str])] = &[
        (
            "feature/*",
            &["feature/my-branch", "feature/your-branch"],
            &["feature/beta-a/my-branch"],
        ),
        (
            "feature/**",
            &[
                "feature/beta-a/my-branch",
                "feature/your-branch",
                "feature/mona/the/octocat",
            ],
            &["features/x"],
        ),
        ("main", &["main"], &["mainline"]),
        (
            "releases/mona-the-octocat",
            &["releases/mona-the-octocat"],
            &["releases/mona"],
        ),
        ("*", &["main", "releases"], &["all/the/branches"]),
        ("**", &["all/the/branches", "every/tag"], &[]),
        (
            "*feature",
            &["mona-feature", "feature", "ver-10-feature"],
            &["feature-x"],
        ),
        ("v2*", &["v2", "v2.0", "v2.9"], &["v1.0"]),
        (
            "v[12].[0-9]+.[0-9]+",
            &["v1.10.1", "v2.0.0"],
            &["v3.0.0", "v1.x.0"],
        ),
    ];
    let paths: &[(&str, &[&str], &[&str])] = &[
        ("*", &["README.md", "server.rb"], &["docs/README.md"]),
        ("*.jsx?", &["page.js", "page.jsx"], &["page.jsxx"]),
        ("**", &["all/the/files.md"], &[]),
        ("*.js", &["app.js", "index.js"], &["js/index.js"]),
        (
            "**.js",
            &["index.js", "js/index.js", "src/js/app.js"],
            &["index.ts"],
        ),
        (
            "docs/*",
            &["docs/README.md", "docs/file.txt"],
            &["docs/mona/octocat.txt"],
        ),
        (
            "docs/**",
            &["docs/README.md", "docs/mona/octocat.txt"],
            &["README.md"],
        ),
        (
            "docs/**/*.md",
            &[
                "docs/README.md",
                "docs/mona/hello-world.md",
                "docs/a/markdown/file.md",
            ],
            &["docs/a.txt"],
        ),
        (
            "**/docs/**",
            &[
                "docs/hello.md",
                "dir/docs/my-file.txt",
                "space/docs/plan/space.doc",
            ],
            &["mydocs/x"],
        ),
        (
            "**/README.md",
            &["README.md", "js/README.md"],
            &["README.mdx"],
        ),
        (
            "**/*src/**",
            &["a/src/app.js", "my-src/code/js/app.js"],
            &["src.js"],
        ),
        (
            "**/*-post.md",
            &["my-post.md", "path/their-post.md"],
            &["post.md"],
        ),
        (
            "**/migrate-*.sql",
            &[
                "migrate-10909.sql",
                "db/migrate-v1.0.sql",
                "db/sept/migrate-v1.sql",
            ],
            &["migrate.sql"],
        ),
    ];
    for (pattern, yes, no) in branches_and_tags.iter().chain(paths) {
        for name in *yes {
            assert!(
                pattern::matches(pattern, name),
                "{pattern} should match {name}"
            );
        }
        for name in *no {
            assert!(
                !pattern::matches(pattern, name),
                "{pattern} should not match {name}"
            );
        }
    }
    // "Patterns are checked sequentially": a negation excludes what the
    // patterns before it included, and a later pattern includes it again.
    let list = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let md = list(&["*.md", "!README.md"]);
    assert!(pattern::passes(&md, "hello.md"));
    assert!(!pattern::passes(&md, "README.md"));
    assert!(!pattern::passes(&md, "docs/hello.md"));
    let again = list(&["*.md", "!README.md", "README*"]);
    for name in ["hello.md", "README.md", "README.doc"] {
        assert!(pattern::passes(&again, name), "{name}");
    }
}

fn push(git_ref: &str, paths: &[&str], message: &str) -> Event {
    Event::Push {
        git_ref: git_ref.into(),
        sha: "0".repeat(40),
        paths: paths.iter().map(|p| p.to_string()).collect(),
        message: message.into(),
    }
}

/// The interpreter's triggers against the rules GitHub documents for `push`
/// ("Workflow syntax for GitHub Actions", `on.push.<branches|tags|…>` and
/// `on.push.<paths|paths-ignore>`; "Skipping workflow runs").
#[test]
fn interpreter_triggers_follow_the_documentation() {
    let w = |on: &str| github::Workflow::parse("w.yml", &format!("on:\n{on}\njobs: {{}}\n"));
    // "If you define only tags/tags-ignore or only branches/branches-ignore,
    // the workflow won't run for events affecting the undefined Git ref."
    let tags_only = w("  push:\n    tags: ['v*']");
    assert!(!github::triggered(
        &tags_only,
        &push("refs/heads/main", &["a"], "x")
    ));
    assert!(github::triggered(
        &tags_only,
        &push("refs/tags/v1", &[], "x")
    ));
    let branches_only = w("  push:\n    branches: [main]");
    assert!(!github::triggered(
        &branches_only,
        &push("refs/tags/v1", &[], "x")
    ));
    // Neither: both branches and tags.
    let any = w("  push: {}");
    assert!(github::triggered(&any, &push("refs/tags/v1", &[], "x")));
    assert!(github::triggered(&any, &push("refs/heads/x", &["a"], "x")));
    // "If you define both branches/branches-ignore and paths/paths-ignore,
    // the workflow will only run when both filters are satisfied."
    let both = w("  push:\n    branches: [main]\n    paths: ['src/**']");
    assert!(github::triggered(
        &both,
        &push("refs/heads/main", &["src/a.rs"], "x")
    ));
    assert!(!github::triggered(
        &both,
        &push("refs/heads/main", &["README.md"], "x")
    ));
    assert!(!github::triggered(
        &both,
        &push("refs/heads/dev", &["src/a.rs"], "x")
    ));
    // "Path filters are not evaluated for pushes of tags."
    let tagged = w("  push:\n    tags: ['v*']\n    paths: ['src/**']");
    assert!(github::triggered(
        &tagged,
        &push("refs/tags/v1", &["README.md"], "x")
    ));
    // "When all the path names match patterns in paths-ignore, the workflow
    // will not run. If any path names do not match …, the workflow will run."
    let ignore = w("  push:\n    paths-ignore: ['docs/**']");
    assert!(!github::triggered(
        &ignore,
        &push("refs/heads/main", &["docs/a.md"], "x")
    ));
    assert!(github::triggered(
        &ignore,
        &push("refs/heads/main", &["docs/a.md", "src/b.rs"], "x")
    ));
    // "Workflows that would otherwise be triggered using on: push … won't be
    // triggered if you add any of the following strings to the commit
    // message": [skip ci], [ci skip], [no ci], [skip actions], [actions skip].
    for s in [
        "[skip ci]",
        "[ci skip]",
        "[no ci]",
        "[skip actions]",
        "[actions skip]",
    ] {
        assert!(!github::triggered(
            &any,
            &push("refs/heads/main", &["a"], &format!("deploy {s}"))
        ));
    }
    let dispatch = w("  workflow_dispatch: {}");
    assert!(!github::triggered(
        &dispatch,
        &push("refs/heads/main", &["a"], "x")
    ));
}

/// Runs nothing: every job succeeds.
struct Nothing;

impl github::Executor for Nothing {
    fn execute(&mut self, _: &github::Run, _: &str) -> (bool, BTreeMap<String, String>) {
        (true, BTreeMap::new())
    }
}

/// The interpreter's concurrency against "Control the concurrency of
/// workflows and jobs": "at most one running and one pending job in a
/// concurrency group at any time … Any existing pending job or workflow in
/// the same concurrency group, if it exists, will be canceled and the new
/// queued job or workflow will take its place", and `cancel-in-progress`.
/// A job waiting for its environment's reviewers is running, for its group.
#[test]
fn interpreter_concurrency_follows_the_documentation() {
    let text = |group: &str, cancel: bool| {
        format!(
            "on: push\njobs:\n  deploy:\n    environment: prod\n    concurrency:\n      group: {group}\n      cancel-in-progress: {cancel}\n    steps: []\n"
        )
    };
    let w = github::Workflow::parse("w.yml", &text("deploy-prod", false));
    let mut sim = Sim::new(BTreeSet::from(["prod".to_string()]));
    let ev = push("refs/heads/main", &["a"], "x");
    let r1 = sim.dispatch(&w, &ev, &mut Nothing).unwrap();
    let r2 = sim.dispatch(&w, &ev, &mut Nothing).unwrap();
    assert_eq!(sim.runs[r1].state("deploy"), JobState::Waiting);
    assert_eq!(sim.runs[r2].state("deploy"), JobState::Pending);
    let r3 = sim.dispatch(&w, &ev, &mut Nothing).unwrap();
    assert_eq!(sim.runs[r2].state("deploy"), JobState::Cancelled);
    assert_eq!(sim.runs[r3].state("deploy"), JobState::Pending);
    sim.approve(r1, "deploy", &mut Nothing);
    assert_eq!(sim.runs[r1].state("deploy"), JobState::Success);
    assert_eq!(sim.runs[r3].state("deploy"), JobState::Waiting);
    // Group names are case-insensitive ("prod and Prod will be treated as the
    // same concurrency group"), and cancel-in-progress cancels the running one.
    let w = github::Workflow::parse("w.yml", &text("Deploy-Prod", true));
    let r4 = sim.dispatch(&w, &ev, &mut Nothing).unwrap();
    assert_eq!(sim.runs[r3].state("deploy"), JobState::Cancelled);
    assert_eq!(sim.runs[r4].state("deploy"), JobState::Waiting);
    // A workflow-level group holds the whole run.
    let w = github::Workflow::parse(
        "w.yml",
        "on: push\nconcurrency: ci-main\njobs:\n  deploy:\n    environment: prod\n    steps: []\n",
    );
    let a = sim.dispatch(&w, &ev, &mut Nothing).unwrap();
    let b = sim.dispatch(&w, &ev, &mut Nothing).unwrap();
    assert_eq!(sim.runs[a].state("deploy"), JobState::Waiting);
    assert_eq!(
        sim.runs[b].state("deploy"),
        JobState::Pending,
        "the whole run waits"
    );
}

/// The expression evaluator against "Evaluate expressions in workflows and
/// actions": operators, functions, and the `&&`/`||` idiom that picks a
/// value.
#[test]
fn interpreter_expressions_follow_the_documentation() {
    let cx = expr::Props(BTreeMap::from([
        (
            "github.ref".to_string(),
            expr::Value::Str("refs/heads/main".into()),
        ),
        (
            "github.event_name".to_string(),
            expr::Value::Str("push".into()),
        ),
    ]));
    let e = |s: &str| expr::eval(s, &cx);
    // "GitHub ignores case when comparing strings."
    assert_eq!(e("'abc' == 'ABC'"), expr::Value::Bool(true));
    assert_eq!(e("contains('Hello world', 'llo')"), expr::Value::Bool(true));
    assert_eq!(
        e("startsWith('Hello world', 'He')"),
        expr::Value::Bool(true)
    );
    assert_eq!(e("endsWith('Hello world', 'ld')"), expr::Value::Bool(true));
    assert_eq!(
        e("format('Hello {0} {1} {2}', 'Mona', 'the', 'Octocat')"),
        expr::Value::Str("Hello Mona the Octocat".into())
    );
    // The ternary idiom: `condition && 'a' || 'b'`.
    assert_eq!(
        e(
            "github.ref == 'refs/heads/main' && 'value_for_main_branch' || 'value_for_other_branches'"
        ),
        expr::Value::Str("value_for_main_branch".into())
    );
    assert_eq!(
        e("github.event_name == 'pull_request' && github.ref || 'elsewhere'"),
        expr::Value::Str("elsewhere".into())
    );
    // Falsy: false, 0, '', null.
    for falsy in ["false", "0", "''", "null"] {
        assert!(!e(falsy).truthy(), "{falsy}");
    }
    assert!(e("!startsWith(github.ref, 'refs/tags/')").truthy());
    assert_eq!(
        expr::interpolate("${{ github.event_name }}-${{ github.ref }}", &cx),
        "push-refs/heads/main"
    );
}
