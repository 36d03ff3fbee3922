//! The verbs of `ctswitch`, one module each. Every verb exposes a clap
//! `Args` struct and `run(Args) -> CommandResult`.

pub mod ct_bench;
pub mod ct_replay;
pub mod ofp_print;
pub mod parse_flow;
pub mod scenario;

/// What a verb returns: any error becomes one line on stderr and exit status 1.
pub type CommandResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;
