//! What a shell script does, as far as delivery policy cares: tests and their
//! coverage threshold, security scanners, image pushes and their tags,
//! deployments, git pushes. The same reader serves `.pipe` steps, GitHub
//! `run:` blocks and GitLab script lines.

use std::sync::OnceLock;

use pipec_graph::{Percent, Role};
use regex_lite::Regex;

use super::Tag;

/// One logical command: continuation lines joined, with the text of its first
/// physical line (to point at).
#[derive(Debug, Clone)]
pub struct Command {
    pub text: String,
    pub first_line: String,
}

/// Splits a script into commands, joining `\` continuations and dropping
/// comments and blank lines.
pub fn commands(script: &str) -> Vec<Command> {
    let mut out = Vec::new();
    let mut cur: Option<Command> = None;
    for line in script.lines() {
        let trimmed = line.trim();
        if cur.is_none() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        let c = cur.get_or_insert_with(|| Command {
            text: String::new(),
            first_line: trimmed.to_string(),
        });
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                c.text.push_str(part);
                c.text.push(' ');
            }
            None => {
                c.text.push_str(trimmed);
                out.extend(cur.take());
            }
        }
    }
    out.extend(cur);
    out
}

/// The simple commands of a command line (split at `&&`, `||`, `;`, `|`),
/// each as its words with environment assignments and runner prefixes
/// (`poetry run`, `python -m`, `npx`, `sudo`, …) removed, so that the first
/// word is the program that runs.
pub fn programs(cmd: &str) -> Vec<Vec<&str>> {
    let mut out = Vec::new();
    for seg in cmd.split(['&', '|', ';']) {
        let mut words: Vec<&str> = seg.split_whitespace().collect();
        loop {
            match words.as_slice() {
                [w, ..] if w.contains('=') && !w.starts_with('-') => {
                    words.remove(0);
                }
                [
                    "poetry" | "pipenv" | "uv" | "pdm" | "hatch" | "rye",
                    "run",
                    ..,
                ] => {
                    words.drain(..2);
                }
                ["npx" | "sudo" | "exec" | "time" | "env" | "command", ..] => {
                    words.remove(0);
                }
                [py, "-m", ..] if py.starts_with("python") => {
                    words.drain(..2);
                }
                _ => break,
            }
        }
        if !words.is_empty() {
            out.push(words);
        }
    }
    out
}

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("valid pattern"))
}

/// A coverage threshold the command enforces: `Some(None)` when it enforces
/// one computed at run time.
pub fn coverage_threshold(cmd: &str) -> Option<Option<Percent>> {
    // Most commands mention none of these: skip the regular expressions.
    if ![
        "fail-under",
        "check-coverage",
        "coverageThreshold",
        "--coverage",
        "pipec_coverage_gate",
    ]
    .iter()
    .any(|w| cmd.contains(w))
    {
        return None;
    }
    static PIPEC: OnceLock<Regex> = OnceLock::new();
    static PY: OnceLock<Regex> = OnceLock::new();
    static NYC: OnceLock<Regex> = OnceLock::new();
    static JEST: OnceLock<Regex> = OnceLock::new();
    // The gate pipec generates for `report coverage … min N%`:
    // `pipec_coverage_gate REPORT FORMAT MIN`.
    let pipec = re(
        &PIPEC,
        r"(?:^|[\s;&|(])pipec_coverage_gate\s+\S+\s+\S+\s+(\S+)",
    );
    if let Some(c) = pipec.captures(cmd) {
        return Some(percent(&c[1]));
    }
    let py = re(&PY, r"--(?:cov-)?fail-under(?:=|\s+)(\S+)");
    if let Some(c) = py.captures(cmd)
        && (cmd.contains("--cov-fail-under") || cmd.contains("coverage"))
    {
        return Some(percent(&c[1]));
    }
    let nyc = re(
        &NYC,
        r"check-coverage.*--(?:lines|statements)(?:=|\s+)(\S+)",
    );
    if let Some(c) = nyc.captures(cmd) {
        return Some(percent(&c[1]));
    }
    let jest = re(
        &JEST,
        r#"coverageThreshold.*"(?:lines|statements)"\s*:\s*([0-9.]+)"#,
    );
    if let Some(c) = jest.captures(cmd) {
        return Some(percent(&c[1]));
    }
    // Jest and Vitest read `coverageThreshold` / `coverage.thresholds` from
    // their configuration, which the workflow does not show: a run with
    // `--coverage` has a gate pipec cannot see, not none.
    if cmd.contains("--coverage")
        && [
            "jest",
            "vitest",
            "npm test",
            "npm run test",
            "yarn test",
            "pnpm test",
        ]
        .iter()
        .any(|t| cmd.contains(t))
    {
        return Some(None);
    }
    None
}

