//! A bridge's OpenFlow tables and the OpenFlow 1.3 flow-mod semantics over
//! them: add (replace, `check_overlap`, `reset_counts`), modify and delete,
//! strict and not, with cookie, `out_port` and `out_group` filters, and
//! idle and hard timeouts. What a flow-mod removes comes back with its
//! reason, so that the connection layer can send FLOW_REMOVED.
//!
//! Rule lookup for packets is the [`Classifier`]'s; this module owns the
//! rules' life cycle, not translation or statistics collection.

use nxm_fields::port::{to_ofp10, OFPP_ANY, OFPP_CONTROLLER};
use nxm_fields::Match;
use openflow_codec::action::Action;
use openflow_codec::error::{FlowModFailedCode, OfpError};
use openflow_codec::instruction::Instruction;
use openflow_codec::message::flow_mod::{flags, FlowMod, FlowModCommand, OFPG_ANY, TABLE_ALL};

use std::sync::Arc;

use crate::classifier::Classifier;
use crate::learned::LearnedCookies;
use crate::rule_stats::{RuleStats, TableStats};

/// How many tables a bridge has (0..=254; 255 means "all").
pub const N_TABLES: usize = 255;

/// One flow entry.
#[derive(Debug, Clone)]
pub struct Rule {
    pub cookie: u64,
    pub priority: u16,
    pub r#match: Match,
    pub instructions: Vec<Instruction>,
    pub idle_timeout: u16,
    pub hard_timeout: u16,
    /// `ofp_flow_mod_flags` as given.
    pub flags: u16,
    /// When it was added (milliseconds).
    pub created_ms: u64,
    /// Packets, bytes and last use, credited by the datapath.
    pub stats: Arc<RuleStats>,
}

impl Rule {
    fn from_flow_mod(fm: &FlowMod, now_ms: u64) -> Rule {
        Rule {
            cookie: fm.cookie,
            priority: fm.priority,
            r#match: fm.r#match.clone(),
            instructions: fm.instructions.clone(),
            idle_timeout: fm.idle_timeout,
            hard_timeout: fm.hard_timeout,
            flags: fm.flags,
            created_ms: now_ms,
            stats: RuleStats::new(now_ms),
        }
    }

    /// The idle and hard timeouts, as a `fin_timeout` may have cut them.
    pub fn timeouts(&self) -> (u16, u16) {
        self.stats.timeouts(self.idle_timeout, self.hard_timeout)
    }

    /// Whether the rule's actions send to `port` (OpenFlow 1.1+ number),
    /// as OpenFlow's `out_port` filter asks. `OFPP_ANY` accepts every rule.
    pub fn outputs_to(&self, port: u32) -> bool {
        port == OFPP_ANY || self.actions().any(|a| action_outputs_to(a, port))
    }

    /// Whether the rule's actions use group `group` (`OFPG_ANY`: any rule).
    pub fn uses_group(&self, group: u32) -> bool {
        group == OFPG_ANY || self.actions().any(|a| action_uses_group(a, group))
    }

    /// The actions of the apply-actions and write-actions instructions.
    fn actions(&self) -> impl Iterator<Item = &Action> {
        self.instructions.iter().flat_map(|inst| match inst {
            Instruction::ApplyActions(a) | Instruction::WriteActions(a) => a.as_slice(),
            _ => &[],
        })
    }

    fn cookie_matches(&self, cookie: u64, mask: u64) -> bool {
        (self.cookie ^ cookie) & mask == 0
    }
}

fn action_outputs_to(action: &Action, port: u32) -> bool {
    match action {
        Action::Output(o) => o.port == to_ofp10(port),
        Action::Controller(_) => port == OFPP_CONTROLLER,
        Action::Clone(c) => c.actions.iter().any(|a| action_outputs_to(a, port)),
        _ => false,
    }
}

