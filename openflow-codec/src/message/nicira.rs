//! Nicira extension messages (experimenter 0x00002320) that ovs-ofctl and
//! controllers send in OpenFlow 1.3: NXT_FLOW_MOD_TABLE_ID,
//! NXT_SET_PACKET_IN_FORMAT, NXT_SET_CONTROLLER_ID, NXT_CT_FLUSH_ZONE,
//! NXT_CT_FLUSH, and NXT_PACKET_IN2/NXT_RESUME (see [`super::packet_in2`]).

use std::fmt::Write;
use std::net::{Ipv4Addr, Ipv6Addr};

use bytes::{BufMut, BytesMut};

use super::packet_in2::PacketIn2;
use super::property::{self, Property};
use super::types::NxType;
use super::wire::{self, Parsed};
use crate::error::{BadPropertyCode, BadRequestCode, OfpError};

/// `nx_set_packet_in_format.format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketInFormat {
    Standard = 0,
    NxtPacketIn = 1,
    NxtPacketIn2 = 2,
}

/// The Nicira messages of this module.
#[derive(Debug, Clone, PartialEq)]
pub enum NxMessage {
    /// Whether the high byte of `ofp_flow_mod.command` carries a table id.
    FlowModTableId {
        enable: bool,
    },
    SetPacketInFormat(PacketInFormat),
    SetControllerId {
        controller_id: u16,
    },
    CtFlushZone {
        zone_id: u16,
    },
    CtFlush(CtFlush),
    PacketIn2(PacketIn2),
    Resume(PacketIn2),
}

impl NxMessage {
    pub fn nx_type(&self) -> NxType {
        match self {
            NxMessage::FlowModTableId { .. } => NxType::FlowModTableId,
            NxMessage::SetPacketInFormat(_) => NxType::SetPacketInFormat,
            NxMessage::SetControllerId { .. } => NxType::SetControllerId,
            NxMessage::CtFlushZone { .. } => NxType::CtFlushZone,
            NxMessage::CtFlush(_) => NxType::CtFlush,
            NxMessage::PacketIn2(_) => NxType::PacketIn2,
            NxMessage::Resume(_) => NxType::Resume,
        }
    }

    /// Decodes the body after the Nicira header.
    pub fn decode(nx_type: NxType, body: &[u8]) -> Result<NxMessage, OfpError> {
        match nx_type {
            NxType::FlowModTableId => wire::run(body, |input| {
                let (input, set) = wire::u8(input)?;
                let (input, ()) = wire::pad(7)(input)?;
                Ok((input, NxMessage::FlowModTableId { enable: set != 0 }))
            }),
            NxType::SetPacketInFormat => wire::run(body, |input| {
                let (input, format) = wire::u32(input)?;
                let format = match format {
                    0 => PacketInFormat::Standard,
                    1 => PacketInFormat::NxtPacketIn,
                    2 => PacketInFormat::NxtPacketIn2,
                    _ => return wire::fail(BadRequestCode::Eperm),
                };
                Ok((input, NxMessage::SetPacketInFormat(format)))
            }),
            NxType::SetControllerId => wire::run(body, |input| {
                let (input, ()) = wire::pad(6)(input)?;
                let (input, controller_id) = wire::u16(input)?;
                Ok((input, NxMessage::SetControllerId { controller_id }))
            }),
            NxType::CtFlushZone => wire::run(body, |input| {
                let (input, ()) = wire::pad(6)(input)?;
                let (input, zone_id) = wire::u16(input)?;
                Ok((input, NxMessage::CtFlushZone { zone_id }))
            }),
            NxType::CtFlush => wire::run(body, CtFlush::parse).map(NxMessage::CtFlush),
            NxType::PacketIn2 => PacketIn2::decode(body).map(NxMessage::PacketIn2),
            NxType::Resume => PacketIn2::decode(body).map(NxMessage::Resume),
        }
    }

    pub fn encode(&self, out: &mut BytesMut) {
        match self {
            NxMessage::FlowModTableId { enable } => {
                out.put_u8(u8::from(*enable));
                out.put_bytes(0, 7);
            }
            NxMessage::SetPacketInFormat(format) => out.put_u32(*format as u32),
            NxMessage::SetControllerId { controller_id: id }
            | NxMessage::CtFlushZone { zone_id: id } => {
                out.put_bytes(0, 6);
                out.put_u16(*id);
            }
            NxMessage::CtFlush(flush) => flush.encode(out),
            NxMessage::PacketIn2(pin) | NxMessage::Resume(pin) => pin.encode(out),
        }
    }

    pub fn format(&self, out: &mut String) {
        match self {
            NxMessage::FlowModTableId { enable } => {
                out.push_str(if *enable { " enable" } else { " disable" });
            }
            NxMessage::SetPacketInFormat(format) => {
                out.push_str(match format {
                    PacketInFormat::Standard => " format=standard",
                    PacketInFormat::NxtPacketIn => " format=nxt_packet_in",
                    PacketInFormat::NxtPacketIn2 => " format=nxt_packet_in2",
                });
            }
            NxMessage::SetControllerId { controller_id } => {
                let _ = write!(out, " id={controller_id}");
            }
            NxMessage::CtFlushZone { zone_id } => {
                let _ = write!(out, " zone_id={zone_id}");
            }
            NxMessage::CtFlush(flush) => flush.format(out),
            NxMessage::PacketIn2(pin) | NxMessage::Resume(pin) => pin.format(out),
        }
    }
}

