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
//!
//! To consult as few bits as OVS's classifier does (so that megaflows,
//! and the `Megaflow:` line of a trace, are OVS's), a subtable is searched
//! in stages (metadata, L2, L3, L4): a packet that no rule of the subtable
//! matches on the first stages depends on those stages' bits only. Prefix
//! tries over the IPv4 source and destination (OVS's default `prefixes`)
//! skip a subtable whose prefix length no rule on the packet's path has,
//! consulting only the address bits that tell so; and a subtable's port
//! trie does the same for transport ports that matched no rule.

use std::collections::HashMap;
use std::sync::OnceLock;

use nxm_fields::flow::slot_ones;
use nxm_fields::layout::{self as l, Slot};
use nxm_fields::prereq::ETH_TYPE_IP;
use nxm_fields::{Flow, Match, Value};

/// The flow image as 64-bit words.
fn words(flow: &Flow) -> impl Iterator<Item = u64> + '_ {
    flow.as_bytes()
        .chunks_exact(8)
        .map(|w| u64::from_ne_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]))
}

/// The slots of OVS's L2, L3 and L4 lookup stages (in OVS's `struct
/// flow` order); everything else is metadata, the first stage.
const L2: [Slot; 8] = [
    l::ETH_SRC,
    l::ETH_DST,
    l::ETH_TYPE,
    l::VLAN_TCI,
    l::VLAN_TCI1,
    l::MPLS_LSE,
    l::MPLS_LSE1,
    l::MPLS_LSE2,
];
const L3: [Slot; 19] = [
    l::NW_SRC,
    l::NW_DST,
    l::CT_NW_SRC,
    l::CT_NW_DST,
    l::IPV6_SRC,
    l::IPV6_DST,
    l::CT_IPV6_SRC,
    l::CT_IPV6_DST,
    l::IPV6_LABEL,
    l::NW_FRAG,
    l::NW_TOS,
    l::NW_TTL,
    l::NW_PROTO,
    l::ND_TARGET,
    l::ARP_SHA,
    l::ARP_THA,
    l::ND_RESERVED,
    l::ND_OPTIONS_TYPE,
    l::TCP_FLAGS,
];
const L4: [Slot; 10] = [
    l::TP_SRC,
    l::TP_DST,
    l::CT_TP_SRC,
    l::CT_TP_DST,
    l::NSH_FLAGS,
    l::NSH_TTL,
    l::NSH_MDTYPE,
    l::NSH_NP,
    l::NSH_PATH_HDR,
    l::NSH_C,
];

/// The bits of each stage: metadata, L2, L3, L4.
fn stage_bits() -> &'static [Flow; 4] {
    static STAGES: OnceLock<[Flow; 4]> = OnceLock::new();
    STAGES.get_or_init(|| {
        let of = |slots: &[Slot]| {
            let mut f = Flow::zero();
            for &s in slots {
                f.set(s, slot_ones(s));
            }
            f
        };
        let mut meta = Flow::all_ones();
        for s in L2.iter().chain(&L3).chain(&L4) {
            meta.set(*s, 0);
        }
        [meta, of(&L2), of(&L3), of(&L4)]
    })
}

/// `a & b`.
fn and(a: &Flow, b: &Flow) -> Flow {
    let mut f = a.clone();
    f.and_with(b);
    f
}

/// The prefix-tried fields: the IPv4 (or ARP) source and destination.
const TRIE_SLOTS: [Slot; 2] = [l::NW_DST, l::NW_SRC];

/// A binary trie of prefixes of 32-bit values, each counted, for OVS's
/// prefix lookups.
#[derive(Debug, Clone, Default)]
struct PrefixTrie {
    root: TrieNode,
}

#[derive(Debug, Clone, Default)]
struct TrieNode {
    /// Prefixes that end here.
    ends: u32,
    /// Prefixes that go deeper.
    below: u32,
    child: [Option<Box<TrieNode>>; 2],
}

fn bit(value: u32, depth: usize) -> usize {
    ((value >> (31 - depth)) & 1) as usize
}

