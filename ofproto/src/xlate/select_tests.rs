//! Select groups as OVS 3.1 translates them by default: `hash`, `recirc`
//! and the bucket on the second pass, wherever the group is met (a rule,
//! a resubmitted rule, another group's bucket, a clone, the action set).
//! The datapath actions expected are those OVS 3.1 installed for the same
//! flows (`dpctl/dump-flows`, recorded in a sandbox).

use datapath::extract;
use datapath::hash::sym_l4_hash;
use nxm_fields::layout as l;
use nxm_fields::{Flow, Value};

use super::tests::{udp_frame, Fixture};

const THREE_WAYS: &str = "group_id=1,type=select,bucket=output:2,bucket=output:3,bucket=output:4";

/// The packet's second pass after `hash(sym_l4(0)),recirc(ID)`.
fn second_pass(first: &Flow, id: u32) -> Flow {
    let mut again = first.clone();
    again.set(l::RECIRC_ID, Value::from(id));
    again.set(l::DP_HASH, Value::from(sym_l4_hash(first, 0).max(1)));
    again
}

fn udp(dst: u8) -> Flow {
    extract(&udp_frame(1, dst, 1000, 53), 1)
}

#[test]
fn the_first_pass_hashes_and_recirculates_matching_no_address() {
    let fx = Fixture::new(&["in_port=1,udp,actions=group:1"])
        .ports(&[1, 2, 3, 4])
        .group(THREE_WAYS);
    let first = udp(2);
    let out = fx.xlate(&first);
    assert_eq!(out.actions.to_string(), "hash(sym_l4(0)),recirc(0x1)");
    assert_eq!(out.mask.get(l::NW_SRC), 0);
    assert_eq!(out.mask.get(l::DP_HASH), 0);
    // The second pass picks by the hash's low four bits (16 values) and
    // matches only them.
    let again = second_pass(&first, 1);
    let out = fx.xlate(&again);
    let bucket =
        [2, 3, 4, 2, 3, 4, 2, 3, 4, 2, 3, 4, 2, 3, 4, 2][(again.get(l::DP_HASH) & 0xf) as usize];
    assert_eq!(out.actions.to_string(), bucket.to_string());
    assert_eq!(out.mask.get(l::DP_HASH), 0xf);
    assert_eq!(out.mask.get(l::NW_SRC), 0);
}

#[test]
fn a_resubmitted_rule_freezes_its_callers_rest_too() {
    // OVS 3.1: set(ipv4(tos=0x8/0xfc)),hash(sym_l4(0)),recirc(0x2), then
    // BUCKET,3,4.
    let fx = Fixture::new(&[
        "in_port=1,udp,actions=resubmit(,1),output:4",
        "table=1,udp,actions=mod_nw_tos:8,group:1,output:3",
    ])
    .ports(&[1, 2, 3, 4])
    .group(THREE_WAYS);
    let first = udp(5);
    let out = fx.xlate(&first);
    assert_eq!(
        out.actions.to_string(),
        "set(ipv4(tos=0x8/0xfc)),hash(sym_l4(0)),recirc(0x1)"
    );
    let mut again = second_pass(&first, 1);
    again.set(l::NW_TOS, 8);
    let out = fx.xlate(&again).actions.to_string();
    assert!(out.ends_with(",3,4"), "{out}");
}

#[test]
fn in_another_groups_bucket_it_recirculates_there_and_the_rest_goes_on() {
    // OVS 3.1: set(ipv4(tos=0x4/0xfc)),hash(sym_l4(0)),recirc(0x1),4,2
    let fx = Fixture::new(&["in_port=1,udp,actions=mod_nw_tos:4,group:5,output:2"])
        .ports(&[1, 2, 3, 4])
        .group(THREE_WAYS)
        .group("group_id=5,type=all,bucket=group:1,bucket=output:4");
    let out = fx.xlate(&udp(4));
    assert_eq!(
        out.actions.to_string(),
        "set(ipv4(tos=0x4/0xfc)),hash(sym_l4(0)),recirc(0x1),4,2"
    );
}

#[test]
fn in_a_clone_it_ends_the_actions_after_the_clone() {
    // OVS 3.1: hash(sym_l4(0)),recirc(0x1); the output:4 is never run.
    let fx = Fixture::new(&["in_port=1,udp,actions=clone(group:1),output:4"])
        .ports(&[1, 2, 3, 4])
        .group(THREE_WAYS);
    let out = fx.xlate(&udp(3));
    assert_eq!(out.actions.to_string(), "hash(sym_l4(0)),recirc(0x1)");
}

#[test]
fn in_the_action_set_it_runs_after_the_rules() {
    // OVS 3.1: 3,hash(sym_l4(0)),recirc(0x1)
    let fx = Fixture::new(&[
        "in_port=1,udp,actions=write_actions(group:1),goto_table:2",
        "table=2,udp,actions=output:3",
    ])
    .ports(&[1, 2, 3, 4])
    .group(THREE_WAYS);
    let out = fx.xlate(&udp(6));
    assert_eq!(out.actions.to_string(), "3,hash(sym_l4(0)),recirc(0x1)");
}

