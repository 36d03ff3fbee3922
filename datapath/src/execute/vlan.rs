//! `push_vlan` and `pop_vlan`: a tag inserted after, or removed from
//! after, the Ethernet addresses.

use crate::action::PushVlan;
use crate::wire::be16;
use crate::wire::ethernet::{ETHERTYPE_AT, HEADER_LEN, TAG_LEN};
use crate::wire::ethertype;

/// Why a VLAN action could not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VlanError {
    /// The frame is too short to hold Ethernet addresses.
    Runt,
}

/// The TCI bit that means "a tag is present" in a flow; on the wire it is
/// 802.1Q's DEI, which a push leaves clear (as OVS's `eth_push_vlan`).
const PRESENT: u16 = 0x1000;

/// Inserts `push`'s tag as the new outermost one.
pub(crate) fn push(push: &PushVlan, frame: &mut Vec<u8>) -> Result<(), VlanError> {
    if frame.len() < ETHERTYPE_AT {
        return Err(VlanError::Runt);
    }
    let mut tag = [0u8; TAG_LEN];
    tag[..2].copy_from_slice(&push.tpid.to_be_bytes());
    tag[2..].copy_from_slice(&(push.tci & !PRESENT).to_be_bytes());
    frame.splice(ETHERTYPE_AT..ETHERTYPE_AT, tag);
    Ok(())
}

/// Removes the outermost tag; an untagged frame is left alone, as OVS
/// leaves it.
pub(crate) fn pop(frame: &mut Vec<u8>) {
    let tpid = be16(frame, ETHERTYPE_AT);
    let tagged = tpid == ethertype::VLAN || tpid == ethertype::QINQ;
    if tagged && frame.len() >= HEADER_LEN + TAG_LEN {
        frame.drain(ETHERTYPE_AT..ETHERTYPE_AT + TAG_LEN);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_then_pop_gives_the_frame_back() {
        let original: Vec<u8> = (0u8..12).chain([0x08, 0x00, 0x45, 0]).collect();
        let mut f = original.clone();
        push(&PushVlan::new(5, 3), &mut f).unwrap();
        // OVS 3.1 sends PCP 3, VID 5 as 0x6005: the present bit stays off
        // the wire.
        assert_eq!(&f[12..18], &[0x81, 0x00, 0x60, 0x05, 0x08, 0x00]);
        pop(&mut f);
        assert_eq!(f, original);
    }

    #[test]
    fn pop_leaves_untagged_and_runt_frames_alone() {
        let mut f: Vec<u8> = (0u8..12).chain([0x08, 0x00]).collect();
        let before = f.clone();
        pop(&mut f);
        assert_eq!(f, before);
        let mut runt = vec![1, 2, 3];
        pop(&mut runt);
        assert_eq!(runt, vec![1, 2, 3]);
        assert_eq!(push(&PushVlan::new(1, 0), &mut runt), Err(VlanError::Runt));
    }
}
