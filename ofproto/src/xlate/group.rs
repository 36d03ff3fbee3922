//! The `group:N` action and the `meter:N` instruction.
//!
//! Each bucket a group uses runs on a copy of the translated flow, as in
//! OVS: its changes stay inside it, and the next output commits whatever
//! it must set back (no datapath `clone`). `all` runs every live bucket,
//! `indirect` its one bucket, `select` one live bucket as OVS's default
//! selection picks it ([`crate::group_select`]: by the datapath's
//! `dp_hash`, on a second pass), weights honoured, and `ff` the first
//! live bucket. A
//! bucket is live when the port it watches is up with a link (as in OVS:
//! not merely there) and the group it watches has a live bucket. A
//! missing group drops the packet.
//!
//! The meter instruction becomes the datapath's `meter(N)` action, which
//! asks the bridge's meter table about every packet it meets.

use datapath::Action as DpAction;
use nxm_fields::flow::slot_ones;
use nxm_fields::layout::{self as l, Slot};
use nxm_fields::port::OFPP_ANY;
use nxm_fields::prereq::{ETH_TYPE_IP, ETH_TYPE_IPV6};
use nxm_fields::Value;
use openflow_codec::action::Action;
use openflow_codec::message::flow_mod::OFPG_ANY;
use openflow_codec::message::group::{Bucket, GroupType};

use super::trace::NodeKind;
use super::{Ctx, XlateError, MAX_DEPTH};
use crate::group::{mix, select_bucket, Groups};
use crate::group_select::{hash_table, pick};

const IPPROTO_TCP: u128 = 6;
const IPPROTO_UDP: u128 = 17;
const IPPROTO_SCTP: u128 = 132;
/// The basis of the hash OVS's default selection asks the datapath for.
const DP_HASH_BASIS: u32 = 0;

/// How deeply liveness follows watch_group chains.
const MAX_WATCH_DEPTH: usize = 32;

