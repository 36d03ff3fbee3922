//! `ctswitchd`: the ctswitch daemon.
//!
//! It reads its settings from flags and/or a TOML file, then runs the
//! switch (`ctswitch::daemon`): OpenFlow listeners and controllers, the
//! datapath's packet threads, and the control socket, until SIGTERM or
//! Ctrl-C. Logs go to stderr through tracing (`RUST_LOG` filters them).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use ctswitch::daemon::config::{Config, Settings};
use tracing::info;

#[cfg(test)]
mod man_pages;

/// The ctswitch daemon: an OpenFlow 1.3 switch with connection tracking.
///
/// Every setting can be given as a flag or in a TOML file (`--config`),
/// whose keys are the flags' long names with `_` for `-` and take the same
/// text, lists for repeatable flags (`port = ["1=dummy:p1"]`). A flag wins
/// over the file. Given nothing, ctswitchd runs bridge br0 with dummy
/// ports 1 (p1) and 2 (p2), OpenFlow on ptcp:6653:127.0.0.1 and the control
/// socket in the run directory ($XDG_RUNTIME_DIR/ctswitch, else
/// /var/run/ctswitch).
///
/// At start it prints one line per OpenFlow listener
/// (`ctswitchd: listening for OpenFlow on tcp:IP:PORT`) and one for the
/// control socket, on stdout.
#[derive(Debug, Parser)]
#[command(name = "ctswitchd", version)]
struct Args {
    /// A TOML file of settings (keys as the flags' names, e.g.
    /// `ct_zone_limit = ["5=100"]`).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(flatten)]
    settings: Settings,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match start(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ctswitchd: {err}");
            ExitCode::FAILURE
        }
    }
}

fn start(args: Args) -> Result<(), String> {
    let nothing_given = args.config.is_none() && args.settings == Settings::default();
    let file = match &args.config {
        Some(path) => Settings::from_file(path)?,
        None => Settings::default(),
    };
    let config = Config::resolve(args.settings.over(file))?;
    if nothing_given {
        info!(
            "no configuration given, running the embedded default: {}",
            config.summary()
        );
    } else {
        info!("configuration: {}", config.summary());
    }
    let runtime =
        tokio::runtime::Runtime::new().map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(ctswitch::daemon::run(config))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_man_page_is_in_step_with_the_options() {
        crate::man_pages::assert_in_step(crate::man_pages::pages(crate::Args::command(), false));
    }
}
