//! A packet in the datapath: its bytes and the metadata that travels with
//! it between passes (in_port, recirc_id, dp_hash, skb_priority, what
//! conntrack said).
//!
//! The flow key is not stored: it is extracted from the bytes on every
//! lookup, with the metadata written over it, so that a header rewritten
//! by `set` and a ct state written by `ct` are both what the next lookup
//! (after `recirc`) sees, as in OVS, which re-parses recirculated packets.

use std::net::IpAddr;

use conntrack::{CtMetadata, OrigTuple};
use nxm_fields::format::FRAG_LATER;
use nxm_fields::layout as l;
use nxm_fields::{Flow, Value};

use crate::extract::{extract_tags, PIPELINE_VLAN_LIMIT};
use crate::port::RxFrame;

/// Per-packet metadata kept across recirculation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Metadata {
    /// The datapath port the packet came in on.
    pub in_port: u32,
    pub recirc_id: u32,
    /// What the last `hash` action computed; 0 before one (a computed
    /// hash is never 0).
    pub dp_hash: u32,
    /// The queueing priority (`set(skb_priority(N))`, OpenFlow's queue).
    pub priority: u32,
    /// What the last `ct` action said; all zero before one (or after
    /// `ct_clear`).
    pub ct: CtMetadata,
    /// The transport checksum is known good (see [`RxFrame`]), so `ct`
    /// does not check it. Rewrites keep it true: they update the
    /// checksums they touch.
    pub csum_ok: bool,
}

/// A packet and its metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    pub data: Vec<u8>,
    pub md: Metadata,
}

impl Packet {
    /// A packet as received on `in_port`.
    pub fn new(data: Vec<u8>, in_port: u32) -> Self {
        Packet {
            data,
            md: Metadata {
                in_port,
                ..Metadata::default()
            },
        }
    }

    /// A packet that port `in_port` received.
    pub fn received(frame: RxFrame, in_port: u32) -> Self {
        let mut packet = Packet::new(frame.data, in_port);
        packet.md.csum_ok = frame.csum_ok;
        packet
    }

    /// The flow key the flow cache and the upcall see.
    pub fn flow(&self) -> Flow {
        let mut flow = extract_tags(&self.data, self.md.in_port, PIPELINE_VLAN_LIMIT);
        self.md.write_to(&mut flow);
        flow
    }
}

impl Metadata {
    /// Writes recirc_id, dp_hash, skb_priority and the ct fields into
    /// `flow`.
    pub fn write_to(&self, flow: &mut Flow) {
        flow.set(l::RECIRC_ID, Value::from(self.recirc_id));
        flow.set(l::DP_HASH, Value::from(self.dp_hash));
        flow.set(l::SKB_PRIORITY, Value::from(self.priority));
        let ct = &self.ct;
        flow.set(l::CT_STATE, Value::from(ct.state.0));
        flow.set(l::CT_ZONE, Value::from(ct.zone));
        flow.set(l::CT_MARK, Value::from(ct.mark));
        flow.set(l::CT_LABEL, ct.label);
        for slot in [
            l::CT_NW_SRC,
            l::CT_NW_DST,
            l::CT_IPV6_SRC,
            l::CT_IPV6_DST,
            l::CT_NW_PROTO,
            l::CT_TP_SRC,
            l::CT_TP_DST,
        ] {
            flow.set(slot, 0);
        }
        if let Some(orig) = ct.orig {
            write_orig(flow, &orig);
            // OVS keys the tuple's ports together with the packet's own
            // transport ports, which a later fragment does not have.
            if flow.get(l::NW_FRAG) & FRAG_LATER != 0 {
                flow.set(l::CT_TP_SRC, 0);
                flow.set(l::CT_TP_DST, 0);
            }
        }
    }
}

fn write_orig(flow: &mut Flow, orig: &OrigTuple) {
    match (orig.src, orig.dst) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => {
            flow.set(l::CT_NW_SRC, Value::from(u32::from(src)));
            flow.set(l::CT_NW_DST, Value::from(u32::from(dst)));
        }
        (src, dst) => {
            flow.set(l::CT_IPV6_SRC, ip6(src));
            flow.set(l::CT_IPV6_DST, ip6(dst));
        }
    }
    flow.set(l::CT_NW_PROTO, Value::from(orig.proto));
    flow.set(l::CT_TP_SRC, Value::from(orig.src_port));
    flow.set(l::CT_TP_DST, Value::from(orig.dst_port));
}

fn ip6(addr: IpAddr) -> Value {
    match addr {
        IpAddr::V4(a) => u128::from(a.to_ipv6_mapped()),
        IpAddr::V6(a) => u128::from(a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use conntrack::CtState;
    use std::net::Ipv4Addr;

    #[test]
    fn ct_metadata_lands_in_the_flow_key() {
        let mut p = Packet::new(vec![0; 14], 3);
        p.md.recirc_id = 7;
        p.md.dp_hash = 0x1234_5678;
        p.md.ct = CtMetadata {
            state: CtState::NEW | CtState::TRACKED,
            zone: 5,
            mark: 9,
            label: 1 << 100,
            orig: Some(OrigTuple {
                src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
                dst: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
                proto: 6,
                src_port: 1234,
                dst_port: 80,
            }),
        };
        let f = p.flow();
        assert_eq!(f.get(l::IN_PORT), 3);
        assert_eq!(f.get(l::RECIRC_ID), 7);
        assert_eq!(f.get(l::DP_HASH), 0x1234_5678);
        assert_eq!(f.get(l::CT_STATE), 0x21);
        assert_eq!(f.get(l::CT_ZONE), 5);
        assert_eq!(f.get(l::CT_MARK), 9);
        assert_eq!(f.get(l::CT_LABEL), 1 << 100);
        assert_eq!(f.get(l::CT_NW_SRC), 0x0a00_0001);
        assert_eq!(f.get(l::CT_TP_DST), 80);
        assert_eq!(f.get(l::CT_NW_PROTO), 6);

        // A later IPv4 fragment (offset 8) keys the tuple without ports.
        let mut later = vec![0; 12];
        later.extend_from_slice(&[0x08, 0x00, 0x45, 0, 0, 28, 0, 1, 0, 1, 64, 6, 0, 0]);
        later.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0]);
        let md = p.md;
        p = Packet::new(later, 3);
        p.md = md;
        let f = p.flow();
        assert_eq!(f.get(l::CT_NW_SRC), 0x0a00_0001);
        assert_eq!((f.get(l::CT_TP_SRC), f.get(l::CT_TP_DST)), (0, 0));
    }
}
