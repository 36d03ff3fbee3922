//! VLAN actions: `push_vlan:ETHERTYPE`, `pop_vlan`/`strip_vlan`, and
//! OpenFlow 1.1's set-VLAN-VID/PCP, which OpenFlow 1.3 deprecates but OVS
//! still decodes and ovs-ofctl still reads as `set_vlan_*`/`mod_vlan_*`
//! (and which it re-sends as set-fields).

use std::fmt::Write as _;

use bytes::{BufMut, BytesMut};
use nxm_fields::{field, FieldId, Value};

use crate::error::{BadActionCode, OfpError};

use super::check::{CheckCx, VLAN_CFI};
use super::field as wf;
use super::parse::ParseCx;
use super::registry::{ActionType, DecodeCx, Raw};
use super::text::{self, ParseError, ParseResult};
use super::wire::{self, View};

fn is_vlan_ethertype(t: u16) -> bool {
    t == 0x8100 || t == 0x88a8
}

/// `push_vlan:ETHERTYPE` (0x8100 or 0x88a8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushVlan {
    pub ethertype: u16,
}

impl ActionType for PushVlan {
    fn decode(_: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        let ethertype = v.u16(4)?;
        if !is_vlan_ethertype(ethertype) {
            return Err(OfpError::BadAction(BadActionCode::BadArgument));
        }
        Ok(PushVlan { ethertype })
    }

    fn encode(&self, out: &mut BytesMut) {
        let start = wire::begin(out, Raw::Of11PushVlan);
        out.put_u16(self.ethertype);
        wire::finish(out, start, Raw::Of11PushVlan);
    }

    fn format(&self, out: &mut String) {
        let _ = write!(out, "push_vlan:{:#x}", self.ethertype);
    }

    fn ofpact_name(&self) -> &'static str {
        "push_vlan"
    }

    fn check(&mut self, cx: &mut CheckCx) -> Result<(), ParseError> {
        cx.push_vlan()
    }
}

pub(crate) fn parse_push_vlan(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    let ethertype = text::str_to_u16(arg, "ethertype")?;
    if !is_vlan_ethertype(ethertype) {
        return Err(ParseError::msg(format!(
            "{arg}: not a valid VLAN ethertype"
        )));
    }
    cx.push(PushVlan { ethertype });
    Ok(())
}

/// `pop_vlan` (ovs-ofctl also reads `strip_vlan`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PopVlan;

impl ActionType for PopVlan {
    fn decode(_: Raw, _: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        Ok(PopVlan)
    }

    fn encode(&self, out: &mut BytesMut) {
        let start = wire::begin(out, Raw::Of11PopVlan);
        wire::finish(out, start, Raw::Of11PopVlan);
    }

    fn format(&self, out: &mut String) {
        out.push_str("pop_vlan");
    }

    fn ofpact_name(&self) -> &'static str {
        "strip_vlan"
    }

    fn check(&mut self, cx: &mut CheckCx) -> Result<(), ParseError> {
        if !cx.has_vlan() {
            cx.inconsistent();
        }
        cx.pop_vlan();
        Ok(())
    }
}

pub(crate) fn parse_pop_vlan(_: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    cx.push(PopVlan);
    Ok(())
}

/// The Ethertype `mod_vlan_vid`/`mod_vlan_pcp` push when the flow has no
/// VLAN header.
const ETH_TYPE_VLAN_8021Q: u16 = 0x8100;

/// What `mod_vlan_vid:`/`mod_vlan_pcp:` add to their `set_*` forms: push an
/// 802.1Q header first unless the flow's match says one is there. As in OVS,
/// the match is looked at in the check ([`resolve_against_match`]), which
/// records its finding for the encoder.
///
/// [`resolve_against_match`]: super::resolve_against_match
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PushIfNeeded {
    /// The text said `mod_vlan_*` rather than `set_vlan_*` (never true for a
    /// decoded action).
    pub wanted: bool,
    /// What the check found in the match; false until checked, so an
    /// unchecked `mod_vlan_*` pushes, as OVS's would.
    pub flow_has_vlan: bool,
}

impl PushIfNeeded {
    fn encode(&self, out: &mut BytesMut) {
        if self.wanted && !self.flow_has_vlan {
            PushVlan {
                ethertype: ETH_TYPE_VLAN_8021Q,
            }
            .encode(out);
        }
    }

    /// OVS's `check_SET_VLAN_VID()`/`check_SET_VLAN_PCP()`: without a VLAN
    /// in the match only the pushing form is consistent; either way a VLAN
    /// is present afterwards.
    fn check(&mut self, cx: &mut CheckCx) {
        self.flow_has_vlan = cx.has_vlan();
        if !self.flow_has_vlan && !self.wanted {
            cx.inconsistent();
        }
        cx.set_vlan_tci(cx.vlan_tci() | VLAN_CFI);
    }

