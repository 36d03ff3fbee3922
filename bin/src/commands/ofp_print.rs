//! Placeholder until the verb lands; replaced by its owner.

use super::CommandResult;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> CommandResult {
    Err("not built yet".into())
}
