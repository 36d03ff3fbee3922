//! `ofp_port` (the OpenFlow 1.3 port description) and OFPT_PORT_STATUS.
//! The port description is also the body of the PORT_DESC multipart reply.

use std::fmt::Write;

use bytes::{BufMut, BytesMut};

use super::print::bit_names;
use super::wire::{self, Parsed};
use crate::error::{BadActionCode, BadRequestCode, OfpError};
use nxm_fields::port::OFPP_MAX;

/// Length of `ofp_port.name`.
const NAME_LEN: usize = 16;

/// OF1.3 `ofp_port_config` bits OVS knows.
pub const PORT_CONFIG: &[(u32, &str)] = &[
    (1 << 0, "PORT_DOWN"),
    (1 << 2, "NO_RECV"),
    (1 << 5, "NO_FWD"),
    (1 << 6, "NO_PACKET_IN"),
];
/// OF1.3 `ofp_port_state` bits.
const PORT_STATE: &[(u32, &str)] = &[(1 << 0, "LINK_DOWN"), (1 << 1, "BLOCKED"), (1 << 2, "LIVE")];
/// OF1.3 `ofp_port_features` bits.
pub const PORT_FEATURES: &[(u32, &str)] = &[
    (1 << 0, "10MB-HD"),
    (1 << 1, "10MB-FD"),
    (1 << 2, "100MB-HD"),
    (1 << 3, "100MB-FD"),
    (1 << 4, "1GB-HD"),
    (1 << 5, "1GB-FD"),
    (1 << 6, "10GB-FD"),
    (1 << 7, "40GB-FD"),
    (1 << 8, "100GB-FD"),
    (1 << 9, "1TB-FD"),
    (1 << 10, "OTHER"),
    (1 << 11, "COPPER"),
    (1 << 12, "FIBER"),
    (1 << 13, "AUTO_NEG"),
    (1 << 14, "AUTO_PAUSE"),
    (1 << 15, "AUTO_PAUSE_ASYM"),
];

/// The first 32-bit port number past OVS's 16-bit port space.
const OFPP10_MAX: u32 = 0xff00;

/// Checks an OpenFlow 1.3 port number as OVS does when it narrows it to its
/// 16-bit ports: numbers between the 16-bit range and the reserved range do
/// not exist (OFPBAC_BAD_OUT_PORT).
pub fn check_port(port: u32) -> Result<u32, OfpError> {
    if !(OFPP10_MAX..OFPP_MAX).contains(&port) {
        Ok(port)
    } else {
        Err(BadActionCode::BadOutPort.into())
    }
}

/// A port as OVS prints it: its reserved name, or its number in OVS's
/// 16-bit numbering (OpenFlow 1.3's 0xffffff00 and up fold to 0xff00 and up).
pub fn format_port(port: u32, out: &mut String) {
    let name = nxm_fields::port::format_port(port);
    if port >= OFPP_MAX && name == port.to_string() {
        let _ = write!(out, "{}", nxm_fields::port::to_ofp10(port));
    } else {
        out.push_str(&name);
    }
}

/// The bits of a bit table.
pub fn known_bits(names: &[(u32, &str)]) -> u32 {
    names.iter().fold(0, |acc, (bit, _)| acc | bit)
}

/// `ofp_port`, with its OpenFlow 1.3 (32-bit) port number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    pub port_no: u32,
    pub hw_addr: [u8; 6],
    pub name: String,
    pub config: u32,
    pub state: u32,
    pub curr: u32,
    pub advertised: u32,
    pub supported: u32,
    pub peer: u32,
    /// Kbps.
    pub curr_speed: u32,
    /// Kbps.
    pub max_speed: u32,
}

