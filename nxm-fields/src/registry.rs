//! The field registry: every field ctswitch knows, described once.
//!
//! Each entry gives the field's names (the canonical OVS name, the aliases
//! ovs-ofctl accepts in flows, the NXM and OXM names accepted in subfields
//! such as `NXM_NX_REG0[0..15]`), its wire headers (NXM and OpenFlow 1.3
//! OXM), its width, maskability, prerequisites, writability, text format,
//! and where it lives in a [`Flow`](crate::Flow). The OXM/NXM codec, the
//! text parser and formatter, the actions that name fields, and (later) the
//! classifier and the man page all read this table; nothing else lists
//! fields.

use crate::flow::{ones, Value};
use crate::format::Format;
use crate::header::{OxmHeader, EXPERIMENTER_NICIRA, EXPERIMENTER_NSH, EXPERIMENTER_ONF};
use crate::layout::{self as l, Slot};
use crate::prereq::Prereq;

/// How a field's value maps onto its slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct View {
    pub slot: Slot,
    /// The slot bits this field covers.
    pub mask: Value,
    /// How far the field's value is shifted left inside the slot.
    pub shift: u32,
    /// Slot bits that setting this field also sets, in value and mask
    /// (the VLAN-present bit for `vlan_pcp` and `dl_vlan`).
    pub implied: Value,
    pub transform: Transform,
}

/// A value conversion between the field and its slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    None,
    /// The 16-bit OpenFlow 1.0 port numbering over a 32-bit OpenFlow 1.1
    /// port slot: reserved ports 0xff00.. map to 0xffffff00...
    Ofp10Port,
}

const fn whole(slot: Slot) -> View {
    View {
        slot,
        mask: ones(slot.len * 8),
        shift: 0,
        implied: 0,
        transform: Transform::None,
    }
}

const fn bits(slot: Slot, mask: Value, shift: u32) -> View {
    View {
        slot,
        mask,
        shift,
        implied: 0,
        transform: Transform::None,
    }
}

const fn vlan_bits(mask: Value, shift: u32) -> View {
    View {
        slot: l::VLAN_TCI,
        mask,
        shift,
        implied: VLAN_CFI,
        transform: Transform::None,
    }
}

/// The CFI bit of the TCI, which OVS and OpenFlow use as "VLAN present".
pub const VLAN_CFI: Value = 0x1000;

/// One field's description.
#[derive(Debug)]
pub struct FieldDef {
    pub id: FieldId,
    /// The canonical name, as ovs-fields(7) gives it.
    pub name: &'static str,
    /// Other names ovs-ofctl accepts for it in flows.
    pub aliases: &'static [&'static str],
    /// The NXM name and header, when the field has one.
    pub nxm: Option<(&'static str, OxmHeader)>,
    /// The OXM name and header used in OpenFlow 1.3, when it has one.
    pub oxm: Option<(&'static str, OxmHeader)>,
    /// Bytes of the value on the wire.
    pub n_bytes: usize,
    /// Significant bits of the value (the rest must be zero).
    pub n_bits: u32,
    pub maskable: bool,
    pub prereq: Prereq,
    pub writable: bool,
    pub format: Format,
    pub view: View,
    /// OVS 3.1 stores the value given as the field's mask when it sets this
    /// field in a match (from flow text and from OXM alike), and the value
    /// ANDed with the given mask as its value: `tun_gtpu_flags=0x35/0x0f`
    /// matches 0x05 under mask 0x35, and a zero value matches nothing.
    pub mask_is_value: bool,
    /// The width subfields (`FIELD[a..b]`, loads, moves) see, when it is
    /// narrower than `n_bits`: `vlan_vid` is 12 bits there, without the
    /// VLAN-present bit.
    pub subfield_bits: Option<u32>,
    /// A one-line description for the man page and `--help` listings.
    pub doc: &'static str,
}

impl FieldDef {
    /// The header this field is sent with in OpenFlow 1.3: OXM if it has an
    /// OXM code, else its NXM code (as OVS does).
    pub fn header_of13(&self) -> Option<OxmHeader> {
        self.oxm.or(self.nxm).map(|(_, h)| h)
    }

    /// The name used in subfield syntax and `load:`/`move:` output: the NXM
    /// name where there is one, else the OXM name.
    pub fn wire_name(&self) -> &'static str {
        self.nxm.or(self.oxm).map_or(self.name, |(n, _)| n)
    }

    /// All-ones value of the field's wire width.
    pub fn exact_mask(&self) -> Value {
        ones(self.n_bytes * 8)
    }

    /// The width of the field as a subfield.
    pub fn subfield_width(&self) -> u32 {
        self.subfield_bits.unwrap_or(self.n_bits)
    }

    /// Whether OVS refuses values with bits above `n_bits` (in a match it
    /// decodes and in a set-field). It does not for the ERSPAN fields,
    /// whose widths only bound subfields.
    pub fn width_is_checked(&self) -> bool {
        !matches!(
            self.id,
            FieldId::TunErspanVer
                | FieldId::TunErspanIdx
                | FieldId::TunErspanDir
                | FieldId::TunErspanHwid
        )
    }

    /// Whether `name` is one of this field's text names.
    pub fn has_name(&self, name: &str) -> bool {
        self.name == name || self.aliases.contains(&name)
    }
}

