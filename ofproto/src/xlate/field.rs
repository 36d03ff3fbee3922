//! Reading and writing fields and subfields of the translated flow
//! through the registry's views, recording in the megaflow mask every
//! bit that was read or written (what OVS's `mf_*` calls do with `wc`).

use nxm_fields::flow::ones;
use nxm_fields::registry::Transform;
use nxm_fields::{port, FieldDef, Flow, Subfield, Value};

/// The slot bits a field's `mask` (in field units) covers.
fn slot_bits(def: &FieldDef, mask: Value) -> Value {
    let view = def.view;
    if mask == def.exact_mask() {
        view.mask
    } else {
        (mask << view.shift) & view.mask
    }
}

/// Adds the slot bits of `def` under `mask` to `wc`.
pub fn unwildcard(wc: &mut Flow, def: &FieldDef, mask: Value) {
    let slot = def.view.slot;
    wc.set(slot, wc.get(slot) | slot_bits(def, mask));
}

/// The field's value in its own units, unwildcarding it.
pub fn read(flow: &Flow, wc: &mut Flow, def: &FieldDef) -> Value {
    unwildcard(wc, def, def.exact_mask());
    let view = def.view;
    let value = (flow.get(view.slot) & view.mask) >> view.shift;
    match view.transform {
        Transform::None => value,
        Transform::Ofp10Port => Value::from(port::to_ofp10(value as u32)),
    }
}

/// Writes `value` under `mask` (field units) into the field, unwildcarding
/// the written bits.
pub fn write(flow: &mut Flow, wc: &mut Flow, def: &FieldDef, value: Value, mask: Value) {
    let view = def.view;
    let value = match view.transform {
        Transform::None => value,
        Transform::Ofp10Port => Value::from(port::from_ofp10(value as u16)),
    };
    let bits = slot_bits(def, mask) | view.implied;
    let new = ((value << view.shift) & view.mask) | view.implied;
    let old = flow.get(view.slot);
    flow.set(view.slot, (old & !bits) | (new & bits));
    wc.set(view.slot, wc.get(view.slot) | bits);
}

/// The subfield's bits, unwildcarding them.
pub fn read_subfield(flow: &Flow, wc: &mut Flow, sf: &Subfield) -> Value {
    let def = sf.def();
    let mask = ones(sf.n_bits as usize) << sf.ofs;
    unwildcard(wc, def, mask);
    let view = def.view;
    let value = (flow.get(view.slot) & view.mask) >> view.shift;
    let value = match view.transform {
        Transform::None => value,
        Transform::Ofp10Port => Value::from(port::to_ofp10(value as u32)),
    };
    (value >> sf.ofs) & ones(sf.n_bits as usize)
}

/// Writes the low bits of `value` into the subfield.
pub fn write_subfield(flow: &mut Flow, wc: &mut Flow, sf: &Subfield, value: Value) {
    let mask = ones(sf.n_bits as usize) << sf.ofs;
    write(flow, wc, sf.def(), value << sf.ofs, mask);
}

#[cfg(test)]
mod tests {
    use super::*;
    use nxm_fields::layout as l;
    use nxm_fields::{field, FieldId};

    #[test]
    fn subfields_read_and_write_their_bits_only() {
        let (mut flow, mut wc) = (Flow::zero(), Flow::zero());
        let sf = Subfield {
            field: FieldId::Reg0,
            ofs: 8,
            n_bits: 8,
        };
        write_subfield(&mut flow, &mut wc, &sf, 0xab);
        assert_eq!(flow.get(l::reg(0)), 0xab00);
        assert_eq!(wc.get(l::reg(0)), 0xff00);
        let mut wc2 = Flow::zero();
        assert_eq!(read_subfield(&flow, &mut wc2, &sf), 0xab);
        assert_eq!(wc2.get(l::reg(0)), 0xff00);
    }

    #[test]
    fn dscp_writes_the_high_tos_bits() {
        let (mut flow, mut wc) = (Flow::zero(), Flow::zero());
        flow.set(l::NW_TOS, 0x03);
        write(&mut flow, &mut wc, field(FieldId::IpDscp), 8, 0xff);
        assert_eq!(flow.get(l::NW_TOS), 0x23);
        assert_eq!(wc.get(l::NW_TOS), 0xfc);
    }
}
