//! `congso vn`: operator commands for the Vietnamese language and calendar kit.

/// Commands of the Vietnamese language and calendar kit.
#[derive(Debug, clap::Subcommand)]
pub enum VnCommand {}

pub fn run(command: VnCommand) -> anyhow::Result<()> {
    match command {}
}
