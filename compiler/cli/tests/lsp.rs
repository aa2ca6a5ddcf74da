//! `pipec lsp` driven over stdio as an editor drives it: initialize, open
//! and change documents, read the diagnostics it publishes, and ask for
//! hover, definition, references, completion, formatting, code actions and
//! rename, then shut it down.

#[path = "support/lsp_client.rs"]
mod lsp_client;

use std::path::{Path, PathBuf};

use lsp_client::{Client, file_uri, find, position, range};
use serde_json::{Value, json};

/// A copy of `examples/NAME` in a fresh directory.
fn example(name: &str, test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("lsp-tests")
        .join(format!("{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the test directory");
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name);
    for e in std::fs::read_dir(src).expect("the example exists") {
        let p = e.expect("entry").path();
        std::fs::copy(&p, dir.join(p.file_name().expect("a file name"))).expect("copy");
    }
    dir
}

fn codes(diags: &[Value]) -> Vec<String> {
    diags
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("").to_string())
        .collect()
}

fn at(uri: &str, (line, character): (u32, u32)) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": position(line, character) })
}

/// Applies the edits of a `WorkspaceEdit` or a `TextEdit` list to one text.
fn apply(text: &str, edits: &[Value]) -> String {
    let offset = |p: &Value| -> usize {
        let line = p["line"].as_u64().unwrap() as usize;
        let character = p["character"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let mut units = 0;
        for (i, c) in text[start..].char_indices() {
            if units >= character || c == '\n' {
                return start + i;
            }
            units += c.len_utf16();
        }
        text.len()
    };
    let mut edits: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (s, e, t) in edits {
        out.replace_range(s..e, &t);
    }
    out
}

#[test]
fn an_editor_session_on_an_example() {
    let dir = example("flask-api", "session");
    let pipeline = dir.join("pipeline.pipe");
    let deploy = dir.join("deploy.pipe");
    let (p_uri, d_uri) = (file_uri(&pipeline), file_uri(&deploy));
    let mut text = std::fs::read_to_string(&pipeline).unwrap();
    let deploy_text = std::fs::read_to_string(&deploy).unwrap();
    let mut c = Client::start(&dir, Value::Null);
    // What the server says it can do, each exercised below (positions in
    // `positions_in_utf8_when_the_editor_offers_them`): a capability added
    // needs its part of this session.
    let mut advertised: Vec<&str> = c
        .capabilities
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    advertised.sort_unstable();
    assert_eq!(
        advertised,
        [
            "codeActionProvider",
            "completionProvider",
            "definitionProvider",
            "documentFormattingProvider",
            "documentSymbolProvider",
            "hoverProvider",
            "positionEncoding",
            "referencesProvider",
            "renameProvider",
            "textDocumentSync",
        ]
    );
    assert_eq!(
        c.capabilities["textDocumentSync"],
        json!({ "openClose": true, "change": 2 })
    );

    // The example is clean: both files of the program get empty lists.
    c.open(&p_uri, &text);
    c.diagnostics(&p_uri, |d| d.is_empty());
    c.diagnostics(&d_uri, |d| d.is_empty());

    // A misspelt job: the diagnostic, its code and its explanation page.
    let lint_ref = find(&text, "after [lint", 7);
    c.edit(&p_uri, 2, lint_ref, (lint_ref.0, lint_ref.1 + 4), "lnt");
    text = text.replacen("after [lint", "after [lnt", 1);
    let diags = c.diagnostics(&p_uri, |d| !d.is_empty());
    assert_eq!(codes(&diags), ["E0101"], "{diags:#?}");
    let d = &diags[0];
    assert_eq!(d["range"], range(lint_ref, (lint_ref.0, lint_ref.1 + 3)));
    assert_eq!(d["severity"], 1);
    assert_eq!(d["source"], "pipec");
    assert!(
        d["codeDescription"]["href"]
            .as_str()
            .unwrap()
            .ends_with("/blob/main/docs/errors/E0101.md"),
        "{d:#}"
    );
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("did you mean `lint`?"),
        "{d:#}"
    );

    // Its quick fix, applied, clears it.
    let actions = c.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": p_uri },
            "range": d["range"],
            "context": { "diagnostics": [d] },
        }),
    );
    let fix = &actions[0];
    assert_eq!(fix["kind"], "quickfix", "{actions:#}");
    assert_eq!(fix["isPreferred"], true);
    let edits = fix["edit"]["changes"][&p_uri].as_array().unwrap();
    let fixed = apply(&text, edits);
    assert!(fixed.contains("after [lint, test"), "{fixed}");
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": p_uri, "version": 3 }, "contentChanges": [{ "text": fixed }] }),
    );
    text = fixed;
    c.diagnostics(&p_uri, |d| d.is_empty());

    // A second `environment dev`: the diagnostic names the first one, in
    // the other file of the program, as a related location.
    c.open(&d_uri, &deploy_text);
    let end = find(&text, "\npipeline", 0);
    c.edit(
        &p_uri,
        4,
        end,
        end,
        "\nenvironment dev { namespace \"x\"; deploy on branch main }\n",
    );
    text.insert_str(
        text.find("\npipeline").unwrap(),
        "\nenvironment dev { namespace \"x\"; deploy on branch main }\n",
    );
    let diags = c.diagnostics(&p_uri, |d| codes(d).contains(&"E0102".to_string()));
    let dup = diags.iter().find(|d| d["code"] == "E0102").unwrap();
    let related = &dup["relatedInformation"][0];
    assert_eq!(related["location"]["uri"], d_uri, "{dup:#}");
    assert_eq!(related["message"], "first defined here");
    let undo = text.replace(
        "\nenvironment dev { namespace \"x\"; deploy on branch main }\n",
        "",
    );
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": p_uri, "version": 5 }, "contentChanges": [{ "text": undo }] }),
    );
    text = undo;
    c.diagnostics(&p_uri, |d| d.is_empty());

    // An edit in one file, an error in the other: the service's image.
    let image = find(&text, "image app", 6);
    c.edit(&p_uri, 6, image, (image.0, image.1 + 3), "api");
    let diags = c.diagnostics(&d_uri, |d| !d.is_empty());
    assert_eq!(codes(&diags), ["E0101"], "{diags:#?}");
    assert_eq!(
        diags[0]["range"]["start"],
        position_of(&deploy_text, "image app", 6)
    );
    c.edit(&p_uri, 7, image, (image.0, image.1 + 3), "app");
    c.diagnostics(&d_uri, |d| d.is_empty());
    c.diagnostics(&p_uri, |d| d.is_empty());

    // Hover: a standard-library template, a value with its unit, a
    // statement, an environment reference.
    let h = c.request("textDocument/hover", at(&p_uri, find(&text, "pytest(", 1)));
    let v = h["contents"]["value"].as_str().unwrap();
    assert!(
        v.contains("template pytest(") && v.contains("std.python"),
        "{v}"
    );
    assert!(v.contains("coverage"), "{v}");
    let h = c.request(
        "textDocument/hover",
        at(&p_uri, find(&text, "coverage: 70%", 11)),
    );
    let v = h["contents"]["value"].as_str().unwrap();
    assert!(v.contains("percent") && v.contains("70 percent"), "{v}");
    let h = c.request(
        "textDocument/hover",
        at(&d_uri, find(&deploy_text, "replicas  2", 2)),
    );
    let v = h["contents"]["value"].as_str().unwrap();
    assert!(v.contains("replicas N"), "{v}");
    let h = c.request(
        "textDocument/hover",
        at(&d_uri, find(&deploy_text, "from dev", 6)),
    );
    let v = h["contents"]["value"].as_str().unwrap();
    assert!(
        v.contains("environment dev {") && v.contains("environment `dev`"),
        "{v}"
    );
    let h = c.request(
        "textDocument/hover",
        at(&d_uri, find(&deploy_text, "250m", 1)),
    );
    let v = h["contents"]["value"].as_str().unwrap();
    assert!(v.contains("250 millicores"), "{v}");

    // Definition: an image, an environment in another file, a template in
    // the standard library (a read-only document the server gives).
    let def = c.request(
        "textDocument/definition",
        at(&p_uri, find(&text, "publish app", 8)),
    );
    assert_eq!(def["uri"], p_uri);
    assert_eq!(def["range"]["start"], position_of(&text, "image app", 6));
    let def = c.request(
        "textDocument/definition",
        at(&d_uri, find(&deploy_text, "[dev,", 2)),
    );
    assert_eq!(def["uri"], d_uri);
    assert_eq!(
        def["range"]["start"],
        position_of(&deploy_text, "environment dev", 12)
    );
    let def = c.request(
        "textDocument/definition",
        at(&p_uri, find(&text, "pytest(", 0)),
    );
    assert_eq!(def["uri"], "pipec-std://std/python.pipe");
    let std = c.request(
        "pipec/virtualDocument",
        json!({ "uri": "pipec-std://std/python.pipe" }),
    );
    let std_text = std["text"].as_str().unwrap();
    assert_eq!(
        def["range"]["start"],
        position_of(std_text, "template pytest", 9)
    );
    let def = c.request(
        "textDocument/definition",
        at(&p_uri, find(&text, "std.docker", 5)),
    );
    assert_eq!(def["uri"], "pipec-std://std/docker.pipe");

    // References of the job `lint`: its declaration and the `after`.
    let refs = c.request(
        "textDocument/references",
        json!({
            "textDocument": { "uri": p_uri },
            "position": position_json(find(&text, "job lint", 4)),
            "context": { "includeDeclaration": true },
        }),
    );
    let starts: Vec<&Value> = refs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["range"]["start"])
        .collect();
    assert_eq!(
        starts,
        [
            &position_of(&text, "job lint", 4),
            &position_of(&text, "after [lint", 7)
        ]
    );

    // The outline.
    let symbols = c.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": p_uri } }),
    );
    let names: Vec<&str> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["python", "docker", "security", "notify", "flask_api"]
    );
    let p = &symbols[4];
    assert_eq!(p["kind"], 3, "a namespace: {p:#}");
    let children: Vec<&str> = p["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        children.starts_with(&["lint", "test", "app", "trivy"]),
        "{children:?}"
    );

    // Completion: parameters in a call, statements in a job, values, units.
    let call = find(&text, "    source:   \"app\",\n", 0);
    let labels = complete(&mut c, &p_uri, call);
    assert!(
        labels.contains(&"path: ".to_string()) && labels.contains(&"requirements: ".to_string()),
        "{labels:?}"
    );
    assert!(!labels.contains(&"coverage: ".to_string()), "{labels:?}");
    let coverage_value = find(&text, "coverage: 70%", 10);
    c.edit(
        &p_uri,
        8,
        coverage_value,
        (coverage_value.0, coverage_value.1 + 3),
        "7",
    );
    let labels = complete(&mut c, &p_uri, (coverage_value.0, coverage_value.1 + 1));
    assert_eq!(labels, ["7%"]);
    c.edit(
        &p_uri,
        9,
        coverage_value,
        (coverage_value.0, coverage_value.1 + 1),
        "70%",
    );
    let job = "  job extra {\n    runs_on \n  }\n";
    // The start of the line of the pipeline's closing brace.
    let end = (find(&text, "\n}", 0).0 + 1, 0);
    c.edit(&p_uri, 10, end, end, job);
    text.insert_str(text.rfind("\n}").unwrap() + 1, job);
    let labels = complete(&mut c, &p_uri, find(&text, "runs_on \n", 8));
    assert_eq!(labels, ["ubuntu", "ubuntu_arm", "macos", "windows"]);
    let labels = complete(&mut c, &p_uri, find(&text, "    runs_on \n", 0));
    for w in ["timeout", "after", "step", "report", "tool"] {
        assert!(labels.contains(&w.to_string()), "{w}: {labels:?}");
    }
    let labels = complete(&mut c, &p_uri, find(&text, "[lint, test", 1));
    assert!(
        labels.contains(&"trivy".to_string()) && labels.contains(&"app".to_string()),
        "{labels:?}"
    );

    // Formatting through pipec fmt.
    let messy = text.replace("runs_on \n", "runs_on   ubuntu\n    run \"make\"\n");
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": p_uri, "version": 11 }, "contentChanges": [{ "text": messy }] }),
    );
    let edits = c.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": p_uri }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    let formatted = apply(&messy, edits.as_array().unwrap());
    assert_eq!(formatted, pipec_syntax::fmt::format(&messy).unwrap());
    assert!(formatted.contains("    runs_on ubuntu\n"), "{formatted}");
    text = messy;

    // Rename a job: its declaration and every reference.
    let prep = c.request(
        "textDocument/prepareRename",
        at(&p_uri, find(&text, "[lint,", 2)),
    );
    assert_eq!(prep["placeholder"], "lint");
    let edit = c.request(
        "textDocument/rename",
        json!({
            "textDocument": { "uri": p_uri },
            "position": position_json(find(&text, "[lint,", 2)),
            "newName": "static_checks",
        }),
    );
    let renamed = apply(&text, edit["changes"][&p_uri].as_array().unwrap());
    assert!(
        renamed.contains("job static_checks = python.lint(")
            && renamed.contains("after [static_checks, test"),
        "{renamed}"
    );
    // A template of the standard library is not renamed.
    let refused = c.try_request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": p_uri }, "position": position_json(find(&text, "pytest(", 1)), "newName": "x" }),
    );
    assert!(refused.is_err(), "{refused:?}");

    assert_eq!(c.shutdown(), Some(0));
}

