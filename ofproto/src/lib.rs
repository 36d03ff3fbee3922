//! ofproto: bridges, OpenFlow flow tables and their classifier, translation
//! of the OpenFlow pipeline into datapath actions (xlate), OpenFlow
//! connections and the `ofproto/trace` equivalent.
//!
//! Built so far: the [`classifier`] (priorities, arbitrary masks, tuple
//! space search that reports the bits each lookup consulted) and the
//! [`table`]s with OpenFlow 1.3 flow-mod semantics. Still to come
//! (the switch issue): flow-mod semantics, the frozen continuations that
//! recirculation ids name, xlate, packet-in/packet-out, and the trace that
//! runs conntrack on a snapshot of the connection table. Packet parsing and
//! execution belong to `datapath`; wire formats belong to `openflow-codec`.

pub mod bridge;
pub mod classifier;
pub mod connection;
pub mod table;

pub use classifier::{Classifier, Lookup};
