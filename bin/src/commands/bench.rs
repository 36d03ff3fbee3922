//! `ctswitch bench`: the in-process forwarding rate of the switch, one
//! thread, through the demo's stateful firewall on dummy ports.
//!
//! Three figures per run, all over the same prepared frames (UDP packets
//! of established connections, `--flows` of them, both directions):
//! * `extract`: building each packet and extracting its flow key, the
//!   baseline every forwarded packet pays;
//! * `hit`: the flow-cache path: exact-match cache or megaflow, conntrack
//!   lookup, recirculation, output; in batches of 32 as the packet threads
//!   receive them;
//! * `miss`: the slow path: the megaflows are flushed before every packet,
//!   so each pass is an upcall that translates the OpenFlow pipeline and
//!   installs a megaflow.
//!
//! Each figure is the median over `--runs` runs, in ns per packet and
//! packets per second, with `hit` and `miss` also as a ratio to `extract`
//! of the same run.

use std::time::Instant;

use datapath::cache::ExactCache;
use datapath::Packet;

use super::demo::FLOWS;
use super::format::{print_json, Format, FormatArg};
use super::CommandResult;
use crate::scenario::packet;
use crate::scenario::run::Switch;
use crate::scenario::switch::InProcess;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Packets per run on the cache-hit path (the miss path runs a tenth).
    #[arg(long, default_value_t = 2_000_000, value_parser = clap::value_parser!(u64).range(1000..))]
    packets: u64,
    /// Distinct established UDP connections the packets belong to.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=10000))]
    flows: u16,
    /// Runs; the median is reported.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// A short run (for the test suite).
    #[arg(long)]
    quick: bool,
    #[command(flatten)]
    format: FormatArg,
}

/// Packets handed to the datapath at once on the hit path.
const BATCH: usize = 32;

/// Median nanoseconds per packet of one figure.
#[derive(Debug, Clone, Copy, serde::Serialize)]
struct Figure {
    ns_per_packet: f64,
    packets_per_second: f64,
}

impl Figure {
    fn from_ns(ns: f64) -> Self {
        Figure {
            ns_per_packet: ns,
            packets_per_second: if ns > 0.0 { 1e9 / ns } else { 0.0 },
        }
    }
}

#[derive(Debug, serde::Serialize)]
struct Report {
    runs: u32,
    flows: u16,
    extract: Figure,
    hit: Figure,
    miss: Figure,
    hit_vs_extract: f64,
    miss_vs_extract: f64,
}

pub fn run(args: Args) -> CommandResult {
    let (packets, runs) = if args.quick {
        (20_000, 3)
    } else {
        (args.packets, args.runs)
    };
    let mut switch = InProcess::caching_every_miss();
    for flow in FLOWS {
        switch.add_flow(flow)?;
    }
    let frames = establish(&mut switch, args.flows)?;

    let mut extract = Vec::new();
    let mut hit = Vec::new();
    let mut miss = Vec::new();
    for _ in 0..runs {
        extract.push(time_extract(&frames, packets));
        hit.push(time_hits(&switch, &frames, packets));
        miss.push(time_misses(&switch, &frames, (packets / 10).max(1)));
    }
    let (extract, hit, miss) = (median(extract), median(hit), median(miss));
    let report = Report {
        runs,
        flows: args.flows,
        extract: Figure::from_ns(extract),
        hit: Figure::from_ns(hit),
        miss: Figure::from_ns(miss),
        hit_vs_extract: hit / extract.max(f64::MIN_POSITIVE),
        miss_vs_extract: miss / extract.max(f64::MIN_POSITIVE),
    };
    match args.format.format {
        Format::Json => print_json(&report),
        Format::Text => {
            print_text(&report);
            Ok(())
        }
    }
}

