//! The bridge as the datapath's slow path: it translates misses
//! ([`datapath::Upcall::miss`]), turns `userspace` packets into OpenFlow
//! 1.3 PACKET_INs for its subscribers, and runs PACKET_OUTs through
//! translation and the datapath.
//!
//! Rule statistics: a miss's reply carries the counters of the rules its
//! translation consulted ([`crate::rule_stats::Credits`]), which the datapath credits with that
//! packet and every later hit of the megaflow; a packet-out credits the
//! rules it hit itself.

use datapath::cache::ExactCache;
use std::sync::Arc;

use datapath::{Metered, MissReply, Packet, StatsSink, Upcall, UpcallError, UserspacePacket};
use nxm_fields::Flow;
use openflow_codec::error::{BadRequestCode, OfpError};
use openflow_codec::message::flow_mod::NO_BUFFER;
use openflow_codec::message::packet_out::PacketOut;
use openflow_codec::message::Message;

use crate::bridge::Bridge;
use crate::packet_in::packet_in;
use crate::xlate::{translate, translate_packet_out, Env, XlateError, Xlated};

impl Bridge {
    /// Runs `run` with the bridge's state, the tables read-locked only
    /// meanwhile.
    pub(crate) fn with_env<R>(&self, run: impl FnOnce(Env<'_>) -> R) -> R {
        let ports = self.port_numbers();
        let live_ports = self.live_port_numbers();
        let tables = self.tables();
        let groups = self.groups();
        let meters = self.meters();
        run(Env {
            tables: &tables,
            ports: &ports,
            live_ports: &live_ports,
            recirc: &self.recirc,
            macs: &self.macs,
            groups: &groups,
            meters: &meters,
            now_ms: conntrack::now_ms(),
        })
    }

    /// Translates with the tables read-locked only while translating.
    fn xlate(
        &self,
        run: impl FnOnce(Env<'_>) -> Result<Xlated, XlateError>,
    ) -> Result<Xlated, XlateError> {
        let xlated = self.with_env(run)?;
        if !xlated.learned_flows.is_empty() {
            self.install_learned(&xlated.learned_flows, conntrack::now_ms());
        }
        if xlated.learned {
            // Forwarding cached for the old whereabouts of an address is
            // stale; this translation's own megaflow is then not
            // installed, and the next packet installs a fresh one.
            if let Some(dp) = self.datapath() {
                dp.flows_changed();
            }
        }
        Ok(xlated)
    }

    /// OFPT_PACKET_OUT: the actions (which may send the packet through the
    /// tables with `output:TABLE`) run on the packet in the datapath.
    pub(crate) fn packet_out(&self, po: &PacketOut) -> Result<(), OfpError> {
        if po.buffer_id != NO_BUFFER {
            return Err(BadRequestCode::BufferUnknown.into());
        }
        let packet = Packet::new(po.data.clone(), po.in_port);
        let flow = packet.flow();
        // A packet the pipeline cannot translate is dropped, as OVS
        // drops it (the packet-out itself was valid).
        let Ok(xlated) = self.xlate(|env| translate_packet_out(env, &flow, &po.actions)) else {
            return Ok(());
        };
        let now_ms = conntrack::now_ms();
        xlated.credits.credit(1, packet.data.len() as u64, now_ms);
        // Without a datapath there are no ports to send to.
        let Some(dp) = self.datapath() else {
            return Ok(());
        };
        dp.execute(
            &mut ExactCache::default(),
            vec![packet],
            &xlated.actions,
            now_ms,
        );
        Ok(())
    }
}

impl Upcall for Bridge {
    fn miss(&self, flow: &Flow) -> Result<MissReply, UpcallError> {
        let xlated = self
            .xlate(|env| translate(env, flow))
            .map_err(|e| UpcallError::Translation(e.to_string()))?;
        Ok(MissReply {
            actions: xlated.actions,
            mask: xlated.mask,
            sink: Some(Arc::new(xlated.credits)),
        })
    }

    fn meter(&self, meter_id: u32, len: usize, now_ms: u64) -> Metered {
        self.meter_packet(meter_id, len, now_ms)
    }

    fn userspace(&self, packet: UserspacePacket) {
        let frozen = self.recirc.thaw(packet.action.cookie.recirc_id);
        let message = packet_in(&packet, frozen.as_deref());
        self.publish(Message::PacketIn(message));
    }
}
