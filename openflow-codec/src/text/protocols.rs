//! Which flow protocols can carry a parsed flow-mod: the set ovs-ofctl
//! prints as `usable protocols: ...` before it picks one.
//!
//! The set starts as every protocol and each part of the flow string can
//! only narrow it:
//!
//! * every match key, by what OpenFlow 1.0 and 1.1 matches can express of
//!   that field with that kind of mask ([`key_usable`]); NXM and OXM carry
//!   every field we know;
//! * the whole match, for the one rule that spans fields: IPv6 flows that
//!   match L3/L4 header fields need NXM or OXM ([`match_usable`]);
//! * flow-mod options: a table id, a cookie mask, `out_group` and some flags
//!   ([`Protocols::TID`], [`Protocols::NXM_OF11_UP`], [`Protocols::OF11_UP`],
//!   [`flag_usable`]);
//! * action keywords as they are written ([`actions_usable`]): `set_field`
//!   can only be sent where its field can be, and a few actions and
//!   instructions exist only in later versions. This works on the text
//!   because OVS narrows by keyword, and the parsed actions no longer say
//!   which keyword made them (`load:` and `set_field:` both become a
//!   set-field, but only the latter narrows);
//! * the check of the actions against the match ([`instructions_usable`]):
//!   actions that contradict the match are tolerated by OpenFlow 1.0 only.
//!
//! The printed form is [`Protocols`]'s `Display`. Every rule here was
//! checked against `ovs-ofctl -O OpenFlow13 parse-flow` from Open vSwitch
//! 3.1 (see the tests).

use std::fmt;

use nxm_fields::{field_by_name, layout, FieldDef, FieldId, Match, Subfield, Value};

use crate::action::text::KeyValues;
use crate::action::{check_against_match, ParseError};
use crate::instruction::Instruction;
use crate::message::flow_mod::flags;

/// A set of OVS flow protocols (OVS's `OFPUTIL_P_*`), one bit per protocol
/// in OVS's bit order, which is also the order they are printed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Protocols(u16);

impl Protocols {
    pub const NONE: Protocols = Protocols(0);
    /// OpenFlow 1.0 with its own match, without the table-id extension.
    pub const OF10_STD: Protocols = Protocols(1 << 0);
    /// OpenFlow 1.0 with its own match and Nicira's flow_mod_table_id.
    pub const OF10_STD_TID: Protocols = Protocols(1 << 1);
    /// OpenFlow 1.0 with NXM matches, without the table-id extension.
    pub const OF10_NXM: Protocols = Protocols(1 << 2);
    /// OpenFlow 1.0 with NXM matches and the table-id extension.
    pub const OF10_NXM_TID: Protocols = Protocols(1 << 3);
    pub const OF11_STD: Protocols = Protocols(1 << 4);
    pub const OF12_OXM: Protocols = Protocols(1 << 5);
    pub const OF13_OXM: Protocols = Protocols(1 << 6);
    pub const OF14_OXM: Protocols = Protocols(1 << 7);
    pub const OF15_OXM: Protocols = Protocols(1 << 8);

    pub const OF10_STD_ANY: Protocols = Protocols(0x3);
    pub const OF10_NXM_ANY: Protocols = Protocols(0xc);
    pub const OF10_ANY: Protocols = Protocols(0xf);
    pub const ANY_OXM: Protocols = Protocols(0x1e0);
    pub const OF11_UP: Protocols = Protocols(0x1f0);
    pub const OF12_UP: Protocols = Protocols::ANY_OXM;
    pub const OF13_UP: Protocols = Protocols(0x1c0);
    /// What can match on a cookie, or on fields OpenFlow 1.1 has.
    pub const NXM_OF11_UP: Protocols = Protocols(0x1fc);
    /// What can match on any field we know (NXM carries OXM fields too).
    pub const NXM_OXM_ANY: Protocols = Protocols(0x1ec);
    /// What can say which table a flow-mod is for.
    pub const TID: Protocols = Protocols(0x1fa);
    pub const ANY: Protocols = Protocols(0x1ff);