impl PrefixTrie {
    fn insert(&mut self, value: u32, plen: usize) {
        let mut node = &mut self.root;
        for depth in 0..plen {
            node.below += 1;
            node = node.child[bit(value, depth)].get_or_insert_with(Box::default);
        }
        node.ends += 1;
    }

    fn remove(&mut self, value: u32, plen: usize) {
        fn go(node: &mut TrieNode, value: u32, depth: usize, plen: usize) {
            if depth == plen {
                node.ends = node.ends.saturating_sub(1);
                return;
            }
            node.below = node.below.saturating_sub(1);
            let b = bit(value, depth);
            if let Some(child) = node.child[b].as_mut() {
                go(child, value, depth + 1, plen);
                if child.ends == 0 && child.below == 0 {
                    node.child[b] = None;
                }
            }
        }
        go(&mut self.root, value, 0, plen);
    }

    /// The prefix lengths of the prefixes `value` has (bit N: length N),
    /// and how many leading bits of `value` tell that no other prefix
    /// matches it.
    fn lookup(&self, value: u32) -> (u64, usize) {
        let mut node = &self.root;
        let mut plens = 0u64;
        for depth in 0..=32 {
            if node.ends > 0 {
                plens |= 1 << depth;
            }
            if depth == 32 || node.below == 0 {
                return (plens, depth);
            }
            match node.child[bit(value, depth)].as_deref() {
                Some(child) => node = child,
                None => return (plens, depth + 1),
            }
        }
        (plens, 32)
    }
}

/// The length of `mask` as a prefix of a 32-bit value, if it is one.
fn prefix_len(mask: u32) -> Option<usize> {
    let len = mask.leading_ones() as usize;
    (mask.checked_shl(len as u32).unwrap_or(0) == 0).then_some(len)
}

/// The 32-bit value of a flow's transport ports (source high).
fn ports(flow: &Flow) -> u32 {
    ((flow.get(l::TP_SRC) as u32) << 16) | (flow.get(l::TP_DST) as u32 & 0xffff)
}

/// The mask of a 32-bit value's leading `bits` bits.
fn leading(bits: usize) -> u32 {
    u32::MAX
        .checked_shl(32u32.saturating_sub(bits as u32))
        .unwrap_or(0)
}

/// Which words of the flow image a mask touches, and their mask.
#[derive(Debug, Clone)]
struct Words {
    index: Vec<usize>,
    mask: Vec<u64>,
}

impl Words {
    fn new(mask: &Flow) -> Self {
        let (index, mask) = words(mask).enumerate().filter(|(_, w)| *w != 0).unzip();
        Words { index, mask }
    }

    /// The key of a flow (as words) under the mask.
    fn key(&self, flow: &[u64]) -> Box<[u64]> {
        self.index
            .iter()
            .zip(&self.mask)
            .map(|(&i, &m)| flow.get(i).map_or(0, |w| w & m))
            .collect()
    }
}

/// One rule of a subtable.
#[derive(Debug, Clone)]
struct Entry<T> {
    priority: u16,
    r#match: Match,
    value: T,
}

/// A stage of a subtable's lookup: the subtable's mask up to and with
/// that stage, and how many rules have each key under it.
#[derive(Debug, Clone)]
struct Stage {
    mask: Flow,
    words: Words,
    /// Whether each prefix-tried field has bits in this stage.
    tried: [bool; 2],
    keys: HashMap<Box<[u64]>, usize>,
}

/// The rules that share one mask.
#[derive(Debug, Clone)]
struct Subtable<T> {
    mask: Flow,
    words: Words,
    /// The stages before the last, which only tell whether some rule
    /// could match.
    stages: Vec<Stage>,
    /// Whether each prefix-tried field has bits in the last stage.
    final_tried: [bool; 2],
    /// The mask's prefix length of each prefix-tried field (0: none, or
    /// not a prefix).
    trie_plen: [usize; 2],
    /// The transport ports' mask and a trie of the rules' masked ports,
    /// each as long as the mask reaches (OVS's `ports_mask_len`).
    ports_mask: u32,
    ports: PrefixTrie,
    /// Rules by their masked key; each list sorted by priority, highest
    /// first, and among equals, oldest first.
    rules: HashMap<Box<[u64]>, Vec<Entry<T>>>,
    max_priority: u16,
    len: usize,
}