macro_rules! registry {
    ($($id:ident => $def:expr,)*) => {
        /// Identifies a field; `FieldId as usize` indexes [`FIELDS`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum FieldId { $($id,)* }

        /// Every field, in [`FieldId`] order.
        pub static FIELDS: &[FieldDef] = &[$({
            let mut d: FieldDef = $def;
            d.id = FieldId::$id;
            d
        },)*];
    };
}

/// A field with the common defaults; entries override what differs.
const fn def(name: &'static str, n_bytes: usize, format: Format, view: View) -> FieldDef {
    FieldDef {
        id: FieldId::TunId,
        name,
        aliases: &[],
        nxm: None,
        oxm: None,
        n_bytes,
        n_bits: (n_bytes * 8) as u32,
        maskable: true,
        prereq: Prereq::None,
        writable: true,
        format,
        view,
        mask_is_value: false,
        subfield_bits: None,
        doc: "",
    }
}

const fn nx(name: &'static str, field: u8) -> Option<(&'static str, OxmHeader)> {
    Some((name, OxmHeader::nxm1(field)))
}
const fn of(name: &'static str, field: u8) -> Option<(&'static str, OxmHeader)> {
    Some((name, OxmHeader::nxm0(field)))
}
const fn oxm(name: &'static str, field: u8) -> Option<(&'static str, OxmHeader)> {
    Some((name, OxmHeader::basic(field)))
}
const fn nxoxm(name: &'static str, field: u8) -> Option<(&'static str, OxmHeader)> {
    Some((name, OxmHeader::experimenter(EXPERIMENTER_NICIRA, field)))
}
const fn nshoxm(name: &'static str, field: u8) -> Option<(&'static str, OxmHeader)> {
    Some((name, OxmHeader::experimenter(EXPERIMENTER_NSH, field)))
}
const fn onfoxm(name: &'static str, field: u8) -> Option<(&'static str, OxmHeader)> {
    Some((name, OxmHeader::experimenter(EXPERIMENTER_ONF, field)))
}
const fn ericoxm(name: &'static str, field: u8) -> Option<(&'static str, OxmHeader)> {
    Some((name, OxmHeader::class(crate::header::CLASS_ERICSSON, field)))
}
const fn pktreg(name: &'static str, field: u8) -> Option<(&'static str, OxmHeader)> {
    Some((
        name,
        OxmHeader::class(crate::header::CLASS_PACKET_REGS, field),
    ))
}

use Format::*;

const fn reg(name: &'static str, nxm_name: &'static str, i: usize) -> FieldDef {
    FieldDef {
        nxm: nx(nxm_name, i as u8),
        doc: "A 32-bit scratch register.",
        ..def(name, 4, Hex, whole(l::reg(i)))
    }
}
const fn xreg(name: &'static str, oxm_name: &'static str, i: usize) -> FieldDef {
    FieldDef {
        oxm: pktreg(oxm_name, i as u8),
        doc: "A 64-bit register: the concatenation of two 32-bit registers.",
        ..def(name, 8, Hex, whole(l::xreg(i)))
    }
}
const fn xxreg(name: &'static str, nxm_name: &'static str, i: usize) -> FieldDef {
    FieldDef {
        nxm: nx(nxm_name, 111 + i as u8),
        doc: "A 128-bit register: the concatenation of four 32-bit registers.",
        ..def(name, 16, Hex, whole(l::xxreg(i)))
    }
}
const fn read_only(d: FieldDef) -> FieldDef {
    FieldDef {
        writable: false,
        ..d
    }
}
const fn mask_is_value(d: FieldDef) -> FieldDef {
    FieldDef {
        mask_is_value: true,
        ..d
    }
}
const fn exact(d: FieldDef) -> FieldDef {
    FieldDef {
        maskable: false,
        ..d
    }
}