    pub fn intersect(self, other: Protocols) -> Protocols {
        Protocols(self.0 & other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    fn contains(self, other: Protocols) -> bool {
        self.0 & other.0 == other.0
    }
}

/// Group names, tried in this order before single protocols are named.
const ABBREVIATIONS: [(Protocols, &str); 4] = [
    (Protocols::ANY, "any"),
    (Protocols::OF10_STD_ANY, "OpenFlow10"),
    (Protocols::OF10_NXM_ANY, "NXM"),
    (Protocols::ANY_OXM, "OXM"),
];

/// Single protocols' names, in bit order.
const NAMES: [(Protocols, &str); 9] = [
    (Protocols::OF10_STD, "OpenFlow10-table_id"),
    (Protocols::OF10_STD_TID, "OpenFlow10+table_id"),
    (Protocols::OF10_NXM, "NXM-table_id"),
    (Protocols::OF10_NXM_TID, "NXM+table_id"),
    (Protocols::OF11_STD, "OpenFlow11"),
    (Protocols::OF12_OXM, "OXM-OpenFlow12"),
    (Protocols::OF13_OXM, "OXM-OpenFlow13"),
    (Protocols::OF14_OXM, "OXM-OpenFlow14"),
    (Protocols::OF15_OXM, "OXM-OpenFlow15"),
];

/// As OVS's `ofputil_protocols_to_string()`: `none` for the empty set, else
/// comma-separated names where each step takes the first group wholly
/// present, else the lowest single protocol left. So `OXM` can come before
/// `OpenFlow10+table_id`.
impl fmt::Display for Protocols {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("none");
        }
        let mut left = *self;
        let mut first = true;
        while !left.is_empty() {
            let (taken, name) = ABBREVIATIONS
                .iter()
                .chain(NAMES.iter())
                .find(|(p, _)| left.contains(*p))
                .copied()
                // Unreachable: every bit has a single name.
                .unwrap_or((left, "?"));
            if !first {
                f.write_str(",")?;
            }
            f.write_str(name)?;
            first = false;
            left = Protocols(left.0 & !taken.0);
        }
        Ok(())
    }
}

/// What OpenFlow 1.0's match can say about a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Of10 {
    No,
    Exact,
    /// Exact values and CIDR prefixes (the IPv4 addresses).
    Cidr,
}

/// What OpenFlow 1.1's match can say about a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Of11 {
    No,
    Exact,
    Bitwise,
}

/// Fields the OpenFlow 1.0 or 1.1 match can carry; every other field we
/// know needs NXM or OXM (OVS's per-field OpenFlow 1.0/1.1 support, from
/// which it derives its exact, CIDR and bitwise usable protocols).
const STANDARD_MATCH: &[(FieldId, Of10, Of11)] = &[
    (FieldId::InPort, Of10::Exact, Of11::Exact),
    (FieldId::InPortOxm, Of10::No, Of11::Exact),
    (FieldId::EthSrc, Of10::Exact, Of11::Bitwise),
    (FieldId::EthDst, Of10::Exact, Of11::Bitwise),
    (FieldId::EthType, Of10::Exact, Of11::Exact),
    (FieldId::VlanTci, Of10::Exact, Of11::Exact),
    (FieldId::DlVlan, Of10::Exact, Of11::Exact),
    (FieldId::VlanVid, Of10::Exact, Of11::Exact),
    (FieldId::DlVlanPcp, Of10::Exact, Of11::Exact),
    (FieldId::VlanPcp, Of10::Exact, Of11::Exact),
    (FieldId::MplsLabel, Of10::No, Of11::Exact),
    (FieldId::MplsTc, Of10::No, Of11::Exact),
    (FieldId::Ipv4Src, Of10::Cidr, Of11::Bitwise),
    (FieldId::Ipv4Dst, Of10::Cidr, Of11::Bitwise),
    (FieldId::IpProto, Of10::Exact, Of11::Exact),
    (FieldId::IpTos, Of10::Exact, Of11::Exact),
    (FieldId::IpDscp, Of10::Exact, Of11::Exact),
    (FieldId::IpEcn, Of10::No, Of11::Exact),
    (FieldId::ArpOp, Of10::Exact, Of11::Exact),
    (FieldId::ArpSpa, Of10::Cidr, Of11::Bitwise),
    (FieldId::ArpTpa, Of10::Cidr, Of11::Bitwise),
    (FieldId::TcpSrc, Of10::Exact, Of11::Exact),
    (FieldId::TcpDst, Of10::Exact, Of11::Exact),
    (FieldId::UdpSrc, Of10::Exact, Of11::Exact),
    (FieldId::UdpDst, Of10::Exact, Of11::Exact),
    (FieldId::SctpSrc, Of10::No, Of11::Exact),
    (FieldId::SctpDst, Of10::No, Of11::Exact),
    (FieldId::IcmpType, Of10::Exact, Of11::Exact),
    (FieldId::IcmpCode, Of10::Exact, Of11::Exact),
    (FieldId::Metadata, Of10::No, Of11::Bitwise),
];

