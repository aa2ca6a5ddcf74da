//! `pipec explain CODE`.

use clap::Args;

use crate::output::Output;

#[derive(Args)]
pub struct ExplainArgs {
    /// A diagnostic code or lint rule, e.g. E0101 or PIPE101.
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
        for r in pipec_lint::rules::all() {
            println!("{}  {}: {}", r.id, r.name, r.summary);
        }
        return 0;
    }
    let code = args.code.as_deref().unwrap_or_default();
    if let Some(c) = pipec_diagnostics::code::lookup(code) {
        print!("{}", c.explanation);
        return 0;
    }
    if let Some(r) = pipec_lint::rules::find(code) {
        print!("{}", pipec_lint::rules::explanation(r));
        return 0;
    }
    out.error(&format!(
        "no diagnostic has the code `{code}`; `pipec explain --list` shows them all"
    ));
    2
}
