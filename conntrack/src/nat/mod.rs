//! Network address translation: the `nat(...)` argument of the `ct`
//! action.
//!
//! * [`select`]: choosing a new connection's translated reply key from the
//!   action's address and port ranges, with a bounded collision search.
//! * [`rewrite`]: rewriting a packet's addresses, ports or ICMP echo
//!   identifier from one key to another, checksums fixed incrementally.

pub mod rewrite;
pub mod select;

pub use rewrite::rewrite;
pub use select::{choose, seed, NatError, MAX_ATTEMPTS};
