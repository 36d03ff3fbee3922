//! OpenFlow 1.3 PACKET_IN messages from packets a `userspace` action
//! handed up: reason, table and rule cookie from the action's cookie and
//! its frozen continuation, the packet's metadata as the match (in_port,
//! registers and metadata that are set, and, for a tracked packet,
//! ct_state, ct_zone, ct_mark, ct_label and the ct original tuple), and
//! the frame truncated to the action's max_len.

use datapath::UserspacePacket;
use nxm_fields::layout::{self as l, Slot};
use nxm_fields::{field, FieldId, Match, Value};
use openflow_codec::message::flow_mod::NO_BUFFER;
use openflow_codec::message::packet_in::PacketIn;

use crate::recirc::Frozen;

/// OFPCML_NO_BUFFER: send the whole packet.
const NO_TRUNCATE: u16 = 0xffff;

/// Why a packet goes to the controller, numbered as OVS numbers it in a
/// datapath cookie: OpenFlow 1.4's reasons, then OVS's own for a
/// table-miss rule's packet.
pub(crate) mod reason {
    pub const NO_MATCH: u8 = 0;
    pub const ACTION: u8 = 1;
    pub const INVALID_TTL: u8 = 2;
    pub const ACTION_SET: u8 = 3;
    pub const GROUP: u8 = 4;
    pub const PACKET_OUT: u8 = 5;
    pub const EXPLICIT_MISS: u8 = 6;
}

/// The OpenFlow 1.3 reason for a cookie's: 1.4's refinements of `action`
/// are `action`, a table-miss rule's packet is `no_match` (as OVS 3.1
/// encodes them).
fn wire_reason(cookie_reason: u8) -> u8 {
    match cookie_reason {
        reason::ACTION_SET | reason::GROUP | reason::PACKET_OUT => reason::ACTION,
        reason::EXPLICIT_MISS => reason::NO_MATCH,
        other => other,
    }
}

/// The ct fields and where the flow keeps them, in the order OVS puts
/// them in a packet-in's match.
const CT_FIELDS: [(FieldId, Slot); 11] = [
    (FieldId::CtState, l::CT_STATE),
    (FieldId::CtZone, l::CT_ZONE),
    (FieldId::CtMark, l::CT_MARK),
    (FieldId::CtLabel, l::CT_LABEL),
    (FieldId::CtNwSrc, l::CT_NW_SRC),
    (FieldId::CtNwDst, l::CT_NW_DST),
    (FieldId::CtIpv6Src, l::CT_IPV6_SRC),
    (FieldId::CtIpv6Dst, l::CT_IPV6_DST),
    (FieldId::CtNwProto, l::CT_NW_PROTO),
    (FieldId::CtTpSrc, l::CT_TP_SRC),
    (FieldId::CtTpDst, l::CT_TP_DST),
];

const REGS: [FieldId; 16] = [
    FieldId::Reg0,
    FieldId::Reg1,
    FieldId::Reg2,
    FieldId::Reg3,
    FieldId::Reg4,
    FieldId::Reg5,
    FieldId::Reg6,
    FieldId::Reg7,
    FieldId::Reg8,
    FieldId::Reg9,
    FieldId::Reg10,
    FieldId::Reg11,
    FieldId::Reg12,
    FieldId::Reg13,
    FieldId::Reg14,
    FieldId::Reg15,
];

fn set_exact(m: &mut Match, id: FieldId, value: Value) {
    let def = field(id);
    m.set_field(def, value, def.exact_mask());
}

/// The PACKET_IN for `up`; `frozen` is the continuation its cookie names
/// (none if it is gone: table 0, no registers).
pub fn packet_in(up: &UserspacePacket, frozen: Option<&Frozen>) -> PacketIn {
    let cookie = &up.action.cookie;
    let mut m = Match::catch_all();
    let in_port = frozen.map_or(up.flow.get(l::IN_PORT), |f| Value::from(f.in_port));
    set_exact(&mut m, FieldId::InPortOxm, in_port);
    if let Some(f) = frozen {
        if f.metadata != 0 {
            set_exact(&mut m, FieldId::Metadata, Value::from(f.metadata));
        }
        for (id, reg) in REGS.iter().zip(f.regs) {
            if reg != 0 {
                set_exact(&mut m, *id, Value::from(reg));
            }
        }
    }
    for (id, slot) in CT_FIELDS {
        let value = up.flow.get(slot);
        if value != 0 {
            set_exact(&mut m, id, value);
        }
    }
    let data = &up.packet.data;
    let keep = if cookie.max_len == NO_TRUNCATE {
        data.len()
    } else {
        data.len().min(usize::from(cookie.max_len))
    };
    PacketIn {
        buffer_id: NO_BUFFER,
        total_len: u16::try_from(data.len()).unwrap_or(u16::MAX),
        reason: wire_reason(cookie.reason),
        table_id: frozen.map_or(0, |f| f.table_id),
        cookie: cookie.rule_cookie,
        r#match: m,
        data: data.get(..keep).unwrap_or(data).to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use datapath::{cache::ExactCache, Packet};
    use openflow_codec::message::flow_mod::FlowModCommand;
    use openflow_codec::message::group::GroupCommand;
    use openflow_codec::message::Message;
    use openflow_codec::text::flow_mod::parse_flow_mod;
    use openflow_codec::text::group_mod::parse_group_mod;

    use crate::xlate::tests::{header, switch, udp_frame};

    // OVS 3.1's OpenFlow 1.3 packet-ins (ovs-ofctl monitor): a group's,
    // the action set's and a table-miss rule's packets say `action`,
    // `action` and `no_match` (group-bucket-controller.scn shows the
    // cookies' 4, 3 and 6).
    #[test]
    fn openflow_1_3_hears_the_reasons_it_knows() {
        let (bridge, dp, _ports) = switch(&[]);
        let group = parse_group_mod("group_id=1,type=all,bucket=controller", GroupCommand::Add);
        let mut messages = vec![Message::GroupMod(group.unwrap())];
        for flow in [
            "priority=5,udp,tp_dst=1,actions=group:1",
            "priority=5,udp,tp_dst=2,actions=write_actions(output:controller)",
            "priority=5,udp,tp_dst=3,actions=controller",
            "priority=0,actions=controller",
        ] {
            let fm = parse_flow_mod(flow, FlowModCommand::Add).unwrap().flow_mod;
            messages.push(Message::FlowMod(fm));
        }
        for message in &messages {
            assert!(bridge.handle(header(), message, &[], 0).is_empty());
        }
        let rx = bridge.subscribe();
        for (dport, reason) in [(1, 1), (2, 1), (3, 1), (4, 0)] {
            let frame = udp_frame(1, 2, 5353, dport);
            dp.process(&mut ExactCache::default(), vec![Packet::new(frame, 1)], 0);
            let Ok(Message::PacketIn(pi)) = rx.try_recv() else {
                panic!("no packet-in for port {dport}");
            };
            assert_eq!(pi.reason, reason, "port {dport}");
        }
    }
}
