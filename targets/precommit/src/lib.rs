//! The pre-commit target: `.pre-commit-config.yaml` for the user's project,
//! so that developers run the pipeline's fast checks before they push.
//!
//! What it holds:
//! - one `repo: local` hook per step of every job whose role is a local check
//!   (`Role::is_local_check`: lint, format, secret scan, SAST), with the step's
//!   command as the hook's entry;
//! - a `pipec-check` hook (`pipec build --check`) that fails when the files
//!   pipec generates are stale, missing, edited by hand or orphaned.
//!
//! Hooks use `language: system`: they run the same commands as CI, with the
//! tools of the developer's environment (the virtualenv the project is worked
//! on in, which also has the project's dependencies that pylint and mypy
//! import). pre-commit's `python` language with `additional_dependencies`
//! would install the tools itself, but into an environment without the
//! project's dependencies, and only with network access. So steps that only
//! install tools or dependencies are CI set-up and are left out; each job's
//! first hook says in a comment what CI installs. Steps whose command depends
//! on the run (a matrix value, a dispatch input, a CI variable) cannot run
//! locally and are left out too.

use pipec_diagnostics::Diagnostic;
use pipec_emit::yaml::{self, Map, Yaml};
use pipec_emit::{OutputTree, Target, layout};
use pipec_graph::{Job, Program, Tool};

pub struct PreCommit;

impl Target for PreCommit {
    fn name(&self) -> &'static str {
        "pre-commit"
    }

    fn emit(&self, program: &Program, out: &mut OutputTree) -> Result<(), Vec<Diagnostic>> {
        let Some(source) = source_file(program) else {
            return Ok(());
        };
        let mut hooks: Vec<Hook> = Vec::new();
        for pipeline in &program.pipelines {
            for job in &pipeline.jobs {
                for hook in job_hooks(job) {
                    if hooks.iter().any(|h| h.entry == hook.entry) {
                        continue;
                    }
                    let mut hook = hook;
                    if hooks.iter().any(|h| h.id == hook.id) {
                        hook.id = format!("{}-{}", hook.id, pipeline.name.replace('_', "-"));
                    }
                    hooks.push(hook);
                }
            }
        }
        hooks.push(Hook {
            id: "pipec-check".into(),
            name: "pipec: generated CI files are up to date".into(),
            entry: "pipec build --check".into(),
            python: false,
            note: Some(
                "Fails when a file pipec generates is missing, stale, edited by hand or\n\
                 orphaned; `pipec build` brings them up to date."
                    .into(),
            ),
        });
        let hooks: Vec<Yaml> = hooks.into_iter().map(Hook::into_yaml).collect();
        let mut repo = Map::new();
        repo.insert("repo", "local");
        repo.insert("hooks", hooks);
        let mut doc = Map::new();
        doc.insert_commented(
            "repos",
            vec![Yaml::Map(repo)],
            "The pipeline's fast checks, run before each commit (`pre-commit install`).\n\
             Hooks run the tools of your environment, as CI runs them.",
        );
        let _ = out.add(
            self.name(),
            layout::PRE_COMMIT_CONFIG,
            source,
            yaml::to_string(&Yaml::Map(doc)),
        );
        Ok(())
    }
}

/// The user file the configuration is generated from: the first pipeline's,
/// or the first environment's or service's when there is no pipeline.
fn source_file(program: &Program) -> Option<String> {
    program
        .pipelines
        .first()
        .map(|p| p.file.clone())
        .or_else(|| program.environments.first().map(|e| e.file.clone()))
        .or_else(|| program.services.first().map(|s| s.file.clone()))
}

struct Hook {
    id: String,
    name: String,
    entry: String,
    /// Runs only when Python files are committed.
    python: bool,
    note: Option<String>,
}