/// `70`, `72.5`, `"80"` as a percent; `None` for anything computed.
pub fn percent(s: &str) -> Option<Percent> {
    let s = s.trim_matches(|c| c == '"' || c == '\'' || c == '%');
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let whole: u32 = whole.parse().ok()?;
    let frac: String = frac.chars().chain("00".chars()).take(2).collect();
    let frac: u32 = frac.parse().ok()?;
    Some(Percent {
        hundredths: whole * 100 + frac,
    })
}

/// The `fail_under` of a coverage.py configuration file: its byte offset and
/// text. Only the section coverage.py reads in that file counts.
pub fn fail_under<'a>(name: &str, text: &'a str) -> Option<(usize, &'a str)> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let section = match base {
        "pyproject.toml" => "[tool.coverage.report]",
        ".coveragerc" => "[report]",
        "setup.cfg" | "tox.ini" => "[coverage:report]",
        _ => return None,
    };
    let mut offset = 0;
    let mut inside = false;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if t.starts_with('[') {
            inside = t == section;
        } else if inside
            && let Some((k, v)) = t.split_once('=')
            && k.trim() == "fail_under"
        {
            let v = v.trim();
            let at = offset + line.find(v).unwrap_or(0);
            return Some((at, v));
        }
        offset += line.len();
    }
    None
}

/// Whether the command runs tests, and whether they are integration tests.
pub fn test_command(cmd: &str) -> Option<bool> {
    let runs_tests = programs(cmd).iter().any(|w| {
        let prog = w[0].rsplit('/').next().unwrap_or(w[0]);
        let sub = w.get(1).copied().unwrap_or("");
        match prog {
            "pytest" | "py.test" | "jest" | "vitest" | "rspec" | "phpunit" | "unittest" => true,
            "tox" | "nox" => runs_test_envs(&w[1..]),
            "npm" | "yarn" | "pnpm" => {
                sub == "test" || (sub == "run" && w.get(2).is_some_and(|t| t.starts_with("test")))
            }
            "go" => sub == "test" && !go_test_runs_none(&w[2..]),
            "cargo" | "dotnet" => sub == "test",
            "mvn" | "mvnw" | "gradle" | "gradlew" => jvm_runs_tests(&w[1..]),
            p if p.starts_with("python") => sub
                .rsplit('/')
                .next()
                .is_some_and(|f| f.contains("test") && f.ends_with(".py")),
            _ => false,
        }
    });
    runs_tests.then(|| {
        let l = cmd.to_ascii_lowercase();
        l.contains("integration") || l.contains("e2e")
    })
}

/// Whether a Maven or Gradle command runs a task or phase that tests
/// (`test`, `verify`, `check`), not excluded (`gradle build -x test`) or
/// skipped (`-DskipTests`, `-Dmaven.test.skip=true`).
fn jvm_runs_tests(args: &[&str]) -> bool {
    if args.iter().any(|a| {
        a.starts_with("-DskipTests") && !a.ends_with("=false")
            || a.starts_with("-Dmaven.test.skip") && !a.ends_with("=false")
    }) {
        return false;
    }
    let mut excluded = false;
    args.iter().any(|a| {
        let task = !excluded && matches!(*a, "test" | "verify" | "check");
        excluded = matches!(*a, "-x" | "--exclude-task");
        task
    })
}