fn position_json((line, character): (u32, u32)) -> Value {
    position(line, character)
}

fn position_of(text: &str, needle: &str, skip: u32) -> Value {
    position_json(find(text, needle, skip))
}

fn complete(c: &mut Client, uri: &str, at_: (u32, u32)) -> Vec<String> {
    let r = c.request("textDocument/completion", at(uri, at_));
    r.as_array()
        .unwrap_or_else(|| panic!("{r:#}"))
        .iter()
        .map(|i| i["label"].as_str().unwrap().to_string())
        .collect()
}

/// Diagnostics of the targets (GitLab refuses a job named `cache`) arrive
/// after the checker's, and go when the program is fixed.
#[test]
fn target_validation_reaches_the_editor() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("lsp-tests")
        .join(format!("targets-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("ci.pipe");
    let text = "pipeline app {\n  on push\n  job cache { run \"make\" }\n}\n";
    std::fs::write(&file, text).unwrap();
    let uri = file_uri(&file);
    let mut c = Client::start(&dir, Value::Null);
    c.open(&uri, text);
    let diags = c.diagnostics(&uri, |d| codes(d).contains(&"E0421".to_string()));
    assert_eq!(codes(&diags), ["E0421"]);
    c.edit(&uri, 2, (2, 6), (2, 11), "warm");
    c.diagnostics(&uri, |d| d.is_empty());
    assert_eq!(c.shutdown(), Some(0));
}

/// A module in a subdirectory is checked with the program that imports it,
/// and its diagnostics land in it; closing everything clears them.
#[test]
fn modules_are_checked_with_their_program() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("lsp-tests")
        .join(format!("modules-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("lib")).unwrap();
    let main = "use \"lib/shared.pipe\" as shared\n\npipeline p {\n  on push\n\n  job test = shared.make_test(target: \"unit\")\n}\n";
    let module = "template make_test(target: string) -> job {\n  role test\n  run  \"make {{ target }}\"\n}\n";
    std::fs::write(dir.join("main.pipe"), main).unwrap();
    std::fs::write(dir.join("lib/shared.pipe"), module).unwrap();
    let (main_uri, module_uri) = (
        file_uri(&dir.join("main.pipe")),
        file_uri(&dir.join("lib/shared.pipe")),
    );
    let mut c = Client::start(&dir, Value::Null);
    // Opened first, the module finds its program above it.
    c.open(&module_uri, module);
    c.diagnostics(&module_uri, |d| d.is_empty());
    c.diagnostics(&main_uri, |d| d.is_empty());
    // A misspelt parameter in the module's body.
    let at_ = find(module, "{{ target }}", 3);
    c.edit(&module_uri, 2, at_, (at_.0, at_.1 + 6), "targte");
    let diags = c.diagnostics(&module_uri, |d| !d.is_empty());
    assert_eq!(codes(&diags), ["E0207"], "{diags:#?}");
    c.diagnostics(&main_uri, |d| d.is_empty());
    // Go to the template from the call.
    c.open(&main_uri, main);
    let def = c.request(
        "textDocument/definition",
        at(&main_uri, find(main, "make_test(", 2)),
    );
    assert_eq!(def["uri"], module_uri);
    // Closing the documents forgets the program and clears what it said.
    c.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": main_uri } }),
    );
    c.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": module_uri } }),
    );
    c.diagnostics(&module_uri, |d| d.is_empty());
    assert_eq!(c.shutdown(), Some(0));
}

