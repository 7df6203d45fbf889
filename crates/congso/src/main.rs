//! The `congso` binary: command-line entry point.

mod vn_cmd;

use clap::Parser;

#[derive(Debug, Parser)]
#[command(
    name = "congso",
    version,
    about = "congso: the e-government node of a Vietnamese state agency"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Vietnamese text, legacy encodings, lunar calendar, holidays and working days.
    Vn {
        #[command(subcommand)]
        command: vn_cmd::VnCommand,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Vn { command } => vn_cmd::run(command),
    }
}