/// Words of tox or nox environments and sessions that run no tests: docs,
/// link checks, linters, type checks, packaging.
const NON_TEST_ENVS: &[&str] = &[
    "docs",
    "doc",
    "linkcheck",
    "checklinks",
    "lint",
    "linters",
    "flake8",
    "pylint",
    "mypy",
    "typing",
    "types",
    "typecheck",
    "pre-commit",
    "precommit",
    "format",
    "fmt",
    "style",
    "build",
    "release",
    "publish",
    "pkg",
    "package",
    "dist",
    "changelog",
    "spell",
    "codespell",
    "ruff",
    "black",
    "isort",
    "bandit",
    "safety",
    "audit",
    "readme",
    "manifest",
];

/// Whether a tox or nox command runs test environments: any unless every
/// environment it selects (`-e a,b`, `-s x`, `--session x`) is one of
/// [`NON_TEST_ENVS`] by one of its words (`docs-checklinks`).
fn runs_test_envs(args: &[&str]) -> bool {
    // `--notest`: environments are only installed.
    if args.contains(&"--notest") {
        return false;
    }
    let mut envs = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let value = match *a {
            "-e" | "-s" | "--session" | "--sessions" | "--envlist" => it.next().copied(),
            _ => a
                .strip_prefix("-e")
                .or_else(|| a.strip_prefix("--session="))
                .or_else(|| a.strip_prefix("-s"))
                .filter(|v| !v.is_empty()),
        };
        if let Some(v) = value {
            envs.extend(
                v.split(',')
                    .map(|e| e.trim_matches(|c| c == '"' || c == '\'')),
            );
        }
    }
    envs.is_empty() || envs.iter().any(|e| is_test_env(e))
}

/// Whether a tox environment or nox session runs tests: none of its words
/// is one of [`NON_TEST_ENVS`], and one says tests — a Python version
/// (`py312`, `pypy3`, `3.12`), a word such as `test`, `unit` or `coverage`
/// — or it is only known when the job runs (`${{ matrix.env }}`, `$TOXENV`;
/// most such lists are Python versions). Environments named for anything
/// else (`fuzz`, `benchmark`, `vendoring`, `update-plugin-list`) are tools
/// the project runs, not its tests.
fn is_test_env(env: &str) -> bool {
    let env = env.to_ascii_lowercase();
    if env.contains('$') || env.contains('{') {
        return true;
    }
    let words: Vec<&str> = env
        .split(['-', '_', '.'])
        .filter(|w| !w.is_empty())
        .collect();
    !words.iter().any(|w| NON_TEST_ENVS.contains(w)) && words.iter().any(|w| says_tests(w))
}

fn says_tests(word: &str) -> bool {
    let version = |rest: &str| rest.chars().all(|c| c.is_ascii_digit());
    word.strip_prefix("pypy").is_some_and(version)
        || word.strip_prefix("py").is_some_and(version)
        || word.chars().all(|c| c.is_ascii_digit())
        || word.starts_with("test")
        || matches!(
            word,
            "unit"
                | "unittest"
                | "unittests"
                | "integration"
                | "functional"
                | "cov"
                | "coverage"
                | "e2e"
                | "smoke"
                | "acceptance"
                | "regression"
                | "all"
        )
}

/// Whether a `go test` command runs no test: `-run` with a pattern that
/// matches no name (`^$`: compile only, or benchmarks alone), or `-fuzz`
/// (a fuzzing campaign, whose coverage is not the project's).
fn go_test_runs_none<'a>(args: &[&'a str]) -> bool {
    let unquote = |a: &'a str| a.trim_matches(|c| c == '"' || c == '\'');
    let mut it = args.iter().map(|a| unquote(a));
    while let Some(a) = it.next() {
        let flag = a.trim_start_matches('-');
        let pattern = match flag {
            "run" => it.next(),
            _ => flag.strip_prefix("run=").map(unquote),
        };
        if pattern.is_some_and(|p| matches!(p, "^$" | "XXX" | "NONE"))
            || flag == "fuzz"
            || flag.starts_with("fuzz=")
        {
            return true;
        }
    }
    false
}