/// A `use` that leads out of the program's directory is refused as `pipec
/// check` refuses it (E0114), nothing read, even when the file it names is
/// open in the editor.
#[test]
fn imports_stay_inside_the_project() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("lsp-tests")
        .join(format!("confined-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("app")).unwrap();
    let main = "use \"../shared.pipe\" as shared\n\npipeline p {\n  on push\n\n  job test = shared.make_test(target: \"unit\")\n}\n";
    let outside = "template make_test(target: string) -> job {\n  role test\n  run  \"make {{ target }}\"\n}\n";
    std::fs::write(dir.join("app/main.pipe"), main).unwrap();
    std::fs::write(dir.join("shared.pipe"), outside).unwrap();
    let (main_uri, outside_uri) = (
        file_uri(&dir.join("app/main.pipe")),
        file_uri(&dir.join("shared.pipe")),
    );
    let mut c = Client::start(&dir, Value::Null);
    c.open(&main_uri, main);
    let diags = c.diagnostics(&main_uri, |d| !d.is_empty());
    assert!(codes(&diags).contains(&"E0114".to_string()), "{diags:#?}");
    let refused = diags.iter().find(|d| d["code"] == "E0114").unwrap();
    assert_eq!(
        refused["range"]["start"],
        position_of(main, "\"../shared.pipe\"", 0)
    );
    // Open in the editor, the file is still outside.
    c.open(&outside_uri, outside);
    c.edit(&main_uri, 2, (1, 0), (1, 0), "\n");
    let checked_again = loop {
        let p = c.next_publication(&main_uri);
        if p["version"] == 2 {
            break p;
        }
    };
    let diags = checked_again["diagnostics"].as_array().unwrap();
    assert!(codes(diags).contains(&"E0114".to_string()), "{diags:#?}");
    assert_eq!(c.shutdown(), Some(0));
}

/// A file of the program that is not open, changed on disk: the editor's
/// file watcher tells the server, which checks the program again.
#[test]
fn files_changed_on_disk_are_checked_again() {
    let dir = example("flask-api", "on-disk");
    let (pipeline, deploy) = (dir.join("pipeline.pipe"), dir.join("deploy.pipe"));
    let (p_uri, d_uri) = (file_uri(&pipeline), file_uri(&deploy));
    let text = std::fs::read_to_string(&pipeline).unwrap();
    let deploy_text = std::fs::read_to_string(&deploy).unwrap();
    let mut c = Client::start(&dir, Value::Null);
    c.open(&p_uri, &text);
    c.diagnostics(&d_uri, |d| d.is_empty());
    let broken = deploy_text.replacen("from dev", "from dve", 1);
    std::fs::write(&deploy, &broken).unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": d_uri, "type": 2 }] }),
    );
    let diags = c.diagnostics(&d_uri, |d| !d.is_empty());
    assert_eq!(codes(&diags), ["E0101"], "{diags:#?}");
    assert_eq!(
        diags[0]["range"]["start"],
        position_of(&broken, "from dve", 5)
    );
    std::fs::write(&deploy, &deploy_text).unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": d_uri, "type": 2 }] }),
    );
    c.diagnostics(&d_uri, |d| d.is_empty());
    assert_eq!(c.shutdown(), Some(0));
}

