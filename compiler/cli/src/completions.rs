//! `pipec completions SHELL`: the completion script of a shell, generated
//! from the command-line definition so that it cannot drift from it.

use clap::Args;
use clap_complete::Shell;

#[derive(Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    pub shell: Shell,
}

pub fn run(args: &CompletionsArgs, mut command: clap::Command) -> u8 {
    clap_complete::generate(args.shell, &mut command, "pipec", &mut std::io::stdout());
    0
}
