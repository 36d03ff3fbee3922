//! The `learn` action: the flow it describes, instantiated from the packet
//! being translated (OVS's `learn_execute()`), and what translation does
//! with it.
//!
//! Every source field the action reads is part of the decision (each new
//! source gets its own megaflow, whose packets re-learn their flow). A
//! flow already in place is refreshed by every packet of the megaflow
//! (through [`crate::rule_stats::Credits::relearned`]); a new or changed
//! one goes out in [`super::Xlated::learned_flows`], which the bridge adds
//! once translation released the tables, dropping cached decisions (this
//! translation's own megaflow included, so the next packet sees the flow).
//! A trace has no side effects and learns nothing, as OVS's.

use nxm_fields::{Flow, Match, Value};
use openflow_codec::action::learn::{flags as learn_flags, Learn, LearnDst, LearnSrc};
use openflow_codec::action::output::Output;
use openflow_codec::action::set_field::RegLoad;
use openflow_codec::action::simple::FinTimeout;
use openflow_codec::action::Action;
use openflow_codec::instruction::Instruction;
use openflow_codec::message::flow_mod::{flags as fm_flags, FlowMod, FlowModCommand};

use super::field::{read_subfield, write_subfield};
use super::trace::NodeKind;
use super::Ctx;
use crate::learned::{learning, LearnedFlow, Learning};

/// The widest value one NXAST_REG_LOAD carries.
const REG_LOAD_BITS: u32 = 64;

impl Ctx<'_> {
    /// Instantiates the flow, refreshes it or queues it for the bridge, and
    /// writes `result_dst` (0 when the limit refused the flow).
    pub(super) fn learn(&mut self, learn: &Learn) {
        let learned = LearnedFlow {
            flow_mod: instantiate(learn, &self.flow, &mut self.wc),
            limit: learn.limit,
        };
        if self.tracing() {
            self.note(NodeKind::Warn, |_| {
                "suppressing side effects, so learn action ignored".into()
            });
            return;
        }
        let added = match learning(self.env.tables, &learned) {
            Learning::Present(stats) => {
                self.credits.relearned.push(stats);
                true
            }
            Learning::Add | Learning::Modify => {
                self.learned_flows.push(learned);
                true
            }
            Learning::OverLimit => false,
        };
        if let Some(dst) = &learn.result_dst {
            write_subfield(&mut self.flow, &mut self.wc, dst, Value::from(added));
        }
    }
}

/// The add flow-mod `learn` describes for a packet with flow `flow`,
/// recording in `wc` every bit of the flow it read.
pub(crate) fn instantiate(learn: &Learn, flow: &Flow, wc: &mut Flow) -> FlowMod {
    let mut r#match = Match::catch_all();
    let mut implied_ethernet = false;
    let mut actions = Vec::new();
    // OVS puts the fin_timeout first, before the specs' actions.
    if learn.fin_idle_timeout != 0 || learn.fin_hard_timeout != 0 {
        actions.push(Action::FinTimeout(FinTimeout {
            idle_timeout: learn.fin_idle_timeout,
            hard_timeout: learn.fin_hard_timeout,
        }));
    }
    for spec in &learn.specs {
        let value = match &spec.src {
            LearnSrc::Field(src) => read_subfield(flow, wc, src),
            LearnSrc::Immediate(value) => *value,
        };
        match &spec.dst {
            LearnDst::Match(dst) => {
                r#match.set_subfield(dst, value);
                implied_ethernet |= dst.def().prereq != nxm_fields::Prereq::None;
            }
            LearnDst::Load(dst) => push_loads(&mut actions, dst, value),
            LearnDst::Output => actions.push(Action::Output(Output {
                port: value as u16,
                max_len: 0,
            })),
        }
    }
    if implied_ethernet {
        // As the flow reads back from the wire.
        r#match.set_default_packet_type();
    }
    let flags = if learn.flags & learn_flags::SEND_FLOW_REM != 0 {
        fm_flags::SEND_FLOW_REM
    } else {
        0
    };
    FlowMod {
        cookie: learn.cookie,
        table_id: learn.table_id,
        command: FlowModCommand::Add,
        idle_timeout: learn.idle_timeout,
        hard_timeout: learn.hard_timeout,
        priority: learn.priority,
        flags,
        r#match,
        instructions: vec![Instruction::ApplyActions(actions)],
        ..FlowMod::default()
    }
}

