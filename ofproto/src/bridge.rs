//! A bridge as OpenFlow controllers see it: its tables, its ports' view,
//! its connection tracker, and its answers to the messages a connection
//! delivers (flow-mods, statistics and descriptions, conntrack flushes).
//!
//! Messages that need the packet pipeline (packet-out, groups, meters) are
//! refused as unsupported until the datapath is wired in.

use std::sync::Arc;

use bytes::BytesMut;
use conntrack::{Conntrack, FlushFilter};
use openflow_codec::error::{BadRequestCode, OfpError};
use openflow_codec::message::error_msg::ErrorMsg;
use openflow_codec::message::flow_mod::{OFPG_ANY, TABLE_ALL};
use openflow_codec::message::multipart::desc::Desc;
use openflow_codec::message::multipart::flow_stats::{AggregateStats, FlowStats, FlowStatsRequest};
use openflow_codec::message::multipart::table_features::TableFeatures;
use openflow_codec::message::multipart::table_stats::TableStats;
use openflow_codec::message::multipart::{MpReply, MpRequest, MultipartReply, MultipartRequest};
use openflow_codec::message::nicira::NxMessage;
use openflow_codec::message::port::Port;
use openflow_codec::message::{Header, Message};

use crate::table::{Rule, Tables, N_TABLES};

/// Most flow-stats entries in one reply message; the rest follow in more
/// messages flagged OFPMPF_REPLY_MORE, keeping each well under 64 KiB.
const FLOWS_PER_REPLY: usize = 64;
const OFPMPF_REPLY_MORE: u16 = 1;

/// A bridge.
#[derive(Debug)]
pub struct Bridge {
    pub name: String,
    pub datapath_id: u64,
    tables: Tables,
    ports: Vec<Port>,
    conntrack: Arc<Conntrack>,
}

impl Bridge {
    pub fn new(
        name: &str,
        datapath_id: u64,
        ports: Vec<Port>,
        max_rules_per_table: usize,
        conntrack: Arc<Conntrack>,
    ) -> Self {
        Bridge {
            name: name.to_string(),
            datapath_id,
            tables: Tables::new(max_rules_per_table),
            ports,
            conntrack,
        }
    }

    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    /// Handles one delivered message; returns the replies, each with its
    /// xid (the request's).
    pub fn handle(
        &mut self,
        header: Header,
        message: &Message,
        raw: &[u8],
        now_ms: u64,
    ) -> Vec<(u32, Message)> {
        let xid = header.xid;
        let error = |e: OfpError| vec![(xid, Message::Error(ErrorMsg::reply_to(e, raw)))];
        match message {
            Message::FlowMod(fm) => match self.tables.apply(fm, now_ms) {
                Ok(_) => Vec::new(),
                Err(e) => error(e),
            },
            Message::MultipartRequest(req) => match self.multipart(req, now_ms) {
                Ok(replies) => replies
                    .into_iter()
                    .map(|reply| (xid, Message::MultipartReply(reply)))
                    .collect(),
                Err(e) => error(e),
            },
            Message::Nicira(nx) => self.nicira(nx).map_or_else(Vec::new, error),
            _ => error(BadRequestCode::BadType.into()),
        }
    }

    /// Nicira messages; `Some` is an error to report.
    fn nicira(&self, message: &NxMessage) -> Option<OfpError> {
        match message {
            NxMessage::CtFlushZone { zone_id } => {
                self.conntrack.flush(&FlushFilter::zone(*zone_id));
                None
            }
            NxMessage::CtFlush(_) => {
                self.conntrack.flush(&FlushFilter::default());
                None
            }
            // Settings that only change how later messages are written.
            NxMessage::FlowModTableId { .. }
            | NxMessage::SetPacketInFormat(_)
            | NxMessage::SetControllerId { .. } => None,
            NxMessage::PacketIn2(_) | NxMessage::Resume(_) => Some(BadRequestCode::BadType.into()),
        }
    }

