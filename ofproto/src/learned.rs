//! Flows that `learn` actions add, on the tables' side: whether a learned
//! flow is already in place (then it is only refreshed) or may be added
//! under the action's `limit`, and the `delete_learned` bookkeeping that
//! removes the flows a rule learned with the last rule that learns them.
//!
//! Translation instantiates the flow ([`crate::xlate`]); the bridge
//! installs it once translation has released the tables.

use std::collections::HashMap;
use std::sync::Arc;

use openflow_codec::action::learn::flags as learn_flags;
use openflow_codec::action::Action;
use openflow_codec::instruction::Instruction;
use openflow_codec::message::flow_mod::FlowMod;

use crate::bridge::Bridge;
use crate::rule_stats::RuleStats;
use crate::table::{Rule, Tables};

/// A flow a `learn` action asked for: an add flow-mod and the action's
/// `limit` (0: none).
#[derive(Debug, Clone)]
pub struct LearnedFlow {
    pub flow_mod: FlowMod,
    pub limit: u32,
}

/// What learning a flow does to the tables. As OVS's `learn` is a strict
/// modify that adds what it does not find, a rule already there keeps
/// its timeouts and flags: only its cookie and actions are learned.
#[derive(Debug, Clone)]
pub enum Learning {
    /// The rule is there with the cookie and actions: re-learning only
    /// refreshes it.
    Present(Arc<RuleStats>),
    /// The rule is there with another cookie or other actions, which it
    /// takes ([`Tables::relearn`]).
    Modify,
    /// The flow is new and is added.
    Add,
    /// The flow is new or changes a rule, but its table already holds
    /// `limit` rules with its cookie.
    OverLimit,
}

impl Bridge {
    /// Installs the flows a translation's `learn` actions asked for, at
    /// `now_ms`: each is looked at again (another packet may have learned
    /// it meanwhile), refreshed if present, added if the limit allows.
    /// Cached decisions are dropped when a table changed.
    pub(crate) fn install_learned(&self, flows: &[LearnedFlow], now_ms: u64) {
        let mut removed = Vec::new();
        let mut changed = false;
        {
            let mut tables = self.tables_mut();
            for learned in flows {
                match learning(&tables, learned) {
                    Learning::Present(stats) => stats.refresh(now_ms),
                    Learning::OverLimit => {}
                    Learning::Modify => {
                        changed = true;
                        removed.extend(tables.relearn(&learned.flow_mod, now_ms));
                    }
                    // A full table refuses the flow; the packet goes on
                    // as translated, as in OVS.
                    Learning::Add => {
                        if let Ok(gone) = tables.apply(&learned.flow_mod, now_ms) {
                            changed = true;
                            removed.extend(gone);
                        }
                    }
                }
            }
        }
        if changed {
            self.flows_changed();
        }
        self.announce_removed(removed, now_ms);
    }
}

