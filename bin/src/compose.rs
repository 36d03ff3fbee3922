//! Frames built from a flow exactly as Open vSwitch 3.1 builds them:
//! `flow_compose` (used by `ovs-ofctl compose-packet` and by
//! `netdev-dummy/receive` for ODP flows), followed by what `ovs-scenario`
//! adds for OpenFlow-syntax packets (TCP sequence, ack and window patched
//! in, checksum recomputed).
//!
//! Layout: Ethernet, optional 802.1Q tag, then IPv4 (id 0, no DF), IPv6
//! or ARP; TCP (no payload when SYN, FIN or RST is set), UDP, ICMP and
//! ICMPv6 carry `payload` bytes counting up from 0; SCTP is its common
//! header alone (verification tag and checksum zero).

use conntrack::wire::checksum::{accumulate, fold, pseudo_header};
use nxm_fields::format::{FRAG_ANY, FRAG_LATER};
use nxm_fields::layout as l;
use nxm_fields::Flow;

const ETH_TYPE_IP: u16 = 0x0800;
const ETH_TYPE_IPV6: u16 = 0x86dd;
const ETH_TYPE_ARP: u16 = 0x0806;
const ETH_TYPE_RARP: u16 = 0x8035;
const VLAN_CFI: u16 = 0x1000;
const TCP: u8 = 6;
const UDP: u8 = 17;
const SCTP: u8 = 132;
const ICMP: u8 = 1;
const ICMPV6: u8 = 58;
const TCP_FIN: u16 = 0x01;
const TCP_SYN: u16 = 0x02;
const TCP_RST: u16 = 0x04;

/// TCP header fields that flow syntax cannot express.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpExtras {
    pub seq: u32,
    pub ack: u32,
    pub win: u16,
}

impl Default for TcpExtras {
    fn default() -> Self {
        TcpExtras {
            seq: 0,
            ack: 0,
            win: 65535,
        }
    }
}

fn get_u16(flow: &Flow, slot: l::Slot) -> u16 {
    flow.get(slot) as u16
}

fn bytes_of(flow: &Flow, slot: l::Slot) -> Vec<u8> {
    let v = flow.get(slot).to_be_bytes();
    v[16 - slot.len..].to_vec()
}

fn checksum_with(acc: u32, data: &[u8]) -> u16 {
    !fold(accumulate(acc, data))
}

/// The frame `flow_compose(flow, payload)` builds.
pub fn compose(flow: &Flow, payload: usize) -> Vec<u8> {
    let mut p = Vec::with_capacity(128);
    p.extend(bytes_of(flow, l::ETH_DST));
    p.extend(bytes_of(flow, l::ETH_SRC));
    let tci = get_u16(flow, l::VLAN_TCI);
    if tci & VLAN_CFI != 0 {
        p.extend(0x8100u16.to_be_bytes());
        p.extend((tci & !VLAN_CFI).to_be_bytes());
    }
    let dl_type = get_u16(flow, l::ETH_TYPE);
    p.extend(dl_type.to_be_bytes());
    let l3 = p.len();
    match dl_type {
        ETH_TYPE_IP => {
            let frag = flow.get(l::NW_FRAG);
            let mut frag_off = 0u16;
            if frag & FRAG_ANY != 0 {
                frag_off |= 0x2000;
                if frag & FRAG_LATER != 0 {
                    frag_off |= 100;
                }
            }
            p.extend([0x45, flow.get(l::NW_TOS) as u8, 0, 0, 0, 0]);
            p.extend(frag_off.to_be_bytes());
            p.extend([flow.get(l::NW_TTL) as u8, flow.get(l::NW_PROTO) as u8, 0, 0]);
            p.extend(bytes_of(flow, l::NW_SRC));
            p.extend(bytes_of(flow, l::NW_DST));
            let l4 = p.len();
            compose_l4(&mut p, flow, payload);
            let total = (p.len() - l3) as u16;
            p[l3 + 2..l3 + 4].copy_from_slice(&total.to_be_bytes());
            let csum = checksum_with(0, &p[l3..l4]);
            p[l3 + 10..l3 + 12].copy_from_slice(&csum.to_be_bytes());
            let (src, dst) = (p[l3 + 12..l3 + 16].to_vec(), p[l3 + 16..l3 + 20].to_vec());
            l4_checksum(&mut p[l4..], flow, &src, &dst);
        }
        ETH_TYPE_IPV6 => {
            let first = (6u32 << 28)
                | (flow.get(l::IPV6_LABEL) as u32 & 0xf_ffff)
                | (u32::from(flow.get(l::NW_TOS) as u8) << 20);
            p.extend(first.to_be_bytes());
            p.extend([0, 0, flow.get(l::NW_PROTO) as u8, flow.get(l::NW_TTL) as u8]);
            p.extend(bytes_of(flow, l::IPV6_SRC));
            p.extend(bytes_of(flow, l::IPV6_DST));
            let l4 = p.len();
            compose_l4(&mut p, flow, payload);
            let plen = (p.len() - l4) as u16;
            p[l3 + 4..l3 + 6].copy_from_slice(&plen.to_be_bytes());
            let (src, dst) = (p[l3 + 8..l3 + 24].to_vec(), p[l3 + 24..l3 + 40].to_vec());
            l4_checksum(&mut p[l4..], flow, &src, &dst);
        }
        ETH_TYPE_ARP | ETH_TYPE_RARP => {
            let op = flow.get(l::NW_PROTO) as u16;
            p.extend([0, 1, 0x08, 0x00, 6, 4]);
            p.extend(op.to_be_bytes());
            if op == 1 || op == 2 {
                p.extend(bytes_of(flow, l::ARP_SHA));
                p.extend(bytes_of(flow, l::NW_SRC));
                p.extend(bytes_of(flow, l::ARP_THA));
                p.extend(bytes_of(flow, l::NW_DST));
            } else {
                p.extend([0; 20]);
            }
        }
        _ => {}
    }
    p
}

