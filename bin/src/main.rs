//! `ctswitch`: the command-line tool of ctswitch.
//!
//! Each verb lives in its own module under `commands/`; this file only
//! declares the verbs and turns a failed verb into one line on stderr and
//! exit status 1, as ovs-ofctl does.

// First, so that its macros are in scope in the modules after it.
#[macro_use]
mod stdout;

mod commands;
#[cfg(test)]
mod man_pages;
mod scenario;

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
    /// Run a stateful firewall on an in-process switch and show what each packet met.
    Demo(commands::demo::Args),
    /// Parse a flow as `ovs-ofctl -O OpenFlow13 parse-flow` does and print it.
    ParseFlow(commands::parse_flow::Args),
    /// Decode one OpenFlow message given in hex and print it as `ovs-ofctl ofp-print` does.
    OfpPrint(commands::ofp_print::Args),
    /// Measure the switch's in-process forwarding rate (cache hit and miss paths, one thread).
    Bench(commands::bench::Args),
    /// Measure the connection tracker (workloads shaped like OVS's test-conntrack benchmarks).
    CtBench(commands::ct_bench::Args),
    /// Run every packet of a capture through a fresh connection tracker.
    CtReplay(commands::ct_replay::Args),
    /// Add a flow to a switch (as ovs-ofctl add-flow).
    AddFlow(commands::add_flow::Args),
    /// Add every flow of a file to a switch (as ovs-ofctl add-flows).
    AddFlows(commands::add_flows::Args),
    /// Change the actions of matching flows (as ovs-ofctl mod-flows).
    ModFlows(commands::mod_flows::Args),
    /// Delete matching flows, or all (as ovs-ofctl del-flows).
    DelFlows(commands::del_flows::Args),
    /// Print matching flows (as ovs-ofctl dump-flows).
    DumpFlows(commands::dump_flows::Args),
    /// Print the counts of matching flows (as ovs-ofctl dump-aggregate).
    DumpAggregate(commands::dump_aggregate::Args),
    /// Print a switch's features, ports and configuration (as ovs-ofctl show).
    Show(commands::show::Args),
    /// Print port counters (as ovs-ofctl dump-ports).
    DumpPorts(commands::dump_ports::Args),
    /// Print port descriptions (as ovs-ofctl dump-ports-desc).
    DumpPortsDesc(commands::dump_ports_desc::Args),
    /// Print table statistics (as ovs-ofctl dump-tables).
    DumpTables(commands::dump_tables::Args),
    /// Send frames through a switch with actions (as ovs-ofctl packet-out).
    PacketOut(commands::packet_out::Args),
    /// Add a group to a switch (as ovs-ofctl add-group).
    AddGroup(commands::add_group::Args),
    /// Add every group of a file to a switch (as ovs-ofctl add-groups).
    AddGroups(commands::add_groups::Args),
    /// Replace a group's type and buckets (as ovs-ofctl mod-group).
    ModGroup(commands::mod_group::Args),
    /// Delete a group, or all, with the flows that use them (as ovs-ofctl del-groups).
    DelGroups(commands::del_groups::Args),
    /// Print a switch's groups (as ovs-ofctl dump-groups).
    DumpGroups(commands::dump_groups::Args),
    /// Print group and bucket counters (as ovs-ofctl dump-group-stats).
    DumpGroupStats(commands::dump_group_stats::Args),
    /// Print the group types, capabilities and limits (as ovs-ofctl dump-group-features).
    DumpGroupFeatures(commands::dump_group_features::Args),
    /// Add a meter to a switch (as ovs-ofctl add-meter).
    AddMeter(commands::add_meter::Args),
    /// Replace a meter's flags and bands (as ovs-ofctl mod-meter).
    ModMeter(commands::mod_meter::Args),
    /// Delete a meter, or all, with the flows that use them (as ovs-ofctl del-meters).
    DelMeters(commands::del_meters::Args),
    /// Print a switch's meters (as ovs-ofctl dump-meters).
    DumpMeters(commands::dump_meters::Args),
    /// Print meter and band counters (as ovs-ofctl meter-stats).
    #[command(alias = "meter-stats")]
    DumpMeterStats(commands::dump_meter_stats::Args),
    /// Print the meter band types, capabilities and limits (as ovs-ofctl meter-features).
    MeterFeatures(commands::meter_features::Args),
    /// Print the daemon's tracked connections (as ovs-appctl dpctl/dump-conntrack).
    DumpConntrack(commands::dump_conntrack::Args),
    /// Delete tracked connections (as ovs-appctl dpctl/flush-conntrack).
    FlushConntrack(commands::flush_conntrack::Args),
    /// Print the datapath's flows (as ovs-appctl dpctl/dump-flows).
    DumpDpFlows(commands::dump_dp_flows::Args),
    /// Trace a flow through the daemon's bridge (as ovs-appctl ofproto/trace), optionally running conntrack for real.
    Trace(commands::trace::Args),
    /// Print the IP fragment reassembler's settings and counters (as ovs-appctl dpctl/ipf-get-status).
    IpfGetStatus(commands::ipf::StatusArgs),
    /// Turn IP fragment reassembly on for one family (as dpctl/ipf-set-enabled).
    IpfSetEnabled(commands::ipf::EnabledArgs),
    /// Turn IP fragment reassembly off for one family (as dpctl/ipf-set-disabled).
    IpfSetDisabled(commands::ipf::EnabledArgs),
    /// Set the smallest fragment reassembly accepts (as dpctl/ipf-set-min-frag).
    IpfSetMinFrag(commands::ipf::MinFragArgs),
    /// Set how many fragments may be held at once (as dpctl/ipf-set-max-nfrags).
    IpfSetMaxNfrags(commands::ipf::MaxFragsArgs),
    /// Hand a frame to a dummy port of the daemon.
    Inject(commands::inject::Args),
    /// Print (and optionally clear or save) what a dummy port transmitted.
    PortTx(commands::port_tx::Args),
    /// Add a port to the daemon.
    PortAdd(commands::port_add::Args),
    /// Remove a port from the daemon.
    PortDel(commands::port_del::Args),
    /// Replay a packet scenario (the ovs-scenario format) on an in-process switch and print its report.
    Scenario(commands::scenario::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => commands::demo::run(args),
        Command::ParseFlow(args) => commands::parse_flow::run(args),
        Command::OfpPrint(args) => commands::ofp_print::run(args),
        Command::Bench(args) => commands::bench::run(args),
        Command::CtBench(args) => commands::ct_bench::run(args),
        Command::CtReplay(args) => commands::ct_replay::run(args),
        Command::AddFlow(args) => commands::add_flow::run(args),
        Command::AddFlows(args) => commands::add_flows::run(args),
        Command::ModFlows(args) => commands::mod_flows::run(args),
        Command::DelFlows(args) => commands::del_flows::run(args),
        Command::DumpFlows(args) => commands::dump_flows::run(args),
        Command::DumpAggregate(args) => commands::dump_aggregate::run(args),
        Command::Show(args) => commands::show::run(args),
        Command::DumpPorts(args) => commands::dump_ports::run(args),
        Command::DumpPortsDesc(args) => commands::dump_ports_desc::run(args),
        Command::DumpTables(args) => commands::dump_tables::run(args),
        Command::PacketOut(args) => commands::packet_out::run(args),
        Command::AddGroup(args) => commands::add_group::run(args),
        Command::AddGroups(args) => commands::add_groups::run(args),
        Command::ModGroup(args) => commands::mod_group::run(args),
        Command::DelGroups(args) => commands::del_groups::run(args),
        Command::DumpGroups(args) => commands::dump_groups::run(args),
        Command::DumpGroupStats(args) => commands::dump_group_stats::run(args),
        Command::DumpGroupFeatures(args) => commands::dump_group_features::run(args),
        Command::AddMeter(args) => commands::add_meter::run(args),
        Command::ModMeter(args) => commands::mod_meter::run(args),
        Command::DelMeters(args) => commands::del_meters::run(args),
        Command::DumpMeters(args) => commands::dump_meters::run(args),
        Command::DumpMeterStats(args) => commands::dump_meter_stats::run(args),
        Command::MeterFeatures(args) => commands::meter_features::run(args),
        Command::DumpConntrack(args) => commands::dump_conntrack::run(args),
        Command::FlushConntrack(args) => commands::flush_conntrack::run(args),
        Command::DumpDpFlows(args) => commands::dump_dp_flows::run(args),
        Command::Inject(args) => commands::inject::run(args),
        Command::Trace(args) => commands::trace::run(args),
        Command::IpfGetStatus(args) => commands::ipf::status(args),
        Command::IpfSetEnabled(args) => commands::ipf::set_enabled(args, true),
        Command::IpfSetDisabled(args) => commands::ipf::set_enabled(args, false),
        Command::IpfSetMinFrag(args) => commands::ipf::set_min_frag(args),
        Command::IpfSetMaxNfrags(args) => commands::ipf::set_max_frags(args),
        Command::PortTx(args) => commands::port_tx::run(args),
        Command::PortAdd(args) => commands::port_add::run(args),
        Command::PortDel(args) => commands::port_del::run(args),
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
