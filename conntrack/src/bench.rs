//! The benchmark workloads behind `ctswitch ct-bench`, shaped like Open
//! vSwitch's `ovstest test-conntrack benchmark` and `benchmark-zones` so
//! that the two can be run side by side:
//!
//! * `hot`: each thread pushes its own established UDP connection's packet
//!   through `execute` with commit, in batches of 32;
//! * `tcp`: one SYN each creates N connections in one zone (committed,
//!   batches of 32), a packet of each looks it up again, then the zone is
//!   flushed; resident memory per connection comes from the process's RSS
//!   growth (`/proc/self/statm`), not from `size_of`;
//! * `zones`: a table of zones × 1,000 UDP connections; then, repeatedly,
//!   one full zone is flushed, its connections re-committed and looked up
//!   without commit, and an empty zone is flushed.
//!
//! With several threads every figure is aggregate: wall time over the
//! packets of all threads, so perfect scaling halves it.

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use serde::Serialize;

use crate::extract::L3;
use crate::flush::FlushFilter;
use crate::params::{CtMetadata, CtPacket, ExecuteParams, NatAction, NatKind};
use crate::state::CtState;
use crate::sweeper::now_ms;
use crate::tracker::Conntrack;
use crate::wire::{compose, tcp};

/// Packets per `execute` call, as OVS's datapath batches them.
pub const BATCH: usize = 32;

/// Connections per zone in the `zones` workload.
pub const CONNS_PER_ZONE: usize = 1000;

/// One workload's figures for one thread count; `None` where the workload
/// does not measure a figure.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Figures {
    pub workload: &'static str,
    pub threads: usize,
    pub conns: u64,
    /// ns per lookup (for `hot`, per packet).
    pub lookup_ns: Option<f64>,
    /// ns per connection created.
    pub commit_ns: Option<f64>,
    pub flush_ns_per_conn: Option<f64>,
    /// Resident bytes per connection (`tcp`).
    pub bytes_per_conn: Option<f64>,
    /// µs per flush of a full zone (`zones`).
    pub full_zone_flush_us: Option<f64>,
    /// µs per flush of an empty zone (`zones`).
    pub empty_zone_flush_us: Option<f64>,
    /// ns per connection created with DNAT (`tcp`).
    pub nat_commit_ns: Option<f64>,
    /// ns per lookup of a DNAT'd connection's reply, found through its
    /// translated key and de-NATed (`tcp`).
    pub nat_lookup_ns: Option<f64>,
}

impl Figures {
    fn new(workload: &'static str, threads: usize, conns: u64) -> Self {
        Figures {
            workload,
            threads,
            conns,
            lookup_ns: None,
            commit_ns: None,
            flush_ns_per_conn: None,
            bytes_per_conn: None,
            full_zone_flush_us: None,
            empty_zone_flush_us: None,
            nat_commit_ns: None,
            nat_lookup_ns: None,
        }
    }
}

/// Packets of one size laid end to end, for building batches without
/// allocating in the timed loops.
struct Frames {
    bytes: Vec<u8>,
    len: usize,
}

impl Frames {
    /// Frame `i`, counting round the set again past its end.
    fn get(&self, i: usize) -> &[u8] {
        let i = i % (self.bytes.len() / self.len.max(1)).max(1);
        self.bytes
            .get(i * self.len..(i + 1) * self.len)
            .unwrap_or(&[])
    }
}

/// A UDP datagram without payload. Building fixed, well-formed packets
/// cannot fail; a failure would show as `+inv` packets, not as a panic.
fn udp_frame(src: Ipv4Addr, dst: Ipv4Addr, sport: u16, dport: u16) -> Vec<u8> {
    compose::udp_packet(src.into(), dst.into(), sport, dport, 0).unwrap_or_default()
}

/// A client's SYN (seq 1000) to a server.
fn syn_frame(src: Ipv4Addr, dst: Ipv4Addr, sport: u16, dport: u16) -> Vec<u8> {
    tcp_frame(src, dst, sport, dport, tcp::flags::SYN, 1000, 0)
}

