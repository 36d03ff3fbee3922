//! NXT_PACKET_IN2 and NXT_RESUME: Nicira's property-based packet-in, and
//! the message a controller sends back to resume a paused pipeline (the
//! same properties, continuation included).

use std::fmt::Write;

use bytes::BytesMut;
use nxm_fields::Match;

use super::packet_out::NO_BUFFER;
use super::packet_text::packet_to_string;
use super::property::{self, Property};
use super::wire;
use crate::error::{BadPropertyCode, OfpError};

const NXPINT_PACKET: u16 = 0;
const NXPINT_FULL_LEN: u16 = 1;
const NXPINT_BUFFER_ID: u16 = 2;
const NXPINT_TABLE_ID: u16 = 3;
const NXPINT_COOKIE: u16 = 4;
const NXPINT_REASON: u16 = 5;
const NXPINT_METADATA: u16 = 6;
const NXPINT_USERDATA: u16 = 7;
const NXPINT_CONTINUATION: u16 = 8;

/// Reason names by value, as OVS prints them.
const REASONS: [&str; 6] = [
    "no_match",
    "action",
    "invalid_ttl",
    "action_set",
    "group",
    "packet_out",
];

/// The properties of a packet-in2 or resume. Absent properties are `None`
/// (the metadata match is then empty); the continuation is OVS's private
/// state, kept as received.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PacketIn2 {
    pub packet: Vec<u8>,
    pub full_len: Option<u32>,
    pub buffer_id: Option<u32>,
    pub table_id: Option<u8>,
    pub cookie: Option<u64>,
    pub reason: Option<u8>,
    pub metadata: Option<Match>,
    pub userdata: Option<Vec<u8>>,
    pub continuation: Option<Vec<u8>>,
}

impl PacketIn2 {
    /// Decodes the properties. Like OVS, unknown properties are skipped and
    /// a message without a packet is a length fault.
    pub fn decode(body: &[u8]) -> Result<PacketIn2, OfpError> {
        let mut pin = PacketIn2::default();
        let mut has_packet = false;
        let mut input = body;
        while !input.is_empty() {
            let (rest, prop) = property::parse(input).map_err(wire::to_ofp_error)?;
            pin.apply(&prop, &mut has_packet)?;
            input = rest;
        }
        if !has_packet {
            return Err(BadPropertyCode::BadLen.into());
        }
        Ok(pin)
    }

    fn apply(&mut self, prop: &Property<'_>, has_packet: &mut bool) -> Result<(), OfpError> {
        let bad_len = || OfpError::from(BadPropertyCode::BadLen);
        let v = prop.value;
        match prop.kind {
            NXPINT_PACKET => {
                self.packet = v.to_vec();
                *has_packet = true;
            }
            NXPINT_FULL_LEN => self.full_len = Some(be_u32(v).ok_or_else(bad_len)?),
            NXPINT_BUFFER_ID => self.buffer_id = Some(be_u32(v).ok_or_else(bad_len)?),
            NXPINT_TABLE_ID => self.table_id = Some(*v.first().ok_or_else(bad_len)?),
            NXPINT_COOKIE => {
                // Four bytes of pad, then the cookie.
                let raw: [u8; 8] = v
                    .get(4..12)
                    .and_then(|s| s.try_into().ok())
                    .ok_or_else(bad_len)?;
                self.cookie = Some(u64::from_be_bytes(raw));
            }
            NXPINT_REASON => self.reason = Some(*v.first().ok_or_else(bad_len)?),
            NXPINT_METADATA => self.metadata = Some(Match::decode_oxm_fields(v)?),
            NXPINT_USERDATA => self.userdata = Some(v.to_vec()),
            NXPINT_CONTINUATION => self.continuation = Some(v.to_vec()),
            _ => {}
        }
        Ok(())
    }