/// Property types of NXT_CT_FLUSH and of its nested tuples.
const NXT_CT_ORIG_TUPLE: u16 = 0;
const NXT_CT_REPLY_TUPLE: u16 = 1;
const NXT_CT_ZONE_ID: u16 = 2;
const TUPLE_SRC: u16 = 0;
const TUPLE_DST: u16 = 1;
const TUPLE_SRC_PORT: u16 = 2;
const TUPLE_DST_PORT: u16 = 3;
const TUPLE_ICMP_ID: u16 = 4;
const TUPLE_ICMP_TYPE: u16 = 5;
const TUPLE_ICMP_CODE: u16 = 6;
const IPPROTO_ICMP: u8 = 1;
const IPPROTO_ICMPV6: u8 = 58;

/// One direction's tuple; addresses are IPv6 (IPv4 as mapped addresses),
/// unspecified when zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CtTuple {
    pub src: Addr16,
    pub dst: Addr16,
    pub src_port: u16,
    pub dst_port: u16,
    pub icmp_id: u16,
    pub icmp_type: u8,
    pub icmp_code: u8,
}

/// An IPv6 address as 16 bytes (so that `Default` is all zeros).
pub type Addr16 = [u8; 16];

/// NXT_CT_FLUSH: flush the connections of a zone that match tuples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CtFlush {
    pub ip_proto: u8,
    pub orig: CtTuple,
    pub reply: CtTuple,
    pub zone_id: Option<u16>,
}

/// The address family the tuples' addresses use: none, IPv4 or IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Unset,
    V4,
    V6,
}

impl CtFlush {
    fn is_icmp(&self) -> bool {
        self.ip_proto == IPPROTO_ICMP || self.ip_proto == IPPROTO_ICMPV6
    }

    fn parse(input: &[u8]) -> Parsed<'_, CtFlush> {
        let (input, ip_proto) = wire::u8(input)?;
        let (mut input, pad) = wire::take(7usize)(input)?;
        if pad.iter().any(|&b| b != 0) {
            return wire::fail(BadRequestCode::NxMustBeZero);
        }
        let mut flush = CtFlush {
            ip_proto,
            ..CtFlush::default()
        };
        let mut family = Family::Unset;
        while !input.is_empty() {
            let (rest, prop) = property::parse(input)?;
            match prop.kind {
                NXT_CT_ORIG_TUPLE => parse_tuple(&prop, &mut flush.orig, &mut family)?,
                NXT_CT_REPLY_TUPLE => parse_tuple(&prop, &mut flush.reply, &mut family)?,
                NXT_CT_ZONE_ID => flush.zone_id = Some(property::value_u16(&prop)?.1),
                // OVS 3.1 skips properties it does not know.
                _ => {}
            };
            input = rest;
        }
        Ok((input, flush))
    }

    fn encode(&self, out: &mut BytesMut) {
        out.put_u8(self.ip_proto);
        out.put_bytes(0, 7);
        for (kind, tuple) in [
            (NXT_CT_ORIG_TUPLE, &self.orig),
            (NXT_CT_REPLY_TUPLE, &self.reply),
        ] {
            let mut inner = BytesMut::new();
            for (k, addr) in [(TUPLE_SRC, &tuple.src), (TUPLE_DST, &tuple.dst)] {
                if addr != &[0; 16] {
                    property::put(&mut inner, k, addr);
                }
            }
            // OVS always sends the ICMP fields of an ICMP tuple and the ports
            // of another only when set; a field of the other kind is sent
            // when set, so that whatever was decoded encodes back.
            let icmp = self.is_icmp();
            for (k, port) in [
                (TUPLE_SRC_PORT, tuple.src_port),
                (TUPLE_DST_PORT, tuple.dst_port),
            ] {
                if port != 0 {
                    property::put_u16(&mut inner, k, port);
                }
            }
            if icmp || tuple.icmp_id != 0 {
                property::put_u16(&mut inner, TUPLE_ICMP_ID, tuple.icmp_id);
            }
            if icmp || tuple.icmp_type != 0 {
                property::put_u8(&mut inner, TUPLE_ICMP_TYPE, tuple.icmp_type);
            }
            if icmp || tuple.icmp_code != 0 {
                property::put_u8(&mut inner, TUPLE_ICMP_CODE, tuple.icmp_code);
            }
            if !inner.is_empty() {
                property::put_nested(out, kind, &inner);
            }
        }
        if let Some(zone) = self.zone_id {
            property::put_u16(out, NXT_CT_ZONE_ID, zone);
        }
    }

    fn family(&self) -> Family {
        let mut family = Family::Unset;
        for addr in [self.orig.src, self.orig.dst, self.reply.src, self.reply.dst] {
            if addr != [0; 16] {
                family = if is_v4_mapped(&addr) {
                    Family::V4
                } else {
                    Family::V6
                };
            }
        }
        family
    }

    fn format(&self, out: &mut String) {
        let family = self.family();
        let _ = write!(out, " zone={} '", self.zone_id.unwrap_or(0));
        self.format_tuple(out, &self.orig, family);
        let _ = write!(out, ",ct_nw_proto={}' '", self.ip_proto);
        self.format_tuple(out, &self.reply, family);
        out.push('\'');
    }

    fn format_tuple(&self, out: &mut String, tuple: &CtTuple, family: Family) {
        let (src, dst) = if family == Family::V4 {
            ("ct_nw_src", "ct_nw_dst")
        } else {
            ("ct_ipv6_src", "ct_ipv6_dst")
        };
        let _ = write!(
            out,
            "{src}={},{dst}={}",
            format_mapped(&tuple.src),
            format_mapped(&tuple.dst)
        );
        if self.is_icmp() {
            let _ = write!(
                out,
                ",icmp_id={},icmp_type={},icmp_code={}",
                tuple.icmp_id, tuple.icmp_type, tuple.icmp_code
            );
        } else {
            let _ = write!(
                out,
                ",ct_tp_src={},ct_tp_dst={}",
                tuple.src_port, tuple.dst_port
            );
        }
    }
}

