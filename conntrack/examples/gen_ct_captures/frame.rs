//! Pcap writing and frame building shared by the capture sets.

use std::path::Path;

use conntrack::wire::{compose, tcp};

pub const MAC_A: [u8; 6] = [0x50, 0x54, 0x00, 0x00, 0x00, 0x01];
pub const MAC_B: [u8; 6] = [0x50, 0x54, 0x00, 0x00, 0x00, 0x02];

pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// A little-endian classic pcap file with microsecond timestamps.
pub struct Pcap {
    bytes: Vec<u8>,
    ms: u64,
}

impl Pcap {
    pub fn new() -> Self {
        let mut bytes = 0xa1b2_c3d4u32.to_le_bytes().to_vec();
        bytes.extend_from_slice(&2u16.to_le_bytes());
        bytes.extend_from_slice(&4u16.to_le_bytes());
        for word in [0u32, 0, 65535, 1] {
            bytes.extend_from_slice(&word.to_le_bytes());
        }
        Pcap {
            bytes,
            ms: 1_700_000_000_000,
        }
    }

    pub fn push(&mut self, frame: &[u8]) -> Result<()> {
        self.ms += 10;
        let len = u32::try_from(frame.len())?;
        for word in [
            u32::try_from(self.ms / 1000)?,
            u32::try_from(self.ms % 1000 * 1000)?,
            len,
            len,
        ] {
            self.bytes.extend_from_slice(&word.to_le_bytes());
        }
        self.bytes.extend_from_slice(frame);
        Ok(())
    }

    /// Lets `ms` milliseconds pass before the next frame.
    pub fn wait(&mut self, ms: u64) {
        self.ms += ms;
    }

    pub fn write(&self, dir: &Path, name: &str) -> Result<()> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join(name), &self.bytes)?;
        Ok(())
    }
}

/// An Ethernet frame around an IP packet; the MACs follow the direction
/// (the client's addresses end in 1).
pub fn ether(src: &str, packet: Vec<u8>) -> Result<Vec<u8>> {
    let from_a = src.ends_with('1');
    let ethertype: [u8; 2] = if src.contains(':') {
        [0x86, 0xdd]
    } else {
        [0x08, 0x00]
    };
    let mut out = Vec::with_capacity(14 + packet.len());
    out.extend_from_slice(if from_a { &MAC_B } else { &MAC_A });
    out.extend_from_slice(if from_a { &MAC_A } else { &MAC_B });
    out.extend_from_slice(&ethertype);
    out.extend_from_slice(&packet);
    Ok(out)
}

/// A TCP segment from `src:sport` to `dst:dport` with `len` payload bytes.
#[allow(clippy::too_many_arguments)] // one argument per header field
pub fn tcp_frame(
    src: &str,
    sport: u16,
    dst: &str,
    dport: u16,
    flags: u16,
    seq: u32,
    ack: u32,
    len: usize,
) -> Result<Vec<u8>> {
    let repr = tcp_repr(sport, dport, flags, seq, ack, len);
    ether(src, compose::tcp_packet(src.parse()?, dst.parse()?, &repr)?)
}

/// The header fields of a TCP segment with `len` payload bytes (window
/// 65535, no options).
pub fn tcp_repr(sport: u16, dport: u16, flags: u16, seq: u32, ack: u32, len: usize) -> tcp::Repr {
    tcp::Repr {
        src_port: sport,
        dst_port: dport,
        seq_number: seq,
        ack_number: ack,
        flags,
        window_len: 65535,
        window_scale: None,
        payload_len: len,
    }
}

pub fn udp_frame(src: &str, sport: u16, dst: &str, dport: u16) -> Result<Vec<u8>> {
    ether(
        src,
        compose::udp_packet(src.parse()?, dst.parse()?, sport, dport, 16)?,
    )
}

pub fn icmp_frame(
    src: &str,
    dst: &str,
    msg_type: u8,
    code: u8,
    ident: u16,
    data: &[u8],
) -> Result<Vec<u8>> {
    ether(
        src,
        compose::icmp_packet(src.parse()?, dst.parse()?, msg_type, code, ident, data)?,
    )
}
