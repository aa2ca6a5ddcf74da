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
    /// List at most this many diagnostics or findings, in every format (0:
    /// all); the counts always include the rest.
    #[arg(long, global = true, value_name = "N", default_value_t = 100)]
    pub max_diagnostics: usize,
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
    /// How many diagnostics a listing shows (`usize::MAX` for all).
    pub limit: usize,
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
            limit: match g.max_diagnostics {
                0 => usize::MAX,
                n => n,
            },
        }
    }

    /// Prints diagnostics in the chosen format: human text on stderr, JSON on
    /// stdout; at most `limit` of them, the rest counted.
    pub fn diagnostics(&self, diags: &[Diagnostic], sources: &SourceMap, format: Format) {
        match format {
            Format::Json => {
                let text = render::json_limited(diags, sources, self.limit);
                let _ = std::io::stdout().write_all(text.as_bytes());
            }
            Format::Human => {
                let shown: Vec<Diagnostic> = diags
                    .iter()
                    .filter(|d| !self.quiet || d.is_error())
                    .cloned()
                    .collect();
                let omitted = shown.len().saturating_sub(self.limit);
                let mut text = render::human(
                    &shown[..shown.len() - omitted],
                    sources,
                    render::HumanOptions {
                        color: self.color,
                        width: 100,
                    },
                );
                if omitted > 0 {
                    text.push_str(&format!(
                        "… and {omitted} more diagnostic(s) not shown (--max-diagnostics 0 shows all)\n"
                    ));
                }
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
