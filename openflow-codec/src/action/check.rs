//! Match-dependent action checks (OVS's `ofpacts_check()`): what a flow's
//! match must say for its actions to make sense. Like OVS, the checks walk
//! the actions in order over a copy of the match, which some actions change
//! (an Ethertype after `push_mpls`, a VLAN tag after `push_vlan`).
//!
//! Two outcomes besides success: a hard error (OVS returns an OFPERR and
//! ovs-ofctl prints `actions are invalid with specified match (ERR)`), and a
//! soft inconsistency (OVS's `inconsistent_match()`, which only OpenFlow 1.0
//! tolerates, so an OpenFlow 1.3 flow gets `no usable protocol`).

use nxm_fields::{layout, FieldDef, FieldId, Match, Prereq, Value};

use crate::error::{BadActionCode, OfpError};

use super::text::ParseError;

/// `ct_state` bits (OVS's CS_*).
pub(crate) mod ct_state {
    pub const INVALID: u128 = 0x10;
}

pub(crate) const ETH_TYPE_IP: u16 = 0x0800;
pub(crate) const ETH_TYPE_IPV6: u16 = 0x86dd;
pub(crate) const IPPROTO_TCP: u8 = 6;
pub(crate) const IPPROTO_UDP: u8 = 17;
pub(crate) const IPPROTO_SCTP: u8 = 132;
/// The CFI bit of a VLAN TCI, which OVS uses as "a VLAN header is present".
pub(crate) const VLAN_CFI: u16 = 0x1000;
/// `nw_frag` bit: a later fragment (no L4 header).
pub(crate) const NW_FRAG_LATER: u8 = 0x02;

/// State carried through the checks of one action list.
#[derive(Debug, Clone)]
pub struct CheckCx {
    /// The flow's match, as the actions so far have changed it.
    m: Match,
    /// The second VLAN TCI, which OVS tracks for `push_vlan`'s limit of two.
    inner_vlan: u16,
    /// Set by a soft inconsistency.
    pub inconsistent: bool,
}

impl CheckCx {
    pub fn new(m: &Match) -> Self {
        CheckCx {
            m: m.clone(),
            inner_vlan: 0,
            inconsistent: false,
        }
    }

    fn get(&self, slot: layout::Slot) -> Value {
        self.m.flow().get(slot)
    }

    fn set(&mut self, slot: layout::Slot, value: Value) {
        self.m.set_slot(slot, value);
    }

    pub fn dl_type(&self) -> u16 {
        self.get(layout::ETH_TYPE) as u16
    }

    pub fn nw_proto(&self) -> u8 {
        self.get(layout::NW_PROTO) as u8
    }

    pub fn is_ip_any(&self) -> bool {
        matches!(self.dl_type(), ETH_TYPE_IP | ETH_TYPE_IPV6)
    }

    pub fn is_mpls(&self) -> bool {
        Prereq::Mpls.is_met(&self.m)
    }

    pub fn is_nsh(&self) -> bool {
        Prereq::Nsh.is_met(&self.m)
    }

    pub fn is_ethernet(&self) -> bool {
        self.get(layout::PACKET_TYPE) == 0
    }

    pub fn is_later_fragment(&self) -> bool {
        self.get(layout::NW_FRAG) as u8 & NW_FRAG_LATER != 0
    }

    pub fn ct_state(&self) -> Value {
        self.get(layout::CT_STATE)
    }

    pub fn is_ct_valid(&self) -> bool {
        Prereq::Ct.is_met(&self.m)
    }

    pub fn vlan_tci(&self) -> u16 {
        self.get(layout::VLAN_TCI) as u16
    }

    pub fn has_vlan(&self) -> bool {
        self.vlan_tci() & VLAN_CFI != 0
    }

    pub fn set_vlan_tci(&mut self, tci: u16) {
        self.set(layout::VLAN_TCI, Value::from(tci));
    }

    /// OVS's `flow_push_vlan_uninit()` plus marking the new tag present.
    /// Fails with OFPBAC_BAD_TAG when two tags are already there.
    pub fn push_vlan(&mut self) -> Result<(), ParseError> {
        if self.inner_vlan & VLAN_CFI != 0 {
            return Err(ParseError::Inconsistent(OfpError::BadAction(
                BadActionCode::BadTag,
            )));
        }
        self.inner_vlan = self.vlan_tci();
        self.set_vlan_tci(VLAN_CFI);
        Ok(())
    }

    /// OVS's `flow_pop_vlan()`.
    pub fn pop_vlan(&mut self) {
        let inner = self.inner_vlan;
        self.inner_vlan = 0;
        self.set_vlan_tci(inner);
    }

    pub fn set_dl_type(&mut self, dl_type: u16) {
        self.set(layout::ETH_TYPE, Value::from(dl_type));
    }

    pub fn set_packet_type(&mut self, packet_type: u32) {
        self.set(layout::PACKET_TYPE, Value::from(packet_type));
    }

    pub fn set_nw_proto(&mut self, proto: u8) {
        self.set(layout::NW_PROTO, Value::from(proto));
    }

    /// OVS's `inconsistent_match()`.
    pub fn inconsistent(&mut self) {
        self.inconsistent = true;
    }

    /// Checks a nested list on a copy of the state, as OVS's nested
    /// `ofpacts_check()` restores what the list changed (but keeps its
    /// verdict on consistency).
    pub fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        let mut child = self.clone();
        let result = f(&mut child);
        self.inconsistent |= child.inconsistent;
        result
    }

    /// OVS's `check_SET_FIELD()`: the field's prerequisites must hold (and
    /// `vlan_vid` needs a VLAN header); a write to `vlan_tci` changes the
    /// VLAN state.
    pub fn check_set_field(
        &mut self,
        def: &FieldDef,
        value: Option<Value>,
    ) -> Result<(), ParseError> {
        if !self.m.prereqs_ok(def) || (def.id == FieldId::VlanVid && !self.has_vlan()) {
            return Err(match_inconsistent());
        }
        if let (FieldId::VlanTci, Some(tci)) = (def.id, value) {
            self.set_vlan_tci(tci as u16);
        }
        Ok(())
    }

    /// OVS's `mf_check_src()` against the match: the field's prerequisites
    /// must hold.
    pub fn check_subfield_prereqs(&self, def: &FieldDef) -> Result<(), ParseError> {
        if self.m.prereqs_ok(def) {
            Ok(())
        } else {
            Err(match_inconsistent())
        }
    }

    /// OVS's `mf_check_dst()`: as a source, and then the field must be
    /// writable (OFPBAC_BAD_SET_ARGUMENT).
    pub fn check_dst(&self, def: &FieldDef) -> Result<(), ParseError> {
        self.check_subfield_prereqs(def)?;
        if def.writable {
            Ok(())
        } else {
            Err(ParseError::Inconsistent(OfpError::BadAction(
                BadActionCode::BadSetArgument,
            )))
        }
    }
}

/// OVS's OFPBAC_MATCH_INCONSISTENT as a parse error.
pub(crate) fn match_inconsistent() -> ParseError {
    ParseError::Inconsistent(OfpError::BadAction(BadActionCode::MatchInconsistent))
}
