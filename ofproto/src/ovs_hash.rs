//! OVS's murmur-style hash steps (its `hash_add`, `hash_add64`,
//! `hash_finish` and `hash_int`), for the choices whose outcome users see
//! and compare with OVS: the order flooding visits ports and the bucket a
//! select group picks.

/// Mixes 32 bits of data into `hash`.
pub fn hash_add(hash: u32, data: u32) -> u32 {
    let data = data
        .wrapping_mul(0xcc9e_2d51)
        .rotate_left(15)
        .wrapping_mul(0x1b87_3593);
    (hash ^ data)
        .rotate_left(13)
        .wrapping_mul(5)
        .wrapping_add(0xe654_6b64)
}

/// Mixes 64 bits of data into `hash`, low half first.
pub fn hash_add64(hash: u32, data: u64) -> u32 {
    hash_add(hash_add(hash, data as u32), (data >> 32) as u32)
}

/// The final avalanche, with `len` (the bytes hashed) folded in.
pub fn hash_finish(hash: u32, len: u32) -> u32 {
    let mut h = hash ^ len;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

/// The hash of one 32-bit word with a basis.
pub fn hash_int(x: u32, basis: u32) -> u32 {
    hash_finish(hash_add(hash_add(x, 0), basis), 8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_murmur3_steps() {
        // MurmurHash3_x86_32 of the 4 bytes 00 00 00 00 with seed 0.
        assert_eq!(hash_finish(hash_add(0, 0), 4), 0x2362_f9de);
        assert_eq!(hash_add64(7, 0x1_0000_0002), hash_add(hash_add(7, 2), 1));
    }
}
