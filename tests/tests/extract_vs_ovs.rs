//! The datapath's flow extraction against Open vSwitch's: thousands of
//! generated frames (VLAN stacks, 802.3 and SNAP, IPv4 with options and
//! fragments, IPv6 extension chains and neighbour discovery, ARP, MPLS
//! stacks, TCP/UDP/SCTP/ICMP/IGMP, and all of them cut short at random)
//! are written to a capture; `ovs-ofctl parse-pcap` prints OVS's flow for
//! each, and ours must print the same line.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::process::Command;

use datapath::extract;
use nxm_fields::packet::format_packet;
use nxm_fields::port::OFPP_ANY;

/// A small deterministic generator (xorshift), so every run tests the same
/// frames and a failure can be reproduced.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn byte(&mut self) -> u8 {
        self.next() as u8
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.byte()).collect()
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

fn l4(rng: &mut Rng, proto: u8, v6: bool) -> Vec<u8> {
    let mut p = Vec::new();
    match proto {
        6 => {
            p.extend(rng.bytes(12));
            let offset = rng.pick(&[5u8, 5, 6, 8, 3]);
            let flags = rng.below(0x1000) as u16;
            p.push((offset << 4) | (flags >> 8) as u8);
            p.push(flags as u8);
            p.extend(rng.bytes(6));
            p.extend(rng.bytes(4 * usize::from(offset.saturating_sub(5))));
        }
        17 => {
            p.extend(rng.bytes(4));
            p.extend(&[0, 8, 0, 0]);
        }
        132 => p.extend(rng.bytes(12)),
        1 | 2 => p.extend(rng.bytes(8)),
        58 if v6 => {
            let ty = rng.pick(&[128u8, 129, 135, 136, 135, 136, 1]);
            p.extend(&[ty, rng.pick(&[0u8, 0, 1]), 0, 0]);
            p.extend(rng.bytes(4));
            p.extend(rng.bytes(16));
            for _ in 0..rng.below(3) {
                let opt = rng.pick(&[1u8, 2, 3]);
                let len = rng.pick(&[1u8, 1, 2, 0]);
                p.extend(&[opt, len]);
                p.extend(rng.bytes(usize::from(len).max(1) * 8 - 2));
            }
        }
        _ => {
            let n = rng.below(12) as usize;
            p.extend(rng.bytes(n));
        }
    }
    p
}

fn ipv4(rng: &mut Rng) -> Vec<u8> {
    let proto = rng.pick(&[6u8, 17, 1, 132, 2, 47, 6, 17]);
    let options = rng.pick(&[0usize, 0, 0, 4, 8]);
    let body = l4(rng, proto, false);
    let total = (20 + options + body.len()) as u16;
    let frag: u16 = rng.pick(&[0, 0, 0, 0x2000, 0x0010, 0x2010, 0x4000]);
    let mut p = vec![0x40 | (5 + options / 4) as u8, rng.byte()];
    let total = if rng.below(10) == 0 {
        total + 30
    } else {
        total
    };
    p.extend(total.to_be_bytes());
    p.extend(rng.bytes(2));
    p.extend(frag.to_be_bytes());
    p.extend(&[rng.byte(), proto, 0, 0]);
    p.extend(rng.bytes(8 + options));
    p.extend(body);
    p
}

fn ipv6(rng: &mut Rng) -> Vec<u8> {
    let proto = rng.pick(&[6u8, 17, 58, 58, 132]);
    let mut chain: Vec<u8> = Vec::new();
    let mut next = proto;
    for _ in 0..rng.below(3) {
        let ext = rng.pick(&[0u8, 60, 43, 44]);
        let mut hdr = vec![next];
        if ext == 44 {
            let off: u16 = rng.pick(&[0, 1, 0x0008, 0x0009]);
            hdr.extend(&[0]);
            hdr.extend(off.to_be_bytes());
            hdr.extend(rng.bytes(4));
        } else {
            hdr.extend(&[0]);
            hdr.extend(rng.bytes(6));
        }
        hdr.extend(chain);
        chain = hdr;
        next = ext;
    }
    let body = l4(rng, proto, true);
    let payload_len = (chain.len() + body.len()) as u16;
    let mut p = vec![
        0x60 | (rng.byte() & 0x0f),
        rng.byte(),
        rng.byte(),
        rng.byte(),
    ];
    p.extend(payload_len.to_be_bytes());
    p.extend(&[next, rng.byte()]);
    p.extend(rng.bytes(32));
    p.extend(chain);
    p.extend(body);
    p
}

