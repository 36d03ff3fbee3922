//! The OpenFlow 1.0/1.1 "set one header field" actions (`mod_dl_src:`,
//! `mod_nw_dst:`, `mod_nw_tos:`, `mod_tp_src:`, `set_mpls_label(N)` ...).
//! ovs-ofctl still reads them as text, and OVS still decodes their
//! deprecated OpenFlow 1.3 wire types; either way OVS sends them in
//! OpenFlow 1.3 as set-fields, except an L4 port on a flow that does not say
//! which L4 protocol it is.
//!
//! They differ from a plain `set_field` in their match checks: a missing
//! prerequisite only makes them inconsistent (`no usable protocol`) instead
//! of invalid. Which set-field an L4 port becomes depends on the match's
//! `nw_proto`, which the check records (as OVS's `check_set_l4_port()`
//! does) for the encoder.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use bytes::{BufMut, BytesMut};
use nxm_fields::{FieldId, Value};

use crate::error::{BadActionCode, OfpError};

use super::check::{CheckCx, ETH_TYPE_IP, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP};
use super::parse::ParseCx;
use super::registry::{ActionType, DecodeCx, Raw};
use super::text::{self, ParseError, ParseResult};
use super::vlan::put_set_field;
use super::wire::{self, View};

/// Which header field, and its new value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacySet {
    EthSrc([u8; 6]),
    EthDst([u8; 6]),
    Ipv4Src(Ipv4Addr),
    Ipv4Dst(Ipv4Addr),
    /// The DSCP bits in TOS position (a multiple of 4).
    Tos(u8),
    Ecn(u8),
    TpSrc(L4Port),
    TpDst(L4Port),
    MplsLabel(u32),
    MplsTc(u8),
}

/// An L4 port and the IP protocol the match says the flow has (0 until
/// checked, and for decoded actions, which then keep their OpenFlow 1.0
/// form).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L4Port {
    pub port: u16,
    pub flow_ip_proto: u8,
}

impl L4Port {
    fn new(port: u16) -> Self {
        L4Port {
            port,
            flow_ip_proto: 0,
        }
    }

    /// The set-field OVS sends for it in OpenFlow 1.2+: the port field of the
    /// flow's L4 protocol, if known.
    fn field(&self, src: bool) -> Option<FieldId> {
        Some(match (self.flow_ip_proto, src) {
            (IPPROTO_TCP, true) => FieldId::TcpSrc,
            (IPPROTO_TCP, false) => FieldId::TcpDst,
            (IPPROTO_UDP, true) => FieldId::UdpSrc,
            (IPPROTO_UDP, false) => FieldId::UdpDst,
            (IPPROTO_SCTP, true) => FieldId::SctpSrc,
            (IPPROTO_SCTP, false) => FieldId::SctpDst,
            _ => return None,
        })
    }
}

fn bad_argument() -> OfpError {
    OfpError::BadAction(BadActionCode::BadArgument)
}

impl ActionType for LegacySet {
    fn decode(raw: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        Ok(match raw {
            Raw::OfSetDlSrc => LegacySet::EthSrc(v.array(4)?),
            Raw::OfSetDlDst => LegacySet::EthDst(v.array(4)?),
            Raw::OfSetNwSrc => LegacySet::Ipv4Src(Ipv4Addr::from(v.u32(4)?)),
            Raw::OfSetNwDst => LegacySet::Ipv4Dst(Ipv4Addr::from(v.u32(4)?)),
            Raw::OfSetNwTos => {
                let tos = v.u8(4)?;
                if tos & !0xfc != 0 {
                    return Err(bad_argument());
                }
                LegacySet::Tos(tos)
            }
            Raw::Of11SetNwEcn => {
                let ecn = v.u8(4)?;
                if ecn & !3 != 0 {
                    return Err(bad_argument());
                }
                LegacySet::Ecn(ecn)
            }
            Raw::OfSetTpSrc => LegacySet::TpSrc(L4Port::new(v.u16(4)?)),
            Raw::OfSetTpDst => LegacySet::TpDst(L4Port::new(v.u16(4)?)),
            Raw::OfSetMplsLabel => LegacySet::MplsLabel(v.u32(4)?),
            _ => LegacySet::MplsTc(v.u8(4)?),
        })
    }

