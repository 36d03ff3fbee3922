//! OFPT_MULTIPART_REQUEST and OFPT_MULTIPART_REPLY: the multipart header
//! (type, flags) and the dispatch to each type's body, one file per body
//! family.

pub mod desc;
pub mod flow_stats;
pub mod group_stats;
pub mod name_groups;
pub mod port_stats;
pub mod queue_stats;
pub mod table_features;
pub mod table_features_format;
pub mod table_features_props;
pub mod table_stats;

use bytes::{BufMut, BytesMut};

use super::group::GroupDesc;
use super::meter::{self, MeterConfigs, MeterFeatures, MeterStatsList};
use super::port::Port;
use super::types::MultipartType;
use super::wire::{self, Parsed};
use crate::error::OfpError;
use crate::message::port::{check_port, format_port};

/// `OFPMPF_REQ_MORE` / `OFPMPF_REPLY_MORE`: more parts follow.
pub const MORE: u16 = 1;

/// The body of a multipart request.
#[derive(Debug, Clone, PartialEq)]
pub enum MpRequest {
    Desc,
    /// Boxed: a match is large.
    Flow(Box<flow_stats::FlowStatsRequest>),
    Aggregate(Box<flow_stats::FlowStatsRequest>),
    Table,
    PortStats {
        port_no: u32,
    },
    Queue {
        port_no: u32,
        queue_id: u32,
    },
    Group {
        group_id: u32,
    },
    GroupDesc,
    GroupFeatures,
    Meter {
        meter_id: u32,
    },
    MeterConfig {
        meter_id: u32,
    },
    MeterFeatures,
    TableFeatures(Vec<table_features::TableFeatures>),
    PortDesc,
}