    pub fn encode(&self, out: &mut BytesMut) {
        property::put(out, NXPINT_PACKET, &self.packet);
        if let Some(len) = self.full_len {
            property::put(out, NXPINT_FULL_LEN, &len.to_be_bytes());
        }
        if let Some(id) = self.buffer_id {
            property::put(out, NXPINT_BUFFER_ID, &id.to_be_bytes());
        }
        if let Some(table_id) = self.table_id {
            property::put(out, NXPINT_TABLE_ID, &[table_id]);
        }
        if let Some(cookie) = self.cookie {
            let mut value = [0u8; 12];
            value[4..].copy_from_slice(&cookie.to_be_bytes());
            property::put(out, NXPINT_COOKIE, &value);
        }
        if let Some(reason) = self.reason {
            property::put(out, NXPINT_REASON, &[reason]);
        }
        if let Some(metadata) = &self.metadata {
            let mut fields = BytesMut::new();
            metadata.encode_oxm_fields(&mut fields);
            property::put(out, NXPINT_METADATA, &fields);
        }
        if let Some(continuation) = &self.continuation {
            property::put(out, NXPINT_CONTINUATION, continuation);
        }
        if let Some(userdata) = &self.userdata {
            property::put(out, NXPINT_USERDATA, userdata);
        }
    }

    /// OVS's packet-in description: metadata, user data, then the frame.
    /// OVS also prints the continuation's private state (bridge, stack,
    /// actions), which this printer leaves out.
    pub fn format(&self, out: &mut String) {
        if let Some(table_id) = self.table_id.filter(|&t| t != 0) {
            let _ = write!(out, " table_id={table_id}");
        }
        if let Some(cookie) = self.cookie.filter(|&c| c != u64::MAX) {
            let _ = write!(out, " cookie={cookie:#x}");
        }
        let total_len = self.full_len.map_or(self.packet.len(), |l| l as usize);
        let metadata = self
            .metadata
            .as_ref()
            .map(Match::to_string)
            .unwrap_or_default();
        let _ = write!(out, " total_len={total_len} {metadata}");
        let reason = self.reason.unwrap_or(0);
        match REASONS.get(usize::from(reason)) {
            Some(name) => {
                let _ = write!(out, " (via {name})");
            }
            None => {
                let _ = write!(out, " (via {reason})");
            }
        }
        let _ = write!(out, " data_len={}", self.packet.len());
        match self.buffer_id.filter(|&b| b != NO_BUFFER) {
            None => {
                out.push_str(" (unbuffered)");
                if total_len != self.packet.len() {
                    out.push_str(" (***total_len != data_len***)");
                }
            }
            Some(id) => {
                let _ = write!(out, " buffer=0x{id:08x}");
                if total_len < self.packet.len() {
                    out.push_str(" (***total_len < data_len***)");
                }
            }
        }
        out.push('\n');
        if let Some(userdata) = self.userdata.as_ref().filter(|u| !u.is_empty()) {
            let hex: Vec<String> = userdata.iter().map(|b| format!("{b:02x}")).collect();
            let _ = writeln!(out, " userdata={}", hex.join("."));
        }
        out.push_str(&packet_to_string(&self.packet));
    }
}

fn be_u32(v: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(v.get(..4)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    // A paused packet-in from OVS 3.1 (controller(userdata=01.02.03,pause)).
    const OVS_PIN2: &str = "00000026505400000001505400000002080045000014000000004000f9e70a0000010a0000020000000300050000000000040010000000000000000000000000000500050100000000060014800000040000000100010604000000050000000000080040000000008000001474f2ca083c4e199520455f9960b49b320000000080060018000000000000001000000002000000000000000080080008000000010007000701020300";

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len() / 2)
            .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
            .collect()
    }

    #[test]
    fn ovs_packet_in2_decodes_and_encodes_back() {
        let body = unhex(OVS_PIN2);
        let pin = PacketIn2::decode(&body);
        assert!(pin.is_ok(), "{pin:?}");
        let pin = pin.unwrap_or_default();
        assert_eq!(pin.reason, Some(1));
        assert_eq!(pin.userdata.as_deref(), Some(&[1u8, 2, 3][..]));
        let mut out = BytesMut::new();
        pin.encode(&mut out);
        assert_eq!(&out[..], &body[..]);
    }

    #[test]
    fn a_packet_in2_needs_a_packet() {
        assert_eq!(PacketIn2::decode(&[]), Err(BadPropertyCode::BadLen.into()));
    }
}
