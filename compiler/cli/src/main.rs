//! The `pipec` command line.
//!
//! Exit codes: 0 when the run found no errors, 1 when it reported errors (or
//! findings at or above `--deny`), 2 for usage and I/O failures.

mod build;
mod check;
mod explain;
mod lint;
mod output;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Compile `.pipe` pipeline programs into CI/CD configuration, checked like code.
#[derive(Parser)]
#[command(name = "pipec", version, about, long_about = None)]
#[command(after_help = "Examples:\n  pipec check examples/flask-api\n  pipec explain E0101")]
struct Cli {
    #[command(flatten)]
    global: output::GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a program and write the files of every target.
    #[command(
        after_help = "Examples:\n  pipec build examples/flask-api --out generated\n  pipec build . --target github,gitlab"
    )]
    Build(build::BuildArgs),
    /// Check a program: parse, resolve names, check types, build the pipeline graph.
    #[command(
        after_help = "Examples:\n  pipec check examples/flask-api\n  pipec check pipeline.pipe --format json"
    )]
    Check(check::CheckArgs),
    /// Print the long explanation of a diagnostic code.
    #[command(after_help = "Examples:\n  pipec explain E0301\n  pipec explain --list")]
    Explain(explain::ExplainArgs),
    /// Check delivery policy on .pipe programs and GitHub, GitLab, Argo CD and Kubernetes YAML.
    #[command(
        after_help = "Examples:\n  pipec lint .\n  pipec lint .github/workflows/ci.yml --format sarif\n  pipec explain PIPE101"
    )]
    Lint(lint::LintArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let out = output::Output::new(&cli.global);
    let code = match cli.command {
        Command::Build(a) => build::run(&a, &out),
        Command::Check(a) => check::run(&a, &out),
        Command::Explain(a) => explain::run(&a, &out),
        Command::Lint(a) => lint::run(&a, &out),
    };
    ExitCode::from(code)
}