/// The body of a multipart reply.
#[derive(Debug, Clone, PartialEq)]
pub enum MpReply {
    Desc(desc::Desc),
    Flow(Vec<flow_stats::FlowStats>),
    Aggregate(flow_stats::AggregateStats),
    GroupDesc(Vec<GroupDesc>),
    Table(Vec<table_stats::TableStats>),
    PortStats(Vec<port_stats::PortStats>),
    Queue(Vec<queue_stats::QueueStats>),
    Group(Vec<group_stats::GroupStats>),
    GroupFeatures(group_stats::GroupFeatures),
    Meter(MeterStatsList),
    MeterConfig(MeterConfigs),
    MeterFeatures(MeterFeatures),
    TableFeatures(Vec<table_features::TableFeatures>),
    PortDesc(Vec<Port>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct MultipartRequest {
    pub flags: u16,
    pub body: MpRequest,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MultipartReply {
    pub flags: u16,
    pub body: MpReply,
}

/// OVS's `ofp_print_stats`: the flags after the first line.
fn format_flags(out: &mut String, flags: u16) {
    if flags == 0 {
        return;
    }
    out.push_str(" flags=");
    if flags & MORE != 0 {
        out.push_str("[more]");
    }
    let rest = flags & !MORE;
    if rest != 0 {
        out.push_str(&format!("[***unknown flags 0x{rest:04x}***]"));
    }
}

/// Splits the multipart header off `body`.
fn parse_header(input: &[u8]) -> Parsed<'_, u16> {
    let (input, _type) = wire::u16(input)?;
    let (input, flags) = wire::u16(input)?;
    let (input, ()) = wire::pad(4)(input)?;
    Ok((input, flags))
}

fn put_header(out: &mut BytesMut, mp_type: MultipartType, flags: u16) {
    out.put_u16(mp_type.code());
    out.put_u16(flags);
    out.put_u32(0);
}

/// The entries that decode before the first fault (all of them if none).
fn parse_prefix<'a, T>(
    mut input: &'a [u8],
    mut item: impl FnMut(&'a [u8]) -> Parsed<'a, T>,
) -> Vec<T> {
    let mut items = Vec::new();
    while let Ok((rest, value)) = item(input) {
        if rest.len() >= input.len() {
            break;
        }
        items.push(value);
        input = rest;
    }
    items
}

/// What OVS prints of a multipart message whose body does not decode: it
/// prints as it decodes, so the flags, and for list replies the entries
/// before the fault, come before the error.
pub fn format_partial(mp_type: MultipartType, reply: bool, body: &[u8], out: &mut String) {
    let Ok((input, flags)) = parse_header(body) else {
        return;
    };
    format_flags(out, flags);
    if !reply {
        return;
    }
    match mp_type {
        MultipartType::Flow => {
            for stats in parse_prefix(input, flow_stats::FlowStats::parse) {
                stats.format(out);
            }
        }
        MultipartType::Table => {
            table_stats::format_list(out, &parse_prefix(input, table_stats::TableStats::parse));
        }
        MultipartType::PortStats => {
            port_stats::format_list(out, &parse_prefix(input, port_stats::PortStats::parse));
        }
        MultipartType::Queue => {
            queue_stats::format_list(out, &parse_prefix(input, queue_stats::QueueStats::parse));
        }
        MultipartType::Group => {
            for stats in parse_prefix(input, group_stats::GroupStats::parse) {
                stats.format(out);
            }
            out.push_str(" ***parse error***");
        }
        MultipartType::GroupDesc => {
            for desc in parse_prefix(input, GroupDesc::parse) {
                desc.format(out);
            }
        }
        MultipartType::Meter => {
            MeterStatsList(parse_prefix(input, meter::MeterStats::parse)).format(out);
        }
        MultipartType::MeterConfig => {
            MeterConfigs(parse_prefix(input, meter::MeterConfig::parse_entry)).format(out);
        }
        _ => {}
    }
}

/// Parses a body made of `item`s until the input ends.
pub fn parse_list<'a, T>(
    mut input: &'a [u8],
    mut item: impl FnMut(&'a [u8]) -> Parsed<'a, T>,
) -> Parsed<'a, Vec<T>> {
    let mut items = Vec::new();
    while !input.is_empty() {
        let (rest, value) = item(input)?;
        items.push(value);
        input = rest;
    }
    Ok((input, items))
}

/// `group_id=`'s value as OVS prints it.
pub fn format_group(out: &mut String, group_id: u32) {
    match group_id {
        0xffff_fffc => out.push_str("ALL"),
        0xffff_ffff => out.push_str("ANY"),
        _ => out.push_str(&group_id.to_string()),
    }
}

impl MpRequest {
    pub fn multipart_type(&self) -> MultipartType {
        match self {
            MpRequest::Desc => MultipartType::Desc,
            MpRequest::Flow(_) => MultipartType::Flow,
            MpRequest::Aggregate(_) => MultipartType::Aggregate,
            MpRequest::Table => MultipartType::Table,
            MpRequest::PortStats { .. } => MultipartType::PortStats,
            MpRequest::Queue { .. } => MultipartType::Queue,
            MpRequest::Group { .. } => MultipartType::Group,
            MpRequest::GroupDesc => MultipartType::GroupDesc,
            MpRequest::GroupFeatures => MultipartType::GroupFeatures,
            MpRequest::Meter { .. } => MultipartType::Meter,
            MpRequest::MeterConfig { .. } => MultipartType::MeterConfig,
            MpRequest::MeterFeatures => MultipartType::MeterFeatures,
            MpRequest::TableFeatures(_) => MultipartType::TableFeatures,
            MpRequest::PortDesc => MultipartType::PortDesc,
        }
    }
}

impl MultipartRequest {
    /// Decodes the body after `ofp_header` (multipart header included).
    pub fn decode(mp_type: MultipartType, body: &[u8]) -> Result<MultipartRequest, OfpError> {
        wire::run(body, |input| {
            let (input, flags) = parse_header(input)?;
            let (input, body) = match mp_type {
                MultipartType::Desc => (input, MpRequest::Desc),
                MultipartType::Table => (input, MpRequest::Table),
                MultipartType::GroupDesc => (input, MpRequest::GroupDesc),
                MultipartType::GroupFeatures => (input, MpRequest::GroupFeatures),
                MultipartType::MeterFeatures => (input, MpRequest::MeterFeatures),
                MultipartType::PortDesc => (input, MpRequest::PortDesc),
                MultipartType::PortStats => {
                    let (input, port) = wire::u32(input)?;
                    let (input, port_no) = wire::lift(input, check_port(port))?;
                    let (input, ()) = wire::pad(4)(input)?;
                    (input, MpRequest::PortStats { port_no })
                }
                MultipartType::Queue => {
                    let (input, port) = wire::u32(input)?;
                    let (input, port_no) = wire::lift(input, check_port(port))?;
                    let (input, queue_id) = wire::u32(input)?;
                    (input, MpRequest::Queue { port_no, queue_id })
                }
                MultipartType::Group => {
                    let (input, group_id) = wire::u32(input)?;
                    let (input, ()) = wire::pad(4)(input)?;
                    (input, MpRequest::Group { group_id })
                }
                MultipartType::Meter => {
                    let (input, meter_id) = meter::parse_meter_request(input)?;
                    (input, MpRequest::Meter { meter_id })
                }
                MultipartType::MeterConfig => {
                    let (input, meter_id) = meter::parse_meter_request(input)?;
                    (input, MpRequest::MeterConfig { meter_id })
                }
                MultipartType::TableFeatures => {
                    let (input, list) = parse_list(input, table_features::TableFeatures::parse)?;
                    (input, MpRequest::TableFeatures(list))
                }
                MultipartType::Flow => {
                    let (input, r) = flow_stats::FlowStatsRequest::parse(input)?;
                    (input, MpRequest::Flow(Box::new(r)))
                }
                MultipartType::Aggregate => {
                    let (input, r) = flow_stats::FlowStatsRequest::parse(input)?;
                    (input, MpRequest::Aggregate(Box::new(r)))
                }
            };
            Ok((input, MultipartRequest { flags, body }))
        })
    }