// OVS 3.1's trace of this flow: "bucket 0: score 46593", "bucket 1:
// score 13732800", "using bucket 1", and a megaflow with both Ethernet
// and both IP addresses.
#[test]
fn weights_beyond_256_hash_values_pick_in_one_pass_as_ovs() {
    let fx = Fixture::new(&["in_port=1,udp,actions=group:1"])
        .ports(&[1, 2, 3, 4])
        .group("group_id=1,type=select,bucket=weight:1,output:2,bucket=weight:300,output:3");
    let mut flow = Flow::zero();
    for (slot, value) in [
        (l::IN_PORT, 1),
        (l::ETH_TYPE, 0x0800),
        (l::NW_SRC, 0x0a00_0009),
        (l::NW_DST, 0x0a00_0006),
        (l::NW_PROTO, 17),
        (l::TP_SRC, 1),
        (l::TP_DST, 2),
    ] {
        flow.set(slot, value);
    }
    let basis =
        crate::flow_hash::hash_fields(&flow, openflow_codec::action::HashFields::SymmetricL4, 0);
    let score = |id: u32, weight: u32| (datapath::hash::hash_int(id, basis) & 0xffff) * weight;
    assert_eq!((score(0, 1), score(1, 300)), (46593, 13_732_800));
    let out = fx.xlate(&flow);
    assert_eq!(out.actions.to_string(), "3");
    for slot in [l::ETH_SRC, l::ETH_DST, l::NW_SRC, l::NW_DST] {
        assert_ne!(out.mask.get(slot), 0);
    }
    assert_eq!(out.mask.get(l::TP_SRC), 0);
    assert_eq!(out.mask.get(l::DP_HASH), 0);
}

#[test]
fn group_counters_are_credited_on_the_pass_that_uses_a_bucket() {
    let fx = Fixture::new(&["in_port=1,udp,actions=group:1"])
        .ports(&[1, 2, 3, 4])
        .group(THREE_WAYS);
    let first = udp(2);
    // Only the rule on the first pass; the group and one bucket after.
    assert_eq!(fx.xlate(&first).credits.rules.len(), 1);
    assert_eq!(fx.xlate(&second_pass(&first, 1)).credits.rules.len(), 2);
}

#[test]
fn after_pop_mpls_it_recirculates_first_then_hashes() {
    let fx = Fixture::new(&["in_port=1,mpls,actions=pop_mpls:0x0800,group:1"])
        .ports(&[1, 2, 3, 4])
        .group(THREE_WAYS);
    let ip = udp_frame(1, 2, 1000, 53);
    let out = fx.xlate(&extract(&super::tests::mpls_frame(&ip, 0x0001_5140), 1));
    assert_eq!(
        out.actions.to_string(),
        "pop_mpls(eth_type=0x800),recirc(0x1)"
    );
    let first = udp(2);
    let mut again = first.clone();
    again.set(l::RECIRC_ID, 1);
    let out = fx.xlate(&again);
    assert_eq!(out.actions.to_string(), "hash(sym_l4(0)),recirc(0x2)");
    assert!(!fx.xlate(&second_pass(&first, 2)).actions.is_empty());
}

/// A bridge with group 1, a select group of `buckets`.
fn bridge_with_group(
    flows: &[&str],
    buckets: &str,
) -> (
    std::sync::Arc<crate::Bridge>,
    std::sync::Arc<datapath::Datapath>,
    Vec<std::sync::Arc<datapath::port::DummyPort>>,
) {
    use openflow_codec::message::flow_mod::FlowModCommand;
    use openflow_codec::message::group::GroupCommand;
    use openflow_codec::message::Message;
    use openflow_codec::text::flow_mod::parse_flow_mod;
    let (bridge, dp, ports) = super::tests::switch(&[]);
    let text = format!("group_id=1,type=select,{buckets}");
    let gm = openflow_codec::text::group_mod::parse_group_mod(&text, GroupCommand::Add);
    let mut messages = vec![Message::GroupMod(gm.unwrap())];
    for flow in flows {
        let fm = parse_flow_mod(flow, FlowModCommand::Add).unwrap().flow_mod;
        messages.push(Message::FlowMod(fm));
    }
    for message in &messages {
        let replies = bridge.handle(super::tests::header(), message, &[], 0);
        assert!(replies.is_empty(), "{replies:?}");
    }
    (bridge, dp, ports)
}

#[test]
fn a_packet_out_through_a_select_group_leaves_after_its_second_pass() {
    use openflow_codec::message::flow_mod::NO_BUFFER;
    use openflow_codec::message::packet_out::PacketOut;
    use openflow_codec::message::Message;
    let (bridge, _dp, ports) = bridge_with_group(&[], "bucket=output:2,bucket=output:2");
    let frame = udp_frame(1, 2, 5353, 53);
    let po = PacketOut {
        buffer_id: NO_BUFFER,
        in_port: 1,
        actions: vec![openflow_codec::action::Action::Group(
            openflow_codec::action::simple::Group { group_id: 1 },
        )],
        data: frame.clone(),
    };
    bridge.handle(super::tests::header(), &Message::PacketOut(po), &[], 0);
    assert_eq!(ports[1].take_transmitted(), vec![frame]);
}

#[test]
fn a_bucket_reaching_the_controller_after_the_hash_names_the_rules_table_and_cookie() {
    let (bridge, dp, _ports) = bridge_with_group(
        &[
            "table=3,cookie=0x55,udp,actions=group:1",
            "udp,actions=goto_table:3",
        ],
        "bucket=output:controller",
    );
    let frame = udp_frame(1, 2, 5353, 53);
    let pi = super::tests::packet_in_of(&bridge, &dp, &frame);
    assert_eq!((pi.table_id, pi.cookie), (3, 0x55));
    assert_eq!(pi.data, frame);
}