/// How a field is matched, as far as protocols care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MaskKind {
    Exact,
    Cidr,
    Bitwise,
}

/// The protocols that can match `def` with `mask` (the field's whole mask
/// after the key was applied; zero means the key matched nothing).
pub fn field_usable(def: &FieldDef, mask: Value) -> Protocols {
    if mask == 0 {
        return Protocols::ANY;
    }
    // skb_priority has no NXM or OXM code: a flow-mod cannot carry it.
    if def.id == FieldId::SkbPriority {
        return Protocols::NONE;
    }
    // "Exact" is all ones over the field's bytes, not its bits: OVS treats
    // vlan_vid=5/0x1fff as masked.
    let kind = if mask == def.exact_mask() {
        MaskKind::Exact
    } else if def.n_bytes == 4 && is_cidr32(mask as u32) {
        // Only the (32-bit) IPv4 fields treat prefixes differently from
        // other masks; for every other field the two kinds agree.
        MaskKind::Cidr
    } else {
        MaskKind::Bitwise
    };
    let (of10, of11) = STANDARD_MATCH
        .iter()
        .find(|(id, _, _)| *id == def.id)
        .map_or((Of10::No, Of11::No), |&(_, a, b)| (a, b));
    let of10_ok = match kind {
        MaskKind::Exact => of10 != Of10::No,
        MaskKind::Cidr => of10 == Of10::Cidr,
        MaskKind::Bitwise => false,
    };
    let of11_ok = match kind {
        MaskKind::Exact => of11 != Of11::No,
        MaskKind::Cidr | MaskKind::Bitwise => of11 == Of11::Bitwise,
    };
    if of10_ok {
        Protocols::ANY
    } else if of11_ok {
        Protocols::NXM_OF11_UP
    } else {
        Protocols::NXM_OXM_ANY
    }
}

/// Whether a 32-bit mask is a run of ones from the top (a CIDR prefix).
fn is_cidr32(mask: u32) -> bool {
    mask.leading_ones() + mask.trailing_zeros() == 32
}

/// The protocols that can carry one match key of a flow string, once the
/// key has been applied to `m`: `key` is a field name (`nw_src`), a
/// subfield (`reg0[0..3]`) or a shorthand (`tcp`), `value` its text.
pub fn key_usable(m: &Match, key: &str, value: Option<&str>) -> Protocols {
    // Tunnel options exist only as NXM fields.
    if nxm_fields::tun_metadata::index_of_name(key).is_some() {
        return Protocols::NXM_OXM_ANY;
    }
    if let Some(def) = field_by_name(key) {
        // The mask as written, not as stored: a stored vlan_vid mask has
        // 13 bits, but OVS judges the 16-bit mask the user gave.
        let mask = match value.filter(|v| !v.is_empty()) {
            Some(text) => def.parse_value(text).map_or(0, |(_, mask)| mask),
            None => 0,
        };
        return field_usable(def, mask);
    }
    if key.contains('[') {
        // A subfield adds bits to what the field already matched; OVS
        // judges the field's whole mask.
        if let Ok(sf) = Subfield::parse(key) {
            return field_usable(sf.def(), m.field(sf.def()).1);
        }
    }
    Protocols::ANY
}

