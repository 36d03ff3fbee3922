//! Translation as a specification: the stateful firewall's two passes,
//! registers, resubmit and goto, NORMAL, minimal megaflow masks, and the
//! whole packet's way through a datapath whose slow path is a bridge.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use conntrack::wire::compose::udp_packet;
use conntrack::Conntrack;
use datapath::cache::ExactCache;
use datapath::port::{DummyPort, Port};
use datapath::{extract, Datapath, Packet};
use nxm_fields::flow::slot_ones;
use nxm_fields::layout::{self as l, Slot};
use nxm_fields::Flow;
use openflow_codec::message::flow_mod::{FlowModCommand, NO_BUFFER};
use openflow_codec::message::packet_out::PacketOut;
use openflow_codec::message::{Header, Message};
use openflow_codec::text::flow_mod::parse_flow_mod;

use super::{translate, Env, XlateError, Xlated};
use crate::bridge::{Bridge, BridgeConfig};
use crate::group::Groups;
use crate::mac_learning::MacLearning;
use crate::meter::Meters;
use crate::recirc::RecircTable;
use crate::table::Tables;

const MAC1: u64 = 0x5054_0000_0001;
const MAC2: u64 = 0x5054_0000_0002;

const FIREWALL: &[&str] = &[
    "table=0,priority=100,ip,ct_state=-trk,actions=ct(table=1)",
    "table=0,priority=1,actions=drop",
    "table=1,priority=10,in_port=1,ip,ct_state=+trk+new,actions=ct(commit),output:2",
    "table=1,priority=10,in_port=1,ip,ct_state=+trk+est,actions=output:2",
    "table=1,priority=10,in_port=2,ip,ct_state=+trk+est,actions=output:1",
    "table=1,priority=10,in_port=2,ip,ct_state=+trk+new,actions=drop",
];

fn tables(flows: &[&str]) -> Tables {
    let mut t = Tables::new(1000);
    for text in flows {
        let fm = parse_flow_mod(text, FlowModCommand::Add)
            .unwrap_or_else(|e| panic!("{text}: {e:?}"))
            .flow_mod;
        t.apply(&fm, 0).unwrap();
    }
    t
}

/// An Ethernet frame carrying a UDP datagram from 10.1.1.`from` to 10.1.1.`to`.
pub(crate) fn udp_frame(from: u8, to: u8, sport: u16, dport: u16) -> Vec<u8> {
    let ip = |n| IpAddr::V4(Ipv4Addr::new(10, 1, 1, n));
    let mac = |n: u8| [0x50, 0x54, 0, 0, 0, n];
    let mut f = mac(to).to_vec();
    f.extend_from_slice(&mac(from));
    f.extend_from_slice(&[0x08, 0x00]);
    f.extend(udp_packet(ip(from), ip(to), sport, dport, 8).unwrap());
    f
}

pub(super) struct Fixture {
    tables: Tables,
    ports: Vec<u32>,
    recirc: RecircTable,
    macs: MacLearning,
    groups: Groups,
    meters: Meters,
}

impl Fixture {
    pub(super) fn new(flows: &[&str]) -> Self {
        Fixture {
            tables: tables(flows),
            ports: vec![1, 2, 3],
            recirc: RecircTable::default(),
            macs: MacLearning::default(),
            groups: Groups::default(),
            meters: Meters::default(),
        }
    }

    /// Replaces the bridge's ports.
    pub(super) fn ports(mut self, ports: &[u32]) -> Self {
        self.ports = ports.to_vec();
        self
    }

    /// Adds a group, in ovs-ofctl's syntax.
    pub(super) fn group(mut self, text: &str) -> Self {
        use openflow_codec::message::group::GroupCommand;
        let gm = openflow_codec::text::group_mod::parse_group_mod(text, GroupCommand::Add);
        self.groups.apply(&gm.expect(text), 0).expect(text);
        self
    }

    pub(super) fn xlate(&self, flow: &Flow) -> Xlated {
        self.try_xlate(flow).unwrap()
    }

