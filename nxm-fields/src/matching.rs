//! [`Match`]: a flow and a mask, and how fields are written into and read
//! out of it through their views.

use crate::flow::{slot_ones, Flow, Value};
use crate::layout::Slot;
use crate::port;
use crate::registry::{FieldDef, Transform};
use crate::tun_metadata::TunMetadata;

/// The packet type of an Ethernet frame: namespace 0, type 0.
pub const PT_ETH: Value = 0;

/// Values and mask of a rule: a packet matches when its flow equals
/// `flow` on every bit set in `mask`. Invariant: `flow` is zero wherever
/// `mask` is, so two matches that match the same packets are equal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Match {
    flow: Flow,
    mask: Flow,
    /// Tunnel options, the variable-width fields kept out of line.
    pub(crate) tun_md: TunMetadata,
}

impl Match {
    /// The match that matches every packet.
    pub fn catch_all() -> Self {
        Match::default()
    }

    pub fn flow(&self) -> &Flow {
        &self.flow
    }

    pub fn mask(&self) -> &Flow {
        &self.mask
    }

    /// The match of `flow`'s bits under `mask` (a megaflow as a match).
    pub fn masked(flow: &Flow, mask: &Flow) -> Self {
        let mut flow = flow.clone();
        flow.and_with(mask);
        Match {
            flow,
            mask: mask.clone(),
            tun_md: TunMetadata::default(),
        }
    }

    /// Whether the match constrains nothing.
    pub fn is_catch_all(&self) -> bool {
        self.mask.is_all_zero() && self.tun_md.is_empty()
    }

    /// Whether a packet with flow `packet` matches.
    pub fn matches(&self, packet: &Flow) -> bool {
        // Packets carry no tunnel options yet, so a rule that asks for one
        // matches none.
        if !self.tun_md.is_empty() {
            return false;
        }
        let mut masked = packet.clone();
        masked.and_with(&self.mask);
        masked == self.flow
    }

    /// Whether some packet matches both `self` and `other`: wherever both
    /// masks look, they want the same bits.
    pub fn overlaps(&self, other: &Match) -> bool {
        let (a, b) = (self.flow.as_bytes(), other.flow.as_bytes());
        let (am, bm) = (self.mask.as_bytes(), other.mask.as_bytes());
        (0..a.len()).all(|i| (a[i] ^ b[i]) & am[i] & bm[i] == 0)
            && self.tun_md.overlaps(&other.tun_md)
    }

    /// Whether every packet `self` matches is also matched by `other`:
    /// `self` looks at least at `other`'s bits and agrees with it there.
    /// (OpenFlow's "non-strict" match of a rule by a flow-mod.)
    pub fn is_within(&self, other: &Match) -> bool {
        let (a, b) = (self.flow.as_bytes(), other.flow.as_bytes());
        let (am, bm) = (self.mask.as_bytes(), other.mask.as_bytes());
        (0..a.len()).all(|i| bm[i] & !am[i] == 0 && (a[i] ^ b[i]) & bm[i] == 0)
            && self.tun_md.is_within(&other.tun_md)
    }

    /// Value and mask of a whole slot.
    pub fn slot(&self, slot: Slot) -> (Value, Value) {
        (self.flow.get(slot), self.mask.get(slot))
    }

    /// Replaces the bits `bits` of a slot with `value`/`mask`.
    pub fn set_slot_bits(&mut self, slot: Slot, bits: Value, value: Value, mask: Value) {
        let new_mask = (self.mask.get(slot) & !bits) | (mask & bits);
        let new_value = ((self.flow.get(slot) & !bits) | (value & bits)) & new_mask;
        self.mask.set(slot, new_mask);
        self.flow.set(slot, new_value);
    }

    /// Sets a whole slot exactly.
    pub fn set_slot(&mut self, slot: Slot, value: Value) {
        self.set_slot_bits(slot, slot_ones(slot), value, slot_ones(slot));
    }

    /// Writes `value` under `mask` (both in the field's own units) into the
    /// field, replacing whatever the match said about those bits before.
    pub fn set_field(&mut self, field: &FieldDef, value: Value, mask: Value) {
        // A zero mask still means "any value".
        let (value, mask) = if field.mask_is_value && mask != 0 {
            (value & mask, value)
        } else {
            (value, mask)
        };
        let view = field.view;
        let (value, mask) = match view.transform {
            Transform::None => (value, mask),
            Transform::Ofp10Port => (Value::from(port::from_ofp10(value as u16)), mask),
        };
        // Exact on the field means exact on all the storage it views (an
        // 8-bit ICMP type owns the whole 16-bit transport port slot).
        let field_mask = if mask == field.exact_mask() {
            view.mask
        } else {
            (mask << view.shift) & view.mask
        };
        // A field matched with a zero mask says nothing, not even what it
        // implies (`dl_vlan=1/0` does not ask for a VLAN header).
        let implied = if field_mask == 0 { 0 } else { view.implied };
        let bits = view.mask | implied;
        let slot_mask = field_mask | implied;
        let slot_value = ((value << view.shift) & view.mask) | implied;
        self.set_slot_bits(view.slot, bits, slot_value, slot_mask);
    }

