//! Freezing: translation stops where it needs what only the datapath can
//! give it (the headers a `pop_mpls` exposed, the `dp_hash` a select group
//! picks its bucket by), emits `recirc(ID)` (after `hash(sym_l4(0))` for a
//! select group) and lets the packet's next pass run what was left, as
//! OVS 3.1's translation freezes.
//!
//! The action that needs more freezes (it is the first thing left), then,
//! as the translation unwinds, each action list adds what it had left:
//! the rule's remaining actions and instructions, then those of the rule
//! that resubmitted to it, and so on ([`crate::recirc::Continuation`]).
//! Where the freeze is finished: at the end of the translation (with the
//! action set, which then runs on the next pass), at the end of a group
//! bucket (the actions after the group go on in this pass), or at the end
//! of a clone, inside it (after which, as in OVS, nothing more of the
//! clone's own action list runs).

use datapath::Action as DpAction;
use nxm_fields::format::CHex;
use nxm_fields::{FieldId, Value};
use openflow_codec::action::resubmit::{Resubmit, TABLE_NONE};
use openflow_codec::action::set_field::RegLoad2;
use openflow_codec::action::text::port;
use openflow_codec::action::Action;
use openflow_codec::instruction::Instruction;

use super::commit::commit;
use super::trace::NodeKind;
use super::{Ctx, XlateError};
use crate::recirc::{Continuation, Frozen, Step};

/// A freeze under way.
#[derive(Debug, Default)]
pub(super) struct Freeze {
    /// Compute `dp_hash` with this basis before recirculating.
    hash: Option<u32>,
    steps: Vec<Step>,
    /// The table and cookie the last `Restore` step named.
    restored: Option<(u8, u64)>,
}

impl Ctx<'_> {
    /// Starts freezing (the caller then unrolls, from the action that
    /// asked); `hash` asks the datapath for a `dp_hash` first.
    pub(super) fn trigger_freeze(&mut self, hash: Option<u32>) {
        self.freezing = Some(Freeze {
            hash,
            ..Freeze::default()
        });
        self.exit = true;
    }

    /// Whether a freeze has collected nothing yet (the action that asked
    /// for it is then the first to keep).
    pub(super) fn freeze_is_empty(&self) -> bool {
        self.freezing.as_ref().is_some_and(|f| f.steps.is_empty())
    }

    /// Keeps `actions` for the next pass, each action that may reach the
    /// controller (or resubmit to "this" table) after a note of the table
    /// and rule it runs under.
    pub(super) fn unroll_actions(&mut self, actions: &[Action]) {
        let (table_id, rule_cookie) = (self.table_id, self.rule_cookie);
        let Some(freeze) = self.freezing.as_mut() else {
            return;
        };
        for action in actions {
            let needs_table = match action {
                Action::Output(_)
                | Action::OutputReg(_)
                | Action::OutputTrunc(_)
                | Action::Group(_)
                | Action::Controller(_)
                | Action::DecMplsTtl(_)
                | Action::DecTtl(_) => true,
                Action::Resubmit(r) => r.table == TABLE_NONE,
                // Nothing to run.
                Action::Note(_) | Action::Conjunction(_) => continue,
                _ => false,
            };
            if needs_table && freeze.restored != Some((table_id, rule_cookie)) {
                freeze.steps.push(Step::Restore {
                    table_id,
                    rule_cookie,
                });
                freeze.restored = Some((table_id, rule_cookie));
            }
            freeze.steps.push(Step::Action(action.clone()));
        }
    }

    /// Keeps a rule's remaining `instructions`: its actions, a
    /// `write_metadata` as a load and `goto_table` as a resubmit after
    /// them. The action set is frozen as it is, so writing it now is the
    /// same as writing it on the next pass.
    pub(super) fn unroll_instructions(&mut self, instructions: &[Instruction]) {
        for inst in instructions {
            match inst {
                Instruction::ApplyActions(actions) => self.unroll_actions(actions),
                Instruction::ClearActions => self.action_set.clear(),
                Instruction::WriteActions(actions) => self.write_actions(actions),
                Instruction::WriteMetadata { metadata, mask } => {
                    self.unroll_actions(&[Action::RegLoad2(RegLoad2 {
                        field: FieldId::Metadata,
                        value: Value::from(*metadata),
                        mask: Some(Value::from(*mask)),
                    })])
                }
                Instruction::GotoTable(table) => {
                    self.unroll_actions(&[Action::Resubmit(Resubmit {
                        in_port: port::IN_PORT,
                        table: *table,
                        ct: false,
                        short: false,
                    })])
                }
                // First in a rule: it ran before anything could freeze.
                Instruction::Meter(_) => {}
            }
        }
    }

    /// Keeps the steps of a continuation that were not run.
    fn unroll_steps(&mut self, steps: &[Step]) {
        for step in steps {
            match step {
                Step::Restore { .. } => {
                    if let Some(freeze) = self.freezing.as_mut() {
                        freeze.steps.push(step.clone());
                    }
                }
                Step::Action(action) => self.unroll_actions(std::slice::from_ref(action)),
            }
        }
    }

    /// Finishes a freeze, if one is under way: commits the packet's
    /// changes, then `[hash(...),]recirc(ID)`, ID naming what was kept
    /// and the packet's metadata and action set now.
    pub(super) fn finish_freezing(&mut self) {
        let Some(freeze) = self.freezing.take() else {
            return;
        };
        commit(&self.flow, &mut self.base, &mut self.wc, &mut self.out);
        let mut frozen = self.freeze(0);
        frozen.rest = Some(Continuation {
            steps: freeze.steps,
        });
        let id = self.env.recirc.id_for(frozen);
        if let Some(basis) = freeze.hash {
            self.out.push(DpAction::Hash(basis));
        }
        self.out.push(DpAction::Recirc(id));
    }

    /// Runs a thawed continuation's steps.
    fn run_steps(&mut self, steps: &[Step]) -> Result<(), XlateError> {
        for (i, step) in steps.iter().enumerate() {
            if self.exit {
                break;
            }
            match step {
                Step::Restore {
                    table_id,
                    rule_cookie,
                } => {
                    (self.table_id, self.rule_cookie) = (*table_id, *rule_cookie);
                    self.note(NodeKind::Thaw, |_| {
                        let cookie = CHex(Value::from(*rule_cookie));
                        format!("restored state: table={table_id}, cookie={cookie}")
                    });
                }
                Step::Action(action) => self.do_actions(std::slice::from_ref(action))?,
            }
            if self.freezing.is_some() {
                self.unroll_steps(&steps[i + 1..]);
                break;
            }
        }
        Ok(())
    }

    /// Resumes a recirculated packet: a lookup in the frozen table, or
    /// what was left when translation froze, then the action set (unless
    /// it froze again).
    pub(super) fn resume(&mut self, frozen: &Frozen) -> Result<(), XlateError> {
        match &frozen.rest {
            None => self.run_pipeline(frozen.table_id),
            Some(rest) => {
                self.table_id = frozen.table_id;
                self.frames += 1;
                let result = self.run_steps(&rest.steps);
                self.frames -= 1;
                result?;
                self.run_action_set()
            }
        }
    }
}
