//! The datapath: ports, flow-key extraction, the flow cache and the
//! executor of datapath actions.
//!
//! Built so far: [`wire`] (Ethernet with VLAN tags, ARP; L3/L4 views are
//! `conntrack::wire`'s) and [`extract`], which turns a frame into the
//! `nxm_fields::Flow` key the flow cache and the OpenFlow tables look up.
//! Still to come (the switch issue): ports (dummy, pcap, afpacket, tap),
//! the per-thread exact-match cache and shared megaflow table, and the
//! executor of datapath actions (output, set, push/pop VLAN, `ct` through
//! the `conntrack` crate, `recirc`, `userspace`).
//!
//! It must not know about OpenFlow: tables, rules and translation live in
//! `ofproto`, which hands this crate plain datapath actions and masks.

pub mod extract;
pub mod wire;

pub use extract::extract;
