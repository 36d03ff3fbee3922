//! A bridge as OpenFlow controllers see it: its tables, its ports' view,
//! its connection tracker, and its answers to the messages a connection
//! delivers (flow-mods, packet-outs, statistics and descriptions,
//! conntrack flushes). It is also the datapath's slow path (see
//! [`crate::slow_path`]): shared as `Arc<Bridge>`, with the tables behind
//! a read-write lock so that packet threads translate while flow-mods
//! write. Asynchronous messages (PACKET_IN, FLOW_REMOVED) go to every
//! [`Bridge::subscribe`]r.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak};

use conntrack::{Conntrack, FlushFilter};
use datapath::Datapath;
use openflow_codec::error::{BadRequestCode, OfpError};
use openflow_codec::message::error_msg::ErrorMsg;
use openflow_codec::message::flow_mod::{flags as fm_flags, OFPG_ANY, TABLE_ALL};
use openflow_codec::message::flow_removed::FlowRemoved;
use openflow_codec::message::multipart::desc::Desc;
use openflow_codec::message::multipart::flow_stats::{AggregateStats, FlowStats, FlowStatsRequest};
use openflow_codec::message::multipart::table_features::TableFeatures;
use openflow_codec::message::multipart::table_stats::TableStats;
use openflow_codec::message::multipart::{MpReply, MpRequest, MultipartReply, MultipartRequest};
use openflow_codec::message::nicira::NxMessage;
use openflow_codec::message::port::Port;
use openflow_codec::message::{Header, Message};

use crate::group::Groups;
use crate::mac_learning::MacLearning;
use crate::meter::Meters;
use crate::recirc::RecircTable;
use crate::table::{Removed, Rule, Tables, N_TABLES};

/// Most flow-stats entries in one reply message; the rest follow in more
/// messages flagged OFPMPF_REPLY_MORE, keeping each well under 64 KiB.
const FLOWS_PER_REPLY: usize = 64;
const OFPMPF_REPLY_MORE: u16 = 1;
/// OFPPC_PORT_DOWN, OFPPS_LINK_DOWN and OFPPS_LIVE.
const PORT_DOWN: u32 = 1;
const LINK_DOWN: u32 = 1;
const LIVE: u32 = 4;
/// How long recirculation ids unused since a table change survive it
/// (packets in flight may still come back with them).
const RECIRC_GRACE_MS: u64 = 10_000;

/// What a bridge is made with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeConfig {
    pub name: String,
    pub datapath_id: u64,
    /// The most flows one table may hold.
    pub max_flows: usize,
}

/// A bridge.
#[derive(Debug)]
pub struct Bridge {
    config: BridgeConfig,
    tables: RwLock<Tables>,
    pub(crate) recirc: RecircTable,
    pub(crate) macs: MacLearning,
    pub(crate) conntrack: Arc<Conntrack>,
    datapath: RwLock<Weak<Datapath>>,
    subscribers: Mutex<Vec<Sender<Message>>>,
    pub(crate) groups: RwLock<Groups>,
    pub(crate) meters: RwLock<Meters>,
    /// When the bridge (and its LOCAL port) came up.
    created: std::time::Instant,
    /// The ports as controllers were last told of them (`None`: not yet
    /// looked at).
    announced_ports: Mutex<Option<Vec<Port>>>,
}

impl Bridge {
    pub fn new(config: BridgeConfig, conntrack: Arc<Conntrack>) -> Self {
        Bridge {
            tables: RwLock::new(Tables::new(config.max_flows)),
            config,
            recirc: RecircTable::default(),
            macs: MacLearning::default(),
            conntrack,
            datapath: RwLock::new(Weak::new()),
            subscribers: Mutex::new(Vec::new()),
            groups: RwLock::default(),
            meters: RwLock::default(),
            created: std::time::Instant::now(),
            announced_ports: Mutex::new(None),
        }
    }

    pub fn name(&self) -> &str {
        &self.config.name
    }

    pub fn datapath_id(&self) -> u64 {
        self.config.datapath_id
    }

    /// The datapath whose slow path this bridge is. Held weakly: the
    /// datapath holds the bridge (as its upcall), not the other way round.
    pub fn attach_datapath(&self, datapath: &Arc<Datapath>) {
        *self.datapath.write().unwrap_or_else(|e| e.into_inner()) = Arc::downgrade(datapath);
    }