    pub fn encode(&self, out: &mut BytesMut) {
        put_header(out, self.body.multipart_type(), self.flags);
        match &self.body {
            MpRequest::Desc
            | MpRequest::Table
            | MpRequest::GroupDesc
            | MpRequest::GroupFeatures
            | MpRequest::MeterFeatures
            | MpRequest::PortDesc => {}
            MpRequest::PortStats { port_no } => {
                out.put_u32(*port_no);
                out.put_u32(0);
            }
            MpRequest::Queue { port_no, queue_id } => {
                out.put_u32(*port_no);
                out.put_u32(*queue_id);
            }
            MpRequest::Group { group_id: id }
            | MpRequest::Meter { meter_id: id }
            | MpRequest::MeterConfig { meter_id: id } => {
                out.put_u32(*id);
                out.put_u32(0);
            }
            MpRequest::TableFeatures(list) => {
                for features in list {
                    features.encode(out);
                }
            }
            MpRequest::Flow(r) | MpRequest::Aggregate(r) => r.encode(out),
        }
    }

    pub fn format(&self, out: &mut String) {
        format_flags(out, self.flags);
        match &self.body {
            MpRequest::Desc
            | MpRequest::Table
            | MpRequest::GroupFeatures
            | MpRequest::MeterFeatures => {}
            MpRequest::GroupDesc => out.push_str(" group_id=ALL"),
            MpRequest::PortDesc => out.push_str(" port=ANY"),
            MpRequest::PortStats { port_no } => {
                out.push_str(" port_no=");
                format_port(*port_no, out);
            }
            MpRequest::Queue { port_no, queue_id } => {
                out.push_str(" port=");
                format_port(*port_no, out);
                out.push_str(" queue=");
                queue_stats::format_queue_id(out, *queue_id);
            }
            MpRequest::Group { group_id } => {
                out.push_str(" group_id=");
                format_group(out, *group_id);
            }
            MpRequest::Meter { meter_id } | MpRequest::MeterConfig { meter_id } => {
                out.push(' ');
                meter::format_meter_id(out, *meter_id, '=');
            }
            MpRequest::TableFeatures(list) => table_features::format_list(out, list),
            MpRequest::Flow(r) | MpRequest::Aggregate(r) => r.format(out),
        }
    }
}

impl MpReply {
    pub fn multipart_type(&self) -> MultipartType {
        match self {
            MpReply::Desc(_) => MultipartType::Desc,
            MpReply::Flow(_) => MultipartType::Flow,
            MpReply::Aggregate(_) => MultipartType::Aggregate,
            MpReply::GroupDesc(_) => MultipartType::GroupDesc,
            MpReply::Table(_) => MultipartType::Table,
            MpReply::PortStats(_) => MultipartType::PortStats,
            MpReply::Queue(_) => MultipartType::Queue,
            MpReply::Group(_) => MultipartType::Group,
            MpReply::GroupFeatures(_) => MultipartType::GroupFeatures,
            MpReply::Meter(_) => MultipartType::Meter,
            MpReply::MeterConfig(_) => MultipartType::MeterConfig,
            MpReply::MeterFeatures(_) => MultipartType::MeterFeatures,
            MpReply::TableFeatures(_) => MultipartType::TableFeatures,
            MpReply::PortDesc(_) => MultipartType::PortDesc,
        }
    }
}

impl MultipartReply {
    /// Decodes the body after `ofp_header` (multipart header included).
    pub fn decode(mp_type: MultipartType, body: &[u8]) -> Result<MultipartReply, OfpError> {
        wire::run(body, |input| {
            let (input, flags) = parse_header(input)?;
            let (input, body) = match mp_type {
                MultipartType::Desc => {
                    let (input, d) = desc::Desc::parse(input)?;
                    (input, MpReply::Desc(d))
                }
                MultipartType::Table => {
                    let (input, list) = parse_list(input, table_stats::TableStats::parse)?;
                    (input, MpReply::Table(list))
                }
                MultipartType::PortStats => {
                    let (input, list) = parse_list(input, port_stats::PortStats::parse)?;
                    (input, MpReply::PortStats(list))
                }
                MultipartType::Queue => {
                    let (input, list) = parse_list(input, queue_stats::QueueStats::parse)?;
                    (input, MpReply::Queue(list))
                }
                MultipartType::Group => {
                    let (input, list) = parse_list(input, group_stats::GroupStats::parse)?;
                    (input, MpReply::Group(list))
                }
                MultipartType::GroupFeatures => {
                    let (input, f) = group_stats::GroupFeatures::parse(input)?;
                    (input, MpReply::GroupFeatures(f))
                }
                MultipartType::Meter => {
                    let (input, list) = MeterStatsList::parse(input)?;
                    (input, MpReply::Meter(list))
                }
                MultipartType::MeterConfig => {
                    let (input, list) = MeterConfigs::parse(input)?;
                    (input, MpReply::MeterConfig(list))
                }
                MultipartType::MeterFeatures => {
                    let (input, f) = MeterFeatures::parse(input)?;
                    (input, MpReply::MeterFeatures(f))
                }
                MultipartType::TableFeatures => {
                    let (input, list) = parse_list(input, table_features::TableFeatures::parse)?;
                    (input, MpReply::TableFeatures(list))
                }
                MultipartType::PortDesc => {
                    let (input, list) = parse_list(input, Port::parse)?;
                    (input, MpReply::PortDesc(list))
                }
                MultipartType::Aggregate => {
                    let (input, a) = flow_stats::AggregateStats::parse(input)?;
                    (input, MpReply::Aggregate(a))
                }
                MultipartType::Flow => {
                    let (input, list) = parse_list(input, flow_stats::FlowStats::parse)?;
                    (input, MpReply::Flow(list))
                }
                MultipartType::GroupDesc => {
                    let (input, list) = parse_list(input, GroupDesc::parse)?;
                    (input, MpReply::GroupDesc(list))
                }
            };
            Ok((input, MultipartReply { flags, body }))
        })
    }

