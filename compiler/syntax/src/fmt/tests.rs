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
        "pipeline api {\n  on push; on tag \"v*\"\n\n  job lint = python.lint(tools: [flake8, pylint])\n}\n",
    );
}

#[test]
fn one_line_forms_stay_when_they_fit() {
    same(
        "service api {\n  probes    { live \"/health\", ready \"/ready\" }\n  config { A: \"1\",B: \"2\" }\n  resources { cpu 250m..500m }\n}\n",
        "service api {\n  probes    { live \"/health\", ready \"/ready\" }\n  config    { A: \"1\", B: \"2\" }\n  resources { cpu 250m..500m }\n}\n",
    );
}

#[test]
fn multi_line_forms_get_one_item_per_line() {
    same(
        "pipeline p {\n  job test = python.pytest(python: matrix(\"3.10\"),\n     coverage: 70%)\n  publish app to ghcr(\"a/b\") {\n    when branch in [main,\n develop] or release\n  }\n}\n",
        "pipeline p {\n  job test = python.pytest(\n    python:   matrix(\"3.10\"),\n    coverage: 70%,\n  )\n  publish app to ghcr(\"a/b\") {\n    when branch in [\n      main,\n      develop,\n    ] or release\n  }\n}\n",
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

#[test]
fn statements_joined_on_one_line_stay_joined() {
    // Each separator as written; repeated separators become one.
    same(
        "environment prod {\n  namespace \"p\";replicas 3\n  promote from staging,approvals 2 ,  on release\n  a 1;; b 2, c 3\n}\nuse std.python; use std.docker\n",
        "environment prod {\n  namespace \"p\"; replicas 3\n  promote   from staging, approvals 2, on release\n  a         1; b 2, c 3\n}\nuse std.python; use std.docker\n",
    );
    // A one-line block keeps its separators too.
    same(
        "environment dev { namespace \"d\";  deploy on branch develop; replicas 1 }\n",
        "environment dev { namespace \"d\"; deploy on branch develop; replicas 1 }\n",
    );
    // A separator at the end of a line joins nothing.
    same("on push;\non tag,\n", "on push\non tag\n");
}

#[test]
fn joined_statements_that_do_not_fit_are_split() {
    // 100 columns without the indentation, 104 with it.
    let long = format!(
        "pipeline p {{\n  service s {{\n    url \"{0}\"; url \"{0}\"\n  }}\n}}\n",
        "x".repeat(43)
    );
    let url = format!("url \"{}\"", "x".repeat(43));
    same(
        &long,
        &format!("pipeline p {{\n  service s {{\n    {url}\n    {url}\n  }}\n}}\n"),
    );
    // Broken over several lines, holding a comment, or with an attribute.
    same(
        "p {\n  tags [a,\n  b]; on push\n  when tag; @allow(X) job x = t()\n}\n",
        "p {\n  tags [\n    a,\n    b,\n  ]\n  on   push\n  when tag\n  @allow(X)\n  job x = t()\n}\n",
    );
    same(
        "p {\n  tags [a, // first\n  b]; on push\n}\n",
        "p {\n  tags [\n    a, // first\n    b,\n  ]\n  on push\n}\n",
    );
}

#[test]
fn consecutive_statements_align_their_first_argument() {
    same(
        "service api {\n  image app\n  port 8000\n  probes { live \"/health\" }\n  min_available 1\n  checkout\n  deploy to [dev] via argocd\n}\n",
        "service api {\n  image         app\n  port          8000\n  probes        { live \"/health\" }\n  min_available 1\n  checkout\n  deploy        to [dev] via argocd\n}\n",
    );
    // Hand alignment is recomputed, not kept.
    same(
        "gitops {\n  repo        \"r\"\n  branch \"main\"\n}\n",
        "gitops {\n  repo   \"r\"\n  branch \"main\"\n}\n",
    );
    // Equal heads, and runs of one statement, are left alone.
    same(
        "p {\n  step \"a\" run \"x\"\n  step \"bb\" run \"y\"\n}\n",
        "p {\n  step \"a\" run \"x\"\n  step \"bb\" run \"y\"\n}\n",
    );
}

#[test]
fn blank_lines_comments_and_multi_line_statements_end_a_run() {
    same(
        "p {\n  image app\n  port 8000\n\n  resources { cpu 1 }\n  // note\n  autoscale { cpu 70% }\n  url \"u\"\n  probes {\n    live \"/\"\n  }\n  replicas 3\n  tier production\n}\n",
        "p {\n  image app\n  port  8000\n\n  resources { cpu 1 }\n  // note\n  autoscale { cpu 70% }\n  url       \"u\"\n  probes {\n    live \"/\"\n  }\n  replicas 3\n  tier     production\n}\n",
    );
    // An attribute puts its statement over two lines.
    same(
        "p {\n  on push\n  @allow(PIPE104, \"why\")\n  job x = lint()\n  timeout 5m\n}\n",
        "p {\n  on push\n  @allow(PIPE104, \"why\")\n  job x = lint()\n  timeout 5m\n}\n",
    );
}

#[test]
fn consecutive_bindings_align_their_equals_sign() {
    same(
        "pipeline p {\n  job trivy = security.trivy(app)\n  job audit = security.pip_audit()\n  job secrets = security.gitleaks()\n  image app = docker.build()\n  on push\n}\n",
        "pipeline p {\n  job   trivy   = security.trivy(app)\n  job   audit   = security.pip_audit()\n  job   secrets = security.gitleaks()\n  image app     = docker.build()\n  on    push\n}\n",
    );
}

#[test]
fn trailing_comments_of_consecutive_lines_line_up() {
    same(
        "p {\n  on push // every branch\n  on pull_request to [main, develop] // reviews\n  on tag \"v*\"\n  on schedule \"0 3 * * *\" // nightly\n}\n",
        "p {\n  on push                            // every branch\n  on pull_request to [main, develop] // reviews\n  on tag \"v*\"\n  on schedule \"0 3 * * *\" // nightly\n}\n",
    );
}

#[test]
fn one_per_line_items_align_their_values() {
    same(
        "template pytest(\n  python: matrix<version> = matrix(\"3.12\"),\n  coverage: percent = 70%,\n  path: path = \"tests\", // where\n) -> job {\n  role test\n}\npipeline p {\n  job t = pytest(\n    python: matrix(\"3.10\", \"3.11\"),\n    coverage: 70%,\n    app,\n    // before path\n    path: \"t\",\n    requirements: \"r.txt\",\n  )\n}\nservice s {\n  config {\n    A: \"1\"\n    \"LONG-KEY\": \"2\"\n  }\n}\n",
        "template pytest(\n  python:   matrix<version> = matrix(\"3.12\"),\n  coverage: percent = 70%,\n  path:     path = \"tests\", // where\n) -> job {\n  role test\n}\npipeline p {\n  job t = pytest(\n    python:   matrix(\"3.10\", \"3.11\"),\n    coverage: 70%,\n    app,\n    // before path\n    path:         \"t\",\n    requirements: \"r.txt\",\n  )\n}\nservice s {\n  config {\n    A:          \"1\"\n    \"LONG-KEY\": \"2\"\n  }\n}\n",
    );
}

#[test]
fn alignment_counts_characters_not_bytes() {
    same(
        "p {\n  url \"é\" // a\n  port 80 // b\n}\n",
        "p {\n  url  \"é\" // a\n  port 80  // b\n}\n",
    );
}

mod properties {
    use proptest::prelude::*;

    use super::super::format;

    fn token() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "pipeline",
            "job",
            "x",
            "y",
            " ",
            "  ",
            "\n",
            "\n\n",
            "\t",
            "{",
            "}",
            "(",
            ")",
            "[",
            "]",
            ",",
            ";",
            ":",
            "=",
            "..",
            "or",
            "and",
            "not",
            "if",
            "in",
            "==",
            "branch",
            "tag",
            "\"s\"",
            "\"\\u{e9}\"",
            "\"\"\"\n  a\n  \"\"\"",
            "// c",
            "//",
            "1m",
            "70%",
            "3",
            "@allow",
            "template t(a: int) -> job",
            "on dispatch",
            "é",
        ])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Whatever the input, `format` returns; what it formats, it formats
        /// the same way again (most of these inputs do not parse).
        #[test]
        fn never_panics_and_is_idempotent(tokens in prop::collection::vec(token(), 0..60)) {
            let text: String = tokens.concat();
            if let Ok(once) = format(&text) {
                let twice = format(&once);
                prop_assert!(twice.is_ok(), "{text:?} -> {once:?}: {twice:?}");
                prop_assert_eq!(twice.unwrap(), once);
            }
        }

        /// Programs that parse, with comments, blank lines and odd spacing
        /// in every place the grammar allows: formatting succeeds, keeps
        /// every comment, and is idempotent.
        #[test]
        fn programs_format_idempotently(program in program()) {
            let once = match format(&program) {
                Ok(t) => t,
                Err(e) => return Err(TestCaseError::fail(format!("{program}\n{e:?}"))),
            };
            prop_assert_eq!(once.matches("//").count(), program.matches("//").count());
            prop_assert_eq!(format(&once).unwrap(), once.clone(), "{}", program);
        }
    }

    /// A statement that parses in any block.
    fn statement() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "on push",
            "on tag \"v*\"",
            "job lint = python.lint(tools: [flake8, black])",
            "job test = python.pytest(\n python: matrix(\"3.10\", \"3.11\"),\n coverage: 70%,\n)",
            "when branch in [main,\n develop] or release",
            "tags [sha, semver, latest if release]",
            "resources { cpu 250m..500m, memory 256Mi..512Mi }",
            "config { A: \"1\", \"B-2\": \"2\" }",
            "step \"Lint\" run \"\"\"\n    flake8 .\n    black .\n    \"\"\"",
            "@allow(PIPE104, \"reason\")\njob x = t()",
            "on dispatch(env: enum(dev, prod) = dev, dry: bool?)",
            "x when not (tag or event pull_request)",
            "checkout",
            "min_available 1",
            "job a = t()",
        ])
        .prop_map(str::to_string)
    }

    fn gap() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "\n",
            "\n\n",
            "\n  ",
            "\n// own line\n",
            " // trailing\n",
            ";",
            "; ",
            ", ",
            "\n\n\n// a\n\n// b\n",
        ])
    }

    fn block(depth: u32) -> BoxedStrategy<String> {
        let leaf = prop::collection::vec((statement(), gap()), 0..5)
            .prop_map(|items| {
                items
                    .into_iter()
                    .map(|(s, g)| format!("{s}{g}"))
                    .collect::<String>()
            })
            .boxed();
        if depth == 0 {
            return leaf;
        }
        prop::collection::vec(
            prop_oneof![
                3 => (statement(), gap()).prop_map(|(s, g)| format!("{s}{g}")),
                1 => (block(depth - 1), gap(), any::<bool>()).prop_map(|(b, g, one_line)| {
                    if one_line && !b.contains('\n') {
                        format!("probes {{ {b} }}{g}")
                    } else {
                        format!("service s {{ // opens\n{b}\n}}{g}")
                    }
                }),
            ],
            0..5,
        )
        .prop_map(|items| items.concat())
        .boxed()
    }

    fn program() -> impl Strategy<Value = String> {
        (block(2), any::<bool>()).prop_map(|(b, crlf)| {
            let text = format!("// head\npipeline p {{\n{b}\n}}\n");
            if crlf {
                text.replace('\n', "\r\n")
            } else {
                text
            }
        })
    }
}
