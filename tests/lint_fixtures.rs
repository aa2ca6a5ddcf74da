//! One test per file under `tests/fixtures/lint/`: the findings of linting it
//! must be exactly the `expect: RULE` comments written on the lines they
//! concern. A sibling `NAME.toml` is used as `pipec.toml`.
//!
//! One more test checks that the fixtures cover the registry: every rule has,
//! for every kind of input it applies to, a fixture where it fires and one
//! that declares it `clean:` (and so shows the rule not firing).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};
use pipec_check::check;
use pipec_diagnostics::{SourceFile, SourceMap};
use pipec_lint::{Config, Input, Session};
use pipec_tests::fs;

fn fixtures() -> PathBuf {
    pipec_tests::root().join("tests/fixtures/lint")
}

fn input_of(dir: &str) -> Option<Input> {
    match dir {
        "pipe" => Some(Input::Pipe),
        "github" => Some(Input::GitHub),
        "gitlab" => Some(Input::GitLab),
        "argocd" => Some(Input::ArgoCd),
        "k8s" => Some(Input::Kubernetes),
        _ => None,
    }
}

/// Every fixture, with the kind of input its folder holds.
fn cases() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for dir in ["pipe", "github", "gitlab", "argocd", "k8s", "config"] {
        let Ok(rd) = std::fs::read_dir(fixtures().join(dir)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        files.sort();
        for f in files {
            let name = f
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_string();
            let sibling_config = name.ends_with(".toml") && dir != "config";
            if !sibling_config {
                out.push((dir.to_string(), f));
            }
        }
    }
    out
}

/// `(line, RULE)` pairs written as `expect: RULE` comments, and the rules a
/// `clean:` comment declares.
fn annotations(text: &str) -> (BTreeSet<(usize, String)>, BTreeSet<String>) {
    let mut expect = BTreeSet::new();
    let mut clean = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        for (marker, into_clean) in [("expect:", false), ("clean:", true)] {
            let Some(at) = line.find(marker) else {
                continue;
            };
            for word in line[at + marker.len()..].split(|c: char| c.is_whitespace() || c == ',') {
                let is_code = (word.starts_with("PIPE") && word.len() == 7)
                    || (word.starts_with('E') && word.len() == 5);
                if !is_code {
                    continue;
                }
                if into_clean {
                    clean.insert(word.to_string());
                } else {
                    expect.insert((i + 1, word.to_string()));
                }
            }
        }
    }
    (expect, clean)
}

/// The findings of one fixture as `(file, line, RULE)`.
fn lint(dir: &str, path: &Path) -> Result<BTreeSet<(String, usize, String)>, String> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_string();
    let toml = path.with_extension("toml");
    let config_text = if dir == "config" {
        Some(std::fs::read_to_string(path).map_err(|e| e.to_string())?)
    } else {
        std::fs::read_to_string(&toml).ok()
    };
    let mut sources = SourceMap::new();
    let mut problems = Vec::new();
    let config = match &config_text {
        Some(t) => {
            let shown = if dir == "config" {
                name.clone()
            } else {
                toml.file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("")
                    .to_string()
            };
            let id = sources.add(SourceFile::new(shown, t.as_str(), false));
            let (c, p) = Config::from_toml(t, id);
            problems = p;
            c
        }
        None => Config::default(),
    };
    let batch = if dir == "pipe" {
        let _cwd = pipec_tests::CwdGuard::enter(&fixtures().join("pipe"));
        let checked = check(Path::new(&name), &fs(Path::new(&name))).map_err(|e| e.to_string())?;
        let Some(program) = &checked.program else {
            return Err(pipec_diagnostics::render::human(
                &checked.diagnostics,
                &checked.sources,
                Default::default(),
            ));
        };
        let mut s = Session::new(checked.sources.clone(), config);
        if let Some(t) = &config_text {
            let id = s.sources.add(SourceFile::new(
                toml.file_name().and_then(|n| n.to_str()).unwrap_or(""),
                t.as_str(),
                false,
            ));
            let (_, p) = Config::from_toml(t, id);
            s.add_findings(p);
        }
        s.add_program(program);
        s.finish()
    } else {
        let mut s = Session::new(sources, config);
        s.add_findings(problems);
        if dir != "config" {
            let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
            s.add_yaml(&name, &text);
        }
        s.finish()
    };
    Ok(batch
        .findings
        .iter()
        .map(|f| {
            let span = f.diagnostic.primary_span();
            let file = batch.sources.get(span.source);
            (
                file.name.clone(),
                file.line_col(span.start).0,
                f.code.to_string(),
            )
        })
        .collect())
}

fn run_case(dir: &str, path: &Path) -> Result<(), Failed> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_string();
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let mut expected: BTreeSet<(String, usize, String)> = annotations(&text)
        .0
        .into_iter()
        .map(|(l, c)| (name.clone(), l, c))
        .collect();
    let toml = path.with_extension("toml");
    if dir != "config"
        && let Ok(t) = std::fs::read_to_string(&toml)
    {
        let tname = toml
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        expected.extend(
            annotations(&t)
                .0
                .into_iter()
                .map(|(l, c)| (tname.clone(), l, c)),
        );
    }
    let actual = lint(dir, path)?;
    if actual == expected {
        return Ok(());
    }
    let missing: Vec<_> = expected.difference(&actual).collect();
    let extra: Vec<_> = actual.difference(&expected).collect();
    Err(format!("findings differ from the `expect:` comments\n  expected but not found: {missing:?}\n  found but not expected: {extra:?}").into())
}

fn coverage_of_rules() -> Result<(), Failed> {
    let mut fires: BTreeSet<(Option<Input>, String)> = BTreeSet::new();
    let mut clean: BTreeSet<(Option<Input>, String)> = BTreeSet::new();
    for (dir, path) in cases() {
        let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        let (e, c) = annotations(&text);
        let input = input_of(&dir);
        fires.extend(e.into_iter().map(|(_, r)| (input, r)));
        clean.extend(c.into_iter().map(|r| (input, r)));
        if let Ok(t) = std::fs::read_to_string(path.with_extension("toml")) {
            fires.extend(annotations(&t).0.into_iter().map(|(_, r)| (None, r)));
        }
    }
    let mut gaps = Vec::new();
    for rule in pipec_lint::rules::all() {
        if rule.check.is_none() {
            if !fires.iter().any(|(_, r)| r == rule.id) {
                gaps.push(format!("{} never fires in a fixture", rule.id));
            }
            continue;
        }
        for input in rule.inputs {
            if !fires.contains(&(Some(*input), rule.id.to_string())) {
                gaps.push(format!(
                    "{} has no violating {} fixture",
                    rule.id,
                    input.key()
                ));
            }
            if !clean.contains(&(Some(*input), rule.id.to_string())) {
                gaps.push(format!("{} has no clean {} fixture", rule.id, input.key()));
            }
        }
    }
    if gaps.is_empty() {
        Ok(())
    } else {
        Err(gaps.join("\n").into())
    }
}

fn main() {
    let args = Arguments::from_args();
    let mut trials: Vec<Trial> = cases()
        .into_iter()
        .map(|(dir, path)| {
            let name = format!(
                "{dir}/{}",
                path.file_name().and_then(|n| n.to_str()).unwrap_or("")
            );
            Trial::test(name, move || run_case(&dir, &path))
        })
        .collect();
    trials.push(Trial::test(
        "every rule has violating and clean fixtures",
        coverage_of_rules,
    ));
    libtest_mimic::run(&args, trials).exit();
}
