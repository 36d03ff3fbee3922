//! The executor: runs a list of datapath actions over a batch of packets.
//!
//! Actions apply to the whole batch in order, as in OVS's
//! `odp_execute_actions`: a `ct` hands the batch to the connection tracker
//! at once; `output` and `userspace` hand each packet on (a copy, the
//! batch goes on); `clone` runs its actions on a copy of the batch;
//! `recirc` gives the batch back to be looked up again (to the caller, or
//! at once to a recirculation handler);
//! `hash` computes each packet's `dp_hash` for the next pass;
//! `meter` asks the slow path's meter about each packet, which passes,
//! drops or remarks it (`execute::meter`).
//! Nothing here panics on a packet's bytes: a header an action needs and
//! the packet lacks makes the action a no-op for that packet (OVS's
//! behaviour), counted in [`Executed::skipped`].

mod ct;
pub(crate) mod layers;
mod meter;
mod mpls;
mod sctp;
#[cfg(test)]
mod sctp_tests;
mod set;
mod vlan;

use conntrack::{Conntrack, CtMetadata};

pub use mpls::MplsError;
pub use set::SetError;
pub use vlan::VlanError;

use crate::action::{Action, Actions};
use crate::hash::sym_l4_hash;
use crate::packet::Packet;
use crate::upcall::{Metered, Upcall, UserspacePacket};

/// Where `output` sends packets: the datapath's ports.
pub trait Transmit {
    /// Transmits `packet` on datapath port `port`; an unknown port drops it.
    fn transmit(&self, port: u32, packet: &Packet);
}

/// What the executor needs from the datapath.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub conntrack: &'a Conntrack,
    pub ports: &'a dyn Transmit,
    pub upcall: &'a dyn Upcall,
    /// The time `ct` uses, in the tracker's milliseconds.
    pub now_ms: u64,
}

impl core::fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Context")
            .field("now_ms", &self.now_ms)
            .finish()
    }
}

/// What became of a batch.
#[derive(Debug, Default)]
pub struct Executed {
    /// Packets to look up again, `recirc_id` already set ([`execute`]
    /// only).
    pub recirculate: Vec<Packet>,
    /// Actions that were no-ops for a packet lacking their header.
    pub skipped: usize,
    /// Packets dropped because an action could not apply to them.
    pub dropped: usize,
    /// Packets a meter dropped.
    pub metered: usize,
}

/// Runs `actions` over `batch`; packets that recirculate are handed back
/// in [`Executed::recirculate`].
pub fn execute(ctx: &Context<'_>, batch: Vec<Packet>, actions: &Actions) -> Executed {
    let mut again = Vec::new();
    let mut out = execute_recirculating(ctx, batch, actions, &mut |mut packets| {
        again.append(&mut packets)
    });
    out.recirculate = again;
    out
}

/// Runs `actions` over `batch`, handing the packets each `recirc` sends
/// back to `recirculate` at once, before the actions after it run (as
/// OVS's userspace datapath looks them up again in the middle of the
/// actions).
pub fn execute_recirculating(
    ctx: &Context<'_>,
    batch: Vec<Packet>,
    actions: &Actions,
    recirculate: &mut dyn FnMut(Vec<Packet>),
) -> Executed {
    let mut out = Executed::default();
    run(ctx, batch, actions.0.as_slice(), &mut out, recirculate);
    out
}

fn run(
    ctx: &Context<'_>,
    mut batch: Vec<Packet>,
    actions: &[Action],
    out: &mut Executed,
    recirculate: &mut dyn FnMut(Vec<Packet>),
) {
    // A `trunc`'s length, which the next output honours.
    let mut cut: Option<usize> = None;
    for (i, action) in actions.iter().enumerate() {
        if batch.is_empty() {
            return;
        }
        let last = i + 1 == actions.len();
        match action {
            Action::Output(port) => {
                for packet in &batch {
                    match cut.filter(|&len| len < packet.data.len()) {
                        Some(len) => {
                            let mut short = packet.clone();
                            short.data.truncate(len);
                            ctx.ports.transmit(*port, &short);
                        }
                        None => ctx.ports.transmit(*port, packet),
                    }
                }
                cut = None;
            }
            Action::Trunc(len) => cut = usize::try_from(*len).ok(),
            Action::Drop => return,
            Action::Ct(action) => {
                ct::run(ctx.conntrack, action, &mut batch, ctx.now_ms);
            }
            Action::CtClear => {
                for packet in &mut batch {
                    packet.md.ct = CtMetadata::default();
                }
            }
            Action::Recirc(id) => {
                let mut again = if last {
                    core::mem::take(&mut batch)
                } else {
                    batch.clone()
                };
                for packet in &mut again {
                    packet.md.recirc_id = *id;
                }
                recirculate(again);
            }
            Action::SetPriority(priority) => {
                for packet in &mut batch {
                    packet.md.priority = *priority;
                }
            }
            Action::Hash(basis) => {
                for packet in &mut batch {
                    // 0 means "no hash yet" to the slow path, which would
                    // ask for one again: a computed hash is never 0 (as
                    // in OVS's datapaths).
                    packet.md.dp_hash = sym_l4_hash(&packet.flow(), *basis).max(1);
                }
            }
            Action::Set(action) => {
                for packet in &mut batch {
                    if set::apply(action, &mut packet.data).is_err() {
                        out.skipped += 1;
                    }
                }
            }
            Action::PushVlan(push) => {
                let before = batch.len();
                batch.retain_mut(|p| vlan::push(push, &mut p.data).is_ok());
                out.dropped += before - batch.len();
            }
            Action::PopVlan => {
                for packet in &mut batch {
                    vlan::pop(&mut packet.data);
                }
            }
            Action::PushMpls(push) => {
                for packet in &mut batch {
                    if mpls::push(push, &mut packet.data).is_err() {
                        out.skipped += 1;
                    }
                }
            }
            Action::PopMpls(next) => {
                for packet in &mut batch {
                    if mpls::pop(*next, &mut packet.data).is_err() {
                        out.skipped += 1;
                    }
                }
            }
            Action::SetMpls(lse) => {
                for packet in &mut batch {
                    if mpls::set(*lse, &mut packet.data).is_err() {
                        out.skipped += 1;
                    }
                }
            }
            Action::Userspace(action) => {
                for packet in &batch {
                    ctx.upcall.userspace(UserspacePacket {
                        packet: packet.clone(),
                        flow: packet.flow(),
                        action: *action,
                    });
                }
            }
            Action::Clone(inner) => run(ctx, batch.clone(), inner.0.as_slice(), out, recirculate),
            Action::Meter(id) => {
                let before = batch.len();
                let mut skipped = 0;
                batch.retain_mut(|p| match ctx.upcall.meter(*id, p.data.len(), ctx.now_ms) {
                    Metered::Pass => true,
                    Metered::Drop => false,
                    Metered::RemarkDscp { prec_level } => {
                        if meter::remark_dscp(&mut p.data, prec_level).is_err() {
                            skipped += 1;
                        }
                        true
                    }
                });
                out.metered += before - batch.len();
                out.skipped += skipped;
            }
        }
    }
}