/// A scanner the command runs: its role, tool name, and whether a finding
/// fails the command.
pub fn scanner(cmd: &str) -> Option<(Role, &'static str, bool)> {
    if !SCANNER_WORDS.iter().any(|w| cmd.contains(w)) {
        return None;
    }
    let ignored = cmd.contains("|| true") || cmd.contains("|| exit 0") || cmd.contains("|| echo");
    programs(cmd)
        .iter()
        .find_map(|w| scanner_words(w, &w.join(" ")))
        .map(|(r, t, blocking)| (r, t, blocking && !ignored))
}

/// Text every scanner command contains: each branch of [`scanner_words`]
/// that finds a scanner needs one of these in the command, so a command
/// with none of them is no scan (most commands are not).
const SCANNER_WORDS: &[&str] = &[
    "trivy",
    "grype",
    "snyk",
    "scout",
    "audit",
    "safety",
    "osv-scanner",
    "deny",
    "govulncheck",
    "bandit",
    "semgrep",
    "gosec",
    "brakeman",
    "njsscan",
    "gitleaks",
    "trufflehog",
    "detect-secrets",
    "ggshield",
];

fn scanner_words(words: &[&str], cmd: &str) -> Option<(Role, &'static str, bool)> {
    let prog = words[0].rsplit('/').next().unwrap_or(words[0]);
    let has = |w: &str| prog == w || words[1..].contains(&w);
    let flag = |f: &str| {
        words
            .iter()
            .any(|x| *x == f || x.starts_with(&format!("{f}=")))
    };
    let flag_value = |f: &str| -> Option<String> {
        words.iter().enumerate().find_map(|(i, x)| {
            if let Some(v) = x.strip_prefix(&format!("{f}=")) {
                Some(v.to_string())
            } else if *x == f {
                words.get(i + 1).map(|v| v.to_string())
            } else {
                None
            }
        })
    };
    if prog == "pip"
        || prog == "pip3"
        || prog.starts_with("apt")
        || prog == "apk"
        || prog == "brew"
        || prog == "curl"
    {
        return None;
    }
    if prog == "trivy" {
        let exit = flag_value("--exit-code").is_some_and(|v| v != "0");
        if words.iter().any(|w| matches!(*w, "image" | "i")) {
            Some((Role::ImageScan, "trivy", exit))
        } else if words
            .iter()
            .any(|w| matches!(*w, "fs" | "filesystem" | "repo" | "repository"))
        {
            let secret_only = flag_value("--scanners").is_some_and(|s| s == "secret");
            if secret_only {
                Some((Role::SecretScan, "trivy", exit))
            } else {
                Some((Role::DependencyAudit, "trivy", exit))
            }
        } else {
            None
        }
    } else if prog == "grype" {
        Some((Role::ImageScan, "grype", flag("--fail-on") || flag("-f")))
    } else if cmd.contains("snyk container test") {
        Some((Role::ImageScan, "snyk", true))
    } else if cmd.contains("docker scout cves") {
        Some((Role::ImageScan, "docker scout", flag("--exit-code")))
    } else if prog == "pip-audit" {
        Some((Role::DependencyAudit, "pip-audit", true))
    } else if prog == "safety" && (has("check") || has("scan")) {
        Some((
            Role::DependencyAudit,
            "safety",
            !flag("--continue-on-error"),
        ))
    } else if words
        .windows(2)
        .any(|w| matches!(w[0], "npm" | "yarn" | "pnpm") && w[1] == "audit")
    {
        Some((Role::DependencyAudit, "npm audit", true))
    } else if prog == "osv-scanner" {
        Some((Role::DependencyAudit, "osv-scanner", true))
    } else if cmd.contains("cargo audit") || cmd.contains("cargo deny") {
        Some((Role::DependencyAudit, "cargo audit", true))
    } else if prog == "govulncheck" {
        Some((Role::DependencyAudit, "govulncheck", true))
    } else if cmd.contains("snyk test") {
        Some((Role::DependencyAudit, "snyk", true))
    } else if prog == "bandit" {
        Some((Role::Sast, "bandit", !flag("--exit-zero")))
    } else if prog == "semgrep" {
        Some((Role::Sast, "semgrep", has("ci") || flag("--error")))
    } else if prog == "gosec" {
        Some((Role::Sast, "gosec", !flag("-no-fail")))
    } else if prog == "brakeman" {
        Some((Role::Sast, "brakeman", true))
    } else if prog == "njsscan" {
        Some((Role::Sast, "njsscan", true))
    } else if prog == "gitleaks" {
        let exit = flag_value("--exit-code").is_none_or(|v| v != "0");
        Some((Role::SecretScan, "gitleaks", exit))
    } else if prog == "trufflehog" {
        Some((Role::SecretScan, "trufflehog", flag("--fail")))
    } else if prog == "detect-secrets" || prog == "detect-secrets-hook" {
        Some((Role::SecretScan, "detect-secrets", true))
    } else if prog == "ggshield" {
        Some((Role::SecretScan, "ggshield", true))
    } else {
        None
    }
}

