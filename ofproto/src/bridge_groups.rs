//! The bridge's group and meter messages: GROUP_MOD and METER_MOD (a
//! deleted group or meter takes the rules that use it along, as in OVS),
//! the check that a flow-mod's groups and meters exist, and the group
//! and meter statistics, descriptions and features.

use std::sync::{RwLockReadGuard, RwLockWriteGuard};

use datapath::Metered;

use openflow_codec::action::Action;
use openflow_codec::error::{BadActionCode, BadRequestCode, MeterModFailedCode, OfpError};
use openflow_codec::instruction::Instruction;
use openflow_codec::message::flow_mod::{FlowMod, FlowModCommand, TABLE_ALL};
use openflow_codec::message::group::GroupMod;
use openflow_codec::message::meter::{MeterConfigs, MeterMod, MeterStatsList};
use openflow_codec::message::multipart::{MpReply, MpRequest};

use crate::bridge::Bridge;
use crate::group::{self, Groups};
use crate::meter::{self, Meters};
use crate::table::{Rule, Tables};

impl Bridge {
    pub fn groups(&self) -> RwLockReadGuard<'_, Groups> {
        self.groups.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn meters(&self) -> RwLockReadGuard<'_, Meters> {
        self.meters.read().unwrap_or_else(|e| e.into_inner())
    }

    fn groups_mut(&self) -> RwLockWriteGuard<'_, Groups> {
        self.groups.write().unwrap_or_else(|e| e.into_inner())
    }

    fn meters_mut(&self) -> RwLockWriteGuard<'_, Meters> {
        self.meters.write().unwrap_or_else(|e| e.into_inner())
    }

    /// OFPT_GROUP_MOD.
    pub(crate) fn group_mod(&self, gm: &GroupMod, now_ms: u64) -> Result<(), OfpError> {
        let deleted = self.groups_mut().apply(gm, now_ms)?;
        self.delete_rules_using(&deleted, |rule, id| rule.uses_group(id), now_ms);
        self.flows_changed();
        Ok(())
    }

    /// What meter `meter_id` does with a packet of `len` bytes (the
    /// datapath's `meter` action); a meter that is gone lets it pass.
    pub(crate) fn meter_packet(&self, meter_id: u32, len: usize, now_ms: u64) -> Metered {
        self.meters()
            .get(meter_id)
            .map_or(Metered::Pass, |m| m.apply(len as u64, now_ms))
    }

    /// OFPT_METER_MOD.
    pub(crate) fn meter_mod(&self, mm: &MeterMod, now_ms: u64) -> Result<(), OfpError> {
        let deleted = self.meters_mut().apply(mm, now_ms)?;
        self.delete_rules_using(&deleted, uses_meter, now_ms);
        self.flows_changed();
        Ok(())
    }

    /// Deletes every rule for which `uses(rule, id)` holds for one of `ids`.
    fn delete_rules_using(&self, ids: &[u32], uses: fn(&Rule, u32) -> bool, now_ms: u64) {
        if ids.is_empty() {
            return;
        }
        let mut tables = self.tables_mut();
        let doomed: Vec<FlowMod> = all_rules(&tables)
            .filter(|(_, rule)| ids.iter().any(|&id| uses(rule, id)))
            .map(|(table_id, rule)| FlowMod {
                command: FlowModCommand::DeleteStrict,
                table_id,
                priority: rule.priority,
                r#match: rule.r#match.clone(),
                ..FlowMod::default()
            })
            .collect();
        for fm in &doomed {
            // A strict delete of a rule that is there cannot fail.
            let _ = tables.apply(fm, now_ms);
        }
    }

    /// A flow-mod that adds or changes actions may only name groups and
    /// meters that exist (OFPBAC_BAD_OUT_GROUP, OFPMMFC_INVALID_METER).
    pub(crate) fn check_flow_mod_refs(&self, fm: &FlowMod) -> Result<(), OfpError> {
        if matches!(
            fm.command,
            FlowModCommand::Delete | FlowModCommand::DeleteStrict
        ) {
            return Ok(());
        }
        let groups = self.groups();
        let meters = self.meters();
        for inst in &fm.instructions {
            match inst {
                Instruction::Meter(id) if !meters.contains(*id) => {
                    return Err(MeterModFailedCode::InvalidMeter.into())
                }
                Instruction::ApplyActions(actions) | Instruction::WriteActions(actions)
                    if actions
                        .iter()
                        .any(|a| action_groups(a).any(|g| !groups.contains(g))) =>
                {
                    return Err(BadActionCode::BadOutGroup.into())
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The group and meter multipart requests.
    pub(crate) fn group_meter_multipart(
        &self,
        request: &MpRequest,
        now_ms: u64,
    ) -> Result<MpReply, OfpError> {
        match request {
            MpRequest::GroupDesc => Ok(MpReply::GroupDesc(self.groups().descs())),
            MpRequest::GroupFeatures => Ok(MpReply::GroupFeatures(group::features())),
            MpRequest::Group { group_id } => {
                let tables = self.tables();
                let ref_count = |id| count_rules(&tables, |rule| rule.uses_group(id));
                Ok(MpReply::Group(
                    self.groups().stats(*group_id, now_ms, ref_count),
                ))
            }
            MpRequest::MeterConfig { meter_id } => Ok(MpReply::MeterConfig(MeterConfigs(
                self.meters().configs(*meter_id)?,
            ))),
            MpRequest::MeterFeatures => Ok(MpReply::MeterFeatures(meter::features())),
            MpRequest::Meter { meter_id } => {
                let tables = self.tables();
                let flow_count = |id| count_rules(&tables, |rule| uses_meter(rule, id));
                Ok(MpReply::Meter(MeterStatsList(
                    self.meters().stats(*meter_id, now_ms, flow_count)?,
                )))
            }
            _ => Err(BadRequestCode::BadStat.into()),
        }
    }
}

fn uses_meter(rule: &Rule, meter_id: u32) -> bool {
    rule.instructions.contains(&Instruction::Meter(meter_id))
}

/// The groups an action sends to (inside `clone` too).
fn action_groups(action: &Action) -> Box<dyn Iterator<Item = u32> + '_> {
    match action {
        Action::Group(g) => Box::new(std::iter::once(g.group_id)),
        Action::Clone(c) => Box::new(c.actions.iter().flat_map(action_groups)),
        _ => Box::new(std::iter::empty()),
    }
}

/// Every rule of every table, with its table.
fn all_rules(tables: &Tables) -> impl Iterator<Item = (u8, &Rule)> {
    (0..TABLE_ALL).flat_map(move |id| {
        tables
            .table(id)
            .into_iter()
            .flat_map(|t| t.iter())
            .map(move |(_, _, rule)| (id, rule))
    })
}

fn count_rules(tables: &Tables, pred: impl Fn(&Rule) -> bool) -> u32 {
    let n = all_rules(tables).filter(|(_, rule)| pred(rule)).count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
#[path = "bridge_groups_tests.rs"]
mod tests;
