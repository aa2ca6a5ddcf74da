//! The editor support of `editors/vscode`: its TextMate grammar, tokenized
//! as VS Code tokenizes it (vscode-textmate on Oniguruma, through
//! `textmate-tokenize` from scripts/install-tools.sh), reads every example,
//! the standard library and the reference's programs without a character
//! it does not know and without a string or block left open; it marks what
//! is no token of the language; and it gives the scopes a theme colours.
//! The extension's client starts `pipec lsp` for `.pipe` files.

use std::path::{Path, PathBuf};

use pipec_tests::{root, run, text, tool};
use serde_json::Value;

const GRAMMAR: &str = "editors/vscode/syntaxes/pipe.tmLanguage.json";

fn pipe_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("a directory") {
        let p = e.expect("an entry").path();
        if p.is_dir() {
            pipe_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "pipe") {
            out.push(p);
        }
    }
}

/// Runs the tokenizer on `files` (relative to the repository); its report.
fn tokenize(tokenizer: &Path, files: &[String]) -> (bool, Value) {
    let mut args = vec![GRAMMAR];
    args.extend(files.iter().map(String::as_str));
    let out = run(tokenizer, &args, &root());
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("a report ({e}): {}", text(&out)));
    (out.status.success(), report)
}

#[test]
fn the_grammar_reads_the_examples_the_stdlib_and_the_reference() {
    let Some(tokenizer) = tool("textmate-tokenize") else {
        return;
    };
    let mut files = Vec::new();
    pipe_files(&root().join("examples"), &mut files);
    pipe_files(&root().join("stdlib"), &mut files);
    let mut files: Vec<String> = files
        .iter()
        .map(|p| {
            p.strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    files.sort();
    assert!(files.len() >= 8, "{files:?}");
    // The reference's ```pipe blocks, each tokenized on its own.
    files.push("docs/language.md".into());
    let (ok, report) = tokenize(&tokenizer, &files);
    assert!(ok, "{report:#}");
    assert_eq!(report["problems"], serde_json::json!([]));
    assert!(report["texts"].as_u64().unwrap() > files.len() as u64);
}

#[test]
fn the_grammar_marks_what_is_no_token() {
    let Some(tokenizer) = tool("textmate-tokenize") else {
        return;
    };
    let dir = pipec_tests::scratch("grammar-marks");
    // Single quotes (a case of the diagnostics corpus), a stray character,
    // and a text block that never closes.
    std::fs::write(
        dir.join("open.pipe"),
        "pipeline app {\n  on push\n  job a { run $make }\n  job b { run \"\"\"\n    make\n}\n",
    )
    .unwrap();
    let files = [
        "tests/ui/E0001_single_quotes.pipe".to_string(),
        dir.join("open.pipe").to_string_lossy().into_owned(),
    ];
    let (ok, report) = tokenize(&tokenizer, &files);
    assert!(!ok, "{report:#}");
    let problems: Vec<(String, String)> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let file = p["file"].as_str().unwrap();
            let name = Path::new(file).file_name().unwrap().to_string_lossy();
            (
                format!("{name}:{}", p["line"]),
                p["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("E0001_single_quotes.pipe:4", "'"),
        ("E0001_single_quotes.pipe:4", "'"),
        ("open.pipe:3", "$"),
        ("open.pipe:\"end\"", ""),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(problems, expected, "{report:#}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_grammar_gives_the_scopes_a_theme_colours() {
    let Some(tokenizer) = tool("textmate-tokenize") else {
        return;
    };
    let dir = pipec_tests::scratch("grammar-scopes");
    let program = "use std.python\n\n@owner(\"ci\")\npipeline app {\n  on push to [main]\n  // tests\n  job test = python.pytest(coverage: 70%, timeout: 10m)\n  job lint { run \"make {{ target }} \\n\" }\n}\n";
    let file = dir.join("scopes.pipe");
    std::fs::write(&file, program).unwrap();
    let out = run(
        &tokenizer,
        &[GRAMMAR, "--dump", &file.to_string_lossy()],
        &root(),
    );
    assert!(out.status.success(), "{}", text(&out));
    let tokens: Vec<(String, String)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let t: Value = serde_json::from_str(l).expect("a token");
            let scopes = t["scopes"].as_array().unwrap();
            (
                t["text"].as_str().unwrap().to_string(),
                scopes.last().unwrap().as_str().unwrap().to_string(),
            )
        })
        .collect();
    // The last token of each text (`python` is a namespace in the call).
    let scope = |text: &str| -> &str {
        &tokens
            .iter()
            .rev()
            .find(|(t, _)| t == text)
            .unwrap_or_else(|| panic!("a token `{text}` in {tokens:#?}"))
            .1
    };
    for (token, expected) in [
        ("use", "keyword.declaration.pipe"),
        ("owner", "storage.type.annotation.pipe"),
        ("pipeline", "keyword.declaration.pipe"),
        ("app", "entity.name.type.pipe"),
        ("on", "keyword.other.statement.pipe"),
        ("// tests", "comment.line.double-slash.pipe"),
        ("job", "keyword.declaration.pipe"),
        ("test", "entity.name.function.pipe"),
        ("python", "entity.name.namespace.pipe"),
        ("pytest", "entity.name.function.call.pipe"),
        ("coverage", "variable.other.property.pipe"),
        ("70%", "constant.numeric.pipe"),
        ("10m", "constant.numeric.pipe"),
        ("run", "keyword.other.statement.pipe"),
        ("{{", "punctuation.section.embedded.begin.pipe"),
        ("target", "variable.other.pipe"),
        ("\\n", "constant.character.escape.pipe"),
    ] {
        assert_eq!(scope(token), expected, "`{token}`");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The extension, loaded with stand-ins for VS Code's modules, starts
/// `pipec lsp` for `.pipe` files and fills `pipec-std:` documents from the
/// server; its manifest names a grammar and a configuration that exist.
#[test]
fn the_vscode_extension_starts_pipec_lsp() {
    let Some(node) = tool("node22") else { return };
    let out = run(&node, &["editors/vscode/test/extension.test.cjs"], &root());
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("extension ok"), "{}", text(&out));
}
