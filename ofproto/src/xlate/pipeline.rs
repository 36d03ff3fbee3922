//! The OpenFlow pipeline: table lookups, a rule's instructions,
//! `goto_table`, `resubmit` (including its `ct` form) and the OpenFlow 1.3
//! action set. Table-miss without a table-miss rule drops (OpenFlow 1.3).

use std::borrow::Cow;
use std::sync::Arc;

use nxm_fields::layout::{self as l, Slot};
use nxm_fields::port::{from_ofp10, OFPP_IN_PORT};
use nxm_fields::{Flow, Value};
use openflow_codec::action::resubmit::{Resubmit, TABLE_NONE};
use openflow_codec::action::{format_actions, Action};
use openflow_codec::instruction::{format_instructions, Instruction};

use super::action_set::execution_order;
use super::trace::NodeKind;
use super::{Ctx, XlateError, MAX_DEPTH, MAX_RESUBMITS, UNSET_PORT};

/// ct_state's "tracked" and "invalid" bits.
const CS_TRACKED: Value = 0x20;
const CS_INVALID: Value = 0x10;

/// Where `resubmit(..,ct)` finds each header field: in the connection's
/// original-direction tuple.
const CT_TUPLE: [(Slot, Slot); 7] = [
    (l::NW_SRC, l::CT_NW_SRC),
    (l::NW_DST, l::CT_NW_DST),
    (l::IPV6_SRC, l::CT_IPV6_SRC),
    (l::IPV6_DST, l::CT_IPV6_DST),
    (l::NW_PROTO, l::CT_NW_PROTO),
    (l::TP_SRC, l::CT_TP_SRC),
    (l::TP_DST, l::CT_TP_DST),
];

