//! A bridge's group table: GROUP_MOD add/modify/delete with the errors
//! OVS 3.1 sends, the group and bucket counters, and the GROUP_DESC, GROUP and
//! GROUP_FEATURES replies.
//!
//! As in OVS, buckets may chain to other groups (or to groups that do not
//! exist yet) and nothing checks for loops when a group is written;
//! translation's depth limit stops a loop when a packet meets one.
//!
//! The group's and its buckets' counters are credited as rules' are:
//! translation lists them with the rules it hit, and the datapath credits
//! them with every packet (and its bytes) the megaflow handles.

use std::collections::BTreeMap;
use std::sync::Arc;

use openflow_codec::error::{GroupModFailedCode, OfpError};
use openflow_codec::message::flow_mod::OFPG_ANY;
use openflow_codec::message::group::OFPG_ALL;
use openflow_codec::message::group::{Bucket, GroupCommand, GroupDesc, GroupMod, GroupType};
use openflow_codec::message::multipart::group_stats::{GroupFeatures, GroupStats};

use crate::rule_stats::RuleStats;

/// The highest group id a group may have (`OFPG_MAX`).
const OFPG_MAX: u32 = 0xffff_ff00;
/// All four group types.
const ALL_TYPES: u32 = 0xf;
/// OFPGFC_SELECT_WEIGHT | OFPGFC_SELECT_LIVENESS | OFPGFC_CHAINING.
const CAPABILITIES: u32 = 0x7;
/// The OpenFlow 1.3 actions a bucket may hold, as OVS 3.1 advertises
/// them: output, set_mpls_ttl .. set_field.
const BUCKET_ACTIONS: u32 = 0x0000_0001 | (0x7ff << 15);

/// One group.
#[derive(Debug)]
pub struct Group {
    pub group_type: GroupType,
    pub buckets: Vec<Bucket>,
    created_ms: u64,
    counter: Arc<RuleStats>,
    bucket_counters: Vec<Arc<RuleStats>>,
}

impl Group {
    fn new(gm: &GroupMod, now_ms: u64) -> Group {
        Group {
            group_type: gm.group_type,
            buckets: gm.buckets.clone(),
            created_ms: now_ms,
            counter: RuleStats::new(now_ms),
            bucket_counters: gm.buckets.iter().map(|_| RuleStats::new(now_ms)).collect(),
        }
    }

    /// The counters a packet through the group and the buckets it took
    /// credits: the group's, then each bucket's.
    pub fn counters(&self, buckets: &[usize]) -> Vec<Arc<RuleStats>> {
        std::iter::once(&self.counter)
            .chain(buckets.iter().filter_map(|&b| self.bucket_counters.get(b)))
            .cloned()
            .collect()
    }
}

/// The group table.
#[derive(Debug, Default)]
pub struct Groups {
    groups: BTreeMap<u32, Group>,
}

impl Groups {
    pub fn get(&self, group_id: u32) -> Option<&Group> {
        self.groups.get(&group_id)
    }

    pub fn contains(&self, group_id: u32) -> bool {
        self.groups.contains_key(&group_id)
    }

    /// Applies a GROUP_MOD; returns the ids of the groups it deleted
    /// (whose rules the caller deletes).
    pub fn apply(&mut self, gm: &GroupMod, now_ms: u64) -> Result<Vec<u32>, OfpError> {
        match gm.command {
            GroupCommand::Add => {
                if gm.group_id > OFPG_MAX {
                    return Err(GroupModFailedCode::InvalidGroup.into());
                }
                if self.groups.contains_key(&gm.group_id) {
                    return Err(GroupModFailedCode::GroupExists.into());
                }
                self.groups.insert(gm.group_id, Group::new(gm, now_ms));
                Ok(Vec::new())
            }
            GroupCommand::Modify => {
                if gm.group_id > OFPG_MAX {
                    return Err(GroupModFailedCode::InvalidGroup.into());
                }
                // The group keeps its age; its counters restart with the
                // new buckets.
                let group = self
                    .groups
                    .get_mut(&gm.group_id)
                    .ok_or(GroupModFailedCode::UnknownGroup)?;
                let created_ms = group.created_ms;
                *group = Group::new(gm, created_ms);
                Ok(Vec::new())
            }
            GroupCommand::Delete => {
                if gm.group_id == OFPG_ALL {
                    let ids = self.groups.keys().copied().collect();
                    self.groups.clear();
                    Ok(ids)
                } else {
                    Ok(self
                        .groups
                        .remove(&gm.group_id)
                        .map(|_| gm.group_id)
                        .into_iter()
                        .collect())
                }
            }
        }
    }

    /// The GROUP_DESC reply's entries.
    pub fn descs(&self) -> Vec<GroupDesc> {
        self.groups
            .iter()
            .map(|(id, g)| GroupDesc {
                group_type: g.group_type,
                group_id: *id,
                buckets: g.buckets.clone(),
            })
            .collect()
    }

