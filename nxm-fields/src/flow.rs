//! [`Flow`]: every field's value for one packet (or one rule's values), as a
//! flat big-endian byte image laid out by [`crate::layout`].

use crate::layout::{Slot, FLOW_LEN};

/// A field value, as an unsigned big-endian integer of up to 128 bits.
///
/// Every field ctswitch matches on fits: Ethernet addresses are 48-bit
/// integers, IPv6 addresses 128-bit ones.
pub type Value = u128;

/// The values of every field. A `Flow` with all bits set is used as the
/// mask half of a [`Match`](crate::Match).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Flow {
    bytes: [u8; FLOW_LEN],
}

impl Default for Flow {
    fn default() -> Self {
        Self::zero()
    }
}

impl core::fmt::Debug for Flow {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Flow(")?;
        for b in self.bytes {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

/// Writes the low `N` bytes of `value`, big-endian, into `dst` (`N` long).
#[inline(always)]
fn put<const N: usize>(dst: &mut [u8], value: Value) {
    let bytes = value.to_be_bytes();
    if let (Ok(dst), Ok(src)) = (
        <&mut [u8; N]>::try_from(dst),
        <&[u8; N]>::try_from(&bytes[bytes.len() - N..]),
    ) {
        *dst = *src;
    }
}

/// [`put`] for a width known only at run time.
fn put_any(dst: &mut [u8], value: Value) {
    let bytes = value.to_be_bytes();
    dst.copy_from_slice(&bytes[bytes.len() - dst.len()..]);
}

/// Reads `src` (`N` long) as a big-endian integer.
#[inline(always)]
fn take<const N: usize>(src: &[u8]) -> Value {
    let mut bytes = [0u8; 16];
    if let (Ok(dst), Ok(src)) = (
        <&mut [u8; N]>::try_from(&mut bytes[16 - N..]),
        <&[u8; N]>::try_from(src),
    ) {
        *dst = *src;
    }
    Value::from_be_bytes(bytes)
}

/// [`take`] for a width known only at run time.
fn take_any(src: &[u8]) -> Value {
    src.iter().fold(0, |acc, &b| (acc << 8) | Value::from(b))
}

/// 802.1Q's TPID: what a tag whose flow recorded none carries.
pub const TPID_8021Q: u16 = 0x8100;

impl Flow {
    /// The TPID of a VLAN tag (its slots from
    /// [`VLAN_TAGS`](crate::layout::VLAN_TAGS)): the recorded one, or
    /// 802.1Q's for a flow that did not record it (a traced flow).
    pub fn vlan_tpid(&self, (_, tpid): (Slot, Slot)) -> u16 {
        match self.get(tpid) as u16 {
            0 => TPID_8021Q,
            tpid => tpid,
        }
    }

    /// Records 802.1Q's TPID for each present tag (CFI set) that has
    /// none, as OVS does for a flow parsed from text.
    pub fn fix_vlan_tpids(&mut self) {
        for tag in crate::layout::VLAN_TAGS {
            if self.get(tag.0) & crate::registry::VLAN_CFI != 0 {
                let tpid = self.vlan_tpid(tag);
                self.set(tag.1, Value::from(tpid));
            }
        }
    }

    /// All fields zero.
    pub const fn zero() -> Self {
        Flow {
            bytes: [0; FLOW_LEN],
        }
    }

    /// All bits set: the mask of an exact match on everything.
    pub const fn all_ones() -> Self {
        Flow {
            bytes: [0xff; FLOW_LEN],
        }
    }

    /// The raw image.
    pub fn as_bytes(&self) -> &[u8; FLOW_LEN] {
        &self.bytes
    }

    /// Reads a slot as an integer; the common widths as one load each
    /// (see [`Flow::set`]).
    #[inline]
    pub fn get(&self, slot: Slot) -> Value {
        let src = &self.bytes[slot.range()];
        match slot.len {
            1 => take::<1>(src),
            2 => take::<2>(src),
            4 => take::<4>(src),
            6 => take::<6>(src),
            8 => take::<8>(src),
            16 => take::<16>(src),
            _ => take_any(src),
        }
    }

    /// Writes a slot; bits of `value` beyond the slot's width are dropped.
    ///
    /// The common widths are copied with a length known at compile time:
    /// a copy of a length known only at run time is a call to `memcpy`,
    /// and writing a packet's fields that way was a quarter of a packet
    /// thread's time.
    #[inline]
    pub fn set(&mut self, slot: Slot, value: Value) {
        let dst = &mut self.bytes[slot.range()];
        match slot.len {
            1 => put::<1>(dst, value),
            2 => put::<2>(dst, value),
            4 => put::<4>(dst, value),
            6 => put::<6>(dst, value),
            8 => put::<8>(dst, value),
            16 => put::<16>(dst, value),
            _ => put_any(dst, value),
        }
    }

    /// Whether every byte of the slot is zero.
    pub fn is_zero(&self, slot: Slot) -> bool {
        self.bytes[slot.range()].iter().all(|&b| b == 0)
    }

    /// Bitwise AND with another image, in place.
    pub fn and_with(&mut self, other: &Flow) {
        for (a, b) in self.bytes.iter_mut().zip(other.bytes.iter()) {
            *a &= b;
        }
    }

    /// Bitwise OR with another image, in place.
    pub fn or_with(&mut self, other: &Flow) {
        for (a, b) in self.bytes.iter_mut().zip(other.bytes.iter()) {
            *a |= b;
        }
    }

    /// Whether no bit is set anywhere.
    pub fn is_all_zero(&self) -> bool {
        self.bytes.iter().all(|&b| b == 0)
    }
}

/// The all-ones integer of a slot's width.
pub fn slot_ones(slot: Slot) -> Value {
    ones(slot.len * 8)
}

/// The all-ones integer of `bits` bits.
pub const fn ones(bits: usize) -> Value {
    if bits >= 128 {
        Value::MAX
    } else {
        (1 << bits) - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout;

    #[test]
    fn get_returns_what_set_stored() {
        let mut f = Flow::zero();
        f.set(layout::ETH_SRC, 0x0102_0304_0506);
        f.set(layout::CT_LABEL, u128::MAX - 5);
        assert_eq!(f.get(layout::ETH_SRC), 0x0102_0304_0506);
        assert_eq!(f.get(layout::CT_LABEL), u128::MAX - 5);
        assert!(f.is_zero(layout::ETH_DST));
    }

    #[test]
    fn set_truncates_to_slot_width() {
        let mut f = Flow::zero();
        f.set(layout::NW_PROTO, 300);
        assert_eq!(f.get(layout::NW_PROTO), 44);
    }

    proptest::proptest! {
        /// Every width, the fixed ones and the others alike, stores the
        /// value's low bytes big-endian, touches nothing around them, and
        /// reads back what it stored.
        #[test]
        fn set_writes_exactly_its_slot(len in 1usize..=16, offset in 0usize..64, value: u128) {
            let slot = Slot { offset, len };
            let mut f = Flow::all_ones();
            f.set(slot, value);
            let bytes = value.to_be_bytes();
            proptest::prop_assert_eq!(&f.as_bytes()[slot.range()], &bytes[16 - len..]);
            proptest::prop_assert!(f.as_bytes()[..offset].iter().all(|&b| b == 0xff));
            proptest::prop_assert!(f.as_bytes()[offset + len..].iter().all(|&b| b == 0xff));
            let kept = if len == 16 { value } else { value & ((1u128 << (8 * len)) - 1) };
            proptest::prop_assert_eq!(f.get(slot), kept);
        }
    }

    #[test]
    fn registers_are_views_of_one_image() {
        let mut f = Flow::zero();
        f.set(layout::reg(0), 0x1111_1111);
        f.set(layout::reg(1), 0x2222_2222);
        assert_eq!(f.get(layout::xreg(0)), 0x1111_1111_2222_2222);
    }
}
