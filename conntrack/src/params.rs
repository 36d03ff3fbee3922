//! What the `ct` action asks of the tracker, and what the tracker tells
//! about each packet: its parameters, the packets of a batch, and the ct
//! metadata OVS exposes to flows.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::alg::Edit;
use crate::conn::Helper;
use crate::extract::{Verify, L3};
use crate::key::ConnKey;
use crate::nat::Rewrite;
use crate::state::CtState;

/// A value written through a mask: bits outside the mask keep their value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Masked<T> {
    pub value: T,
    pub mask: T,
}

impl Masked<u32> {
    pub fn apply(&self, old: u32) -> u32 {
        (self.value & self.mask) | (old & !self.mask)
    }
}

impl Masked<u128> {
    pub fn apply(&self, old: u128) -> u128 {
        (self.value & self.mask) | (old & !self.mask)
    }
}

/// Which side `nat(src=..)`/`nat(dst=..)` rewrites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NatKind {
    Src,
    Dst,
}

/// The `nat(...)` argument of a `ct` action (see [`crate::nat`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NatAction {
    /// `None` for a bare `nat`: undo the NAT of an existing connection.
    pub kind: Option<NatKind>,
    pub addr_min: Option<IpAddr>,
    pub addr_max: Option<IpAddr>,
    pub port_min: Option<u16>,
    pub port_max: Option<u16>,
    pub persistent: bool,
    pub random: bool,
}

/// The arguments of one `ct` action, shared by a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ExecuteParams {
    pub zone: u16,
    /// Create the connection of a `+new` packet.
    pub commit: bool,
    /// End an existing connection seen in its reply direction and start a
    /// new one in this packet's direction.
    pub force: bool,
    /// `ct_mark` to write on commit.
    pub mark: Option<Masked<u32>>,
    /// `ct_label` to write on commit.
    pub label: Option<Masked<u128>>,
    /// The ALG to attach on commit (see [`crate::alg`]).
    pub helper: Option<Helper>,
    pub nat: Option<NatAction>,
    /// The timeout policy to commit under, instead of the zone's.
    pub timeout_policy: Option<u32>,
}

/// The original direction of a packet's connection, as the `ct_nw_*` and
/// `ct_tp_*` fields show it (for ICMP, `src_port` is the type and
/// `dst_port` the code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrigTuple {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub proto: u8,
    pub src_port: u16,
    pub dst_port: u16,
}

impl From<&ConnKey> for OrigTuple {
    fn from(key: &ConnKey) -> Self {
        let (src_port, dst_port) = if key.is_icmp() {
            (u16::from(key.icmp_type()), u16::from(key.icmp_code()))
        } else {
            (key.src_port, key.dst_port)
        };
        OrigTuple {
            src: key.src_ip(),
            dst: key.dst_ip(),
            proto: key.proto,
            src_port,
            dst_port,
        }
    }
}

/// What the tracker says about a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CtMetadata {
    pub state: CtState,
    pub zone: u16,
    pub mark: u32,
    pub label: u128,
    /// `None` when the packet has no key (malformed, fragment).
    pub orig: Option<OrigTuple>,
}

/// One packet of a batch: its bytes, where its network header starts and
/// which it is, and the metadata, NAT rewrite and ALG edit the tracker
/// fills in (the caller applies the rewrite, then the edit, to its own
/// copy of the bytes).
#[derive(Debug, Clone)]
pub struct CtPacket<'a> {
    pub data: &'a [u8],
    pub l3_offset: usize,
    pub l3: L3,
    /// In: what an earlier ct of the pipeline said of the packet (the
    /// default, untracked, if none), so that a packet that ct NAT'd is
    /// known by its connection. Out: what this ct says.
    pub md: CtMetadata,
    pub rewrite: Option<Rewrite>,
    /// Boxed: rare, and large beside the rest of a batch's packets.
    pub alg: Option<Box<Edit>>,
    /// The transport checksum is known to be good (the kernel validated
    /// it, or the caller computed it), so the tracker does not check it
    /// again; the IPv4 header's is still checked when checks are on
    /// ([`crate::Conntrack::set_checksum_verify`]).
    pub csum_ok: bool,
}

impl<'a> CtPacket<'a> {
    pub fn new(data: &'a [u8], l3_offset: usize, l3: L3) -> Self {
        CtPacket {
            data,
            l3_offset,
            l3,
            md: CtMetadata::default(),
            rewrite: None,
            alg: None,
            csum_ok: false,
        }
    }

    /// The checksums to check of this packet when the tracker checks
    /// them (`verify`).
    pub(crate) fn checks(&self, verify: bool) -> Verify {
        Verify {
            l3: verify,
            l4: verify && !self.csum_ok,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::tests::{tcp_packet, udp_packet};
    use crate::wire::tcp;
    use crate::Conntrack;

    /// What one commit of `data` says, flagged `csum_ok` or not.
    fn state_of(ct: &Conntrack, data: &[u8], l3: L3, csum_ok: bool) -> CtState {
        let mut batch = [CtPacket {
            csum_ok,
            ..CtPacket::new(data, 0, l3)
        }];
        let params = ExecuteParams {
            commit: true,
            ..ExecuteParams::default()
        };
        ct.execute(&mut batch, &params, 0);
        batch[0].md.state
    }

    #[test]
    fn a_bad_transport_checksum_is_invalid_unless_known_good() {
        let ct = Conntrack::new();
        let (mut syn, l3) = tcp_packet("10.1.1.1", "10.1.1.2", 1234, 80, tcp::flags::SYN, 0, 0, 0);
        let last = syn.len() - 1;
        syn[last] ^= 1;
        assert!(state_of(&ct, &syn, l3, false).contains(CtState::INVALID));
        let known = state_of(&ct, &syn, l3, true);
        assert!(known.contains(CtState::NEW) && !known.contains(CtState::INVALID));
        // The flag is the packet's: the next one without it is checked.
        let (mut udp, l3) = udp_packet("10.1.1.1", "10.1.1.2", 5353, 53);
        let last = udp.len() - 1;
        udp[last] ^= 1;
        assert!(state_of(&ct, &udp, l3, false).contains(CtState::INVALID));
    }

    #[test]
    fn a_known_good_transport_does_not_excuse_the_ip_header() {
        let ct = Conntrack::new();
        let (mut p, l3) = udp_packet("10.1.1.1", "10.1.1.2", 5353, 53);
        p[10] ^= 1;
        assert!(state_of(&ct, &p, l3, true).contains(CtState::INVALID));
    }

    #[test]
    fn with_checks_off_nothing_is_checked() {
        let ct = Conntrack::new();
        ct.set_checksum_verify(false);
        let (mut p, l3) = udp_packet("10.1.1.1", "10.1.1.2", 5353, 53);
        p[10] ^= 1;
        assert!(!state_of(&ct, &p, l3, false).contains(CtState::INVALID));
    }

    #[test]
    fn masks_keep_bits_outside_the_mask() {
        assert_eq!(
            Masked {
                value: 0x5u32,
                mask: 0xff
            }
            .apply(0xab00_0012),
            0xab00_0005
        );
        assert_eq!(
            Masked {
                value: 1u128 << 100,
                mask: u128::MAX << 64
            }
            .apply(0xffff),
            (1u128 << 100) | 0xffff
        );
    }
}