    pub(super) fn try_xlate(&self, flow: &Flow) -> Result<Xlated, XlateError> {
        let env = Env {
            tables: &self.tables,
            ports: &self.ports,
            live_ports: &self.ports,
            recirc: &self.recirc,
            macs: &self.macs,
            groups: &self.groups,
            meters: &self.meters,
            now_ms: 0,
        };
        translate(env, flow)
    }
}

fn slots(mask: &Flow, slots: &[Slot]) -> Vec<u128> {
    slots.iter().map(|&s| mask.get(s)).collect()
}

fn ones(s: Slot) -> u128 {
    slot_ones(s)
}

#[test]
fn firewall_first_pass_is_ct_and_recirc_and_matches_only_what_it_read() {
    let fx = Fixture::new(FIREWALL);
    let out = fx.xlate(&extract(&udp_frame(1, 2, 5353, 53), 1));
    assert_eq!(out.actions.to_string(), "ct,recirc(0x1)");
    let m = &out.mask;
    assert_eq!(m.get(l::CT_STATE), 0x20, "only -trk was consulted");
    assert_eq!(m.get(l::ETH_TYPE), 0xffff);
    assert_eq!(
        slots(
            m,
            &[
                l::NW_SRC,
                l::NW_DST,
                l::TP_SRC,
                l::TP_DST,
                l::reg(0),
                l::METADATA
            ]
        ),
        [0; 6]
    );
    let frozen = fx.recirc.thaw(1).unwrap();
    assert_eq!((frozen.table_id, frozen.conntracked), (1, true));
}

#[test]
fn firewall_second_pass_matches_ct_state_and_commits_new_connections() {
    let fx = Fixture::new(FIREWALL);
    let first = fx.xlate(&extract(&udp_frame(1, 2, 5353, 53), 1));
    assert_eq!(first.actions.to_string(), "ct,recirc(0x1)");
    let mut flow = extract(&udp_frame(1, 2, 5353, 53), 1);
    flow.set(l::RECIRC_ID, 1);
    flow.set(l::CT_STATE, 0x21); // new|trk
    let out = fx.xlate(&flow);
    assert_eq!(out.actions.to_string(), "ct(commit),2");
    assert_eq!(
        out.mask.get(l::CT_STATE) & 0x21,
        0x21,
        "+trk+new was consulted"
    );
    assert_eq!(out.mask.get(l::IN_PORT), ones(l::IN_PORT));
    flow.set(l::CT_STATE, 0x22); // est|trk
    assert_eq!(fx.xlate(&flow).actions.to_string(), "2");
    // The same continuation again: the same id.
    let again = fx.xlate(&extract(&udp_frame(1, 2, 1, 2), 1));
    assert_eq!(again.actions.to_string(), "ct,recirc(0x1)");
}

#[test]
fn ct_zone_from_a_register_mark_and_label_from_exec() {
    let fx = Fixture::new(&[
        "table=0,ip,actions=load:7->NXM_NX_REG1[0..15],ct(commit,zone=NXM_NX_REG1[0..15],\
         exec(set_field:0x5->ct_mark,load:0x3->NXM_NX_CT_LABEL[0..7]),table=3)",
    ]);
    let out = fx.xlate(&extract(&udp_frame(1, 2, 5353, 53), 1));
    assert_eq!(
        out.actions.to_string(),
        "ct(commit,zone=7,mark=0x5/0xffffffff,label=0x3/0xff),recirc(0x1)"
    );
    assert_eq!(
        fx.recirc.thaw(1).unwrap().regs[1],
        7,
        "registers are frozen"
    );
}

#[test]
fn registers_resubmit_and_goto_stay_out_of_the_megaflow() {
    let fx = Fixture::new(&[
        "table=0,actions=load:5->NXM_NX_REG0[],resubmit(,1),goto_table:2",
        "table=1,reg0=5,actions=output:2",
        "table=1,priority=0,actions=drop",
        "table=2,actions=move:NXM_NX_REG0[]->NXM_NX_REG2[],output:NXM_NX_REG2[0..15]",
    ]);
    // Port 5 does not exist: output:reg2 (=5) emits nothing.
    let out = fx.xlate(&extract(&udp_frame(1, 2, 5353, 53), 1));
    assert_eq!(out.actions.to_string(), "2");
    assert_eq!(slots(&out.mask, &[l::reg(0), l::reg(2)]), [0, 0]);
    assert_eq!(out.credits.rules.len(), 3);
}

