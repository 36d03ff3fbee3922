//! `ctswitch`: the command-line tool of ctswitch.
//!
//! Each verb lives in its own module under `commands/`; this file only
//! declares the verbs and turns a failed verb into one line on stderr and
//! exit status 1, as ovs-ofctl does.

mod commands;
mod scenario;
#[cfg(test)]
mod man_pages;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Program and inspect ctswitch, and use its offline tools.
#[derive(Debug, Parser)]
#[command(
    name = "ctswitch",
    version,
    about = "Program and inspect ctswitch, and use its offline OpenFlow and conntrack tools",
    long_about = None
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Parse a flow as `ovs-ofctl -O OpenFlow13 parse-flow` does and print it.
    ParseFlow(commands::parse_flow::Args),
    /// Decode one OpenFlow message given in hex and print it as `ovs-ofctl ofp-print` does.
    OfpPrint(commands::ofp_print::Args),
    /// Measure the connection tracker (workloads shaped like OVS's test-conntrack benchmarks).
    CtBench(commands::ct_bench::Args),
    /// Run every packet of a capture through a fresh connection tracker.
    CtReplay(commands::ct_replay::Args),
    /// Replay a packet scenario (the ovs-scenario format) on an in-process switch and print its report.
    Scenario(commands::scenario::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::ParseFlow(args) => commands::parse_flow::run(args),
        Command::OfpPrint(args) => commands::ofp_print::run(args),
        Command::CtBench(args) => commands::ct_bench::run(args),
        Command::CtReplay(args) => commands::ct_replay::run(args),
        Command::Scenario(args) => commands::scenario::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ctswitch: {err}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn man_pages_are_in_step_with_the_cli() {
        crate::man_pages::assert_in_step(crate::man_pages::pages(crate::Cli::command(), true));
    }
}
