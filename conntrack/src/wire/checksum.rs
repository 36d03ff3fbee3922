//! The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
//!
//! Sums are kept as unfolded `u32` accumulators so that a header, a
//! pseudo-header and a payload can be summed separately and combined;
//! `fold` turns an accumulator into the 16-bit ones'-complement sum.

/// Adds `data` to a running ones'-complement accumulator.
pub fn accumulate(acc: u32, data: &[u8]) -> u32 {
    // Sum 64-bit words as two 32-bit halves into a 64-bit accumulator:
    // the carries pile up in the high half and are folded back at the end.
    let mut wide = u64::from(acc);
    let mut words = data.chunks_exact(8);
    for word in &mut words {
        let w = u64::from_be_bytes(<[u8; 8]>::try_from(word).unwrap_or_default());
        wide += (w >> 32) + (w & 0xffff_ffff);
    }
    // At most seven bytes are left: a 32-bit word, a 16-bit one, a byte.
    let mut rest = words.remainder();
    if let Some((word, tail)) = rest.split_first_chunk::<4>() {
        wide += u64::from(u32::from_be_bytes(*word));
        rest = tail;
    }
    if let Some((pair, tail)) = rest.split_first_chunk::<2>() {
        wide += u64::from(u16::from_be_bytes(*pair));
        rest = tail;
    }
    if let [last] = rest {
        wide += u64::from(*last) << 8;
    }
    fold64(wide)
}

/// Folds a 64-bit sum into a 32-bit accumulator, carries included.
fn fold64(wide: u64) -> u32 {
    let folded = (wide & 0xffff_ffff) + (wide >> 32);
    ((folded & 0xffff_ffff) + (folded >> 32)) as u32
}

/// Folds an accumulator into a 16-bit ones'-complement sum. Two folds
/// always do, without a loop: the first leaves at most 0x1fffe, the
/// second at most 0xffff.
pub fn fold(acc: u32) -> u16 {
    let acc = (acc & 0xffff) + (acc >> 16);
    ((acc & 0xffff) + (acc >> 16)) as u16
}

/// The checksum field value for `data`: the complement of its sum.
pub fn checksum(data: &[u8]) -> u16 {
    !fold(accumulate(0, data))
}

/// The accumulator of the TCP/UDP/ICMPv6 pseudo-header; `src` and `dst`
/// are the 4- or 16-byte addresses of the enclosing IP header.
pub fn pseudo_header(src: &[u8], dst: &[u8], protocol: u8, length: u32) -> u32 {
    // Summed as 32-bit words: 2^16 is 1 in ones'-complement arithmetic,
    // so a word adds the same as its two halves once folded.
    let mut wide = u64::from(protocol) + u64::from(length);
    for word in src.chunks_exact(4).chain(dst.chunks_exact(4)) {
        wide += u64::from(u32::from_be_bytes(
            <[u8; 4]>::try_from(word).unwrap_or_default(),
        ));
    }
    fold64(wide)
}

/// Whether `data` (with its checksum field in place) sums to all ones on top
/// of the accumulator `acc`, i.e. whether the checksum is correct.
pub fn verify(acc: u32, data: &[u8]) -> bool {
    fold(accumulate(acc, data)) == 0xffff
}

/// The new checksum field after one 16-bit word of the covered data changes
/// from `old` to `new` (RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m')).
pub fn update_u16(check: u16, old: u16, new: u16) -> u16 {
    let acc = u32::from(!check) + u32::from(!old) + u32::from(new);
    !fold(acc)
}

/// The new checksum field after a 32-bit value (an IPv4 address, a TCP
/// sequence number) of the covered data changes from `old` to `new`.
pub fn update_u32(check: u16, old: u32, new: u32) -> u16 {
    let check = update_u16(check, (old >> 16) as u16, (new >> 16) as u16);
    update_u16(check, old as u16, new as u16)
}