impl<T> Subtable<T> {
    fn new(mask: &Flow) -> Self {
        let tried_in = |bits: &Flow| TRIE_SLOTS.map(|s| and(mask, bits).get(s) != 0);
        let parts: Vec<Flow> = stage_bits()
            .iter()
            .map(|b| and(mask, b))
            .filter(|f| !f.is_all_zero())
            .collect();
        let mut stages = Vec::new();
        let mut so_far = Flow::zero();
        let n = parts.len();
        let mut final_tried = [false; 2];
        for (i, part) in parts.iter().enumerate() {
            so_far.or_with(part);
            if i + 1 < n {
                stages.push(Stage {
                    mask: so_far.clone(),
                    words: Words::new(&so_far),
                    tried: tried_in(part),
                    keys: HashMap::new(),
                });
            } else {
                final_tried = tried_in(part);
            }
        }
        let trie_plen = TRIE_SLOTS.map(|s| prefix_len(mask.get(s) as u32).unwrap_or(0));
        let ports_mask = ports(mask);
        Subtable {
            mask: mask.clone(),
            words: Words::new(mask),
            stages,
            final_tried,
            trie_plen,
            ports_mask,
            ports: PrefixTrie::default(),
            rules: HashMap::new(),
            max_priority: 0,
            len: 0,
        }
    }

    /// The key of `flow` in this subtable.
    fn key(&self, flow: &Flow) -> Box<[u64]> {
        let all: Vec<u64> = words(flow).collect();
        self.words.key(&all)
    }

