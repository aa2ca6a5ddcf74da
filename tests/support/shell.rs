//! Running the shell that generated CI files hold, as the CI system would:
//! a GitHub step's `run:` or a GitLab job's `script:` lines, with the
//! variables the run sets and stub commands (`docker`, `kubectl`) that record
//! how they were called.

use std::path::Path;
use std::process::{Command, Output};

use yaml_serde::Value;

/// The `run:` scripts of a GitHub workflow job, with their step names.
pub fn github_steps(workflow: &str, job: &str) -> Vec<(String, String)> {
    let doc: Value = yaml_serde::from_str(workflow).expect("workflow parses");
    let steps = doc["jobs"][job]["steps"]
        .as_sequence()
        .unwrap_or_else(|| panic!("job `{job}` has steps"));
    steps
        .iter()
        .filter_map(|s| {
            let run = s.get("run")?.as_str()?;
            let name = s.get("name").and_then(Value::as_str).unwrap_or_default();
            Some((name.to_string(), run.to_string()))
        })
        .collect()
}

/// The `run:` script of the step of `job` whose name starts with `name`.
pub fn github_step(workflow: &str, job: &str, name: &str) -> String {
    github_steps(workflow, job)
        .into_iter()
        .find(|(n, _)| n.starts_with(name))
        .unwrap_or_else(|| panic!("job `{job}` has a step `{name}…`"))
        .1
}

/// A GitLab job's `script:` lines as one script.
pub fn gitlab_script(ci: &str, job: &str) -> String {
    let doc: Value = yaml_serde::from_str(ci).expect(".gitlab-ci.yml parses");
    let lines = doc[job]["script"]
        .as_sequence()
        .unwrap_or_else(|| panic!("job `{job}` has a script"));
    let body: Vec<&str> = lines.iter().filter_map(Value::as_str).collect();
    body.join("\n") + "\n"
}

/// Writes an executable `dir/name` running `body` (a POSIX shell script).
pub fn stub(dir: &Path, name: &str, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).expect("stub dir");
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}")).expect("write stub");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// Runs `script` with `sh -e` in `cwd`, `bin` first on `PATH`, and `env`.
pub fn run_sh(script: &str, env: &[(&str, &str)], bin: &Path, cwd: &Path) -> Output {
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("sh")
        .arg("-ec")
        .arg(script)
        .current_dir(cwd)
        .env("PATH", path)
        .envs(env.iter().copied())
        .output()
        .expect("sh runs")
}

/// Standard output and error of a run, for messages.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