const ETH_TYPE_IPV6: Value = 0x86dd;

/// Rules over the whole match: only NXM and OXM can match IP protocol, TOS
/// or L4 ports of IPv6 packets (the IPv6-only fields narrow by themselves).
/// A `packet_type` naming IPv6 would count too, but matching on
/// `packet_type` already needs NXM or OXM.
pub fn match_usable(m: &Match) -> Protocols {
    let ipv6 = m.slot(layout::ETH_TYPE).0 == ETH_TYPE_IPV6;
    let l3_l4 = [
        layout::NW_PROTO,
        layout::NW_TOS,
        layout::TP_SRC,
        layout::TP_DST,
    ]
    .iter()
    .any(|&slot| m.slot(slot).1 != 0);
    if ipv6 && l3_l4 {
        Protocols::NXM_OXM_ANY
    } else {
        Protocols::ANY
    }
}

/// The protocols that can carry a flow-mod flag: resetting counters came
/// with OpenFlow 1.2, turning counting off with 1.3.
pub fn flag_usable(bit: u16) -> Protocols {
    match bit {
        flags::RESET_COUNTS => Protocols::OF12_UP,
        flags::NO_PKT_COUNTS | flags::NO_BYT_COUNTS => Protocols::OF13_UP,
        _ => Protocols::ANY,
    }
}

/// The protocols that can carry the actions and instructions written in
/// `text` (what follows `actions=`), judged by keyword as OVS's action
/// parsers do. Actions nested in `write_actions(...)` and `ct(exec(...))`
/// count like top-level ones. `clone(...)` is different: OVS parses its
/// contents starting again from every protocol, and what they leave
/// replaces whatever the actions before it had narrowed (so
/// `push_vlan:0x8100,clone(output:1)` is usable everywhere). Text that does
/// not parse is the action parser's business; here it narrows nothing.
pub fn actions_usable(text: &str) -> Protocols {
    list_usable(text, Protocols::ANY)
}

/// Walks one action list in order, narrowing `usable`.
fn list_usable(text: &str, mut usable: Protocols) -> Protocols {
    for (key, value) in KeyValues::new(text) {
        usable = match key.to_ascii_lowercase().as_str() {
            "clone" => list_usable(value, Protocols::ANY),
            "write_actions" => list_usable(value, usable),
            "ct" => KeyValues::new(value)
                .filter(|(k, _)| *k == "exec")
                .fold(usable, |usable, (_, inner)| list_usable(inner, usable)),
            keyword => usable.intersect(keyword_usable(keyword, value)),
        };
    }
    usable
}

/// What one action or instruction keyword (other than the nesting ones)
/// can be carried by.
fn keyword_usable(key: &str, value: &str) -> Protocols {
    match key {
        "set_field" => value
            .split_once("->")
            .and_then(|(_, name)| field_by_name(name))
            // A set-field can go wherever an exact match on its field can,
            // whatever its mask.
            .map_or(Protocols::ANY, |def| field_usable(def, def.exact_mask())),
        "push_vlan" => Protocols::OF11_UP,
        // Packet-type-aware encap exists from OpenFlow 1.3 on; ovs-ofctl
        // 3.1 lets decap go anywhere.
        "meter" | "encap" => Protocols::OF13_UP,
        "write_metadata" => Protocols::NXM_OF11_UP,
        _ => Protocols::ANY,
    }
}

