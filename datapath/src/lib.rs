//! The datapath: ports, flow-key extraction, the flow cache and the
//! executor of datapath actions.
//!
//! It will own the port abstraction (dummy, pcap, afpacket, tap), the typed
//! zero-copy views that turn a frame into an `nxm_fields::Flow` key, the
//! per-thread exact-match cache and the shared megaflow table, and the
//! executor of datapath actions (output, set, push/pop VLAN, `ct` through the
//! `conntrack` crate, `recirc`, `userspace`).
//!
//! It must not know about OpenFlow: tables, rules and translation live in
//! `ofproto`, which hands this crate plain datapath actions and masks.