fn action_uses_group(action: &Action, group: u32) -> bool {
    match action {
        Action::Group(g) => g.group_id == group,
        Action::Clone(c) => c.actions.iter().any(|a| action_uses_group(a, group)),
        _ => false,
    }
}

/// Why a rule left its table (`ofp_flow_removed_reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovedReason {
    IdleTimeout = 0,
    HardTimeout = 1,
    Delete = 2,
}

/// A rule that left a table.
#[derive(Debug, Clone)]
pub struct Removed {
    pub table_id: u8,
    pub rule: Rule,
    pub reason: RemovedReason,
}

/// The tables of one bridge.
#[derive(Debug)]
pub struct Tables {
    tables: Vec<Classifier<Rule>>,
    /// Each table's lookup counters.
    stats: Vec<Arc<TableStats>>,
    /// The most rules one table may hold.
    max_rules: usize,
    /// The `delete_learned` learns of the rules in the tables.
    learned: LearnedCookies,
}

impl Tables {
    /// `N_TABLES` empty tables, each holding at most `max_rules` rules.
    pub fn new(max_rules: usize) -> Self {
        Tables {
            tables: (0..N_TABLES).map(|_| Classifier::new()).collect(),
            stats: (0..N_TABLES).map(|_| Arc::default()).collect(),
            max_rules,
            learned: LearnedCookies::default(),
        }
    }

    pub fn table(&self, id: u8) -> Option<&Classifier<Rule>> {
        self.tables.get(usize::from(id))
    }

    /// Table `id`'s lookup counters.
    pub fn table_stats(&self, id: u8) -> Option<&Arc<TableStats>> {
        self.stats.get(usize::from(id))
    }

    /// Table `id`'s rules, for statistics and translation.
    pub fn table_mut(&mut self, id: u8) -> Option<&mut Classifier<Rule>> {
        self.tables.get_mut(usize::from(id))
    }

    /// Applies a flow-mod at time `now_ms`; returns what it removed
    /// (with the flows of `delete_learned` learns whose last learner it
    /// removed or changed).
    pub fn apply(&mut self, fm: &FlowMod, now_ms: u64) -> Result<Vec<Removed>, OfpError> {
        let mut removed = match fm.command {
            FlowModCommand::Add => self.add(fm, now_ms).map(|()| Vec::new())?,
            FlowModCommand::Modify | FlowModCommand::ModifyStrict => {
                self.modify(fm, now_ms);
                Vec::new()
            }
            FlowModCommand::Delete | FlowModCommand::DeleteStrict => self.delete(fm),
        };
        self.delete_orphaned_learned(&mut removed);
        Ok(removed)
    }

    /// Puts `rule` in table `t`, replacing any rule with its match and
    /// priority.
    fn put(&mut self, t: usize, r#match: Match, priority: u16, rule: Rule) {
        let Some(table) = self.tables.get_mut(t) else {
            return;
        };
        self.learned.added(&rule);
        if let Some(old) = table.insert(r#match, priority, rule) {
            self.learned.removed(&old);
        }
    }

