//! The in-process switch a scenario runs on: bridge `br0` (datapath id 1)
//! with dummy ports p1..p4 as OpenFlow ports 1..4 and its own port
//! `br0` as LOCAL (which floods reach, as in OVS's sandbox, and whose
//! frames no report shows), its connection tracker
//! (TCP sequence checking on) and a datapath.
//!
//! Every pass of a packet is seen because every pass is a datapath miss,
//! as in `ovs-scenario` (which deletes the datapath flows before each
//! packet): the megaflows are flushed and a fresh exact-match cache is used
//! per packet, and an [`Observer`] in front of the slow path records the
//! flow each miss was looked up with.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use bytes::BytesMut;
use conntrack::{Conntrack, DumpStyle};
use datapath::cache::ExactCache;
use datapath::port::DummyPort;
use datapath::{Datapath, MissReply, Packet, Upcall, UpcallError, UserspacePacket};
use nxm_fields::port::OFPP_LOCAL;
use nxm_fields::Flow;
use ofproto::bridge::{Bridge, BridgeConfig};
use ofproto::mac_learning::MacLearning;
use openflow_codec::message::flow_mod::{FlowModCommand, OFPG_ANY};
use openflow_codec::message::group::GroupCommand;
use openflow_codec::message::multipart::flow_stats::FlowStatsRequest;
use openflow_codec::message::multipart::{MpReply, MpRequest, MultipartRequest};
use openflow_codec::message::port_mod::PortMod;
use openflow_codec::message::print::ofp_to_string;
use openflow_codec::message::Message;
use openflow_codec::text::flow_mod::parse_flow_mod;
use openflow_codec::text::group_mod::parse_group_mod;

use super::parse::PORTS;
use super::run::{Injected, Pass, Switch};

/// The xid ovs-ofctl 3.1 gives the request of `add-flow`, `del-flows` and
/// `dump-flows` (it spends 1..5 on version negotiation), which an error
/// reply echoes.
const OFCTL_XID: u32 = 6;

/// OFPPC_PORT_DOWN.
const OFPPC_PORT_DOWN: u32 = 1;

/// The slow path with a recorder in front: the flow of every miss and
/// every userspace action, in order.
struct Observer {
    inner: Arc<dyn Upcall>,
    misses: Mutex<Vec<Pass>>,
    /// Every flow that missed in this scenario. OVS keeps an upcall key
    /// for each after ovs-scenario deletes the datapath flows, and does
    /// not install a flow whose key it already has ("ukey installation
    /// fails"), so a later packet of the same flow in one batch (the
    /// fragments of a reassembled datagram) misses again. `None` in a
    /// switch that caches every miss, as the daemon does (the bench, which
    /// flushes the megaflows on purpose and must see them installed again).
    upcalled: Option<Mutex<HashSet<Flow>>>,
}

impl core::fmt::Debug for Observer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Observer")
    }
}

impl Upcall for Observer {
    fn miss(&self, flow: &Flow) -> Result<MissReply, UpcallError> {
        self.misses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Pass {
                flow: flow.clone(),
                action: false,
            });
        self.inner.miss(flow)
    }

    fn caches(&self, flow: &Flow) -> bool {
        let fresh = self.upcalled.as_ref().is_none_or(|upcalled| {
            upcalled
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(flow.clone())
        });
        fresh && self.inner.caches(flow)
    }

    fn userspace(&self, packet: UserspacePacket) {
        self.misses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Pass {
                flow: packet.flow.clone(),
                action: true,
            });
        self.inner.userspace(packet);
    }
}

/// Scenario switch.
pub struct InProcess {
    bridge: Arc<Bridge>,
    conntrack: Arc<Conntrack>,
    datapath: Arc<Datapath>,
    observer: Arc<Observer>,
    ports: Vec<(u32, Arc<DummyPort>)>,
    /// The bridge's own port, LOCAL.
    local: Arc<DummyPort>,
    /// How far `appctl time/warp` moved the switch's clock ahead.
    warp_ms: u64,
}

impl core::fmt::Debug for InProcess {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("InProcess")
            .field("datapath", &self.datapath)
            .finish()
    }
}