#[test]
fn resubmit_with_in_port_looks_up_as_that_port() {
    let fx = Fixture::new(&[
        "table=0,in_port=1,actions=resubmit(3,1),output:3",
        "table=1,in_port=3,actions=output:2",
    ]);
    let out = fx.xlate(&extract(&udp_frame(1, 2, 5353, 53), 1));
    assert_eq!(out.actions.to_string(), "2,3");
}

#[test]
fn a_rule_on_tp_dst_unwildcards_tp_dst_and_its_prerequisites_only() {
    let fx = Fixture::new(&["table=0,udp,tp_dst=53,actions=output:2"]);
    let out = fx.xlate(&extract(&udp_frame(1, 2, 5353, 53), 1));
    assert_eq!(out.actions.to_string(), "2");
    let m = &out.mask;
    assert_eq!(
        slots(m, &[l::TP_DST, l::NW_PROTO, l::ETH_TYPE]),
        [0xffff, 0xff, 0xffff]
    );
    assert_eq!(
        slots(
            m,
            &[
                l::TP_SRC,
                l::NW_SRC,
                l::NW_DST,
                l::ETH_SRC,
                l::ETH_DST,
                l::NW_TTL
            ]
        ),
        [0; 6]
    );
}

#[test]
fn set_field_on_headers_becomes_a_masked_set_before_output() {
    let fx = Fixture::new(&[
        "table=0,udp,actions=set_field:10.9.9.9->nw_dst,mod_tp_src:99,output:2,dec_ttl,output:3",
    ]);
    let out = fx.xlate(&extract(&udp_frame(1, 2, 5353, 53), 1));
    // As OVS 3.1's ofproto/trace shows for this rule: the second set
    // leaves out the destination already set.
    assert_eq!(
        out.actions.to_string(),
        "set(ipv4(dst=10.9.9.9)),set(udp(src=99)),2,set(ipv4(ttl=63)),3"
    );
}

#[test]
fn output_reserved_ports() {
    let fx = Fixture::new(&[
        "table=0,in_port=1,actions=output:in_port,flood",
        "table=0,in_port=2,actions=all,output:2,controller",
    ]);
    let from1 = fx.xlate(&extract(&udp_frame(1, 2, 5353, 53), 1));
    assert_eq!(from1.actions.to_string(), "1,2,3");
    let from2 = fx.xlate(&extract(&udp_frame(2, 1, 53, 5353), 2));
    assert_eq!(
        from2.actions.to_string(),
        "1,3,userspace(pid=0,controller(reason=1,dont_send=0,continuation=0,\
         recirc_id=1,rule_cookie=0,controller_id=0,max_len=65535))"
    );
}

#[test]
fn output_trunc_cuts_before_the_pending_sets_and_only_real_ports() {
    let fx = Fixture::new(&[
        "table=0,in_port=1,actions=mod_nw_dst:10.9.9.9,output(port=2,max_len=40),output(port=1,max_len=40),output:3",
    ]);
    let out = fx.xlate(&extract(&udp_frame(1, 2, 5353, 53), 1));
    assert_eq!(
        out.actions.to_string(),
        "trunc(40),set(ipv4(dst=10.9.9.9)),2,3"
    );
}

#[test]
fn table_miss_drops_unless_a_miss_rule_says_otherwise() {
    let fx = Fixture::new(&["table=0,tcp,actions=output:2"]);
    let out = fx.xlate(&extract(&udp_frame(1, 2, 5353, 53), 1));
    assert!(out.actions.is_empty());
    assert_eq!(out.actions.to_string(), "drop");
}