/// What learning `learned` does to `tables`: a rule with its match and
/// priority, its cookie and its instructions is only refreshed; any
/// other change counts against the limit, the rules of the table with
/// the learned cookie.
pub fn learning(tables: &Tables, learned: &LearnedFlow) -> Learning {
    let fm = &learned.flow_mod;
    let Some(table) = tables.table(fm.table_id) else {
        return Learning::OverLimit;
    };
    let existing = table.get(&fm.r#match, fm.priority);
    if let Some(rule) = existing {
        if rule.cookie == fm.cookie && rule.instructions == fm.instructions {
            return Learning::Present(Arc::clone(&rule.stats));
        }
    }
    let limit = learned.limit as usize;
    if limit != 0
        && table
            .iter()
            .filter(|(_, _, r)| r.cookie == fm.cookie)
            .count()
            >= limit
    {
        Learning::OverLimit
    } else if existing.is_some() {
        Learning::Modify
    } else {
        Learning::Add
    }
}

/// The (table, cookie) of every `learn` with `delete_learned` in a rule's
/// actions, nested ones included.
fn delete_learned_keys(rule: &Rule) -> Vec<(u8, u64)> {
    fn walk(actions: &[Action], keys: &mut Vec<(u8, u64)>) {
        for action in actions {
            match action {
                Action::Learn(l) if l.flags & learn_flags::DELETE_LEARNED != 0 => {
                    keys.push((l.table_id, l.cookie));
                }
                Action::Clone(c) => walk(&c.actions, keys),
                _ => {}
            }
        }
    }
    let mut keys = Vec::new();
    for inst in &rule.instructions {
        if let Instruction::ApplyActions(a) | Instruction::WriteActions(a) = inst {
            walk(a, &mut keys);
        }
    }
    keys
}

/// How many rules' `delete_learned` learns name each (table, cookie):
/// when the last goes, the flows of that table with that cookie go too.
#[derive(Debug, Default)]
pub struct LearnedCookies {
    counts: HashMap<(u8, u64), usize>,
    /// Keys whose last learner went, whose flows are still to delete.
    orphaned: Vec<(u8, u64)>,
}

impl LearnedCookies {
    /// `rule` entered a table.
    pub fn added(&mut self, rule: &Rule) {
        for key in delete_learned_keys(rule) {
            *self.counts.entry(key).or_default() += 1;
        }
    }

    /// `rule` left a table.
    pub fn removed(&mut self, rule: &Rule) {
        for key in delete_learned_keys(rule) {
            if let Some(n) = self.counts.get_mut(&key) {
                *n -= 1;
                if *n == 0 {
                    self.counts.remove(&key);
                    self.orphaned.push(key);
                }
            }
        }
    }

    /// The next (table, cookie) whose learned flows must go, unless a
    /// learner of it came back meanwhile.
    pub fn next_orphan(&mut self) -> Option<(u8, u64)> {
        while let Some(key) = self.orphaned.pop() {
            if !self.counts.contains_key(&key) {
                return Some(key);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openflow_codec::message::flow_mod::FlowModCommand;
    use openflow_codec::text::flow_mod::parse_flow_mod;

    fn fm(text: &str) -> FlowMod {
        parse_flow_mod(text, FlowModCommand::Add).unwrap().flow_mod
    }

    fn learned(text: &str, limit: u32) -> LearnedFlow {
        LearnedFlow {
            flow_mod: fm(text),
            limit,
        }
    }

    #[test]
    fn a_rule_with_the_actions_is_present_other_actions_or_cookie_modify_it() {
        let mut t = Tables::new(100);
        let text = "table=1,hard_timeout=60,dl_dst=50:54:00:00:00:01,actions=output:1";
        t.apply(&fm(text), 0).unwrap();
        assert!(matches!(
            learning(&t, &learned(text, 0)),
            Learning::Present(_)
        ));
        let longer = learned(
            "table=1,hard_timeout=90,dl_dst=50:54:00:00:00:01,actions=output:1",
            0,
        );
        assert!(
            matches!(learning(&t, &longer), Learning::Present(_)),
            "timeouts are not learned again"
        );
        let moved = learned(
            "table=1,cookie=0x5,dl_dst=50:54:00:00:00:01,actions=output:3",
            0,
        );
        assert!(matches!(learning(&t, &moved), Learning::Modify));
        assert!(t.relearn(&moved.flow_mod, 7_000).is_empty());
        let fm = &moved.flow_mod;
        let rule = t.table(1).unwrap().get(&fm.r#match, fm.priority).unwrap();
        assert_eq!(
            (rule.cookie, rule.hard_timeout),
            (5, 60),
            "the cookie and actions change, not the timeout"
        );
        assert!(rule.outputs_to(3));
        assert_eq!(
            rule.stats.refreshed_ms(),
            7_000,
            "its hard timeout restarts"
        );
    }

    #[test]
    fn the_limit_counts_the_rules_with_the_same_cookie() {
        let mut t = Tables::new(100);
        t.apply(&fm("table=3,cookie=0x5,udp,actions=drop"), 0)
            .unwrap();
        t.apply(&fm("table=3,cookie=0x6,tcp,actions=drop"), 0)
            .unwrap();
        let next = learned("table=3,cookie=0x5,icmp,actions=drop", 1);
        assert!(matches!(learning(&t, &next), Learning::OverLimit));
        let next = learned("table=3,cookie=0x5,icmp,actions=drop", 2);
        assert!(matches!(learning(&t, &next), Learning::Add));
        let present = learned("table=3,cookie=0x5,udp,actions=drop", 1);
        assert!(matches!(learning(&t, &present), Learning::Present(_)));
        let changed = learned("table=3,cookie=0x5,udp,actions=output:1", 1);
        assert!(matches!(learning(&t, &changed), Learning::OverLimit));
    }

    fn cookies_in(t: &Tables, table: u8) -> Vec<u64> {
        let mut c: Vec<u64> = t
            .table(table)
            .unwrap()
            .iter()
            .map(|(_, _, r)| r.cookie)
            .collect();
        c.sort_unstable();
        c
    }

    #[test]
    fn the_last_delete_learned_learner_takes_its_learned_flows_along() {
        let learner = |prio: u16| {
            fm(&format!(
                "priority={prio},actions=learn(table=2,cookie=0x7,delete_learned,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[])"
            ))
        };
        let mut t = Tables::new(100);
        t.apply(&learner(1), 0).unwrap();
        t.apply(&learner(2), 0).unwrap();
        t.apply(
            &fm("table=2,cookie=0x7,dl_dst=50:54:00:00:00:01,actions=drop"),
            0,
        )
        .unwrap();
        t.apply(
            &fm("table=2,cookie=0x8,dl_dst=50:54:00:00:00:02,actions=drop"),
            0,
        )
        .unwrap();
        t.apply(&fm("table=3,cookie=0x7,actions=drop"), 0).unwrap();
        let strict = |prio: u16| {
            parse_flow_mod(&format!("priority={prio}"), FlowModCommand::DeleteStrict)
                .unwrap()
                .flow_mod
        };
        let removed = t.apply(&strict(1), 0).unwrap();
        assert_eq!(removed.len(), 1, "another rule still learns cookie 0x7");
        assert_eq!(cookies_in(&t, 2), [7, 8]);
        // Replacing the last learner with one that does not learn counts
        // as its removal.
        t.apply(&fm("priority=2,actions=drop"), 0).unwrap();
        assert_eq!(cookies_in(&t, 2), [8], "table 2's cookie 0x7 flows went");
        assert_eq!(cookies_in(&t, 3), [7], "other tables keep theirs");
    }

    #[test]
    fn an_expired_learner_takes_its_learned_flows_along() {
        let mut t = Tables::new(100);
        t.apply(&fm("hard_timeout=5,actions=learn(table=2,delete_learned,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[])"), 0)
            .unwrap();
        t.apply(&fm("table=2,dl_dst=50:54:00:00:00:01,actions=drop"), 0)
            .unwrap();
        let removed = t.expire(5_000);
        assert_eq!(removed.len(), 2);
        assert_eq!(removed[1].table_id, 2);
        assert!(cookies_in(&t, 2).is_empty());
    }
}
