//! The `ct` action: the datapath's `ct(zone,commit,force,mark,label,
//! nat,helper)`, then, with `table=N`, `recirc(ID)` where ID names the
//! frozen continuation "resume at table N". The pipeline itself goes on
//! after `ct` as an untracked packet (ct fields cleared), with or without
//! `table=`, as OVS 3.1 does.

use std::net::IpAddr;

use conntrack::{Helper, Masked, NatAction, NatKind};
use datapath::action::{Ct as DpCt, CtCommit, Nat as DpNat};
use datapath::Action as DpAction;
use nxm_fields::flow::ones;
use nxm_fields::layout as l;
use nxm_fields::{field, FieldId, Subfield, Value};
use openflow_codec::action::ct::{flags, Ct, CtZone, ALG_FTP, ALG_TFTP, TABLE_NONE};
use openflow_codec::action::nat::{flags as nat_flags, Nat, NatAddrs};
use openflow_codec::action::{format_actions, Action};

use super::actions::subfield_is;
use super::commit::commit;
use super::field::read_subfield;
use super::trace::{NodeKind, Recirc};
use super::Ctx;

/// ct_mark and ct_label as `exec(...)` leaves them: the bits written and
/// their values.
#[derive(Default)]
struct Exec {
    mark: Option<Masked<u32>>,
    label: Option<Masked<u128>>,
    nat: Option<NatAction>,
}

impl Exec {
    /// Writes `value` under `mask` (bits of the field) into ct_mark or
    /// ct_label; other fields cannot be written inside `ct`.
    fn write(&mut self, id: FieldId, value: Value, mask: Value) {
        match id {
            FieldId::CtMark => {
                let old = self.mark.unwrap_or(Masked { value: 0, mask: 0 });
                let (value, mask) = (value as u32, mask as u32);
                self.mark = Some(Masked {
                    value: (old.value & !mask) | (value & mask),
                    mask: old.mask | mask,
                });
            }
            FieldId::CtLabel => {
                let old = self.label.unwrap_or(Masked { value: 0, mask: 0 });
                self.label = Some(Masked {
                    value: (old.value & !mask) | (value & mask),
                    mask: old.mask | mask,
                });
            }
            _ => {}
        }
    }

    fn write_subfield(&mut self, sf: &Subfield, value: Value) {
        let mask = ones(sf.n_bits as usize) << sf.ofs;
        self.write(sf.field, value << sf.ofs, mask);
    }
}