#[test]
fn normal_learns_and_floods_unknown_destinations() {
    let fx = Fixture::new(&["table=0,actions=NORMAL"]);
    let first = fx.xlate(&extract(&udp_frame(1, 2, 5353, 53), 1));
    assert_eq!(
        first.actions.to_string(),
        "3,2",
        "MAC2 unknown: flood, newest port first"
    );
    assert!(first.learned);
    assert_eq!(fx.macs.lookup(0, MAC1), Some(1));
    let reply = fx.xlate(&extract(&udp_frame(2, 1, 53, 5353), 2));
    assert_eq!(reply.actions.to_string(), "1", "MAC1 learned on port 1");
    assert_eq!(reply.mask.get(l::ETH_DST), ones(l::ETH_DST));
    let again = fx.xlate(&extract(&udp_frame(1, 2, 5353, 53), 1));
    assert_eq!(again.actions.to_string(), "2");
    assert!(!again.learned);
    assert_eq!(fx.macs.lookup(0, MAC2), Some(2));
}

/// A bridge with a datapath and dummy ports 1 and 2, as the daemon wires them.
pub(crate) fn switch(flows: &[&str]) -> (Arc<Bridge>, Arc<Datapath>, Vec<Arc<DummyPort>>) {
    let conntrack = Arc::new(Conntrack::new());
    let bridge = Arc::new(Bridge::new(
        BridgeConfig {
            name: "br0".into(),
            datapath_id: 1,
            max_flows: 1000,
        },
        conntrack.clone(),
    ));
    let dp = Arc::new(Datapath::new(conntrack, bridge.clone()));
    bridge.attach_datapath(&dp);
    let ports: Vec<Arc<DummyPort>> = (1..=2)
        .map(|n| Arc::new(DummyPort::new(format!("p{n}"))))
        .collect();
    for (n, p) in (1..).zip(&ports) {
        dp.add_port(n, p.clone() as Arc<dyn Port>).unwrap();
    }
    for text in flows {
        let fm = parse_flow_mod(text, FlowModCommand::Add).unwrap().flow_mod;
        let replies = bridge.handle(header(), &Message::FlowMod(fm), &[], 0);
        assert!(replies.is_empty(), "{text}: {replies:?}");
    }
    (bridge, dp, ports)
}

pub(crate) fn header() -> Header {
    Header {
        version: 4,
        msg_type: 0,
        length: 0,
        xid: 9,
    }
}

#[test]
fn a_connection_goes_new_then_established_through_recirculation() {
    let (_bridge, dp, ports) = switch(FIREWALL);
    let mut emc = ExactCache::default();
    let send = |emc: &mut ExactCache, frame: Vec<u8>, port: u32| {
        dp.process(emc, vec![Packet::new(frame, port)], conntrack::now_ms());
    };
    let request = udp_frame(1, 2, 5353, 53);
    let reply = udp_frame(2, 1, 53, 5353);
    send(&mut emc, request.clone(), 1);
    assert_eq!(
        ports[1].take_transmitted(),
        vec![request.clone()],
        "new: committed, to p2"
    );
    send(&mut emc, reply.clone(), 2);
    assert_eq!(
        ports[0].take_transmitted(),
        vec![reply.clone()],
        "est reply to p1"
    );
    send(&mut emc, request.clone(), 1);
    assert_eq!(ports[1].take_transmitted(), [request], "est request to p2");
    // An unsolicited packet from p2 is new there and dropped.
    send(&mut emc, udp_frame(2, 1, 9999, 53), 2);
    assert!(ports[0].take_transmitted().is_empty());
    let dump = dp.dump_flows(conntrack::now_ms()).join("\n");
    assert!(dump.contains("actions:ct,recirc(0x1)"), "{dump}");
    assert!(dump.contains("recirc_id(0x1)"), "{dump}");
}

