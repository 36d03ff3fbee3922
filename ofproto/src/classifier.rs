//! The flow-table classifier: rules with a priority and an arbitrary
//! [`Match`], and a lookup that finds the highest-priority rule matching a
//! packet's [`Flow`].
//!
//! Tuple space search: rules are grouped into subtables, one per distinct
//! mask. A subtable is a hash table keyed by the packet's bits under that
//! mask, restricted to the 64-bit words of the flow image the mask touches,
//! so a lookup hashes a few words per subtable, not the whole image.
//! Subtables are visited in order of the highest priority they hold, and
//! the search stops as soon as no remaining subtable can beat the best rule
//! found. The lookup also reports every mask bit it consulted: that is the
//! part of the packet the answer depends on, which the datapath's megaflow
//! cache needs.

use std::collections::HashMap;

use nxm_fields::{Flow, Match};

/// The flow image as 64-bit words.
fn words(flow: &Flow) -> impl Iterator<Item = u64> + '_ {
    flow.as_bytes()
        .chunks_exact(8)
        .map(|w| u64::from_ne_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]))
}

/// One rule of a subtable.
#[derive(Debug, Clone)]
struct Entry<T> {
    priority: u16,
    r#match: Match,
    value: T,
}

/// The rules that share one mask.
#[derive(Debug, Clone)]
struct Subtable<T> {
    mask: Flow,
    /// Indices of the mask's nonzero words, and those words.
    word_index: Vec<usize>,
    mask_words: Vec<u64>,
    /// Rules by their masked key; each list sorted by priority, highest
    /// first, and among equals, oldest first.
    rules: HashMap<Box<[u64]>, Vec<Entry<T>>>,
    max_priority: u16,
    len: usize,
}

impl<T> Subtable<T> {
    fn new(mask: &Flow) -> Self {
        let (word_index, mask_words) = words(mask).enumerate().filter(|(_, w)| *w != 0).unzip();
        Subtable {
            mask: mask.clone(),
            word_index,
            mask_words,
            rules: HashMap::new(),
            max_priority: 0,
            len: 0,
        }
    }

    /// The key of `flow` in this subtable.
    fn key(&self, flow: &Flow) -> Box<[u64]> {
        let all: Vec<u64> = words(flow).collect();
        self.word_index
            .iter()
            .zip(&self.mask_words)
            .map(|(&i, &m)| all.get(i).map_or(0, |w| w & m))
            .collect()
    }

    fn recompute_max_priority(&mut self) {
        self.max_priority = self
            .rules
            .values()
            .filter_map(|list| list.first().map(|e| e.priority))
            .max()
            .unwrap_or(0);
    }
}

/// What a lookup found.
#[derive(Debug)]
pub struct Lookup<'a, T> {
    /// The highest-priority matching rule: its match, priority and value.
    pub rule: Option<(&'a Match, u16, &'a T)>,
    /// Every bit of the packet the answer depended on.
    pub consulted: Flow,
}

/// A set of rules, each identified by its match and priority.
#[derive(Debug, Clone)]
pub struct Classifier<T> {
    /// Sorted by `max_priority`, highest first.
    subtables: Vec<Subtable<T>>,
}

impl<T> Default for Classifier<T> {
    fn default() -> Self {
        Classifier {
            subtables: Vec::new(),
        }
    }
}

