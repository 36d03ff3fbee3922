//! `ctswitch demo`: the switch at a glance, with no privileges. An
//! in-process switch (bridge br0, dummy ports 1 = inside and 2 = outside)
//! gets a two-table stateful firewall; a TCP handshake with data, an
//! unsolicited connection attempt from outside and a UDP exchange go
//! through it. Each packet's line says where it came in, the ct_state its
//! last pipeline pass matched, and where it went. The flow table with its
//! counters and the conntrack table follow.
//!
//! Every packet carries the verdict the firewall should give; a packet
//! that gets another one makes the demo fail, so the demo is also a smoke
//! test of the whole packet path (extraction, classifier, xlate,
//! recirculation, conntrack, datapath actions).

use std::fmt::Write as _;

use conntrack::DumpStyle;

use super::CommandResult;
use crate::scenario::packet;
use crate::scenario::report::ct_state_text;
use crate::scenario::run::Switch;
use crate::scenario::switch::InProcess;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Real traffic instead (root): two network namespaces on veths, a
    /// ping and a TCP connection each way through the firewall.
    #[arg(long)]
    pub netns: bool,
}

/// The firewall: anything IP is tracked first; inside may open
/// connections, replies come back, nothing new comes in.
pub(crate) const FLOWS: &[&str] = &[
    "table=0,priority=100,ip,ct_state=-trk,actions=ct(table=1)",
    "table=0,priority=10,arp,actions=NORMAL",
    "table=0,priority=1,actions=drop",
    "table=1,priority=10,in_port=1,ip,ct_state=+trk+new,actions=ct(commit),output:2",
    "table=1,priority=10,ip,ct_state=+trk+est,in_port=1,actions=output:2",
    "table=1,priority=10,ip,ct_state=+trk+est,in_port=2,actions=output:1",
    "table=1,priority=1,actions=drop",
];

const INSIDE: &str =
    "dl_src=50:54:00:00:00:01,dl_dst=50:54:00:00:00:02,nw_src=10.1.1.1,nw_dst=10.1.1.2";
const OUTSIDE: &str =
    "dl_src=50:54:00:00:00:02,dl_dst=50:54:00:00:00:01,nw_src=10.1.1.2,nw_dst=10.1.1.1";

/// One packet of the demo and the port it should leave by.
struct Step {
    what: &'static str,
    port: u32,
    /// The packet in `ovs-scenario`'s OpenFlow syntax, without addresses.
    headers: &'static str,
    expect: Option<u32>,
}

const STEPS: &[Step] = &[
    Step {
        what: "TCP SYN      10.1.1.1:40000 -> 10.1.1.2:80",
        port: 1,
        headers: "tcp,tp_src=40000,tp_dst=80,tcp_flags=syn,tcp_seq=1000",
        expect: Some(2),
    },
    Step {
        what: "TCP SYN+ACK  10.1.1.2:80 -> 10.1.1.1:40000",
        port: 2,
        headers: "tcp,tp_src=80,tp_dst=40000,tcp_flags=syn|ack,tcp_seq=5000,tcp_ack=1001",
        expect: Some(1),
    },
    Step {
        what: "TCP ACK+data 10.1.1.1:40000 -> 10.1.1.2:80",
        port: 1,
        headers: "tcp,tp_src=40000,tp_dst=80,tcp_flags=ack,tcp_seq=1001,tcp_ack=5001",
        expect: Some(2),
    },
    Step {
        what: "TCP ACK+data 10.1.1.2:80 -> 10.1.1.1:40000",
        port: 2,
        headers: "tcp,tp_src=80,tp_dst=40000,tcp_flags=ack,tcp_seq=5001,tcp_ack=1065",
        expect: Some(1),
    },
    Step {
        what: "TCP SYN      10.1.1.2:22 -> 10.1.1.1:22 (unsolicited)",
        port: 2,
        headers: "tcp,tp_src=22,tp_dst=22,tcp_flags=syn,tcp_seq=7000",
        expect: None,
    },
    Step {
        what: "UDP          10.1.1.1:5353 -> 10.1.1.2:53",
        port: 1,
        headers: "udp,tp_src=5353,tp_dst=53",
        expect: Some(2),
    },
    Step {
        what: "UDP          10.1.1.2:53 -> 10.1.1.1:5353 (reply)",
        port: 2,
        headers: "udp,tp_src=53,tp_dst=5353",
        expect: Some(1),
    },
];

pub fn run(args: Args) -> CommandResult {
    if args.netns {
        return super::demo_netns::run_netns();
    }
    let mut switch = InProcess::new();
    let mut out = String::new();
    writeln!(
        out,
        "ctswitch demo: bridge br0 in this process, port 1 = inside, port 2 = outside.\n\
         \nThe stateful firewall (inside may open connections, replies come back):"
    )?;
    for flow in FLOWS {
        switch.add_flow(flow)?;
        writeln!(out, "  {flow}")?;
    }

    writeln!(
        out,
        "\n{:<3} {:<55} {:<4} {:<12} verdict",
        "#", "packet", "in", "ct_state"
    )?;
    let mut surprises = Vec::new();
    for (n, step) in STEPS.iter().enumerate() {
        let addresses = if step.port == 1 { INSIDE } else { OUTSIDE };
        let (proto, rest) = step.headers.split_once(',').unwrap_or((step.headers, ""));
        let frame = packet::build(&format!("{proto},{addresses},{rest}"))?;
        let injected = switch.inject(step.port, frame);
        let state = injected
            .passes
            .last()
            .map_or("-".into(), |p| ct_state_text(&p.flow));
        let out_ports: Vec<u32> = injected.tx.keys().copied().collect();
        let verdict = match out_ports.as_slice() {
            [] => "dropped".to_string(),
            ports => format!(
                "forwarded to port {}",
                ports
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        };
        writeln!(
            out,
            "{:<3} {:<55} p{:<3} {:<12} {verdict}",
            n + 1,
            step.what,
            step.port,
            state
        )?;
        if out_ports != step.expect.into_iter().collect::<Vec<_>>() {
            surprises.push(format!("packet {} ({}): {verdict}", n + 1, step.what));
        }
    }

    write_tables(&mut out, &mut switch)?;
    out!("{out}");
    if surprises.is_empty() {
        outln!("\nEvery packet got the firewall's verdict.");
        Ok(())
    } else {
        Err(format!("unexpected verdicts: {}", surprises.join("; ")).into())
    }
}

/// Appends the flow table with its counters and the conntrack table.
pub(crate) fn write_tables(out: &mut String, switch: &mut InProcess) -> CommandResult {
    writeln!(out, "\nThe flow table (ctswitch dump-flows):")?;
    for line in switch.dump_flows("")? {
        writeln!(out, "  {line}")?;
    }
    writeln!(out, "\nThe conntrack table (ctswitch dump-conntrack):")?;
    for line in switch.dump_conntrack(None, DumpStyle::default()) {
        writeln!(out, "  {line}")?;
    }
    Ok(())
}
