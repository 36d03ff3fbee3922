//! A userspace connection tracker in the style of Open vSwitch's.
//!
//! Packets go in with their L3 offset known, verdicts come out: the
//! `ct_state` bits, zone, mark, label and original-direction tuple that
//! OVS exposes to flows. The crate knows nothing of OpenFlow or flows.

pub mod wire;
