//! `encap(HEADER[(PROPERTIES)])` (NXAST_ENCAP) and
//! `decap([packet_type(ns=N,type=T)])` (NXAST_DECAP): add or remove an outer
//! header, changing the packet type.
//!
//! Packet types are OpenFlow 1.5's `(namespace << 16) | type`. Of the encap
//! properties only NSH's `md_type` is supported here.

use std::fmt::Write as _;

use bytes::{BufMut, BytesMut};

use crate::error::{BadActionCode, OfpError};

use super::check::CheckCx;
use super::parse::ParseCx;
use super::registry::{ActionType, DecodeCx, Raw};
use super::text::{self, KeyValues, ParseError, ParseResult};
use super::wire::{self, View};

/// Packet types (OVS's `PT_*`).
pub mod packet_type {
    pub const ETH: u32 = 0;
    pub const NSH: u32 = 0x0001_894f;
    pub const MPLS: u32 = 0x0001_8847;
    pub const MPLS_MC: u32 = 0x0001_8848;
    /// Decap's default: whatever the removed header says comes next.
    pub const USE_NEXT_PROTO: u32 = 0x0000_fffe;
    /// Unknown until the packet is seen.
    pub const UNKNOWN: u32 = 0xffff_ffff;
    /// The namespace of Ethertype-named packet types (OFPHTN_ETHERTYPE).
    pub const NS_ETHERTYPE: u16 = 1;
    /// Namespaces OpenFlow defines (OFPHTN_N_TYPES).
    pub const N_NAMESPACES: u16 = 5;

    pub fn ns(pt: u32) -> u16 {
        (pt >> 16) as u16
    }

    pub fn ns_type(pt: u32) -> u16 {
        pt as u16
    }
}

/// The headers `encap` can add: text name, packet type.
const HEADERS: [(&str, u32); 4] = [
    ("ethernet", packet_type::ETH),
    ("nsh", packet_type::NSH),
    ("mpls", packet_type::MPLS),
    ("mpls_mc", packet_type::MPLS_MC),
];

/// NSH property class and its `md_type` property (OFPPPC_NSH,
/// NXPPT_NSH_MD_TYPE), which is 5 bytes long before padding.
const PROP_CLASS_NSH: u16 = 4;
const PROP_NSH_MD_TYPE: u8 = 1;
const PROP_MD_TYPE_LEN: u8 = 5;

fn bad_ed_prop() -> OfpError {
    OfpError::BadAction(BadActionCode::NxBadEdProp)
}

/// `encap(...)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encap {
    pub new_pkt_type: u32,
    /// Carried through from the wire; ovs-ofctl always sends 0.
    pub hdr_size: u16,
    /// NSH metadata type (1 or 2), if given.
    pub nsh_md_type: Option<u8>,
}

impl ActionType for Encap {
    fn decode(_: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        let new_pkt_type = v.u32(12)?;
        if !HEADERS.iter().any(|&(_, pt)| pt == new_pkt_type) {
            return Err(OfpError::BadAction(BadActionCode::NxBadHeaderType));
        }
        let mut a = Encap {
            new_pkt_type,
            hdr_size: v.u16(10)?,
            nsh_md_type: None,
        };
        let mut props = v.rest(16)?;
        while let [c0, c1, ty, len, ..] = *props {
            let (class, len) = (u16::from_be_bytes([c0, c1]), usize::from(len));
            if len < 4 || len > props.len() {
                return Err(bad_ed_prop());
            }
            if class != PROP_CLASS_NSH || ty != PROP_NSH_MD_TYPE {
                return Err(OfpError::BadAction(BadActionCode::NxUnknownEdProp));
            }
            match props.get(4) {
                Some(&md @ (1 | 2)) if len == usize::from(PROP_MD_TYPE_LEN) => {
                    a.nsh_md_type = Some(md)
                }
                _ => return Err(bad_ed_prop()),
            }
            props = props.get(len.next_multiple_of(8)..).unwrap_or_default();
        }
        Ok(a)
    }

    fn encode(&self, out: &mut BytesMut) {
        let start = wire::begin(out, Raw::NxEncap);
        out.put_u16(self.hdr_size);
        out.put_u32(self.new_pkt_type);
        if let Some(md) = self.nsh_md_type {
            out.put_u16(PROP_CLASS_NSH);
            out.put_u8(PROP_NSH_MD_TYPE);
            out.put_u8(PROP_MD_TYPE_LEN);
            out.put_u8(md);
            out.put_bytes(0, 3);
        }
        wire::finish(out, start, Raw::NxEncap);
    }