/// What checking the parsed instructions against the match leaves: actions
/// that contradict the match (`strip_vlan` on a flow without a VLAN) are
/// only tolerated by OpenFlow 1.0, which acts on the packet as it is. Hard
/// failures are reported by [`check_against_match`] itself and narrow
/// nothing here.
pub fn instructions_usable(instructions: &[Instruction], m: &Match) -> Protocols {
    match check_against_match(instructions, m, None) {
        Err(ParseError::NoUsableProtocol) => Protocols::OF10_ANY,
        Ok(()) | Err(_) => Protocols::ANY,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::parse_actions_text;

    /// A small flow-string driver, enough to feed every rule above: flags,
    /// `table=`, match keys, then the actions.
    fn usable_line(flow: &str) -> String {
        let (match_text, actions_text) = flow.split_once("actions=").unwrap_or((flow, ""));
        let mut m = Match::catch_all();
        let mut usable = Protocols::ANY;
        for (key, value) in KeyValues::new(match_text) {
            if let Some(&(bit, _)) = flags::NAMES.iter().find(|(_, n)| *n == key) {
                usable = usable.intersect(flag_usable(bit));
            } else if key == "table" {
                usable = usable.intersect(Protocols::TID);
            } else if let Err(e) = m.apply_text(key, Some(value)) {
                return e.to_string();
            } else {
                usable = usable.intersect(key_usable(&m, key, Some(value)));
            }
        }
        usable = usable.intersect(match_usable(&m));
        let instructions = match parse_actions_text(actions_text, None) {
            Ok(i) => i,
            Err(e) => return e.to_string(),
        };
        usable = usable.intersect(actions_usable(actions_text));
        match check_against_match(&instructions, &m, None) {
            Ok(()) | Err(ParseError::NoUsableProtocol) => {}
            Err(e) => return e.to_string(),
        }
        usable = usable.intersect(instructions_usable(&instructions, &m));
        if usable.is_empty() {
            return "actions are invalid with specified match (OFPBAC_MATCH_INCONSISTENT)".into();
        }
        format!("usable protocols: {usable}")
    }

    fn check(cases: &[(&str, &str)]) {
        let mut wrong = Vec::new();
        for (flow, want) in cases {
            let got = usable_line(flow);
            let want = match *want {
                "inconsistent" => {
                    "actions are invalid with specified match (OFPBAC_MATCH_INCONSISTENT)"
                        .to_string()
                }
                w => format!("usable protocols: {w}"),
            };
            if got != want {
                wrong.push(format!("{flow}: got `{got}`, want `{want}`"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn names_follow_ovs_abbreviations_and_bit_order() {
        let cases = [
            (Protocols::ANY, "any"),
            (Protocols::NONE, "none"),
            (Protocols::TID, "OXM,OpenFlow10+table_id,NXM+table_id,OpenFlow11"),
            (Protocols::NXM_OXM_ANY, "NXM,OXM"),
            (Protocols::NXM_OF11_UP, "NXM,OXM,OpenFlow11"),
            (Protocols::OF11_UP, "OXM,OpenFlow11"),
            (Protocols::OF10_ANY, "OpenFlow10,NXM"),
            (
                Protocols::OF13_UP,
                "OXM-OpenFlow13,OXM-OpenFlow14,OXM-OpenFlow15",
            ),
            (
                Protocols::TID.intersect(Protocols::OF10_ANY),
                "OpenFlow10+table_id,NXM+table_id",
            ),
            (Protocols(0x1d5), "OpenFlow10-table_id,NXM-table_id,OpenFlow11,OXM-OpenFlow13,OXM-OpenFlow14,OXM-OpenFlow15"),
        ];
        for (p, want) in cases {
            assert_eq!(p.to_string(), want);
        }
    }

    // Expectations below are the first line of `ovs-ofctl -O OpenFlow13
    // parse-flow FLOW` from Open vSwitch 3.1.0.

    #[test]
    fn match_fields_narrow_by_field_and_mask_kind() {
        check(&[
            ("in_port=1,actions=drop", "any"),
            ("in_port_oxm=1,actions=drop", "NXM,OXM,OpenFlow11"),
            ("dl_src=00:11:22:33:44:55,actions=drop", "any"),
            (
                "dl_src=00:11:22:33:44:55/ff:ff:ff:ff:ff:00,actions=drop",
                "NXM,OXM,OpenFlow11",
            ),
            (
                "dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=drop",
                "NXM,OXM,OpenFlow11",
            ),
            (
                "dl_src=00:11:22:33:44:55/ff:ff:ff:ff:ff:ff,actions=drop",
                "any",
            ),
            (
                "dl_src=00:11:22:33:44:55/00:00:00:00:00:00,actions=drop",
                "any",
            ),
            ("dl_type=0x0800,actions=drop", "any"),
            ("dl_vlan=5,actions=drop", "any"),
            ("dl_vlan=0xffff,actions=drop", "any"),
            ("dl_vlan_pcp=3,actions=drop", "any"),
            ("vlan_vid=5,actions=drop", "any"),
            ("vlan_vid=5/0x1fff,actions=drop", "NXM,OXM"),
            ("vlan_vid=0x1005/0xffff,actions=drop", "any"),
            ("vlan_vid=0x1000/0x1000,actions=drop", "NXM,OXM"),
            ("vlan_pcp=3,actions=drop", "any"),
            ("vlan_tci=0x7005,actions=drop", "any"),
            ("vlan_tci=0x1005/0x1fff,actions=drop", "NXM,OXM"),
            ("vlan_tci=0x1005/0x1fff,dl_vlan=5,actions=drop", "NXM,OXM"),
            ("vlan_tci,actions=drop", "any"),
            ("ip,nw_src=1.2.3.4,actions=drop", "any"),
            ("ip,nw_src=1.2.3.0/24,actions=drop", "any"),
            (
                "ip,nw_src=1.2.3.4/255.0.255.0,actions=drop",
                "NXM,OXM,OpenFlow11",
            ),
            ("ip,nw_src=1.2.3.4/0.0.0.0,actions=drop", "any"),
            (
                "ip,nw_src=1.2.3.4/255.0.255.0,nw_src=1.2.3.4,actions=drop",
                "NXM,OXM,OpenFlow11",
            ),
            ("ip,nw_tos=4,actions=drop", "any"),
            ("ip,ip_dscp=1,actions=drop", "any"),
            ("ip,nw_ecn=1,actions=drop", "NXM,OXM,OpenFlow11"),
            ("ip,nw_ttl=5,actions=drop", "NXM,OXM"),
            ("ip,nw_proto=6,actions=drop", "any"),
            ("ip,ip_frag=first,actions=drop", "NXM,OXM"),
            ("tcp,tp_src=80,actions=drop", "any"),
            ("tcp,tcp_src=0x50/0xfff0,actions=drop", "NXM,OXM"),
            ("udp,udp_dst=0x35/0xff00,actions=drop", "NXM,OXM"),
            ("sctp,sctp_src=1,actions=drop", "NXM,OXM,OpenFlow11"),
            ("sctp,sctp_dst=1/0xff00,actions=drop", "NXM,OXM"),
            ("sctp,tp_src=1,actions=drop", "any"),
            ("icmp,icmp_type=8,icmp_code=0,actions=drop", "any"),
            ("tcp,tcp_flags=+syn,actions=drop", "NXM,OXM"),
            ("arp,arp_op=1,arp_spa=1.2.3.0/24,actions=drop", "any"),
            (
                "arp,arp_tpa=1.2.3.4/255.0.255.0,actions=drop",
                "NXM,OXM,OpenFlow11",
            ),
            ("arp,arp_sha=00:11:22:33:44:55,actions=drop", "NXM,OXM"),
            (
                "mpls,mpls_label=5,mpls_tc=1,actions=drop",
                "NXM,OXM,OpenFlow11",
            ),
            ("mpls,mpls_bos=1,actions=drop", "NXM,OXM"),
            ("metadata=5,actions=drop", "NXM,OXM,OpenFlow11"),
            ("metadata=5/0xf0f,actions=drop", "NXM,OXM,OpenFlow11"),
            ("reg0=5,actions=drop", "NXM,OXM"),
            ("reg0=0/0,actions=drop", "any"),
            ("reg0,actions=drop", "any"),
            ("xxreg0=5/0xff,actions=drop", "NXM,OXM"),
            ("tun_id=5,actions=drop", "NXM,OXM"),
            ("tun_src=1.2.3.4,actions=drop", "NXM,OXM"),
            ("pkt_mark=1,actions=drop", "NXM,OXM"),
            ("recirc_id=1,conj_id=1,actions=drop", "NXM,OXM"),
            (
                "ct_state=+trk,ct_zone=1,ct_mark=1/0xff,actions=drop",
                "NXM,OXM",
            ),
            ("skb_priority=1,actions=drop", "inconsistent"),
            ("skb_priority=0/0,actions=drop", "any"),
        ]);
    }

    #[test]
    fn subfield_keys_are_judged_by_the_fields_whole_mask() {
        check(&[
            ("ip,nw_src[0..7]=5,actions=drop", "NXM,OXM,OpenFlow11"),
            ("ip,nw_src[24..31]=5,actions=drop", "any"),
            (
                "ip,nw_src[24..31]=5,nw_src[0..7]=1,actions=drop",
                "NXM,OXM,OpenFlow11",
            ),
            ("dl_src[0..7]=5,actions=drop", "NXM,OXM,OpenFlow11"),
            ("dl_src[0..47]=5,actions=drop", "any"),
            ("vlan_tci[0..11]=5,actions=drop", "NXM,OXM"),
            ("vlan_tci[0..15]=5,actions=drop", "any"),
            ("reg0[0..3]=5,actions=drop", "NXM,OXM"),
        ]);
    }

    #[test]
    fn ipv6_flows_matching_l3_or_l4_need_nxm_or_oxm() {
        check(&[
            ("ipv6,actions=drop", "any"),
            ("tcp6,actions=drop", "NXM,OXM"),
            ("ipv6,nw_tos=4,actions=drop", "NXM,OXM"),
            ("dl_type=0x86dd,nw_proto=6,actions=drop", "NXM,OXM"),
            ("tcp6,dl_type=0x800,actions=drop", "any"),
            ("ipv6,ipv6_src=2001::/16,actions=drop", "NXM,OXM"),
            ("icmp6,icmp_type=135,nd_target=::1,actions=drop", "NXM,OXM"),
        ]);
    }

    #[test]
    fn flow_mod_options_narrow() {
        check(&[
            (
                "table=1,actions=drop",
                "OXM,OpenFlow10+table_id,NXM+table_id,OpenFlow11",
            ),
            ("reset_counts,actions=drop", "OXM"),
            (
                "no_packet_counts,actions=drop",
                "OXM-OpenFlow13,OXM-OpenFlow14,OXM-OpenFlow15",
            ),
            (
                "no_byte_counts,actions=drop",
                "OXM-OpenFlow13,OXM-OpenFlow14,OXM-OpenFlow15",
            ),
            ("send_flow_rem,check_overlap,actions=drop", "any"),
            ("send_flow_rem,reset_counts,table=1,actions=drop", "OXM"),
            ("ipv6,nw_proto=6,reset_counts,actions=drop", "OXM"),
        ]);
    }

    #[test]
    fn action_keywords_narrow_as_written() {
        check(&[
            (
                "actions=output:1,controller:100,enqueue:1:2,set_queue:5,group:1",
                "any",
            ),
            ("actions=push_vlan:0x8100", "OXM,OpenFlow11"),
            ("actions=Push_Vlan:0x8100", "OXM,OpenFlow11"),
            (
                "actions=meter:1,output:1",
                "OXM-OpenFlow13,OXM-OpenFlow14,OXM-OpenFlow15",
            ),
            ("actions=write_metadata:5/0xff", "NXM,OXM,OpenFlow11"),
            ("actions=goto_table:1", "any"),
            (
                "table=1,actions=goto_table:2",
                "OXM,OpenFlow10+table_id,NXM+table_id,OpenFlow11",
            ),
            ("actions=output:1,clear_actions,goto_table:2", "any"),
            ("actions=write_actions(set_field:5->reg0)", "NXM,OXM"),
            ("actions=write_actions(push_vlan:0x8100)", "OXM,OpenFlow11"),
            ("actions=clone(clone(set_field:5->reg0))", "NXM,OXM"),
            // clone() restarts the set: what came before it is forgotten.
            ("actions=meter:3,clone(output:1)", "any"),
            (
                "actions=encap(ethernet)",
                "OXM-OpenFlow13,OXM-OpenFlow14,OXM-OpenFlow15",
            ),
            ("actions=decap(packet_type(ns=1,type=0x800))", "any"),
            (
                "actions=push_vlan:0x8100,clone(set_field:1->reg0)",
                "NXM,OXM",
            ),
            ("actions=clone(output:1),push_vlan:0x8100", "OXM,OpenFlow11"),
            (
                "actions=clone(push_vlan:0x8100,clone(output:1)),set_field:1->metadata",
                "NXM,OXM,OpenFlow11",
            ),
            (
                "actions=meter:1,clone(output:1),write_metadata:1",
                "NXM,OXM,OpenFlow11",
            ),
            (
                "actions=meter:3,write_actions(output:1)",
                "OXM-OpenFlow13,OXM-OpenFlow14,OXM-OpenFlow15",
            ),
            (
                "actions=load:5->NXM_NX_REG0[],move:NXM_NX_REG0[]->NXM_NX_REG1[]",
                "any",
            ),
            ("actions=set_field:5->reg0", "NXM,OXM"),
            ("actions=SET_FIELD:5->reg0", "NXM,OXM"),
            ("actions=set_field:5/0xff->metadata", "NXM,OXM,OpenFlow11"),
            (
                "actions=set_field:00:11:22:33:44:55/ff:00:00:00:00:00->eth_src",
                "any",
            ),
            ("ip,actions=set_field:1.2.3.4/255.0.255.0->ip_src", "any"),
            ("ip,actions=set_field:1->nw_ecn", "NXM,OXM,OpenFlow11"),
            ("ip,actions=set_field:5->nw_ttl", "NXM,OXM"),
            ("sctp,actions=set_field:80->sctp_dst", "NXM,OXM,OpenFlow11"),
            ("actions=set_field:5->tun_id", "NXM,OXM"),
            ("actions=set_tunnel:5", "any"),
            ("actions=set_field:0x1005->vlan_tci", "any"),
            ("mpls,actions=set_field:5->mpls_label", "NXM,OXM,OpenFlow11"),
            (
                "ip,actions=ct(commit,exec(set_field:1->ct_mark))",
                "NXM,OXM",
            ),
            (
                "ip,actions=ct(commit,exec(load:1->NXM_NX_CT_MARK[]))",
                "any",
            ),
            ("ip,actions=ct(commit,nat(src=1.2.3.4),table=2)", "any"),
            (
                "ip,actions=ct(commit,exec(set_field:1->ct_mark)),push_vlan:0x8100",
                "OXM",
            ),
            ("actions=ct_clear,note:01.02,exit", "any"),
            ("tcp,actions=fin_timeout(idle_timeout=5)", "any"),
        ]);
    }

    #[test]
    fn actions_contradicting_the_match_leave_openflow10_only() {
        check(&[
            ("actions=strip_vlan", "OpenFlow10,NXM"),
            ("actions=set_mpls_label:5", "OpenFlow10,NXM"),
            ("dl_vlan=5,actions=strip_vlan", "any"),
            ("reg0=1,actions=strip_vlan", "NXM"),
            ("tcp6,actions=strip_vlan", "NXM"),
            (
                "table=1,actions=strip_vlan",
                "OpenFlow10+table_id,NXM+table_id",
            ),
            ("actions=mod_nw_ttl:5", "OpenFlow10,NXM"),
            ("ip,actions=mod_nw_ttl:5", "any"),
            ("actions=push_vlan:0x8100,strip_vlan", "OXM,OpenFlow11"),
            ("actions=set_field:5->reg0,strip_vlan", "NXM"),
            ("actions=clone(strip_vlan)", "OpenFlow10,NXM"),
            // An action set is checked on a copy that keeps no verdict.
            ("actions=write_actions(strip_vlan)", "any"),
            ("actions=push_vlan:0x8100,mod_nw_ttl:5", "inconsistent"),
        ]);
    }
}
