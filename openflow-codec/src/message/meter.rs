//! Meters: OFPT_METER_MOD and the METER, METER_CONFIG and METER_FEATURES
//! multipart bodies, which share the band list and the meter id syntax.

use std::fmt::Write;

use bytes::{BufMut, BytesMut};

use super::print::{bit_names, format_duration};
use super::wire::{self, Parsed};
use crate::error::{MeterModFailedCode, OfpError};

/// Meter ids above this are OpenFlow's virtual meters.
pub const OFPM_MAX: u32 = 0xffff_0000;
pub const OFPM_SLOWPATH: u32 = 0xffff_fffd;
pub const OFPM_CONTROLLER: u32 = 0xffff_fffe;
pub const OFPM_ALL: u32 = 0xffff_ffff;

const OFPMBT_DROP: u16 = 1;
const OFPMBT_DSCP_REMARK: u16 = 2;
const OFPMBT_EXPERIMENTER: u16 = 0xffff;
/// Length of `ofp_meter_band_*`.
const BAND_LEN: usize = 16;

/// `ofp_meter_flags`.
pub const METER_FLAGS: &[(u32, &str)] = &[(1, "kbps"), (2, "pktps"), (4, "burst"), (8, "stats")];
pub const OFPMF_KBPS: u16 = 1;
pub const OFPMF_PKTPS: u16 = 2;
pub const OFPMF_BURST: u16 = 4;

fn known_flags() -> u32 {
    METER_FLAGS.iter().fold(0, |acc, (bit, _)| acc | bit)
}

/// `meter=N`, `meter:N` or a virtual meter's name, as OVS prints ids.
pub fn format_meter_id(out: &mut String, id: u32, sep: char) {
    out.push_str("meter");
    out.push(sep);
    match id {
        OFPM_SLOWPATH => out.push_str("slowpath"),
        OFPM_CONTROLLER => out.push_str("controller"),
        OFPM_ALL => out.push_str("all"),
        _ if id > OFPM_MAX => out.push_str("unknown"),
        _ => {
            let _ = write!(out, "{id}");
        }
    }
}

/// One meter band.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BandKind {
    Drop,
    DscpRemark { prec_level: u8 },
    Experimenter { experimenter: u32 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeterBand {
    pub kind: BandKind,
    pub rate: u32,
    pub burst_size: u32,
}

impl MeterBand {
    fn parse(input: &[u8]) -> Parsed<'_, MeterBand> {
        let (input, kind) = wire::u16(input)?;
        let (input, len) = wire::u16(input)?;
        let (input, rate) = wire::u32(input)?;
        let (input, burst_size) = wire::u32(input)?;
        let (input, tail) = wire::take(4usize)(input)?;
        if usize::from(len) != BAND_LEN {
            return wire::fail(crate::error::BadRequestCode::BadLen);
        }
        let kind = match kind {
            OFPMBT_DROP => BandKind::Drop,
            OFPMBT_DSCP_REMARK => BandKind::DscpRemark {
                prec_level: tail[0],
            },
            OFPMBT_EXPERIMENTER => BandKind::Experimenter {
                experimenter: u32::from_be_bytes([tail[0], tail[1], tail[2], tail[3]]),
            },
            _ => return wire::fail(MeterModFailedCode::BadBand),
        };
        Ok((
            input,
            MeterBand {
                kind,
                rate,
                burst_size,
            },
        ))
    }

    fn encode(&self, out: &mut BytesMut) {
        let kind = match self.kind {
            BandKind::Drop => OFPMBT_DROP,
            BandKind::DscpRemark { .. } => OFPMBT_DSCP_REMARK,
            BandKind::Experimenter { .. } => OFPMBT_EXPERIMENTER,
        };
        out.put_u16(kind);
        out.put_u16(BAND_LEN as u16);
        out.put_u32(self.rate);
        out.put_u32(self.burst_size);
        match self.kind {
            BandKind::Drop => out.put_u32(0),
            BandKind::DscpRemark { prec_level } => {
                out.put_u8(prec_level);
                out.put_bytes(0, 3);
            }
            BandKind::Experimenter { experimenter } => out.put_u32(experimenter),
        }
    }

    fn format(&self, out: &mut String, flags: u16) {
        out.push_str(match self.kind {
            BandKind::Drop => "\ntype=drop",
            BandKind::DscpRemark { .. } => "\ntype=dscp_remark",
            BandKind::Experimenter { .. } => "\ntype=experimenter",
        });
        let _ = write!(out, " rate={}", self.rate);
        if flags & OFPMF_BURST != 0 {
            let _ = write!(out, " burst_size={}", self.burst_size);
        }
        match self.kind {
            BandKind::DscpRemark { prec_level } => {
                let _ = write!(out, " prec_level={prec_level}");
            }
            BandKind::Experimenter { experimenter } => {
                let _ = write!(out, " experimenter=0x{experimenter:x}");
            }
            BandKind::Drop => {}
        }
    }
}

