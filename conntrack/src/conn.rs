//! The connection entry as the table stores it: compact and fixed-size,
//! with what few connections need (a NAT'd reply key, an ALG helper) kept
//! out of line behind one pointer.

use serde::{Deserialize, Serialize};

use crate::alg::AlgState;
use crate::key::ConnKey;
use crate::params::NatKind;
use crate::proto::L4State;
use crate::timeout::TimeoutKind;

/// An application-layer gateway a connection is committed with
/// (`ct(alg=ftp)`; see [`crate::alg`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Helper {
    Ftp,
    Tftp,
}

impl Helper {
    pub fn name(self) -> &'static str {
        match self {
            Helper::Ftp => "ftp",
            Helper::Tftp => "tftp",
        }
    }
}

/// The out-of-line part of a connection, allocated only for connections
/// that use it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ConnExt {
    /// The reply direction's key when it is not the reverse of the
    /// original one (a NAT'd connection, or one read from a dump of one).
    pub reply: Option<ConnKey>,
    /// What the committing `nat(...)` (or the ALG expectation standing in
    /// for it) translates, even when the mapping it chose leaves the tuple
    /// as it was: OVS marks the connection's packets `+snat`/`+dnat` from
    /// this, not from a changed tuple. `None` for a connection read from a
    /// dump, whose changed tuple is all there is to go by.
    pub nat: Option<NatKind>,
    pub helper: Option<Helper>,
    pub alg: AlgState,
}

/// `Conn::flags` bits.
pub(crate) const LIVE: u8 = 1;
/// Skip TCP window checks for this connection (picked up from a dump).
pub(crate) const LIBERAL: u8 = 2;

/// One tracked connection.
#[derive(Debug, Clone)]
pub(crate) struct Conn {
    /// The original direction's key.
    pub key: ConnKey,
    /// The timer-wheel tick this connection is filed under.
    pub wheel_tick: u32,
    /// Its position in its zone's member list.
    pub zone_pos: u32,
    pub mark: u32,
    /// When it expires, in the caller's milliseconds.
    pub expiration: u64,
    /// `ct_label`, as two halves to keep the entry 8-byte aligned.
    pub label: [u64; 2],
    pub l4: L4State,
    /// The timeout policy version it was committed under.
    pub policy: u16,
    pub timeout: TimeoutKind,
    pub flags: u8,
    pub ext: Option<Box<ConnExt>>,
}

impl Conn {
    pub fn is_live(&self) -> bool {
        self.flags & LIVE != 0
    }

    pub fn label(&self) -> u128 {
        u128::from(self.label[0]) << 64 | u128::from(self.label[1])
    }

    pub fn set_label(&mut self, label: u128) {
        self.label = [(label >> 64) as u64, label as u64];
    }

    /// The reply direction's key.
    pub fn reply_key(&self) -> ConnKey {
        self.ext
            .as_ref()
            .and_then(|e| e.reply)
            .unwrap_or_else(|| self.key.reverse())
    }

    pub fn helper(&self) -> Option<Helper> {
        self.ext.as_ref().and_then(|e| e.helper)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_stays_within_its_memory_budget() {
        // 120 bytes leaves room for the index, wheel and zone handles
        // under the 150 bytes per connection budget.
        assert!(
            core::mem::size_of::<Conn>() <= 120,
            "{}",
            core::mem::size_of::<Conn>()
        );
    }
}
