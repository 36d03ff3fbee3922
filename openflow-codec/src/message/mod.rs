//! Every OpenFlow 1.3 message and the Nicira extension messages OVS uses in
//! OpenFlow 1.3: decoded from `&[u8]` (with nom), encoded into `BytesMut`, and
//! printed as `ovs-ofctl ofp-print` prints them.
//!
//! Decoding is in two steps, as in OVS. First the headers alone identify the
//! message's [`Kind`] and check its length against the kind's table row
//! ([`types`]); a fault there carries no kind. Then the body is decoded by the
//! message's own module; a fault there names the kind. Either way the fault
//! is the [`OfpError`] OVS would answer with.
//!
//! One file per message family; each holds the message's struct, its
//! decoder, encoder and printer side by side.

pub mod async_config;
pub mod echo;
pub mod error_msg;
pub mod features;
pub mod flow_mod;
pub mod flow_removed;
pub mod group;
pub mod hello;
pub mod meter;
pub mod multipart;
pub mod nicira;
pub mod ofp_match;
pub mod packet_in;
pub mod packet_in2;
pub mod packet_out;
pub mod packet_text;
pub mod port;
pub mod port_mod;
pub mod print;
pub mod property;
pub mod queue_config;
pub mod role;
pub mod switch_config;
pub mod table_mod;
pub mod types;
pub mod wire;

use std::fmt;

use bytes::{BufMut, BytesMut};

use crate::error::{BadRequestCode, OfpError, NX_EXPERIMENTER_ID};
pub use types::{Direction, Kind, MsgType, MultipartType, NxType, OFP13_VERSION};

/// Length of `ofp_header`.
pub const HEADER_LEN: usize = 8;
/// Length of the multipart header after `ofp_header` (type, flags, pad).
const MULTIPART_HEADER_LEN: usize = 8;
/// Length of the experimenter header after `ofp_header` (ID, subtype).
const EXPERIMENTER_HEADER_LEN: usize = 8;
/// `type` of an experimenter multipart message.
const MULTIPART_EXPERIMENTER: u16 = 0xffff;

/// The 8-byte `ofp_header`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub version: u8,
    pub msg_type: u8,
    pub length: u16,
    pub xid: u32,
}

impl Header {
    /// The header at the start of `buf`, if there are 8 bytes.
    pub fn peek(buf: &[u8]) -> Option<Header> {
        let bytes: &[u8; HEADER_LEN] = buf.get(..HEADER_LEN)?.try_into().ok()?;
        Some(Header {
            version: bytes[0],
            msg_type: bytes[1],
            length: u16::from_be_bytes([bytes[2], bytes[3]]),
            xid: u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
        })
    }

    /// Identifies the message from its headers, without checking lengths:
    /// enough to name a truncated message.
    pub fn kind_partial(&self, buf: &[u8]) -> Result<Kind, OfpError> {
        let msg_type = MsgType::from_code(self.msg_type).ok_or(BadRequestCode::BadType)?;
        let immutable = matches!(
            msg_type,
            MsgType::Hello | MsgType::Error | MsgType::EchoRequest | MsgType::EchoReply
        );
        if self.version != OFP13_VERSION && !immutable {
            return Err(BadRequestCode::BadVersion.into());
        }
        let sub = |at: usize| -> Option<&[u8]> { buf.get(HEADER_LEN + at..) };
        match msg_type {
            MsgType::MultipartRequest | MsgType::MultipartReply => {
                let rest = sub(0).filter(|r| r.len() >= MULTIPART_HEADER_LEN);
                let rest = rest.ok_or(BadRequestCode::BadLen)?;
                let code = u16::from_be_bytes([rest[0], rest[1]]);
                if code == MULTIPART_EXPERIMENTER {
                    return Err(experimenter_fault(sub(MULTIPART_HEADER_LEN)));
                }
                let mp = MultipartType::from_code(code).ok_or(BadRequestCode::BadStat)?;
                let dir = if msg_type == MsgType::MultipartRequest {
                    Direction::Request
                } else {
                    Direction::Reply
                };
                Ok(Kind::Multipart(mp, dir))
            }
            MsgType::Experimenter => {
                let rest = sub(0).filter(|r| r.len() >= EXPERIMENTER_HEADER_LEN);
                let rest = rest.ok_or(BadRequestCode::BadLen)?;
                let experimenter = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
                if experimenter != NX_EXPERIMENTER_ID {
                    return Err(BadRequestCode::BadVendor.into());
                }
                let subtype = u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]);
                NxType::from_code(subtype)
                    .map(Kind::Nicira)
                    .ok_or(BadRequestCode::BadSubtype.into())
            }
            _ => Ok(Kind::Plain(msg_type)),
        }
    }

    /// Identifies the whole message `buf` (exactly `length` bytes) and checks
    /// its length as OVS does before looking inside.
    pub fn kind(&self, buf: &[u8]) -> Result<Kind, OfpError> {
        let kind = self.kind_partial(buf)?;
        let (headers, allowed) = match kind {
            Kind::Plain(t) => (HEADER_LEN, t.body_len()),
            Kind::Multipart(t, Direction::Request) => {
                (HEADER_LEN + MULTIPART_HEADER_LEN, t.request_len())
            }
            Kind::Multipart(t, Direction::Reply) => {
                (HEADER_LEN + MULTIPART_HEADER_LEN, t.reply_len())
            }
            Kind::Nicira(t) => (HEADER_LEN + EXPERIMENTER_HEADER_LEN, t.body_len()),
        };
        if buf.len() < headers || !allowed.accepts(buf.len() - headers) {
            return Err(BadRequestCode::BadLen.into());
        }
        Ok(kind)
    }
}