/// Counting-up payload bytes.
fn push_payload(p: &mut Vec<u8>, len: usize) {
    p.extend((0..len).map(|i| i as u8));
}

/// The L4 header and payload (`flow_compose_l4`); checksums come later.
fn compose_l4(p: &mut Vec<u8>, flow: &Flow, payload: usize) {
    let frag = flow.get(l::NW_FRAG);
    if frag & FRAG_ANY != 0 && frag & FRAG_LATER != 0 {
        return;
    }
    let (src, dst) = (get_u16(flow, l::TP_SRC), get_u16(flow, l::TP_DST));
    match flow.get(l::NW_PROTO) as u8 {
        TCP => {
            let flags = get_u16(flow, l::TCP_FLAGS) & 0x0fff;
            p.extend(src.to_be_bytes());
            p.extend(dst.to_be_bytes());
            p.extend([0; 8]);
            p.extend(((5u16 << 12) | flags).to_be_bytes());
            p.extend([0; 6]);
            if flags & (TCP_SYN | TCP_FIN | TCP_RST) == 0 {
                push_payload(p, payload);
            }
        }
        UDP => {
            p.extend(src.to_be_bytes());
            p.extend(dst.to_be_bytes());
            p.extend(((8 + payload) as u16).to_be_bytes());
            p.extend([0; 2]);
            push_payload(p, payload);
        }
        ICMP | ICMPV6 => {
            p.extend([src as u8, dst as u8, 0, 0, 0, 0, 0, 0]);
            push_payload(p, payload);
        }
        SCTP => {
            p.extend(src.to_be_bytes());
            p.extend(dst.to_be_bytes());
            p.extend([0; 8]);
        }
        _ => {}
    }
}

/// Fills the L4 checksum of `l4` (`flow_compose_l4_csum`).
fn l4_checksum(l4: &mut [u8], flow: &Flow, src: &[u8], dst: &[u8]) {
    let proto = flow.get(l::NW_PROTO) as u8;
    let pseudo = pseudo_header(src, dst, proto, l4.len() as u32);
    let (at, sum) = match proto {
        TCP if l4.len() >= 20 => (16, checksum_with(pseudo, l4)),
        UDP if l4.len() >= 8 => {
            let c = checksum_with(pseudo, l4);
            (6, if c == 0 { 0xffff } else { c })
        }
        ICMP if l4.len() >= 4 => (2, checksum_with(0, l4)),
        ICMPV6 if l4.len() >= 4 => (2, checksum_with(pseudo, l4)),
        _ => return,
    };
    l4[at..at + 2].copy_from_slice(&sum.to_be_bytes());
}

/// Writes `extras` into the TCP header of `frame` and recomputes its
/// checksum, as `ovs-scenario` does for OpenFlow-syntax packets: only for
/// TCP directly in IPv4 (not a later fragment) or IPv6.
pub fn patch_tcp(frame: &mut [u8], extras: TcpExtras) {
    let mut off = 12;
    while frame.len() >= off + 2
        && matches!(
            u16::from_be_bytes([frame[off], frame[off + 1]]),
            0x8100 | 0x88a8
        )
    {
        off += 4;
    }
    let Some(eth) = frame
        .get(off..off + 2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
    else {
        return;
    };
    let l3 = off + 2;
    let (l4, src, dst) = match eth {
        ETH_TYPE_IP
            if frame.len() >= l3 + 20
                && frame[l3 + 9] == TCP
                && u16::from_be_bytes([frame[l3 + 6], frame[l3 + 7]]) & 0x1fff == 0 =>
        {
            let l4 = l3 + usize::from(frame[l3] & 15) * 4;
            (
                l4,
                frame[l3 + 12..l3 + 16].to_vec(),
                frame[l3 + 16..l3 + 20].to_vec(),
            )
        }
        ETH_TYPE_IPV6 if frame.len() >= l3 + 40 && frame[l3 + 6] == TCP => (
            l3 + 40,
            frame[l3 + 8..l3 + 24].to_vec(),
            frame[l3 + 24..l3 + 40].to_vec(),
        ),
        _ => return,
    };
    let Some(tcp) = frame.get_mut(l4..) else {
        return;
    };
    if tcp.len() < 20 {
        return;
    }
    tcp[4..8].copy_from_slice(&extras.seq.to_be_bytes());
    tcp[8..12].copy_from_slice(&extras.ack.to_be_bytes());
    tcp[14..16].copy_from_slice(&extras.win.to_be_bytes());
    tcp[16..18].copy_from_slice(&[0, 0]);
    let sum = checksum_with(pseudo_header(&src, &dst, TCP, tcp.len() as u32), tcp);
    tcp[16..18].copy_from_slice(&sum.to_be_bytes());
}