impl Port {
    pub fn parse(input: &[u8]) -> Parsed<'_, Port> {
        let (input, port_no) = wire::u32(input)?;
        let (input, port_no) = wire::lift(input, check_port(port_no))?;
        let (input, ()) = wire::pad(4)(input)?;
        let (input, hw_addr) = mac(input)?;
        let (input, ()) = wire::pad(2)(input)?;
        let (input, name) = wire::take(NAME_LEN)(input)?;
        let (input, config) = wire::u32(input)?;
        let (input, state) = wire::u32(input)?;
        let (input, curr) = wire::u32(input)?;
        let (input, advertised) = wire::u32(input)?;
        let (input, supported) = wire::u32(input)?;
        let (input, peer) = wire::u32(input)?;
        let (input, curr_speed) = wire::u32(input)?;
        let (input, max_speed) = wire::u32(input)?;
        let port = Port {
            port_no,
            hw_addr,
            name: printable_name(name),
            config,
            state,
            curr,
            advertised,
            supported,
            peer,
            curr_speed,
            max_speed,
        };
        Ok((input, port))
    }

    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u32(self.port_no);
        out.put_u32(0);
        out.put_slice(&self.hw_addr);
        out.put_u16(0);
        wire::put_fixed_str(out, &self.name, NAME_LEN);
        for v in [
            self.config,
            self.state,
            self.curr,
            self.advertised,
            self.supported,
            self.peer,
            self.curr_speed,
            self.max_speed,
        ] {
            out.put_u32(v);
        }
    }

    /// The port as OVS prints it in PORT_STATUS and PORT_DESC replies.
    pub fn format(&self, out: &mut String) {
        out.push(' ');
        format_port(self.port_no, out);
        let _ = writeln!(out, "({}): addr:{}", self.name, format_mac(&self.hw_addr));
        let config = self.config & known_bits(PORT_CONFIG);
        let _ = writeln!(
            out,
            "     config:     {}",
            bit_names(config, PORT_CONFIG, " ")
        );
        let state = self.state & known_bits(PORT_STATE);
        let _ = writeln!(
            out,
            "     state:      {}",
            bit_names(state, PORT_STATE, " ")
        );
        for (label, bits) in [
            ("current:    ", self.curr),
            ("advertised: ", self.advertised),
            ("supported:  ", self.supported),
            ("peer:       ", self.peer),
        ] {
            let bits = bits & known_bits(PORT_FEATURES);
            if bits != 0 {
                let _ = writeln!(out, "     {label}{}", bit_names(bits, PORT_FEATURES, " "));
            }
        }
        let _ = writeln!(
            out,
            "     speed: {} Mbps now, {} Mbps max",
            self.curr_speed / 1000,
            self.max_speed / 1000
        );
    }
}

/// A 6-byte Ethernet address.
pub fn mac(input: &[u8]) -> Parsed<'_, [u8; 6]> {
    let (input, raw) = wire::take(6usize)(input)?;
    let mut addr = [0u8; 6];
    addr.copy_from_slice(raw);
    Ok((input, addr))
}

/// `aa:bb:cc:dd:ee:ff`.
pub fn format_mac(addr: &[u8; 6]) -> String {
    let parts: Vec<String> = addr.iter().map(|b| format!("{b:02x}")).collect();
    parts.join(":")
}

/// OVS shows a port name up to its first unprintable byte, and never its
/// last byte (room for the NUL).
fn printable_name(raw: &[u8]) -> String {
    raw.iter()
        .take(NAME_LEN - 1)
        .take_while(|b| (0x20..0x7f).contains(*b))
        .map(|&b| char::from(b))
        .collect()
}

/// Why a port status was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortReason {
    Add = 0,
    Delete = 1,
    Modify = 2,
}

/// OFPT_PORT_STATUS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortStatus {
    pub reason: PortReason,
    pub desc: Port,
}

impl PortStatus {
    pub fn decode(body: &[u8]) -> Result<PortStatus, OfpError> {
        wire::run(body, |input| {
            let (input, reason) = wire::u8(input)?;
            let reason = match reason {
                0 => PortReason::Add,
                1 => PortReason::Delete,
                2 => PortReason::Modify,
                _ => return wire::fail(BadRequestCode::NxBadReason),
            };
            let (input, ()) = wire::pad(7)(input)?;
            let (input, desc) = Port::parse(input)?;
            Ok((input, PortStatus { reason, desc }))
        })
    }

    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u8(self.reason as u8);
        out.put_bytes(0, 7);
        self.desc.encode(out);
    }

    pub fn format(&self, out: &mut String) {
        out.push_str(match self.reason {
            PortReason::Add => " ADD:",
            PortReason::Delete => " DEL:",
            PortReason::Modify => " MOD:",
        });
        self.desc.format(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stop_at_unprintable_bytes_and_keep_room_for_nul() {
        assert_eq!(printable_name(b"p1\x01x\0\0\0\0\0\0\0\0\0\0\0\0"), "p1");
        assert_eq!(printable_name(b"br-int-with-long"), "br-int-with-lon");
    }
}
