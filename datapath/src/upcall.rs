//! The slow path's side of the datapath: what it is asked on a flow-cache
//! miss, and where `userspace` actions send packets.
//!
//! `ofproto` implements [`Upcall`] with its translation (xlate); tests use
//! [`FnUpcall`], a closure from flows to actions. A reply may name a
//! [`StatsSink`]: whatever the slow path counts per decision (OpenFlow
//! rules, for ofproto) is then credited with every packet the decision
//! handles, from the cache or not.

use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};

use nxm_fields::Flow;

use crate::action::{Actions, Userspace};
use crate::packet::Packet;

/// The answer to a miss: the actions for the packet, and the mask of
/// every bit of the flow that decided them. The megaflow installed from
/// it covers every packet that agrees with this one on those bits.
#[derive(Debug, Clone)]
pub struct MissReply {
    pub actions: Actions,
    pub mask: Flow,
    /// Credited with the packets (and their bytes) these actions handle:
    /// this one and every later hit of the megaflow.
    pub sink: Option<Arc<dyn StatsSink>>,
}

/// The slow path's counters behind one decision, credited by the
/// datapath with each batch of packets the decision handled.
pub trait StatsSink: Send + Sync + core::fmt::Debug {
    /// `packets` packets, `bytes` bytes in all (as received), at `now_ms`.
    fn credit(&self, packets: u64, bytes: u64, now_ms: u64);
}

/// Why the slow path gave no answer. The packet is dropped and no
/// megaflow is installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpcallError {
    Translation(String),
}

impl core::fmt::Display for UpcallError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            UpcallError::Translation(why) => write!(f, "translation failed: {why}"),
        }
    }
}

impl std::error::Error for UpcallError {}

/// A packet a `userspace` action hands up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserspacePacket {
    pub packet: Packet,
    /// The packet's flow key at the time (ct fields and recirc_id
    /// included), for the packet-in's match.
    pub flow: Flow,
    pub action: Userspace,
}

/// The slow path, as the datapath calls it from packet threads.
pub trait Upcall: Send + Sync {
    /// Translates the flow of a packet that missed the flow cache.
    fn miss(&self, flow: &Flow) -> Result<MissReply, UpcallError>;

    /// Receives a packet sent up by a `userspace` action.
    fn userspace(&self, packet: UserspacePacket);

    /// Whether the answer to `flow`'s miss may be cached as a megaflow;
    /// one that may not is used for that packet only, and the next packet
    /// of the same flow misses again.
    fn caches(&self, _flow: &Flow) -> bool {
        true
    }

    /// What meter `meter_id` does with a packet of `len` bytes at
    /// `now_ms`. Without meters, every packet passes.
    fn meter(&self, _meter_id: u32, _len: usize, _now_ms: u64) -> Metered {
        Metered::Pass
    }
}

/// What a meter does with one packet: the band that applies to a packet
/// over a band's rate drops it or raises its DSCP's drop precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metered {
    Pass,
    Drop,
    /// Add `prec_level` to the drop precedence of the packet's DSCP
    /// (an OpenFlow `dscp_remark` band).
    RemarkDscp {
        prec_level: u8,
    },
}

/// An [`Upcall`] made of a closure (for misses) and, optionally, a channel
/// that receives `userspace` packets.
pub struct FnUpcall<F> {
    miss: F,
    to_user: Mutex<Option<Sender<UserspacePacket>>>,
}

impl<F> core::fmt::Debug for FnUpcall<F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("FnUpcall")
    }
}

impl<F> FnUpcall<F>
where
    F: Fn(&Flow) -> Result<MissReply, UpcallError> + Send + Sync,
{
    pub fn new(miss: F) -> Self {
        FnUpcall {
            miss,
            to_user: Mutex::new(None),
        }
    }

    /// Sends `userspace` packets to `tx` (they are dropped otherwise).
    pub fn with_userspace(self, tx: Sender<UserspacePacket>) -> Self {
        FnUpcall {
            miss: self.miss,
            to_user: Mutex::new(Some(tx)),
        }
    }
}

impl<F> Upcall for FnUpcall<F>
where
    F: Fn(&Flow) -> Result<MissReply, UpcallError> + Send + Sync,
{
    fn miss(&self, flow: &Flow) -> Result<MissReply, UpcallError> {
        (self.miss)(flow)
    }

    fn userspace(&self, packet: UserspacePacket) {
        let guard = self.to_user.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = guard.as_ref() {
            // A receiver that hung up is a slow path that stopped
            // listening: the packet is dropped, as OVS drops upcalls it
            // cannot queue.
            let _ = tx.send(packet);
        }
    }
}