    /// Counts a rule's flow in the stages and the port trie (`add`), or
    /// stops counting it.
    fn account(&mut self, flow: &Flow, add: bool) {
        let all: Vec<u64> = words(flow).collect();
        for st in &mut self.stages {
            let key = st.words.key(&all);
            if add {
                *st.keys.entry(key).or_insert(0) += 1;
            } else if let Some(n) = st.keys.get_mut(&key) {
                *n -= 1;
                if *n == 0 {
                    st.keys.remove(&key);
                }
            }
        }
        if self.ports_mask != 0 {
            let plen = 32 - self.ports_mask.trailing_zeros() as usize;
            let value = ports(flow) & self.ports_mask;
            if add {
                self.ports.insert(value, plen);
            } else {
                self.ports.remove(value, plen);
            }
        }
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
    /// Every rule's prefix of each prefix-tried field.
    tries: [PrefixTrie; 2],
}

impl<T> Default for Classifier<T> {
    fn default() -> Self {
        Classifier {
            subtables: Vec::new(),
            tries: Default::default(),
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
        let flow = r#match.flow().clone();
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
        st.account(&flow, true);
        let plens = st.trie_plen;
        self.count_prefixes(&flow, plens, true);
        self.sort_subtables();
        None
    }

    /// Counts a rule's prefixes of the prefix-tried fields (`add`), or
    /// stops counting them.
    fn count_prefixes(&mut self, flow: &Flow, plens: [usize; 2], add: bool) {
        for ((trie, slot), plen) in self.tries.iter_mut().zip(TRIE_SLOTS).zip(plens) {
            if plen == 0 {
                continue;
            }
            let value = flow.get(slot) as u32;
            if add {
                trie.insert(value, plen);
            } else {
                trie.remove(value, plen);
            }
        }
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
        let flow = entry.r#match.flow().clone();
        st.account(&flow, false);
        st.recompute_max_priority();
        let plens = st.trie_plen;
        self.count_prefixes(&flow, plens, false);
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
        let all: Vec<u64> = words(flow).collect();
        let mut tries: [Option<(u64, usize)>; 2] = [None; 2];
        let mut best: Option<&Entry<T>> = None;
        let mut consulted = Flow::zero();
        for st in &self.subtables {
            if best.is_some_and(|b| st.max_priority <= b.priority) {
                break;
            }
            if let Some(entry) = self.search(st, flow, &all, &mut tries, &mut consulted) {
                if best.is_none_or(|b| entry.priority > b.priority) {
                    best = Some(entry);
                }
            }
        }
        Lookup {
            rule: best.map(|e| (&e.r#match, e.priority, &e.value)),
            consulted,
        }
    }

    /// One subtable's rule for `flow` (as `all` words), adding to
    /// `consulted` the bits that told.
    fn search<'a>(
        &self,
        st: &'a Subtable<T>,
        flow: &Flow,
        all: &[u64],
        tries: &mut [Option<(u64, usize)>; 2],
        consulted: &mut Flow,
    ) -> Option<&'a Entry<T>> {
        let mut used = Flow::zero();
        for stage in &st.stages {
            if self.trie_skips(st, stage.tried, flow, tries, consulted) {
                consulted.or_with(&used);
                return None;
            }
            used = stage.mask.clone();
            if !stage.keys.contains_key(&stage.words.key(all)) {
                consulted.or_with(&used);
                return None;
            }
        }
        if self.trie_skips(st, st.final_tried, flow, tries, consulted) {
            consulted.or_with(&used);
            return None;
        }
        // A rule that asks for tunnel options matches no packet yet.
        let found = st
            .rules
            .get(&st.words.key(all))
            .and_then(|l| l.iter().find(|e| e.r#match.tun_metadata().is_empty()));
        if found.is_none() && st.ports_mask != 0 {
            // Only the port bits that tell no rule's ports are these.
            let (_, bits) = st.ports.lookup(ports(flow) & st.ports_mask);
            let mask = leading(bits) & st.ports_mask;
            consulted.set(
                l::TP_SRC,
                consulted.get(l::TP_SRC) | Value::from(mask >> 16),
            );
            consulted.set(
                l::TP_DST,
                consulted.get(l::TP_DST) | Value::from(mask & 0xffff),
            );
            consulted.or_with(&used);
            return None;
        }
        consulted.or_with(&st.mask);
        found
    }

    /// Whether a prefix trie shows that no rule of `st` can match (its
    /// prefix length of a tried field in this stage is not on the
    /// packet's path), adding the address bits that show it.
    fn trie_skips(
        &self,
        st: &Subtable<T>,
        in_stage: [bool; 2],
        flow: &Flow,
        tries: &mut [Option<(u64, usize)>; 2],
        consulted: &mut Flow,
    ) -> bool {
        for (i, slot) in TRIE_SLOTS.into_iter().enumerate() {
            let plen = st.trie_plen[i];
            if plen == 0 || !in_stage[i] {
                continue;
            }
            let (plens, bits) = *tries[i].get_or_insert_with(|| {
                if flow.get(l::ETH_TYPE) == Value::from(ETH_TYPE_IP) {
                    self.tries[i].lookup(flow.get(slot) as u32)
                } else {
                    // The slot holds something else (ARP's addresses):
                    // every prefix length may match.
                    (u64::MAX, 0)
                }
            });
            if plens & (1 << plen) != 0 {
                continue;
            }
            // The trie may not unwildcard more than the subtable would.
            let mask = Value::from(leading(bits));
            if bits <= plen {
                consulted.set(slot, consulted.get(slot) | mask);
                return true;
            }
            if consulted.get(slot) & mask == mask {
                return true;
            }
        }
        false
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
        // 22 and 80 part at the tenth bit: OVS 3.1's trace shows
        // tp_dst=0x40/0xffc0 for port 80 against a rule for 22.
        assert_eq!(consulted.get(l::TP_DST), 0xffc0, "port 22 lost to port 80");
        assert_eq!(consulted.get(l::NW_SRC), 0, "no rule looks at the source");
        // A hit in the highest subtable needs nothing from the lower ones.
        let mut only_top = Classifier::new();
        only_top.insert(m(&[("tcp", ""), ("tp_dst", "80")]), 20, ());
        only_top.insert(m(&[("ip", ""), ("nw_src", "1.2.3.4")]), 10, ());
        let consulted = only_top.lookup(&tcp_packet(80, 1)).consulted;
        assert_eq!(consulted.get(l::NW_SRC), 0);
    }

    // The megaflows of OVS 3.1's `ofproto/trace` for these rules.
    #[test]
    fn staged_lookups_and_tries_consult_what_ovs_consults() {
        let mut c = Classifier::new();
        c.insert(m(&[("tcp", ""), ("tp_dst", "22")]), 20, 2);
        c.insert(m(&[("ip", ""), ("nw_dst", "10.0.0.0/8")]), 15, 3);
        c.insert(m(&[("ip", ""), ("nw_src", "192.168.1.1")]), 10, 4);
        c.insert(Match::catch_all(), 1, 0);
        let mut p = tcp_packet(80, 0x0a00_0001);
        p.set(l::NW_DST, 0x0b00_0002);
        p.set(l::TP_SRC, 5);
        let found = c.lookup(&p);
        assert_eq!(found.rule.map(|r| *r.2), Some(0));
        let got = &found.consulted;
        assert_eq!(got.get(l::NW_SRC), 0x8000_0000, "nw_src=0.0.0.0/1");
        assert_eq!(got.get(l::NW_DST), 0xff00_0000, "nw_dst=11.0.0.0/8");
        assert_eq!(got.get(l::TP_DST), 0xffc0, "tp_dst=0x40/0xffc0");
        assert_eq!(got.get(l::TP_SRC), 0);
        // UDP misses the TCP rule at the L3 stage: its ports do not count.
        let mut u = p.clone();
        u.set(l::NW_PROTO, 17);
        u.set(l::NW_DST, 0x0a01_0002);
        let found = c.lookup(&u);
        assert_eq!(found.rule.map(|r| *r.2), Some(3));
        assert_eq!(found.consulted.get(l::TP_DST), 0);
        assert_eq!(found.consulted.get(l::NW_PROTO), 0xff);
    }

    proptest! {
        /// A packet that agrees with another on every bit a lookup
        /// consulted gets the same rule (what makes megaflows sound).
        #[test]
        fn consulted_bits_decide_the_lookup(
            rules in prop::collection::vec((0u16..100, 0u8..4, 0u16..512, 0u32..64), 1..30),
            packet in (0u16..512, 0u32..64, 0u16..512),
            other in (0u16..512, 0u32..64, 0u16..512, any::<bool>()),
        ) {
            let mut c = Classifier::new();
            for (i, (prio, shape, port, src)) in rules.into_iter().enumerate() {
                let prio = prio * 32 + i as u16 % 32;
                let text: Vec<(&str, String)> = match shape {
                    0 => vec![("tcp", String::new()), ("tp_dst", port.to_string())],
                    1 => vec![("ip", String::new()), ("nw_src", format!("10.0.{}.0/{}", src, 16 + src % 17))],
                    2 => vec![("udp", String::new()), ("tp_src", format!("{port}/0xff00"))],
                    _ => vec![("tcp", String::new()), ("nw_dst", format!("10.{src}.0.0/16")), ("tp_dst", port.to_string())],
                };
                let refs: Vec<(&str, &str)> = text.iter().map(|(k, v)| (*k, v.as_str())).collect();
                c.insert(m(&refs), prio, prio);
            }
            let make = |dport: u16, src: u32, sport: u16, udp: bool| {
                let mut f = tcp_packet(dport, 0x0a00_0000 | (src << 8));
                f.set(l::NW_DST, u128::from(0x0a00_0000 | (src << 16)));
                f.set(l::TP_SRC, u128::from(sport));
                if udp {
                    f.set(l::NW_PROTO, 17);
                }
                f
            };
            let a = make(packet.0, packet.1, packet.2, false);
            let b = make(other.0, other.1, other.2, other.3);
            let found = c.lookup(&a);
            let (mut am, mut bm) = (a.clone(), b.clone());
            am.and_with(&found.consulted);
            bm.and_with(&found.consulted);
            if am == bm {
                prop_assert_eq!(c.lookup(&b).rule.map(|r| r.1), found.rule.map(|r| r.1));
            }
        }
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