/// The new checksum field after a byte string of the covered data (an IPv6
/// address) changes from `old` to `new`; both must have the same even length.
pub fn update_bytes(check: u16, old: &[u8], new: &[u8]) -> u16 {
    let mut acc = u32::from(!check);
    for (o, n) in old.chunks_exact(2).zip(new.chunks_exact(2)) {
        acc += u32::from(!u16::from_be_bytes([o[0], o[1]]));
        acc += u32::from(u16::from_be_bytes([n[0], n[1]]));
        acc = u32::from(fold(acc));
    }
    !fold(acc)
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 1071's worked example: the sum of these words is 0xddf2.
    const RFC1071: [u8; 8] = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];

    #[test]
    fn sum_matches_rfc1071_example() {
        assert_eq!(fold(accumulate(0, &RFC1071)), 0xddf2);
        assert_eq!(checksum(&RFC1071), !0xddf2);
    }

    #[test]
    fn folds_carry_twice_at_most() {
        assert_eq!(fold(0xffff_ffff), 0xffff);
        assert_eq!(fold(0x0001_fffe), 0xffff);
        assert_eq!(fold(0x0001_0000), 0x0001);
        assert_eq!(fold(0x1234), 0x1234);
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(fold(accumulate(0, &[0x12, 0x34, 0x56])), 0x1234 + 0x5600);
    }

    #[test]
    fn incremental_update_equals_recomputation() {
        let mut data = [
            0x45u8, 0, 0, 0x54, 0x12, 0x34, 0x40, 0, 0x40, 0x01, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        let check = checksum(&data);
        let old = u32::from_be_bytes([10, 0, 0, 1]);
        let new = u32::from_be_bytes([192, 168, 7, 9]);
        data[12..16].copy_from_slice(&new.to_be_bytes());
        assert_eq!(update_u32(check, old, new), checksum(&data));
        let old6 = [0x20, 0x01, 0x0d, 0xb8];
        let new6 = [0xfe, 0x80, 0x00, 0x01];
        let mut v6 = [0x20u8, 0x01, 0x0d, 0xb8, 0x11, 0x22];
        let check6 = checksum(&v6);
        v6[..4].copy_from_slice(&new6);
        assert_eq!(update_bytes(check6, &old6, &new6), checksum(&v6));
    }

    /// The ones'-complement sum of big-endian 16-bit words, one at a time.
    fn naive(data: &[u8]) -> u16 {
        let mut acc: u32 = 0;
        for pair in data.chunks(2) {
            let hi = u32::from(pair[0]) << 8;
            acc += hi | pair.get(1).map_or(0, |&b| u32::from(b));
            acc = (acc & 0xffff) + (acc >> 16);
        }
        fold(acc)
    }

    proptest::proptest! {
        #[test]
        fn word_sums_match_the_word_by_word_sum(data in proptest::collection::vec(proptest::num::u8::ANY, 0..80)) {
            proptest::prop_assert_eq!(fold(accumulate(0, &data)), naive(&data));
        }

        #[test]
        fn pseudo_header_matches_its_words(
            v6 in proptest::bool::ANY,
            addrs in proptest::collection::vec(proptest::num::u8::ANY, 32),
            protocol in proptest::num::u8::ANY,
            length in proptest::num::u32::ANY,
        ) {
            let n = if v6 { 16 } else { 4 };
            let (src, dst) = (&addrs[..n], &addrs[16..16 + n]);
            let mut words = [src, dst].concat();
            words.extend_from_slice(&[0, protocol]);
            words.extend_from_slice(&length.to_be_bytes());
            proptest::prop_assert_eq!(fold(pseudo_header(src, dst, protocol, length)), naive(&words));
        }
    }

    #[test]
    fn verify_accepts_a_correct_checksum_and_rejects_a_flipped_bit() {
        let mut data = RFC1071.to_vec();
        data.extend_from_slice(&checksum(&RFC1071).to_be_bytes());
        assert!(verify(0, &data));
        data[0] ^= 0x10;
        assert!(!verify(0, &data));
    }
}
