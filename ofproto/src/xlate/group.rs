//! The `group:N` action and the `meter:N` instruction.
//!
//! Each bucket a group uses runs on a copy of the translated flow, as in
//! OVS: its changes stay inside it, and the next output commits whatever
//! it must set back (no datapath `clone`). `all` runs every live bucket,
//! `indirect` its one bucket, `select` one live bucket as OVS's default
//! selection picks it ([`super::select`]), and `ff` the first live bucket
//! ([`super::liveness`]). A missing group drops the packet.
//!
//! The meter instruction becomes the datapath's `meter(N)` action, which
//! asks the bridge's meter table about every packet it meets.

use datapath::Action as DpAction;
use openflow_codec::action::Action;
use openflow_codec::message::group::GroupType;

use super::action_set::execution_order;
use super::trace::NodeKind;
use super::{Ctx, XlateError, MAX_DEPTH};

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
            GroupType::All => group
                .buckets
                .iter()
                .enumerate()
                .filter(|(_, b)| self.bucket_live(b, 0))
                .map(|(i, _)| i)
                .collect(),
            GroupType::Indirect => vec![0],
            GroupType::FastFailover => self
                .first_live_bucket(&group.buckets, 0)
                .into_iter()
                .collect(),
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
        let was_in_group = std::mem::replace(&mut self.in_group, true);
        let mut result = Ok(());
        for (i, bucket) in chosen
            .iter()
            .filter_map(|&i| group.buckets.get(i).map(|b| (i, b)))
        {
            let entered = self.note_enter(NodeKind::Bucket, || format!("bucket {i}"));
            // A pop in a bucket is forgotten after it, as in OVS (unlike
            // one in a clone).
            let was_mpls = self.was_mpls;
            // OVS runs a bucket as an action set, and traces one that
            // does nothing as a drop.
            let actions = execution_order(&bucket.actions);
            if actions.is_empty() {
                self.note(NodeKind::Action, |_| "drop".into());
            }
            result = self.bucket_actions(&actions);
            self.was_mpls = was_mpls;
            self.note_leave(entered);
            if result.is_err() {
                break;
            }
        }
        self.in_group = was_in_group;
        self.depth -= 1;
        result
    }

    /// A bucket's actions on a copy of the flow; what was committed to the
    /// datapath stays committed, and what it wrote to the action set stays
    /// written (OVS 3.1 rolls back the flow after a bucket, not the set:
    /// a bucket's resubmit can write or clear it). A bucket that exits or
    /// freezes does not end the translation.
    pub(super) fn bucket_actions(&mut self, actions: &[Action]) -> Result<(), XlateError> {
        let (result, _) = self.on_flow_copy(|ctx| ctx.do_actions(actions));
        self.exit = false;
        result
    }

    /// Runs `run` on a copy of the flow (what it writes to the action set
    /// stays written); a freeze in it recirculates from its end, with the
    /// copy's metadata. Says whether one did.
    pub(super) fn on_flow_copy(
        &mut self,
        run: impl FnOnce(&mut Self) -> Result<(), XlateError>,
    ) -> (Result<(), XlateError>, bool) {
        let saved_flow = self.flow.clone();
        let saved_ct = self.conntracked;
        let result = run(self);
        let froze = self.freezing.is_some();
        self.finish_freezing();
        self.flow = saved_flow;
        self.conntracked = saved_ct;
        (result, froze)
    }

    /// The `meter:N` instruction: the datapath asks the meter about each
    /// packet (cached or not). A meter that does not exist meters nothing.
    pub(super) fn meter(&mut self, meter_id: u32) {
        if self.env.meters.contains(meter_id) {
            self.out.push(DpAction::Meter(meter_id));
        }
    }
}