/// The server's SYN|ACK (seq 5000) answering [`syn_frame`].
fn syn_ack_frame(server: Ipv4Addr, client: Ipv4Addr, sport: u16, dport: u16) -> Vec<u8> {
    tcp_frame(
        server,
        client,
        sport,
        dport,
        tcp::flags::SYN | tcp::flags::ACK,
        5000,
        1001,
    )
}

fn tcp_frame(
    src: Ipv4Addr,
    dst: Ipv4Addr,
    sport: u16,
    dport: u16,
    flags: u16,
    seq: u32,
    ack: u32,
) -> Vec<u8> {
    let repr = tcp::Repr {
        src_port: sport,
        dst_port: dport,
        seq_number: seq,
        ack_number: ack,
        flags,
        window_len: 65535,
        window_scale: None,
        payload_len: 0,
    };
    compose::tcp_packet(src.into(), dst.into(), &repr).unwrap_or_default()
}

/// The i-th client address and port of a workload: 10.x.y.z:1024.. so
/// that a million connections have distinct tuples.
fn client(i: usize) -> (Ipv4Addr, u16) {
    let host = u32::try_from(i / 50_000).unwrap_or(0);
    let port = 1024 + (i % 50_000) as u16;
    (Ipv4Addr::from(0x0a00_0000 | (host + 1)), port)
}

fn frames(n: usize, build: impl Fn(usize) -> Vec<u8>) -> Frames {
    let len = build(0).len();
    let mut bytes = Vec::with_capacity(n * len);
    for i in 0..n {
        bytes.extend_from_slice(&build(i));
    }
    Frames { bytes, len }
}

/// Runs frames `range` through `ct` in batches; returns how many came out
/// `+inv` (a broken workload, not a figure).
fn run_frames(
    ct: &Conntrack,
    f: &Frames,
    range: std::ops::Range<usize>,
    params: &ExecuteParams,
) -> usize {
    let mut invalid = 0;
    let mut start = range.start;
    // One array for every batch, each packet's fields written in place:
    // a packet built whole is assembled on the stack and copied with wide
    // loads over its narrow stores, which stalls (measured: a fifth of
    // `hot`).
    let mut packets: [CtPacket<'_>; BATCH] =
        std::array::from_fn(|_| CtPacket::new(&[], 0, L3::Ipv4));
    while start < range.end {
        let end = (start + BATCH).min(range.end);
        let batch = packets.get_mut(..end - start).unwrap_or(&mut []);
        for (i, packet) in batch.iter_mut().enumerate() {
            packet.data = f.get(start + i);
            packet.md = CtMetadata::default();
            packet.rewrite = None;
            packet.alg = None;
        }
        ct.execute(batch, params, now_ms());
        invalid += batch
            .iter()
            .filter(|p| p.md.state.contains(CtState::INVALID))
            .count();
        start = end;
    }
    invalid
}

/// Times `work` run by `threads` threads at once (each given its index),
/// from the first one's start to the last one's end. The threads spin on
/// a flag rather than sleep on a barrier, so that no wake-up latency is
/// counted; one thread runs on the caller's.
fn timed_threads(threads: usize, work: impl Fn(usize) + Sync) -> f64 {
    if threads == 1 {
        let start = Instant::now();
        work(0);
        return start.elapsed().as_secs_f64() * 1e9;
    }
    let (ready, go) = (AtomicUsize::new(0), AtomicBool::new(false));
    let spans: Vec<(Instant, Instant)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (ready, go, work) = (&ready, &go, &work);
                s.spawn(move || {
                    ready.fetch_add(1, Ordering::AcqRel);
                    while !go.load(Ordering::Acquire) {
                        std::hint::spin_loop();
                    }
                    let start = Instant::now();
                    work(t);
                    (start, Instant::now())
                })
            })
            .collect();
        while ready.load(Ordering::Acquire) < threads {
            std::thread::yield_now();
        }
        go.store(true, Ordering::Release);
        workers.into_iter().filter_map(|w| w.join().ok()).collect()
    });
    let start = spans.iter().map(|s| s.0).min();
    let end = spans.iter().map(|s| s.1).max();
    start
        .zip(end)
        .map_or(0.0, |(a, b)| b.duration_since(a).as_secs_f64() * 1e9)
}