    pub fn encode(&self, out: &mut BytesMut) {
        put_header(out, self.body.multipart_type(), self.flags);
        match &self.body {
            MpReply::Desc(d) => d.encode(out),
            MpReply::Aggregate(a) => a.encode(out),
            MpReply::Flow(list) => list.iter().for_each(|f| f.encode(out)),
            MpReply::GroupDesc(list) => list.iter().for_each(|g| g.encode(out)),
            MpReply::Table(list) => list.iter().for_each(|t| t.encode(out)),
            MpReply::PortStats(list) => list.iter().for_each(|p| p.encode(out)),
            MpReply::Queue(list) => list.iter().for_each(|q| q.encode(out)),
            MpReply::Group(list) => list.iter().for_each(|g| g.encode(out)),
            MpReply::GroupFeatures(f) => f.encode(out),
            MpReply::Meter(list) => list.encode(out),
            MpReply::MeterConfig(list) => list.encode(out),
            MpReply::MeterFeatures(f) => f.encode(out),
            MpReply::TableFeatures(list) => list.iter().for_each(|t| t.encode(out)),
            MpReply::PortDesc(list) => list.iter().for_each(|p| p.encode(out)),
        }
    }

    pub fn format(&self, out: &mut String) {
        format_flags(out, self.flags);
        match &self.body {
            MpReply::Desc(d) => d.format(out),
            MpReply::Aggregate(a) => a.format(out),
            MpReply::Flow(list) => list.iter().for_each(|f| f.format(out)),
            MpReply::GroupDesc(list) => list.iter().for_each(|g| g.format(out)),
            MpReply::Table(list) => table_stats::format_list(out, list),
            MpReply::PortStats(list) => port_stats::format_list(out, list),
            MpReply::Queue(list) => queue_stats::format_list(out, list),
            MpReply::Group(list) => {
                for group in list {
                    group.format(out);
                }
            }
            MpReply::GroupFeatures(f) => f.format(out),
            MpReply::Meter(list) => list.format(out),
            MpReply::MeterConfig(list) => list.format(out),
            MpReply::MeterFeatures(f) => f.format(out),
            MpReply::TableFeatures(list) => table_features::format_list(out, list),
            MpReply::PortDesc(list) => {
                out.push('\n');
                let mut sorted: Vec<&Port> = list.iter().collect();
                sorted.sort_by_key(|p| p.port_no);
                for port in sorted {
                    port.format(out);
                }
            }
        }
    }
}