registry! {
    // Tunnel metadata.
    TunId => FieldDef { aliases: &["tunnel_id"], nxm: nx("NXM_NX_TUN_ID", 16), oxm: oxm("OXM_OF_TUNNEL_ID", 38),
        doc: "The tunnel id (VNI, GRE key) of a packet received on a tunnel.", ..def("tun_id", 8, Hex, whole(l::TUN_ID)) },
    TunSrc => FieldDef { nxm: nx("NXM_NX_TUN_IPV4_SRC", 31), doc: "Tunnel outer IPv4 source.", ..def("tun_src", 4, Ipv4, whole(l::TUN_SRC)) },
    TunDst => FieldDef { nxm: nx("NXM_NX_TUN_IPV4_DST", 32), doc: "Tunnel outer IPv4 destination.", ..def("tun_dst", 4, Ipv4, whole(l::TUN_DST)) },
    TunIpv6Src => FieldDef { nxm: nx("NXM_NX_TUN_IPV6_SRC", 109), doc: "Tunnel outer IPv6 source.", ..def("tun_ipv6_src", 16, Ipv6, whole(l::TUN_IPV6_SRC)) },
    TunIpv6Dst => FieldDef { nxm: nx("NXM_NX_TUN_IPV6_DST", 110), doc: "Tunnel outer IPv6 destination.", ..def("tun_ipv6_dst", 16, Ipv6, whole(l::TUN_IPV6_DST)) },
    TunGbpId => FieldDef { nxm: nx("NXM_NX_TUN_GBP_ID", 38), doc: "VXLAN group-based policy id.", ..def("tun_gbp_id", 2, Decimal, whole(l::TUN_GBP_ID)) },
    TunGbpFlags => FieldDef { nxm: nx("NXM_NX_TUN_GBP_FLAGS", 39), doc: "VXLAN group-based policy flags.", ..def("tun_gbp_flags", 1, Hex, whole(l::TUN_GBP_FLAGS)) },
    TunErspanVer => mask_is_value(FieldDef { nxm: nxoxm("NXOXM_ET_ERSPAN_VER", 12), n_bits: 4, doc: "ERSPAN version.", ..def("tun_erspan_ver", 1, Decimal, whole(l::TUN_ERSPAN_VER)) }),
    TunErspanIdx => FieldDef { nxm: nxoxm("NXOXM_ET_ERSPAN_IDX", 11), n_bits: 20, doc: "ERSPAN v1 index.", ..def("tun_erspan_idx", 4, Hex, whole(l::TUN_ERSPAN_IDX)) },
    TunErspanDir => mask_is_value(FieldDef { nxm: nxoxm("NXOXM_ET_ERSPAN_DIR", 13), n_bits: 1, doc: "ERSPAN v2 direction.", ..def("tun_erspan_dir", 1, Decimal, whole(l::TUN_ERSPAN_DIR)) }),
    TunErspanHwid => mask_is_value(FieldDef { nxm: nxoxm("NXOXM_ET_ERSPAN_HWID", 14), n_bits: 6, doc: "ERSPAN v2 hardware id.", ..def("tun_erspan_hwid", 1, Hex, whole(l::TUN_ERSPAN_HWID)) }),
    TunGtpuFlags => mask_is_value(read_only(FieldDef { nxm: nxoxm("NXOXM_ET_GTPU_FLAGS", 15), doc: "GTP-U flags.", ..def("tun_gtpu_flags", 1, Hex, whole(l::TUN_GTPU_FLAGS)) })),
    TunGtpuMsgtype => mask_is_value(read_only(FieldDef { nxm: nxoxm("NXOXM_ET_GTPU_MSGTYPE", 16), doc: "GTP-U message type.", ..def("tun_gtpu_msgtype", 1, Decimal, whole(l::TUN_GTPU_MSGTYPE)) })),
    TunFlags => FieldDef { nxm: nx("NXM_NX_TUN_FLAGS", 104), n_bits: 1, doc: "Tunnel flags (oam).", ..def("tun_flags", 2, TunFlags, whole(l::TUN_FLAGS)) },

    // Metadata.
    InPort => exact(FieldDef { nxm: of("NXM_OF_IN_PORT", 0), doc: "The OpenFlow port on which the packet was received.",
        ..def("in_port", 2, Ofp10Port, View { transform: Transform::Ofp10Port, ..whole(l::IN_PORT) }) }),
    InPortOxm => exact(FieldDef { oxm: oxm("OXM_OF_IN_PORT", 0), doc: "The ingress port, as a 32-bit OpenFlow 1.1+ port number.",
        ..def("in_port_oxm", 4, Ofp11Port, whole(l::IN_PORT)) }),
    SkbPriority => read_only(exact(FieldDef { doc: "The Linux queueing priority.", ..def("skb_priority", 4, Hex, whole(l::SKB_PRIORITY)) })),
    PktMark => FieldDef { nxm: nx("NXM_NX_PKT_MARK", 33), doc: "The Linux packet mark.", ..def("pkt_mark", 4, Hex, whole(l::PKT_MARK)) },
    ActsetOutput => read_only(exact(FieldDef { oxm: onfoxm("ONFOXM_ET_ACTSET_OUTPUT", 43),
        doc: "The output port in the action set.", ..def("actset_output", 4, Ofp11Port, whole(l::ACTSET_OUTPUT)) })),
    PacketType => read_only(exact(FieldDef { oxm: oxm("OXM_OF_PACKET_TYPE", 44), doc: "The packet type (namespace, type).",
        ..def("packet_type", 4, PacketType, whole(l::PACKET_TYPE)) })),
    DpHash => read_only(FieldDef { nxm: nx("NXM_NX_DP_HASH", 35), doc: "A datapath-computed hash of the packet.", ..def("dp_hash", 4, Hex, whole(l::DP_HASH)) }),
    RecircId => read_only(exact(FieldDef { nxm: nx("NXM_NX_RECIRC_ID", 36), doc: "The recirculation id: 0 for a packet as received.",
        ..def("recirc_id", 4, Decimal, whole(l::RECIRC_ID)) })),
    ConjId => read_only(exact(FieldDef { nxm: nx("NXM_NX_CONJ_ID", 37), doc: "The id of a matched conjunctive flow.", ..def("conj_id", 4, Decimal, whole(l::CONJ_ID)) })),

    // Connection tracking.
    CtState => read_only(FieldDef { nxm: nx("NXM_NX_CT_STATE", 105), doc: "Connection-tracking state flags: new, est, rel, rpl, inv, trk, snat, dnat.",
        ..def("ct_state", 4, CtState, whole(l::CT_STATE)) }),
    CtZone => read_only(exact(FieldDef { nxm: nx("NXM_NX_CT_ZONE", 106), doc: "The connection-tracking zone of the last ct action.", ..def("ct_zone", 2, Hex, whole(l::CT_ZONE)) })),
    CtMark => FieldDef { nxm: nx("NXM_NX_CT_MARK", 107), doc: "A 32-bit mark attached to the connection.", ..def("ct_mark", 4, Hex, whole(l::CT_MARK)) },
    CtLabel => FieldDef { nxm: nx("NXM_NX_CT_LABEL", 108), doc: "A 128-bit label attached to the connection.", ..def("ct_label", 16, Hex, whole(l::CT_LABEL)) },
    CtNwSrc => read_only(FieldDef { nxm: nx("NXM_NX_CT_NW_SRC", 120), prereq: Prereq::Ct, doc: "IPv4 source of the connection's original direction.", ..def("ct_nw_src", 4, Ipv4, whole(l::CT_NW_SRC)) }),
    CtNwDst => read_only(FieldDef { nxm: nx("NXM_NX_CT_NW_DST", 121), prereq: Prereq::Ct, doc: "IPv4 destination of the connection's original direction.", ..def("ct_nw_dst", 4, Ipv4, whole(l::CT_NW_DST)) }),
    CtIpv6Src => read_only(FieldDef { nxm: nx("NXM_NX_CT_IPV6_SRC", 122), prereq: Prereq::Ct, doc: "IPv6 source of the connection's original direction.", ..def("ct_ipv6_src", 16, Ipv6, whole(l::CT_IPV6_SRC)) }),
    CtIpv6Dst => read_only(FieldDef { nxm: nx("NXM_NX_CT_IPV6_DST", 123), prereq: Prereq::Ct, doc: "IPv6 destination of the connection's original direction.", ..def("ct_ipv6_dst", 16, Ipv6, whole(l::CT_IPV6_DST)) }),
    CtNwProto => read_only(exact(FieldDef { nxm: nx("NXM_NX_CT_NW_PROTO", 119), prereq: Prereq::Ct, doc: "IP protocol of the connection.", ..def("ct_nw_proto", 1, Decimal, whole(l::CT_NW_PROTO)) })),
    CtTpSrc => read_only(FieldDef { nxm: nx("NXM_NX_CT_TP_SRC", 124), prereq: Prereq::Ct, doc: "Transport source port of the connection's original direction.", ..def("ct_tp_src", 2, Decimal, whole(l::CT_TP_SRC)) }),
    CtTpDst => read_only(FieldDef { nxm: nx("NXM_NX_CT_TP_DST", 125), prereq: Prereq::Ct, doc: "Transport destination port of the connection's original direction.", ..def("ct_tp_dst", 2, Decimal, whole(l::CT_TP_DST)) }),

    // Pipeline metadata and registers.
    Metadata => FieldDef { oxm: oxm("OXM_OF_METADATA", 2), doc: "64 bits of metadata passed between tables.", ..def("metadata", 8, Hex, whole(l::METADATA)) },
    Reg0 => reg("reg0", "NXM_NX_REG0", 0),
    Reg1 => reg("reg1", "NXM_NX_REG1", 1),
    Reg2 => reg("reg2", "NXM_NX_REG2", 2),
    Reg3 => reg("reg3", "NXM_NX_REG3", 3),
    Reg4 => reg("reg4", "NXM_NX_REG4", 4),
    Reg5 => reg("reg5", "NXM_NX_REG5", 5),
    Reg6 => reg("reg6", "NXM_NX_REG6", 6),
    Reg7 => reg("reg7", "NXM_NX_REG7", 7),
    Reg8 => reg("reg8", "NXM_NX_REG8", 8),
    Reg9 => reg("reg9", "NXM_NX_REG9", 9),
    Reg10 => reg("reg10", "NXM_NX_REG10", 10),
    Reg11 => reg("reg11", "NXM_NX_REG11", 11),
    Reg12 => reg("reg12", "NXM_NX_REG12", 12),
    Reg13 => reg("reg13", "NXM_NX_REG13", 13),
    Reg14 => reg("reg14", "NXM_NX_REG14", 14),
    Reg15 => reg("reg15", "NXM_NX_REG15", 15),
    Xreg0 => xreg("xreg0", "OXM_OF_PKT_REG0", 0),
    Xreg1 => xreg("xreg1", "OXM_OF_PKT_REG1", 1),
    Xreg2 => xreg("xreg2", "OXM_OF_PKT_REG2", 2),
    Xreg3 => xreg("xreg3", "OXM_OF_PKT_REG3", 3),
    Xreg4 => xreg("xreg4", "OXM_OF_PKT_REG4", 4),
    Xreg5 => xreg("xreg5", "OXM_OF_PKT_REG5", 5),
    Xreg6 => xreg("xreg6", "OXM_OF_PKT_REG6", 6),
    Xreg7 => xreg("xreg7", "OXM_OF_PKT_REG7", 7),
    Xxreg0 => xxreg("xxreg0", "NXM_NX_XXREG0", 0),
    Xxreg1 => xxreg("xxreg1", "NXM_NX_XXREG1", 1),
    Xxreg2 => xxreg("xxreg2", "NXM_NX_XXREG2", 2),
    Xxreg3 => xxreg("xxreg3", "NXM_NX_XXREG3", 3),

    // Ethernet and VLAN.
    EthSrc => FieldDef { aliases: &["dl_src"], nxm: of("NXM_OF_ETH_SRC", 2), oxm: oxm("OXM_OF_ETH_SRC", 4), prereq: Prereq::Ethernet,
        doc: "Ethernet source address.", ..def("eth_src", 6, Ethernet, whole(l::ETH_SRC)) },
    EthDst => FieldDef { aliases: &["dl_dst"], nxm: of("NXM_OF_ETH_DST", 1), oxm: oxm("OXM_OF_ETH_DST", 3), prereq: Prereq::Ethernet,
        doc: "Ethernet destination address.", ..def("eth_dst", 6, Ethernet, whole(l::ETH_DST)) },
    EthType => read_only(exact(FieldDef { aliases: &["dl_type"], nxm: of("NXM_OF_ETH_TYPE", 3), oxm: oxm("OXM_OF_ETH_TYPE", 5), prereq: Prereq::Ethernet,
        doc: "Ethernet type of the innermost header before L3.", ..def("eth_type", 2, Hex, whole(l::ETH_TYPE)) })),
    VlanTci => FieldDef { nxm: of("NXM_OF_VLAN_TCI", 4), prereq: Prereq::Ethernet,
        doc: "The 802.1Q TCI; bit 12 (0x1000) set means a VLAN header is present.", ..def("vlan_tci", 2, Hex, whole(l::VLAN_TCI)) },
    DlVlan => exact(FieldDef { n_bits: 12, prereq: Prereq::Ethernet, doc: "The VLAN id (OpenFlow 1.0 style; 0xffff means no VLAN).",
        ..def("dl_vlan", 2, Decimal, vlan_bits(0x0fff, 0)) }),
    VlanVid => FieldDef { n_bits: 13, subfield_bits: Some(12), oxm: oxm("OXM_OF_VLAN_VID", 6), prereq: Prereq::Ethernet,
        doc: "The VLAN id with OFPVID_PRESENT (0x1000) meaning a VLAN header is present.", ..def("vlan_vid", 2, Decimal, bits(l::VLAN_TCI, 0x1fff, 0)) },
    DlVlanPcp => exact(FieldDef { n_bits: 3, prereq: Prereq::Ethernet, doc: "The VLAN priority (OpenFlow 1.0 style).",
        ..def("dl_vlan_pcp", 1, Decimal, vlan_bits(0xe000, 13)) }),
    VlanPcp => exact(FieldDef { n_bits: 3, oxm: oxm("OXM_OF_VLAN_PCP", 7), prereq: Prereq::VlanVid,
        doc: "The VLAN priority.", ..def("vlan_pcp", 1, Decimal, vlan_bits(0xe000, 13)) }),

    // MPLS.
    MplsLabel => exact(FieldDef { n_bits: 20, oxm: oxm("OXM_OF_MPLS_LABEL", 34), prereq: Prereq::Mpls,
        doc: "The outer MPLS label.", ..def("mpls_label", 4, Decimal, bits(l::MPLS_LSE, 0xffff_f000, 12)) }),
    MplsTc => exact(FieldDef { n_bits: 3, oxm: oxm("OXM_OF_MPLS_TC", 35), prereq: Prereq::Mpls,
        doc: "The outer MPLS traffic class.", ..def("mpls_tc", 1, Decimal, bits(l::MPLS_LSE, 0xe00, 9)) }),
    MplsBos => read_only(exact(FieldDef { n_bits: 1, oxm: oxm("OXM_OF_MPLS_BOS", 36), prereq: Prereq::Mpls,
        doc: "The outer MPLS bottom-of-stack bit.", ..def("mpls_bos", 1, Decimal, bits(l::MPLS_LSE, 0x100, 8)) })),
    MplsTtl => exact(FieldDef { nxm: nx("NXM_NX_MPLS_TTL", 30), prereq: Prereq::Mpls,
        doc: "The outer MPLS TTL.", ..def("mpls_ttl", 1, Decimal, bits(l::MPLS_LSE, 0xff, 0)) }),

    // IPv4, IPv6 and common IP fields.
    Ipv4Src => FieldDef { aliases: &["nw_src"], nxm: of("NXM_OF_IP_SRC", 7), oxm: oxm("OXM_OF_IPV4_SRC", 11), prereq: Prereq::Ipv4,
        doc: "IPv4 source address.", ..def("ip_src", 4, Ipv4, whole(l::NW_SRC)) },
    Ipv4Dst => FieldDef { aliases: &["nw_dst"], nxm: of("NXM_OF_IP_DST", 8), oxm: oxm("OXM_OF_IPV4_DST", 12), prereq: Prereq::Ipv4,
        doc: "IPv4 destination address.", ..def("ip_dst", 4, Ipv4, whole(l::NW_DST)) },
    Ipv6Src => FieldDef { nxm: nx("NXM_NX_IPV6_SRC", 19), oxm: oxm("OXM_OF_IPV6_SRC", 26), prereq: Prereq::Ipv6,
        doc: "IPv6 source address.", ..def("ipv6_src", 16, Ipv6, whole(l::IPV6_SRC)) },
    Ipv6Dst => FieldDef { nxm: nx("NXM_NX_IPV6_DST", 20), oxm: oxm("OXM_OF_IPV6_DST", 27), prereq: Prereq::Ipv6,
        doc: "IPv6 destination address.", ..def("ipv6_dst", 16, Ipv6, whole(l::IPV6_DST)) },
    Ipv6Label => FieldDef { n_bits: 20, nxm: nx("NXM_NX_IPV6_LABEL", 27), oxm: oxm("OXM_OF_IPV6_FLABEL", 28), prereq: Prereq::Ipv6,
        doc: "IPv6 flow label.", ..def("ipv6_label", 4, Hex, whole(l::IPV6_LABEL)) },
    IpProto => read_only(exact(FieldDef { aliases: &["ip_proto"], nxm: of("NXM_OF_IP_PROTO", 6), oxm: oxm("OXM_OF_IP_PROTO", 10), prereq: Prereq::IpAny,
        doc: "IP protocol (or, for ARP, the low byte of the opcode).", ..def("nw_proto", 1, Decimal, whole(l::NW_PROTO)) })),
    IpTtl => exact(FieldDef { nxm: nx("NXM_NX_IP_TTL", 29), prereq: Prereq::IpAny,
        doc: "IPv4 TTL or IPv6 hop limit.", ..def("nw_ttl", 1, Decimal, whole(l::NW_TTL)) }),
    IpFrag => read_only(FieldDef { aliases: &["nw_frag"], n_bits: 2, nxm: nx("NXM_NX_IP_FRAG", 26), prereq: Prereq::IpAny,
        doc: "Fragment status: no, yes, first, later, not_later.", ..def("ip_frag", 1, Frag, bits(l::NW_FRAG, 0x3, 0)) }),
    IpTos => exact(FieldDef { nxm: of("NXM_OF_IP_TOS", 5), prereq: Prereq::IpAny,
        doc: "The DSCP bits of the IP TOS byte, in place (low 2 bits zero).", ..def("nw_tos", 1, Decimal, bits(l::NW_TOS, 0xfc, 0)) }),
    IpDscp => exact(FieldDef { n_bits: 6, oxm: oxm("OXM_OF_IP_DSCP", 8), prereq: Prereq::IpAny,
        doc: "The DSCP, shifted right 2 bits.", ..def("ip_dscp", 1, Decimal, bits(l::NW_TOS, 0xfc, 2)) }),
    IpEcn => exact(FieldDef { aliases: &["ip_ecn"], n_bits: 2, nxm: nx("NXM_NX_IP_ECN", 28), oxm: oxm("OXM_OF_IP_ECN", 9), prereq: Prereq::IpAny,
        doc: "The ECN bits of the IP TOS byte.", ..def("nw_ecn", 1, Decimal, bits(l::NW_TOS, 0x3, 0)) }),

    // ARP.
    ArpOp => exact(FieldDef { nxm: of("NXM_OF_ARP_OP", 15), oxm: oxm("OXM_OF_ARP_OP", 21), prereq: Prereq::Arp,
        doc: "ARP opcode.", ..def("arp_op", 2, Decimal, whole(l::NW_PROTO)) }),
    ArpSpa => FieldDef { nxm: of("NXM_OF_ARP_SPA", 16), oxm: oxm("OXM_OF_ARP_SPA", 22), prereq: Prereq::Arp,
        doc: "ARP sender protocol address.", ..def("arp_spa", 4, Ipv4, whole(l::NW_SRC)) },
    ArpTpa => FieldDef { nxm: of("NXM_OF_ARP_TPA", 17), oxm: oxm("OXM_OF_ARP_TPA", 23), prereq: Prereq::Arp,
        doc: "ARP target protocol address.", ..def("arp_tpa", 4, Ipv4, whole(l::NW_DST)) },
    ArpSha => FieldDef { nxm: nx("NXM_NX_ARP_SHA", 17), oxm: oxm("OXM_OF_ARP_SHA", 24), prereq: Prereq::Arp,
        doc: "ARP sender hardware address.", ..def("arp_sha", 6, Ethernet, whole(l::ARP_SHA)) },
    ArpTha => FieldDef { nxm: nx("NXM_NX_ARP_THA", 18), oxm: oxm("OXM_OF_ARP_THA", 25), prereq: Prereq::Arp,
        doc: "ARP target hardware address.", ..def("arp_tha", 6, Ethernet, whole(l::ARP_THA)) },

    // NSH.
    NshFlags => FieldDef { nxm: nshoxm("NXOXM_NSH_FLAGS", 1), prereq: Prereq::Nsh, doc: "NSH flags.", ..def("nsh_flags", 1, Decimal, whole(l::NSH_FLAGS)) },
    NshTtl => exact(FieldDef { nxm: nshoxm("NXOXM_NSH_TTL", 10), prereq: Prereq::Nsh, doc: "NSH TTL.", ..def("nsh_ttl", 1, Decimal, whole(l::NSH_TTL)) }),
    NshMdtype => read_only(exact(FieldDef { nxm: nshoxm("NXOXM_NSH_MDTYPE", 2), prereq: Prereq::Nsh, doc: "NSH metadata type.", ..def("nsh_mdtype", 1, Decimal, whole(l::NSH_MDTYPE)) })),
    NshNp => read_only(exact(FieldDef { nxm: nshoxm("NXOXM_NSH_NP", 3), prereq: Prereq::Nsh, doc: "NSH next protocol.", ..def("nsh_np", 1, Decimal, whole(l::NSH_NP)) })),
    NshSpi => exact(FieldDef { aliases: &["nsp"], n_bits: 24, nxm: nshoxm("NXOXM_NSH_SPI", 4), prereq: Prereq::Nsh,
        doc: "NSH service path identifier.", ..def("nsh_spi", 4, Hex, bits(l::NSH_PATH_HDR, 0xffff_ff00, 8)) }),
    NshSi => exact(FieldDef { aliases: &["nsi"], nxm: nshoxm("NXOXM_NSH_SI", 5), prereq: Prereq::Nsh,
        doc: "NSH service index.", ..def("nsh_si", 1, Decimal, bits(l::NSH_PATH_HDR, 0xff, 0)) }),
    NshC1 => FieldDef { aliases: &["nshc1"], nxm: nshoxm("NXOXM_NSH_C1", 6), prereq: Prereq::Nsh, doc: "NSH context header 1.", ..def("nsh_c1", 4, Hex, whole(l::nsh_c(0))) },
    NshC2 => FieldDef { aliases: &["nshc2"], nxm: nshoxm("NXOXM_NSH_C2", 7), prereq: Prereq::Nsh, doc: "NSH context header 2.", ..def("nsh_c2", 4, Hex, whole(l::nsh_c(1))) },
    NshC3 => FieldDef { aliases: &["nshc3"], nxm: nshoxm("NXOXM_NSH_C3", 8), prereq: Prereq::Nsh, doc: "NSH context header 3.", ..def("nsh_c3", 4, Hex, whole(l::nsh_c(2))) },
    NshC4 => FieldDef { aliases: &["nshc4"], nxm: nshoxm("NXOXM_NSH_C4", 9), prereq: Prereq::Nsh, doc: "NSH context header 4.", ..def("nsh_c4", 4, Hex, whole(l::nsh_c(3))) },

    // Transport.
    TcpSrc => FieldDef { aliases: &["tp_src"], nxm: of("NXM_OF_TCP_SRC", 9), oxm: oxm("OXM_OF_TCP_SRC", 13), prereq: Prereq::Tcp,
        doc: "TCP source port.", ..def("tcp_src", 2, Decimal, whole(l::TP_SRC)) },
    TcpDst => FieldDef { aliases: &["tp_dst"], nxm: of("NXM_OF_TCP_DST", 10), oxm: oxm("OXM_OF_TCP_DST", 14), prereq: Prereq::Tcp,
        doc: "TCP destination port.", ..def("tcp_dst", 2, Decimal, whole(l::TP_DST)) },
    TcpFlags => read_only(FieldDef { n_bits: 12, nxm: nx("NXM_NX_TCP_FLAGS", 34), oxm: onfoxm("ONFOXM_ET_TCP_FLAGS", 42), prereq: Prereq::Tcp,
        doc: "TCP flags: fin, syn, rst, psh, ack, urg, ece, cwr, ns.", ..def("tcp_flags", 2, TcpFlags, whole(l::TCP_FLAGS)) }),
    UdpSrc => FieldDef { nxm: of("NXM_OF_UDP_SRC", 11), oxm: oxm("OXM_OF_UDP_SRC", 15), prereq: Prereq::Udp,
        doc: "UDP source port.", ..def("udp_src", 2, Decimal, whole(l::TP_SRC)) },
    UdpDst => FieldDef { nxm: of("NXM_OF_UDP_DST", 12), oxm: oxm("OXM_OF_UDP_DST", 16), prereq: Prereq::Udp,
        doc: "UDP destination port.", ..def("udp_dst", 2, Decimal, whole(l::TP_DST)) },
    SctpSrc => FieldDef { oxm: oxm("OXM_OF_SCTP_SRC", 17), prereq: Prereq::Sctp, doc: "SCTP source port.", ..def("sctp_src", 2, Decimal, whole(l::TP_SRC)) },
    SctpDst => FieldDef { oxm: oxm("OXM_OF_SCTP_DST", 18), prereq: Prereq::Sctp, doc: "SCTP destination port.", ..def("sctp_dst", 2, Decimal, whole(l::TP_DST)) },
    IcmpType => exact(FieldDef { nxm: of("NXM_OF_ICMP_TYPE", 13), oxm: oxm("OXM_OF_ICMPV4_TYPE", 19), prereq: Prereq::Icmpv4,
        doc: "ICMPv4 type.", ..def("icmp_type", 1, Decimal, whole(l::TP_SRC)) }),
    IcmpCode => exact(FieldDef { nxm: of("NXM_OF_ICMP_CODE", 14), oxm: oxm("OXM_OF_ICMPV4_CODE", 20), prereq: Prereq::Icmpv4,
        doc: "ICMPv4 code.", ..def("icmp_code", 1, Decimal, whole(l::TP_DST)) }),
    Icmpv6Type => exact(FieldDef { nxm: nx("NXM_NX_ICMPV6_TYPE", 21), oxm: oxm("OXM_OF_ICMPV6_TYPE", 29), prereq: Prereq::Icmpv6,
        doc: "ICMPv6 type.", ..def("icmpv6_type", 1, Decimal, whole(l::TP_SRC)) }),
    Icmpv6Code => exact(FieldDef { nxm: nx("NXM_NX_ICMPV6_CODE", 22), oxm: oxm("OXM_OF_ICMPV6_CODE", 30), prereq: Prereq::Icmpv6,
        doc: "ICMPv6 code.", ..def("icmpv6_code", 1, Decimal, whole(l::TP_DST)) }),
    NdTarget => FieldDef { nxm: nx("NXM_NX_ND_TARGET", 23), oxm: oxm("OXM_OF_IPV6_ND_TARGET", 31), prereq: Prereq::Nd,
        doc: "IPv6 neighbour discovery target address.", ..def("nd_target", 16, Ipv6, whole(l::ND_TARGET)) },
    NdSll => FieldDef { nxm: nx("NXM_NX_ND_SLL", 24), oxm: oxm("OXM_OF_IPV6_ND_SLL", 32), prereq: Prereq::NdSolicit,
        doc: "IPv6 neighbour discovery source link-layer address.", ..def("nd_sll", 6, Ethernet, whole(l::ARP_SHA)) },
    NdTll => FieldDef { nxm: nx("NXM_NX_ND_TLL", 25), oxm: oxm("OXM_OF_IPV6_ND_TLL", 33), prereq: Prereq::NdAdvert,
        doc: "IPv6 neighbour discovery target link-layer address.", ..def("nd_tll", 6, Ethernet, whole(l::ARP_THA)) },
    NdReserved => exact(FieldDef { nxm: ericoxm("ERICOXM_OF_ICMPV6_ND_RESERVED", 1), prereq: Prereq::Nd,
        doc: "The reserved field of an ND message.", ..def("nd_reserved", 4, Decimal, whole(l::ND_RESERVED)) }),
    NdOptionsType => exact(FieldDef { nxm: ericoxm("ERICOXM_OF_ICMPV6_ND_OPTIONS_TYPE", 2), prereq: Prereq::Nd,
        doc: "The type of the first option of an ND message.", ..def("nd_options_type", 1, Decimal, whole(l::ND_OPTIONS_TYPE)) }),
}