fn parse_tuple<'a>(
    prop: &Property<'a>,
    tuple: &mut CtTuple,
    family: &mut Family,
) -> Result<(), nom::Err<wire::Fault>> {
    let (_, mut inner) = property::nested(prop)?;
    while !inner.is_empty() {
        let (rest, p) = property::parse(inner)?;
        match p.kind {
            TUPLE_SRC => tuple.src = parse_addr(&p, family)?,
            TUPLE_DST => tuple.dst = parse_addr(&p, family)?,
            TUPLE_SRC_PORT => tuple.src_port = property::value_u16(&p)?.1,
            TUPLE_DST_PORT => tuple.dst_port = property::value_u16(&p)?.1,
            TUPLE_ICMP_ID => tuple.icmp_id = property::value_u16(&p)?.1,
            TUPLE_ICMP_TYPE => tuple.icmp_type = property::value_u8(&p)?.1,
            TUPLE_ICMP_CODE => tuple.icmp_code = property::value_u8(&p)?.1,
            _ => {}
        }
        inner = rest;
    }
    Ok(())
}

/// An address property; all the tuples' addresses must be of one family.
fn parse_addr(prop: &Property<'_>, family: &mut Family) -> Result<[u8; 16], nom::Err<wire::Fault>> {
    let Some(raw) = prop.value.get(..16) else {
        return Err(nom::Err::Failure(wire::Fault(
            BadPropertyCode::BadLen.into(),
        )));
    };
    let mut addr = [0u8; 16];
    addr.copy_from_slice(raw);
    let this = if addr == [0; 16] {
        Family::Unset
    } else if is_v4_mapped(&addr) {
        Family::V4
    } else {
        Family::V6
    };
    if *family != Family::Unset && this != Family::Unset && *family != this {
        return Err(nom::Err::Failure(wire::Fault(
            BadPropertyCode::BadValue.into(),
        )));
    }
    if this != Family::Unset {
        *family = this;
    }
    Ok(addr)
}

fn is_v4_mapped(addr: &[u8; 16]) -> bool {
    addr[..10] == [0; 10] && addr[10..12] == [0xff, 0xff]
}

/// An address as OVS prints a possibly IPv4-mapped one.
fn format_mapped(addr: &[u8; 16]) -> String {
    if is_v4_mapped(addr) {
        Ipv4Addr::new(addr[12], addr[13], addr[14], addr[15]).to_string()
    } else {
        Ipv6Addr::from(*addr).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(msg: NxMessage) {
        let mut out = BytesMut::new();
        msg.encode(&mut out);
        assert_eq!(NxMessage::decode(msg.nx_type(), &out), Ok(msg));
    }

    #[test]
    fn messages_round_trip() {
        round_trip(NxMessage::CtFlushZone { zone_id: 5 });
        round_trip(NxMessage::FlowModTableId { enable: true });
        round_trip(NxMessage::SetControllerId { controller_id: 9 });
        round_trip(NxMessage::SetPacketInFormat(PacketInFormat::NxtPacketIn2));
        let mut src = [0u8; 16];
        src[10..].copy_from_slice(&[0xff, 0xff, 10, 0, 0, 1]);
        let orig = CtTuple {
            src,
            src_port: 5,
            ..CtTuple::default()
        };
        round_trip(NxMessage::CtFlush(CtFlush {
            ip_proto: 6,
            orig,
            zone_id: Some(3),
            ..CtFlush::default()
        }));
    }

    #[test]
    fn ct_flush_pad_must_be_zero() {
        let body = [6, 0, 0, 0, 0, 0, 0, 1];
        assert_eq!(
            NxMessage::decode(NxType::CtFlush, &body),
            Err(BadRequestCode::NxMustBeZero.into())
        );
    }
}