impl InProcess {
    /// A switch that behaves as OVS under ovs-scenario, down to not caching
    /// a flow that missed before (see `Observer::upcalled`).
    pub fn new() -> Self {
        Self::with_upcalled(Some(Mutex::default()))
    }

    /// A switch that caches every miss, as the daemon does: for measuring
    /// the cache paths.
    pub fn caching_every_miss() -> Self {
        Self::with_upcalled(None)
    }

    fn with_upcalled(upcalled: Option<Mutex<HashSet<Flow>>>) -> Self {
        let conntrack = Arc::new(Conntrack::new());
        let config = BridgeConfig {
            name: "br0".into(),
            datapath_id: 1,
            max_flows: 1_000_000,
        };
        let bridge = Arc::new(Bridge::new(config, conntrack.clone()));
        let observer = Arc::new(Observer {
            inner: bridge.clone(),
            misses: Mutex::new(Vec::new()),
            upcalled,
        });
        let datapath = Arc::new(Datapath::new(conntrack.clone(), observer.clone()));
        bridge.attach_datapath(&datapath);
        let ports: Vec<_> = (1..=PORTS)
            .map(|no| (no, Arc::new(DummyPort::new(format!("p{no}")))))
            .collect();
        for (no, port) in &ports {
            // Numbers 1..=PORTS are distinct, so adding cannot fail.
            let _ = datapath.add_port(*no, port.clone());
        }
        let local = Arc::new(DummyPort::new("br0"));
        // LOCAL is not among 1..=PORTS, so adding cannot fail.
        let _ = datapath.add_port(OFPP_LOCAL, local.clone());
        InProcess {
            bridge,
            conntrack,
            datapath,
            observer,
            ports,
            local,
            warp_ms: 0,
        }
    }

    /// Hands `message` to the bridge as ovs-ofctl would send it: encoded
    /// with the xid ovs-ofctl 3.1 gives it and decoded again, so the rule
    /// is exactly what a real connection installs (OpenFlow 1.0 style
    /// actions become set_field, and so on). An error reply becomes `Err`
    /// holding what ovs-ofctl prints for it.
    fn send(&mut self, message: Message) -> Result<Vec<Message>, String> {
        let mut wire = BytesMut::new();
        message.encode(OFCTL_XID, &mut wire);
        let (header, decoded) = Message::decode(&wire).map_err(|e| format!("ovs-ofctl: {e}"))?;
        let replies = self.bridge.handle(header, &decoded, &wire, self.now());
        if let Some((xid, reply @ Message::Error(_))) = replies.first() {
            let mut bytes = BytesMut::new();
            reply.encode(*xid, &mut bytes);
            return Err(ofp_to_string(&bytes).trim_end().to_string());
        }
        self.datapath.flows_changed();
        Ok(replies.into_iter().map(|(_, m)| m).collect())
    }

    /// The datapath, for callers that drive packets themselves (the bench).
    pub fn datapath(&self) -> &Arc<Datapath> {
        &self.datapath
    }

    /// Forgets what the ports transmitted and the misses recorded, so that
    /// a long run keeps no history.
    pub fn forget_history(&self) {
        for (_, p) in &self.ports {
            p.take_transmitted();
        }
        self.local.take_transmitted();
        self.observer
            .misses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    fn flow_mod(&mut self, spec: &str, command: FlowModCommand) -> Result<(), String> {
        let parsed = parse_flow_mod(spec, command).map_err(|e| format!("ovs-ofctl: {e}"))?;
        self.send(Message::FlowMod(parsed.flow_mod)).map(drop)
    }
}

impl Switch for InProcess {
    fn add_flow(&mut self, spec: &str) -> Result<(), String> {
        self.flow_mod(spec, FlowModCommand::Add)
    }

    fn del_flows(&mut self, spec: &str) -> Result<(), String> {
        self.flow_mod(spec, FlowModCommand::Delete)
    }

    fn dump_flows(&mut self, filter: &str) -> Result<Vec<String>, String> {
        let replies = self.send(Message::MultipartRequest(MultipartRequest {
            flags: 0,
            body: flow_stats_request(filter)?,
        }))?;
        let mut lines = Vec::new();
        for reply in replies {
            if let Message::MultipartReply(r) = reply {
                if let MpReply::Flow(stats) = r.body {
                    for s in stats {
                        let mut line = String::new();
                        s.format(&mut line);
                        lines.push(line.trim().to_string());
                    }
                }
            }
        }
        Ok(lines)
    }