fn parse_bands(mut input: &[u8]) -> Parsed<'_, Vec<MeterBand>> {
    let mut bands = Vec::new();
    while !input.is_empty() {
        let (rest, band) = MeterBand::parse(input)?;
        bands.push(band);
        input = rest;
    }
    Ok((input, bands))
}

/// A meter's configuration: the body of METER_MOD after its command, and
/// one entry of the METER_CONFIG reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterConfig {
    pub flags: u16,
    pub meter_id: u32,
    pub bands: Vec<MeterBand>,
}

impl MeterConfig {
    fn format(&self, out: &mut String) {
        format_meter_id(out, self.meter_id, '=');
        out.push(' ');
        for (bit, name) in METER_FLAGS {
            if u32::from(self.flags) & bit != 0 {
                out.push_str(name);
                out.push(' ');
            }
        }
        let unknown = u32::from(self.flags) & !known_flags();
        if unknown != 0 {
            let _ = write!(out, "flags:{unknown:#x} ");
        }
        out.push_str("bands=");
        for band in &self.bands {
            band.format(out, self.flags);
        }
    }

    /// One entry of the METER_CONFIG reply: length, flags, id, bands.
    pub fn parse_entry(input: &[u8]) -> Parsed<'_, MeterConfig> {
        let (input, len) = wire::u16(input)?;
        let (input, flags) = wire::u16(input)?;
        let (input, meter_id) = wire::u32(input)?;
        let Some(bands_len) = usize::from(len).checked_sub(8) else {
            return wire::fail(crate::error::BadRequestCode::BadLen);
        };
        let (input, raw) = wire::take(bands_len)(input)?;
        let bands = wire::run(raw, parse_bands).map_err(|e| nom::Err::Failure(wire::Fault(e)))?;
        Ok((
            input,
            MeterConfig {
                flags,
                meter_id,
                bands,
            },
        ))
    }

    fn encode_entry(&self, out: &mut BytesMut) {
        let start = out.len();
        out.put_u16(0);
        out.put_u16(self.flags);
        out.put_u32(self.meter_id);
        for band in &self.bands {
            band.encode(out);
        }
        wire::patch_len(out, start, start);
    }
}

/// `ofp_meter_mod_command`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeterCommand {
    Add = 0,
    Modify = 1,
    Delete = 2,
}

/// OFPT_METER_MOD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterMod {
    pub command: MeterCommand,
    pub config: MeterConfig,
}

