//! How translation picks a select group's bucket, as OVS 3.1 does by
//! default.
//!
//! A group whose weights fit a table of at most 256 hash values
//! ([`crate::group_select`]) is picked by the datapath's `dp_hash`: the
//! packet's first pass freezes ([`super::freeze`]) and asks for
//! `hash(sym_l4(0))`; the next picks by the bits of `dp_hash` the table
//! needs, which the megaflow then matches. Any other group is picked in
//! one pass: the packet's symmetric L4 hash (addresses, VLAN ids,
//! protocol, TCP and SCTP ports) scores each live bucket with a weight (a
//! hash of the bucket's id with the packet's, times the weight), and the
//! best, the last on a tie, wins; the megaflow matches the fields hashed.

use datapath::hash::hash_int;
use nxm_fields::layout as l;
use nxm_fields::Value;
use openflow_codec::action::HashFields;
use openflow_codec::message::group::Bucket;

use super::trace::NodeKind;
use super::Ctx;
use crate::flow_hash::{hash_fields, unwildcard_hash_fields};
use crate::group_select::{hash_table, pick};

/// The basis of the hash OVS's default selection asks the datapath for.
const DP_HASH_BASIS: u32 = 0;

impl Ctx<'_> {
    /// A select group's bucket; on a packet's first pass by `dp_hash`,
    /// none (translation freezes). After a `pop_mpls`, the packet
    /// recirculates first.
    pub(super) fn select(&mut self, buckets: &[Bucket]) -> Option<usize> {
        if self.was_mpls {
            self.trigger_freeze(None);
            return None;
        }
        let Some(table) = hash_table(buckets) else {
            return self.best_live_bucket(buckets);
        };
        // 0 is "not computed yet" (a computed hash never is), so the
        // first pass need not match on dp_hash.
        let dp_hash = self.flow.get(l::DP_HASH) as u32;
        if dp_hash == 0 {
            self.trigger_freeze(Some(DP_HASH_BASIS));
            return None;
        }
        let mask = Value::from(table.len().saturating_sub(1) as u32);
        self.wc.set(l::DP_HASH, self.wc.get(l::DP_HASH) | mask);
        pick(&table, dp_hash & mask as u32, |i| {
            buckets.get(i).is_some_and(|b| self.bucket_live(b, 0))
        })
    }

    /// The one-pass choice: each live bucket with a weight scored, as a
    /// trace reports it.
    fn best_live_bucket(&mut self, buckets: &[Bucket]) -> Option<usize> {
        unwildcard_hash_fields(&self.flow, HashFields::SymmetricL4, &mut self.wc);
        let basis = hash_fields(&self.flow, HashFields::SymmetricL4, 0);
        let mut best: Option<(usize, u32)> = None;
        for (i, bucket) in buckets.iter().enumerate() {
            if bucket.weight == 0 || !self.bucket_live(bucket, 0) {
                self.report_not_live(i, bucket);
                continue;
            }
            let score = (hash_int(i as u32, basis) & 0xffff) * u32::from(bucket.weight);
            if best.is_none_or(|(_, s)| score >= s) {
                best = Some((i, score));
            }
            self.note(NodeKind::Detail, |_| format!("bucket {i}: score {score}"));
        }
        best.map(|(i, _)| i)
    }
}
