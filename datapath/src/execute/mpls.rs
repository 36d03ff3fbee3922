//! `push_mpls`, `pop_mpls` and `set(mpls(...))`: the label stack (OVS's
//! "L2.5" header) sits right after the ethertype that follows any VLAN
//! tags, and that ethertype says whether the frame carries one.
//!
//! As in OVS's userspace datapath, an action whose header the frame lacks
//! leaves the frame alone.

use crate::action::{Lse, PushMpls};
use crate::execute::layers::MAX_VLAN_TAGS;
use crate::wire::ethernet::Frame;
use crate::wire::{be16, ethertype};

/// The length of one label stack entry.
const LSE_LEN: usize = 4;

/// Why an MPLS action left a frame alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MplsError {
    #[error("frame too short for an Ethernet header with an ethertype")]
    Runt,
    #[error("frame carries no MPLS label stack")]
    NotMpls,
    #[error("push_mpls with a non-MPLS ethertype {0:#06x}")]
    BadEthertype(u16),
}

/// Where the ethertype after the VLAN tags sits, if the frame has one
/// (an 802.3 length there is not an ethertype).
fn ethertype_at(frame: &[u8]) -> Result<usize, MplsError> {
    let eth = Frame::new_checked(frame).map_err(|_| MplsError::Runt)?;
    let (_, at) = eth.tags(MAX_VLAN_TAGS);
    if frame.len() < at + 2 || be16(frame, at) < ethertype::MIN {
        return Err(MplsError::Runt);
    }
    Ok(at)
}

fn is_mpls(ethertype: u16) -> bool {
    ethertype == ethertype::MPLS || ethertype == ethertype::MPLS_MCAST
}

/// Where the outermost label stack entry starts, if the frame holds one.
fn top_lse_at(frame: &[u8]) -> Result<usize, MplsError> {
    let at = ethertype_at(frame)?;
    if !is_mpls(be16(frame, at)) || frame.len() < at + 2 + LSE_LEN {
        return Err(MplsError::NotMpls);
    }
    Ok(at + 2)
}

/// Inserts `push`'s entry as the new outermost one.
pub(crate) fn push(push: &PushMpls, frame: &mut Vec<u8>) -> Result<(), MplsError> {
    if !is_mpls(push.ethertype) {
        return Err(MplsError::BadEthertype(push.ethertype));
    }
    let at = ethertype_at(frame)?;
    frame[at..at + 2].copy_from_slice(&push.ethertype.to_be_bytes());
    frame.splice(at + 2..at + 2, push.lse.0.to_be_bytes());
    Ok(())
}

/// Removes the outermost entry; the ethertype becomes `next`.
pub(crate) fn pop(next: u16, frame: &mut Vec<u8>) -> Result<(), MplsError> {
    let lse_at = top_lse_at(frame)?;
    frame[lse_at - 2..lse_at].copy_from_slice(&next.to_be_bytes());
    frame.drain(lse_at..lse_at + LSE_LEN);
    Ok(())
}

/// Overwrites the outermost entry.
pub(crate) fn set(lse: Lse, frame: &mut [u8]) -> Result<(), MplsError> {
    let at = top_lse_at(frame)?;
    frame[at..at + LSE_LEN].copy_from_slice(&lse.0.to_be_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::be32;

    /// The outermost entry, if the frame has one.
    fn top(frame: &[u8]) -> Option<Lse> {
        top_lse_at(frame).ok().map(|at| Lse(be32(frame, at)))
    }

    const ADDRS: [u8; 12] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];

    fn frame(tags: &[[u8; 4]], ethertype: u16, payload: &[u8]) -> Vec<u8> {
        let mut f = ADDRS.to_vec();
        for tag in tags {
            f.extend_from_slice(tag);
        }
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    const IPV4: [u8; 20] = [
        0x45, 0xb8, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ];
    const IPV6_START: [u8; 8] = [0x60, 0, 0, 0, 0, 0, 17, 64];
    const ARP_START: [u8; 8] = [0, 1, 8, 0, 6, 4, 0, 1];
    const TAG: [u8; 4] = [0x81, 0, 0x20, 5];

    fn mpls(lse: Lse) -> PushMpls {
        PushMpls {
            lse,
            ethertype: ethertype::MPLS,
        }
    }

    #[test]
    fn push_then_pop_restores_ip_ipv6_and_arp_frames_with_and_without_tags() {
        let lse = Lse::new(21, 5, 64, true);
        for (et, payload) in [
            (ethertype::IPV4, &IPV4[..]),
            (ethertype::IPV6, &IPV6_START[..]),
            (ethertype::ARP, &ARP_START[..]),
        ] {
            for tags in [&[][..], &[TAG][..], &[TAG, TAG][..]] {
                let original = frame(tags, et, payload);
                let mut f = original.clone();
                push(&mpls(lse), &mut f).unwrap();
                assert_eq!(
                    f,
                    frame(
                        tags,
                        ethertype::MPLS,
                        &[&lse.0.to_be_bytes()[..], payload].concat()
                    )
                );
                assert_eq!(top(&f), Some(lse));
                pop(et, &mut f).unwrap();
                assert_eq!(f, original);
            }
        }
    }

    #[test]
    fn push_onto_a_stack_and_set_change_only_the_top_entry() {
        let bottom = Lse::new(7, 0, 9, true);
        let mut f = frame(
            &[TAG],
            ethertype::MPLS,
            &[&bottom.0.to_be_bytes()[..], &IPV4[..]].concat(),
        );
        let outer = Lse::new(8, 1, 9, false);
        push(&mpls(outer), &mut f).unwrap();
        assert_eq!(top(&f), Some(outer));
        set(Lse::new(9, 2, 8, false), &mut f).unwrap();
        assert_eq!(top(&f), Some(Lse::new(9, 2, 8, false)));
        pop(ethertype::MPLS, &mut f).unwrap();
        assert_eq!(
            f,
            frame(
                &[TAG],
                ethertype::MPLS,
                &[&bottom.0.to_be_bytes()[..], &IPV4[..]].concat()
            )
        );
    }

    #[test]
    fn frames_without_the_header_are_left_alone() {
        let ip = frame(&[], ethertype::IPV4, &IPV4);
        let mut f = ip.clone();
        assert_eq!(pop(ethertype::IPV4, &mut f), Err(MplsError::NotMpls));
        assert_eq!(
            set(Lse::new(1, 0, 1, true), &mut f),
            Err(MplsError::NotMpls)
        );
        assert_eq!(f, ip);
        let bad = PushMpls {
            lse: Lse::default(),
            ethertype: ethertype::IPV4,
        };
        assert_eq!(push(&bad, &mut f), Err(MplsError::BadEthertype(0x800)));
        assert_eq!(f, ip);
    }

    #[test]
    fn truncated_frames_never_panic() {
        let full = frame(
            &[TAG],
            ethertype::MPLS,
            &Lse::new(3, 0, 5, true).0.to_be_bytes(),
        );
        for len in 0..full.len() {
            let mut f = full[..len].to_vec();
            let before = f.clone();
            assert!(pop(ethertype::IPV4, &mut f).is_err());
            assert!(set(Lse::default(), &mut f).is_err());
            assert_eq!(top(&f), None);
            assert_eq!(f, before);
            let _ = push(&mpls(Lse::default()), &mut f);
        }
        // An 802.3 length where the ethertype would be.
        let mut llc = frame(&[], 0x0040, &[0xaa; 8]);
        assert_eq!(push(&mpls(Lse::default()), &mut llc), Err(MplsError::Runt));
    }
}
