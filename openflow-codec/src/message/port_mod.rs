//! OFPT_PORT_MOD: change a port's config bits and advertised features.

use std::fmt::Write;

use bytes::{BufMut, BytesMut};

use super::port::{format_mac, known_bits, mac, PORT_CONFIG, PORT_FEATURES};
use super::print::bit_names;
use super::wire::{self, Parsed};
use crate::error::OfpError;
use crate::message::port::{check_port, format_port};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortMod {
    pub port_no: u32,
    pub hw_addr: [u8; 6],
    pub config: u32,
    pub mask: u32,
    /// Zero leaves the advertised features unchanged.
    pub advertise: u32,
}

impl PortMod {
    pub fn decode(body: &[u8]) -> Result<PortMod, OfpError> {
        wire::run(body, parse)
    }

    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u32(self.port_no);
        out.put_u32(0);
        out.put_slice(&self.hw_addr);
        out.put_u16(0);
        out.put_u32(self.config);
        out.put_u32(self.mask);
        out.put_u32(self.advertise);
        out.put_u32(0);
    }

    pub fn format(&self, out: &mut String) {
        out.push_str(" port: ");
        format_port(self.port_no, out);
        let _ = writeln!(out, ": addr:{}", format_mac(&self.hw_addr));
        let config = self.config & known_bits(PORT_CONFIG);
        let mask = self.mask & known_bits(PORT_CONFIG);
        let _ = writeln!(out, "     config: {}", bit_names(config, PORT_CONFIG, " "));
        let _ = writeln!(out, "     mask:   {}", bit_names(mask, PORT_CONFIG, " "));
        out.push_str("     advertise: ");
        let advertise = self.advertise & known_bits(PORT_FEATURES);
        if advertise == 0 {
            out.push_str("UNCHANGED");
        } else {
            out.push_str(&bit_names(advertise, PORT_FEATURES, " "));
        }
        out.push('\n');
    }
}

fn parse(input: &[u8]) -> Parsed<'_, PortMod> {
    let (input, port_no) = wire::u32(input)?;
    let (input, port_no) = wire::lift(input, check_port(port_no))?;
    let (input, ()) = wire::pad(4)(input)?;
    let (input, hw_addr) = mac(input)?;
    let (input, ()) = wire::pad(2)(input)?;
    let (input, config) = wire::u32(input)?;
    let (input, mask) = wire::u32(input)?;
    let (input, advertise) = wire::u32(input)?;
    let (input, ()) = wire::pad(4)(input)?;
    Ok((
        input,
        PortMod {
            port_no,
            hw_addr,
            config,
            mask,
            advertise,
        },
    ))
}