/// An editor that offers UTF-8 positions gets them: columns count bytes,
/// so a name after a non-ASCII string is where UTF-8 puts it (three columns
/// later than UTF-16 would: `é` is two bytes, `✓` three, each one UTF-16
/// unit).
#[test]
fn positions_in_utf8_when_the_editor_offers_them() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("lsp-tests")
        .join(format!("utf8-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("ci.pipe");
    let line = "  job b { run \"échec ✓\"; after [a, nope] }";
    let text = format!("pipeline app {{\n  on push\n  job a {{ run \"x\" }}\n{line}\n}}\n");
    std::fs::write(&file, &text).unwrap();
    let uri = file_uri(&file);
    let (mut c, chosen) = Client::start_offering(&dir, &["utf-8", "utf-16"]);
    assert_eq!(chosen, "utf-8");
    c.open(&uri, &text);
    let diags = c.diagnostics(&uri, |d| !d.is_empty());
    assert_eq!(codes(&diags), ["E0101"], "{diags:#?}");
    let byte = line.find("nope").unwrap() as u32;
    assert_eq!(diags[0]["range"]["start"], position(3, byte));
    // A hover asked at a byte column finds the job named there.
    let a_ref = line.find("[a,").unwrap() as u32 + 1;
    let h = c.request("textDocument/hover", at(&uri, (3, a_ref)));
    let v = h["contents"]["value"].as_str().unwrap_or_default();
    assert!(v.contains("job a"), "{h:#}");
    assert_eq!(c.shutdown(), Some(0));

    let (mut c, chosen) = Client::start_offering(&dir, &["utf-16"]);
    assert_eq!(chosen, "utf-16");
    c.open(&uri, &text);
    let diags = c.diagnostics(&uri, |d| !d.is_empty());
    assert_eq!(diags[0]["range"]["start"], position(3, byte - 3));
    assert_eq!(c.shutdown(), Some(0));
}
