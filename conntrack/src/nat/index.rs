//! The index of NAT'd reply keys.
//!
//! A connection lives in the shard its original key's hash picks, and the
//! reverse of that key hashes alike; a NAT'd reply key does not, so it is
//! filed here, by its own hash, with the hash of the connection's
//! original key (which names the connection's shard). Each part has its
//! own lock, taken only while a shard lock is held or with none held and
//! never two at once, so it cannot deadlock with the shards.
//!
//! The reply key of a connection ended early (forced out, or replaced by
//! a new SYN) is held: it stays filed, so a new NAT choice passes it by,
//! until the next sweep lets it go, as OVS 3.1 keeps an ended
//! connection's NAT entry until its cleanup thread comes by.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use hashbrown::HashMap;
use parking_lot::Mutex;

use crate::key::ConnKey;

/// Parts of the index, a power of two.
const PARTS: usize = 16;

type Part = HashMap<ConnKey, u64, foldhash::fast::FixedState>;

#[derive(Debug)]
pub(crate) struct NatIndex {
    parts: Box<[Mutex<Part>]>,
    /// Entries in all parts, so that a table without NAT skips the locks.
    len: AtomicUsize,
    /// Held entries (their reply hash and key), let go by the next sweep.
    held: Mutex<Vec<(u64, ConnKey)>>,
}

impl Default for NatIndex {
    fn default() -> Self {
        NatIndex {
            parts: (0..PARTS).map(|_| Mutex::new(Part::default())).collect(),
            len: AtomicUsize::new(0),
            held: Mutex::default(),
        }
    }
}

impl NatIndex {
    fn part(&self, reply_hash: u64) -> Option<&Mutex<Part>> {
        self.parts.get((reply_hash >> 60) as usize % PARTS)
    }

    /// Whether no reply key is filed (held ones included).
    pub fn is_empty(&self) -> bool {
        self.len.load(Relaxed) == 0
    }

    /// Files `reply` (hashing to `reply_hash`) under its connection's
    /// original-key hash.
    pub fn insert(&self, reply_hash: u64, reply: ConnKey, orig_hash: u64) {
        if let Some(part) = self.part(reply_hash) {
            if part.lock().insert(reply, orig_hash).is_none() {
                self.len.fetch_add(1, Relaxed);
            }
        }
    }

    pub fn remove(&self, reply_hash: u64, reply: &ConnKey) {
        if let Some(part) = self.part(reply_hash) {
            if part.lock().remove(reply).is_some() {
                self.len.fetch_sub(1, Relaxed);
            }
        }
    }

    /// Keeps `reply` (hashing to `reply_hash`) filed, as taken, until
    /// [`NatIndex::release_held`].
    pub fn hold(&self, reply_hash: u64, reply: ConnKey) {
        self.held.lock().push((reply_hash, reply));
    }

    /// Forgets the held reply keys.
    pub fn release_held(&self) {
        let held = std::mem::take(&mut *self.held.lock());
        for (hash, reply) in &held {
            self.remove(*hash, reply);
        }
    }

    /// The original-key hash of the connection whose NAT'd reply key is
    /// `reply`.
    pub fn get(&self, reply_hash: u64, reply: &ConnKey) -> Option<u64> {
        if self.is_empty() {
            return None;
        }
        self.part(reply_hash)?.lock().get(reply).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A NAT'd reply key: a server's answer to a translated source.
    fn reply_key() -> ConnKey {
        ConnKey::new(
            "10.0.0.2".parse().unwrap(),
            "192.168.0.10".parse().unwrap(),
            6,
            80,
            1500,
            0,
        )
    }

    #[test]
    fn files_and_forgets_reply_keys() {
        let index = NatIndex::default();
        let key = reply_key();
        assert_eq!(index.get(7, &key), None);
        index.insert(7, key, 42);
        assert_eq!(index.get(7, &key), Some(42));
        index.remove(7, &key);
        assert_eq!(index.get(7, &key), None);
        assert_eq!(index.len.load(Relaxed), 0);
    }

    #[test]
    fn a_held_key_stays_until_released() {
        let index = NatIndex::default();
        let key = reply_key();
        index.insert(7, key, 42);
        index.hold(7, key);
        assert_eq!(index.get(7, &key), Some(42));
        index.release_held();
        assert_eq!(index.get(7, &key), None);
        assert_eq!(index.len.load(Relaxed), 0);
    }
}