/// The description of field `id`.
pub fn field(id: FieldId) -> &'static FieldDef {
    // FIELDS is built in FieldId order by the registry macro, and a unit test
    // checks it; the fallback keeps this total without a panic path.
    FIELDS.get(id as usize).unwrap_or(&FIELDS[0])
}

/// Looks a field up by a text name or alias (`nw_src`, `tcp_dst`, `reg0`).
pub fn field_by_name(name: &str) -> Option<&'static FieldDef> {
    FIELDS.iter().find(|f| f.has_name(name))
}

/// Looks a field up by its NXM or OXM name (`NXM_NX_REG0`, `OXM_OF_IPV4_SRC`).
pub fn field_by_wire_name(name: &str) -> Option<&'static FieldDef> {
    FIELDS
        .iter()
        .find(|f| f.nxm.is_some_and(|(n, _)| n == name) || f.oxm.is_some_and(|(n, _)| n == name))
}

/// Looks a field up by any of its names: text name, alias, NXM or OXM name.
pub fn field_by_any_name(name: &str) -> Option<&'static FieldDef> {
    field_by_name(name).or_else(|| field_by_wire_name(name))
}

/// Looks a field up by the header of a TLV.
pub fn field_by_header(header: OxmHeader) -> Option<&'static FieldDef> {
    FIELDS.iter().find(|f| {
        f.nxm.is_some_and(|(_, h)| h == header) || f.oxm.is_some_and(|(_, h)| h == header)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_in_id_order() {
        for (i, f) in FIELDS.iter().enumerate() {
            assert_eq!(f.id as usize, i, "{}", f.name);
        }
    }

    #[test]
    fn names_and_headers_are_unique() {
        let mut names = std::collections::HashSet::new();
        let mut headers = std::collections::HashSet::new();
        for f in FIELDS {
            for n in std::iter::once(&f.name).chain(f.aliases) {
                assert!(names.insert(*n), "name {n} twice");
            }
            for (n, h) in f.nxm.iter().chain(f.oxm.iter()) {
                assert!(names.insert(*n), "name {n} twice");
                assert!(headers.insert(*h), "header of {n} twice");
            }
        }
    }

    #[test]
    fn views_fit_their_slots() {
        for f in FIELDS {
            let slot_bits = f.view.slot.len as u32 * 8;
            assert!(
                f.view.mask <= ones(slot_bits as usize),
                "{} mask exceeds slot",
                f.name
            );
            assert!(f.n_bits <= f.n_bytes as u32 * 8, "{}", f.name);
            assert!(!f.doc.is_empty(), "{} has no doc", f.name);
        }
    }

    #[test]
    fn lookups_find_aliases_and_wire_names() {
        assert_eq!(field_by_name("nw_src").unwrap().id, FieldId::Ipv4Src);
        assert_eq!(field_by_name("tp_dst").unwrap().id, FieldId::TcpDst);
        assert_eq!(field_by_wire_name("NXM_NX_REG3").unwrap().id, FieldId::Reg3);
        assert_eq!(
            field_by_wire_name("OXM_OF_IPV4_SRC").unwrap().id,
            FieldId::Ipv4Src
        );
        assert!(field_by_name("NXM_OF_IP_SRC").is_none());
        assert_eq!(
            field_by_header(OxmHeader::nxm1(105)).unwrap().id,
            FieldId::CtState
        );
    }
}