    fn encode(&self, out: &mut BytesMut) {
        let mac = |m: &[u8; 6]| {
            m.iter()
                .fold(0, |acc: Value, &b| (acc << 8) | Value::from(b))
        };
        let (id, value) = match *self {
            LegacySet::EthSrc(m) => (FieldId::EthSrc, mac(&m)),
            LegacySet::EthDst(m) => (FieldId::EthDst, mac(&m)),
            LegacySet::Ipv4Src(a) => (FieldId::Ipv4Src, Value::from(u32::from(a))),
            LegacySet::Ipv4Dst(a) => (FieldId::Ipv4Dst, Value::from(u32::from(a))),
            LegacySet::Tos(tos) => (FieldId::IpDscp, Value::from(tos >> 2)),
            LegacySet::Ecn(ecn) => (FieldId::IpEcn, Value::from(ecn)),
            LegacySet::MplsLabel(l) => (FieldId::MplsLabel, Value::from(l)),
            LegacySet::MplsTc(tc) => (FieldId::MplsTc, Value::from(tc)),
            LegacySet::TpSrc(p) => return put_tp(out, Raw::OfSetTpSrc, p, true),
            LegacySet::TpDst(p) => return put_tp(out, Raw::OfSetTpDst, p, false),
        };
        put_set_field(out, id, value);
    }

    fn format(&self, out: &mut String) {
        let mac = |m: &[u8; 6]| {
            m.iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(":")
        };
        let _ = match self {
            LegacySet::EthSrc(m) => write!(out, "mod_dl_src:{}", mac(m)),
            LegacySet::EthDst(m) => write!(out, "mod_dl_dst:{}", mac(m)),
            LegacySet::Ipv4Src(a) => write!(out, "mod_nw_src:{a}"),
            LegacySet::Ipv4Dst(a) => write!(out, "mod_nw_dst:{a}"),
            LegacySet::Tos(t) => write!(out, "mod_nw_tos:{t}"),
            LegacySet::Ecn(e) => write!(out, "mod_nw_ecn:{e}"),
            LegacySet::TpSrc(p) => write!(out, "mod_tp_src:{}", p.port),
            LegacySet::TpDst(p) => write!(out, "mod_tp_dst:{}", p.port),
            LegacySet::MplsLabel(l) => write!(out, "set_mpls_label({l})"),
            LegacySet::MplsTc(t) => write!(out, "set_mpls_tc({t})"),
        };
    }

    fn ofpact_name(&self) -> &'static str {
        match self {
            LegacySet::EthSrc(_) => "mod_dl_src",
            LegacySet::EthDst(_) => "mod_dl_dst",
            LegacySet::Ipv4Src(_) => "mod_nw_src",
            LegacySet::Ipv4Dst(_) => "mod_nw_dst",
            LegacySet::Tos(_) => "mod_nw_tos",
            LegacySet::Ecn(_) => "mod_nw_ecn",
            LegacySet::TpSrc(_) => "mod_tp_src",
            LegacySet::TpDst(_) => "mod_tp_dst",
            LegacySet::MplsLabel(_) => "set_mpls_label",
            LegacySet::MplsTc(_) => "set_mpls_tc",
        }
    }

    fn check(&mut self, cx: &mut CheckCx) -> Result<(), ParseError> {
        if let LegacySet::TpSrc(p) | LegacySet::TpDst(p) = self {
            p.flow_ip_proto = cx.nw_proto();
        }
        let ok = match self {
            LegacySet::EthSrc(_) | LegacySet::EthDst(_) => true,
            LegacySet::Ipv4Src(_) | LegacySet::Ipv4Dst(_) => cx.dl_type() == ETH_TYPE_IP,
            LegacySet::Tos(_) | LegacySet::Ecn(_) => cx.is_ip_any(),
            LegacySet::TpSrc(_) | LegacySet::TpDst(_) => {
                cx.is_ip_any()
                    && !cx.is_later_fragment()
                    && matches!(cx.nw_proto(), IPPROTO_TCP | IPPROTO_UDP | IPPROTO_SCTP)
            }
            LegacySet::MplsLabel(_) | LegacySet::MplsTc(_) => cx.is_mpls(),
        };
        if !ok {
            cx.inconsistent();
        }
        Ok(())
    }
}

