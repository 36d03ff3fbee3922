//! Where each piece of packet metadata lives inside a [`Flow`](crate::Flow).
//!
//! A flow is a flat byte image, so that a match is two images (values and
//! mask) and masking, hashing and comparing are plain byte operations. This
//! module owns the offsets; fields are *views* over these slots (see
//! [`crate::registry`]), and several fields may share a slot exactly where
//! Open vSwitch shares storage (for example `tcp_src`, `udp_src`, `sctp_src`
//! and `icmp_type` all live in `TP_SRC`, and the ARP addresses live in the IP
//! address slots), which is what makes OVS's normalisation fall out naturally.

/// A run of bytes in the flow image, holding one big-endian integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Slot {
    /// Byte offset inside the flow image.
    pub offset: usize,
    /// Length in bytes (1 to 16).
    pub len: usize,
}

impl Slot {
    /// The byte range this slot covers.
    pub const fn range(self) -> core::ops::Range<usize> {
        self.offset..self.offset + self.len
    }

    /// The `i`th of `n` equal consecutive parts of this slot (registers).
    pub const fn part(self, i: usize, len: usize) -> Slot {
        Slot {
            offset: self.offset + i * len,
            len,
        }
    }
}

/// Declares the slots in order; each starts where the previous one ends.
macro_rules! layout {
    ($($(#[$doc:meta])* $name:ident : $len:expr),* $(,)?) => {
        layout!(@next 0usize; $($(#[$doc])* $name : $len),*);
    };
    (@next $off:expr; $(#[$doc:meta])* $name:ident : $len:expr $(, $(#[$rdoc:meta])* $rest:ident : $rlen:expr)*) => {
        $(#[$doc])*
        pub const $name: Slot = Slot { offset: $off, len: $len };
        layout!(@next $off + $len; $($(#[$rdoc])* $rest : $rlen),*);
    };
    (@next $off:expr;) => {
        /// Total size of the flow image, in bytes.
        pub const FLOW_LEN: usize = $off;
    };
}

layout! {
    /// Recirculation id: 0 for a packet as received.
    RECIRC_ID: 4,
    DP_HASH: 4,
    CONJ_ID: 4,
    /// Ingress port, as an OpenFlow 1.1+ 32-bit port number.
    IN_PORT: 4,
    ACTSET_OUTPUT: 4,
    SKB_PRIORITY: 4,
    PKT_MARK: 4,
    PACKET_TYPE: 4,
    /// Connection-tracking state bits (see `ct_state` in ovs-fields(7)):
    /// 8 bits kept, as in OVS, although the wire carries 32.
    CT_STATE: 1,
    CT_ZONE: 2,
    CT_MARK: 4,
    CT_LABEL: 16,
    CT_NW_SRC: 4,
    CT_NW_DST: 4,
    CT_IPV6_SRC: 16,
    CT_IPV6_DST: 16,
    CT_NW_PROTO: 1,
    CT_TP_SRC: 2,
    CT_TP_DST: 2,
    /// reg0..reg15, big-endian and consecutive, so that xregN is
    /// reg(2N):reg(2N+1) and xxregN is reg(4N)..reg(4N+3).
    REGS: 64,
    TUN_ID: 8,
    TUN_SRC: 4,
    TUN_DST: 4,
    TUN_IPV6_SRC: 16,
    TUN_IPV6_DST: 16,
    TUN_GBP_ID: 2,
    TUN_GBP_FLAGS: 1,
    TUN_FLAGS: 2,
    TUN_ERSPAN_VER: 1,
    TUN_ERSPAN_IDX: 4,
    TUN_ERSPAN_DIR: 1,
    TUN_ERSPAN_HWID: 1,
    TUN_GTPU_FLAGS: 1,
    TUN_GTPU_MSGTYPE: 1,
    METADATA: 8,
    ETH_SRC: 6,
    ETH_DST: 6,
    ETH_TYPE: 2,
    /// The outer 802.1Q TCI; bit 12 (CFI) means "a VLAN header is present".
    VLAN_TCI: 2,
    /// The second (inner) TCI; no field names it, packets and their
    /// printed form carry it (`vlan_tci1`, `dl_vlan1`).
    VLAN_TCI1: 2,
    /// The TPIDs (0x8100 or 0x88a8) of those two tags, kept per tag as
    /// OVS's flow keeps them. No field names them: they are datapath-side
    /// state that translation pushes and pops with the TCIs and that the
    /// datapath key prints (`eth_type(0x88a8),vlan(..)`). Zero on a tagged
    /// flow that did not come from a frame (a traced flow) means 802.1Q.
    VLAN_TPID: 2,
    VLAN_TPID1: 2,
    /// The outermost MPLS label stack entry.
    MPLS_LSE: 4,
    /// The second and third label stack entries (`mpls_lse1`, `mpls_lse2`).
    MPLS_LSE1: 4,
    MPLS_LSE2: 4,
    /// IPv4 source, or the ARP sender protocol address.
    NW_SRC: 4,
    /// IPv4 destination, or the ARP target protocol address.
    NW_DST: 4,
    IPV6_SRC: 16,
    IPV6_DST: 16,
    IPV6_LABEL: 4,
    /// IP protocol, or the low byte of the ARP opcode.
    NW_PROTO: 1,
    NW_TOS: 1,
    NW_TTL: 1,
    NW_FRAG: 1,
    /// ARP sender hardware address, or the ND source link-layer address.
    ARP_SHA: 6,
    /// ARP target hardware address, or the ND target link-layer address.
    ARP_THA: 6,
    ND_TARGET: 16,
    ND_RESERVED: 4,
    ND_OPTIONS_TYPE: 1,
    /// TCP/UDP/SCTP source port, or the ICMP type.
    TP_SRC: 2,
    /// TCP/UDP/SCTP destination port, or the ICMP code.
    TP_DST: 2,
    TCP_FLAGS: 2,
    NSH_FLAGS: 1,
    NSH_TTL: 1,
    NSH_MDTYPE: 1,
    NSH_NP: 1,
    /// NSH service path id (24 bits) and service index (8 bits).
    NSH_PATH_HDR: 4,
    NSH_C: 16,
    /// Keeps the image a whole number of 64-bit words.
    PAD: 5,
}

/// Each VLAN tag's TCI and TPID slots, outermost tag first.
pub const VLAN_TAGS: [(Slot, Slot); 2] = [(VLAN_TCI, VLAN_TPID), (VLAN_TCI1, VLAN_TPID1)];

/// Register `i` (0..16) of 32 bits.
pub const fn reg(i: usize) -> Slot {
    REGS.part(i, 4)
}

/// Extended register `i` (0..8) of 64 bits.
pub const fn xreg(i: usize) -> Slot {
    REGS.part(i, 8)
}

/// Double-extended register `i` (0..4) of 128 bits.
pub const fn xxreg(i: usize) -> Slot {
    REGS.part(i, 16)
}

/// NSH context header `i` (0..4) of 32 bits.
pub const fn nsh_c(i: usize) -> Slot {
    NSH_C.part(i, 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_image_is_whole_words() {
        // Keep the image a whole number of 64-bit words when adding slots.
        assert_eq!(FLOW_LEN % 8, 0, "FLOW_LEN = {FLOW_LEN}");
    }

    #[test]
    fn registers_nest() {
        assert_eq!(xreg(1).offset, reg(2).offset);
        assert_eq!(xxreg(1).offset, reg(4).offset);
        assert_eq!(reg(15).range().end, REGS.range().end);
    }
}
