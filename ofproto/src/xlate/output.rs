//! Where packets go: a port, the reserved ports (IN_PORT, TABLE, NORMAL,
//! FLOOD, ALL, CONTROLLER, LOCAL), and `NORMAL` as a MAC-learning switch.
//! Every output first commits pending header changes.

use datapath::action::{ControllerCookie, Userspace};
use datapath::Action as DpAction;
use nxm_fields::flow::slot_ones;
use nxm_fields::layout as l;
use nxm_fields::port::{
    format_port, OFPP_ALL, OFPP_ANY, OFPP_CONTROLLER, OFPP_FLOOD, OFPP_IN_PORT, OFPP_NORMAL,
    OFPP_TABLE,
};
use nxm_fields::prereq::ETH_TYPE_ARP;
use nxm_fields::Value;

use super::commit::commit;
use super::port_order::{flood_order, normal_order};
use super::trace::NodeKind;
use super::{Ctx, XlateError};
use crate::mac_learning::is_multicast;
use crate::packet_in::reason;

/// A TCI's VLAN id and CFI ("has a tag") bits.
const VLAN_VID_CFI: u16 = 0x1fff;

impl Ctx<'_> {
    fn in_port(&self) -> u32 {
        self.flow.get(l::IN_PORT) as u32
    }

    pub(super) fn output(&mut self, port: u32, max_len: u16) -> Result<(), XlateError> {
        match port {
            OFPP_IN_PORT => self.emit_output(self.in_port()),
            // Only a packet-out may send a packet into the tables.
            OFPP_TABLE if self.in_packet_out => return self.run_pipeline(0),
            OFPP_TABLE => {}
            OFPP_NORMAL => self.normal(),
            OFPP_FLOOD | OFPP_ALL => self.flood(flood_order(self.env.ports)),
            OFPP_CONTROLLER => self.controller(self.output_reason(), max_len, 0),
            // OpenFlow never sends a packet back where it came from
            // unless asked with IN_PORT.
            port if port == self.in_port() => {
                self.note(NodeKind::Warn, |_| "skipping output to input port".into());
            }
            port => self.emit_output(port),
        }
        Ok(())
    }

    /// `output(port=P,max_len=N)`: the datapath cuts the packet for this
    /// one output. As in OVS, only a real port other than the input port
    /// can take it; the cut goes before the output's pending header
    /// changes.
    pub(super) fn output_trunc(&mut self, port: u32, max_len: u32) -> Result<(), XlateError> {
        match port {
            OFPP_TABLE | OFPP_NORMAL | OFPP_FLOOD | OFPP_ALL | OFPP_CONTROLLER | OFPP_ANY => {
                self.note(NodeKind::Warn, |_| {
                    format!("output_trunc does not support port: {}", format_port(port))
                });
            }
            port if port == self.in_port() => {
                self.note(NodeKind::Warn, |_| "skipping output to input port".into());
            }
            port if self.env.ports.contains(&port) => {
                self.out.push(DpAction::Trunc(max_len));
                self.emit_output(port);
            }
            port => {
                self.note(NodeKind::Error, |_| {
                    format!(
                        "output_trunc does not support patch port {}",
                        format_port(port)
                    )
                });
            }
        }
        Ok(())
    }

    /// Outputs on a datapath port, if it exists.
    fn emit_output(&mut self, port: u32) {
        if self.env.ports.contains(&port) {
            commit(&self.flow, &mut self.base, &mut self.wc, &mut self.out);
            self.out.push(DpAction::Output(port));
        } else {
            self.note(NodeKind::Warn, |_| "Nonexistent output port".into());
        }
    }

    /// Outputs on every port but the input port, in `order`.
    fn flood(&mut self, order: Vec<u32>) {
        let in_port = self.in_port();
        for port in order {
            if port != in_port {
                self.emit_output(port);
            }
        }
    }

    /// Why an output to CONTROLLER sends the packet, as OVS 3.1 says:
    /// a packet-out's actions (and the tables they lead to) before a
    /// group's buckets before the action set.
    fn output_reason(&self) -> u8 {
        if self.in_packet_out {
            reason::PACKET_OUT
        } else if self.in_group {
            reason::GROUP
        } else if self.in_action_set {
            reason::ACTION_SET
        } else {
            reason::ACTION
        }
    }

    /// A packet-in: the datapath hands the packet up with a cookie whose
    /// recirc_id names the table, registers and metadata at this point.
    /// What a table-miss rule sends for `action` is OVS's explicit miss.
    pub(super) fn controller(&mut self, why: u8, max_len: u16, controller_id: u16) {
        let reason = if why == reason::ACTION && self.rule_is_table_miss {
            reason::EXPLICIT_MISS
        } else {
            why
        };
        commit(&self.flow, &mut self.base, &mut self.wc, &mut self.out);
        let frozen = self.freeze(self.table_id);
        let recirc_id = self.env.recirc.id_for(frozen);
        self.out.push(DpAction::Userspace(Userspace {
            pid: 0,
            cookie: ControllerCookie {
                reason,
                // A trace sends nothing, and says so (as OVS's does).
                dont_send: self.tracing(),
                recirc_id,
                rule_cookie: self.rule_cookie,
                controller_id,
                max_len,
                ..ControllerCookie::default()
            },
        }));
    }

    /// OVS's NORMAL asks whether an ARP is gratuitous (a broadcast reply,
    /// or a request for its own address), and its megaflow keeps what it
    /// read for that.
    fn unwildcard_gratuitous_arp(&mut self, dst: u64) {
        const BROADCAST: u64 = 0xffff_ffff_ffff;
        const ARP_OP_REQUEST: Value = 1;
        if self.flow.get(l::ETH_TYPE) != Value::from(ETH_TYPE_ARP) || dst != BROADCAST {
            return;
        }
        self.wc.set(l::NW_PROTO, slot_ones(l::NW_PROTO));
        if self.flow.get(l::NW_PROTO) == ARP_OP_REQUEST {
            for slot in [l::NW_SRC, l::NW_DST] {
                self.wc.set(slot, slot_ones(slot));
            }
        }
    }

    /// `NORMAL`: learn the source's port, then send to the destination's
    /// learned port, or flood when it is unknown or multicast.
    fn normal(&mut self) {
        for slot in [l::ETH_SRC, l::ETH_DST] {
            self.wc.set(slot, slot_ones(slot));
        }
        // The VLAN it learns and looks up in; not the priority.
        let tci_mask = self.wc.get(l::VLAN_TCI) | Value::from(VLAN_VID_CFI);
        self.wc.set(l::VLAN_TCI, tci_mask);
        let vlan = (self.flow.get(l::VLAN_TCI) & 0x0fff) as u16;
        let src = self.flow.get(l::ETH_SRC) as u64;
        let dst = self.flow.get(l::ETH_DST) as u64;
        let in_port = self.in_port();
        self.unwildcard_gratuitous_arp(dst);
        // A trace has no side effects (as OVS's, which learns nothing).
        if !self.tracing() && self.env.macs.learn(vlan, src, in_port, self.env.now_ms) {
            self.learned = true;
        }
        if is_multicast(dst) {
            // Never learned, so OVS reports it as any unknown address.
            self.note(NodeKind::Detail, |_| {
                "no learned MAC for destination, flooding".into()
            });
            return self.flood(normal_order(self.env.ports));
        }
        match self.env.macs.lookup(vlan, dst) {
            // Learned on the port it came in on: nowhere to go.
            Some(port) if port == in_port => {
                self.note(NodeKind::Detail, |_| {
                    "learned port is input port, dropping".into()
                });
            }
            Some(port) => {
                self.note(NodeKind::Detail, |_| "forwarding to learned port".into());
                self.emit_output(port);
            }
            None => {
                self.note(NodeKind::Detail, |_| {
                    "no learned MAC for destination, flooding".into()
                });
                self.flood(normal_order(self.env.ports));
            }
        }
    }
}
