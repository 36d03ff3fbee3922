//! The datapath: ports, flow-key extraction, the flow cache and the
//! executor of datapath actions.
//!
//! * [`wire`] (Ethernet with VLAN tags, ARP; L3/L4 views are
//!   `conntrack::wire`'s) and [`extract`], which turns a frame into the
//!   `nxm_fields::Flow` key the flow cache and the OpenFlow tables look up.
//! * [`action`]: datapath actions, printed as OVS's `dpctl/dump-flows`;
//!   [`hash`]: OVS's hash steps and the `dp_hash` the `hash` action
//!   computes.
//! * [`packet`]: a packet and the metadata it keeps across recirculation.
//! * [`execute`]: runs actions over a batch (output, set with checksum
//!   fixes, VLAN, `ct` through the `conntrack` crate, `recirc`, `userspace`,
//!   `clone`).
//! * [`upcall`]: what the datapath asks the slow path on a miss.
//! * [`cache`]: the per-thread exact-match cache and the shared megaflow
//!   table, dumped as `ovs-appctl dpctl/dump-flows`.
//! * [`port`]: the `Port` trait, the `dummy` port, counters, pcap output.
//! * [`datapath`]: lookup, upcall and install, batched execution,
//!   recirculation; [`thread`]: the packet thread that polls the ports.
//!
//! It must not know about OpenFlow: tables, rules and translation live in
//! `ofproto`, which hands this crate plain datapath actions and masks.

pub mod action;
pub mod cache;
pub mod datapath;
pub mod execute;
pub mod extract;
pub mod hash;
pub mod packet;
pub mod port;
pub mod thread;
pub mod upcall;
pub mod wire;

pub use action::{Action, Actions};
pub use datapath::{Datapath, DatapathStats, PortError, MAX_RECIRC_DEPTH};
pub use extract::{extract, extract_tags, PIPELINE_VLAN_LIMIT};
pub use packet::{Metadata, Packet};
pub use thread::{PacketThread, ThreadConfig};
pub use upcall::{FnUpcall, Metered, MissReply, StatsSink, Upcall, UpcallError, UserspacePacket};

#[cfg(test)]
mod datapath_tests;