    fn format(&self, out: &mut String) {
        let name = HEADERS
            .iter()
            .find(|&&(_, pt)| pt == self.new_pkt_type)
            .map_or("", |&(name, _)| name);
        let _ = write!(out, "encap({name}");
        if let Some(md) = self.nsh_md_type {
            let _ = write!(out, "(md_type={md})");
        }
        out.push(')');
    }

    fn ofpact_name(&self) -> &'static str {
        "encap"
    }

    /// OVS's `check_ENCAP()`: the packet type changes, and with it the
    /// Ethertype (for Ethertype-named types) and, off IP, `nw_proto`.
    fn check(&mut self, cx: &mut CheckCx) -> Result<(), ParseError> {
        cx.set_packet_type(self.new_pkt_type);
        if packet_type::ns(self.new_pkt_type) == packet_type::NS_ETHERTYPE {
            cx.set_dl_type(packet_type::ns_type(self.new_pkt_type));
        }
        if !cx.is_ip_any() {
            cx.set_nw_proto(0);
        }
        Ok(())
    }
}

/// `encap(HEADER)` or `encap(nsh(md_type=N))`.
pub(crate) fn parse_encap(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    let (key, value) = KeyValues::new(arg)
        .next()
        .ok_or_else(|| ParseError::msg(format!("Missing encap hdr: {arg}")))?;
    let &(_, new_pkt_type) = HEADERS
        .iter()
        .find(|&&(name, _)| name == key)
        .ok_or_else(|| ParseError::msg(format!("Encap hdr not supported: {value}")))?;
    let mut a = Encap {
        new_pkt_type,
        hdr_size: 0,
        nsh_md_type: None,
    };
    for (prop, prop_value) in KeyValues::new(value) {
        if new_pkt_type != packet_type::NSH || prop != "md_type" {
            return Err(ParseError::msg(format!("Invalid property: {prop}")));
        }
        let md = text::str_to_u8(prop_value, "md_type")?;
        if !matches!(md, 1 | 2) {
            return Err(ParseError::msg("invalid md_type"));
        }
        a.nsh_md_type = Some(md);
    }
    cx.push(a);
    Ok(())
}

/// `decap(...)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decap {
    pub new_pkt_type: u32,
}

impl ActionType for Decap {
    fn decode(_: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        Ok(Decap {
            new_pkt_type: v.u32(12)?,
        })
    }

    fn encode(&self, out: &mut BytesMut) {
        let start = wire::begin(out, Raw::NxDecap);
        out.put_u16(0);
        out.put_u32(self.new_pkt_type);
        wire::finish(out, start, Raw::NxDecap);
    }

    fn format(&self, out: &mut String) {
        out.push_str("decap(");
        if self.new_pkt_type != packet_type::USE_NEXT_PROTO {
            // C's "%#x": zero prints without the 0x.
            let _ = write!(
                out,
                "packet_type(ns={},type={})",
                packet_type::ns(self.new_pkt_type),
                nxm_fields::format::CHex(packet_type::ns_type(self.new_pkt_type).into())
            );
        }
        out.push(')');
    }

    fn ofpact_name(&self) -> &'static str {
        "decap"
    }

    /// OVS's `check_DECAP()`: after removing Ethernet the packet is named by
    /// its Ethertype; after anything else its type is unknown, and so is the
    /// Ethertype.
    fn check(&mut self, cx: &mut CheckCx) -> Result<(), ParseError> {
        if cx.is_ethernet() {
            cx.set_packet_type(
                u32::from(packet_type::NS_ETHERTYPE) << 16 | u32::from(cx.dl_type()),
            );
        } else {
            cx.set_packet_type(packet_type::UNKNOWN);
            cx.set_dl_type(u16::MAX);
        }
        Ok(())
    }
}

/// `decap()` or `decap(packet_type(ns=N,type=T))`.
pub(crate) fn parse_decap(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    let mut new_pkt_type = packet_type::USE_NEXT_PROTO;
    if let Some((key, value)) = KeyValues::new(arg).next() {
        if key != "packet_type" {
            return Err(ParseError::msg(format!("Invalid decap argument: {key}")));
        }
        let mut attrs = KeyValues::new(value);
        let ns = match attrs.next() {
            Some(("ns", ns)) => text::str_to_u16(ns, "ns")?,
            _ => return Err(ParseError::msg("Missing packet_type attribute ns")),
        };
        if ns >= packet_type::N_NAMESPACES {
            return Err(ParseError::msg(format!("Unsupported ns value: {ns}")));
        }
        let ty = match attrs.next() {
            Some(("type", ty)) => text::str_to_u16(ty, "type")?,
            _ => return Err(ParseError::msg("Missing packet_type attribute type")),
        };
        new_pkt_type = u32::from(ns) << 16 | u32::from(ty);
    }
    cx.push(Decap { new_pkt_type });
    Ok(())
}