impl Ctx<'_> {
    /// `group:N`.
    pub(super) fn group(&mut self, group_id: u32) -> Result<(), XlateError> {
        let groups = self.env.groups;
        let Some(group) = groups.get(group_id) else {
            return Ok(());
        };
        if self.depth >= MAX_DEPTH {
            return Err(XlateError::TooDeep);
        }
        let chosen: Vec<usize> = match group.group_type {
            GroupType::All => (0..group.buckets.len())
                .filter(|&i| group.buckets.get(i).is_some_and(|b| self.bucket_live(b, 0)))
                .collect(),
            GroupType::Indirect => vec![0],
            GroupType::FastFailover => self.first_live_bucket(&group.buckets).into_iter().collect(),
            GroupType::Select => self.select(&group.buckets).into_iter().collect(),
        };
        if matches!(
            group.group_type,
            GroupType::Select | GroupType::FastFailover
        ) {
            match chosen.first() {
                Some(i) => self.note(NodeKind::Detail, |_| format!("using bucket {i}")),
                // Counted only when a bucket is used (a select group's
                // first pass uses none).
                None => {
                    self.note(NodeKind::Detail, |_| "no live bucket".into());
                    return Ok(());
                }
            }
        }
        // The group's counters ride with the rules' through the megaflow.
        self.credits.rules.extend(group.counters(&chosen));
        self.depth += 1;
        let mut result = Ok(());
        for (i, bucket) in chosen
            .iter()
            .filter_map(|&i| group.buckets.get(i).map(|b| (i, b)))
        {
            let entered = self.note_enter(NodeKind::Bucket, || format!("bucket {i}"));
            // A pop in a bucket is forgotten after it, as in OVS (unlike
            // one in a clone).
            let was_mpls = self.was_mpls;
            result = self.bucket_actions(&bucket.actions);
            self.was_mpls = was_mpls;
            self.note_leave(entered);
            if result.is_err() {
                break;
            }
        }
        self.depth -= 1;
        result
    }

    /// A bucket's actions on a copy of the flow (and action set); what
    /// was committed to the datapath stays committed. A bucket that exits
    /// or freezes does not end the translation.
    pub(super) fn bucket_actions(&mut self, actions: &[Action]) -> Result<(), XlateError> {
        let (result, _) = self.contained_actions(actions);
        self.exit = false;
        result
    }

    /// Runs `actions` on a copy of the flow (and action set); a freeze
    /// among them recirculates from their end, with the copy's metadata.
    /// Says whether one did.
    pub(super) fn contained_actions(
        &mut self,
        actions: &[Action],
    ) -> (Result<(), XlateError>, bool) {
        let saved_flow = self.flow.clone();
        let saved_set = self.action_set.clone();
        let saved_ct = self.conntracked;
        let result = self.do_actions(actions);
        let froze = self.freezing.is_some();
        self.finish_freezing();
        self.flow = saved_flow;
        self.action_set = saved_set;
        self.conntracked = saved_ct;
        (result, froze)
    }

    /// A fast-failover group's first live bucket, with a trace's notes on
    /// the dead ones before it.
    fn first_live_bucket(&mut self, buckets: &[Bucket]) -> Option<usize> {
        for (i, b) in buckets.iter().enumerate() {
            if self.bucket_live(b, 0) {
                return Some(i);
            }
            if self.tracing() {
                let port_dead =
                    b.watch_port != OFPP_ANY && !self.env.live_ports.contains(&b.watch_port);
                self.note(NodeKind::Detail, |_| {
                    if port_dead {
                        format!("bucket {i}: not live due to port {}", b.watch_port)
                    } else {
                        format!("bucket {i}: not live due to group {}", b.watch_group)
                    }
                });
            }
        }
        None
    }

    /// Whether a bucket may be used: what it watches is alive.
    fn bucket_live(&self, bucket: &Bucket, depth: usize) -> bool {
        let port_live =
            bucket.watch_port == OFPP_ANY || self.env.live_ports.contains(&bucket.watch_port);
        port_live
            && (bucket.watch_group == OFPG_ANY
                || group_live(self, self.env.groups, bucket.watch_group, depth + 1))
    }

    /// A select group's bucket, as OVS 3.1 picks it by default (see
    /// [`crate::group_select`]): on the packet's first pass none, the
    /// translation freezing for the datapath to compute `dp_hash`; on the
    /// next, by the bits of `dp_hash` the group's table needs. A group
    /// whose weights are beyond that picks in one pass, by ctswitch's own
    /// hash. After a `pop_mpls`, the packet recirculates first.
    fn select(&mut self, buckets: &[Bucket]) -> Option<usize> {
        if self.was_mpls {
            self.trigger_freeze(None);
            return None;
        }
        let Some(table) = hash_table(buckets) else {
            let hash = self.select_hash();
            return select_bucket(buckets, hash, |b| self.bucket_live(b, 0));
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

    /// The select hash, symmetric in source and destination, over the
    /// fields the packet has; each field read joins the megaflow mask.
    fn select_hash(&mut self) -> u64 {
        let mut hash = self.hash_pair(0, l::ETH_SRC, l::ETH_DST);
        hash = self.hash_pair(hash, l::ETH_TYPE, l::VLAN_TCI);
        let eth_type = self.flow.get(l::ETH_TYPE) as u16;
        let ip = match eth_type {
            ETH_TYPE_IP => Some((l::NW_SRC, l::NW_DST)),
            ETH_TYPE_IPV6 => Some((l::IPV6_SRC, l::IPV6_DST)),
            _ => None,
        };
        if let Some((src, dst)) = ip {
            hash = self.hash_pair(hash, src, dst);
            self.wc.set(l::NW_PROTO, slot_ones(l::NW_PROTO));
            let proto = self.flow.get(l::NW_PROTO);
            hash = mix(hash ^ proto as u64);
            if matches!(proto, IPPROTO_TCP | IPPROTO_UDP | IPPROTO_SCTP) {
                hash = self.hash_pair(hash, l::TP_SRC, l::TP_DST);
            }
        }
        hash
    }

    /// Folds `a ^ b` (so the order of the two does not matter) into
    /// `hash`, and adds both to the mask.
    fn hash_pair(&mut self, hash: u64, a: Slot, b: Slot) -> u64 {
        for slot in [a, b] {
            self.wc.set(slot, slot_ones(slot));
        }
        let v = self.flow.get(a) ^ self.flow.get(b);
        mix(hash ^ (v as u64) ^ ((v >> 64) as u64))
    }

    /// The `meter:N` instruction: the datapath asks the meter about each
    /// packet (cached or not). A meter that does not exist meters nothing.
    pub(super) fn meter(&mut self, meter_id: u32) {
        if self.env.meters.contains(meter_id) {
            self.out.push(DpAction::Meter(meter_id));
        }
    }
}

/// Whether a group has a live bucket (for `watch_group`).
fn group_live(ctx: &Ctx<'_>, groups: &Groups, group_id: u32, depth: usize) -> bool {
    if depth > MAX_WATCH_DEPTH {
        return false;
    }
    groups
        .get(group_id)
        .is_some_and(|g| g.buckets.iter().any(|b| ctx.bucket_live(b, depth)))
}
