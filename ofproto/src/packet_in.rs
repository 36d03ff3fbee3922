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
        reason: cookie.reason,
        table_id: frozen.map_or(0, |f| f.table_id),
        cookie: cookie.rule_cookie,
        r#match: m,
        data: data.get(..keep).unwrap_or(data).to_vec(),
    }
}