fn put_tp(out: &mut BytesMut, raw: Raw, port: L4Port, src: bool) {
    match port.field(src) {
        Some(id) => put_set_field(out, id, Value::from(port.port)),
        None => {
            let start = wire::begin(out, raw);
            out.put_u16(port.port);
            wire::finish(out, start, raw);
        }
    }
}

/// OVS's `str_to_mac()`: six colon-separated hex octets, read as in matches
/// except that, like `sscanf`, it ignores what follows the sixth octet.
fn parse_mac(s: &str) -> ParseResult<[u8; 6]> {
    let scanned = match s.match_indices(':').nth(4) {
        Some((colon, _)) => {
            let last = &s[colon + 1..];
            let sign = usize::from(last.starts_with(['+', '-']));
            let body = &last[sign..];
            let has_0x = body.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("0x"));
            if has_0x && !body[2..].starts_with(|c: char| c.is_ascii_hexdigit()) {
                // glibc's scanf fails on a 0x with no digit after it.
                return Err(ParseError::msg(format!("invalid mac address {s}")));
            }
            let prefix = if has_0x { 2 } else { 0 };
            let digits = body[prefix..]
                .find(|c: char| !c.is_ascii_hexdigit())
                .unwrap_or(body.len() - prefix);
            &s[..colon + 1 + sign + prefix + digits]
        }
        None => s,
    };
    let mac = nxm_fields::format::parse_ethernet(scanned)
        .ok_or_else(|| ParseError::msg(format!("invalid mac address {s}")))?;
    let [_, _, a, b, c, d, e, f] = (mac as u64).to_be_bytes();
    Ok([a, b, c, d, e, f])
}

fn parse_ip(s: &str) -> ParseResult<Ipv4Addr> {
    s.parse()
        .map_err(|_| ParseError::msg(format!("{s}: could not convert to IP address")))
}

pub(crate) fn parse_mod_dl_src(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    cx.push(LegacySet::EthSrc(parse_mac(arg)?));
    Ok(())
}

pub(crate) fn parse_mod_dl_dst(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    cx.push(LegacySet::EthDst(parse_mac(arg)?));
    Ok(())
}

pub(crate) fn parse_mod_nw_src(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    cx.push(LegacySet::Ipv4Src(parse_ip(arg)?));
    Ok(())
}

pub(crate) fn parse_mod_nw_dst(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    cx.push(LegacySet::Ipv4Dst(parse_ip(arg)?));
    Ok(())
}

pub(crate) fn parse_mod_nw_tos(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    let tos = text::str_to_u8(arg, "TOS")?;
    if tos & !0xfc != 0 {
        return Err(ParseError::msg(format!("{arg}: not a valid TOS")));
    }
    cx.push(LegacySet::Tos(tos));
    Ok(())
}

pub(crate) fn parse_mod_nw_ecn(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    let ecn = text::str_to_u8(arg, "ECN")?;
    if ecn & !3 != 0 {
        return Err(ParseError::msg(format!("{arg}: not a valid ECN")));
    }
    cx.push(LegacySet::Ecn(ecn));
    Ok(())
}

pub(crate) fn parse_mod_tp_src(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    cx.push(LegacySet::TpSrc(L4Port::new(text::str_to_u16(
        arg,
        "source port",
    )?)));
    Ok(())
}

pub(crate) fn parse_mod_tp_dst(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    cx.push(LegacySet::TpDst(L4Port::new(text::str_to_u16(
        arg,
        "destination port",
    )?)));
    Ok(())
}

pub(crate) fn parse_set_mpls_label(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    if arg.is_empty() {
        return Err(ParseError::msg("set_mpls_label: expected label."));
    }
    let label = text::str_to_u32(arg)?;
    if label & !0xfffff != 0 {
        return Err(ParseError::msg(format!("{arg}: not a valid MPLS label")));
    }
    cx.push(LegacySet::MplsLabel(label));
    Ok(())
}

pub(crate) fn parse_set_mpls_tc(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    if arg.is_empty() {
        return Err(ParseError::msg("set_mpls_tc: expected tc."));
    }
    let tc = text::str_to_u8(arg, "MPLS TC")?;
    if tc & !7 != 0 {
        return Err(ParseError::msg(format!("{arg}: not a valid MPLS TC")));
    }
    cx.push(LegacySet::MplsTc(tc));
    Ok(())
}