    fn inject(&mut self, port: u32, frame: Vec<u8>) -> Injected {
        self.datapath.flows_changed();
        self.forget_history();
        let mut emc = ExactCache::with_capacity(16);
        let now = self.now();
        self.datapath
            .process(&mut emc, vec![Packet::new(frame, port)], now);
        let passes = std::mem::take(
            &mut *self
                .observer
                .misses
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        // OVS's report shows what the dummy ports sent, not br0.
        self.local.take_transmitted();
        let tx: BTreeMap<u32, Vec<Vec<u8>>> = self
            .ports
            .iter()
            .map(|(no, p)| (*no, p.take_transmitted()))
            .filter(|(_, frames)| !frames.is_empty())
            .collect();
        Injected { passes, tx }
    }

    fn dump_conntrack(&mut self, zone: Option<u16>, style: DumpStyle) -> Vec<String> {
        self.conntrack
            .dump(zone, self.now())
            .iter()
            .map(|e| e.format(style))
            .collect()
    }

    fn trace(&mut self, flow: &Flow, ct_next: &[u32]) -> String {
        self.bridge.trace(flow, ct_next)
    }

    fn conntrack(&self) -> &Conntrack {
        &self.conntrack
    }

    fn now(&self) -> u64 {
        conntrack::now_ms() + self.warp_ms
    }

    fn warp(&mut self, ms: u64) {
        self.warp_ms += ms;
        // What OVS's main loop and its conntrack and fragment cleanup
        // threads do while its clock jumps.
        let now = self.now();
        self.bridge.run_timers(now);
        self.conntrack.sweep(now, usize::MAX);
        self.conntrack.ipf().purge_stale(now);
    }

    fn mac_table(&self) -> &MacLearning {
        self.bridge.mac_table()
    }

    fn flow_mod(&mut self, spec: &str, command: FlowModCommand) -> Result<(), String> {
        InProcess::flow_mod(self, spec, command)
    }

    fn group_mod(&mut self, spec: &str, command: GroupCommand) -> Result<(), String> {
        let gm = parse_group_mod(spec, command).map_err(|e| format!("ovs-ofctl: {e}"))?;
        self.send(Message::GroupMod(gm)).map(drop)
    }

    fn port_mod(&mut self, port: u32, up: bool) -> Result<(), String> {
        // ovs-ofctl names the port by its address, read from its description.
        let hw_addr = self
            .bridge
            .port_descs()
            .into_iter()
            .find(|d| d.port_no == port)
            .map(|d| d.hw_addr)
            .ok_or_else(|| format!("ovs-ofctl: {port}: couldn't find port"))?;
        self.send(Message::PortMod(PortMod {
            port_no: port,
            hw_addr,
            config: if up { 0 } else { OFPPC_PORT_DOWN },
            mask: OFPPC_PORT_DOWN,
            advertise: 0,
        }))
        .map(drop)
    }

    fn dump(&mut self, request: MpRequest, xid: u32) -> Result<String, String> {
        let replies = self.send(Message::MultipartRequest(MultipartRequest {
            flags: 0,
            body: request,
        }))?;
        let mut text = String::new();
        for reply in replies {
            let mut wire = BytesMut::new();
            reply.encode(xid, &mut wire);
            text.push_str(&ofp_to_string(&wire));
        }
        Ok(text)
    }

    fn dump_flows_reply(&mut self, filter: &str, xid: u32) -> Result<String, String> {
        let request = flow_stats_request(filter)?;
        self.dump(request, xid)
    }
}

/// The flow-stats request `ovs-ofctl dump-flows br0 FILTER` sends.
fn flow_stats_request(filter: &str) -> Result<MpRequest, String> {
    let fm = parse_flow_mod(filter, FlowModCommand::Delete)
        .map_err(|e| e.to_string())?
        .flow_mod;
    Ok(MpRequest::Flow(Box::new(FlowStatsRequest {
        table_id: fm.table_id,
        out_port: fm.out_port,
        out_group: OFPG_ANY,
        cookie: fm.cookie,
        cookie_mask: fm.cookie_mask,
        r#match: fm.r#match,
    })))
}