/// Experimenter multipart messages: OVS knows only its own NXST ones, none
/// of which ctswitch implements.
fn experimenter_fault(rest: Option<&[u8]>) -> OfpError {
    match rest {
        Some(r) if r.len() >= 8 => {
            if r[..4] == NX_EXPERIMENTER_ID.to_be_bytes() {
                BadRequestCode::BadSubtype.into()
            } else {
                BadRequestCode::BadVendor.into()
            }
        }
        _ => BadRequestCode::BadLen.into(),
    }
}

/// Why a message could not be decoded: the error OVS would send, and the
/// message's kind when the headers identified it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeError {
    pub kind: Option<Kind>,
    pub error: OfpError,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Some(kind) => write!(f, "{kind}: {}", self.error),
            None => write!(f, "{}", self.error),
        }
    }
}

impl std::error::Error for DecodeError {}

/// One OpenFlow message (without its xid, which belongs to the exchange).
/// Variants with a match are large; messages are built and handled one at
/// a time, so boxing them would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Hello(hello::Hello),
    Error(error_msg::ErrorMsg),
    EchoRequest(echo::Echo),
    EchoReply(echo::Echo),
    FeaturesRequest,
    FeaturesReply(features::FeaturesReply),
    GetConfigRequest,
    GetConfigReply(switch_config::SwitchConfig),
    SetConfig(switch_config::SwitchConfig),
    PortStatus(port::PortStatus),
    PortMod(port_mod::PortMod),
    TableMod(table_mod::TableMod),
    MultipartRequest(multipart::MultipartRequest),
    MultipartReply(multipart::MultipartReply),
    BarrierRequest,
    BarrierReply,
    QueueGetConfigRequest(queue_config::QueueGetConfigRequest),
    QueueGetConfigReply(queue_config::QueueGetConfigReply),
    RoleRequest(role::Role),
    RoleReply(role::Role),
    GetAsyncRequest,
    GetAsyncReply(async_config::AsyncConfig),
    SetAsync(async_config::AsyncConfig),
    MeterMod(meter::MeterMod),
    FlowMod(flow_mod::FlowMod),
    FlowRemoved(flow_removed::FlowRemoved),
    PacketIn(packet_in::PacketIn),
    PacketOut(packet_out::PacketOut),
    GroupMod(group::GroupMod),
    Nicira(nicira::NxMessage),
}

impl Message {
    /// Decodes one whole message: `buf` must be exactly the message's bytes.
    pub fn decode(buf: &[u8]) -> Result<(Header, Message), DecodeError> {
        let fault = |kind, error| DecodeError { kind, error };
        let header = Header::peek(buf).ok_or(fault(None, BadRequestCode::BadLen.into()))?;
        if usize::from(header.length) != buf.len() {
            return Err(fault(None, BadRequestCode::BadLen.into()));
        }
        let kind = header.kind(buf).map_err(|e| fault(None, e))?;
        let body = &buf[HEADER_LEN..];
        let message = Self::decode_body(kind, body).map_err(|e| fault(Some(kind), e))?;
        Ok((header, message))
    }

