//! Health checks of a job's service containers, run for real: the wait GitLab
//! jobs start with, against stand-ins for the check that succeed after some
//! tries, never, or hang; and the Docker options GitHub Actions gets, split
//! as the runner splits them.

use std::path::Path;
use std::time::Instant;

use pipec_tests::{emitted, program_from, scratch, shell};

/// A job with a database whose health check is `CHECK`.
fn program(check: &str, settings: &str) -> String {
    format!(
        r#"pipeline test {{
  on push

  job integration {{
    container "python:3.12"
    service db "postgres:16" {{
      env    {{ POSTGRES_HOST_AUTH_METHOD: "trust" }}
      port   5432
      health "{check}" {{ {settings} }}
    }}
    run "pytest tests/integration"
  }}
}}
"#
    )
}

/// The job's script, from the generated `.gitlab-ci.yml`.
fn gitlab_script(check: &str, settings: &str) -> String {
    let p = program_from(&program(check, settings));
    let ci = emitted(&p, &["gitlab"], ".gitlab-ci.yml");
    shell::gitlab_script(&ci, "integration")
}

/// The wait alone: the job's script up to its own step.
fn wait(check: &str, settings: &str) -> String {
    let script = gitlab_script(check, settings);
    let end = script
        .find("pytest tests/integration")
        .expect("the job's own step");
    let wait = &script[..end];
    assert!(
        wait.contains("# Wait until service db is healthy"),
        "{wait}"
    );
    wait.to_string()
}

/// A stand-in check that fails until it has been called `n` times.
fn healthy_after(bin: &Path, n: u32) {
    shell::stub(
        bin,
        "check-db",
        &format!(
            "c=$(cat \"$PWD/tries\" 2>/dev/null || echo 0)\nc=$((c + 1))\necho \"$c\" > \"$PWD/tries\"\nif [ \"$c\" -ge {n} ]; then echo accepting connections; exit 0; fi\necho \"db:5432 - no response (try $c)\"\nexit 2\n"
        ),
    );
}

fn tries(dir: &Path) -> u32 {
    std::fs::read_to_string(dir.join("tries"))
        .map(|s| s.trim().parse().unwrap())
        .unwrap_or(0)
}

#[test]
fn the_job_waits_until_the_service_is_healthy() {
    let dir = scratch("health-becomes-ready");
    let bin = dir.join("bin");
    healthy_after(&bin, 3);
    let script = wait("check-db --host db", "interval 1s, retries 5");
    let out = shell::run_sh(&script, &[], &bin, &dir);
    assert!(out.status.success(), "{}", shell::text(&out));
    assert_eq!(tries(&dir), 3, "it stops checking once healthy");
    assert!(
        shell::text(&out).contains("pipec: service db is healthy after 3 check(s)"),
        "{}",
        shell::text(&out)
    );
    // The steps after it run in the same shell: the wait changes nothing of it.
    let out = shell::run_sh(
        &format!("x=1\n{script}\necho \"x=$x n=${{n:-unset}}\""),
        &[],
        &bin,
        &dir,
    );
    assert!(
        shell::text(&out).contains("x=1 n=unset"),
        "{}",
        shell::text(&out)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_service_that_never_becomes_healthy_fails_the_job_after_its_tries() {
    let dir = scratch("health-never-ready");
    let bin = dir.join("bin");
    healthy_after(&bin, 1000);
    // Two tries in the start period (2s at 1s), then three that count.
    let script = wait("check-db --host db", "interval 1s, retries 3, start 2s");
    let started = Instant::now();
    let out = shell::run_sh(&format!("{script}\necho the steps ran"), &[], &bin, &dir);
    assert!(!out.status.success(), "{}", shell::text(&out));
    assert_eq!(tries(&dir), 5);
    let text = shell::text(&out);
    assert!(
        text.contains(
            "pipec: service db is not healthy after 5 checks, 1s apart: check-db --host db"
        ),
        "{text}"
    );
    // The check's own last words say why.
    assert!(text.contains("db:5432 - no response (try 5)"), "{text}");
    assert!(!text.contains("the steps ran"), "{text}");
    assert!(started.elapsed().as_secs() < 30);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_check_that_hangs_is_stopped_after_its_timeout() {
    let dir = scratch("health-hangs");
    let bin = dir.join("bin");
    shell::stub(&bin, "check-db", "sleep 60\n");
    let script = wait("check-db", "interval 1s, retries 2, timeout 1s");
    let started = Instant::now();
    let out = shell::run_sh(&script, &[], &bin, &dir);
    assert!(!out.status.success(), "{}", shell::text(&out));
    // Two checks of at most a second each, a second apart.
    assert!(
        started.elapsed().as_secs() < 20,
        "the wait is not bounded: {:?}",
        started.elapsed()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn quotes_in_the_check_reach_the_shell_unchanged() {
    let dir = scratch("health-quotes");
    let bin = dir.join("bin");
    shell::stub(&bin, "check-db", "printf '%s|' \"$@\" > \"$PWD/args\"\n");
    // The program's `\"` and `\\` are `"` and `\` of the check's shell text.
    let check = r#"check-db 'a b' \"c\" '$HOME' '\\d' \\e"#;
    let script = wait(check, "interval 1s, retries 1");
    let out = shell::run_sh(&script, &[], &bin, &dir);
    assert!(out.status.success(), "{}", shell::text(&out));
    let args = std::fs::read_to_string(dir.join("args")).unwrap();
    assert_eq!(args, r#"a b|c|$HOME|\d|e|"#);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The `options:` of the GitHub service, split as the runner's .NET process
/// start splits a command line (the Microsoft C runtime's rules).
fn split_command_line(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
            chars.next();
        }
        if chars.peek().is_none() {
            return out;
        }
        let mut arg = String::new();
        let mut quoted = false;
        while let Some(&c) = chars.peek() {
            if !quoted && (c == ' ' || c == '\t') {
                break;
            }
            chars.next();
            match c {
                '\\' => {
                    let mut n = 1;
                    while chars.peek() == Some(&'\\') {
                        chars.next();
                        n += 1;
                    }
                    if chars.peek() == Some(&'"') {
                        arg.push_str(&"\\".repeat(n / 2));
                        if n % 2 == 1 {
                            chars.next();
                            arg.push('"');
                        }
                    } else {
                        arg.push_str(&"\\".repeat(n));
                    }
                }
                '"' => quoted = !quoted,
                _ => arg.push(c),
            }
        }
        out.push(arg);
    }
}

#[test]
fn github_gets_docker_health_options_each_one_argument() {
    let check = r#"pg_isready -h db -U "post gres" || test -e 'C:\tmp\' "#;
    let p = program_from(&program(
        &check.replace('\\', "\\\\").replace('"', "\\\""),
        "interval 2s, retries 15, start 5s, timeout 3s",
    ));
    let workflow = emitted(&p, &["github"], ".github/workflows/test.yml");
    let doc: yaml_serde::Value = yaml_serde::from_str(&workflow).unwrap();
    let options = doc["jobs"]["integration"]["services"]["db"]["options"]
        .as_str()
        .expect("options");
    assert_eq!(
        split_command_line(options),
        [
            "--health-cmd",
            check,
            "--health-interval",
            "2s",
            "--health-timeout",
            "3s",
            "--health-retries",
            "15",
            "--health-start-period",
            "5s",
        ]
    );
}