/// `load:VALUE->DST` as OVS's learned flows carry it: NXAST_REG_LOADs of
/// at most 64 bits each, from the low bits up.
fn push_loads(actions: &mut Vec<Action>, dst: &nxm_fields::Subfield, value: Value) {
    let mut done = 0;
    while done < dst.n_bits {
        let n_bits = (dst.n_bits - done).min(REG_LOAD_BITS);
        let chunk = (value >> done) & nxm_fields::flow::ones(n_bits as usize);
        actions.push(Action::RegLoad(RegLoad {
            dst: nxm_fields::Subfield {
                field: dst.field,
                ofs: dst.ofs + done,
                n_bits,
            },
            value: chunk as u64,
        }));
        done += n_bits;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use datapath::cache::ExactCache;
    use datapath::{extract, Packet};
    use nxm_fields::layout as l;
    use openflow_codec::action::format_actions;
    use openflow_codec::message::ofp_match::format_with_priority;
    use openflow_codec::text::flow_mod::parse_flow_mod;

    use crate::bridge::Bridge;
    use crate::rule_stats::RuleStats;
    use crate::xlate::tests::{switch, udp_frame};

    /// The learn action of a flow's actions.
    fn learn_of(text: &str) -> Learn {
        let fm = parse_flow_mod(text, FlowModCommand::Add).unwrap().flow_mod;
        fm.instructions
            .iter()
            .flat_map(|i| match i {
                Instruction::ApplyActions(a) => a.clone(),
                _ => Vec::new(),
            })
            .find_map(|a| match a {
                Action::Learn(l) => Some(l),
                _ => None,
            })
            .unwrap()
    }

    /// A packet's flow, from the values of a match.
    fn packet(text: &str) -> Flow {
        let fm = parse_flow_mod(text, FlowModCommand::Delete)
            .unwrap()
            .flow_mod;
        fm.r#match.flow().clone()
    }

    /// The learned flow as dump-flows prints its match and actions.
    fn learned(flow_text: &str, packet_text: &str) -> (FlowMod, String, Flow) {
        let mut wc = Flow::zero();
        let fm = instantiate(&learn_of(flow_text), &packet(packet_text), &mut wc);
        let Instruction::ApplyActions(actions) = &fm.instructions[0] else {
            panic!("apply-actions expected");
        };
        let mut text = String::new();
        format_with_priority(&mut text, &fm.r#match, fm.priority);
        text.push_str(" actions=");
        text.push_str(&format_actions(actions));
        (fm, text, wc)
    }

    #[test]
    fn the_l2_learning_spec_copies_vlan_source_mac_and_in_port() {
        let (fm, text, wc) = learned(
            "actions=learn(table=1,hard_timeout=60,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[])",
            "in_port=3,dl_vlan=10,dl_src=50:54:00:00:00:01,dl_dst=50:54:00:00:00:02",
        );
        assert_eq!(
            text,
            "vlan_tci=0x000a/0x0fff,dl_dst=50:54:00:00:00:01 actions=output:3"
        );
        assert_eq!((fm.table_id, fm.hard_timeout, fm.priority), (1, 60, 0x8000));
        assert_eq!(wc.get(l::VLAN_TCI), 0x0fff, "the VID bits are read");
        assert_eq!(wc.get(l::ETH_SRC), 0xffff_ffff_ffff);
        assert_eq!(wc.get(l::ETH_DST), 0, "the destination is not read");
        assert_ne!(wc.get(l::IN_PORT), 0);
    }

    #[test]
    fn immediates_loads_and_fin_timeouts_make_the_flow() {
        let (fm, text, _) = learned(
            "tcp,actions=learn(table=2,idle_timeout=30,fin_idle_timeout=5,fin_hard_timeout=10,priority=20,cookie=0x99,send_flow_rem,eth_type=0x800,nw_proto=6,NXM_OF_IP_SRC[]=NXM_OF_IP_DST[],NXM_OF_TCP_SRC[]=NXM_OF_TCP_DST[],load:NXM_OF_IN_PORT[]->NXM_NX_REG0[0..15],load:10->NXM_NX_REG1[5..10],load:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[])",
            "in_port=1,tcp,dl_src=50:54:00:00:00:01,nw_src=10.0.0.1,nw_dst=10.0.0.2,tp_src=1234,tp_dst=80",
        );
        assert_eq!(
            text,
            "priority=20,tcp,nw_src=10.0.0.2,tp_src=80 actions=fin_timeout(idle_timeout=5,hard_timeout=10),load:0x1->NXM_NX_REG0[0..15],load:0xa->NXM_NX_REG1[5..10],load:0x505400000001->NXM_OF_ETH_DST[]"
        );
        assert_eq!((fm.cookie, fm.idle_timeout), (0x99, 30));
        assert_eq!(fm.flags, fm_flags::SEND_FLOW_REM);
    }

    #[test]
    fn subfields_land_at_their_offsets_and_wide_loads_split() {
        let (_, text, wc) = learned(
            "ipv6,actions=learn(eth_type=0x86dd,NXM_NX_REG0[8..15]=NXM_NX_REG1[0..7],NXM_NX_REG0[0..3]=0x5,load:NXM_NX_IPV6_SRC[]->NXM_NX_IPV6_DST[])",
            "ipv6,reg1=0xab,ipv6_src=fd00::1",
        );
        assert_eq!(
            text,
            "ipv6,reg0=0xab05/0xff0f actions=load:0x1->NXM_NX_IPV6_DST[0..63],load:0xfd00000000000000->NXM_NX_IPV6_DST[64..127]"
        );
        assert_eq!(wc.get(l::reg(1)), 0xff, "only the source bits are read");
    }

    const L2_SWITCH: &[&str] = &[
        "table=0,priority=10,actions=learn(table=1,hard_timeout=60,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[]),resubmit(,1)",
        "table=1,priority=0,actions=FLOOD",
    ];

    /// The learned rule of table 1 for destination 50:54:00:00:00:0N.
    fn learned_rule(bridge: &Bridge, n: u8) -> Option<Arc<RuleStats>> {
        let fm = parse_flow_mod(
            &format!("table=1,vlan_tci=0/0xfff,dl_dst=50:54:00:00:00:0{n}"),
            FlowModCommand::Delete,
        )
        .unwrap()
        .flow_mod;
        let tables = bridge.tables();
        let rule = tables.table(1)?.get(&fm.r#match, fm.priority)?;
        Some(Arc::clone(&rule.stats))
    }

    #[test]
    fn a_learning_switch_learns_forwards_and_refreshes_from_cached_hits() {
        let (bridge, dp, ports) = switch(L2_SWITCH);
        let mut emc = ExactCache::default();
        let t0 = conntrack::now_ms();
        let mut send = |from: u8, to: u8, port: u32, now: u64| {
            let frame = udp_frame(from, to, 5353, 53);
            dp.process(&mut emc, vec![Packet::new(frame, port)], now);
        };
        send(1, 2, 1, t0);
        assert_eq!(
            ports[1].take_transmitted().len(),
            1,
            "MAC2 unknown: flooded"
        );
        assert!(learned_rule(&bridge, 1).is_some(), "MAC1 learned on port 1");
        assert!(
            dp.dump_flows(t0).is_empty(),
            "the learning packet's megaflow is stale at once"
        );
        send(2, 1, 2, t0);
        assert_eq!(
            ports[0].take_transmitted().len(),
            1,
            "to MAC1 on port 1 only"
        );
        assert!(ports[1].take_transmitted().is_empty());
        // MAC1 again: its flow is in place, so the megaflow is installed
        // and each cached hit re-learns it.
        send(1, 2, 1, t0 + 1_000);
        send(1, 2, 1, t0 + 50_000);
        assert_eq!(ports[1].take_transmitted().len(), 2, "to MAC2 on port 2");
        assert!(dp.stats().megaflow_hits + dp.stats().emc_hits >= 1);
        let mac1 = learned_rule(&bridge, 1).unwrap();
        assert_eq!(mac1.refreshed_ms(), t0 + 50_000);
        bridge.run_timers(t0 + 61_000);
        assert!(learned_rule(&bridge, 1).is_some(), "re-learned at +50s");
        assert!(
            learned_rule(&bridge, 2).is_none(),
            "MAC2's hard timeout ran out"
        );
        bridge.run_timers(t0 + 111_000);
        assert!(learned_rule(&bridge, 1).is_none());
    }

    #[test]
    fn a_moved_address_replaces_its_flow_and_the_cached_forwarding() {
        let (bridge, dp, ports) = switch(L2_SWITCH);
        let mut emc = ExactCache::default();
        let now = conntrack::now_ms();
        for (from, to, port) in [(1, 2, 1), (2, 1, 2), (2, 1, 2)] {
            dp.process(
                &mut emc,
                vec![Packet::new(udp_frame(from, to, 5353, 53), port)],
                now,
            );
        }
        assert_eq!(ports[0].take_transmitted().len(), 2);
        // MAC1 shows up on port 2: its flow now outputs there, and the
        // cached decision for packets to MAC1 is gone.
        dp.process(
            &mut emc,
            vec![Packet::new(udp_frame(1, 2, 5353, 53), 2)],
            now,
        );
        ports[1].take_transmitted();
        dp.process(
            &mut emc,
            vec![Packet::new(udp_frame(2, 1, 5353, 53), 2)],
            now,
        );
        assert!(ports[0].take_transmitted().is_empty());
        assert!(
            ports[1].take_transmitted().is_empty(),
            "to port 2, its in_port: dropped"
        );
        let flows = bridge.tables().table(1).unwrap().len();
        assert_eq!(flows, 3, "MAC1, MAC2 and the flood rule");
    }

    #[test]
    fn a_trace_learns_nothing_and_result_dst_reports_the_limit() {
        let learn = "udp,actions=learn(table=3,limit=1,result_dst=reg5[3],eth_type=0x800,nw_proto=17,NXM_OF_IP_SRC[]),resubmit(,1)";
        let (bridge, dp, ports) = switch(&[
            learn,
            "table=1,reg5=0x8/0x8,actions=output:2",
            "table=1,priority=0,actions=output:1",
        ]);
        let traced = bridge.trace(&extract(&udp_frame(1, 2, 5353, 53), 1), &[]);
        assert!(
            traced.contains("suppressing side effects, so learn action ignored"),
            "{traced}"
        );
        assert_eq!(bridge.tables().table(3).unwrap().len(), 0);
        let mut emc = ExactCache::default();
        let now = conntrack::now_ms();
        dp.process(
            &mut emc,
            vec![Packet::new(udp_frame(1, 2, 5353, 53), 1)],
            now,
        );
        assert_eq!(ports[1].take_transmitted().len(), 1, "learned: reg5[3]=1");
        dp.process(
            &mut emc,
            vec![Packet::new(udp_frame(3, 2, 5353, 53), 2)],
            now,
        );
        assert_eq!(
            ports[0].take_transmitted().len(),
            1,
            "over the limit: reg5[3]=0"
        );
        assert_eq!(bridge.tables().table(3).unwrap().len(), 1);
    }
}