impl Ctx<'_> {
    pub(super) fn ct(&mut self, ct: &Ct) {
        commit(&self.flow, &mut self.base, &mut self.wc, &mut self.out);
        let zone = match ct.zone {
            CtZone::Imm(zone) => zone,
            CtZone::Field(sf) => read_subfield(&self.flow, &mut self.wc, &sf) as u16,
        };
        let mut exec = Exec::default();
        if ct.actions.is_empty() {
            self.note(NodeKind::Action, |_| "drop".into());
        }
        for action in &ct.actions {
            self.note(NodeKind::Action, |_| {
                format_actions(std::slice::from_ref(action))
            });
            match action {
                Action::SetField(s) => exec.write(s.field, s.value, field(s.field).exact_mask()),
                Action::RegLoad(r) => exec.write_subfield(&r.dst, Value::from(r.value)),
                Action::RegLoad2(r) => exec.write(
                    r.field,
                    r.value,
                    r.mask.unwrap_or(field(r.field).exact_mask()),
                ),
                Action::RegMove(m) => {
                    let value = read_subfield(&self.flow, &mut self.wc, &m.src);
                    exec.write_subfield(&m.dst, value);
                    self.note(NodeKind::Detail, |_| subfield_is(&m.dst, value));
                }
                Action::Nat(nat) => exec.nat = Some(nat_action(nat)),
                // The codec admits nothing else inside ct().
                _ => {}
            }
        }
        let commit_kind = if ct.flags & flags::FORCE != 0 {
            Some(CtCommit::Force)
        } else if ct.flags & flags::COMMIT != 0 {
            Some(CtCommit::Commit)
        } else {
            None
        };
        let dp_ct = DpCt {
            commit: commit_kind,
            zone,
            mark: exec.mark,
            label: exec.label,
            helper: match ct.alg {
                ALG_FTP => Some(Helper::Ftp),
                ALG_TFTP => Some(Helper::Tftp),
                _ => None,
            },
            nat: exec.nat.map(DpNat),
        };
        if ct.table != TABLE_NONE {
            let mut frozen = self.freeze(ct.table);
            frozen.conntracked = true;
            let id = self.env.recirc.id_for(frozen);
            if self.tracing() {
                self.note_recirc(ct, id, &dp_ct, &exec);
            }
            self.out.push(DpAction::Ct(dp_ct));
            self.out.push(DpAction::Recirc(id));
        } else {
            self.out.push(DpAction::Ct(dp_ct));
        }
        self.conntracked = false;
        self.clear_ct_fields();
        self.note(NodeKind::Detail, |_| {
            "Sets the packet to an untracked state, and clears all the conntrack fields.".into()
        });
    }

    /// A trace's note that `ct(table=N)` forks the packet, and the
    /// recirculation the trace follows: the flow as frozen, in the ct's
    /// zone, with the ct_mark and ct_label `exec` wrote.
    fn note_recirc(&mut self, ct: &Ct, id: u32, dp_ct: &DpCt, exec: &Exec) {
        let Some(t) = self.trace.as_deref_mut() else {
            return;
        };
        t.add(
            NodeKind::Detail,
            format!(
                "A clone of the packet is forked to recirculate. \
                 The forked pipeline will be resumed at table {}.",
                ct.table
            ),
        );
        let mut flow = self.flow.clone();
        flow.set(l::CT_ZONE, Value::from(dp_ct.zone));
        if let Some(m) = exec.mark {
            let old = flow.get(l::CT_MARK) as u32;
            flow.set(
                l::CT_MARK,
                Value::from((old & !m.mask) | (m.value & m.mask)),
            );
        }
        if let Some(m) = exec.label {
            let old = flow.get(l::CT_LABEL);
            flow.set(l::CT_LABEL, (old & !m.mask) | (m.value & m.mask));
        }
        let nat = ct.actions.iter().find_map(|a| match a {
            Action::Nat(n) => Some(*n),
            _ => None,
        });
        t.recircs.push(Recirc {
            id,
            flow,
            conntrack: true,
            nat,
            ct: Some(*dp_ct),
        });
    }
}

/// The codec's `nat(...)` as the connection tracker takes it.
pub fn nat_action(nat: &Nat) -> NatAction {
    let kind = if nat.flags & nat_flags::SRC != 0 {
        Some(NatKind::Src)
    } else if nat.flags & nat_flags::DST != 0 {
        Some(NatKind::Dst)
    } else {
        None
    };
    let (addr_min, addr_max) = match nat.addrs {
        Some(NatAddrs::V4 { min, max }) => (
            Some(IpAddr::V4(min)),
            Some(IpAddr::V4(max)).filter(|a| !a.is_unspecified()),
        ),
        Some(NatAddrs::V6 { min, max }) => (
            Some(IpAddr::V6(min)),
            Some(IpAddr::V6(max)).filter(|a| !a.is_unspecified()),
        ),
        None => (None, None),
    };
    NatAction {
        kind,
        addr_min,
        addr_max,
        port_min: Some(nat.proto_min).filter(|p| *p != 0),
        port_max: Some(nat.proto_max).filter(|p| *p != 0),
        persistent: nat.flags & nat_flags::PERSISTENT != 0,
        random: nat.flags & nat_flags::PROTO_RANDOM != 0,
    }
}
