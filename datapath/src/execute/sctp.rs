//! SCTP port rewrites: the common header's ports (RFC 4960 section 3.1)
//! under a mask, with its CRC32c checksum (RFC 4960 appendix B) carried
//! over.
//!
//! The checksum is not simply recomputed: as OVS 3.1 does, the new value
//! is the old one XORed with the difference the rewrite makes to the
//! correct checksum. CRC32c is affine in the message, so a packet whose
//! checksum was right stays right, and one whose checksum was wrong stays
//! wrong by the same bits (a switch must not make a corrupt packet look
//! valid).

use super::set::{masked, SetError};
use crate::action::PortsSet;

/// The common header: source port, destination port, verification tag,
/// checksum.
const HEADER_LEN: usize = 12;
const DST_AT: usize = 2;
const CHECKSUM_AT: usize = 8;

/// Rewrites the ports of the SCTP packet `sctp` (from its common header
/// to the end of the IP payload) and fixes its checksum.
pub(super) fn set_ports(set: &PortsSet, sctp: &mut [u8]) -> Result<(), SetError> {
    if sctp.len() < HEADER_LEN {
        return Err(SetError::NoSuchHeader);
    }
    let port_at = |sctp: &[u8], at: usize| u16::from_be_bytes([sctp[at], sctp[at + 1]]);
    let (old_src, old_dst) = (port_at(sctp, 0), port_at(sctp, DST_AT));
    let (src, dst) = (masked(set.src, old_src), masked(set.dst, old_dst));
    if (src, dst) == (old_src, old_dst) {
        // The checksum's difference would be zero.
        return Ok(());
    }
    let checksum = &mut sctp[CHECKSUM_AT..HEADER_LEN];
    // The checksum travels least significant byte first.
    let old = u32::from_le_bytes([checksum[0], checksum[1], checksum[2], checksum[3]]);
    checksum.fill(0);
    let old_correct = crc32c::crc32c(sctp);
    sctp[..DST_AT].copy_from_slice(&src.to_be_bytes());
    sctp[DST_AT..DST_AT + 2].copy_from_slice(&dst.to_be_bytes());
    let new_correct = crc32c::crc32c(sctp);
    sctp[CHECKSUM_AT..HEADER_LEN].copy_from_slice(&(old ^ old_correct ^ new_correct).to_le_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use conntrack::Masked;

    use super::*;

    /// The checksum `sctp` should carry.
    fn correct(sctp: &[u8]) -> [u8; 4] {
        let mut zeroed = sctp.to_vec();
        zeroed[CHECKSUM_AT..HEADER_LEN].fill(0);
        crc32c::crc32c(&zeroed).to_le_bytes()
    }

    /// An SCTP INIT chunk from port 1000 to port 2000, checksum right.
    fn init_packet() -> Vec<u8> {
        let mut p = vec![0x03, 0xe8, 0x07, 0xd0, 0, 0, 0, 0, 0, 0, 0, 0];
        p.extend_from_slice(&[1, 0, 0, 20, 0x12, 0x34, 0x56, 0x78]);
        p.extend_from_slice(&[0, 0, 0xff, 0xff, 0, 10, 0, 10, 0xab, 0xcd, 0xef, 0x01]);
        let sum = correct(&p);
        p[CHECKSUM_AT..HEADER_LEN].copy_from_slice(&sum);
        p
    }

    fn ports(src: Masked<u16>, dst: Masked<u16>) -> PortsSet {
        PortsSet { src, dst }
    }

    // RFC 3720 appendix B.4: 32 zero bytes have CRC32c 0x8a9136aa, which
    // goes on the wire as aa 36 91 8a.
    #[test]
    fn the_crate_computes_crc32c_as_the_rfcs_define_it() {
        assert_eq!(crc32c::crc32c(&[0u8; 32]), 0x8a91_36aa);
    }

    #[test]
    fn a_rewrite_keeps_a_right_checksum_right() {
        let mut p = init_packet();
        let set = ports(
            Masked {
                value: 5000,
                mask: 0xffff,
            },
            Masked {
                value: 0x1200,
                mask: 0xff00,
            },
        );
        assert_eq!(set_ports(&set, &mut p), Ok(()));
        assert_eq!(p[..4], [0x13, 0x88, 0x12, 0xd0]);
        assert_eq!(p[CHECKSUM_AT..HEADER_LEN], correct(&p));
    }

    // As OVS 3.1's packet_set_sctp_port: the error a checksum carried
    // before the rewrite is carried after it.
    #[test]
    fn a_wrong_checksum_stays_wrong_by_the_same_bits() {
        let mut p = init_packet();
        p[CHECKSUM_AT] ^= 0x5a;
        let set = ports(
            Masked {
                value: 9,
                mask: 0xffff,
            },
            Masked { value: 0, mask: 0 },
        );
        assert_eq!(set_ports(&set, &mut p), Ok(()));
        let right = correct(&p);
        assert_eq!(p[CHECKSUM_AT], right[0] ^ 0x5a);
        assert_eq!(p[CHECKSUM_AT + 1..HEADER_LEN], right[1..]);
    }

    #[test]
    fn an_unchanged_port_or_a_short_packet_changes_nothing() {
        let mut p = init_packet();
        let before = p.clone();
        let same = ports(
            Masked {
                value: 1000,
                mask: 0xffff,
            },
            Masked { value: 0, mask: 0 },
        );
        assert_eq!(set_ports(&same, &mut p), Ok(()));
        assert_eq!(p, before);
        let mut short = before[..HEADER_LEN - 1].to_vec();
        assert_eq!(set_ports(&same, &mut short), Err(SetError::NoSuchHeader));
    }
}
