//! The QUEUE reply: per-queue counters.

use std::fmt::Write;

use bytes::{BufMut, BytesMut};

use super::port_stats::counter;
use crate::message::port::{check_port, format_port};
use crate::message::print::format_duration;
use crate::message::wire::{self, Parsed};

/// `queue_id` meaning every queue.
const OFPQ_ALL: u32 = 0xffff_ffff;

/// `ofp_queue_stats` (OpenFlow 1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueStats {
    pub port_no: u32,
    pub queue_id: u32,
    pub tx_bytes: u64,
    pub tx_packets: u64,
    pub tx_errors: u64,
    pub duration_sec: u32,
    pub duration_nsec: u32,
}

/// A queue id, `ALL` for every queue.
pub fn format_queue_id(out: &mut String, queue_id: u32) {
    if queue_id == OFPQ_ALL {
        out.push_str("ALL");
    } else {
        let _ = write!(out, "{queue_id}");
    }
}

impl QueueStats {
    pub fn parse(input: &[u8]) -> Parsed<'_, QueueStats> {
        let (input, port) = wire::u32(input)?;
        let (input, port_no) = wire::lift(input, check_port(port))?;
        let (input, queue_id) = wire::u32(input)?;
        let (input, tx_bytes) = wire::u64(input)?;
        let (input, tx_packets) = wire::u64(input)?;
        let (input, tx_errors) = wire::u64(input)?;
        let (input, duration_sec) = wire::u32(input)?;
        let (input, duration_nsec) = wire::u32(input)?;
        let stats = QueueStats {
            port_no,
            queue_id,
            tx_bytes,
            tx_packets,
            tx_errors,
            duration_sec,
            duration_nsec,
        };
        Ok((input, stats))
    }

    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u32(self.port_no);
        out.put_u32(self.queue_id);
        out.put_u64(self.tx_bytes);
        out.put_u64(self.tx_packets);
        out.put_u64(self.tx_errors);
        out.put_u32(self.duration_sec);
        out.put_u32(self.duration_nsec);
    }

    fn format(&self, out: &mut String) {
        out.push_str("  port ");
        format_port(self.port_no, out);
        out.push_str(" queue ");
        format_queue_id(out, self.queue_id);
        out.push_str(": bytes=");
        counter(out, self.tx_bytes, ", pkts=");
        counter(out, self.tx_packets, ", errors=");
        counter(out, self.tx_errors, ", duration=");
        if self.duration_sec == u32::MAX {
            out.push('?');
        } else {
            format_duration(out, self.duration_sec, self.duration_nsec);
        }
        out.push('\n');
    }
}

/// The reply: the number of entries, then the entries.
pub fn format_list(out: &mut String, list: &[QueueStats]) {
    let _ = writeln!(out, " {} queues", list.len());
    for stats in list {
        stats.format(out);
    }
}
