//! Group bucket liveness, as OVS 3.1 decides and traces it: a bucket
//! that watches nothing is live; one that watches is live when its port
//! is up with a link (not merely there) or else when the group it watches
//! has a live bucket. Checking a watched group reports that group's dead
//! buckets, and each dead bucket is reported as "not live due to" what it
//! watches (OVS calls a watched group a "port" there).

use nxm_fields::port::{format_port, OFPP_ANY};
use openflow_codec::message::flow_mod::OFPG_ANY;
use openflow_codec::message::group::Bucket;

use super::trace::NodeKind;
use super::Ctx;

/// How deeply liveness follows watch_group chains (OVS's limit).
const MAX_LIVENESS_DEPTH: usize = 128;

impl Ctx<'_> {
    /// Whether `bucket` may be used; `depth` counts the watched groups
    /// followed to get here.
    pub(super) fn bucket_live(&mut self, bucket: &Bucket, depth: usize) -> bool {
        if depth >= MAX_LIVENESS_DEPTH {
            self.note(NodeKind::Error, |_| {
                format!("bucket chaining exceeded {MAX_LIVENESS_DEPTH} links")
            });
            return false;
        }
        let watches_port = bucket.watch_port != OFPP_ANY;
        let watches_group = bucket.watch_group != OFPG_ANY;
        (!watches_port && !watches_group)
            || (watches_port && self.env.live_ports.contains(&bucket.watch_port))
            || (watches_group && self.group_live(bucket.watch_group, depth + 1))
    }

    /// Whether group `group_id` exists and has a live bucket.
    fn group_live(&mut self, group_id: u32, depth: usize) -> bool {
        let groups = self.env.groups;
        groups
            .get(group_id)
            .is_some_and(|g| self.first_live_bucket(&g.buckets, depth).is_some())
    }

    /// The first live bucket (a fast-failover group's choice), each dead
    /// one before it reported.
    pub(super) fn first_live_bucket(&mut self, buckets: &[Bucket], depth: usize) -> Option<usize> {
        for (i, bucket) in buckets.iter().enumerate() {
            if self.bucket_live(bucket, depth) {
                return Some(i);
            }
            self.report_not_live(i, bucket);
        }
        None
    }

    /// A trace's note that bucket `i` is not live, and what it watches.
    pub(super) fn report_not_live(&mut self, i: usize, bucket: &Bucket) {
        self.note(NodeKind::Detail, |_| {
            let mut why = Vec::new();
            if bucket.watch_port != OFPP_ANY {
                why.push(format!("port {}", format_port(bucket.watch_port)));
            }
            if bucket.watch_group != OFPG_ANY {
                why.push(format!("port {}", bucket.watch_group));
            }
            format!("bucket {i}: not live due to {}", why.join(" and "))
        });
    }
}
