//! Per-protocol connection state: what a packet does to a connection of
//! its protocol, and which timer that leaves running.

pub mod icmp;
pub mod other;
pub mod tcp;

use crate::timeout::TimeoutKind;

/// What a packet of an existing connection turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Part of the connection; the timer to restart, if any.
    Valid(Option<TimeoutKind>),
    /// Part of the connection but still `+new` (more packets one way
    /// before any reply), restarting the given timer.
    ValidNew(TimeoutKind),
    /// Does not fit the connection's state: `+inv`.
    Invalid,
    /// Ends the old connection and opens a new one (a SYN on a closed one).
    Reopen,
}

/// The protocol state kept in a connection entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum L4State {
    Tcp([tcp::TcpPeer; 2]),
    Other(other::OtherState),
    Icmp(icmp::IcmpState),
}

impl L4State {
    /// The timer a connection in this state runs.
    pub fn timeout_kind(&self) -> TimeoutKind {
        match self {
            L4State::Tcp(peers) => tcp::timeout_kind(peers),
            L4State::Other(s) => s.timeout_kind(),
            L4State::Icmp(s) => s.timeout_kind(),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn state_needs_no_tag_beyond_the_tcp_peers() {
        // TcpState's spare values carry the variant: 24 bytes, not 28.
        assert_eq!(core::mem::size_of::<super::L4State>(), 24);
    }
}
