//! The `fin_timeout` action (which `learn` puts in the flows it adds with
//! `fin_idle_timeout`/`fin_hard_timeout`): a TCP segment with FIN or RST
//! through the rule cuts the rule's idle and hard timeouts to the
//! action's, never lengthening them (OVS's `xlate_fin_timeout`).
//!
//! OVS cuts them from the flags its revalidators see on a megaflow; here
//! the megaflow of a TCP packet keys the FIN and RST flags instead, so
//! that every segment carrying one is translated and does the cut. A
//! trace has no side effects and keys nothing more, as OVS's.

use nxm_fields::layout as l;
use nxm_fields::prereq::Prereq;
use nxm_fields::Value;
use openflow_codec::action::simple::FinTimeout;

use super::prereq::prereqs_ok;
use super::Ctx;

/// TCP's FIN and RST flags.
const FIN_OR_RST: Value = 0x001 | 0x004;

impl Ctx<'_> {
    pub(super) fn fin_timeout(&mut self, f: &FinTimeout) {
        if self.tracing() {
            return;
        }
        let Some(rule) = self.rule_stats.clone() else {
            return;
        };
        if !prereqs_ok(Prereq::Tcp, &self.flow, &mut self.wc) {
            return;
        }
        self.wc
            .set(l::TCP_FLAGS, self.wc.get(l::TCP_FLAGS) | FIN_OR_RST);
        if self.flow.get(l::TCP_FLAGS) & FIN_OR_RST != 0 {
            rule.reduce_timeouts(f.idle_timeout, f.hard_timeout);
        }
    }
}

#[cfg(test)]
mod tests {
    use datapath::cache::ExactCache;
    use datapath::Packet;
    use openflow_codec::message::flow_mod::FlowModCommand;
    use openflow_codec::text::flow_mod::parse_flow_mod;

    use crate::bridge::Bridge;
    use crate::xlate::tests::switch;

    /// A TCP segment from 10.0.0.1:1000 to 10.0.0.2:80 with `flags`.
    fn tcp(flags: u8) -> Vec<u8> {
        let mut f = vec![0x50, 0x54, 0, 0, 0, 2, 0x50, 0x54, 0, 0, 0, 1, 0x08, 0x00];
        f.extend([
            0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ]);
        f.extend([
            0x03, 0xe8, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0,
        ]);
        f
    }

    fn timeouts(bridge: &Bridge) -> (u16, u16) {
        let fm = parse_flow_mod("tcp", FlowModCommand::Delete)
            .unwrap()
            .flow_mod;
        let tables = bridge.tables();
        tables
            .table(0)
            .unwrap()
            .get(&fm.r#match, fm.priority)
            .unwrap()
            .timeouts()
    }

    #[test]
    fn a_fin_through_a_cached_megaflow_still_cuts_the_timeouts() {
        let (bridge, dp, ports) = switch(&[
            "tcp,idle_timeout=60,actions=fin_timeout(idle_timeout=5,hard_timeout=10),output:2",
        ]);
        let mut emc = ExactCache::default();
        let mut send = |flags: u8| {
            dp.process(&mut emc, vec![Packet::new(tcp(flags), 1)], 0);
        };
        send(0x10);
        send(0x10);
        assert_eq!(timeouts(&bridge), (60, 0), "ACKs leave them");
        send(0x11);
        assert_eq!(timeouts(&bridge), (5, 10), "FIN|ACK cuts them");
        assert_eq!(ports[1].take_transmitted().len(), 3);
        let traced = bridge.trace(&datapath::extract(&tcp(0x04), 1), &[]);
        let megaflow = traced.lines().find(|l| l.starts_with("Megaflow:")).unwrap();
        assert!(
            !megaflow.contains("tcp_flags"),
            "a trace keys no flags: {traced}"
        );
    }
}
