//! The `ct_state` bits, with the values OVS gives them.

use core::fmt;

use serde::{Deserialize, Serialize};

/// A set of `ct_state` bits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CtState(pub u32);

impl CtState {
    pub const NEW: CtState = CtState(0x01);
    pub const ESTABLISHED: CtState = CtState(0x02);
    pub const RELATED: CtState = CtState(0x04);
    pub const REPLY: CtState = CtState(0x08);
    pub const INVALID: CtState = CtState(0x10);
    pub const TRACKED: CtState = CtState(0x20);
    pub const SRC_NAT: CtState = CtState(0x40);
    pub const DST_NAT: CtState = CtState(0x80);

    /// The bits in the order OVS prints them, with their names.
    const NAMES: [(CtState, &'static str); 8] = [
        (CtState::NEW, "new"),
        (CtState::ESTABLISHED, "est"),
        (CtState::RELATED, "rel"),
        (CtState::REPLY, "rpl"),
        (CtState::INVALID, "inv"),
        (CtState::TRACKED, "trk"),
        (CtState::SRC_NAT, "snat"),
        (CtState::DST_NAT, "dnat"),
    ];

    pub fn contains(self, other: CtState) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl core::ops::BitOr for CtState {
    type Output = CtState;
    fn bitor(self, rhs: CtState) -> CtState {
        CtState(self.0 | rhs.0)
    }
}

impl core::ops::BitOrAssign for CtState {
    fn bitor_assign(&mut self, rhs: CtState) {
        self.0 |= rhs.0;
    }
}

/// Prints as `ovs-ofctl dump-flows` prints a `ct_state` match, bits in
/// value order (`+new+trk`, `+est+rpl+trk`); no bits print as `0`.
impl fmt::Display for CtState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("0");
        }
        for (bit, name) in Self::NAMES {
            if self.contains(bit) {
                write!(f, "+{name}")?;
            }
        }
        Ok(())
    }
}

impl CtState {
    /// Prints as OVS's datapath does (`new|trk`, `est|rpl|trk`), the form
    /// of `ovs-appctl dpctl/dump-flows` and of the scenario reports.
    pub fn to_datapath_string(self) -> String {
        let names: Vec<&str> = Self::NAMES
            .iter()
            .filter(|(bit, _)| self.contains(*bit))
            .map(|(_, n)| *n)
            .collect();
        if names.is_empty() {
            "0".to_string()
        } else {
            names.join("|")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_have_ovs_values() {
        assert_eq!((CtState::NEW | CtState::TRACKED).0, 0x21);
        assert_eq!(
            (CtState::ESTABLISHED | CtState::REPLY | CtState::TRACKED).0,
            0x2a
        );
        assert_eq!(CtState::SRC_NAT.0 | CtState::DST_NAT.0, 0xc0);
    }

    #[test]
    fn display_follows_ovs_bit_order() {
        assert_eq!((CtState::NEW | CtState::TRACKED).to_string(), "+new+trk");
        assert_eq!(
            (CtState::ESTABLISHED | CtState::REPLY | CtState::TRACKED).to_string(),
            "+est+rpl+trk"
        );
        assert_eq!(
            (CtState::INVALID | CtState::TRACKED).to_string(),
            "+inv+trk"
        );
        assert_eq!(CtState::default().to_string(), "0");
        assert_eq!(
            (CtState::ESTABLISHED | CtState::REPLY | CtState::TRACKED).to_datapath_string(),
            "est|rpl|trk"
        );
    }
}