    fn decode_body(kind: Kind, body: &[u8]) -> Result<Message, OfpError> {
        Ok(match kind {
            Kind::Plain(t) => match t {
                MsgType::Hello => Message::Hello(hello::Hello::decode(body)),
                MsgType::Error => Message::Error(error_msg::ErrorMsg::decode(body)?),
                MsgType::EchoRequest => Message::EchoRequest(echo::Echo::decode(body)),
                MsgType::EchoReply => Message::EchoReply(echo::Echo::decode(body)),
                MsgType::FeaturesRequest => Message::FeaturesRequest,
                MsgType::FeaturesReply => {
                    Message::FeaturesReply(features::FeaturesReply::decode(body)?)
                }
                MsgType::GetConfigRequest => Message::GetConfigRequest,
                MsgType::GetConfigReply => {
                    Message::GetConfigReply(switch_config::SwitchConfig::decode(body)?)
                }
                MsgType::SetConfig => {
                    Message::SetConfig(switch_config::SwitchConfig::decode(body)?)
                }
                MsgType::PortStatus => Message::PortStatus(port::PortStatus::decode(body)?),
                MsgType::PortMod => Message::PortMod(port_mod::PortMod::decode(body)?),
                MsgType::TableMod => Message::TableMod(table_mod::TableMod::decode(body)?),
                MsgType::BarrierRequest => Message::BarrierRequest,
                MsgType::BarrierReply => Message::BarrierReply,
                MsgType::QueueGetConfigRequest => Message::QueueGetConfigRequest(
                    queue_config::QueueGetConfigRequest::decode(body)?,
                ),
                MsgType::QueueGetConfigReply => {
                    Message::QueueGetConfigReply(queue_config::QueueGetConfigReply::decode(body)?)
                }
                MsgType::RoleRequest => Message::RoleRequest(role::Role::decode(body)?),
                MsgType::RoleReply => Message::RoleReply(role::Role::decode(body)?),
                MsgType::GetAsyncRequest => Message::GetAsyncRequest,
                MsgType::GetAsyncReply => {
                    Message::GetAsyncReply(async_config::AsyncConfig::decode(body)?)
                }
                MsgType::SetAsync => Message::SetAsync(async_config::AsyncConfig::decode(body)?),
                MsgType::MeterMod => Message::MeterMod(meter::MeterMod::decode(body)?),
                MsgType::FlowMod => Message::FlowMod(flow_mod::FlowMod::decode(body)?),
                MsgType::FlowRemoved => {
                    Message::FlowRemoved(flow_removed::FlowRemoved::decode(body)?)
                }
                MsgType::PacketIn => Message::PacketIn(packet_in::PacketIn::decode(body)?),
                MsgType::PacketOut => Message::PacketOut(packet_out::PacketOut::decode(body)?),
                MsgType::GroupMod => Message::GroupMod(group::GroupMod::decode(body)?),
                // Identified by their own headers in `Header::kind`.
                MsgType::MultipartRequest | MsgType::MultipartReply | MsgType::Experimenter => {
                    return Err(BadRequestCode::BadType.into())
                }
            },
            Kind::Multipart(t, Direction::Request) => {
                Message::MultipartRequest(multipart::MultipartRequest::decode(t, body)?)
            }
            Kind::Multipart(t, Direction::Reply) => {
                Message::MultipartReply(multipart::MultipartReply::decode(t, body)?)
            }
            Kind::Nicira(t) => Message::Nicira(nicira::NxMessage::decode(
                t,
                &body[EXPERIMENTER_HEADER_LEN..],
            )?),
        })
    }

    /// The message's kind, which names it.
    pub fn kind(&self) -> Kind {
        let plain = Kind::Plain;
        match self {
            Message::Hello(_) => plain(MsgType::Hello),
            Message::Error(_) => plain(MsgType::Error),
            Message::EchoRequest(_) => plain(MsgType::EchoRequest),
            Message::EchoReply(_) => plain(MsgType::EchoReply),
            Message::FeaturesRequest => plain(MsgType::FeaturesRequest),
            Message::FeaturesReply(_) => plain(MsgType::FeaturesReply),
            Message::GetConfigRequest => plain(MsgType::GetConfigRequest),
            Message::GetConfigReply(_) => plain(MsgType::GetConfigReply),
            Message::SetConfig(_) => plain(MsgType::SetConfig),
            Message::PortStatus(_) => plain(MsgType::PortStatus),
            Message::PortMod(_) => plain(MsgType::PortMod),
            Message::TableMod(_) => plain(MsgType::TableMod),
            Message::MultipartRequest(m) => {
                Kind::Multipart(m.body.multipart_type(), Direction::Request)
            }
            Message::MultipartReply(m) => {
                Kind::Multipart(m.body.multipart_type(), Direction::Reply)
            }
            Message::BarrierRequest => plain(MsgType::BarrierRequest),
            Message::BarrierReply => plain(MsgType::BarrierReply),
            Message::QueueGetConfigRequest(_) => plain(MsgType::QueueGetConfigRequest),
            Message::QueueGetConfigReply(_) => plain(MsgType::QueueGetConfigReply),
            Message::RoleRequest(_) => plain(MsgType::RoleRequest),
            Message::RoleReply(_) => plain(MsgType::RoleReply),
            Message::GetAsyncRequest => plain(MsgType::GetAsyncRequest),
            Message::GetAsyncReply(_) => plain(MsgType::GetAsyncReply),
            Message::SetAsync(_) => plain(MsgType::SetAsync),
            Message::MeterMod(_) => plain(MsgType::MeterMod),
            Message::FlowMod(_) => plain(MsgType::FlowMod),
            Message::FlowRemoved(_) => plain(MsgType::FlowRemoved),
            Message::PacketIn(_) => plain(MsgType::PacketIn),
            Message::PacketOut(_) => plain(MsgType::PacketOut),
            Message::GroupMod(_) => plain(MsgType::GroupMod),
            Message::Nicira(m) => Kind::Nicira(m.nx_type()),
        }
    }

