//! The PORT_STATS reply: per-port counters. OVS prints an all-ones counter
//! (unsupported) as `?`.

use std::fmt::Write;

use bytes::{BufMut, BytesMut};

use crate::message::port::{check_port, format_port};
use crate::message::print::format_duration;
use crate::message::wire::{self, Parsed};

/// `ofp_port_stats` (OpenFlow 1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortStats {
    pub port_no: u32,
    pub rx_packets: u64,
    pub tx_packets: u64,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
    pub rx_dropped: u64,
    pub tx_dropped: u64,
    pub rx_errors: u64,
    pub tx_errors: u64,
    pub rx_frame_err: u64,
    pub rx_over_err: u64,
    pub rx_crc_err: u64,
    pub collisions: u64,
    pub duration_sec: u32,
    pub duration_nsec: u32,
}

impl PortStats {
    pub fn parse(input: &[u8]) -> Parsed<'_, PortStats> {
        let (input, port) = wire::u32(input)?;
        let (input, port_no) = wire::lift(input, check_port(port))?;
        let (mut input, ()) = wire::pad(4)(input)?;
        let mut c = [0u64; 12];
        for v in &mut c {
            let (rest, n) = wire::u64(input)?;
            *v = n;
            input = rest;
        }
        let (input, duration_sec) = wire::u32(input)?;
        let (input, duration_nsec) = wire::u32(input)?;
        let stats = PortStats {
            port_no,
            rx_packets: c[0],
            tx_packets: c[1],
            rx_bytes: c[2],
            tx_bytes: c[3],
            rx_dropped: c[4],
            tx_dropped: c[5],
            rx_errors: c[6],
            tx_errors: c[7],
            rx_frame_err: c[8],
            rx_over_err: c[9],
            rx_crc_err: c[10],
            collisions: c[11],
            duration_sec,
            duration_nsec,
        };
        Ok((input, stats))
    }

    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u32(self.port_no);
        out.put_u32(0);
        for v in [
            self.rx_packets,
            self.tx_packets,
            self.rx_bytes,
            self.tx_bytes,
            self.rx_dropped,
            self.tx_dropped,
            self.rx_errors,
            self.tx_errors,
            self.rx_frame_err,
            self.rx_over_err,
            self.rx_crc_err,
            self.collisions,
        ] {
            out.put_u64(v);
        }
        out.put_u32(self.duration_sec);
        out.put_u32(self.duration_nsec);
    }

    fn format(&self, out: &mut String) {
        let mut port = String::new();
        format_port(self.port_no, &mut port);
        let _ = write!(out, "  port {port:>2}: rx pkts=");
        counter(out, self.rx_packets, ", bytes=");
        counter(out, self.rx_bytes, ", drop=");
        counter(out, self.rx_dropped, ", errs=");
        counter(out, self.rx_errors, ", frame=");
        counter(out, self.rx_frame_err, ", over=");
        counter(out, self.rx_over_err, ", crc=");
        counter(out, self.rx_crc_err, "\n           tx pkts=");
        counter(out, self.tx_packets, ", bytes=");
        counter(out, self.tx_bytes, ", drop=");
        counter(out, self.tx_dropped, ", errs=");
        counter(out, self.tx_errors, ", coll=");
        counter(out, self.collisions, "\n");
        if self.duration_sec != u32::MAX {
            out.push_str("           duration=");
            format_duration(out, self.duration_sec, self.duration_nsec);
            out.push('\n');
        }
    }
}

/// A counter, or `?` when the switch does not keep it, then `next`.
pub fn counter(out: &mut String, value: u64, next: &str) {
    if value == u64::MAX {
        out.push('?');
    } else {
        let _ = write!(out, "{value}");
    }
    out.push_str(next);
}

/// The reply: the number of entries, then the entries.
pub fn format_list(out: &mut String, list: &[PortStats]) {
    let _ = writeln!(out, " {} ports", list.len());
    for stats in list {
        stats.format(out);
    }
}
