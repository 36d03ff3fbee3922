//! The verbs of `ctswitch`, one module each. Every verb exposes a clap
//! `Args` struct and `run(Args) -> CommandResult`. Helpers shared by
//! several verbs: `vconn` (the OpenFlow connection), `flow_mods`, `group_mods`,
//! `stats`, `format` (`--format`), `control` (the control socket).

pub mod add_flow;
pub mod add_flows;
pub mod add_group;
pub mod add_groups;
pub mod add_meter;
pub mod bench;
mod control;
pub mod ct_bench;
pub mod ct_replay;
pub mod del_flows;
pub mod del_groups;
pub mod del_meters;
pub mod demo;
pub mod demo_netns;
pub mod dump_aggregate;
pub mod dump_conntrack;
pub mod dump_dp_flows;
pub mod dump_flows;
pub mod dump_group_features;
pub mod dump_group_stats;
pub mod dump_groups;
pub mod dump_meter_stats;
pub mod dump_meters;
pub mod dump_ports;
pub mod dump_ports_desc;
pub mod dump_tables;
mod flow_mods;
pub mod flush_conntrack;
mod format;
mod group_mods;
pub mod inject;
pub mod ipf;
pub mod meter_features;
pub mod mod_flows;
pub mod mod_group;
pub mod mod_meter;
pub mod ofp_print;
pub mod packet_out;
pub mod parse_flow;
pub mod port_add;
pub mod port_del;
pub mod port_tx;
pub mod scenario;
pub mod show;
mod stats;
pub mod trace;
mod vconn;

/// What a verb returns: any error becomes one line on stderr and exit status 1.
pub type CommandResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;