#[test]
fn a_flow_mod_invalidates_cached_forwarding() {
    let (bridge, dp, ports) = switch(&["table=0,actions=output:2"]);
    let mut emc = ExactCache::default();
    let frame = udp_frame(1, 2, 5353, 53);
    dp.process(&mut emc, vec![Packet::new(frame.clone(), 1)], 0);
    assert_eq!(ports[1].take_transmitted().len(), 1);
    let fm = parse_flow_mod("table=0,actions=drop", FlowModCommand::Add)
        .unwrap()
        .flow_mod;
    bridge.handle(header(), &Message::FlowMod(fm), &[], 0);
    dp.process(&mut emc, vec![Packet::new(frame, 1)], 0);
    assert!(ports[1].take_transmitted().is_empty());
}

#[test]
fn packet_out_runs_its_actions_and_the_tables() {
    let (bridge, _dp, ports) = switch(&["table=0,in_port=1,actions=output:2"]);
    let frame = udp_frame(1, 2, 5353, 53);
    let out = |port: u16| PacketOut {
        buffer_id: NO_BUFFER,
        in_port: 1,
        actions: openflow_codec::action::parse_actions_text(&format!("output:{port}"), None)
            .map(|insts| match insts.into_iter().next() {
                Some(openflow_codec::instruction::Instruction::ApplyActions(a)) => a,
                _ => Vec::new(),
            })
            .unwrap(),
        data: frame.clone(),
    };
    let explicit = out(2);
    assert!(bridge
        .handle(header(), &Message::PacketOut(explicit), &[], 0)
        .is_empty());
    assert_eq!(ports[1].take_transmitted(), vec![frame.clone()]);
    let via_table = PacketOut {
        actions: out(2).actions.into_iter().map(|_| table_output()).collect(),
        ..out(2)
    };
    bridge.handle(header(), &Message::PacketOut(via_table), &[], 0);
    assert_eq!(ports[1].take_transmitted(), [frame]);
}

fn table_output() -> openflow_codec::action::Action {
    openflow_codec::action::Action::Output(openflow_codec::action::output::Output {
        port: nxm_fields::port::to_ofp10(nxm_fields::port::OFPP_TABLE),
        max_len: 0,
    })
}

/// The packet-in the switch sends when `frame` arrives on port 1.
pub(super) fn packet_in_of(
    bridge: &Bridge,
    dp: &Datapath,
    frame: &[u8],
) -> openflow_codec::message::packet_in::PacketIn {
    let rx = bridge.subscribe();
    dp.process(
        &mut ExactCache::default(),
        vec![Packet::new(frame.to_vec(), 1)],
        0,
    );
    let Ok(Message::PacketIn(pi)) = rx.try_recv() else {
        panic!("no packet-in");
    };
    pi
}

#[test]
fn packet_in_carries_table_cookie_ct_fields_and_truncated_data() {
    let (bridge, dp, _ports) = switch(&[
        "table=0,ip,ct_state=-trk,actions=ct(zone=3,table=1)",
        "table=1,cookie=0x77,ip,actions=load:9->NXM_NX_REG2[],controller(max_len=20)",
    ]);
    let frame = udp_frame(1, 2, 5353, 53);
    let pi = packet_in_of(&bridge, &dp, &frame);
    assert_eq!((pi.reason, pi.table_id, pi.cookie), (1, 1, 0x77));
    assert_eq!(pi.data, frame[..20]);
    assert_eq!(usize::from(pi.total_len), frame.len());
    let text = pi.r#match.to_string();
    for want in [
        "ct_state=new|trk",
        "ct_zone=3",
        "reg2=0x9",
        "in_port=1",
        "ct_tp_dst=53",
    ] {
        assert!(text.contains(want), "{want} not in {text}");
    }
}

