//! `controller(...)`: NXAST_CONTROLLER, and NXAST_CONTROLLER2 with its
//! properties (userdata, pause, meter). The plain forms (`controller`,
//! `controller:MAXLEN`, `controller(max_len=N)`) parse into
//! `output:CONTROLLER`, as in OVS.

use std::fmt::Write as _;

use bytes::{BufMut, BytesMut};

use crate::error::{BadPropertyCode, OfpError};

use super::output::Output;
use super::parse::ParseCx;
use super::registry::{ActionType, DecodeCx, Raw};
use super::text::{self, port, KeyValues, ParseError, ParseResult};
use super::wire::{self, View, EXT_HEADER_LEN, MUST_BE_ZERO};

/// No meter: `meter_id`'s default (NX_CTLR_NO_METER), so an explicit
/// `meter_id=0` is no meter either.
pub const NO_METER: u32 = 0;
/// OFPR_ACTION, the default packet-in reason.
pub const REASON_ACTION: u8 = 1;

/// Packet-in reasons by name, as `ofputil_packet_in_reason_to_string()`.
const REASONS: [(&str, u8); 6] = [
    ("no_match", 0),
    ("action", 1),
    ("invalid_ttl", 2),
    ("action_set", 3),
    ("group", 4),
    ("packet_out", 5),
];

/// Sends the packet to the controller(s) with the given options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Controller {
    pub max_len: u16,
    pub controller_id: u16,
    pub reason: u8,
    pub userdata: Vec<u8>,
    pub pause: bool,
    pub meter_id: u32,
    /// It arrived as NXAST_CONTROLLER2, so it goes out as one again.
    pub v2: bool,
}

impl Default for Controller {
    fn default() -> Self {
        Controller {
            max_len: u16::MAX,
            controller_id: 0,
            reason: REASON_ACTION,
            userdata: Vec::new(),
            pause: false,
            meter_id: NO_METER,
            v2: false,
        }
    }
}

/// NXAC2PT_* property types.
mod prop {
    pub const MAX_LEN: u16 = 0;
    pub const CONTROLLER_ID: u16 = 1;
    pub const REASON: u16 = 2;
    pub const USERDATA: u16 = 3;
    pub const PAUSE: u16 = 4;
    pub const METER_ID: u16 = 5;
}

impl Controller {
    fn is_plain(&self) -> bool {
        self.reason == REASON_ACTION
            && self.controller_id == 0
            && self.userdata.is_empty()
            && !self.pause
            && self.meter_id == NO_METER
    }

    fn needs_v2(&self) -> bool {
        self.v2 || !self.userdata.is_empty() || self.pause || self.meter_id != NO_METER
    }

    fn decode_v2(v: View<'_>) -> Result<Self, OfpError> {
        v.expect_zero(EXT_HEADER_LEN, 6, MUST_BE_ZERO)?;
        let mut a = Controller {
            v2: true,
            ..Controller::default()
        };
        let mut props = v.rest(16)?;
        while !props.is_empty() {
            let (kind, payload, rest) = pull_property(props)?;
            props = rest;
            match kind {
                prop::MAX_LEN => a.max_len = be16(payload)?,
                prop::CONTROLLER_ID => a.controller_id = be16(payload)?,
                prop::REASON => a.reason = u8::from_be_bytes(exact(payload)?),
                prop::USERDATA => a.userdata = payload.to_vec(),
                prop::PAUSE => a.pause = true,
                prop::METER_ID => a.meter_id = u32::from_be_bytes(exact(payload)?),
                _ => return Err(OfpError::BadProperty(BadPropertyCode::BadType)),
            }
        }
        Ok(a)
    }
}

/// Splits one OpenFlow property (type, len, payload, padding to 8) off the
/// front of `buf`, as OVS's `ofpprop_pull()`.
fn pull_property(buf: &[u8]) -> Result<(u16, &[u8], &[u8]), OfpError> {
    let bad_len = OfpError::BadProperty(BadPropertyCode::BadLen);
    let header = buf.get(..4).ok_or(bad_len)?;
    let kind = u16::from_be_bytes([header[0], header[1]]);
    let len = usize::from(u16::from_be_bytes([header[2], header[3]]));
    if len < 4 || len > buf.len() {
        return Err(bad_len);
    }
    let padded = len.next_multiple_of(8);
    let rest = buf.get(padded..).ok_or(bad_len)?;
    Ok((kind, &buf[4..len], rest))
}

fn exact<const N: usize>(payload: &[u8]) -> Result<[u8; N], OfpError> {
    payload
        .try_into()
        .map_err(|_| OfpError::BadProperty(BadPropertyCode::BadLen))
}

/// A 16-bit property: OVS writes the value plus two pad bytes, and reads
/// either form.
fn be16(payload: &[u8]) -> Result<u16, OfpError> {
    match payload {
        [hi, lo] | [hi, lo, 0, 0] => Ok(u16::from_be_bytes([*hi, *lo])),
        _ => Err(OfpError::BadProperty(BadPropertyCode::BadLen)),
    }
}