impl MeterMod {
    pub fn decode(body: &[u8]) -> Result<MeterMod, OfpError> {
        wire::run(body, |input| {
            let (input, command) = wire::u16(input)?;
            let (input, flags) = wire::u16(input)?;
            let (input, meter_id) = wire::u32(input)?;
            let command = match command {
                0 => MeterCommand::Add,
                1 => MeterCommand::Modify,
                2 => MeterCommand::Delete,
                _ => return wire::fail(MeterModFailedCode::BadCommand),
            };
            // A delete names only the meter: OVS 3.1 reads nothing after
            // the id (flags and bands are not checked, and dropped).
            if command == MeterCommand::Delete {
                let (input, _) = wire::take(input.len())(input)?;
                let config = MeterConfig {
                    flags: 0,
                    meter_id,
                    bands: Vec::new(),
                };
                return Ok((input, MeterMod { command, config }));
            }
            // A meter counts in kbps or in packets per second, not both.
            if flags & OFPMF_KBPS != 0 && flags & OFPMF_PKTPS != 0 {
                return wire::fail(MeterModFailedCode::BadFlags);
            }
            let (input, bands) = parse_bands(input)?;
            Ok((
                input,
                MeterMod {
                    command,
                    config: MeterConfig {
                        flags,
                        meter_id,
                        bands,
                    },
                },
            ))
        })
    }

    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u16(self.command as u16);
        out.put_u16(self.config.flags);
        out.put_u32(self.config.meter_id);
        for band in &self.config.bands {
            band.encode(out);
        }
    }

    pub fn format(&self, out: &mut String) {
        out.push_str(match self.command {
            MeterCommand::Add => " ADD ",
            MeterCommand::Modify => " MOD ",
            MeterCommand::Delete => " DEL ",
        });
        self.config.format(out);
    }
}

/// The METER_CONFIG reply body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MeterConfigs(pub Vec<MeterConfig>);

impl MeterConfigs {
    pub fn parse(mut input: &[u8]) -> Parsed<'_, MeterConfigs> {
        let mut configs = Vec::new();
        while !input.is_empty() {
            let (rest, config) = MeterConfig::parse_entry(input)?;
            configs.push(config);
            input = rest;
        }
        Ok((input, MeterConfigs(configs)))
    }

    pub fn encode(&self, out: &mut BytesMut) {
        for config in &self.0 {
            config.encode_entry(out);
        }
    }

    pub fn format(&self, out: &mut String) {
        for config in &self.0 {
            out.push('\n');
            config.format(out);
            out.push('\n');
        }
    }
}

/// One meter's statistics, with per-band counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterStats {
    pub meter_id: u32,
    pub flow_count: u32,
    pub packet_in_count: u64,
    pub byte_in_count: u64,
    pub duration_sec: u32,
    pub duration_nsec: u32,
    /// (packet_count, byte_count) per band.
    pub bands: Vec<(u64, u64)>,
}

/// Length of `ofp_meter_stats` without bands, and of one band's stats.
const METER_STATS_LEN: usize = 40;
const BAND_STATS_LEN: usize = 16;

impl MeterStats {
    pub fn parse(input: &[u8]) -> Parsed<'_, MeterStats> {
        let (input, meter_id) = wire::u32(input)?;
        let (input, len) = wire::u16(input)?;
        let (input, ()) = wire::pad(6)(input)?;
        let (input, flow_count) = wire::u32(input)?;
        let (input, packet_in_count) = wire::u64(input)?;
        let (input, byte_in_count) = wire::u64(input)?;
        let (input, duration_sec) = wire::u32(input)?;
        let (input, duration_nsec) = wire::u32(input)?;
        let band_bytes = usize::from(len).checked_sub(METER_STATS_LEN);
        let Some(band_bytes) = band_bytes.filter(|n| n.is_multiple_of(BAND_STATS_LEN)) else {
            return wire::fail(crate::error::BadRequestCode::BadLen);
        };
        let (input, mut raw) = wire::take(band_bytes)(input)?;
        let mut bands = Vec::with_capacity(band_bytes / BAND_STATS_LEN);
        while !raw.is_empty() {
            let (rest, packets) = wire::u64(raw)?;
            let (rest, bytes) = wire::u64(rest)?;
            bands.push((packets, bytes));
            raw = rest;
        }
        let stats = MeterStats {
            meter_id,
            flow_count,
            packet_in_count,
            byte_in_count,
            duration_sec,
            duration_nsec,
            bands,
        };
        Ok((input, stats))
    }

    fn encode(&self, out: &mut BytesMut) {
        out.put_u32(self.meter_id);
        let len = METER_STATS_LEN + BAND_STATS_LEN * self.bands.len();
        out.put_u16(u16::try_from(len).unwrap_or(u16::MAX));
        out.put_bytes(0, 6);
        out.put_u32(self.flow_count);
        out.put_u64(self.packet_in_count);
        out.put_u64(self.byte_in_count);
        out.put_u32(self.duration_sec);
        out.put_u32(self.duration_nsec);
        for (packets, bytes) in &self.bands {
            out.put_u64(*packets);
            out.put_u64(*bytes);
        }
    }

    fn format(&self, out: &mut String) {
        format_meter_id(out, self.meter_id, ':');
        let _ = write!(
            out,
            " flow_count:{} packet_in_count:{} byte_in_count:{} duration:",
            self.flow_count, self.packet_in_count, self.byte_in_count
        );
        format_duration(out, self.duration_sec, self.duration_nsec);
        out.push_str(" bands:\n");
        for (i, (packets, bytes)) in self.bands.iter().enumerate() {
            let _ = writeln!(out, "{i}: packet_count:{packets} byte_count:{bytes}");
        }
    }
}