/// Each rule's (n_packets, n_bytes) as a flow statistics request
/// (what `ovs-ofctl dump-flows` asks) reports them, by table and priority.
fn rule_counts(bridge: &Bridge) -> Vec<(u8, u16, u64, u64)> {
    use openflow_codec::message::flow_mod::{OFPG_ANY, TABLE_ALL};
    use openflow_codec::message::multipart::flow_stats::FlowStatsRequest;
    use openflow_codec::message::multipart::{MpReply, MpRequest, MultipartRequest};
    let request = MultipartRequest {
        flags: 0,
        body: MpRequest::Flow(Box::new(FlowStatsRequest {
            table_id: TABLE_ALL,
            out_port: nxm_fields::port::OFPP_ANY,
            out_group: OFPG_ANY,
            cookie: 0,
            cookie_mask: 0,
            r#match: nxm_fields::Match::default(),
        })),
    };
    let mut counts = Vec::new();
    for (_, reply) in bridge.handle(header(), &Message::MultipartRequest(request), &[], 0) {
        if let Message::MultipartReply(r) = reply {
            if let MpReply::Flow(stats) = r.body {
                counts.extend(
                    stats
                        .iter()
                        .map(|s| (s.table_id, s.priority, s.packet_count, s.byte_count)),
                );
            }
        }
    }
    counts
}

#[test]
fn rules_count_every_pass_of_every_packet_in_bytes_cached_or_not() {
    let (bridge, dp, _ports) = switch(FIREWALL);
    let mut emc = ExactCache::default();
    let request = udp_frame(1, 2, 5353, 53);
    let len = request.len() as u64;
    // The first packet misses on both passes; the next two hit the cache
    // (unanswered, they are +new too, as in OVS).
    for _ in 0..3 {
        dp.process(&mut emc, vec![Packet::new(request.clone(), 1)], 0);
    }
    assert_eq!(dp.stats().missed, 2, "first pass, then new");
    let counts = rule_counts(&bridge);
    let of = |table, priority, in_port_rule: usize| {
        counts
            .iter()
            .filter(|c| (c.0, c.1) == (table, priority))
            .nth(in_port_rule)
            .map(|c| (c.2, c.3))
    };
    assert_eq!(of(0, 100, 0), Some((3, 3 * len)), "{counts:?}");
    assert_eq!(of(0, 1, 0), Some((0, 0)));
    let table1: u64 = counts.iter().filter(|c| c.0 == 1).map(|c| c.2).sum();
    let bytes1: u64 = counts.iter().filter(|c| c.0 == 1).map(|c| c.3).sum();
    assert_eq!((table1, bytes1), (3, 3 * len), "three new: {counts:?}");
}

#[test]
fn a_packet_out_through_the_tables_counts_its_rules() {
    let (bridge, _dp, _ports) = switch(&["table=0,in_port=1,actions=output:2"]);
    let frame = udp_frame(1, 2, 5353, 53);
    let po = PacketOut {
        buffer_id: NO_BUFFER,
        in_port: 1,
        actions: vec![table_output()],
        data: frame.clone(),
    };
    bridge.handle(header(), &Message::PacketOut(po), &[], 0);
    assert_eq!(rule_counts(&bridge), [(0, 32768, 1, frame.len() as u64)]);
}

/// Table `id`'s (lookup_count, matched_count) as a table statistics
/// request (`ovs-ofctl dump-tables`) reports them.
fn table_counts(bridge: &Bridge, id: u8) -> Option<(u64, u64)> {
    use openflow_codec::message::multipart::{MpReply, MpRequest, MultipartRequest};
    let request = MultipartRequest {
        flags: 0,
        body: MpRequest::Table,
    };
    let replies = bridge.handle(header(), &Message::MultipartRequest(request), &[], 0);
    replies.into_iter().find_map(|(_, reply)| match reply {
        Message::MultipartReply(r) => match r.body {
            MpReply::Table(tables) => tables
                .iter()
                .find(|t| t.table_id == id)
                .map(|t| (t.lookup_count, t.matched_count)),
            _ => None,
        },
        _ => None,
    })
}

#[test]
fn table_lookups_and_matches_count_cached_packets_too() {
    let (bridge, dp, _ports) = switch(&["table=0,in_port=1,actions=output:2"]);
    let mut emc = ExactCache::default();
    for (port, times) in [(1, 2), (2, 3)] {
        for _ in 0..times {
            dp.process(&mut emc, vec![Packet::new(udp_frame(1, 2, 1, 2), port)], 0);
        }
    }
    assert_eq!(dp.stats().missed, 2, "one miss per in_port");
    assert_eq!(table_counts(&bridge, 0), Some((5, 2)));
    assert_eq!(table_counts(&bridge, 1), Some((0, 0)));
}

