//! The `bundle` and `bundle_load` actions: choose one live port among the
//! members, `active_backup` (the first live one) or `hrw` (the live one
//! with the highest hash of the packet's chosen fields and its position),
//! as OVS 3.1 chooses; `bundle` outputs to it, `bundle_load` writes its
//! number (OpenFlow 1.0 numbering, NONE when no member is live) into a
//! subfield.
//!
//! A member is live as a fast-failover group's watched port is: the port
//! exists and is up with a link. The reserved ports a member may name are
//! always live, but CONTROLLER (which OVS refuses as a member) never is.

use datapath::hash::hash_int;
use nxm_fields::port::{
    from_ofp10, to_ofp10, OFPP_ALL, OFPP_ANY, OFPP_CONTROLLER, OFPP_FLOOD, OFPP_IN_PORT,
    OFPP_NORMAL, OFPP_TABLE,
};
use nxm_fields::{Flow, Value};
use openflow_codec::action::bundle::{Bundle, BundleAlgorithm};

use super::actions::subfield_now;
use super::field::write_subfield;
use super::trace::NodeKind;
use super::{Ctx, XlateError};
use crate::flow_hash::{hash_fields, unwildcard_hash_fields};

impl Ctx<'_> {
    /// `bundle(...)` and `bundle_load(...)`.
    pub(super) fn bundle(&mut self, bundle: &Bundle) -> Result<(), XlateError> {
        // The hash's fields decide unless there is only one member.
        if bundle.member_algorithm() == Some(BundleAlgorithm::Hrw) && bundle.members.len() > 1 {
            if let Some(fields) = bundle.hash_fields() {
                unwildcard_hash_fields(&self.flow, fields, &mut self.wc);
            }
        }
        let live_ports = self.env.live_ports;
        let chosen = choose_member(bundle, &self.flow, |port| live_ports.contains(&port));
        match &bundle.dst {
            Some(dst) => {
                let port = to_ofp10(chosen.unwrap_or(OFPP_ANY));
                write_subfield(&mut self.flow, &mut self.wc, dst, Value::from(port));
                self.note(NodeKind::Detail, |flow| subfield_now(flow, dst));
            }
            // NONE (a member that names no port) sends nowhere, quietly.
            None => match chosen {
                Some(port) if port != OFPP_ANY => self.output(port, 0)?,
                _ => {}
            },
        }
        Ok(())
    }
}