impl Hook {
    fn into_yaml(self) -> Yaml {
        let mut m = Map::new();
        m.insert("id", self.id);
        m.insert("name", self.name);
        match self.note {
            Some(note) => m.insert_commented("entry", self.entry, note),
            None => m.insert("entry", self.entry),
        };
        m.insert("language", "system");
        m.insert("pass_filenames", false);
        if self.python {
            m.insert("types", vec!["python"]);
        } else {
            m.insert("always_run", true);
        }
        Yaml::Map(m)
    }
}

/// The hooks of one job: its runnable, non-set-up steps.
fn job_hooks(job: &Job) -> Vec<Hook> {
    let Some(run) = job.run().filter(|_| job.role.is_local_check()) else {
        return Vec::new();
    };
    let mut setup = Vec::new();
    let mut checks = Vec::new();
    for step in &run.steps {
        let Some(script) = step.script.as_literal() else {
            continue;
        };
        let script = script.trim().to_string();
        if script.is_empty() {
            continue;
        }
        if is_setup(&script) {
            setup.push(script);
        } else {
            // A name showing values of the run shows them as placeholders:
            // hooks run outside any run.
            checks.push((step.name.to_string(), script));
        }
    }
    let job_id = slug(&job.name);
    let single = checks.len() == 1;
    let python = run.has_tool(Tool::Python);
    let mut hooks: Vec<Hook> = checks
        .into_iter()
        .map(|(name, script)| Hook {
            id: if single {
                job_id.clone()
            } else {
                format!("{job_id}-{}", slug(&name))
            },
            name: format!("{} ({})", name, job.name),
            entry: entry(&script),
            python,
            note: None,
        })
        .collect();
    if let Some(first) = hooks.first_mut()
        && !setup.is_empty()
    {
        let lines: Vec<&str> = setup.iter().flat_map(|s| s.lines()).collect();
        first.note = Some(format!(
            "CI installs the tools of job `{}` with:\n  {}",
            job.name,
            lines.join("\n  ")
        ));
    }
    hooks
}

/// Commands that only install tools or dependencies: CI set-up, not checks.
fn is_setup(script: &str) -> bool {
    const INSTALLERS: &[&str] = &[
        "pip install ",
        "pip3 install ",
        "python -m pip install ",
        "python3 -m pip install ",
        "pipx install ",
        "poetry install",
        "poetry self add ",
        "uv sync",
        "uv pip install ",
        "npm ci",
        "npm install",
        "apt-get ",
        "sudo apt-get ",
    ];
    script
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .all(|l| {
            INSTALLERS
                .iter()
                .any(|i| l.starts_with(i) || l == i.trim_end())
        })
}

/// A hook entry: the command itself when it is one simple command, otherwise
/// the script through `sh -ec` (pre-commit splits entries like a POSIX shell,
/// but does not run them in one).
fn entry(script: &str) -> String {
    let simple = !script.contains('\n')
        && script
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " -_./:=,@+".contains(c));
    if simple {
        script.to_string()
    } else {
        format!("sh -ec '{}'", script.replace('\'', r"'\''"))
    }
}

/// A hook id: lower-case words joined by `-`.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_commands_or_quoted_scripts() {
        assert_eq!(entry("flake8 ."), "flake8 .");
        assert_eq!(
            entry("poetry run black --check .\npoetry run mypy src/"),
            "sh -ec 'poetry run black --check .\npoetry run mypy src/'"
        );
        assert_eq!(entry("echo 'a' | wc"), r"sh -ec 'echo '\''a'\'' | wc'");
    }

    #[test]
    fn installs_are_setup() {
        assert!(is_setup("python -m pip install flake8 pylint"));
        assert!(is_setup("poetry install --with dev"));
        assert!(is_setup("npm ci"));
        assert!(!is_setup("flake8 ."));
        assert!(!is_setup("python -m pip install x\nflake8 ."));
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("Install dependencies"), "install-dependencies");
        assert_eq!(slug("flake8"), "flake8");
        assert_eq!(slug("secret_scan!"), "secret-scan");
    }
}