// OVS 3.1's limits, as its ofproto/trace shows them: 64 levels of
// resubmits to the same table, then "Recursion too deep"; a chain to
// later tables does not deepen.
#[test]
fn resubmit_loops_stop_where_ovs_stops_them() {
    let fx = Fixture::new(&["table=0,actions=resubmit(,0)"]);
    let flow = extract(&udp_frame(1, 2, 5353, 53), 1);
    assert_eq!(fx.try_xlate(&flow).err(), Some(XlateError::TooDeep));
    let chain: Vec<String> = (0..100)
        .map(|t| format!("table={t},actions=resubmit(,{})", t + 1))
        .chain(std::iter::once("table=100,actions=output:2".to_string()))
        .collect();
    let refs: Vec<&str> = chain.iter().map(String::as_str).collect();
    let fx = Fixture::new(&refs);
    assert_eq!(fx.xlate(&flow).actions.to_string(), "2");
}

/// `frame` with an MPLS label stack entry pushed after its addresses.
pub(super) fn mpls_frame(frame: &[u8], lse: u32) -> Vec<u8> {
    let mut f = frame[..12].to_vec();
    f.extend_from_slice(&[0x88, 0x47]);
    f.extend_from_slice(&lse.to_be_bytes());
    f.extend_from_slice(&frame[14..]);
    f
}

#[test]
fn push_mpls_onto_ip_takes_tc_and_ttl_from_the_ip_header() {
    let fx = Fixture::new(&["ip,actions=push_mpls:0x8847,set_field:21->mpls_label,output:2"]);
    let mut frame = udp_frame(1, 2, 5353, 53);
    frame[15] = 0xb8; // DSCP 46: tc is its low three bits, 6.
    let out = fx.xlate(&extract(&frame, 1));
    assert_eq!(
        out.actions.to_string(),
        "push_mpls(label=21,tc=6,ttl=64,bos=1,eth_type=0x8847),2"
    );
    assert_eq!(out.mask.get(l::NW_TOS), 0xfc);
    assert_eq!(out.mask.get(l::NW_TTL), 0xff);
}

#[test]
fn push_mpls_onto_a_stack_copies_the_top_entry_without_bos() {
    let fx = Fixture::new(&["mpls,actions=push_mpls:0x8847,output:2"]);
    let frame = mpls_frame(&udp_frame(1, 2, 5353, 53), 0x0001_5140);
    let out = fx.xlate(&extract(&frame, 1));
    assert_eq!(
        out.actions.to_string(),
        "push_mpls(label=21,tc=0,ttl=64,bos=0,eth_type=0x8847),2"
    );
}

#[test]
fn mpls_field_writes_and_ttls_commit_one_set() {
    let fx = Fixture::new(&[
        "mpls,actions=set_field:22->mpls_label,set_field:3->mpls_tc,dec_mpls_ttl,output:2",
    ]);
    let frame = mpls_frame(&udp_frame(1, 2, 5353, 53), 0x0001_5140);
    let out = fx.xlate(&extract(&frame, 1));
    assert_eq!(
        out.actions.to_string(),
        "set(mpls(label=22,tc=3,ttl=63,bos=1)),2"
    );
    let fx = Fixture::new(&["mpls,actions=set_mpls_ttl(127),output:2"]);
    let out = fx.xlate(&extract(&frame, 1));
    assert_eq!(
        out.actions.to_string(),
        "set(mpls(label=21,tc=0,ttl=127,bos=1)),2"
    );
}

#[test]
fn dec_mpls_ttl_to_zero_goes_to_the_controller_instead() {
    let fx = Fixture::new(&["mpls,actions=dec_mpls_ttl,output:2"]);
    let frame = mpls_frame(&udp_frame(1, 2, 5353, 53), 0x0001_5101);
    let out = fx.xlate(&extract(&frame, 1));
    let text = out.actions.to_string();
    assert!(text.starts_with("userspace("), "{text}");
    assert!(!text.ends_with(",2"), "{text}");
}

