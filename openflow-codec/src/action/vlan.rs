//! VLAN actions: `push_vlan:ETHERTYPE`, `pop_vlan`/`strip_vlan`, and
//! OpenFlow 1.1's set-VLAN-VID/PCP, which OpenFlow 1.3 deprecates but OVS
//! still decodes (and re-sends as set-fields).

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

    fn check(&self, cx: &mut CheckCx) -> Result<(), ParseError> {
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

    fn check(&self, cx: &mut CheckCx) -> Result<(), ParseError> {
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

/// OpenFlow 1.1 set-VLAN-VID (type 1): OVS prints `set_vlan_vid:N` and
/// re-sends it as a set-field of `vlan_vid` with the present bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetVlanVid {
    pub vid: u16,
}

impl ActionType for SetVlanVid {
    fn decode(_: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        let vid = v.u16(4)?;
        if vid & !0x0fff != 0 {
            return Err(OfpError::BadAction(BadActionCode::BadArgument));
        }
        Ok(SetVlanVid { vid })
    }

    fn encode(&self, out: &mut BytesMut) {
        put_set_field(out, FieldId::VlanVid, Value::from(self.vid | VLAN_CFI));
    }

    fn format(&self, out: &mut String) {
        let _ = write!(out, "set_vlan_vid:{}", self.vid);
    }

    fn ofpact_name(&self) -> &'static str {
        "set_vlan_vid"
    }

    fn check(&self, cx: &mut CheckCx) -> Result<(), ParseError> {
        if !cx.has_vlan() {
            cx.inconsistent();
        }
        cx.set_vlan_tci(cx.vlan_tci() | VLAN_CFI);
        Ok(())
    }
}

/// OpenFlow 1.1 set-VLAN-PCP (type 2), printed `set_vlan_pcp:N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetVlanPcp {
    pub pcp: u8,
}

impl ActionType for SetVlanPcp {
    fn decode(_: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        let pcp = v.u8(4)?;
        if pcp & !7 != 0 {
            return Err(OfpError::BadAction(BadActionCode::BadArgument));
        }
        Ok(SetVlanPcp { pcp })
    }

    fn encode(&self, out: &mut BytesMut) {
        put_set_field(out, FieldId::VlanPcp, Value::from(self.pcp));
    }

    fn format(&self, out: &mut String) {
        let _ = write!(out, "set_vlan_pcp:{}", self.pcp);
    }

    fn ofpact_name(&self) -> &'static str {
        "set_vlan_pcp"
    }

    fn check(&self, cx: &mut CheckCx) -> Result<(), ParseError> {
        if !cx.has_vlan() {
            cx.inconsistent();
        }
        cx.set_vlan_tci(cx.vlan_tci() | VLAN_CFI);
        Ok(())
    }
}

/// An OFPAT_SET_FIELD of a whole field, as OVS re-encodes the deprecated
/// OpenFlow 1.1 set actions in OpenFlow 1.3.
pub(crate) fn put_set_field(out: &mut BytesMut, id: FieldId, value: Value) {
    let start = wire::begin(out, Raw::OfSetField);
    wf::put_entry(out, field(id), value, None, wf::Naming::Oxm);
    wire::finish(out, start, Raw::OfSetField);
}
