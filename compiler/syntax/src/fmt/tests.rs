//! The canonical layout, case by case, and its two laws: formatting twice
//! changes nothing, and formatting never changes what a file means.

use super::{FormatError, format};

fn fmt(text: &str) -> String {
    match format(text) {
        Ok(t) => t,
        Err(e) => panic!("{e:?}\n{text}"),
    }
}

#[track_caller]
fn same(input: &str, expected: &str) {
    let out = fmt(input);
    assert_eq!(out, expected, "\n--- got\n{out}");
    assert_eq!(fmt(&out), out, "not idempotent");
}

#[test]
fn spacing_indentation_and_statements() {
    same(
        "pipeline   api {\n    on push;on tag \"v*\"\n\n\n\n  job lint   =   python.lint( tools : [flake8,pylint] )\n}\n",
        "pipeline api {\n  on push\n  on tag \"v*\"\n\n  job lint = python.lint(tools: [flake8, pylint])\n}\n",
    );
}

#[test]
fn one_line_forms_stay_when_they_fit() {
    same(
        "service api {\n  probes    { live \"/health\", ready \"/ready\" }\n  config { A: \"1\",B: \"2\" }\n  resources { cpu 250m..500m }\n}\n",
        "service api {\n  probes { live \"/health\", ready \"/ready\" }\n  config { A: \"1\", B: \"2\" }\n  resources { cpu 250m..500m }\n}\n",
    );
}

#[test]
fn multi_line_forms_get_one_item_per_line() {
    same(
        "pipeline p {\n  job test = python.pytest(python: matrix(\"3.10\"),\n     coverage: 70%)\n  publish app to ghcr(\"a/b\") {\n    when branch in [main,\n develop] or release\n  }\n}\n",
        "pipeline p {\n  job test = python.pytest(\n    python: matrix(\"3.10\"),\n    coverage: 70%,\n  )\n  publish app to ghcr(\"a/b\") {\n    when branch in [\n      main,\n      develop,\n    ] or release\n  }\n}\n",
    );
    same(
        "service s {\n  secrets {\n    A: secret(\"a\"), B: secret(\"b\")\n  }\n}\n",
        "service s {\n  secrets {\n    A: secret(\"a\")\n    B: secret(\"b\")\n  }\n}\n",
    );
}

#[test]
fn long_lines_are_broken() {
    let long = format!(
        "pipeline p {{\n  job a = t(x: \"{}\", y: 1)\n}}\n",
        "x".repeat(90)
    );
    let out = fmt(&long);
    assert!(out.contains("t(\n    x: \""), "{out}");
    assert_eq!(fmt(&out), out);
}

#[test]
fn comments_are_kept_where_they_are() {
    same(
        "// head\n\n// about p\npipeline p { // opens\n  on push   // every branch\n\n  // a job\n  job a = t(\n    x: 1, // one\n    // before y\n    y: 2,\n  )\n  // last\n}\n// tail\n",
        "// head\n\n// about p\npipeline p { // opens\n  on push // every branch\n\n  // a job\n  job a = t(\n    x: 1, // one\n    // before y\n    y: 2,\n  )\n  // last\n}\n// tail\n",
    );
    // A comment inside a one-line form forces one item per line.
    same(
        "pipeline p {\n  tags [sha, // short\n  semver]\n}\n",
        "pipeline p {\n  tags [\n    sha, // short\n    semver,\n  ]\n}\n",
    );
}

#[test]
fn templates_attributes_and_dispatch() {
    same(
        "template lint(tools: list<enum(flake8,ruff)> = [flake8], path: path?) -> job {\n  role lint\n}\npipeline p {\n  on dispatch( env : enum(dev,prod) = dev )\n  @allow(PIPE104,\"why\") job x = lint()\n}\n",
        "template lint(tools: list<enum(flake8, ruff)> = [flake8], path: path?) -> job {\n  role lint\n}\npipeline p {\n  on dispatch(env: enum(dev, prod) = dev)\n  @allow(PIPE104, \"why\")\n  job x = lint()\n}\n",
    );
}

#[test]
fn triple_strings_move_with_their_statement_and_keep_their_value() {
    same(
        "pipeline p {\n      job a = t(script: \"\"\"\n          echo one\n            echo two\n\n          \"\"\")\n}\n",
        "pipeline p {\n  job a = t(script: \"\"\"\n    echo one\n      echo two\n\n    \"\"\")\n}\n",
    );
    // Text right after the quotes: kept as written.
    same("x = \"\"\"a\n   b\"\"\"\n", "x = \"\"\"a\n   b\"\"\"\n");
}

#[test]
fn operators_keep_their_grouping() {
    same(
        "x  when not (branch main or tag)  and event  pull_request\ny tags [latest if release]\nz cpu 1..2\n",
        "x when not (branch main or tag) and event pull_request\ny tags [latest if release]\nz cpu 1..2\n",
    );
}

#[test]
fn files_that_do_not_parse_are_refused() {
    assert!(matches!(format("pipeline {"), Err(FormatError::Syntax(_))));
}

#[test]
fn empty_and_comment_only_files() {
    same("", "");
    same("\n\n", "");
    same("// only\n\n\n// comments\n", "// only\n\n// comments\n");
    same("pipeline p {}\n", "pipeline p {}\n");
    same("pipeline p {\n}\n", "pipeline p {}\n");
    same(
        "pipeline p {\n  // nothing yet\n}\n",
        "pipeline p {\n  // nothing yet\n}\n",
    );
}

#[test]
fn crlf_and_bom_sources() {
    same(
        "\u{feff}pipeline p {\r\n  on push\r\n}\r\n",
        "pipeline p {\n  on push\n}\n",
    );
}