/// The process's resident memory in bytes (Linux), if it can be read.
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// `hot`: `packets` packets per thread, one connection per thread.
pub fn hot(threads: usize, packets: usize) -> Figures {
    let ct = Conntrack::new();
    let params = ExecuteParams {
        commit: true,
        ..ExecuteParams::default()
    };
    // One connection per thread, on distinct shards: threads that work on
    // different connections should not meet on a lock.
    let mut chosen: Vec<Frames> = Vec::new();
    let mut shards = Vec::new();
    let mut port = 1024u16;
    while chosen.len() < threads {
        let frame = udp_frame(
            Ipv4Addr::new(10, 0, 0, 1),
            Ipv4Addr::new(10, 0, 0, 2),
            port,
            53,
        );
        port = port.wrapping_add(1);
        let mut ext = crate::extract::Extracted::EMPTY;
        let Ok(()) = crate::extract::extract(&frame, L3::Ipv4, 0, true, &mut ext) else {
            continue;
        };
        let shard = Conntrack::shard_of(ct.hasher.hash(&ext.key));
        // Distinct shards while there are enough of them.
        if shards.contains(&shard) && shards.len() < crate::tracker::SHARDS {
            continue;
        }
        shards.push(shard);
        chosen.push(frames(BATCH, |_| frame.clone()));
    }
    for f in &chosen {
        run_frames(&ct, f, 0..BATCH, &params);
    }
    let rounds = packets / BATCH;
    let ns = timed_threads(threads, |t| {
        if let Some(f) = chosen.get(t) {
            // The batch's frames, round and round.
            run_frames(&ct, f, 0..rounds * BATCH, &params);
        }
    });
    let mut fig = Figures::new("hot", threads, threads as u64);
    fig.lookup_ns = Some(ns / (rounds * BATCH * threads) as f64);
    fig
}

/// `tcp`: `conns` connections created, looked up and flushed; then the
/// same connections created with DNAT and their answers looked up (found
/// through their translated reply keys, de-NATed).
pub fn tcp(threads: usize, conns: usize) -> Figures {
    let server = Ipv4Addr::new(10, 255, 0, 1);
    let syns = frames(conns, |i| {
        let (addr, port) = client(i);
        syn_frame(addr, server, port, 80)
    });
    // The lookups are the server's answers: a packet of the connection
    // that goes through the whole window check.
    let answers = frames(conns, |i| {
        let (addr, port) = client(i);
        syn_ack_frame(server, addr, 80, port)
    });
    let ct = Conntrack::new();
    let zone = 1;
    let commit = ExecuteParams {
        zone,
        commit: true,
        ..ExecuteParams::default()
    };
    let lookup = ExecuteParams {
        zone,
        ..ExecuteParams::default()
    };
    let share = conns.div_ceil(threads);
    let part = |t: usize| (t * share).min(conns)..((t + 1) * share).min(conns);
    let before = resident_bytes();
    let create = timed_threads(threads, |t| {
        run_frames(&ct, &syns, part(t), &commit);
    });
    let after = resident_bytes();
    let look = timed_threads(threads, |t| {
        run_frames(&ct, &answers, part(t), &lookup);
    });
    let start = Instant::now();
    let flushed = ct.flush(&FlushFilter::zone(zone));
    let flush = start.elapsed().as_secs_f64() * 1e9;
    let mut fig = Figures::new("tcp", threads, conns as u64);
    fig.commit_ns = Some(create / conns as f64);
    fig.lookup_ns = Some(look / conns as f64);
    fig.flush_ns_per_conn = Some(flush / flushed.max(1) as f64);
    fig.bytes_per_conn = before
        .zip(after)
        .map(|(b, a)| a.saturating_sub(b) as f64 / conns as f64);
    drop(answers);
    // The same connections again, DNAT'd to another server: its answers
    // are found through their translated reply keys.
    let real = Ipv4Addr::new(10, 255, 0, 2);
    let nat_answers = frames(conns, |i| {
        let (addr, port) = client(i);
        syn_ack_frame(real, addr, 80, port)
    });
    let action = NatAction {
        kind: Some(NatKind::Dst),
        addr_min: Some(real.into()),
        addr_max: None,
        port_min: None,
        port_max: None,
        persistent: false,
        random: false,
    };
    let nat_commit = ExecuteParams {
        nat: Some(action),
        ..commit
    };
    let nat_lookup = ExecuteParams {
        nat: Some(NatAction {
            kind: None,
            addr_min: None,
            ..action
        }),
        ..lookup
    };
    let create = timed_threads(threads, |t| {
        run_frames(&ct, &syns, part(t), &nat_commit);
    });
    let look = timed_threads(threads, |t| {
        run_frames(&ct, &nat_answers, part(t), &nat_lookup);
    });
    fig.nat_commit_ns = Some(create / conns as f64);
    fig.nat_lookup_ns = Some(look / conns as f64);
    fig
}