    /// Matches the subfield's bits exactly on the low bits of `value`,
    /// leaving what the match says about the field's other bits alone.
    pub fn set_subfield(&mut self, sf: &crate::Subfield, value: Value) {
        let def = sf.def();
        let bits = crate::flow::ones(sf.n_bits as usize) << sf.ofs;
        let (old_value, old_mask) = self.field(def);
        self.set_field(
            def,
            (old_value & !bits) | ((value << sf.ofs) & bits),
            old_mask | bits,
        );
    }

    /// Reads the field's value and mask, in the field's own units.
    pub fn field(&self, field: &FieldDef) -> (Value, Value) {
        let view = field.view;
        let value = (self.flow.get(view.slot) & view.mask) >> view.shift;
        let mask = (self.mask.get(view.slot) & view.mask) >> view.shift;
        let mask = if mask == view.mask >> view.shift {
            field.exact_mask()
        } else {
            mask
        };
        match view.transform {
            Transform::None => (value, mask),
            Transform::Ofp10Port => (Value::from(port::to_ofp10(value as u32)), mask),
        }
    }

    /// Whether the match says anything about the field's own bits.
    pub fn is_field_set(&self, field: &FieldDef) -> bool {
        self.mask.get(field.view.slot) & field.view.mask != 0
    }

    /// Matches the default packet type, Ethernet (OVS's `PT_ETH`).
    pub fn set_default_packet_type(&mut self) {
        self.set_slot(crate::layout::PACKET_TYPE, PT_ETH);
    }

    /// Whether the match says "Ethernet" and nothing else about the type.
    pub fn has_default_packet_type(&self) -> bool {
        self.slot(crate::layout::PACKET_TYPE) == (PT_ETH, 0xffff_ffff)
    }

    /// Forgets everything the match says outside the `kept` storage bits.
    pub(crate) fn keep_only(&mut self, kept: &Flow) {
        self.flow.and_with(kept);
        self.mask.and_with(kept);
    }

    /// Whether the match satisfies the field's prerequisites.
    pub fn prereqs_ok(&self, field: &FieldDef) -> bool {
        field.prereq.is_met(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout;
    use crate::registry::{field, FieldId};

    #[test]
    fn dscp_is_a_shifted_view_of_tos() {
        let mut m = Match::catch_all();
        m.set_field(field(FieldId::IpDscp), 8, 0xff);
        assert_eq!(m.slot(layout::NW_TOS), (32, 0xfc));
        // Every bit nw_tos views is matched, so it reads back as exact.
        assert_eq!(m.field(field(FieldId::IpTos)), (32, 0xff));
    }

    #[test]
    fn vlan_pcp_implies_a_vlan_header() {
        let mut m = Match::catch_all();
        m.set_field(field(FieldId::VlanPcp), 3, 0xff);
        assert_eq!(m.slot(layout::VLAN_TCI), (0x7000, 0xf000));
    }

    #[test]
    fn gtpu_and_erspan_fields_take_their_value_as_mask() {
        let flags = field(FieldId::TunGtpuFlags);
        let mut m = Match::catch_all();
        m.set_field(flags, 0x35, 0x0f);
        assert_eq!(m.field(flags), (0x05, 0x35));
        m.set_field(flags, 0, 0xff);
        assert!(!m.is_field_set(flags));
        m.set_field(flags, 0xff, 0);
        assert!(!m.is_field_set(flags));
        let reg = field(FieldId::Reg0);
        m.set_field(reg, 0x35, 0x0f);
        assert_eq!(m.field(reg), (0x05, 0x0f));
    }

    #[test]
    fn values_outside_the_mask_are_dropped() {
        let mut m = Match::catch_all();
        m.set_field(field(FieldId::Reg0), 0xff, 0x0f);
        assert_eq!(m.field(field(FieldId::Reg0)), (0x0f, 0x0f));
    }

    #[test]
    fn in_port_reads_back_in_ofp10_numbering() {
        let mut m = Match::catch_all();
        m.set_field(field(FieldId::InPort), 0xfffe, 0xffff);
        assert_eq!(m.slot(layout::IN_PORT), (0xffff_fffe, 0xffff_ffff));
        assert_eq!(m.field(field(FieldId::InPort)), (0xfffe, 0xffff));
    }

    #[test]
    fn overlap_and_containment_follow_the_masks() {
        let tcp80 = {
            let mut m = Match::catch_all();
            m.apply_text("tcp", None).unwrap();
            m.apply_text("tp_dst", Some("80")).unwrap();
            m
        };
        let ip = {
            let mut m = Match::catch_all();
            m.apply_text("ip", None).unwrap();
            m
        };
        let udp = {
            let mut m = Match::catch_all();
            m.apply_text("udp", None).unwrap();
            m
        };
        assert!(tcp80.is_within(&ip));
        assert!(!ip.is_within(&tcp80));
        assert!(tcp80.is_within(&Match::catch_all()));
        assert!(tcp80.overlaps(&ip) && ip.overlaps(&udp));
        assert!(!tcp80.overlaps(&udp));
    }

    #[test]
    fn matches_compares_only_masked_bits() {
        let mut m = Match::catch_all();
        m.set_field(field(FieldId::TcpDst), 80, 0xffff);
        let mut pkt = Flow::zero();
        pkt.set(layout::TP_DST, 80);
        pkt.set(layout::TP_SRC, 1234);
        assert!(m.matches(&pkt));
        pkt.set(layout::TP_DST, 81);
        assert!(!m.matches(&pkt));
    }
}