#[test]
fn pop_mpls_then_goto_table_recirculates_to_read_the_exposed_header() {
    let fx = Fixture::new(&[
        "mpls,actions=pop_mpls:0x0800,goto_table:1",
        "table=1,udp,nw_dst=10.1.1.2,tp_dst=53,actions=output:2",
    ]);
    let ip = udp_frame(1, 2, 5353, 53);
    let out = fx.xlate(&extract(&mpls_frame(&ip, 0x0001_5140), 1));
    assert_eq!(
        out.actions.to_string(),
        "pop_mpls(eth_type=0x800),recirc(0x1)"
    );
    let mut again = extract(&ip, 1);
    again.set(l::RECIRC_ID, 1);
    assert_eq!(fx.xlate(&again).actions.to_string(), "2");
    // Outputs need no recirculation.
    let fx = Fixture::new(&["mpls,actions=pop_mpls:0x0800,output:2"]);
    let out = fx.xlate(&extract(&mpls_frame(&ip, 0x0001_5140), 1));
    assert_eq!(out.actions.to_string(), "pop_mpls(eth_type=0x800),2");
}

#[test]
fn push_onto_three_labels_drops_the_packet_as_ovs_does() {
    let fx = Fixture::new(&["mpls,actions=output:3,push_mpls:0x8847,output:2"]);
    let three = mpls_frame(
        &mpls_frame(&mpls_frame(&udp_frame(1, 2, 5353, 53), 0x0001_5140), 0x2040),
        0x3040,
    );
    assert_eq!(fx.xlate(&extract(&three, 1)).actions.to_string(), "drop");
}

#[test]
fn actions_after_pop_mpls_that_read_the_header_run_after_a_recirculation() {
    let fx = Fixture::new(&[
        "mpls,actions=pop_mpls:0x0800,output:3,dec_ttl,output:2,write_metadata:0x5/0xff,goto_table:1",
        "table=1,metadata=0x5,udp,actions=output:3",
    ]);
    let ip = udp_frame(1, 2, 5353, 53);
    let out = fx.xlate(&extract(&mpls_frame(&ip, 0x0001_5140), 1));
    assert_eq!(
        out.actions.to_string(),
        "pop_mpls(eth_type=0x800),3,recirc(0x1)"
    );
    let mut again = extract(&ip, 1);
    again.set(l::RECIRC_ID, 1);
    assert_eq!(
        fx.xlate(&again).actions.to_string(),
        "set(ipv4(ttl=63)),2,3"
    );
}

#[test]
fn a_rule_reached_by_goto_table_freezes_its_rest_after_a_pop() {
    let fx = Fixture::new(&[
        "in_port=1,mpls,actions=goto_table:1",
        "table=1,mpls,actions=pop_mpls:0x0800,dec_ttl,output:2",
    ]);
    let ip = udp_frame(1, 2, 5353, 53);
    let out = fx.xlate(&extract(&mpls_frame(&ip, 0x0001_5140), 1));
    assert_eq!(
        out.actions.to_string(),
        "pop_mpls(eth_type=0x800),recirc(0x1)"
    );
    let mut again = extract(&ip, 1);
    again.set(l::RECIRC_ID, 1);
    assert_eq!(fx.xlate(&again).actions.to_string(), "set(ipv4(ttl=63)),2");
    // After a resubmit, the caller's remaining actions are frozen too.
    let fx = Fixture::new(&[
        "in_port=1,mpls,actions=resubmit(,1),output:3",
        "table=1,mpls,actions=pop_mpls:0x0800,dec_ttl,output:2",
    ]);
    let out = fx.xlate(&extract(&mpls_frame(&ip, 0x0001_5140), 1));
    assert_eq!(
        out.actions.to_string(),
        "pop_mpls(eth_type=0x800),recirc(0x1)"
    );
    assert_eq!(
        fx.xlate(&again).actions.to_string(),
        "set(ipv4(ttl=63)),2,3"
    );
}
