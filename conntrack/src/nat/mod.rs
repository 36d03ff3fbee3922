//! Network address translation: the `nat(...)` argument of the `ct`
//! action.
//!
//! * [`select`]: choosing a new connection's translated reply key from the
//!   action's address and port ranges, with a bounded collision search.
//! * `apply`: the ct_state bits and rewrite of a NAT'd connection's packet.
//! * `index`: where a NAT'd reply key is found (its hash does not pick
//!   its connection's shard).
//! * [`mod@rewrite`]: rewriting a packet's addresses, ports or ICMP echo
//!   identifier from one key to another, checksums fixed incrementally.

pub(crate) mod apply;
pub(crate) mod index;
pub mod rewrite;
pub mod select;

pub use rewrite::{rewrite, Rewrite, Sides};
pub use select::{choose, seed, NatError, MAX_ATTEMPTS};

#[cfg(test)]
mod tests;