fn frame(rng: &mut Rng) -> Vec<u8> {
    let mut f = rng.bytes(12);
    for _ in 0..rng.pick(&[0u64, 0, 0, 1, 2, 3]) {
        f.extend(rng.pick(&[[0x81u8, 0x00], [0x88, 0xa8]]));
        f.extend(rng.bytes(2));
    }
    match rng.below(9) {
        0..=2 => {
            f.extend(&[0x08, 0x00]);
            f.extend(ipv4(rng));
        }
        3..=4 => {
            f.extend(&[0x86, 0xdd]);
            f.extend(ipv6(rng));
        }
        5 => {
            f.extend(rng.pick(&[[0x08u8, 0x06], [0x80, 0x35]]));
            let mut arp = vec![0, 1, 8, 0, 6, 4];
            if rng.below(5) == 0 {
                arp[1] = 6;
            }
            arp.extend(rng.bytes(22));
            f.extend(arp);
        }
        6 => {
            f.extend(rng.pick(&[[0x88u8, 0x47], [0x88, 0x48]]));
            for _ in 0..rng.below(4) {
                f.extend(rng.bytes(4));
            }
        }
        7 => {
            let len = rng.below(0x600) as u16;
            f.extend(len.to_be_bytes());
            if rng.below(2) == 0 {
                f.extend(&[0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00]);
                f.extend(ipv4(rng));
            } else {
                f.extend(rng.bytes(10));
            }
        }
        _ => f.extend(rng.bytes(16)),
    }
    if rng.below(6) == 0 {
        // At least one byte: ovs-ofctl's pcap reader stops at an empty record.
        let cut = 1 + rng.below(f.len() as u64) as usize;
        f.truncate(cut);
    }
    f
}

fn write_pcap(frames: &[Vec<u8>], path: &std::path::Path) {
    let mut out = Vec::new();
    // The classic pcap header: magic, version 2.4, no zone or accuracy,
    // snap length, Ethernet.
    out.extend(0xa1b2_c3d4u32.to_le_bytes());
    out.extend(2u16.to_le_bytes());
    out.extend(4u16.to_le_bytes());
    out.extend([0u8; 8]);
    out.extend(65535u32.to_le_bytes());
    out.extend(1u32.to_le_bytes());
    for f in frames {
        out.extend([0u8; 8]);
        out.extend((f.len() as u32).to_le_bytes());
        out.extend((f.len() as u32).to_le_bytes());
        out.extend(f);
    }
    std::fs::write(path, out).unwrap();
}

#[test]
fn extraction_matches_ovs_parse_pcap() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let frames: Vec<Vec<u8>> = (0..10_000).map(|_| frame(&mut rng)).collect();
    let path = std::env::temp_dir().join(format!("ctswitch-extract-{}.pcap", std::process::id()));
    write_pcap(&frames, &path);
    let out = Command::new(ctswitch_tests::ovs_ofctl())
        .arg("parse-pcap")
        .arg(&path)
        .output()
        .expect("ovs-ofctl runs");
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
    assert_eq!(expected.len(), frames.len(), "one line per frame");
    let mut mismatches = 0;
    for (i, (frame, want)) in frames.iter().zip(&expected).enumerate() {
        let got = format_packet(&extract(frame, OFPP_ANY));
        if got != *want {
            mismatches += 1;
            if mismatches <= 15 {
                let hex: String = frame.iter().map(|b| format!("{b:02x}")).collect();
                eprintln!("frame {i}: {hex}\n  ovs: {want}\n  us:  {got}");
            }
        }
    }
    assert_eq!(
        mismatches,
        0,
        "{mismatches} of {} frames differ",
        frames.len()
    );
}
