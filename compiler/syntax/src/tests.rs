use pipec_diagnostics::SourceId;

use crate::ast::*;
use crate::parse;

fn ok(text: &str) -> File {
    let (f, d) = parse(SourceId(0), text);
    assert!(d.is_empty(), "unexpected diagnostics: {d:#?}");
    f
}

fn codes(text: &str) -> Vec<&'static str> {
    parse(SourceId(0), text)
        .1
        .iter()
        .map(|d| d.code.as_str())
        .collect()
}

#[test]
fn parses_the_sketch() {
    let f = ok(r#"
use std.python
pipeline flask_api {
  on push
  on pull_request to [main, develop]
  on tag "v*"
  on dispatch(env: enum(dev, prod) = dev, dry: bool = false)

  job lint = python.lint(tools: [flake8, pylint])
  job test = python.pytest(
    python:   matrix("3.10", "3.11", "3.12"),
    coverage: 70%,        // a percent
  )
  image app = docker.build(dockerfile: "Dockerfile", after: [lint, test])
  publish app to ghcr("acme/flask-api") {
    after [trivy, audit]
    when  branch in [main, develop] or tag "v*"
    tags  [sha, branch, semver, latest if release]
  }
}
environment dev { namespace "flask-dev"; deploy on branch develop; replicas 1 }
environment prod {
  promote from staging, approvals 2, on tag "v*"
}
service s {
  resources { cpu 250m..500m, memory 512Mi..1Gi }
  config    { LOG_LEVEL: "INFO" }
}
template pytest(python: matrix<version> = matrix("3.12"), coverage: percent = 70%, x: string?) -> job {
  step "Test" run """
    pytest --cov-fail-under={{ coverage }}
    echo done
    """
}
"#);
    assert_eq!(f.stmts.len(), 6);
    let StmtKind::Generic(p) = &f.stmts[1].kind else {
        panic!()
    };
    let body = &p.block.as_ref().unwrap().stmts;
    assert_eq!(body.len(), 8);
    let StmtKind::Dispatch(d) = &body[3].kind else {
        panic!("dispatch")
    };
    assert_eq!(d.inputs.len(), 2);
    let env = f.stmts[3].generic().unwrap();
    assert_eq!(env.block.as_ref().unwrap().stmts.len(), 3);
    let StmtKind::Template(t) = &f.stmts[5].kind else {
        panic!()
    };
    let step = t.body.stmts[0].generic().unwrap();
    assert_eq!(
        step.args[2].as_str(),
        Some("pytest --cov-fail-under={{ coverage }}\necho done")
    );
}

#[test]
fn precedence() {
    let f = ok("when not branch main and tag or event push\n");
    let g = f.stmts[0].generic().unwrap();
    let ExprKind::Binary { op, lhs, .. } = &g.args[0].kind else {
        panic!()
    };
    assert_eq!(*op, BinaryOp::Or);
    let ExprKind::Binary { op, lhs, .. } = &lhs.kind else {
        panic!()
    };
    assert_eq!(*op, BinaryOp::And);
    assert!(matches!(lhs.kind, ExprKind::Unary { .. }));
}

#[test]
fn list_with_conditional_items() {
    let f = ok("tags [sha, latest if release]");
    let g = f.stmts[0].generic().unwrap();
    let ExprKind::List(items) = &g.args[0].kind else {
        panic!()
    };
    assert!(matches!(
        items[1].kind,
        ExprKind::Binary {
            op: BinaryOp::If,
            ..
        }
    ));
}

#[test]
fn quantities_and_ranges() {
    let f = ok("x 250m..1.5Gi 70% 3 0.5");
    let g = f.stmts[0].generic().unwrap();
    assert_eq!(g.args.len(), 4);
    assert!(matches!(
        &g.args[0].kind,
        ExprKind::Binary {
            op: BinaryOp::Range,
            ..
        }
    ));
}

#[test]
fn reports_errors_in_several_statements() {
    let text = "pipeline a {\n  job x {\n}\nenvironment e { namespace \"x\" = }\nservice s { port 80 }\nenvironment f { replicas ] }\n";
    let (f, d) = parse(SourceId(0), text);
    assert_eq!(d.len(), 3, "{d:#?}");
    assert_eq!(d[0].message, "bracket is never closed");
    assert_eq!(d[0].primary_span().start, 11);
    // The valid statement in between still parses.
    assert!(
        f.stmts
            .iter()
            .any(|s| s.generic().is_some_and(|g| g.head.name == "service"))
    );
}

#[test]
fn remembers_the_text_that_did_not_parse() {
    let text = "pipeline a {\n  job x { run 'y' }\n}\nservice s { port 80 }\n";
    let (f, d) = parse(SourceId(0), text);
    assert_eq!(d.len(), 1);
    // Only the statement around the error is lost; the pipeline and its job
    // are still there.
    assert_eq!(f.unparsed.len(), 1);
    assert_eq!(&text[f.unparsed[0].range()], " run 'y' ");
    assert_eq!(f.stmts.len(), 2);
    // A bracket never closed loses the whole top-level statement.
    let text = "pipeline a {\n  job x {\n}\nservice s { port 80 }\n";
    let (f, _) = parse(SourceId(0), text);
    assert_eq!(&text[f.unparsed[0].range()], "pipeline a {\n  job x {\n}\n");
    assert!(ok("pipeline a {}\n").unparsed.is_empty());
    // A file the scanner refuses is unparsed as a whole.
    let (f, _) = parse(SourceId(0), "x \"open\n");
    assert_eq!(f.unparsed[0].range(), 0..8);
}

/// The message and the text under the primary label of the one syntax error.
fn syntax_error(text: &str) -> (String, String) {
    let (_, d) = parse(SourceId(0), text);
    assert_eq!(d.len(), 1, "{d:#?}");
    (
        d[0].message.clone(),
        text[d[0].primary_span().range()].to_string(),
    )
}

#[test]
fn syntax_errors_say_what_was_expected() {
    assert_eq!(
        syntax_error("x = f(a: 1 b: 2)\n"),
        ("expected `,` or `)`, found `b`".into(), "b".into())
    );
    assert_eq!(
        syntax_error("p {\n  x [a}\n}\n"),
        ("`}` does not close the open `[`".into(), "}".into())
    );
    assert_eq!(
        syntax_error("p { }\n}\n"),
        ("`}` closes nothing".into(), "}".into())
    );
    assert_eq!(
        syntax_error("p {\n  job x =\n  job y { run \"z\" }\n}\n"),
        ("`=` is not followed by a value".into(), "=".into())
    );
    assert_eq!(
        syntax_error("template t(a string) -> job {}\n").0,
        "expected `:` and a type after the parameter `a`, found `string`"
    );
    let (message, found) = syntax_error("p { when a && b }\n");
    assert!(message.ends_with("found `&&`"), "{message}");
    assert_eq!(found, "&&");
}

#[test]
fn escapes() {
    let f = ok(r#"x "a\"b\n\u{e9}""#);
    assert_eq!(
        f.stmts[0].generic().unwrap().args[0].as_str(),
        Some("a\"b\né")
    );
    assert_eq!(codes(r#"x "\q""#), ["E0005"]);
    assert_eq!(codes(r#"x "\u{202e}""#), ["E0003"]);
}

#[test]
fn deep_nesting_is_a_diagnostic() {
    let text = format!("x {}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert_eq!(codes(&text), ["E0004"]);
    let text = format!("when {}branch", "not ".repeat(10_000));
    assert_eq!(codes(&text), ["E0004"]);
    let text = format!("when tag{}", " or tag".repeat(10_000));
    assert_eq!(codes(&text), ["E0004"]);
}

#[test]
fn dedent_uses_the_closing_line() {
    assert_eq!(crate::dedent("\n    a\n      b\n    "), "a\n  b");
    assert_eq!(crate::dedent("one line"), "one line");
}

proptest::proptest! {
    #[test]
    fn never_panics(s in "\\PC{0,200}") {
        let _ = parse(SourceId(0), &s);
    }

    #[test]
    fn never_panics_on_near_programs(s in "(pipeline|job|on|\\{|\\}|\\[|\\]|\\(|\\)|\"|x|=|,|\n| |tag|not|or|1|5m|%|\\.\\.|if|@a|template t\\()*") {
        let _ = parse(SourceId(0), &s);
    }
}
