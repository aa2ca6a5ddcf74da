//! What GitHub Actions cannot express gets a diagnostic with its own code,
//! pointing at the user's code: one program per case, the expected code and
//! the text its primary span covers.

use std::path::{Path, PathBuf};

use pipec_check::{MemoryFs, check};
use pipec_diagnostics::Diagnostic;

/// Checks `source` as `ci.pipe` and runs the GitHub target; returns its
/// diagnostics with the text each primary span covers.
fn github_diagnostics(source: &str) -> Vec<(Diagnostic, String)> {
    let fs = MemoryFs(
        [(PathBuf::from("ci.pipe"), source.to_string())]
            .into_iter()
            .collect(),
    );
    let checked = check(Path::new("ci.pipe"), &fs).expect("readable");
    let Some(program) = checked.program else {
        panic!("the program has errors: {:#?}", checked.diagnostics);
    };
    match pipec::emit(&program, &["github"]) {
        Ok(_) => Vec::new(),
        Err(diags) => diags
            .into_iter()
            .map(|d| {
                let span = d.primary_span();
                let text = checked.sources.get(span.source).slice(span).to_string();
                (d, text)
            })
            .collect(),
    }
}

/// Asserts exactly one diagnostic, with `code`, whose span covers `at`.
fn expect(source: &str, code: &str, at: &str) {
    let diags = github_diagnostics(source);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let (d, text) = &diags[0];
    assert_eq!(d.code.as_str(), code, "{d:#?}");
    assert!(text.contains(at), "span covers {text:?}, expected {at:?}");
}

fn pipeline(body: &str) -> String {
    format!("use std.docker\npipeline ci {{\n  on push\n{body}\n}}\n")
}

#[test]
fn trigger_pattern_with_one_character_wildcard() {
    expect(
        "pipeline ci {\n  on push to [\"feature-?\"]\n  job build { step \"Build\" run \"make\" }\n}\n",
        "E0401",
        "on push to [\"feature-?\"]",
    );
}

#[test]
fn condition_on_a_segment_wildcard_after_a_slash() {
    expect(
        &pipeline(
            "  job build {\n    step \"Build\" run \"make\"\n    when branch in [\"release/*\"]\n  }",
        ),
        "E0401",
        "branch in [\"release/*\"]",
    );
}

#[test]
fn conditions_github_can_express_are_accepted() {
    let diags = github_diagnostics(&pipeline(
        "  job build {\n    step \"Build\" run \"make\"\n    when branch in [main, \"release/**\", \"hotfix-*\"] or tag \"v*\"\n  }",
    ));
    assert!(diags.is_empty(), "{diags:#?}");
}

#[test]
fn short_sha_outside_a_script() {
    expect(
        &pipeline(
            "  job show {\n    env { SHORT: \"{{ ci.short_sha }}\" }\n    step \"Show\" run \"echo $SHORT\"\n  }",
        ),
        "E0402",
        "SHORT: \"{{ ci.short_sha }}\"",
    );
}

#[test]
fn short_sha_inside_a_script_is_fine() {
    let diags = github_diagnostics(&pipeline(
        "  job show {\n    step \"Show\" run \"echo sha-{{ ci.short_sha }}\"\n  }",
    ));
    assert!(diags.is_empty(), "{diags:#?}");
}

#[test]
fn service_without_a_port_on_the_runner() {
    expect(
        &pipeline(
            "  job db {\n    service postgres \"postgres:16\"\n    step \"Test\" run \"make test\"\n  }",
        ),
        "E0403",
        "job db",
    );
}

#[test]
fn gitlab_registry() {
    expect(
        &pipeline(
            "  image app = docker.build()\n  publish app to gitlab_registry() {\n    tags [sha]\n  }",
        ),
        "E0404",
        "publish app to gitlab_registry()",
    );
}

#[test]
fn platform_without_an_emulator() {
    expect(
        &pipeline("  image app = docker.build(platforms: [\"linux/amd64\", \"linux/sparc64\"])"),
        "E0405",
        "app",
    );
}

#[test]
fn expression_syntax_inside_a_script() {
    expect(
        &pipeline("  job show {\n    step \"Show\" run \"echo ${{ '{{' }} github.sha }}\"\n  }"),
        "E0406",
        "step \"Show\"",
    );
}

#[test]
fn tool_archive_on_a_macos_runner() {
    expect(
        &pipeline(
            "  job scan {\n    tool trivy \"0.69.2\"\n    runs_on macos\n    step \"Scan\" run \"trivy fs .\"\n  }",
        ),
        "E0407",
        "job scan",
    );
}

#[test]
fn every_github_code_is_registered_and_explained() {
    for code in [
        "E0401", "E0402", "E0403", "E0404", "E0405", "E0406", "E0407",
    ] {
        let info = pipec_diagnostics::code::lookup(code).expect("registered");
        assert!(
            info.explanation.lines().count() > 5,
            "docs/errors/{code}.md explains little"
        );
    }
}