/// The METER reply body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MeterStatsList(pub Vec<MeterStats>);

impl MeterStatsList {
    pub fn parse(mut input: &[u8]) -> Parsed<'_, MeterStatsList> {
        let mut list = Vec::new();
        while !input.is_empty() {
            let (rest, stats) = MeterStats::parse(input)?;
            list.push(stats);
            input = rest;
        }
        Ok((input, MeterStatsList(list)))
    }

    pub fn encode(&self, out: &mut BytesMut) {
        for stats in &self.0 {
            stats.encode(out);
        }
    }

    pub fn format(&self, out: &mut String) {
        for stats in &self.0 {
            out.push('\n');
            stats.format(out);
        }
    }
}

/// The METER_FEATURES reply body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeterFeatures {
    pub max_meter: u32,
    pub band_types: u32,
    pub capabilities: u32,
    pub max_bands: u8,
    pub max_color: u8,
}

const BAND_TYPES: &[(u32, &str)] = &[
    (1 << OFPMBT_DROP, "drop"),
    (1 << OFPMBT_DSCP_REMARK, "dscp_remark"),
];

impl MeterFeatures {
    pub fn parse(input: &[u8]) -> Parsed<'_, MeterFeatures> {
        let (input, max_meter) = wire::u32(input)?;
        let (input, band_types) = wire::u32(input)?;
        let (input, capabilities) = wire::u32(input)?;
        let (input, max_bands) = wire::u8(input)?;
        let (input, max_color) = wire::u8(input)?;
        let (input, ()) = wire::pad(2)(input)?;
        Ok((
            input,
            MeterFeatures {
                max_meter,
                band_types,
                capabilities,
                max_bands,
                max_color,
            },
        ))
    }

    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u32(self.max_meter);
        out.put_u32(self.band_types);
        out.put_u32(self.capabilities);
        out.put_u8(self.max_bands);
        out.put_u8(self.max_color);
        out.put_u16(0);
    }

    pub fn format(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "\nmax_meter:{} max_bands:{} max_color:{}",
            self.max_meter, self.max_bands, self.max_color
        );
        let _ = writeln!(
            out,
            "band_types: {}",
            bit_names(self.band_types, BAND_TYPES, " ")
        );
        let _ = writeln!(
            out,
            "capabilities: {}",
            bit_names(self.capabilities & known_flags(), METER_FLAGS, " ")
        );
    }
}

/// The meter id of a METER or METER_CONFIG request.
pub fn parse_meter_request(input: &[u8]) -> Parsed<'_, u32> {
    let (input, id) = wire::u32(input)?;
    let (input, ()) = wire::pad(4)(input)?;
    Ok((input, id))
}
