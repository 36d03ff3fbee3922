//! Expectations: the data connections an ALG's control connection
//! announced, waiting for their first packet.
//!
//! An expectation is keyed like the connection it expects with the
//! source port left out (a data connection may come from any port), so a
//! new connection's key with its source port zeroed finds it; the zone
//! is part of the key. It carries what the data connection inherits from
//! its control ("master") connection: mark, label, the master's key
//! (which the data connection reports as its `ct_tuple`) and how it is
//! NAT'd. As in OVS it stays after it is met (a transfer may open several
//! data connections to one announced port) until it expires or its
//! master goes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

use parking_lot::RwLock;

use crate::conn::Helper;
use crate::entry::{proto_name, Tuple};
use crate::key::ConnKey;
use crate::params::NatKind;

/// How long an expectation waits for its data connection (Linux's FTP
/// and TFTP helpers wait 5 minutes too).
pub const EXPECT_TIMEOUT_MS: u64 = 300_000;

/// How the data connection of an expectation is NAT'd when it is
/// committed by a `ct` with `nat`: one address of its reply key replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ExpectNat {
    pub addr: [u8; 16],
    /// The reply key's destination is replaced (the data connection is
    /// SNAT'd); else its source (DNAT'd).
    pub reply_dst: bool,
}

impl ExpectNat {
    /// What the data connection's NAT translates: its source when its
    /// reply's destination is replaced.
    pub fn kind(&self) -> NatKind {
        if self.reply_dst {
            NatKind::Src
        } else {
            NatKind::Dst
        }
    }

    /// The NAT'd reply key of data connection `key`.
    pub fn reply(&self, key: &ConnKey) -> ConnKey {
        let mut reply = key.reverse();
        if self.reply_dst {
            reply.dst = self.addr;
        } else {
            reply.src = self.addr;
        }
        reply
    }
}

/// A data connection expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Expectation {
    /// The expected connection's key, source port zero.
    pub key: ConnKey,
    /// The control connection's original key.
    pub master: ConnKey,
    pub helper: Helper,
    pub mark: u32,
    pub label: u128,
    pub nat: Option<ExpectNat>,
    /// When it expires, in the caller's milliseconds.
    pub expiration: u64,
}

/// An expectation as dumped.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExpectEntry {
    pub proto: u8,
    /// The expected connection (source port 0: any).
    pub orig: Tuple,
    pub master: Tuple,
    pub zone: u16,
    pub helper: Helper,
    /// Seconds left.
    pub timeout: u64,
}

impl std::fmt::Display for ExpectEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{},orig=({}),master=({})",
            proto_name(self.proto),
            self.orig,
            self.master
        )?;
        if self.zone != 0 {
            write!(f, ",zone={}", self.zone)?;
        }
        write!(f, ",timeout={},helper={}", self.timeout, self.helper.name())
    }
}

/// The expectations of a tracker.
#[derive(Debug)]
pub(crate) struct Expectations {
    /// Read-locked by lookups, which packet threads may do at once.
    map: RwLock<HashMap<ConnKey, Expectation>>,
    /// How many there are, read without the lock: a new connection looks
    /// them up only when there are any.
    len: AtomicUsize,
    /// The earliest expiration among them (`u64::MAX` when there are
    /// none): the first lookup at or after it drops the expired ones, so
    /// that new connections stop looking once all are gone.
    next_expiry: AtomicU64,
}

impl Default for Expectations {
    fn default() -> Self {
        Expectations {
            map: RwLock::default(),
            len: AtomicUsize::new(0),
            next_expiry: AtomicU64::new(u64::MAX),
        }
    }
}

/// The key an expectation of connection `key` is filed under.
fn wildcard(key: &ConnKey) -> ConnKey {
    ConnKey {
        src_port: 0,
        ..*key
    }
}

impl Expectations {
    pub fn is_empty(&self) -> bool {
        self.len.load(Relaxed) == 0
    }

    /// Files `exp` (one already there for the same key stays, as in OVS:
    /// the first announcement's inheritance holds).
    pub fn insert(&self, exp: Expectation, now: u64) {
        let mut map = self.map.write();
        map.retain(|_, e| e.expiration > now);
        map.entry(wildcard(&exp.key)).or_insert(exp);
        self.publish(&map);
    }