/// `zones`: a table of `zones` zones of [`CONNS_PER_ZONE`] connections,
/// then `rounds` rounds per thread of flush / re-commit / lookup / flush
/// of an empty zone.
pub fn zones(threads: usize, zones: usize, rounds: usize) -> Figures {
    let zones = zones.max(1);
    let udps = frames(CONNS_PER_ZONE, |i| {
        let (addr, port) = client(i);
        udp_frame(addr, Ipv4Addr::new(10, 255, 0, 2), port, 53)
    });
    let ct = Conntrack::new();
    let zone_of = |z: usize| u16::try_from(z + 1).unwrap_or(u16::MAX);
    let share = zones.div_ceil(threads);
    timed_threads(threads, |t| {
        for z in (t * share).min(zones)..((t + 1) * share).min(zones) {
            run_frames(
                &ct,
                &udps,
                0..CONNS_PER_ZONE,
                &ExecuteParams {
                    zone: zone_of(z),
                    commit: true,
                    ..ExecuteParams::default()
                },
            );
        }
    });
    let empty = u16::MAX;
    // Each thread runs its own rounds on zones of its own, timing each
    // phase itself; a phase's wall time is the slowest thread's total.
    let totals: Vec<[f64; 4]> = per_thread(threads, |t| {
        let mut spent = [0.0; 4];
        for round in 0..rounds {
            let zone = zone_of((round * threads + t) % zones);
            let commit = ExecuteParams {
                zone,
                commit: true,
                ..ExecuteParams::default()
            };
            let lookup = ExecuteParams {
                zone,
                ..ExecuteParams::default()
            };
            spent[0] += time(|| {
                ct.flush(&FlushFilter::zone(zone));
            });
            spent[1] += time(|| {
                run_frames(&ct, &udps, 0..CONNS_PER_ZONE, &commit);
            });
            spent[2] += time(|| {
                run_frames(&ct, &udps, 0..CONNS_PER_ZONE, &lookup);
            });
            spent[3] += time(|| {
                ct.flush(&FlushFilter::zone(empty));
            });
        }
        spent
    });
    let wall = |phase: usize| totals.iter().map(|t| t[phase]).fold(0.0, f64::max);
    let ops = (rounds * threads) as f64;
    let packets = ops * CONNS_PER_ZONE as f64;
    let mut fig = Figures::new("zones", threads, (zones * CONNS_PER_ZONE) as u64);
    fig.commit_ns = Some(wall(1) / packets);
    fig.lookup_ns = Some(wall(2) / packets);
    fig.flush_ns_per_conn = Some(wall(0) / packets);
    fig.full_zone_flush_us = Some(wall(0) / ops / 1000.0);
    fig.empty_zone_flush_us = Some(wall(3) / ops / 1000.0);
    fig
}

