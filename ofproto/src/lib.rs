//! ofproto: bridges, OpenFlow flow tables and their classifier, translation
//! of the OpenFlow pipeline into datapath actions (xlate), OpenFlow
//! connections and the `ofproto/trace` equivalent.
//!
//! * [`classifier`] (priorities, arbitrary masks, tuple space search that
//!   reports the bits each lookup consulted) and the [`table`]s with
//!   OpenFlow 1.3 flow-mod semantics.
//! * [`xlate`]: a flow through the tables into datapath actions and a
//!   megaflow mask, with the [`rule_stats`] (shared counters) of every
//!   table and rule it consulted; [`recirc`]: the frozen continuations
//!   recirculation ids name; [`mac_learning`]: the table behind `NORMAL`;
//!   [`learned`]: the flows `learn` actions add, on the tables' side.
//! * [`bridge`]: what controllers talk to; [`slow_path`]: the bridge as
//!   the datapath's upcall, packet-out; [`packet_in`]: PACKET_IN messages;
//!   [`port_status`]: PORT_STATUS messages; [`port_mod`]: PORT_MOD.
//! * [`connection`]: the OpenFlow connection state machine.
//!
//! * [`group`] and [`meter`]: the group and meter tables;
//!   [`flow_hash`]: OVS's hashes of a packet's fields, which pick the
//!   link of `multipath` and the member of `bundle`;
//!   [`bridge_groups`]: the bridge's group and meter messages.
//!
//! * [`trace`]: `ofproto/trace`, what a flow does in the tables, printed
//!   as OVS prints it, its conntrack states given (`--ct-next`) or asked
//!   of a connection tracker.
//!
//! Packet parsing and execution belong to `datapath`; wire formats
//! belong to `openflow-codec`.

pub mod bridge;
pub mod bridge_groups;
pub mod classifier;
pub mod connection;
pub mod flow_hash;
pub mod group;
pub mod group_select;
pub mod learned;
pub mod mac_learning;
pub mod meter;
pub mod packet_in;
pub mod port_mod;
pub mod port_stats;
pub mod port_status;
pub mod recirc;
pub mod rule_stats;
pub mod slow_path;
pub mod table;
pub mod trace;
pub mod xlate;

pub use bridge::{Bridge, BridgeConfig};
pub use classifier::{Classifier, Lookup};