    /// Statistics and descriptions; those about groups, meters, queues and
    /// port counters wait for the datapath.
    fn multipart(
        &self,
        req: &MultipartRequest,
        now_ms: u64,
    ) -> Result<Vec<MultipartReply>, OfpError> {
        let one = |body| Ok(vec![MultipartReply { flags: 0, body }]);
        match &req.body {
            MpRequest::Desc => one(MpReply::Desc(Desc {
                mfr_desc: "ctswitch".into(),
                hw_desc: "ctswitch".into(),
                sw_desc: env!("CARGO_PKG_VERSION").into(),
                serial_num: "None".into(),
                dp_desc: "None".into(),
            })),
            MpRequest::Flow(fsr) => {
                let mut stats: Vec<FlowStats> = self
                    .selected(fsr)
                    .map(|(table_id, rule)| flow_stats(table_id, rule, now_ms))
                    .collect();
                // As OVS lists them: by table, then highest priority first.
                stats.sort_by_key(|s| (s.table_id, std::cmp::Reverse(s.priority)));
                Ok(split_flow_replies(stats))
            }
            MpRequest::Aggregate(fsr) => {
                let mut agg = AggregateStats {
                    packet_count: 0,
                    byte_count: 0,
                    flow_count: 0,
                };
                for (_, rule) in self.selected(fsr) {
                    agg.packet_count += rule.packet_count;
                    agg.byte_count += rule.byte_count;
                    agg.flow_count += 1;
                }
                one(MpReply::Aggregate(agg))
            }
            MpRequest::Table => one(MpReply::Table(
                (0..N_TABLES as u8)
                    .map(|id| TableStats {
                        table_id: id,
                        active_count: self.tables.table(id).map_or(0, |t| t.len() as u32),
                        lookup_count: 0,
                        matched_count: 0,
                    })
                    .collect(),
            )),
            MpRequest::TableFeatures(_) => one(MpReply::TableFeatures(table_features())),
            MpRequest::PortDesc => one(MpReply::PortDesc(self.ports.clone())),
            _ => Err(BadRequestCode::BadStat.into()),
        }
    }

    /// The rules a flow or aggregate statistics request selects.
    fn selected<'a>(
        &'a self,
        fsr: &'a FlowStatsRequest,
    ) -> impl Iterator<Item = (u8, &'a Rule)> + 'a {
        let tables: Vec<u8> = if fsr.table_id == TABLE_ALL {
            (0..N_TABLES as u8).collect()
        } else {
            vec![fsr.table_id]
        };
        tables.into_iter().flat_map(move |id| {
            self.tables
                .table(id)
                .into_iter()
                .flat_map(|t| t.iter())
                .filter(move |(m, _, rule)| {
                    m.is_within(&fsr.r#match)
                        && (rule.cookie ^ fsr.cookie) & fsr.cookie_mask == 0
                        && rule.outputs_to(fsr.out_port)
                        && (fsr.out_group == OFPG_ANY || rule.uses_group(fsr.out_group))
                })
                .map(move |(_, _, rule)| (id, rule))
        })
    }
}

fn flow_stats(table_id: u8, rule: &Rule, now_ms: u64) -> FlowStats {
    let age_ms = now_ms.saturating_sub(rule.created_ms);
    FlowStats {
        table_id,
        duration_sec: (age_ms / 1000) as u32,
        duration_nsec: ((age_ms % 1000) * 1_000_000) as u32,
        priority: rule.priority,
        idle_timeout: rule.idle_timeout,
        hard_timeout: rule.hard_timeout,
        flags: rule.flags,
        cookie: rule.cookie,
        packet_count: rule.packet_count,
        byte_count: rule.byte_count,
        r#match: rule.r#match.clone(),
        instructions: rule.instructions.clone(),
    }
}

/// Flow statistics in messages of at most `FLOWS_PER_REPLY` entries, all
/// but the last flagged "more"; at least one (maybe empty) message.
fn split_flow_replies(stats: Vec<FlowStats>) -> Vec<MultipartReply> {
    let mut chunks: Vec<Vec<FlowStats>> = stats
        .chunks(FLOWS_PER_REPLY)
        .map(<[FlowStats]>::to_vec)
        .collect();
    if chunks.is_empty() {
        chunks.push(Vec::new());
    }
    let last = chunks.len() - 1;
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, body)| MultipartReply {
            flags: if i < last { OFPMPF_REPLY_MORE } else { 0 },
            body: MpReply::Flow(body),
        })
        .collect()
}

/// Every table with the eight properties OpenFlow 1.3 requires (here with
/// empty lists), which is what ovs-ofctl needs to accept the reply.
fn table_features() -> Vec<TableFeatures> {
    let mut props = BytesMut::new();
    for prop_type in (0u16..16).step_by(2) {
        props.extend_from_slice(&prop_type.to_be_bytes());
        props.extend_from_slice(&4u16.to_be_bytes());
        props.extend_from_slice(&[0; 4]);
    }
    (0..N_TABLES as u8)
        .map(|table_id| TableFeatures {
            table_id,
            name: String::new(),
            metadata_match: u64::MAX,
            metadata_write: u64::MAX,
            config: 0,
            max_entries: 1_000_000,
            properties: props.to_vec(),
        })
        .collect()
}