    /// Encodes the message as OpenFlow 1.3 with transaction id `xid`.
    pub fn encode(&self, xid: u32, out: &mut BytesMut) {
        let start = out.len();
        let kind = self.kind();
        let msg_type = match kind {
            Kind::Plain(t) => t,
            Kind::Multipart(_, Direction::Request) => MsgType::MultipartRequest,
            Kind::Multipart(_, Direction::Reply) => MsgType::MultipartReply,
            Kind::Nicira(_) => MsgType::Experimenter,
        };
        out.put_u8(OFP13_VERSION);
        out.put_u8(msg_type.code());
        out.put_u16(0);
        out.put_u32(xid);
        match self {
            Message::Hello(m) => m.encode(out),
            Message::Error(m) => m.encode(out),
            Message::EchoRequest(m) | Message::EchoReply(m) => m.encode(out),
            Message::FeaturesReply(m) => m.encode(out),
            Message::GetConfigReply(m) | Message::SetConfig(m) => m.encode(out),
            Message::PortStatus(m) => m.encode(out),
            Message::PortMod(m) => m.encode(out),
            Message::TableMod(m) => m.encode(out),
            Message::MultipartRequest(m) => m.encode(out),
            Message::MultipartReply(m) => m.encode(out),
            Message::QueueGetConfigRequest(m) => m.encode(out),
            Message::QueueGetConfigReply(m) => m.encode(out),
            Message::RoleRequest(m) | Message::RoleReply(m) => m.encode(out),
            Message::GetAsyncReply(m) | Message::SetAsync(m) => m.encode(out),
            Message::MeterMod(m) => m.encode(out),
            Message::FlowMod(m) => m.encode(out),
            Message::FlowRemoved(m) => m.encode(out),
            Message::PacketIn(m) => m.encode(out),
            Message::PacketOut(m) => m.encode(out),
            Message::GroupMod(m) => m.encode(out),
            Message::Nicira(m) => {
                out.put_u32(NX_EXPERIMENTER_ID);
                out.put_u32(m.nx_type().code());
                m.encode(out);
            }
            Message::FeaturesRequest
            | Message::GetConfigRequest
            | Message::BarrierRequest
            | Message::BarrierReply
            | Message::GetAsyncRequest => {}
        }
        wire::patch_len(out, start + 2, start);
    }

    /// Writes what `ovs-ofctl ofp-print` prints after the first line's colon.
    pub fn format_body(&self, header: &Header, out: &mut String) {
        self.format_body_nested(header, out, 0);
    }

    /// [`Message::format_body`] for a message nested `depth` deep in others.
    fn format_body_nested(&self, header: &Header, out: &mut String, depth: usize) {
        match self {
            Message::Hello(m) => m.format(header.version, header.xid, out),
            Message::Error(m) => m.format(out, depth),
            Message::EchoRequest(m) | Message::EchoReply(m) => m.format(out),
            Message::FeaturesReply(m) => m.format(out),
            Message::GetConfigReply(m) | Message::SetConfig(m) => m.format(out),
            Message::PortStatus(m) => m.format(out),
            Message::PortMod(m) => m.format(out),
            Message::TableMod(m) => m.format(out),
            Message::MultipartRequest(m) => m.format(out),
            Message::MultipartReply(m) => m.format(out),
            Message::QueueGetConfigRequest(m) => m.format(out),
            Message::QueueGetConfigReply(m) => m.format(out),
            Message::RoleRequest(m) | Message::RoleReply(m) => m.format(out),
            Message::GetAsyncReply(m) | Message::SetAsync(m) => m.format(out),
            Message::MeterMod(m) => m.format(out),
            Message::FlowMod(m) => m.format(out),
            Message::FlowRemoved(m) => m.format(out),
            Message::PacketIn(m) => m.format(out),
            Message::PacketOut(m) => m.format(out),
            Message::GroupMod(m) => m.format(out),
            Message::Nicira(m) => m.format(out),
            Message::FeaturesRequest
            | Message::GetConfigRequest
            | Message::BarrierRequest
            | Message::BarrierReply
            | Message::GetAsyncRequest => {}
        }
    }
}
#[cfg(test)]
mod proptests;