/// The member `bundle` chooses for `flow`, in OpenFlow 1.1+ numbering,
/// given which ports are up with a link; `None` when no member is live.
pub fn choose_member(bundle: &Bundle, flow: &Flow, port_up: impl Fn(u32) -> bool) -> Option<u32> {
    let live = |port: u32| match port {
        OFPP_IN_PORT | OFPP_TABLE | OFPP_NORMAL | OFPP_FLOOD | OFPP_ALL | OFPP_ANY => true,
        OFPP_CONTROLLER => false,
        port => port_up(port),
    };
    let mut members = bundle.members.iter().map(|&p| from_ofp10(p));
    match bundle.member_algorithm()? {
        BundleAlgorithm::ActiveBackup => members.find(|&p| live(p)),
        BundleAlgorithm::Hrw => {
            let hash = hash_fields(flow, bundle.hash_fields()?, bundle.basis);
            // The live member with the highest hash of its position and
            // the packet's hash (OVS's hash_2words(i, hash), which is its
            // hash_int); the first on ties.
            let mut best: Option<(u32, u32)> = None;
            for (i, port) in members.enumerate().filter(|&(_, p)| live(p)) {
                let weight = hash_int(i as u32, hash);
                if best.is_none_or(|(_, w)| weight > w) {
                    best = Some((port, weight));
                }
            }
            best.map(|(port, _)| port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nxm_fields::layout as l;
    use nxm_fields::port::OFPP_LOCAL;
    use nxm_fields::prereq::{ETH_TYPE_IP, IPPROTO_TCP};
    use openflow_codec::action::HashFields;

    fn bundle(fields: HashFields, algorithm: BundleAlgorithm, members: &[u16]) -> Bundle {
        Bundle {
            fields: fields as u16,
            basis: 0,
            algorithm: algorithm as u16,
            dst: None,
            members: members.to_vec(),
        }
    }

    /// tcp 50:54:00:00:00:01 > 50:54:00:00:00:02, 10.0.0.1:1000 > 10.0.0.2:80.
    fn tcp() -> Flow {
        let mut f = Flow::zero();
        for (slot, value) in [
            (l::ETH_SRC, 0x5054_0000_0001),
            (l::ETH_DST, 0x5054_0000_0002),
            (l::ETH_TYPE, Value::from(ETH_TYPE_IP)),
            (l::NW_SRC, 0x0a00_0001),
            (l::NW_DST, 0x0a00_0002),
            (l::NW_PROTO, Value::from(IPPROTO_TCP)),
            (l::TP_SRC, 1000),
            (l::TP_DST, 80),
        ] {
            f.set(slot, value);
        }
        f
    }

    fn up(ports: &'static [u32]) -> impl Fn(u32) -> bool {
        move |p| ports.contains(&p)
    }

    #[test]
    fn hrw_chooses_as_ovs_as_ports_go_down() {
        // OVS 3.1, bundle_load(symmetric_l4,7,hrw,ofport,reg0[0..15],
        // members:2,3,4,7) on this packet (port 7 does not exist): 4; 3
        // with 4 down; still 3 with 2 down too; NONE with all down.
        let mut b = bundle(HashFields::SymmetricL4, BundleAlgorithm::Hrw, &[2, 3, 4, 7]);
        b.basis = 7;
        let f = tcp();
        assert_eq!(choose_member(&b, &f, up(&[1, 2, 3, 4])), Some(4));
        assert_eq!(choose_member(&b, &f, up(&[1, 2, 3])), Some(3));
        assert_eq!(choose_member(&b, &f, up(&[1, 3])), Some(3));
        assert_eq!(choose_member(&b, &f, up(&[1])), None);
    }

    #[test]
    fn hrw_weighs_members_by_position_not_number() {
        // OVS 3.1, bundle(eth_src,0,hrw,ofport,members:4,3,2): 4, then 3
        // with 4 down; the same members listed 2,3,4: 2.
        let b = bundle(HashFields::EthSrc, BundleAlgorithm::Hrw, &[4, 3, 2]);
        let f = tcp();
        assert_eq!(choose_member(&b, &f, up(&[2, 3, 4])), Some(4));
        assert_eq!(choose_member(&b, &f, up(&[2, 3])), Some(3));
        let b = bundle(HashFields::EthSrc, BundleAlgorithm::Hrw, &[2, 3, 4]);
        assert_eq!(choose_member(&b, &f, up(&[2, 3, 4])), Some(2));
    }

    #[test]
    fn active_backup_takes_the_first_live_member() {
        let b = bundle(
            HashFields::EthSrc,
            BundleAlgorithm::ActiveBackup,
            &[7, 4, 3, 2],
        );
        let f = tcp();
        assert_eq!(choose_member(&b, &f, up(&[2, 3, 4])), Some(4));
        assert_eq!(choose_member(&b, &f, up(&[2, 3])), Some(3));
        assert_eq!(choose_member(&b, &f, up(&[])), None);
    }

    #[test]
    fn reserved_members_are_live_but_the_controller() {
        let f = tcp();
        let b = bundle(
            HashFields::EthSrc,
            BundleAlgorithm::ActiveBackup,
            &[0xfffd, 0xfff8],
        );
        assert_eq!(choose_member(&b, &f, up(&[])), Some(OFPP_IN_PORT));
        let b = bundle(
            HashFields::EthSrc,
            BundleAlgorithm::ActiveBackup,
            &[0xfffe, 0xffff],
        );
        assert_eq!(choose_member(&b, &f, up(&[])), Some(OFPP_ANY));
        assert_eq!(choose_member(&b, &f, up(&[OFPP_LOCAL])), Some(OFPP_LOCAL));
    }
}
