//! The library half of the `ctswitch` package: what the daemon and the
//! CLI share, and the daemon itself (so that its pieces are tested as a
//! library).
//!
//! * [`control`]: the control socket's protocol (JSON lines), where the
//!   socket lives, the client the CLI uses, and the text forms of what
//!   it carries (conntrack tuples).
//! * [`daemon`]: `ctswitchd`'s configuration, the switch it assembles
//!   (bridge, datapath, ports, packet threads), its OpenFlow listeners
//!   and controllers, and the control socket's server.
//! * [`hex`]: bytes as hex digits, as the CLI and the socket write them.
//! * [`compose`]: packets built from flows as OVS's `flow_compose` builds
//!   them.
//! * [`trace`]: `ofproto/trace`'s arguments, and a trace whose `ct`s run
//!   on a copy of the switch's connection tracker.

pub mod compose;
pub mod control;
pub mod daemon;
pub mod hex;
pub mod trace;
