//! Where and how results are printed: colour, verbosity, formats.

use std::io::{IsTerminal, Write};

use clap::{Args, ValueEnum};
use pipec_diagnostics::{Diagnostic, SourceMap, render};

#[derive(Args, Clone)]
pub struct GlobalArgs {
    /// When to use colour (NO_COLOR is respected).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print only errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Print more about what is done.
    #[arg(long, short, global = true)]
    pub verbose: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// Rendered for people, with source snippets.
    Human,
    /// Versioned JSON for machines.
    Json,
}

pub struct Output {
    pub color: bool,
    pub quiet: bool,
    pub verbose: bool,
}

impl Output {
    pub fn new(g: &GlobalArgs) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match g.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !no_color && std::io::stderr().is_terminal(),
        };
        Output {
            color,
            quiet: g.quiet,
            verbose: g.verbose,
        }
    }

    /// Prints diagnostics in the chosen format: human text on stderr, JSON on
    /// stdout.
    pub fn diagnostics(&self, diags: &[Diagnostic], sources: &SourceMap, format: Format) {
        match format {
            Format::Json => {
                let _ = std::io::stdout().write_all(render::json(diags, sources).as_bytes());
            }
            Format::Human => {
                let shown: Vec<Diagnostic> = diags
                    .iter()
                    .filter(|d| !self.quiet || d.is_error())
                    .cloned()
                    .collect();
                let text = render::human(
                    &shown,
                    sources,
                    render::HumanOptions {
                        color: self.color,
                        width: 100,
                    },
                );
                let _ = std::io::stderr().write_all(text.as_bytes());
            }
        }
    }

    pub fn status(&self, msg: &str) {
        if !self.quiet {
            eprintln!("{msg}");
        }
    }

    pub fn error(&self, msg: &str) {
        eprintln!("error: {msg}");
    }
}