/// How long `f` takes, in ns.
fn time(f: impl FnOnce()) -> f64 {
    let start = Instant::now();
    f();
    start.elapsed().as_secs_f64() * 1e9
}

/// Runs `work` on `threads` threads at once and collects what each returns.
fn per_thread<T: Send>(threads: usize, work: impl Fn(usize) -> T + Sync) -> Vec<T> {
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn({
                    let work = &work;
                    move || work(t)
                })
            })
            .collect();
        workers.into_iter().filter_map(|w| w.join().ok()).collect()
    })
}

/// The per-field median of several runs of one workload.
pub fn median(runs: &[Figures]) -> Option<Figures> {
    let first = runs.first()?;
    let med = |get: fn(&Figures) -> Option<f64>| {
        let mut v: Vec<f64> = runs.iter().filter_map(get).collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied()
    };
    Some(Figures {
        lookup_ns: med(|f| f.lookup_ns),
        commit_ns: med(|f| f.commit_ns),
        flush_ns_per_conn: med(|f| f.flush_ns_per_conn),
        bytes_per_conn: med(|f| f.bytes_per_conn),
        full_zone_flush_us: med(|f| f.full_zone_flush_us),
        empty_zone_flush_us: med(|f| f.empty_zone_flush_us),
        nat_commit_ns: med(|f| f.nat_commit_ns),
        nat_lookup_ns: med(|f| f.nat_lookup_ns),
        ..first.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workloads_produce_their_figures() {
        let h = hot(2, 1024);
        assert!(h.lookup_ns.is_some_and(|ns| ns > 0.0));
        let t = tcp(1, 2000);
        assert!(t.commit_ns.is_some() && t.lookup_ns.is_some() && t.flush_ns_per_conn.is_some());
        assert!(t.nat_commit_ns.is_some() && t.nat_lookup_ns.is_some());
        let z = zones(2, 4, 2);
        assert_eq!(z.conns, 4000);
        assert!(z.full_zone_flush_us.is_some() && z.empty_zone_flush_us.is_some());
    }

    #[test]
    fn more_threads_than_shards_and_no_zones_still_finish() {
        assert!(hot(crate::tracker::SHARDS + 2, 64).lookup_ns.is_some());
        assert_eq!(zones(1, 0, 1).conns, CONNS_PER_ZONE as u64);
    }

    #[test]
    fn workload_packets_are_tracked_not_invalid() {
        let ct = Conntrack::new();
        let server = Ipv4Addr::new(10, 255, 0, 1);
        let syns = frames(100, |i| syn_frame(client(i).0, server, client(i).1, 80));
        let answers = frames(100, |i| syn_ack_frame(server, client(i).0, 80, client(i).1));
        let commit = ExecuteParams {
            commit: true,
            ..ExecuteParams::default()
        };
        assert_eq!(run_frames(&ct, &syns, 0..100, &commit), 0);
        assert_eq!(
            run_frames(&ct, &answers, 0..100, &ExecuteParams::default()),
            0
        );
        assert_eq!(ct.len(), 100);
        let established = ct.counts().tcp_states.get("ESTABLISHED").copied();
        assert_eq!(
            established,
            Some(100),
            "the answers went through the window check"
        );
    }

    #[test]
    fn median_takes_the_middle_value_per_field() {
        let runs: Vec<Figures> = [3.0, 1.0, 2.0]
            .into_iter()
            .map(|ns| Figures {
                lookup_ns: Some(ns),
                ..Figures::new("hot", 1, 1)
            })
            .collect();
        assert_eq!(median(&runs).and_then(|f| f.lookup_ns), Some(2.0));
    }
}