/// Image references the command pushes.
pub fn pushed_images(cmd: &str) -> Vec<String> {
    // Each program below is named in the command's text.
    const PUSHERS: &[&str] = &["docker", "podman", "buildah", "crane", "skopeo", "executor"];
    if !PUSHERS.iter().any(|p| cmd.contains(p)) {
        return Vec::new();
    }
    let words: Vec<&str> = cmd
        .split(|c: char| c.is_whitespace() || c == ';')
        .filter(|w| !w.is_empty())
        .collect();
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let prog = w.rsplit('/').next().unwrap_or(w);
        let next_args = || {
            words[i + 1..]
                .iter()
                .take_while(|a| !matches!(**a, "&&" | "||" | "|"))
        };
        match prog {
            "docker" | "podman" | "buildah" => {
                let rest: Vec<&&str> = next_args().collect();
                let sub = rest.iter().position(|a| !a.starts_with('-'));
                let Some(s) = sub else { continue };
                let cmdname = *rest[s];
                let push = cmdname == "push"
                    || (cmdname == "image" && rest.get(s + 1).is_some_and(|a| **a == "push"));
                if push {
                    let args = &rest[s + 1 + usize::from(cmdname == "image")..];
                    let refs: Vec<&str> = args
                        .iter()
                        .map(|a| **a)
                        .filter(|a| !a.starts_with('-'))
                        .collect();
                    // `buildah push IMAGE DEST`: the destination is what lands.
                    if let Some(r) = refs.last() {
                        out.push(r.trim_start_matches("docker://").to_string());
                    }
                } else if ((cmdname == "buildx" || cmdname == "build")
                    && rest
                        .iter()
                        .any(|a| **a == "--push" || a.starts_with("--output=type=registry")))
                    // `buildx imagetools create --tag NEW SOURCE` writes a
                    // tag in the registry: a push without a local image.
                    || (cmdname == "buildx"
                        && rest.get(s + 1).is_some_and(|a| **a == "imagetools")
                        && rest.get(s + 2).is_some_and(|a| **a == "create"))
                {
                    let mut it = rest.iter();
                    while let Some(a) = it.next() {
                        if **a == "-t" || **a == "--tag" {
                            if let Some(v) = it.next() {
                                out.push(v.to_string());
                            }
                        } else if let Some(v) = a.strip_prefix("--tag=") {
                            out.push(v.to_string());
                        }
                    }
                }
            }
            "crane" | "skopeo" => {
                let args: Vec<&&str> = next_args().collect();
                if args
                    .first()
                    .is_some_and(|a| matches!(**a, "push" | "copy" | "cp"))
                    && let Some(r) = args.iter().rfind(|a| !a.starts_with('-'))
                {
                    out.push(r.trim_start_matches("docker://").to_string());
                }
            }
            // Kaniko's executor: `--destination` is the image it pushes.
            "executor" if w.contains("kaniko") || words.iter().any(|a| a.contains("kaniko")) => {
                for (k, a) in words[i + 1..].iter().enumerate() {
                    if let Some(v) = a.strip_prefix("--destination=") {
                        out.push(v.to_string());
                    } else if *a == "--destination"
                        && let Some(v) = words.get(i + 2 + k)
                    {
                        out.push(v.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    out.into_iter()
        .map(|r| r.trim_matches(|c| c == '"' || c == '\'').to_string())
        .collect()
}

/// `NAME=value` or `export NAME=value` alone on a line: the name and the
/// value without its quotes.
pub fn assignment(cmd: &str) -> Option<(&str, &str)> {
    let cmd = cmd.trim();
    let cmd = cmd.strip_prefix("export ").unwrap_or(cmd).trim_start();
    let (name, value) = cmd.split_once('=')?;
    let ident = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let value = value.trim();
    let simple =
        !value.contains(char::is_whitespace) || value.starts_with('"') && value.ends_with('"');
    (ident && simple && !value.contains("$(") && !value.contains('`'))
        .then(|| (name, value.trim_matches(|c| c == '"' || c == '\'')))
}

/// The tag part of an image reference (`latest` when there is none).
pub fn tag_of(reference: &str) -> String {
    let r = reference.split('@').next().unwrap_or(reference);
    let last = r.rsplit('/').next().unwrap_or(r);
    match last.rsplit_once(':') {
        Some((_, t)) => t.to_string(),
        None => "latest".into(),
    }
}

/// What a tag is, from its text.
pub fn classify_tag(tag: &str) -> Tag {
    let t = tag.trim_matches(|c| c == '"' || c == '\'');
    let lower = t.to_ascii_lowercase();
    if lower == "latest" {
        return Tag::Latest;
    }
    let sha = [
        "ci_commit_sha",
        "ci_commit_short_sha",
        "github.sha",
        "github_sha",
        "git rev-parse",
        "short_sha",
        "pipec_short_sha",
    ];
    if sha.iter().any(|s| lower.contains(s)) {
        return Tag::Sha;
    }
    if lower.contains("ci_commit_tag")
        || lower.contains("pipec_version")
        || lower.contains("version")
    {
        return Tag::Version;
    }
    let refs = [
        "ci_commit_ref_name",
        "ci_commit_ref_slug",
        "ci_commit_branch",
        "github.ref_name",
        "github_ref_name",
        "branch",
    ];
    if refs.iter().any(|s| lower.contains(s)) {
        return Tag::Branch;
    }
    if !t.contains('$') && !t.is_empty() {
        return Tag::Literal(t.to_string());
    }
    Tag::Unknown
}

/// Whether the command deploys, and the namespace it names.
pub fn deploy_command(cmd: &str) -> Option<Option<String>> {
    static D: OnceLock<Regex> = OnceLock::new();
    static NS: OnceLock<Regex> = OnceLock::new();
    let d = re(
        &D,
        r"(?:^|[\s;&|(])(?:kubectl\s+(?:\S+\s+)*(?:set\s+image|apply|rollout\s+restart|replace|patch\s+deployment)|helm\s+(?:\S+\s+)*(?:upgrade|install)\s|argocd\s+app\s+sync|kustomize\s+edit\s+set\s+image|flux\s+reconcile|oc\s+(?:apply|rollout)|gcloud\s+run\s+deploy|aws\s+ecs\s+update-service)",
    );
    let tools = [
        "kubectl",
        "helm",
        "argocd",
        "kustomize",
        "flux",
        "oc ",
        "gcloud",
        "aws ",
    ];
    if !tools.iter().any(|t| cmd.contains(t)) || !d.is_match(cmd) {
        return None;
    }
    let ns = re(&NS, r"(?:\s-n\s*|--namespace[=\s]+)([A-Za-z0-9${}_.-]+)");
    Some(ns.captures(cmd).map(|c| c[1].to_string()))
}

pub fn git_push(cmd: &str) -> bool {
    static G: OnceLock<Regex> = OnceLock::new();
    cmd.contains("push")
        && re(&G, r"(?:^|[\s;&|(])git\s+(?:-c\s+\S+\s+)*push(?:\s|$)").is_match(cmd)
}

/// GitLab variables whose value anyone opening a merge request writes.
pub const GITLAB_UNTRUSTED: &[&str] = &[
    "CI_MERGE_REQUEST_TITLE",
    "CI_MERGE_REQUEST_DESCRIPTION",
    "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
    "CI_COMMIT_MESSAGE",
    "CI_COMMIT_TITLE",
    "CI_COMMIT_DESCRIPTION",
    "CI_COMMIT_AUTHOR",
    "CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME",
];

/// Untrusted GitLab variables the command expands unquoted or through `eval`
/// (`sh -c`), where their text becomes shell code.
pub fn unsafe_expansions(cmd: &str) -> Vec<&'static str> {
    let evals = ["eval ", "sh -c", "bash -c"]
        .iter()
        .any(|e| cmd.contains(e));
    let mut out = Vec::new();
    for var in GITLAB_UNTRUSTED {
        for form in [format!("${var}"), format!("${{{var}}}")] {
            let mut from = 0;
            while let Some(i) = cmd[from..].find(&form) {
                let at = from + i;
                let end = at + form.len();
                let word_end = cmd[end..]
                    .chars()
                    .next()
                    .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
                if word_end && (evals || !inside_double_quotes(cmd, at)) && !out.contains(var) {
                    out.push(*var);
                }
                from = end;
            }
        }
    }
    out
}

/// Whether byte `at` is inside a double-quoted string (single quotes do not
/// expand at all, so they are safe too).
fn inside_double_quotes(cmd: &str, at: usize) -> bool {
    let mut dq = false;
    let mut sq = false;
    let mut escaped = false;
    for c in cmd[..at].chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' if !sq => dq = !dq,
            '\'' if !dq => sq = !sq,
            _ => {}
        }
    }
    dq || sq
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_gates() {
        assert_eq!(
            coverage_threshold("pytest --cov=src --cov-fail-under=70"),
            Some(Some(Percent::whole(70)))
        );
        assert_eq!(
            coverage_threshold("coverage report --fail-under 82.5"),
            Some(Some(Percent { hundredths: 8250 }))
        );
        assert_eq!(
            coverage_threshold("pytest --cov=src --cov-report=xml"),
            None
        );
        assert_eq!(
            coverage_threshold("pytest --cov-fail-under=$MIN"),
            Some(None)
        );
        assert_eq!(
            coverage_threshold("pipec_coverage_gate 'coverage.out' go 72.5"),
            Some(Some(Percent { hundredths: 7250 }))
        );
    }

    #[test]
    fn scanners_and_whether_they_block() {
        assert_eq!(
            scanner("trivy image --severity HIGH,CRITICAL $IMAGE"),
            Some((Role::ImageScan, "trivy", false))
        );
        assert_eq!(
            scanner("trivy image --exit-code 1 app.tar"),
            Some((Role::ImageScan, "trivy", true))
        );
        assert_eq!(
            scanner("bandit -r src/ -f json -o bandit-report.json"),
            Some((Role::Sast, "bandit", true))
        );
        assert_eq!(
            scanner("pip-audit -r r.txt || true").map(|s| s.2),
            Some(false)
        );
        assert_eq!(scanner("echo scanning"), None);
        // Every scanner, so that the words a scan needs cover each of them.
        for (cmd, tool) in [
            ("trivy fs .", "trivy"),
            ("grype app:1", "grype"),
            ("snyk container test app:1", "snyk"),
            ("snyk test", "snyk"),
            ("docker scout cves app:1", "docker scout"),
            ("pip-audit", "pip-audit"),
            ("safety check", "safety"),
            ("npm audit --audit-level high", "npm audit"),
            ("osv-scanner -r .", "osv-scanner"),
            ("cargo  deny check", "cargo audit"),
            ("cargo audit", "cargo audit"),
            ("govulncheck ./...", "govulncheck"),
            ("bandit -r src", "bandit"),
            ("semgrep ci", "semgrep"),
            ("gosec ./...", "gosec"),
            ("brakeman", "brakeman"),
            ("njsscan .", "njsscan"),
            ("gitleaks detect", "gitleaks"),
            ("trufflehog git file://.", "trufflehog"),
            ("detect-secrets-hook a.py", "detect-secrets"),
            ("ggshield secret scan repo .", "ggshield"),
        ] {
            assert_eq!(scanner(cmd).map(|s| s.1), Some(tool), "{cmd}");
        }
    }

    #[test]
    fn pushes_and_tags() {
        assert_eq!(
            pushed_images("docker push $IMAGE_NAME:latest"),
            vec!["$IMAGE_NAME:latest"]
        );
        assert_eq!(tag_of("registry:5000/app"), "latest");
        assert_eq!(tag_of("registry:5000/app:1.2"), "1.2");
        assert_eq!(classify_tag("$CI_COMMIT_SHA"), Tag::Sha);
        assert_eq!(classify_tag("latest"), Tag::Latest);
        assert_eq!(classify_tag("\"$t\""), Tag::Unknown);
        assert_eq!(
            pushed_images("docker buildx build --push -t a/b:1 ."),
            vec!["a/b:1"]
        );
        assert_eq!(
            pushed_images(
                "docker buildx imagetools create --prefer-index=false --tag a/b:latest a/b@sha256:1"
            ),
            vec!["a/b:latest"]
        );
    }

    #[test]
    fn commands_join_continuations() {
        let c = commands("# x\nkubectl set image d \\\n  -n prod\necho ok\n");
        assert_eq!(c.len(), 2);
        assert_eq!(deploy_command(&c[0].text), Some(Some("prod".into())));
        assert_eq!(test_command("python test_basic.py"), Some(false));
        assert_eq!(test_command("pytest tests/integration"), Some(true));
    }

    /// Commands from real workflows (tests/corpus): which run the project's
    /// tests.
    #[test]
    fn which_commands_run_tests() {
        for runs in [
            "tox",
            "tox -e py312",
            "tox run -e ${{ matrix.tox_env }} --installpkg dist/x.tar.gz",
            "tox -e 3.12-unit",
            "nox -s tests-3.12",
            "tox -e pypy3-coverage",
            "go test -race ./...",
            "go test -run TestFoo ./pkg",
            "gradle test",
            "./gradlew check -x spotlessCheck",
            "mvn -B verify -DskipTests=false",
        ] {
            assert!(test_command(runs).is_some(), "{runs}");
        }
        for none in [
            "tox -e fuzz --result-json out.json",
            "tox -e run_self",
            "tox -e update-plugin-list",
            "tox -n -e benchmark",
            "python -m nox -s vendoring",
            "tox -e docs-checklinks",
            "tox -e py312-lint",
            "tox --notest -e py312",
            "go test -run=^$ ./...",
            "go test -run '^$' -bench . ./...",
            "go test -fuzz=\"${fuzz_test}$\" -fuzztime=4m ./util/fuzzing",
            "gradle clean assemble -x test",
            "./gradlew build --exclude-task test",
            "mvn -B package -DskipTests",
            "mvn verify -Dmaven.test.skip=true",
        ] {
            assert_eq!(test_command(none), None, "{none}");
        }
    }

    #[test]
    fn untrusted_expansions() {
        assert_eq!(
            unsafe_expansions("echo $CI_MERGE_REQUEST_TITLE"),
            vec!["CI_MERGE_REQUEST_TITLE"]
        );
        assert!(unsafe_expansions("echo \"$CI_MERGE_REQUEST_TITLE\"").is_empty());
        assert_eq!(unsafe_expansions("eval \"$CI_COMMIT_MESSAGE\"").len(), 1);
    }
}
