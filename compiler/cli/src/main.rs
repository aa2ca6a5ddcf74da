//! The `pipec` command line.
//!
//! Exit codes: 0 when the run found no errors, 1 when it reported errors (or
//! findings at or above `--deny`), 2 for usage and I/O failures.

mod build;
mod check;
mod completions;
mod explain;
mod fmt;
mod graph;
mod init;
mod lint;
mod lsp;
mod output;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// mimalloc rather than the system allocator: a build and a lint allocate
/// and free many small strings and YAML nodes, and spend a fifth to a
/// quarter less CPU with it (docs/performance.md). Built without
/// transparent huge pages: zeroing 2 MiB pages cost a short run (a build of
/// one service, a pre-commit hook) a fifth of its time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Compile `.pipe` pipeline programs into CI/CD configuration, checked like code.
#[derive(Parser)]
#[command(name = "pipec", version, about, long_about = None)]
#[command(
    after_help = "Examples:\n  pipec init --service api\n  pipec check examples/flask-api\n  pipec build examples/flask-api\n  pipec build --check\n  pipec explain E0101"
)]
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
        after_help = "Examples:\n  pipec build ci                       # write every target's files here\n  pipec build ci --target github,pre-commit\n  pipec build --check                  # are the generated files up to date? (CI, pre-commit)\n  pipec build --check --diff           # and how do they differ\n\nExit codes: 0 built (with --check: up to date); 1 errors in the program, a refused\nbuild (hand-edited or foreign files), or with --check files out of date; 2 usage or I/O."
    )]
    Build(build::BuildArgs),
    /// Check a program: parse, resolve names, check types, build the pipeline graph, and
    /// validate it for every target it builds to (writes nothing).
    #[command(
        after_help = "Examples:\n  pipec check examples/flask-api\n  pipec check ci --target github,gitlab\n  pipec check pipeline.pipe --format json"
    )]
    Check(check::CheckArgs),
    /// Print shell completions for bash, zsh, fish, elvish or PowerShell.
    #[command(
        after_help = "Examples:\n  pipec completions bash > ~/.local/share/bash-completion/completions/pipec\n  pipec completions zsh > ~/.zfunc/_pipec"
    )]
    Completions(completions::CompletionsArgs),
    /// Rewrite .pipe files in their canonical layout (comments kept).
    #[command(
        after_help = "Examples:\n  pipec fmt ci\n  pipec fmt --check .                  # exit 1 if a file is not formatted\n  pipec fmt - < pipeline.pipe"
    )]
    Fmt(fmt::FmtArgs),
    /// Draw the program: jobs, images, environments and services, with the critical path.
    #[command(
        after_help = "Examples:\n  pipec graph examples/flask-api | dot -Tsvg > pipeline.svg\n  pipec graph ci --format mermaid"
    )]
    Graph(graph::GraphArgs),
    /// Write a starter program for the repository's ecosystem (Node, Go, Gradle, Maven, Rust, Python).
    #[command(
        after_help = "Examples:\n  pipec init\n  pipec init --service api --service worker --owner acme --out ci/pipeline.pipe\n  pipec init --lang go --owner acme --out -"
    )]
    Init(init::InitArgs),
    /// Print the long explanation of a diagnostic code.
    #[command(after_help = "Examples:\n  pipec explain E0301\n  pipec explain --list")]
    Explain(explain::ExplainArgs),
    /// Check delivery policy on .pipe programs and GitHub, GitLab, Argo CD and Kubernetes YAML.
    #[command(
        after_help = "Examples:\n  pipec lint .\n  pipec lint .github/workflows/ci.yml --format sarif\n  pipec explain PIPE101"
    )]
    Lint(lint::LintArgs),
    /// Serve an editor over stdio: diagnostics, hover, go to definition, completion, formatting.
    #[command(
        after_help = "Editors start it themselves; see docs/editors.md for VS Code, Neovim and Helix.\n\nExit codes: 0 after the editor's shutdown and exit; 1 when the editor went away without\nthem; 2 when the connection failed."
    )]
    Lsp(lsp::LspArgs),
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
        Command::Completions(a) => completions::run(&a, Cli::command()),
        Command::Explain(a) => explain::run(&a, &out),
        Command::Fmt(a) => fmt::run(&a, &out),
        Command::Graph(a) => graph::run(&a, &out),
        Command::Init(a) => init::run(&a, &out),
        Command::Lint(a) => lint::run(&a, &out),
        Command::Lsp(a) => lsp::run(&a, &out),
    };
    ExitCode::from(code)
}
