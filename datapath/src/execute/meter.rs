//! What a meter's `dscp_remark` band does to a packet over its rate:
//! it raises the drop precedence of the packet's DSCP (OpenFlow 1.3,
//! `OFPMBT_DSCP_REMARK`: "increase the drop precedence of the DSCP
//! field").
//!
//! Only the Assured Forwarding codepoints (RFC 2597: class 1 to 4 in the
//! top three bits, drop precedence 1 to 3 in the next two, last bit 0)
//! have a drop precedence; the band adds `prec_level` to it, up to the
//! highest (3), so that the result is again an AF codepoint of the same
//! class. Other codepoints (best effort, class selectors, EF) have no
//! drop precedence to raise and are left as they are, as is a packet
//! without an IP header. The rewrite goes through `set`, which keeps the
//! IPv4 header checksum right (IPv6 has none; no transport checksum
//! covers the DSCP).

use conntrack::wire::{ipv4, ipv6};
use conntrack::{Masked, L3};

use super::layers::Layers;
use super::set::{self, SetError};
use crate::action::{Ipv4Set, Ipv6Set, SetAction};

/// The DSCP is the top six bits of the IPv4 TOS and IPv6 traffic class.
const DSCP_SHIFT: u8 = 2;
const DSCP_MASK: u8 = 0xfc;
/// The highest AF drop precedence.
const MAX_DROP_PRECEDENCE: u8 = 3;

/// The AF codepoint `dscp` with its drop precedence raised by
/// `prec_level` (at most to 3); `None` for a codepoint that is not AF.
pub(crate) fn raised_dscp(dscp: u8, prec_level: u8) -> Option<u8> {
    let class = dscp >> 3;
    let precedence = (dscp >> 1) & 3;
    let af = (1..=4).contains(&class) && precedence != 0 && dscp & 1 == 0;
    af.then(|| {
        let raised = precedence
            .saturating_add(prec_level)
            .min(MAX_DROP_PRECEDENCE);
        (class << 3) | (raised << 1)
    })
}

/// Raises the drop precedence of the DSCP of the frame in `data` by
/// `prec_level`; a frame without an IPv4 or IPv6 header is
/// [`SetError::NoSuchHeader`], a DSCP without a drop precedence stays.
pub(crate) fn remark_dscp(data: &mut [u8], prec_level: u8) -> Result<(), SetError> {
    let layers = Layers::of(data).ok_or(SetError::NoSuchHeader)?;
    let l3 = data.get(layers.l3_at..).ok_or(SetError::NoSuchHeader)?;
    let tos = match layers.l3 {
        L3::Ipv4 => ipv4::Packet::new_checked(l3)
            .map_err(|_| SetError::NoSuchHeader)?
            .dscp_ecn(),
        L3::Ipv6 => ipv6::Packet::new_checked(l3)
            .map_err(|_| SetError::NoSuchHeader)?
            .traffic_class(),
    };
    let Some(dscp) = raised_dscp(tos >> DSCP_SHIFT, prec_level) else {
        return Ok(());
    };
    let tos = Masked {
        value: dscp << DSCP_SHIFT,
        mask: DSCP_MASK,
    };
    let action = match layers.l3 {
        L3::Ipv4 => SetAction::Ipv4(Ipv4Set {
            src: Masked { value: 0, mask: 0 },
            dst: Masked { value: 0, mask: 0 },
            tos,
            ttl: Masked { value: 0, mask: 0 },
        }),
        L3::Ipv6 => SetAction::Ipv6(Ipv6Set {
            src: Masked { value: 0, mask: 0 },
            dst: Masked { value: 0, mask: 0 },
            label: Masked { value: 0, mask: 0 },
            tclass: tos,
            hlimit: Masked { value: 0, mask: 0 },
        }),
    };
    set::apply(&action, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ethernet + IPv4 (TOS `tos`) + UDP 1234 → 53 with its checksum.
    fn ipv4_frame(tos: u8) -> Vec<u8> {
        let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
        let mut ip = vec![
            0x45, tos, 0, 30, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        ipv4::Packet::new_unchecked(&mut ip[..]).fill_checksum();
        f.extend_from_slice(&ip);
        f.extend_from_slice(&[0x04, 0xd2, 0, 53, 0, 10, 0, 0, 0xab, 0xcd]);
        f
    }

    /// Ethernet + IPv6 (traffic class `tclass`, flow label 0x12345) +
    /// 2 bytes of UDP-less payload (next header 59, no next header).
    fn ipv6_frame(tclass: u8) -> Vec<u8> {
        let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd];
        let word = (6u32 << 28) | (u32::from(tclass) << 20) | 0x12345;
        f.extend_from_slice(&word.to_be_bytes());
        f.extend_from_slice(&[0, 2, 59, 64]);
        f.extend_from_slice(&[0xfe, 0x80].repeat(16));
        f.extend_from_slice(&[7, 7]);
        f
    }

    #[test]
    fn af_drop_precedence_rises_to_at_most_high() {
        // AF21 (18) → AF22 (20) → AF23 (22), which stays.
        assert_eq!(raised_dscp(18, 1), Some(20));
        assert_eq!(raised_dscp(20, 1), Some(22));
        assert_eq!(raised_dscp(22, 1), Some(22));
        assert_eq!(raised_dscp(10, 2), Some(14));
        assert_eq!(raised_dscp(34, 7), Some(38));
        assert_eq!(raised_dscp(34, 0), Some(34));
        // Best effort, CS1, EF, CS6 and an odd codepoint have none.
        for dscp in [0, 8, 46, 48, 19] {
            assert_eq!(raised_dscp(dscp, 1), None, "{dscp}");
        }
    }

    #[test]
    fn an_ipv4_af_codepoint_is_remarked_with_its_checksum_and_ecn_kept() {
        // DSCP 18, ECN 1.
        let mut frame = ipv4_frame(72 | 1);
        assert_eq!(remark_dscp(&mut frame, 1), Ok(()));
        let ip = ipv4::Packet::new_checked(&frame[14..]).unwrap();
        assert_eq!(ip.dscp_ecn(), (20 << 2) | 1);
        let mut copy = frame[14..34].to_vec();
        ipv4::Packet::new_unchecked(&mut copy[..]).fill_checksum();
        assert_eq!(copy, frame[14..34]);
    }

    #[test]
    fn an_ipv6_af_codepoint_is_remarked_and_the_flow_label_kept() {
        let mut frame = ipv6_frame(72 | 2);
        assert_eq!(remark_dscp(&mut frame, 2), Ok(()));
        let ip = ipv6::Packet::new_checked(&frame[14..]).unwrap();
        assert_eq!(ip.traffic_class(), (22 << 2) | 2);
        assert_eq!(
            frame[14..18],
            ((6u32 << 28) | (90 << 20) | 0x12345).to_be_bytes()
        );
    }

    #[test]
    fn other_codepoints_and_non_ip_frames_stay_as_they_are() {
        let mut frame = ipv4_frame(46 << 2);
        let before = frame.clone();
        assert_eq!(remark_dscp(&mut frame, 1), Ok(()));
        assert_eq!(frame, before);
        let mut arp = vec![0xff; 12];
        arp.extend_from_slice(&[0x08, 0x06]);
        arp.extend_from_slice(&[0; 28]);
        assert_eq!(remark_dscp(&mut arp, 1), Err(SetError::NoSuchHeader));
    }
}
