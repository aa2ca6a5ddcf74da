//! `pipec init`, `fmt`, `graph` and `completions`, and what every command
//! shares: `--help` with examples, `--quiet`.

mod support;

use support::{Repo, repo_root, tool};

#[test]
fn init_writes_a_program_that_checks_clean_and_is_formatted() {
    let repo = Repo::new("init");
    let run = repo.pipec(&["init"]);
    assert_eq!(run.code, 0, "{run:?}");
    let check = repo.pipec(&["check", "pipeline.pipe", "--deny-warnings"]);
    assert_eq!(check.code, 0, "{check:?}\n{}", repo.read("pipeline.pipe"));
    let fmt = repo.pipec(&["fmt", "--check", "pipeline.pipe"]);
    assert_eq!(fmt.code, 0, "{fmt:?}");
    let built = repo.pipec(&["build", "pipeline.pipe", "--target", "pre-commit"]);
    assert_eq!(built.code, 0, "{built:?}");

    // It does not overwrite.
    let again = repo.pipec(&["init"]);
    assert_eq!(again.code, 2, "{again:?}");
}

#[test]
fn init_with_several_services_checks_clean() {
    let repo = Repo::new("init-several");
    let run = repo.pipec(&[
        "init",
        "--service",
        "api",
        "--service",
        "billing-worker",
        "--owner",
        "acme",
        "--python",
        "3.11",
        "--out",
        "ci.pipe",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let text = repo.read("ci.pipe");
    assert!(text.contains("service billing_worker"), "{text}");
    assert!(text.contains("ghcr(\"acme/billing-worker\")"), "{text}");
    let check = repo.pipec(&["check", "ci.pipe", "--deny-warnings"]);
    assert_eq!(check.code, 0, "{check:?}\n{text}");
    assert_eq!(repo.pipec(&["fmt", "--check", "ci.pipe"]).code, 0);

    let bad = repo.pipec(&["init", "--service", "Bad Name", "--out", "-"]);
    assert_eq!(bad.code, 2, "{bad:?}");
}

#[test]
fn fmt_rewrites_checks_and_refuses_what_does_not_parse() {
    let repo = Repo::with_example("fmt", "archon-agent");
    // The example is formatted; undo its layout in the copy.
    let original = repo
        .read("ci/pipeline.pipe")
        .replacen("use std.docker\n", "use   std.docker\n", 1)
        .replace("  image   agent\n", "  image agent\n");
    repo.write("ci/pipeline.pipe", &original);

    let check = repo.pipec(&["fmt", "--check", "ci"]);
    assert_eq!(check.code, 1, "{check:?}");
    assert!(
        check.stderr.contains("not formatted: ci/pipeline.pipe"),
        "{check:?}"
    );
    assert_eq!(
        repo.read("ci/pipeline.pipe"),
        original,
        "--check writes nothing"
    );

    let run = repo.pipec(&["fmt", "ci"]);
    assert_eq!(run.code, 0, "{run:?}");
    let formatted = repo.read("ci/pipeline.pipe");
    assert_ne!(formatted, original);
    assert!(
        formatted.contains("// Archon agent (seed 003)"),
        "comments kept"
    );
    assert_eq!(repo.pipec(&["fmt", "--check", "ci"]).code, 0);
    assert_eq!(repo.pipec(&["check", "ci"]).code, 0);
    assert!(!repo.status().contains(".pipec-tmp"), "{}", repo.status());

    repo.write("broken.pipe", "pipeline p {\n  on push\n");
    let run = repo.pipec(&["fmt", "broken.pipe"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("E0001"), "{run:?}");
    assert_eq!(repo.read("broken.pipe"), "pipeline p {\n  on push\n");
}

#[test]
fn the_shipped_programs_are_formatted() {
    let root = repo_root();
    let out = std::process::Command::new(support::pipec_bin())
        .args(["fmt", "--check", "examples", "stdlib", "tests/github"])
        .current_dir(&root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "run `pipec fmt examples stdlib tests/github`:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn fmt_reads_standard_input() {
    use std::io::Write;
    let mut child = std::process::Command::new(support::pipec_bin())
        .args(["fmt", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"pipeline   p {on push}\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "pipeline p { on push }\n"
    );
}

#[test]
fn graph_draws_every_example_in_dot_and_mermaid() {
    let dot = tool("dot");
    for e in ["flask-api", "mts-deploy-ai", "archon-agent"] {
        let path = repo_root().join("examples").join(e);
        let path = path.to_str().unwrap();
        let repo = Repo::new(&format!("graph-{e}"));
        let run = repo.pipec(&["graph", path]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stdout.starts_with("digraph pipec {"), "{run:?}");
        assert!(
            run.stdout.contains("(CI estimated "),
            "{e}: durations declared"
        );
        assert!(
            run.stdout.contains("penwidth=2.5"),
            "{e}: critical path drawn"
        );
        for kind in ["image_", "env_", "service_"] {
            assert!(run.stdout.contains(kind), "{e}: {kind}");
        }
        if let Some(dot) = &dot {
            repo.write("g.dot", &run.stdout);
            let out = support::Run::from(
                std::process::Command::new(dot)
                    .args(["-Tsvg", "g.dot", "-o", "g.svg"])
                    .current_dir(&repo.dir)
                    .output()
                    .unwrap(),
            );
            assert_eq!(out.code, 0, "{e}: {out:?}");
        }
        let run = repo.pipec(&["graph", path, "--format", "mermaid"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stdout.starts_with("flowchart LR\n"), "{run:?}");
        assert!(
            run.stdout.contains("class ") && run.stdout.contains("linkStyle "),
            "{e}"
        );
    }
}

/// The title carries the CI time and the time to each automatically deployed
/// environment, and the critical path runs through publish and deploy jobs.
#[test]
fn graph_titles_carry_both_estimates() {
    let repo = Repo::new("graph-estimates");
    let path = repo_root().join("examples/flask-api");
    let run = repo.pipec(&["graph", path.to_str().unwrap(), "--format", "mermaid"]);
    assert_eq!(run.code, 0, "{run:?}");
    let title = run.stdout.lines().nth(1).unwrap();
    assert!(
        title.contains("CI estimated 3m45s") && title.contains("push → dev 6m45s"),
        "{title}"
    );
    let critical = run
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("class ") && l.ends_with(" critical"))
        .unwrap();
    assert!(
        critical.contains("p0_publish_app") && critical.contains("p0_deploy_dev"),
        "{critical}"
    );
}

#[test]
fn the_picture_in_the_docs_is_current() {
    let repo = Repo::new("graph-docs");
    let run = repo.pipec(&[
        "graph",
        repo_root().join("examples/flask-api").to_str().unwrap(),
    ]);
    let svg = std::fs::read_to_string(repo_root().join("docs/images/flask-api.svg")).unwrap();
    // Every job of the picture is in the committed rendering.
    for line in run.stdout.lines().filter(|l| l.contains("shape=box,")) {
        let label = line
            .split("label=\"")
            .nth(1)
            .unwrap()
            .split(['\\', '"'])
            .next()
            .unwrap();
        assert!(
            svg.contains(&format!(">{label}<")),
            "docs/images/flask-api.svg lacks {label}; re-render it (docs/cli.md)"
        );
    }
}

#[test]
fn completions_for_every_shell() {
    let repo = Repo::new("completions");
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let run = repo.pipec(&["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {run:?}");
        assert!(
            run.stdout.contains("pipec") && run.stdout.contains("build"),
            "{shell}"
        );
    }
}

#[test]
fn every_command_has_help_with_examples() {
    let repo = Repo::new("help");
    for cmd in [
        "build",
        "check",
        "completions",
        "explain",
        "fmt",
        "graph",
        "init",
        "lint",
    ] {
        let run = repo.pipec(&[cmd, "--help"]);
        assert_eq!(run.code, 0, "{cmd}: {run:?}");
        assert!(run.stdout.contains("Examples:"), "{cmd}: {run:?}");
    }
}

#[test]
fn quiet_prints_only_errors() {
    let repo = Repo::with_example("quiet", "flask-api");
    let run = repo.pipec(&["--quiet", "build", "ci", "--target", "pre-commit"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stderr, "");
    let run = repo.pipec(&[
        "--verbose",
        "build",
        "ci",
        "--target",
        "pre-commit",
        "--force",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = repo.pipec(&["-q", "build", "--check"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
}

/// The steps of a progressive rollout, in order, between the environment and
/// the service, with the analysis that watches them: in DOT (which `dot`
/// renders) and in Mermaid alike.
#[test]
fn graph_shows_rollout_steps() {
    let repo = Repo::new("graph-rollout");
    let flask = repo_root().join("examples/flask-api");
    let dot_text = repo.pipec(&["graph", flask.to_str().unwrap()]).stdout;
    let mermaid = repo
        .pipec(&["graph", flask.to_str().unwrap(), "--format", "mermaid"])
        .stdout;
    let steps = [
        "canary 10% of the requests (nginx)",
        "canary 30% of the requests (nginx)",
        "canary 60% of the requests (nginx)",
        "canary 100% of the requests (nginx)",
    ];
    for (i, step) in steps.iter().enumerate() {
        let id = format!("rollout_0_2_{i}");
        assert!(
            dot_text.contains(&format!("{id} [label=\"{step}")),
            "{step}:\n{dot_text}"
        );
        assert!(
            mermaid.contains(&format!("{id}>\"{step}")),
            "{step}:\n{mermaid}"
        );
    }
    for (text, arrow, chain) in [(&dot_text, "->", " -> "), (&mermaid, "-.", " --> ")] {
        assert!(text.contains(&format!("env_prod {arrow}")), "{text}");
        assert!(
            text.contains(&format!("rollout_0_2_0{chain}rollout_0_2_1")),
            "{text}"
        );
        assert!(text.contains("rollout_0_2_analysis"), "{text}");
        assert!(text.contains("pause 10m"), "{text}");
        assert!(
            text.contains("error rate ≤ 1%") && text.contains("p95 latency ≤ 500ms"),
            "{text}"
        );
        assert!(text.contains("3 failed measurement(s) abort"), "{text}");
    }
    // dev and staging keep their plain rolling update.
    assert!(dot_text.contains("env_dev -> service_flask_api [label=\"runs\""));
    assert!(!dot_text.contains("env_prod -> service_flask_api"));

    repo.write(
        "bg.pipe",
        r#"use std.docker

pipeline app {
  on push to main
  image app = docker.build()
  publish app to ghcr("acme/app") { tags [sha] }
}

environment staging { namespace "app-staging"; deploy on branch main }

service api {
  image app
  port 8000
  rollout blue_green in [staging]
  deploy to [staging] via argocd
}

gitops {
  repo   "https://github.com/acme/deploy.git"
  argocd secret("ARGOCD_KUBECONFIG")
}
"#,
    );
    let bg = repo.pipec(&["graph", "bg.pipe"]);
    assert_eq!(bg.code, 0, "{bg:?}");
    assert!(bg.stdout.contains("preview Service"), "{}", bg.stdout);
    assert!(
        bg.stdout.contains("promotion: the active Service"),
        "{}",
        bg.stdout
    );
    assert!(
        bg.stdout.contains("rollout_0_0_0 -> rollout_0_0_1"),
        "{}",
        bg.stdout
    );
    let bg_mermaid = repo.pipec(&["graph", "bg.pipe", "--format", "mermaid"]);
    assert!(
        bg_mermaid.stdout.contains("rollout_0_0_1>\"promotion"),
        "{}",
        bg_mermaid.stdout
    );
    if let Some(dot) = tool("dot") {
        for (name, text) in [("flask.dot", &dot_text), ("bg.dot", &bg.stdout)] {
            repo.write(name, text);
            let out = std::process::Command::new(&dot)
                .args(["-Tsvg", name, "-o", "out.svg"])
                .current_dir(&repo.dir)
                .output()
                .unwrap();
            assert!(out.status.success(), "{name}: {out:?}");
        }
    }
}
