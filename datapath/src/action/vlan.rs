//! `push_vlan(...)`; `pop_vlan` has no arguments and lives in the
//! [`Action`](super::Action) enum.

use core::fmt;

use crate::wire::ethertype;

/// `push_vlan(tpid=0x88a8,vid=5,pcp=3)`: a tag inserted after the
/// addresses. OVS prints the TPID only when it is not 802.1Q, and `cfi=0`
/// only when the CFI (present) bit is clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushVlan {
    pub tpid: u16,
    /// The TCI as it goes on the wire (PCP, CFI, VID).
    pub tci: u16,
}

const VID_MASK: u16 = 0x0fff;
const CFI: u16 = 0x1000;
const PCP_SHIFT: u16 = 13;

impl PushVlan {
    /// An 802.1Q tag with the present bit set, as translation builds them.
    pub fn new(vid: u16, pcp: u8) -> Self {
        PushVlan {
            tpid: ethertype::VLAN,
            tci: (vid & VID_MASK) | CFI | (u16::from(pcp & 7) << PCP_SHIFT),
        }
    }

    pub fn vid(&self) -> u16 {
        self.tci & VID_MASK
    }

    pub fn pcp(&self) -> u8 {
        (self.tci >> PCP_SHIFT) as u8
    }
}

impl fmt::Display for PushVlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("push_vlan(")?;
        if self.tpid != ethertype::VLAN {
            write!(f, "tpid={:#x},", self.tpid)?;
        }
        write!(f, "vid={},pcp={}", self.vid(), self.pcp())?;
        if self.tci & CFI == 0 {
            f.write_str(",cfi=0")?;
        }
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expectations from OVS 3.1 `dpctl/add-flow` + `dpctl/dump-flows`.
    #[test]
    fn push_vlan_prints_as_ovs() {
        assert_eq!(PushVlan::new(5, 0).to_string(), "push_vlan(vid=5,pcp=0)");
        assert_eq!(
            PushVlan::new(4095, 7).to_string(),
            "push_vlan(vid=4095,pcp=7)"
        );
        let qinq = PushVlan {
            tpid: ethertype::QINQ,
            ..PushVlan::new(5, 3)
        };
        assert_eq!(qinq.to_string(), "push_vlan(tpid=0x88a8,vid=5,pcp=3)");
        let no_cfi = PushVlan {
            tpid: ethertype::VLAN,
            tci: 5,
        };
        assert_eq!(no_cfi.to_string(), "push_vlan(vid=5,pcp=0,cfi=0)");
    }
}