fn padded16(v: u16) -> [u8; 4] {
    let [hi, lo] = v.to_be_bytes();
    [hi, lo, 0, 0]
}

fn put_property(out: &mut BytesMut, kind: u16, payload: &[u8]) {
    let start = out.len();
    out.put_u16(kind);
    out.put_u16(u16::try_from(4 + payload.len()).unwrap_or(u16::MAX));
    out.put_slice(payload);
    wire::pad_to_align(out, start);
}

impl ActionType for Controller {
    fn decode(raw: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        if raw == Raw::NxController2 {
            return Controller::decode_v2(v);
        }
        Ok(Controller {
            max_len: v.u16(10)?,
            controller_id: v.u16(12)?,
            reason: v.u8(14)?,
            ..Controller::default()
        })
    }

    fn encode(&self, out: &mut BytesMut) {
        if !self.needs_v2() {
            let start = wire::begin(out, Raw::NxController);
            out.put_u16(self.max_len);
            out.put_u16(self.controller_id);
            out.put_u8(self.reason);
            wire::finish(out, start, Raw::NxController);
            return;
        }
        let start = wire::begin(out, Raw::NxController2);
        out.put_bytes(0, 6);
        if self.max_len != u16::MAX {
            put_property(out, prop::MAX_LEN, &padded16(self.max_len));
        }
        if self.controller_id != 0 {
            put_property(out, prop::CONTROLLER_ID, &padded16(self.controller_id));
        }
        if self.reason != REASON_ACTION {
            put_property(out, prop::REASON, &[self.reason]);
        }
        if !self.userdata.is_empty() {
            put_property(out, prop::USERDATA, &self.userdata);
        }
        if self.pause {
            put_property(out, prop::PAUSE, &[]);
        }
        if self.meter_id != NO_METER {
            put_property(out, prop::METER_ID, &self.meter_id.to_be_bytes());
        }
        wire::finish(out, start, Raw::NxController2);
    }

    fn format(&self, out: &mut String) {
        if self.is_plain() {
            let _ = write!(out, "CONTROLLER:{}", self.max_len);
            return;
        }
        let mut parts = Vec::new();
        if self.reason != REASON_ACTION {
            let name = REASONS.iter().find(|(_, r)| *r == self.reason);
            parts.push(match name {
                Some((name, _)) => format!("reason={name}"),
                None => format!("reason={}", self.reason),
            });
        }
        if self.max_len != u16::MAX {
            parts.push(format!("max_len={}", self.max_len));
        }
        if self.controller_id != 0 {
            parts.push(format!("id={}", self.controller_id));
        }
        if !self.userdata.is_empty() {
            let mut s = String::from("userdata=");
            text::format_hex_bytes(&self.userdata, &mut s);
            parts.push(s);
        }
        if self.pause {
            parts.push("pause".to_string());
        }
        if self.meter_id != NO_METER {
            parts.push(format!("meter_id={}", self.meter_id));
        }
        let _ = write!(out, "controller({})", parts.join(","));
    }

    fn ofpact_name(&self) -> &'static str {
        "controller"
    }
}

/// `controller`, `controller:MAXLEN`, or `controller(key=value,...)`.
pub(crate) fn parse_controller(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    let mut a = Controller::default();
    // `userdata=` with no bytes still makes an NXAST_CONTROLLER.
    let mut userdata_given = false;
    if arg.is_empty() {
        // All defaults.
    } else if arg.bytes().all(|b| b.is_ascii_digit()) {
        a.max_len = text::str_to_u16(arg, "max_len")?;
    } else {
        for (key, value) in KeyValues::new(arg) {
            match key {
                "reason" => {
                    a.reason = REASONS
                        .iter()
                        .find(|(name, _)| *name == value)
                        .map(|&(_, r)| r)
                        .ok_or_else(|| ParseError::msg(format!("unknown reason \"{value}\"")))?;
                }
                "max_len" => a.max_len = text::str_to_u16(value, "max_len")?,
                "id" => a.controller_id = text::str_to_u16(value, "id")?,
                "userdata" => {
                    userdata_given = true;
                    a.userdata = text::parse_hex_bytes(value).ok_or_else(|| {
                        ParseError::msg("bad hex digit in `controller' action `userdata'")
                    })?;
                }
                "pause" => a.pause = true,
                "meter_id" => a.meter_id = text::str_to_u32(value)?,
                _ => {
                    return Err(ParseError::msg(format!(
                        "unknown key \"{key}\" parsing controller action"
                    )))
                }
            }
        }
    }
    if a.is_plain() && !userdata_given {
        cx.push(Output {
            port: port::CONTROLLER,
            max_len: a.max_len,
        });
    } else {
        cx.push(a);
    }
    Ok(())
}
