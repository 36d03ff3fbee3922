//! `ctswitch scenario FILE`: runs a packet scenario (the format of
//! `ovs-scenario`) on an in-process switch with dummy ports p1..p4 and
//! prints its report: per packet the frame, every pipeline pass with its
//! ct metadata, the rules hit and what each port transmitted; and the
//! conntrack and flow dumps asked for.

use std::path::PathBuf;

use super::CommandResult;
use crate::scenario::{parse, run, switch::InProcess};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The scenario file.
    file: PathBuf,
}

pub fn run(args: Args) -> CommandResult {
    let name = args.file.display().to_string();
    let text = std::fs::read_to_string(&args.file).map_err(|e| format!("{name}: {e}"))?;
    let lines = parse::parse(&text).map_err(|e| format!("{name}: {e}"))?;
    let mut switch = InProcess::new();
    let report = run::run(&mut switch, &lines).map_err(|e| format!("{name}: {e}"))?;
    let base = args
        .file
        .file_name()
        .map_or(name.clone(), |n| n.to_string_lossy().into_owned());
    out!(
        "# ctswitch scenario {base} (ctswitch {})\n{report}",
        env!("CARGO_PKG_VERSION")
    );
    Ok(())
}