    /// The unexpired expectation new connection `key` meets.
    pub fn lookup(&self, key: &ConnKey, now: u64) -> Option<Expectation> {
        if self.is_empty() {
            return None;
        }
        if now >= self.next_expiry.load(Relaxed) {
            self.retain(|e| e.expiration > now);
        }
        self.map
            .read()
            .get(&wildcard(key))
            .filter(|e| e.expiration > now)
            .copied()
    }

    /// Keeps only the expectations `keep` says to (the others expired,
    /// or their master went).
    pub fn retain(&self, mut keep: impl FnMut(&Expectation) -> bool) {
        if self.is_empty() {
            return;
        }
        let mut map = self.map.write();
        map.retain(|_, e| keep(e));
        self.publish(&map);
    }

    /// A copy of every expectation.
    pub fn snapshot(&self) -> Vec<Expectation> {
        self.map.read().values().copied().collect()
    }

    /// Publishes the count and earliest expiration of `map`.
    fn publish(&self, map: &HashMap<ConnKey, Expectation>) {
        let next = map.values().map(|e| e.expiration).min();
        self.next_expiry.store(next.unwrap_or(u64::MAX), Relaxed);
        self.len.store(map.len(), Relaxed);
    }
}

impl Expectation {
    pub fn entry(&self, now: u64) -> ExpectEntry {
        ExpectEntry {
            proto: self.key.proto,
            orig: Tuple::from_key(&self.key),
            master: Tuple::from_key(&self.master),
            zone: self.key.zone,
            helper: self.helper,
            timeout: self.expiration.saturating_sub(now) / 1000,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(src_port: u16, zone: u16) -> ConnKey {
        let a = "10.1.1.1".parse().unwrap();
        let b = "10.1.1.2".parse().unwrap();
        ConnKey::new(a, b, 6, src_port, 50000, zone)
    }

    fn exp(zone: u16, expiration: u64) -> Expectation {
        let a = "10.1.1.1".parse().unwrap();
        let b = "10.1.1.2".parse().unwrap();
        Expectation {
            key: key(0, zone),
            master: ConnKey::new(a, b, 6, 40000, 21, zone),
            helper: Helper::Ftp,
            mark: 7,
            label: 0,
            nat: None,
            expiration,
        }
    }

    #[test]
    fn any_source_port_in_the_same_zone_meets_it() {
        let t = Expectations::default();
        assert!(t.lookup(&key(1, 0), 0).is_none());
        t.insert(exp(0, 1000), 0);
        assert_eq!(t.lookup(&key(1234, 0), 10).map(|e| e.mark), Some(7));
        assert_eq!(t.lookup(&key(1, 0), 999).map(|e| e.mark), Some(7));
        assert!(t.lookup(&key(1, 5), 10).is_none());
    }

    #[test]
    fn an_expectation_expires() {
        let t = Expectations::default();
        t.insert(exp(0, 1000), 0);
        assert!(t.lookup(&key(1, 0), 1000).is_none());
        // The lookup at its expiry dropped it: new connections stop
        // looking.
        assert!(t.is_empty());
        t.insert(exp(0, 1000), 0);
        // Expired ones go when another is filed.
        t.insert(exp(3, 5000), 2000);
        assert_eq!(t.snapshot().len(), 1);
    }

    #[test]
    fn retain_drops_what_it_is_told_to() {
        let t = Expectations::default();
        t.insert(exp(0, 1000), 0);
        t.insert(exp(5, 1000), 0);
        t.retain(|e| e.key.zone != 5);
        assert!(t.lookup(&key(1, 5), 0).is_none());
        assert!(!t.is_empty());
        t.retain(|_| false);
        assert!(t.is_empty());
    }

    #[test]
    fn entries_print_with_their_master() {
        let line = exp(5, 61_000).entry(1000).to_string();
        assert_eq!(
            line,
            "tcp,orig=(src=10.1.1.1,dst=10.1.1.2,sport=0,dport=50000),\
             master=(src=10.1.1.1,dst=10.1.1.2,sport=40000,dport=21),zone=5,timeout=60,helper=ftp"
        );
    }
}