    pub fn datapath(&self) -> Option<Arc<Datapath>> {
        self.datapath
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .upgrade()
    }

    /// The tables, for reading (statistics, translation, dumps).
    pub fn tables(&self) -> RwLockReadGuard<'_, Tables> {
        self.tables.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn tables_mut(&self) -> RwLockWriteGuard<'_, Tables> {
        self.tables.write().unwrap_or_else(|e| e.into_inner())
    }

    /// A new receiver of the bridge's asynchronous messages (PACKET_IN,
    /// FLOW_REMOVED, PORT_STATUS); it lives until dropped.
    pub fn subscribe(&self) -> Receiver<Message> {
        let (tx, rx) = channel();
        self.subscribers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(tx);
        rx
    }

    /// Sends an asynchronous message to every live subscriber.
    pub(crate) fn publish(&self, message: Message) {
        let mut subscribers = self.subscribers.lock().unwrap_or_else(|e| e.into_inner());
        subscribers.retain(|tx| tx.send(message.clone()).is_ok());
    }

    /// The datapath's ports (OpenFlow port numbers), for translation.
    pub(crate) fn port_numbers(&self) -> Vec<u32> {
        self.datapath()
            .map_or_else(Vec::new, |dp| dp.port_numbers())
    }

    /// The datapath's ports that are up with a link (OpenFlow port
    /// numbers), for group bucket liveness.
    pub(crate) fn live_port_numbers(&self) -> Vec<u32> {
        self.datapath().map_or_else(Vec::new, |dp| {
            dp.port_numbers()
                .into_iter()
                .filter(|&no| dp.port(no).is_some_and(|p| p.is_up() && p.link_up()))
                .collect()
        })
    }

    /// The ports as PORT_DESC lists them: the datapath's, then the
    /// bridge's own LOCAL port unless the datapath has one.
    pub fn port_descs(&self) -> Vec<Port> {
        let mut descs: Vec<Port> = self
            .datapath()
            .map(|dp| dp.ports())
            .unwrap_or_default()
            .into_iter()
            .map(|(no, port)| {
                let (up, link) = (port.is_up(), port.link_up());
                // As in OVS: LINK_DOWN is the link alone, and a port is
                // live when it is up with a link.
                let state = match (up, link) {
                    (_, false) => LINK_DOWN,
                    (true, true) => LIVE,
                    (false, true) => 0,
                };
                Port {
                    hw_addr: port.hw_addr(),
                    ..port_desc(no, port.name(), if up { 0 } else { PORT_DOWN }, state)
                }
            })
            .collect();
        let local = nxm_fields::port::OFPP_LOCAL;
        if !descs.iter().any(|p| p.port_no == local) {
            descs.push(port_desc(local, &self.config.name, 0, LIVE));
        }
        descs
    }

    /// Sends a PORT_STATUS for every port added, deleted or modified (its
    /// config or link state) since the last call; the first call only
    /// takes note of the ports. Called when ports are added or removed
    /// and by [`Bridge::run_timers`] (link changes).
    pub fn announce_port_changes(&self) {
        // Held throughout, so that concurrent callers announce in order.
        let mut announced = self
            .announced_ports
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let now = self.port_descs();
        if let Some(before) = announced.replace(now.clone()) {
            let changes = crate::port_status::changes(&before, &now);
            // A port's liveness may have changed: cached group choices
            // (fast-failover, select) are stale.
            if !changes.is_empty() {
                self.flows_changed();
            }
            for status in changes {
                self.publish(Message::PortStatus(status));
            }
        }
    }

    /// The tables changed: cached datapath decisions are void.
    pub(crate) fn flows_changed(&self) {
        if let Some(dp) = self.datapath() {
            dp.flows_changed();
        }
        self.recirc.flows_changed(conntrack::now_ms());
    }

    /// Timers: flow idle/hard timeouts (with FLOW_REMOVED), MAC aging,
    /// freeing recirculation ids and PORT_STATUS for ports whose state
    /// changed. The daemon calls it about once a second.
    pub fn run_timers(&self, now_ms: u64) {
        self.announce_port_changes();
        let removed = self.tables_mut().expire(now_ms);
        let aged = self.macs.expire(now_ms);
        if !removed.is_empty() || aged > 0 {
            self.flows_changed();
        }
        self.announce_removed(removed, now_ms);
        self.recirc.collect(conntrack::now_ms(), RECIRC_GRACE_MS);
    }

    /// FLOW_REMOVED for removed rules that asked for it.
    pub(crate) fn announce_removed(&self, removed: Vec<Removed>, now_ms: u64) {
        for r in removed {
            if r.rule.flags & fm_flags::SEND_FLOW_REM == 0 {
                continue;
            }
            let age_ms = now_ms.saturating_sub(r.rule.created_ms);
            let (idle_timeout, hard_timeout) = r.rule.timeouts();
            self.publish(Message::FlowRemoved(FlowRemoved {
                cookie: r.rule.cookie,
                priority: r.rule.priority,
                reason: r.reason as u8,
                table_id: r.table_id,
                duration_sec: (age_ms / 1000) as u32,
                duration_nsec: ((age_ms % 1000) * 1_000_000) as u32,
                idle_timeout,
                hard_timeout,
                packet_count: r.rule.stats.packets(),
                byte_count: r.rule.stats.bytes(),
                r#match: r.rule.r#match,
            }));
        }
    }

    /// Handles one delivered message; returns the replies, each with its
    /// xid (the request's).
    pub fn handle(
        &self,
        header: Header,
        message: &Message,
        raw: &[u8],
        now_ms: u64,
    ) -> Vec<(u32, Message)> {
        let xid = header.xid;
        let error = |e: OfpError| vec![(xid, Message::Error(ErrorMsg::reply_to(e, raw)))];
        match message {
            Message::FlowMod(fm) => {
                if let Err(e) = self.check_flow_mod_refs(fm) {
                    return error(e);
                }
                let applied = self.tables_mut().apply(fm, now_ms);
                match applied {
                    Ok(removed) => {
                        self.flows_changed();
                        self.announce_removed(removed, now_ms);
                        Vec::new()
                    }
                    Err(e) => error(e),
                }
            }
            Message::GroupMod(gm) => self
                .group_mod(gm, now_ms)
                .map_or_else(error, |()| Vec::new()),
            Message::MeterMod(mm) => self
                .meter_mod(mm, now_ms)
                .map_or_else(error, |()| Vec::new()),
            Message::PacketOut(po) => self.packet_out(po).map_or_else(error, |()| Vec::new()),
            Message::MultipartRequest(req) => match self.multipart(req, now_ms) {
                Ok(replies) => replies
                    .into_iter()
                    .map(|reply| (xid, Message::MultipartReply(reply)))
                    .collect(),
                Err(e) => error(e),
            },
            Message::PortMod(pm) => self.port_mod(pm).map_or_else(error, |()| Vec::new()),
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
                let tables = self.tables();
                let mut stats: Vec<FlowStats> = selected(&tables, fsr)
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
                for (_, rule) in selected(&self.tables(), fsr) {
                    agg.packet_count += rule.stats.packets();
                    agg.byte_count += rule.stats.bytes();
                    agg.flow_count += 1;
                }
                one(MpReply::Aggregate(agg))
            }
            MpRequest::Table => {
                let tables = self.tables();
                one(MpReply::Table(
                    (0..N_TABLES as u8)
                        .map(|id| TableStats {
                            table_id: id,
                            active_count: tables.table(id).map_or(0, |t| t.len() as u32),
                            lookup_count: tables.table_stats(id).map_or(0, |s| s.lookups()),
                            matched_count: tables.table_stats(id).map_or(0, |s| s.matched()),
                        })
                        .collect(),
                ))
            }
            MpRequest::TableFeatures(_) => Ok(table_features()),
            MpRequest::PortDesc => one(MpReply::PortDesc(self.port_descs())),
            MpRequest::PortStats { port_no } => {
                one(MpReply::PortStats(crate::port_stats::port_stats(
                    self.datapath().as_deref(),
                    *port_no,
                    self.created.elapsed(),
                )))
            }
            MpRequest::Group { .. }
            | MpRequest::GroupDesc
            | MpRequest::GroupFeatures
            | MpRequest::Meter { .. }
            | MpRequest::MeterConfig { .. }
            | MpRequest::MeterFeatures => one(self.group_meter_multipart(&req.body, now_ms)?),
            _ => Err(BadRequestCode::BadStat.into()),
        }
    }
}