    fn keyword(&self, what: &str) -> String {
        let verb = if self.wanted { "mod" } else { "set" };
        format!("{verb}_vlan_{what}")
    }
}

/// OpenFlow 1.1 set-VLAN-VID (type 1), and ovs-ofctl's `set_vlan_vid:N` and
/// `mod_vlan_vid:N`: OVS sends it in OpenFlow 1.3 as a set-field of
/// `vlan_vid` with the present bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetVlanVid {
    pub vid: u16,
    pub push: PushIfNeeded,
}

impl ActionType for SetVlanVid {
    fn decode(_: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        let vid = v.u16(4)?;
        if vid & !0x0fff != 0 {
            return Err(OfpError::BadAction(BadActionCode::BadArgument));
        }
        Ok(SetVlanVid {
            vid,
            push: PushIfNeeded::default(),
        })
    }

    fn encode(&self, out: &mut BytesMut) {
        self.push.encode(out);
        put_set_field(out, FieldId::VlanVid, Value::from(self.vid | VLAN_CFI));
    }

    fn format(&self, out: &mut String) {
        let _ = write!(out, "{}:{}", self.push.keyword("vid"), self.vid);
    }

    fn ofpact_name(&self) -> &'static str {
        "set_vlan_vid"
    }

    fn check(&mut self, cx: &mut CheckCx) -> Result<(), ParseError> {
        self.push.check(cx);
        Ok(())
    }
}

/// OpenFlow 1.1 set-VLAN-PCP (type 2), and ovs-ofctl's `set_vlan_pcp:N` and
/// `mod_vlan_pcp:N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetVlanPcp {
    pub pcp: u8,
    pub push: PushIfNeeded,
}

impl ActionType for SetVlanPcp {
    fn decode(_: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        let pcp = v.u8(4)?;
        if pcp & !7 != 0 {
            return Err(OfpError::BadAction(BadActionCode::BadArgument));
        }
        Ok(SetVlanPcp {
            pcp,
            push: PushIfNeeded::default(),
        })
    }

    fn encode(&self, out: &mut BytesMut) {
        self.push.encode(out);
        put_set_field(out, FieldId::VlanPcp, Value::from(self.pcp));
    }

    fn format(&self, out: &mut String) {
        let _ = write!(out, "{}:{}", self.push.keyword("pcp"), self.pcp);
    }

    fn ofpact_name(&self) -> &'static str {
        "set_vlan_pcp"
    }

    fn check(&mut self, cx: &mut CheckCx) -> Result<(), ParseError> {
        self.push.check(cx);
        Ok(())
    }
}

fn parse_vid(arg: &str, wanted: bool, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    let vid = text::str_to_u16(arg, "VLAN VID")?;
    if vid & !0x0fff != 0 {
        return Err(ParseError::msg(format!("{arg}: not a valid VLAN VID")));
    }
    cx.push(SetVlanVid {
        vid,
        push: PushIfNeeded {
            wanted,
            flow_has_vlan: false,
        },
    });
    Ok(())
}

fn parse_pcp(arg: &str, wanted: bool, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    let pcp = text::str_to_u8(arg, "VLAN PCP")?;
    if pcp & !7 != 0 {
        return Err(ParseError::msg(format!("{arg}: not a valid VLAN PCP")));
    }
    cx.push(SetVlanPcp {
        pcp,
        push: PushIfNeeded {
            wanted,
            flow_has_vlan: false,
        },
    });
    Ok(())
}

/// `set_vlan_vid:N`: the flow must already have a VLAN header.
pub(crate) fn parse_set_vlan_vid(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    parse_vid(arg, false, cx)
}

/// `mod_vlan_vid:N`: pushes a VLAN header if the flow has none.
pub(crate) fn parse_mod_vlan_vid(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    parse_vid(arg, true, cx)
}

pub(crate) fn parse_set_vlan_pcp(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    parse_pcp(arg, false, cx)
}

pub(crate) fn parse_mod_vlan_pcp(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    parse_pcp(arg, true, cx)
}

/// An OFPAT_SET_FIELD of a whole field, as OVS re-encodes the deprecated
/// OpenFlow 1.1 set actions in OpenFlow 1.3.
pub(crate) fn put_set_field(out: &mut BytesMut, id: FieldId, value: Value) {
    let start = wire::begin(out, Raw::OfSetField);
    wf::put_entry(out, field(id), value, None, wf::Naming::Oxm);
    wire::finish(out, start, Raw::OfSetField);
}