    /// The GROUP reply's entries for `group_id` (or all); `ref_count`
    /// says how many rules use a group.
    pub fn stats(
        &self,
        group_id: u32,
        now_ms: u64,
        ref_count: impl Fn(u32) -> u32,
    ) -> Vec<GroupStats> {
        self.groups
            .iter()
            .filter(|(id, _)| group_id == OFPG_ALL || **id == group_id)
            .map(|(id, g)| {
                let age_ms = now_ms.saturating_sub(g.created_ms);
                GroupStats {
                    group_id: *id,
                    ref_count: ref_count(*id),
                    packet_count: g.counter.packets(),
                    byte_count: g.counter.bytes(),
                    duration_sec: u32::try_from(age_ms / 1000).unwrap_or(u32::MAX),
                    duration_nsec: (age_ms % 1000) as u32 * 1_000_000,
                    buckets: g
                        .bucket_counters
                        .iter()
                        .map(|c| (c.packets(), c.bytes()))
                        .collect(),
                }
            })
            .collect()
    }
}

/// What GROUP_FEATURES says: every type, up to `OFPG_MAX` groups each.
pub fn features() -> GroupFeatures {
    GroupFeatures {
        types: ALL_TYPES,
        capabilities: CAPABILITIES,
        max_groups: [OFPG_MAX; 4],
        actions: [BUCKET_ACTIONS; 4],
    }
}

/// Whether a bucket watches nothing (`OFPP_ANY`, `OFPG_ANY`).
pub fn watches_nothing(bucket: &Bucket) -> bool {
    bucket.watch_port == nxm_fields::port::OFPP_ANY && bucket.watch_group == OFPG_ANY
}

#[cfg(test)]
mod tests {
    use openflow_codec::text::group_mod::parse_group_mod;

    use super::*;

    fn gm(text: &str, command: GroupCommand) -> GroupMod {
        parse_group_mod(text, command).expect(text)
    }

    fn code(result: Result<Vec<u32>, OfpError>) -> Option<OfpError> {
        result.err()
    }

    // Errors as OVS 3.1 answered ovs-ofctl's add-group/mod-group.
    #[test]
    fn group_mods_fail_as_ovs_does() {
        let mut groups = Groups::default();
        let add = gm("group_id=1,type=all,bucket=output:1", GroupCommand::Add);
        assert_eq!(groups.apply(&add, 0), Ok(Vec::new()));
        assert_eq!(
            code(groups.apply(&add, 0)),
            Some(GroupModFailedCode::GroupExists.into())
        );
        let modify = gm("group_id=9,type=all,bucket=output:1", GroupCommand::Modify);
        assert_eq!(
            code(groups.apply(&modify, 0)),
            Some(GroupModFailedCode::UnknownGroup.into())
        );
        let all = gm("group_id=all,type=all,bucket=output:1", GroupCommand::Add);
        assert_eq!(
            code(groups.apply(&all, 0)),
            Some(GroupModFailedCode::InvalidGroup.into())
        );
        // Chaining to a missing group, or to itself, is accepted.
        let chain = gm("group_id=7,type=all,bucket=group:7", GroupCommand::Add);
        assert_eq!(groups.apply(&chain, 0), Ok(Vec::new()));
    }

    #[test]
    fn deleting_reports_what_went_and_unknown_ids_are_not_errors() {
        let mut groups = Groups::default();
        for id in [1, 2, 3] {
            let add = gm(
                &format!("group_id={id},type=all,bucket=output:1"),
                GroupCommand::Add,
            );
            assert_eq!(groups.apply(&add, 0), Ok(Vec::new()));
        }
        assert_eq!(
            groups.apply(&gm("group_id=2", GroupCommand::Delete), 0),
            Ok(vec![2])
        );
        assert_eq!(
            groups.apply(&gm("group_id=55", GroupCommand::Delete), 0),
            Ok(vec![])
        );
        assert_eq!(
            groups.apply(&gm("", GroupCommand::Delete), 0),
            Ok(vec![1, 3])
        );
        assert!(groups.descs().is_empty());
    }

    #[test]
    fn modify_keeps_the_age_and_restarts_the_counters() {
        let mut groups = Groups::default();
        let add = gm(
            "group_id=2,type=select,bucket=output:1,bucket=output:2",
            GroupCommand::Add,
        );
        assert_eq!(groups.apply(&add, 1000), Ok(Vec::new()));
        for counter in groups.get(2).map(|g| g.counters(&[1])).unwrap_or_default() {
            counter.credit(1, 60, 1500);
        }
        let stats = groups.stats(OFPG_ALL, 3500, |_| 4);
        assert_eq!(
            stats.first().map(|s| (s.packet_count, s.byte_count)),
            Some((1, 60))
        );
        assert_eq!(
            stats.first().map(|s| s.buckets.clone()),
            Some(vec![(0, 0), (1, 60)])
        );
        assert_eq!(
            stats.first().map(|s| (s.duration_sec, s.ref_count)),
            Some((2, 4))
        );
        let modify = gm("group_id=2,type=all,bucket=output:1", GroupCommand::Modify);
        assert_eq!(groups.apply(&modify, 5000), Ok(Vec::new()));
        let stats = groups.stats(2, 5000, |_| 0);
        assert_eq!(
            stats.first().map(|s| (s.packet_count, s.duration_sec)),
            Some((0, 4))
        );
    }
}