/// The rules a flow or aggregate statistics request selects.
fn selected<'a>(
    tables_ref: &'a Tables,
    fsr: &'a FlowStatsRequest,
) -> impl Iterator<Item = (u8, &'a Rule)> + 'a {
    let tables: Vec<u8> = if fsr.table_id == TABLE_ALL {
        (0..N_TABLES as u8).collect()
    } else {
        vec![fsr.table_id]
    };
    tables.into_iter().flat_map(move |id| {
        tables_ref
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

fn flow_stats(table_id: u8, rule: &Rule, now_ms: u64) -> FlowStats {
    let age_ms = now_ms.saturating_sub(rule.created_ms);
    let (idle_timeout, hard_timeout) = rule.timeouts();
    FlowStats {
        table_id,
        duration_sec: (age_ms / 1000) as u32,
        duration_nsec: ((age_ms % 1000) * 1_000_000) as u32,
        priority: rule.priority,
        idle_timeout,
        hard_timeout,
        flags: rule.flags,
        cookie: rule.cookie,
        packet_count: rule.stats.packets(),
        byte_count: rule.stats.bytes(),
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

/// Every table a controller may use with what it supports: the OpenFlow 1.3
/// instructions and actions the bridge executes, the later tables, and from
/// the field registry the settable, matchable and maskable fields. Like OVS,
/// the tables go in as many messages as keep each under 64 KiB.
fn table_features() -> Vec<MultipartReply> {
    use nxm_fields::FIELDS;
    use openflow_codec::message::multipart::table_features_props::{self as props, FieldHeader};

    // Every OpenFlow 1.3 instruction, and every OpenFlow 1.3 action but the
    // TTL copies and PBB: output, set_mpls_ttl, dec_mpls_ttl, push_vlan,
    // pop_vlan, push_mpls, pop_mpls, set_queue, group, set_nw_ttl,
    // dec_nw_ttl, set_field.
    const ACTIONS: [u16; 12] = [0, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25];
    // The fields of the registry that have an OpenFlow 1.3 header.
    let fields = || {
        FIELDS
            .iter()
            .filter_map(|f| f.header_of13().map(|h| (f, h)))
    };
    let header = |f: &nxm_fields::FieldDef, h, masked| FieldHeader::new(h, masked, f.n_bytes);
    let last = N_TABLES as u8 - 2;
    // The tables a controller may use (OVS keeps the last one to itself).
    let tables = (0..=last).map(|table_id| {
        let support = props::Support {
            // goto_table only where there is a later table.
            instructions: if table_id < last {
                vec![1, 2, 3, 4, 5, 6]
            } else {
                vec![2, 3, 4, 5, 6]
            },
            next_tables: (table_id + 1..=last).collect(),
            actions: ACTIONS.to_vec(),
            set_fields: fields()
                .filter(|(f, _)| f.writable)
                .map(|(f, h)| header(f, h, false))
                .collect(),
            matching: fields().map(|(f, h)| header(f, h, f.maskable)).collect(),
            wildcards: fields().map(|(f, h)| header(f, h, false)).collect(),
        };
        TableFeatures {
            table_id,
            name: String::new(),
            metadata_match: u64::MAX,
            metadata_write: u64::MAX,
            config: 0,
            max_entries: 1_000_000,
            properties: props::encode(&support.properties()),
        }
    });
    // Fill each message up to a budget well under the 64 KiB limit.
    const BUDGET: usize = 60_000;
    let mut chunks: Vec<(usize, Vec<TableFeatures>)> = vec![(0, Vec::new())];
    for table in tables {
        let size = 64 + table.properties.len();
        match chunks.last_mut() {
            Some((used, list)) if *used + size <= BUDGET => {
                *used += size;
                list.push(table);
            }
            _ => chunks.push((size, vec![table])),
        }
    }
    let last_chunk = chunks.len().saturating_sub(1);
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, (_, list))| MultipartReply {
            flags: if i < last_chunk { OFPMPF_REPLY_MORE } else { 0 },
            body: MpReply::TableFeatures(list),
        })
        .collect()
}

/// A port's description: its number, name and up/down state.
fn port_desc(port_no: u32, name: &str, config: u32, state: u32) -> Port {
    Port {
        port_no,
        hw_addr: [0; 6],
        name: name.to_string(),
        config,
        state,
        curr: 0,
        advertised: 0,
        supported: 0,
        peer: 0,
        curr_speed: 0,
        max_speed: 0,
    }
}
