//! Groups and meters through a bridge and its datapath: the errors OVS
//! 3.1 sends, rules leaving with their group or meter, and packets
//! through each group type and a meter.

use datapath::cache::ExactCache;
use datapath::Packet;
use openflow_codec::error::{BadActionCode, GroupModFailedCode, MeterModFailedCode, OfpError};
use openflow_codec::message::error_msg::ErrorMsg;
use openflow_codec::message::flow_mod::FlowModCommand;
use openflow_codec::message::group::GroupCommand;
use openflow_codec::message::meter::MeterCommand;
use openflow_codec::message::multipart::{MpReply, MpRequest, MultipartRequest};
use openflow_codec::message::Message;
use openflow_codec::text::flow_mod::parse_flow_mod;
use openflow_codec::text::group_mod::parse_group_mod;
use openflow_codec::text::meter_mod::parse_meter_mod;

use crate::bridge::Bridge;
use crate::xlate::tests::{header, switch, udp_frame};

fn send(bridge: &Bridge, message: Message) -> Vec<Message> {
    bridge
        .handle(header(), &message, &[], 0)
        .into_iter()
        .map(|(_, m)| m)
        .collect()
}

fn group(bridge: &Bridge, text: &str, command: GroupCommand) -> Vec<Message> {
    send(
        bridge,
        Message::GroupMod(parse_group_mod(text, command).expect(text)),
    )
}

fn meter(bridge: &Bridge, text: &str, command: MeterCommand) -> Vec<Message> {
    send(
        bridge,
        Message::MeterMod(parse_meter_mod(text, command).expect(text)),
    )
}

fn flow(bridge: &Bridge, text: &str) -> Vec<Message> {
    let fm = parse_flow_mod(text, FlowModCommand::Add)
        .expect(text)
        .flow_mod;
    send(bridge, Message::FlowMod(fm))
}

fn error(e: impl Into<OfpError>) -> Vec<Message> {
    vec![Message::Error(ErrorMsg::reply_to(e.into(), &[]))]
}

fn n_rules(bridge: &Bridge) -> usize {
    let tables = bridge.tables();
    tables.table(0).map_or(0, |t| t.iter().count())
}

fn stats(bridge: &Bridge, body: MpRequest) -> Option<MpReply> {
    let request = MultipartRequest { flags: 0, body };
    send(bridge, Message::MultipartRequest(request))
        .into_iter()
        .find_map(|m| match m {
            Message::MultipartReply(r) => Some(r.body),
            _ => None,
        })
}

// OVS 3.1's answers to the same ovs-ofctl commands.
#[test]
fn group_and_meter_mods_fail_as_ovs_does() {
    let (bridge, _dp, _ports) = switch(&[]);
    let add = "group_id=1,type=all,bucket=output:1";
    assert!(group(&bridge, add, GroupCommand::Add).is_empty());
    assert_eq!(
        group(&bridge, add, GroupCommand::Add),
        error(GroupModFailedCode::GroupExists)
    );
    assert_eq!(
        group(
            &bridge,
            "group_id=9,type=all,bucket=output:1",
            GroupCommand::Modify
        ),
        error(GroupModFailedCode::UnknownGroup)
    );
    assert_eq!(
        flow(&bridge, "actions=group:77"),
        error(BadActionCode::BadOutGroup)
    );
    let add = "meter=1,kbps,bands=type=drop,rate=1000";
    assert!(meter(&bridge, add, MeterCommand::Add).is_empty());
    assert_eq!(
        meter(&bridge, add, MeterCommand::Add),
        error(MeterModFailedCode::MeterExists)
    );
    assert_eq!(
        flow(&bridge, "actions=meter:9,output:1"),
        error(MeterModFailedCode::InvalidMeter)
    );
}

#[test]
fn deleting_a_group_or_meter_deletes_the_rules_that_use_it() {
    let (bridge, _dp, _ports) = switch(&[]);
    assert!(group(
        &bridge,
        "group_id=1,type=all,bucket=output:1",
        GroupCommand::Add
    )
    .is_empty());
    assert!(group(
        &bridge,
        "group_id=5,type=all,bucket=group:1",
        GroupCommand::Add
    )
    .is_empty());
    assert!(meter(
        &bridge,
        "meter=2,pktps,bands=type=drop,rate=10",
        MeterCommand::Add
    )
    .is_empty());
    assert!(flow(&bridge, "priority=5,actions=group:1").is_empty());
    assert!(flow(&bridge, "priority=6,ip,actions=group:5").is_empty());
    assert!(flow(&bridge, "priority=7,udp,actions=meter:2,output:1").is_empty());
    let Some(MpReply::Group(list)) = stats(
        &bridge,
        MpRequest::Group {
            group_id: 0xffff_fffc,
        },
    ) else {
        panic!("group stats");
    };
    let refs: Vec<(u32, u32)> = list.iter().map(|s| (s.group_id, s.ref_count)).collect();
    assert_eq!(refs, [(1, 1), (5, 1)]);
    assert!(group(&bridge, "group_id=1", GroupCommand::Delete).is_empty());
    // Only the rule naming group 1 itself goes, not the one chained to it.
    assert_eq!(n_rules(&bridge), 2);
    assert!(meter(&bridge, "meter=2", MeterCommand::Delete).is_empty());
    assert_eq!(n_rules(&bridge), 1);
    assert!(group(&bridge, "", GroupCommand::Delete).is_empty());
    assert_eq!(n_rules(&bridge), 0);
}