impl<T> Classifier<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many rules the classifier holds.
    pub fn len(&self) -> usize {
        self.subtables.iter().map(|st| st.len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn sort_subtables(&mut self) {
        self.subtables.retain(|st| st.len > 0);
        self.subtables
            .sort_by_key(|st| std::cmp::Reverse(st.max_priority));
    }

    /// Adds a rule. A rule with the same match and priority is replaced,
    /// and its value returned.
    pub fn insert(&mut self, r#match: Match, priority: u16, value: T) -> Option<T> {
        let pos = match self
            .subtables
            .iter()
            .position(|st| st.mask == *r#match.mask())
        {
            Some(pos) => pos,
            None => {
                self.subtables.push(Subtable::new(r#match.mask()));
                self.subtables.len() - 1
            }
        };
        let st = &mut self.subtables[pos];
        let list = st.rules.entry(st.key(r#match.flow())).or_default();
        if let Some(old) = list
            .iter_mut()
            .find(|e| e.priority == priority && e.r#match == r#match)
        {
            return Some(std::mem::replace(&mut old.value, value));
        }
        // After every rule of higher or equal priority: among equals the
        // oldest rule wins, which keeps lookups deterministic.
        let at = list.partition_point(|e| e.priority >= priority);
        list.insert(
            at,
            Entry {
                priority,
                r#match,
                value,
            },
        );
        st.len += 1;
        st.max_priority = st.max_priority.max(priority);
        self.sort_subtables();
        None
    }

    /// Removes the rule with exactly this match and priority.
    pub fn remove(&mut self, r#match: &Match, priority: u16) -> Option<T> {
        let pos = self
            .subtables
            .iter()
            .position(|st| st.mask == *r#match.mask())?;
        let st = &mut self.subtables[pos];
        let key = st.key(r#match.flow());
        let list = st.rules.get_mut(&key)?;
        let at = list
            .iter()
            .position(|e| e.priority == priority && e.r#match == *r#match)?;
        let entry = list.remove(at);
        if list.is_empty() {
            st.rules.remove(&key);
        }
        st.len -= 1;
        st.recompute_max_priority();
        self.sort_subtables();
        Some(entry.value)
    }

    /// The rule with exactly this match and priority (a "strict" lookup).
    pub fn get(&self, r#match: &Match, priority: u16) -> Option<&T> {
        let st = self
            .subtables
            .iter()
            .find(|st| st.mask == *r#match.mask())?;
        st.rules
            .get(&st.key(r#match.flow()))?
            .iter()
            .find(|e| e.priority == priority && e.r#match == *r#match)
            .map(|e| &e.value)
    }

    /// The value of the rule with exactly this match and priority, to update.
    pub fn get_mut(&mut self, r#match: &Match, priority: u16) -> Option<&mut T> {
        let st = self
            .subtables
            .iter_mut()
            .find(|st| st.mask == *r#match.mask())?;
        let key = st.key(r#match.flow());
        st.rules
            .get_mut(&key)?
            .iter_mut()
            .find(|e| e.priority == priority && e.r#match == *r#match)
            .map(|e| &mut e.value)
    }

    /// The highest-priority rule matching `flow`, and what it depended on.
    pub fn lookup(&self, flow: &Flow) -> Lookup<'_, T> {
        let mut best: Option<&Entry<T>> = None;
        let mut consulted = Flow::zero();
        for st in &self.subtables {
            if best.is_some_and(|b| st.max_priority <= b.priority) {
                break;
            }
            consulted.or_with(&st.mask);
            // A rule that asks for tunnel options matches no packet yet.
            let Some(entry) = st
                .rules
                .get(&st.key(flow))
                .and_then(|l| l.iter().find(|e| e.r#match.tun_metadata().is_empty()))
            else {
                continue;
            };
            if best.is_none_or(|b| entry.priority > b.priority) {
                best = Some(entry);
            }
        }
        Lookup {
            rule: best.map(|e| (&e.r#match, e.priority, &e.value)),
            consulted,
        }
    }

    /// Every rule, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&Match, u16, &T)> {
        self.subtables
            .iter()
            .flat_map(|st| st.rules.values().flatten())
            .map(|e| (&e.r#match, e.priority, &e.value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nxm_fields::layout as l;
    use proptest::prelude::*;

    fn m(items: &[(&str, &str)]) -> Match {
        let mut m = Match::catch_all();
        for (k, v) in items {
            m.apply_text(k, Some(v)).unwrap();
        }
        m
    }

    fn tcp_packet(dst_port: u16, src: u32) -> Flow {
        let mut f = Flow::zero();
        f.set(l::ETH_TYPE, 0x0800);
        f.set(l::NW_PROTO, 6);
        f.set(l::NW_SRC, u128::from(src));
        f.set(l::TP_DST, u128::from(dst_port));
        f
    }

    #[test]
    fn the_highest_priority_match_wins() {
        let mut c = Classifier::new();
        c.insert(m(&[("ip", "")]), 10, "ip");
        c.insert(m(&[("tcp", ""), ("tp_dst", "80")]), 20, "web");
        c.insert(Match::catch_all(), 0, "miss");
        assert_eq!(c.lookup(&tcp_packet(80, 1)).rule.map(|r| *r.2), Some("web"));
        assert_eq!(c.lookup(&tcp_packet(22, 1)).rule.map(|r| *r.2), Some("ip"));
        assert_eq!(c.lookup(&Flow::zero()).rule.map(|r| *r.2), Some("miss"));
    }

    #[test]
    fn arbitrary_masks_classify() {
        let mut c = Classifier::new();
        c.insert(
            m(&[("ip", ""), ("nw_src", "10.0.0.0/255.0.255.0")]),
            5,
            "odd",
        );
        // 10.x.0.x matches whatever x is; 10.x.1.x does not.
        assert!(c.lookup(&tcp_packet(1, 0x0a63_0063)).rule.is_some());
        assert!(c.lookup(&tcp_packet(1, 0x0a63_0163)).rule.is_none());
    }

    #[test]
    fn same_match_and_priority_replaces_and_remove_takes_it_out() {
        let mut c = Classifier::new();
        let rule = m(&[("tcp", "")]);
        assert_eq!(c.insert(rule.clone(), 7, 1), None);
        assert_eq!(c.insert(rule.clone(), 7, 2), Some(1));
        assert_eq!(c.insert(rule.clone(), 8, 3), None);
        assert_eq!(c.len(), 2);
        assert_eq!(c.get(&rule, 7), Some(&2));
        assert_eq!(c.remove(&rule, 8), Some(3));
        assert_eq!(c.lookup(&tcp_packet(1, 1)).rule.map(|r| *r.2), Some(2));
        assert_eq!(c.remove(&rule, 7), Some(2));
        assert!(c.is_empty());
    }

    #[test]
    fn the_lookup_reports_the_bits_it_depended_on() {
        let mut c = Classifier::new();
        c.insert(m(&[("tcp", ""), ("tp_dst", "80")]), 20, ());
        c.insert(m(&[("ip", "")]), 10, ());
        let consulted = c.lookup(&tcp_packet(22, 1)).consulted;
        assert_eq!(consulted.get(l::TP_DST), 0xffff, "port 22 lost to port 80");
        assert_eq!(consulted.get(l::NW_SRC), 0, "no rule looks at the source");
        // A hit in the highest subtable needs nothing from the lower ones.
        let mut only_top = Classifier::new();
        only_top.insert(m(&[("tcp", ""), ("tp_dst", "80")]), 20, ());
        only_top.insert(m(&[("ip", ""), ("nw_src", "1.2.3.4")]), 10, ());
        let consulted = only_top.lookup(&tcp_packet(80, 1)).consulted;
        assert_eq!(consulted.get(l::NW_SRC), 0);
    }

    proptest! {
        /// Against a linear search over every rule.
        #[test]
        fn lookup_agrees_with_a_linear_search(
            rules in prop::collection::vec((0u16..1000, 0u8..4, 0u16..4, 0u32..4), 1..40),
            packets in prop::collection::vec((0u16..4, 0u32..4), 1..20),
        ) {
            let mut c = Classifier::new();
            let mut all = Vec::new();
            for (i, (prio, shape, port, src)) in rules.into_iter().enumerate() {
                // Distinct priorities, so the expected winner is unique.
                let prio = prio * 64 + i as u16 % 64;
                let text: Vec<(&str, String)> = match shape {
                    0 => vec![("tcp", String::new())],
                    1 => vec![("tcp", String::new()), ("tp_dst", port.to_string())],
                    2 => vec![("ip", String::new()), ("nw_src", format!("0.0.0.{src}/255.255.255.254"))],
                    _ => vec![("tcp", String::new()), ("tp_dst", format!("{port}/0x1")), ("nw_src", format!("0.0.0.{src}"))],
                };
                let refs: Vec<(&str, &str)> = text.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let rule = m(&refs);
                if c.get(&rule, prio).is_none() {
                    c.insert(rule.clone(), prio, prio);
                    all.push((rule, prio));
                }
            }
            for (port, src) in packets {
                let pkt = tcp_packet(port, src);
                let want = all.iter().filter(|(r, _)| r.matches(&pkt)).map(|(_, p)| *p).max();
                let got = c.lookup(&pkt).rule.map(|r| r.1);
                prop_assert_eq!(got, want);
            }
        }
    }
}
