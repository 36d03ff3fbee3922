//! Datapath actions: what a megaflow does to the packets that hit it.
//!
//! One type per action family, each printed exactly as
//! `ovs-appctl dpctl/dump-flows` prints OVS's userspace datapath actions
//! (OVS 3.1's `format_odp_actions`), so that our datapath flow dumps read
//! like OVS's. An empty list prints as `drop`, as OVS prints it.

mod ct;
mod mpls;
mod set;
mod userspace;
mod vlan;

use core::fmt;

pub use ct::{Ct, CtCommit, Nat};
pub use mpls::{Lse, PushMpls};
pub use set::{ArpSet, EthSet, IcmpSet, Ipv4Set, Ipv6Set, PortsSet, SetAction};
pub use userspace::{ControllerCookie, Userspace};
pub use vlan::PushVlan;

/// One datapath action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Transmit on a datapath port (its number), printed as the number.
    Output(u32),
    /// An explicit drop (OVS_ACTION_ATTR_DROP); ends the packet's actions.
    Drop,
    /// Send through the connection tracker.
    Ct(Ct),
    /// Forget what the connection tracker said about the packet.
    CtClear,
    /// Look the packet up again with `recirc_id` set to the id.
    Recirc(u32),
    /// Compute the packet's `dp_hash` with OVS's symmetric L3/L4 hash and
    /// this basis (`hash(sym_l4(BASIS))`), for the next pass to match.
    Hash(u32),
    /// Rewrite header fields under a mask, fixing checksums.
    Set(SetAction),
    PushVlan(PushVlan),
    PopVlan,
    PushMpls(PushMpls),
    /// Remove the outermost label stack entry; the frame's ethertype
    /// becomes this one.
    PopMpls(u16),
    /// Overwrite the outermost label stack entry with this one.
    SetMpls(Lse),
    /// Hand the packet to the slow path (the controller, mostly).
    Userspace(Userspace),
    /// Run the nested actions on a copy; the packet itself is unchanged.
    Clone(Actions),
    /// Pass the packet through meter N (the slow path's meter table); a
    /// drop band over its rate drops it.
    Meter(u32),
    /// Cut the packet to this many bytes for the next output only.
    Trunc(u32),
    /// Set the packet's queueing priority (`set(skb_priority(N))`).
    SetPriority(u32),
}

/// A list of datapath actions, run in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actions(pub Vec<Action>);

impl Actions {
    pub fn new(actions: Vec<Action>) -> Self {
        Actions(actions)
    }

    pub fn iter(&self) -> core::slice::Iter<'_, Action> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<Action>> for Actions {
    fn from(actions: Vec<Action>) -> Self {
        Actions(actions)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Output(port) => write!(f, "{port}"),
            Action::Drop => f.write_str("drop"),
            Action::Ct(ct) => ct.fmt(f),
            Action::CtClear => f.write_str("ct_clear"),
            Action::Recirc(id) => {
                write!(f, "recirc({})", nxm_fields::format::CHex(u128::from(*id)))
            }
            Action::Hash(basis) => write!(f, "hash(sym_l4({basis}))"),
            Action::Set(set) => set.fmt(f),
            Action::PushVlan(push) => push.fmt(f),
            Action::PopVlan => f.write_str("pop_vlan"),
            Action::PushMpls(push) => push.fmt(f),
            Action::PopMpls(ethertype) => write!(f, "pop_mpls(eth_type={ethertype:#x})"),
            Action::SetMpls(lse) => write!(f, "set(mpls({lse}))"),
            Action::Userspace(u) => u.fmt(f),
            Action::Clone(inner) => write!(f, "clone({})", Inner(inner)),
            Action::Meter(id) => write!(f, "meter({id})"),
            Action::Trunc(len) => write!(f, "trunc({len})"),
            Action::SetPriority(priority) => write!(
                f,
                "set(skb_priority({}))",
                nxm_fields::format::CHex(u128::from(*priority))
            ),
        }
    }
}

/// A nested list: empty prints as nothing (`clone()`), as OVS does.
struct Inner<'a>(&'a Actions);

impl fmt::Display for Inner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, action) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            action.fmt(f)?;
        }
        Ok(())
    }
}

impl fmt::Display for Actions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("drop");
        }
        Inner(self).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expectations from OVS 3.1: `ovs-appctl dpctl/add-flow` of the action
    // text, then `dpctl/dump-flows` (userspace datapath, dummy ports).
    #[test]
    fn simple_actions_print_as_ovs_dpctl_dump_flows() {
        assert_eq!(Actions::default().to_string(), "drop");
        assert_eq!(Actions::new(vec![Action::Drop]).to_string(), "drop");
        assert_eq!(
            Actions::new(vec![Action::Output(2), Action::Output(3)]).to_string(),
            "2,3"
        );
        assert_eq!(
            Actions::new(vec![Action::Output(3), Action::Recirc(2)]).to_string(),
            "3,recirc(0x2)"
        );
        assert_eq!(Action::Recirc(16).to_string(), "recirc(0x10)");
        assert_eq!(
            Actions::new(vec![Action::Hash(0), Action::Recirc(1)]).to_string(),
            "hash(sym_l4(0)),recirc(0x1)"
        );
        assert_eq!(Action::CtClear.to_string(), "ct_clear");
        assert_eq!(Action::PopVlan.to_string(), "pop_vlan");
        assert_eq!(Action::Meter(0).to_string(), "meter(0)");
        assert_eq!(
            Action::PopMpls(0x800).to_string(),
            "pop_mpls(eth_type=0x800)"
        );
        assert_eq!(
            Action::SetMpls(Lse::new(12, 1, 63, true)).to_string(),
            "set(mpls(label=12,tc=1,ttl=63,bos=1))"
        );
        // As OVS 3.1's dpctl/dump-flows prints a queue (%#x).
        assert_eq!(Action::SetPriority(5).to_string(), "set(skb_priority(0x5))");
        assert_eq!(Action::SetPriority(0).to_string(), "set(skb_priority(0))");
    }

    #[test]
    fn clone_prints_its_nested_list() {
        let inner = Actions::new(vec![Action::Ct(Ct::default()), Action::Output(2)]);
        assert_eq!(Action::Clone(inner).to_string(), "clone(ct,2)");
        let commit = Ct {
            commit: Some(CtCommit::Commit),
            ..Ct::default()
        };
        let inner = Actions::new(vec![Action::Ct(commit), Action::Output(2)]);
        assert_eq!(Action::Clone(inner).to_string(), "clone(ct(commit),2)");
    }
}
