//! `pipec explain CODE`.

use clap::Args;

use crate::output::Output;

#[derive(Args)]
pub struct ExplainArgs {
    /// A diagnostic code, e.g. E0101.
    #[arg(required_unless_present = "list")]
    pub code: Option<String>,
    /// List every code with its summary.
    #[arg(long)]
    pub list: bool,
}

pub fn run(args: &ExplainArgs, out: &Output) -> u8 {
    if args.list {
        for c in pipec_diagnostics::code::ALL {
            println!("{}  {}", c.code, c.summary);
        }
        return 0;
    }
    let code = args.code.as_deref().unwrap_or_default();
    match pipec_diagnostics::code::lookup(code) {
        Some(c) => {
            print!("{}", c.explanation);
            0
        }
        None => {
            out.error(&format!(
                "no diagnostic has the code `{code}`; `pipec explain --list` shows them all"
            ));
            2
        }
    }
}