/// Opens `flows` UDP connections through the firewall (request from
/// port 1, reply from port 2) and returns their frames with the port each
/// arrives on; every one must have been forwarded.
fn establish(switch: &mut InProcess, flows: u16) -> Result<Vec<(u32, Vec<u8>)>, String> {
    let mut frames = Vec::new();
    for n in 0..flows {
        let sport = 10_000 + n;
        let request = packet::build(&format!(
            "udp,dl_src=50:54:00:00:00:01,dl_dst=50:54:00:00:00:02,\
             nw_src=10.1.1.1,nw_dst=10.1.1.2,tp_src={sport},tp_dst=53"
        ))?;
        let reply = packet::build(&format!(
            "udp,dl_src=50:54:00:00:00:02,dl_dst=50:54:00:00:00:01,\
             nw_src=10.1.1.2,nw_dst=10.1.1.1,tp_src=53,tp_dst={sport}"
        ))?;
        for (port, frame) in [(1, request), (2, reply)] {
            if switch.inject(port, frame.clone()).tx.is_empty() {
                return Err(format!(
                    "the firewall dropped connection {n} while opening it"
                ));
            }
            frames.push((port, frame));
        }
    }
    switch.forget_history();
    Ok(frames)
}

/// The frames, round robin, `count` of them.
fn cycle(frames: &[(u32, Vec<u8>)], count: u64) -> impl Iterator<Item = Packet> + '_ {
    frames
        .iter()
        .cycle()
        .take(usize::try_from(count).unwrap_or(usize::MAX))
        .map(|(port, frame)| Packet::new(frame.clone(), *port))
}

fn per_packet(start: Instant, count: u64) -> f64 {
    start.elapsed().as_nanos() as f64 / count as f64
}

fn time_extract(frames: &[(u32, Vec<u8>)], count: u64) -> f64 {
    let start = Instant::now();
    for packet in cycle(frames, count) {
        std::hint::black_box(packet.flow());
    }
    per_packet(start, count)
}

fn time_hits(switch: &InProcess, frames: &[(u32, Vec<u8>)], count: u64) -> f64 {
    let datapath = switch.datapath();
    let mut emc = ExactCache::with_capacity(8192);
    let mut packets = cycle(frames, count).peekable();
    let start = Instant::now();
    while packets.peek().is_some() {
        let batch: Vec<Packet> = packets.by_ref().take(BATCH).collect();
        datapath.process(&mut emc, batch, conntrack::now_ms());
        switch.forget_history();
    }
    per_packet(start, count)
}

fn time_misses(switch: &InProcess, frames: &[(u32, Vec<u8>)], count: u64) -> f64 {
    let datapath = switch.datapath();
    let mut emc = ExactCache::with_capacity(8192);
    let start = Instant::now();
    for packet in cycle(frames, count) {
        datapath.flows_changed();
        datapath.process(&mut emc, vec![packet], conntrack::now_ms());
        switch.forget_history();
    }
    per_packet(start, count)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

fn print_text(r: &Report) {
    outln!(
        "ctswitch bench: one thread, demo firewall, {} established UDP connections, median of {} runs",
        r.flows, r.runs
    );
    outln!(
        "{:<34} {:>10} {:>14} {:>12}",
        "path",
        "ns/packet",
        "packets/s",
        "vs extract"
    );
    for (name, f, ratio) in [
        ("extract (baseline)", r.extract, 1.0),
        ("cache hit (batches of 32)", r.hit, r.hit_vs_extract),
        (
            "miss (upcall + xlate every pass)",
            r.miss,
            r.miss_vs_extract,
        ),
    ] {
        outln!(
            "{:<34} {:>10.1} {:>14.0} {:>11.1}x",
            name,
            f.ns_per_packet,
            f.packets_per_second,
            ratio
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each figure times the path it names, even after the miss path has
    /// flushed the megaflows packet after packet: the hit path then misses
    /// only to refill the cache (once per frame and pass), and the miss
    /// path misses on every pass.
    #[test]
    fn each_figure_takes_its_path() {
        let mut switch = InProcess::caching_every_miss();
        for flow in FLOWS {
            switch.add_flow(flow).unwrap();
        }
        let frames = establish(&mut switch, 4).unwrap();
        let passes = 2; // the firewall recirculates every packet once
        let missed = || switch.datapath().stats().missed;

        let before = missed();
        time_misses(&switch, &frames, 40);
        assert_eq!(missed() - before, 40 * passes);

        let before = missed();
        let stats = switch.datapath().stats();
        time_hits(&switch, &frames, 3200);
        let refills = missed() - before;
        assert!(
            refills <= frames.len() as u64 * passes,
            "{refills} misses on the hit path"
        );
        let after = switch.datapath().stats();
        let hits = after.emc_hits + after.megaflow_hits - stats.emc_hits - stats.megaflow_hits;
        assert_eq!(hits + refills, 3200 * passes);
    }
}