    /// Takes the rule with `match` and `priority` out of table `t`.
    fn take(&mut self, t: usize, r#match: &Match, priority: u16) -> Option<Rule> {
        let rule = self.tables.get_mut(t)?.remove(r#match, priority)?;
        self.learned.removed(&rule);
        Some(rule)
    }

    /// Deletes the flows of every `delete_learned` learn (table and
    /// cookie) whose last learning rule left (OVS's learned cookies).
    fn delete_orphaned_learned(&mut self, removed: &mut Vec<Removed>) {
        while let Some((table_id, cookie)) = self.learned.next_orphan() {
            let t = usize::from(table_id);
            let doomed: Vec<(Match, u16)> = self
                .tables
                .get(t)
                .into_iter()
                .flat_map(|table| table.iter())
                .filter(|(_, _, rule)| rule.cookie == cookie)
                .map(|(m, p, _)| (m.clone(), p))
                .collect();
            for (m, p) in doomed {
                if let Some(rule) = self.take(t, &m, p) {
                    removed.push(Removed {
                        table_id,
                        rule,
                        reason: RemovedReason::Delete,
                    });
                }
            }
        }
    }

    fn add(&mut self, fm: &FlowMod, now_ms: u64) -> Result<(), OfpError> {
        let max_rules = self.max_rules;
        let table = self
            .table(fm.table_id)
            .ok_or(OfpError::from(FlowModFailedCode::BadTableId))?;
        let existing = table.get(&fm.r#match, fm.priority).cloned();
        if fm.flags & flags::CHECK_OVERLAP != 0
            && existing.is_none()
            && table
                .iter()
                .any(|(m, p, _)| p == fm.priority && m.overlaps(&fm.r#match))
        {
            return Err(FlowModFailedCode::Overlap.into());
        }
        if existing.is_none() && table.len() >= max_rules {
            return Err(FlowModFailedCode::TableFull.into());
        }
        let mut rule = Rule::from_flow_mod(fm, now_ms);
        // A replaced rule keeps its counters unless asked to reset them.
        if let Some(old) = existing {
            if fm.flags & flags::RESET_COUNTS == 0 {
                rule.stats = RuleStats::carried(old.stats.packets(), old.stats.bytes(), now_ms);
            }
        }
        self.put(
            usize::from(fm.table_id),
            fm.r#match.clone(),
            fm.priority,
            rule,
        );
        Ok(())
    }

    /// What a `learn` does to the rule it finds with another cookie or
    /// other actions (OVS's strict modify): the rule takes the flow-mod's
    /// cookie and instructions, keeping its timeouts, flags and counters,
    /// and its hard timeout restarts at `now_ms`. Returns what left with
    /// it (the flows of `delete_learned` learns it no longer has).
    pub fn relearn(&mut self, fm: &FlowMod, now_ms: u64) -> Vec<Removed> {
        let t = usize::from(fm.table_id);
        let mut removed = Vec::new();
        if let Some(old) = self.take(t, &fm.r#match, fm.priority) {
            old.stats.refresh(now_ms);
            let rule = Rule {
                cookie: fm.cookie,
                instructions: fm.instructions.clone(),
                ..old
            };
            self.put(t, fm.r#match.clone(), fm.priority, rule);
        }
        self.delete_orphaned_learned(&mut removed);
        removed
    }

    /// The tables a modify or delete looks at.
    fn target_tables(&self, table_id: u8) -> std::ops::Range<usize> {
        if table_id == TABLE_ALL {
            0..self.tables.len()
        } else {
            let id = usize::from(table_id);
            id..(id + 1).min(self.tables.len())
        }
    }

    /// The (match, priority) of every rule a modify or delete selects.
    fn selected(&self, fm: &FlowMod, table_id: usize) -> Vec<(Match, u16)> {
        let strict = matches!(
            fm.command,
            FlowModCommand::ModifyStrict | FlowModCommand::DeleteStrict
        );
        let filters_outputs = matches!(
            fm.command,
            FlowModCommand::Delete | FlowModCommand::DeleteStrict
        );
        let Some(table) = self.tables.get(table_id) else {
            return Vec::new();
        };
        table
            .iter()
            .filter(|(m, p, rule)| {
                let matched = if strict {
                    *p == fm.priority && **m == fm.r#match
                } else {
                    m.is_within(&fm.r#match)
                };
                matched
                    && rule.cookie_matches(fm.cookie, fm.cookie_mask)
                    && (!filters_outputs
                        || (rule.outputs_to(fm.out_port) && rule.uses_group(fm.out_group)))
            })
            .map(|(m, p, _)| (m.clone(), p))
            .collect()
    }

    fn modify(&mut self, fm: &FlowMod, now_ms: u64) {
        for t in self.target_tables(fm.table_id) {
            for (m, p) in self.selected(fm, t) {
                let Some(old) = self.take(t, &m, p) else {
                    continue;
                };
                let mut rule = Rule {
                    instructions: fm.instructions.clone(),
                    ..old
                };
                if fm.flags & flags::RESET_COUNTS != 0 {
                    rule.stats = RuleStats::new(now_ms);
                    rule.created_ms = now_ms;
                }
                self.put(t, m, p, rule);
            }
        }
    }

    fn delete(&mut self, fm: &FlowMod) -> Vec<Removed> {
        let mut removed = Vec::new();
        for t in self.target_tables(fm.table_id) {
            for (m, p) in self.selected(fm, t) {
                if let Some(rule) = self.take(t, &m, p) {
                    removed.push(Removed {
                        table_id: t as u8,
                        rule,
                        reason: RemovedReason::Delete,
                    });
                }
            }
        }
        removed
    }

    /// Removes the rules whose idle or hard timeout has passed at `now_ms`.
    pub fn expire(&mut self, now_ms: u64) -> Vec<Removed> {
        let mut removed = Vec::new();
        for t in 0..self.tables.len() {
            let Some(table) = self.tables.get(t) else {
                continue;
            };
            let due: Vec<(Match, u16, RemovedReason)> = table
                .iter()
                .filter_map(|(m, p, rule)| {
                    expiry(rule, now_ms).map(|reason| (m.clone(), p, reason))
                })
                .collect();
            for (m, p, reason) in due {
                if let Some(rule) = self.take(t, &m, p) {
                    removed.push(Removed {
                        table_id: t as u8,
                        rule,
                        reason,
                    });
                }
            }
        }
        self.delete_orphaned_learned(&mut removed);
        removed
    }
}

/// Whether and why `rule` has timed out at `now_ms` (hard wins a tie).
/// The hard timeout runs from the rule's addition or its last re-learning.
fn expiry(rule: &Rule, now_ms: u64) -> Option<RemovedReason> {
    let passed = |since: u64, secs: u16| secs != 0 && now_ms >= since + u64::from(secs) * 1000;
    let hard_since = rule.created_ms.max(rule.stats.refreshed_ms());
    let (idle_timeout, hard_timeout) = rule.timeouts();
    if passed(hard_since, hard_timeout) {
        Some(RemovedReason::HardTimeout)
    } else if passed(rule.stats.used_ms(), idle_timeout) {
        Some(RemovedReason::IdleTimeout)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openflow_codec::text::flow_mod::parse_flow_mod;

    fn fm(text: &str, command: FlowModCommand) -> FlowMod {
        parse_flow_mod(text, command).unwrap().flow_mod
    }

    fn add(t: &mut Tables, text: &str) -> Result<(), OfpError> {
        t.apply(&fm(text, FlowModCommand::Add), 0).map(|_| ())
    }

    fn count(t: &Tables) -> usize {
        (0..=254u8)
            .filter_map(|id| t.table(id))
            .map(Classifier::len)
            .sum()
    }

    fn stats_of(t: &Tables, text: &str) -> Arc<RuleStats> {
        let f = fm(text, FlowModCommand::Add);
        let rule = t.table(0).unwrap().get(&f.r#match, f.priority).unwrap();
        Arc::clone(&rule.stats)
    }

    #[test]
    fn add_replaces_an_identical_rule_and_keeps_its_counters() {
        let mut t = Tables::new(100);
        add(&mut t, "priority=5,tcp,actions=output:1").unwrap();
        stats_of(&t, "priority=5,tcp,actions=drop").credit(9, 540, 1);
        add(&mut t, "priority=5,tcp,actions=output:2").unwrap();
        assert_eq!(count(&t), 1);
        let kept = stats_of(&t, "priority=5,tcp,actions=drop");
        assert_eq!((kept.packets(), kept.bytes()), (9, 540));
        add(&mut t, "priority=5,reset_counts,tcp,actions=output:3").unwrap();
        let reset = stats_of(&t, "priority=5,tcp,actions=drop");
        assert_eq!((reset.packets(), reset.bytes()), (0, 0));
        add(&mut t, "priority=6,tcp,actions=output:2").unwrap();
        assert_eq!(count(&t), 2);
    }

    #[test]
    fn check_overlap_refuses_an_overlapping_rule_of_equal_priority() {
        let mut t = Tables::new(100);
        add(&mut t, "priority=5,ip,actions=drop").unwrap();
        assert_eq!(
            add(&mut t, "priority=5,check_overlap,tcp,actions=drop"),
            Err(FlowModFailedCode::Overlap.into())
        );
        add(&mut t, "priority=6,check_overlap,tcp,actions=drop").unwrap();
        add(&mut t, "priority=5,check_overlap,arp,actions=drop").unwrap();
    }

    #[test]
    fn a_full_table_refuses_new_rules_but_not_replacements() {
        let mut t = Tables::new(1);
        add(&mut t, "tcp,actions=drop").unwrap();
        assert_eq!(
            add(&mut t, "udp,actions=drop"),
            Err(FlowModFailedCode::TableFull.into())
        );
        add(&mut t, "tcp,actions=output:1").unwrap();
    }

    #[test]
    fn loose_modify_changes_every_more_specific_rule() {
        let mut t = Tables::new(100);
        add(&mut t, "priority=1,tcp,tp_dst=80,actions=drop").unwrap();
        add(&mut t, "priority=2,tcp,tp_dst=22,actions=drop").unwrap();
        add(&mut t, "priority=3,udp,actions=drop").unwrap();
        t.apply(&fm("tcp,actions=output:7", FlowModCommand::Modify), 0)
            .unwrap();
        let outputs_7 = t
            .table(0)
            .unwrap()
            .iter()
            .filter(|(_, _, r)| r.outputs_to(7))
            .count();
        assert_eq!(outputs_7, 2);
    }

    #[test]
    fn strict_delete_takes_only_the_exact_rule() {
        let mut t = Tables::new(100);
        add(&mut t, "priority=1,tcp,actions=drop").unwrap();
        add(&mut t, "priority=2,tcp,actions=drop").unwrap();
        let removed = t
            .apply(&fm("priority=2,tcp", FlowModCommand::DeleteStrict), 0)
            .unwrap();
        assert_eq!(removed.len(), 1);
        assert_eq!(removed[0].rule.priority, 2);
        assert_eq!(removed[0].reason, RemovedReason::Delete);
        assert_eq!(count(&t), 1);
    }

    #[test]
    fn delete_filters_by_out_port_cookie_and_table() {
        let mut t = Tables::new(100);
        add(&mut t, "cookie=0x10,tcp,actions=output:1").unwrap();
        add(&mut t, "cookie=0x20,udp,actions=output:2").unwrap();
        add(&mut t, "table=3,cookie=0x10,arp,actions=output:1").unwrap();
        let removed = t
            .apply(&fm("out_port=2", FlowModCommand::Delete), 0)
            .unwrap();
        assert_eq!(removed.len(), 1, "only the rule that outputs to 2");
        let removed = t
            .apply(&fm("cookie=0x10/0xff", FlowModCommand::Delete), 0)
            .unwrap();
        assert_eq!(removed.len(), 2, "table ALL by default");
        assert_eq!(count(&t), 0);
    }

    #[test]
    fn timeouts_expire_with_their_reason() {
        let mut t = Tables::new(100);
        t.apply(
            &fm("idle_timeout=10,tcp,actions=drop", FlowModCommand::Add),
            0,
        )
        .unwrap();
        t.apply(
            &fm("hard_timeout=5,udp,actions=drop", FlowModCommand::Add),
            0,
        )
        .unwrap();
        assert!(t.expire(4_999).is_empty());
        let hard = t.expire(5_000);
        assert_eq!(hard.len(), 1);
        assert_eq!(hard[0].reason, RemovedReason::HardTimeout);
        let idle = t.expire(10_000);
        assert_eq!(idle[0].reason, RemovedReason::IdleTimeout);
    }
}