impl Ctx<'_> {
    /// Runs the pipeline from `table`, then the action set.
    pub(super) fn run_pipeline(&mut self, table: u8) -> Result<(), XlateError> {
        self.lookup_and_run(table, false)?;
        self.run_action_set()
    }

    /// Looks the flow up in `table_id` (through the ct tuple if asked) and
    /// runs the rule found.
    pub(super) fn lookup_and_run(
        &mut self,
        table_id: u8,
        ct_tuple: bool,
    ) -> Result<(), XlateError> {
        if self.exit {
            return Ok(());
        }
        let tables = self.env.tables;
        let Some(classifier) = tables.table(table_id) else {
            return Ok(());
        };
        let key = match self.lookup_in_port.take() {
            Some(port) => {
                let mut key = self.flow.clone();
                key.set(l::IN_PORT, port);
                Cow::Owned(key)
            }
            None => Cow::Borrowed(&self.flow),
        };
        let lookup = if ct_tuple {
            let found = classifier.lookup(&ct_tuple_key(&key));
            let mut consulted = found.consulted.clone();
            for (header, orig) in CT_TUPLE {
                consulted.set(orig, consulted.get(orig) | consulted.get(header));
                consulted.set(header, 0);
            }
            self.wc.or_with(&consulted);
            found.rule
        } else {
            let found = classifier.lookup(&key);
            self.wc.or_with(&found.consulted);
            found.rule
        };
        if let Some(stats) = tables.table_stats(table_id) {
            self.credits
                .lookups
                .push((Arc::clone(stats), lookup.is_some()));
        }
        // No rule: OpenFlow 1.3's table-miss default is to drop.
        let Some((r#match, priority, rule)) = lookup else {
            let entered = self.note_enter(NodeKind::Table, || format!("{table_id:2}. No match."));
            self.note(NodeKind::Action, |_| "drop".into());
            self.note_leave(entered);
            return Ok(());
        };
        let entered = self.note_enter(NodeKind::Table, || {
            rule_text(table_id, r#match, priority, rule.cookie)
        });
        self.credits.rules.push(Arc::clone(&rule.stats));
        let saved_rule = self.rule_stats.replace(Arc::clone(&rule.stats));
        let saved = (self.table_id, self.rule_cookie, self.rule_is_table_miss);
        self.table_id = table_id;
        self.rule_cookie = rule.cookie;
        self.rule_is_table_miss = priority == 0 && r#match.is_catch_all();
        self.frames += 1;
        let result = self.run_instructions(&rule.instructions);
        self.frames -= 1;
        // As in OVS, what follows the first table (the action set) is
        // reported under it.
        self.note_leave(entered && self.frames > 0);
        (self.table_id, self.rule_cookie, self.rule_is_table_miss) = saved;
        self.rule_stats = saved_rule;
        result
    }

    fn run_instructions(&mut self, instructions: &[Instruction]) -> Result<(), XlateError> {
        if self.tracing() && format_instructions(instructions) == "drop" {
            self.note(NodeKind::Action, |_| "drop".into());
        }
        for (k, inst) in instructions.iter().enumerate() {
            if self.exit {
                break;
            }
            if self.was_mpls && !matches!(inst, Instruction::ApplyActions(_)) {
                // After a pop, the rest of the rule needs the exposed
                // header: it runs after a recirculation (untraced here).
                self.trigger_freeze(None);
                self.unroll_instructions(&instructions[k..]);
                break;
            }
            if !matches!(inst, Instruction::ApplyActions(_)) {
                self.note(NodeKind::Action, |_| {
                    format_instructions(std::slice::from_ref(inst))
                });
            }
            match inst {
                Instruction::Meter(id) => self.meter(*id),
                Instruction::ApplyActions(actions) => self.do_actions(actions)?,
                Instruction::ClearActions => {
                    self.report_action_set("was");
                    self.action_set.clear();
                    self.flow.set(l::ACTSET_OUTPUT, UNSET_PORT);
                }
                Instruction::WriteActions(actions) => {
                    self.write_actions(actions);
                    self.report_action_set("is");
                }
                Instruction::WriteMetadata { metadata, mask } => {
                    let old = self.flow.get(l::METADATA) as u64;
                    let new = (old & !mask) | (metadata & mask);
                    self.flow.set(l::METADATA, Value::from(new));
                }
                Instruction::GotoTable(table) => self.nested_lookup(*table, false)?,
            }
            if self.freezing.is_some() {
                // What the rule had left after this instruction.
                let from = if self.freeze_is_empty() { k } else { k + 1 };
                self.unroll_instructions(&instructions[from..]);
                break;
            }
        }
        Ok(())
    }

    /// `resubmit([PORT],[TABLE][,ct])`.
    pub(super) fn resubmit(&mut self, r: &Resubmit) -> Result<(), XlateError> {
        let table = if r.table == TABLE_NONE {
            self.table_id
        } else {
            r.table
        };
        if r.ct {
            // Only a tracked, valid packet with an IP connection has an
            // original tuple to look up with.
            // The rule's match already looks at these bits (a flow-mod is
            // refused otherwise), so the megaflow needs nothing more.
            let state = self.flow.get(l::CT_STATE);
            if state & CS_TRACKED == 0
                || state & CS_INVALID != 0
                || self.flow.get(l::CT_NW_PROTO) == 0
            {
                self.note(NodeKind::Error, |_| {
                    "resubmit(ct) with non-tracked or non-IP packet!".into()
                });
                return Ok(());
            }
        }
        let in_port = from_ofp10(r.in_port);
        if in_port != OFPP_IN_PORT {
            self.lookup_in_port = Some(Value::from(in_port));
        }
        self.resubmitted += 1;
        let result = self.nested_lookup(table, r.ct);
        self.resubmitted -= 1;
        // Not used when the limits stopped the lookup.
        self.lookup_in_port = None;
        result
    }

    /// A lookup from within a rule (`resubmit`, `goto_table`), within
    /// OVS's limits: 64 levels of resubmits to the same or an earlier
    /// table (which may loop; later tables cannot), 4096 in all.
    pub(super) fn nested_lookup(&mut self, table_id: u8, ct_tuple: bool) -> Result<(), XlateError> {
        if self.depth >= MAX_DEPTH {
            self.note(NodeKind::Error, |_| {
                format!("over max translation depth {MAX_DEPTH}")
            });
            return Err(XlateError::TooDeep);
        }
        if self.resubmits >= MAX_RESUBMITS {
            self.note(NodeKind::Error, |_| {
                format!("over {MAX_RESUBMITS} resubmit actions")
            });
            return Err(XlateError::TooManyResubmits);
        }
        self.resubmits += 1;
        let deepens = table_id <= self.table_id;
        self.depth += usize::from(deepens);
        let result = self.lookup_and_run(table_id, ct_tuple);
        self.depth -= usize::from(deepens);
        result
    }

    /// `write_actions`: as in OVS 3.1, the set keeps every action written,
    /// in order; running it picks the last of each kind and every set and
    /// move ([`execution_order`]). actset_output follows the outputs
    /// written until a group is (which unsets it for good).
    pub(super) fn write_actions(&mut self, actions: &[Action]) {
        if !self
            .action_set
            .iter()
            .any(|a| matches!(a, Action::Group(_)))
        {
            for action in actions {
                match action {
                    Action::Output(o) => {
                        self.flow
                            .set(l::ACTSET_OUTPUT, Value::from(from_ofp10(o.port)));
                    }
                    Action::Group(_) => {
                        self.flow.set(l::ACTSET_OUTPUT, UNSET_PORT);
                        break;
                    }
                    _ => {}
                }
            }
        }
        self.action_set.extend_from_slice(actions);
    }

    /// A trace shows the action set as what it would run now (OVS 3.1's
    /// "action set is: ...", "... is empty").
    fn report_action_set(&mut self, verb: &str) {
        if !self.tracing() {
            return;
        }
        let set = execution_order(&self.action_set);
        self.note(NodeKind::Detail, |_| {
            if set.is_empty() {
                format!("action set {verb} empty")
            } else {
                format!("action set {verb}: {}", format_actions(&set))
            }
        });
    }

    /// Runs and empties the action set ([`execution_order`]).
    pub(super) fn run_action_set(&mut self) -> Result<(), XlateError> {
        // A freeze keeps the action set for the next pass.
        if self.action_set.is_empty() || self.exit || self.freezing.is_some() {
            return Ok(());
        }
        let set = execution_order(&std::mem::take(&mut self.action_set));
        if set.is_empty() {
            return Ok(());
        }
        let entered = self.note_enter(NodeKind::Table, || "--. Executing action set:".into());
        let was_in_action_set = std::mem::replace(&mut self.in_action_set, true);
        let result = self.do_actions(&set);
        self.in_action_set = was_in_action_set;
        self.note_leave(entered);
        result
    }
}

/// The flow a `resubmit(,T,ct)` looks up: headers from the ct tuple.
fn ct_tuple_key(flow: &Flow) -> Flow {
    let mut key = flow.clone();
    for (header, orig) in CT_TUPLE {
        key.set(header, flow.get(orig));
    }
    key
}

/// A table's line in a trace: the rule's match, priority and cookie.
fn rule_text(table_id: u8, r#match: &nxm_fields::Match, priority: u16, cookie: u64) -> String {
    let mut text = format!("{table_id:2}. {match}");
    if !text.ends_with(' ') {
        text.push_str(", ");
    }
    text.push_str(&format!("priority {priority}"));
    if cookie != 0 {
        text.push_str(&format!(", cookie {cookie:#x}"));
    }
    text
}
