//! Action sets as OVS 3.1 runs them, for the OpenFlow 1.3 action set
//! (`write_actions`, which keeps everything written) and for group
//! buckets, which OVS also runs as action sets: the last of each header
//! action (pop VLAN, pop MPLS, decap, encap, push MPLS, push VLAN,
//! dec_ttl, dec_mpls_ttl, dec_nsh_ttl) in that order, then every set or
//! move in the order written, then one final action, the last of the
//! highest kind present (ct < ct_clear < resubmit < output < group).
//! Without a final action nothing runs. Actions an action set may not hold
//! ([`Action::allowed_in_action_set`]: learn, note, multipath, bundle,
//! clone, `controller(...)`, `output:REG`, ...) never run there; only a
//! bucket can carry them, write-actions refuses them.

use openflow_codec::action::Action;

/// Where an action goes in an action set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    /// One of the header actions, by its place in the order.
    Slot(u8),
    SetOrMove,
    /// A final action, by its priority.
    Final(u8),
    /// Not an action-set action: skipped.
    Skipped,
}

fn classify(action: &Action) -> Class {
    if !action.allowed_in_action_set() {
        return Class::Skipped;
    }
    match action {
        Action::PopVlan(_) => Class::Slot(0),
        Action::PopMpls(_) => Class::Slot(1),
        Action::Decap(_) => Class::Slot(2),
        Action::Encap(_) => Class::Slot(3),
        Action::PushMpls(_) => Class::Slot(4),
        Action::PushVlan(_) => Class::Slot(5),
        Action::DecTtl(_) => Class::Slot(6),
        Action::DecMplsTtl(_) => Class::Slot(7),
        Action::DecNshTtl(_) => Class::Slot(8),
        Action::Ct(_) => Class::Final(0),
        Action::CtClear(_) => Class::Final(1),
        Action::Resubmit(_) => Class::Final(2),
        // A plain `controller` is an output to the CONTROLLER port.
        Action::Output(_) => Class::Final(3),
        Action::Group(_) => Class::Final(4),
        // Sets, moves, queues and tunnel ids keep their order.
        _ => Class::SetOrMove,
    }
}

/// The actions an action set (or a group bucket) runs, in order.
pub(super) fn execution_order(set: &[Action]) -> Vec<Action> {
    let mut slots: Vec<(u8, &Action)> = Vec::new();
    let mut sets = Vec::new();
    let mut last: Option<(u8, &Action)> = None;
    for action in set {
        match classify(action) {
            Class::Slot(n) => {
                slots.retain(|(m, _)| *m != n);
                slots.push((n, action));
            }
            Class::SetOrMove => sets.push(action),
            Class::Final(n) => {
                if last.is_none_or(|(m, _)| n >= m) {
                    last = Some((n, action));
                }
            }
            Class::Skipped => {}
        }
    }
    let Some((_, last)) = last else {
        return Vec::new();
    };
    slots.sort_by_key(|(n, _)| *n);
    slots
        .into_iter()
        .map(|(_, a)| a)
        .chain(sets)
        .chain(std::iter::once(last))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use openflow_codec::action::parse_actions_text;
    use openflow_codec::action::{format_actions, Action};
    use openflow_codec::instruction::Instruction;

    use super::*;

    fn actions(text: &str) -> Vec<Action> {
        match parse_actions_text(text, None).unwrap().into_iter().next() {
            Some(Instruction::ApplyActions(a)) => a,
            _ => Vec::new(),
        }
    }

    fn run(text: &str) -> String {
        format_actions(&execution_order(&actions(text)))
    }

    // As OVS 3.1 ran these group buckets (its traces of them).
    #[test]
    fn buckets_run_as_ovs_runs_action_sets() {
        assert_eq!(run("output:2,output:3"), "output:3");
        assert_eq!(
            run("output:2,set_field:10.9.9.9->ip_dst,output:3"),
            "set_field:10.9.9.9->ip_dst,output:3"
        );
        assert_eq!(run("output:2,group:1"), "group:1");
        assert_eq!(
            run("dec_ttl,set_field:5->ip_dscp,resubmit(,2),output:3"),
            "dec_ttl,set_field:5->ip_dscp,output:3"
        );
        assert_eq!(
            run("set_field:10.7.7.7->ip_src,group:1,output:4"),
            "set_field:10.7.7.7->ip_src,group:1"
        );
        assert_eq!(run("set_field:10.7.7.7->ip_src"), "drop");
        assert_eq!(
            run("push_vlan:0x8100,pop_vlan,output:1"),
            "pop_vlan,push_vlan:0x8100,output:1"
        );
        assert_eq!(
            run("set_field:4101->vlan_vid,push_vlan:0x8100,output:2"),
            "push_vlan:0x8100,set_field:4101->vlan_vid,output:2"
        );
        assert_eq!(run("resubmit(,3),ct(zone=5,table=3)"), "resubmit(,3)");
        assert_eq!(run("ct(zone=6,table=3),ct_clear"), "ct_clear");
        // OVS's last header slot (no NSH here to show it on).
        assert_eq!(
            run("dec_nsh_ttl,dec_mpls_ttl,dec_ttl,output:1"),
            "dec_ttl,dec_mpls_ttl,dec_nsh_ttl,output:1"
        );
    }

    // What group-bucket-nicira.scn shows OVS 3.1 skipping in a bucket.
    #[test]
    fn buckets_skip_what_an_action_set_may_not_hold() {
        assert_eq!(
            run("learn(table=5,NXM_OF_IP_SRC[]),note:01.02,output:2"),
            "output:2"
        );
        assert_eq!(
            run("controller(userdata=01.02,reason=no_match),output:2"),
            "output:2"
        );
        assert_eq!(run("controller(userdata=01.02)"), "drop");
        assert_eq!(run("controller"), "CONTROLLER:65535");
        assert_eq!(
            run("load:4->reg1[0..15],output:reg1[0..15],output:2"),
            "load:0x4->NXM_NX_REG1[0..15],output:2"
        );
        assert_eq!(run("clone(output:4),output:2"), "output:2");
        assert_eq!(
            run("push:reg1[],load:3->reg1[],pop:reg2[],output:3"),
            "load:0x3->NXM_NX_REG1[],output:3"
        );
        assert_eq!(run("clone(output:3)"), "drop");
        assert_eq!(
            run("multipath(nw_src,3,hrw,3,0,reg3[0..1]),\
                 bundle(eth_src,0,active_backup,ofport,members:3),resubmit(,3)"),
            "resubmit(,3)"
        );
        assert_eq!(
            run("bundle(eth_src,0,active_backup,ofport,members:4)"),
            "drop"
        );
        assert_eq!(
            run("exit,fin_timeout(idle_timeout=5),set_queue:3,output:4"),
            "set_queue:3,output:4"
        );
        assert_eq!(run("debug_slow,output:2"), "output:2");
        assert_eq!(run("output(port=3,max_len=100)"), "drop");
    }
}