/// Sends `n` UDP packets with different source ports in on p1; returns
/// how many p1 and p2 transmitted.
fn run_packets(
    dp: &datapath::Datapath,
    ports: &[std::sync::Arc<datapath::port::DummyPort>],
    n: u8,
) -> (usize, usize) {
    let mut emc = ExactCache::default();
    // Flows to different addresses (a select group's hash, as OVS's,
    // leaves UDP ports out).
    for i in 0..n {
        let frame = udp_frame(1, 2u8.wrapping_add(i), 1000, 53);
        dp.process(&mut emc, vec![Packet::new(frame, 1)], 0);
    }
    let count = |i: usize| ports.get(i).map_or(0, |p| p.take_transmitted().len());
    (count(0), count(1))
}

#[test]
fn an_all_group_sends_a_copy_through_every_bucket_and_counts_cached_hits() {
    let (bridge, dp, ports) = switch(&[]);
    assert!(group(
        &bridge,
        "group_id=1,type=all,bucket=output:2,bucket=in_port",
        GroupCommand::Add
    )
    .is_empty());
    assert!(flow(&bridge, "in_port=1,actions=group:1").is_empty());
    assert_eq!(run_packets(&dp, &ports, 3), (3, 3));
    let Some(MpReply::Group(list)) = stats(&bridge, MpRequest::Group { group_id: 1 }) else {
        panic!("group stats");
    };
    let len = udp_frame(1, 2, 1000, 53).len() as u64;
    assert_eq!(
        list.first().map(|s| (s.packet_count, s.byte_count)),
        Some((3, 3 * len))
    );
    assert_eq!(
        list.first().map(|s| s.buckets.clone()),
        Some(vec![(3, 3 * len), (3, 3 * len)])
    );
}

#[test]
fn a_select_group_spreads_flows_by_weight() {
    let (bridge, dp, ports) = switch(&[]);
    let text = "group_id=1,type=select,bucket=weight:50,output:2,bucket=weight:50,in_port";
    assert!(group(&bridge, text, GroupCommand::Add).is_empty());
    assert!(flow(&bridge, "in_port=1,actions=group:1").is_empty());
    let (p1, p2) = run_packets(&dp, &ports, 200);
    assert_eq!(p1 + p2, 200, "each packet through exactly one bucket");
    assert!(p1 > 50 && p2 > 50, "{p1} {p2}");
    // The same flow always takes the same bucket.
    let (a1, a2) = run_packets(&dp, &ports, 1);
    let (b1, b2) = run_packets(&dp, &ports, 1);
    assert_eq!((a1, a2), (b1, b2));
    // A bucket of weight 0 is never taken.
    let text = "group_id=1,type=select,bucket=weight:0,output:2,bucket=weight:5,in_port";
    assert!(group(&bridge, text, GroupCommand::Modify).is_empty());
    assert_eq!(run_packets(&dp, &ports, 20), (20, 0));
}

#[test]
fn indirect_and_fast_failover_groups_use_one_bucket() {
    let (bridge, dp, ports) = switch(&[]);
    assert!(group(
        &bridge,
        "group_id=1,type=indirect,bucket=output:2",
        GroupCommand::Add
    )
    .is_empty());
    let ff = "group_id=2,type=ff,bucket=watch_port:3,output:2,bucket=watch_port:2,in_port,bucket=watch_port:1,output:2";
    assert!(group(&bridge, ff, GroupCommand::Add).is_empty());
    assert!(flow(&bridge, "in_port=1,udp,tp_dst=53,actions=group:1").is_empty());
    assert_eq!(run_packets(&dp, &ports, 2), (0, 2));
    assert!(flow(&bridge, "priority=40000,in_port=1,udp,actions=group:2").is_empty());
    // Port 3 does not exist: the first live bucket is the second.
    assert_eq!(run_packets(&dp, &ports, 2), (2, 0));
    // Port 2 taken down (as a PORT_MOD does): the second is dead too,
    // and the cached choice is dropped with the port change.
    use datapath::port::Port;
    bridge.announce_port_changes();
    if let Some(p2) = ports.get(1) {
        p2.set_up(false);
    }
    bridge.announce_port_changes();
    // The third bucket outputs to port 2, down: nothing leaves.
    assert_eq!(run_packets(&dp, &ports, 2), (0, 0));
    let Some(MpReply::Group(list)) = stats(&bridge, MpRequest::Group { group_id: 2 }) else {
        panic!("group stats");
    };
    let per_bucket: Option<Vec<u64>> = list
        .first()
        .map(|s| s.buckets.iter().map(|b| b.0).collect());
    assert_eq!(per_bucket, Some(vec![0, 2, 2]));
}

#[test]
fn a_pktps_meter_drops_what_is_over_its_rate_cached_or_not() {
    let (bridge, dp, ports) = switch(&[]);
    assert!(meter(
        &bridge,
        "meter=1,pktps,bands=type=drop,rate=5",
        MeterCommand::Add
    )
    .is_empty());
    assert!(flow(&bridge, "in_port=1,actions=meter:1,output:2").is_empty());
    assert_eq!(run_packets(&dp, &ports, 8), (0, 5));
    let Some(MpReply::Meter(list)) = stats(&bridge, MpRequest::Meter { meter_id: 1 }) else {
        panic!("meter stats");
    };
    let s = list.0.first().cloned();
    assert_eq!(
        s.as_ref().map(|s| (s.flow_count, s.packet_in_count)),
        Some((1, 8))
    );
    let len = udp_frame(1, 2, 1000, 53).len() as u64;
    assert_eq!(
        s.map(|s| (s.byte_in_count, s.bands)),
        Some((8 * len, vec![(3, 3 * len)]))
    );
}
