//! OFPT_FEATURES_REPLY (OpenFlow 1.3: no port list).

use std::fmt::Write;

use bytes::{BufMut, BytesMut};

use super::print::bit_names;
use super::wire::{self, Parsed};
use crate::error::OfpError;

/// `ofp_switch_features`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeaturesReply {
    pub datapath_id: u64,
    pub n_buffers: u32,
    pub n_tables: u8,
    pub auxiliary_id: u8,
    pub capabilities: u32,
    pub reserved: u32,
}

/// OF1.3 `ofp_capabilities` bits with OVS's names (others are not printed).
const CAPABILITIES: &[(u32, &str)] = &[
    (1 << 0, "FLOW_STATS"),
    (1 << 1, "TABLE_STATS"),
    (1 << 2, "PORT_STATS"),
    (1 << 3, "GROUP_STATS"),
    (1 << 5, "IP_REASM"),
    (1 << 6, "QUEUE_STATS"),
    (1 << 8, "PORT_BLOCKED"),
];

impl FeaturesReply {
    pub fn decode(body: &[u8]) -> Result<FeaturesReply, OfpError> {
        wire::run(body, parse)
    }

    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u64(self.datapath_id);
        out.put_u32(self.n_buffers);
        out.put_u8(self.n_tables);
        out.put_u8(self.auxiliary_id);
        out.put_u16(0);
        out.put_u32(self.capabilities);
        out.put_u32(self.reserved);
    }

    pub fn format(&self, out: &mut String) {
        let _ = write!(
            out,
            " dpid:{:016x}\nn_tables:{}, n_buffers:{}",
            self.datapath_id, self.n_tables, self.n_buffers
        );
        if self.auxiliary_id != 0 {
            let _ = write!(out, ", auxiliary_id:{}", self.auxiliary_id);
        }
        let known = CAPABILITIES.iter().fold(0, |acc, (bit, _)| acc | bit);
        let _ = writeln!(
            out,
            "\ncapabilities: {}",
            bit_names(self.capabilities & known, CAPABILITIES, " ")
        );
    }
}

fn parse(input: &[u8]) -> Parsed<'_, FeaturesReply> {
    let (input, datapath_id) = wire::u64(input)?;
    let (input, n_buffers) = wire::u32(input)?;
    let (input, n_tables) = wire::u8(input)?;
    let (input, auxiliary_id) = wire::u8(input)?;
    let (input, ()) = wire::pad(2)(input)?;
    let (input, capabilities) = wire::u32(input)?;
    let (input, reserved) = wire::u32(input)?;
    Ok((
        input,
        FeaturesReply {
            datapath_id,
            n_buffers,
            n_tables,
            auxiliary_id,
            capabilities,
            reserved,
        },
    ))
}
