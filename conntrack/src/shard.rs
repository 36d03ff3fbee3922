//! One shard of the connection table: a slab of entries, a hash index of
//! slab handles, each zone's members, and the timer wheel. A shard is
//! used under its own lock (only [`Outside`] is read without it); every
//! operation costs time proportional to what it touches (a lookup one or
//! two probes, a zone flush that zone's members, a sweep the handles
//! that came due).

use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

use hashbrown::HashMap;

use crate::conn::{Conn, LIVE};
use crate::index::{prefetch_home, Index, Tables};
use crate::key::{ConnKey, KeyHasher};
use crate::members::{Member, Members};
use crate::nat::index::NatIndex;
use crate::policy::PolicyTable;
use crate::prefetch::prefetch;
use crate::wheel::{tick_of, Wheel, SLOTS};

type ZoneMap = HashMap<u16, Members, foldhash::fast::FixedState>;

/// What a shard shows the packet threads that do not hold its lock: its
/// index, where its entries are (to prefetch them), and whether any of
/// its connections has an ALG helper. Written under the lock and read
/// without it, so a reader may see it a moment stale: what it finds is a
/// hint, confirmed under the lock (a stale entry address only costs a
/// useless prefetch).
#[derive(Debug)]
pub(crate) struct Outside {
    index: Arc<Tables>,
    /// The index table's address and mask, to prefetch a bucket at the
    /// cost of two loads.
    home: AtomicUsize,
    mask: AtomicUsize,
    slab: AtomicUsize,
    helpers: AtomicU32,
}

impl Outside {
    /// Prefetches the entries a key hashing to `hash` may belong to (those
    /// its index tag matches), without reading them, and returns the
    /// first: a hint that [`Shard::direction`] confirms once the entry is
    /// in cache.
    pub fn candidate(&self, hash: u64) -> Option<u32> {
        let slab = self.slab.load(Relaxed);
        let mut first = None;
        self.index.candidates(hash as u32, |handle| {
            first = first.or(Some(handle));
            prefetch_conn(slab, handle);
        });
        first
    }

    /// Prefetches the index bucket a lookup of `hash` starts at.
    pub fn prefetch_home(&self, hash: u64) {
        prefetch_home(
            (self.home.load(Relaxed), self.mask.load(Relaxed)),
            hash as u32,
        );
    }

    /// Whether a live connection of this shard has an ALG helper.
    pub fn has_helpers(&self) -> bool {
        self.helpers.load(Relaxed) != 0
    }
}

/// Prefetches every cache line of the entry `handle` of the slab at
/// address `slab` (which may be stale: a prefetch never faults).
fn prefetch_conn(slab: usize, handle: u32) {
    let size = core::mem::size_of::<Conn>();
    let start = slab.wrapping_add(handle as usize * size);
    prefetch(start);
    prefetch(start + 64);
    prefetch(start + size - 1);
}

#[derive(Debug)]
pub(crate) struct Shard {
    slab: Vec<Conn>,
    free: Vec<u32>,
    index: Index,
    zones: ZoneMap,
    wheel: Wheel,
    /// This shard's copy of the timeout policies, read under its lock.
    pub policies: Arc<PolicyTable>,
    /// The table's key hash: entries do not store theirs, to stay small.
    hasher: KeyHasher,
    /// The table's NAT'd reply keys, kept in step with the entries.
    nat: Arc<NatIndex>,
    /// Live connections with an ALG helper, whose packets may file
    /// expectations that reach other shards.
    helpers: u32,
    outside: Arc<Outside>,
}

impl Shard {
    pub fn new(hasher: KeyHasher, nat: Arc<NatIndex>) -> Self {
        let index = Index::default();
        let outside = Arc::new(Outside {
            index: index.tables(),
            home: AtomicUsize::new(0),
            mask: AtomicUsize::new(0),
            slab: AtomicUsize::new(0),
            helpers: AtomicU32::new(0),
        });
        let shard = Shard {
            slab: Vec::new(),
            free: Vec::new(),
            index,
            zones: ZoneMap::default(),
            wheel: Wheel::default(),
            policies: Arc::default(),
            hasher,
            nat,
            helpers: 0,
            outside,
        };
        shard.show();
        shard
    }

    /// What this shard shows threads that do not hold its lock.
    pub fn outside(&self) -> Arc<Outside> {
        Arc::clone(&self.outside)
    }

    /// Brings [`Outside`] up to date after a change. Written only when it
    /// differs, so that its cache line stays shared by the readers.
    fn show(&self) {
        let outside = &*self.outside;
        let (home, mask) = self.index.location();
        for (field, value) in [
            (&outside.home, home),
            (&outside.mask, mask),
            (&outside.slab, self.slab.as_ptr() as usize),
        ] {
            if field.load(Relaxed) != value {
                field.store(value, Relaxed);
            }
        }
        if outside.helpers.load(Relaxed) != self.helpers {
            outside.helpers.store(self.helpers, Relaxed);
        }
    }

    /// The index's 32 bits of a stored entry's hash.
    fn hash32(&self, conn: &Conn) -> u32 {
        self.hasher.hash(&conn.key) as u32
    }

    /// The handle of the live connection `key` belongs to and whether
    /// `key` is its reply direction.
    pub fn lookup(&self, key: &ConnKey, hash: u64) -> Option<(u32, bool)> {
        let mut reply = false;
        let handle = self.index.find(hash as u32, |h| {
            self.direction(h, key).map(|r| reply = r).is_some()
        })?;
        Some((handle, reply))
    }

    /// Whether `key` belongs to live connection `handle`: `Some(false)` in
    /// its original direction, `Some(true)` in its reply direction.
    pub fn direction(&self, handle: u32, key: &ConnKey) -> Option<bool> {
        let conn = self.get(handle)?;
        if conn.key == *key {
            return Some(false);
        }
        let reply = match conn.ext.as_ref().and_then(|e| e.reply) {
            None => conn.key.is_reverse_of(key),
            Some(reply) => reply == *key,
        };
        reply.then_some(true)
    }

    pub fn get(&self, handle: u32) -> Option<&Conn> {
        self.slab.get(handle as usize).filter(|c| c.is_live())
    }

    pub fn get_mut(&mut self, handle: u32) -> Option<&mut Conn> {
        self.slab.get_mut(handle as usize).filter(|c| c.is_live())
    }

    /// Stores a new connection (whose key is not in the table, and hashes
    /// to `hash`) and returns its handle.
    pub fn insert(&mut self, mut conn: Conn, hash: u64) -> u32 {
        let handle = match self.free.pop() {
            Some(h) => h,
            None => u32::try_from(self.slab.len()).unwrap_or(u32::MAX),
        };
        conn.zone_pos = self
            .zones
            .entry(conn.key.zone)
            .or_default()
            .push(handle, hash as u32);
        conn.wheel_tick = self.wheel.schedule(handle, conn.expiration) as u32;
        conn.flags |= LIVE;
        if let Some(reply) = conn.ext.as_ref().and_then(|e| e.reply) {
            self.nat.insert(self.hasher.hash(&reply), reply, hash);
        }
        self.helpers += u32::from(has_helper(&conn));
        // Filed before the entry is stored, so that a growing index meets
        // each stored entry once, walking the slab in order.
        let (slab, hasher) = (&self.slab, &self.hasher);
        self.index.insert(hash as u32, handle, || {
            slab.iter()
                .enumerate()
                .filter(|(_, c)| c.is_live())
                .map(|(h, c)| (hasher.hash(&c.key) as u32, h as u32))
        });
        match self.slab.get_mut(handle as usize) {
            Some(slot) => *slot = conn,
            None => self.slab.push(conn),
        }
        self.show();
        handle
    }

    /// Deletes a connection; returns its zone.
    pub fn remove(&mut self, handle: u32) -> Option<u16> {
        self.remove_as(handle, false)
    }

    /// As [`Shard::remove`], for a connection ended early: its NAT'd reply
    /// key stays taken until the next sweep (see [`NatIndex`]).
    pub fn remove_early(&mut self, handle: u32) -> Option<u16> {
        self.remove_as(handle, true)
    }

    fn remove_as(&mut self, handle: u32, hold: bool) -> Option<u16> {
        let conn = self.get(handle)?;
        let (zone, pos) = (conn.key.zone, conn.zone_pos as usize);
        let filed = self.zones.get(&zone).and_then(|m| m.hash_of(pos, handle));
        let hash = filed.unwrap_or_else(|| self.hash32(conn));
        // Only the member that is this connection leaves its zone.
        if let Some(members) = self.zones.get_mut(&zone).filter(|_| filed.is_some()) {
            if let Some(moved) = members.swap_remove(pos) {
                if let Some(c) = self.slab.get_mut(moved as usize) {
                    c.zone_pos = pos as u32;
                }
            }
            if members.is_empty() {
                self.zones.remove(&zone);
            }
        }
        let conn = self.slab.get_mut(handle as usize)?;
        conn.flags = 0;
        self.helpers = self.helpers.saturating_sub(u32::from(has_helper(conn)));
        match conn.ext.as_ref().and_then(|e| e.reply) {
            Some(reply) if hold => self.nat.hold(self.hasher.hash(&reply), reply),
            _ => unfile_reply(&self.nat, &self.hasher, conn),
        }
        conn.ext = None;
        self.index.remove(hash, handle);
        self.free.push(handle);
        self.show();
        Some(zone)
    }

    /// Deletes every connection of `zone`; returns how many.
    pub fn flush_zone(&mut self, zone: u16) -> u32 {
        let Some(members) = self.zones.remove(&zone) else {
            return 0;
        };
        // Start the index misses of every member before waiting on any
        // (the entries themselves were prefetched by `prefetch_zone`).
        let location = self.index.location();
        for member in members.iter() {
            prefetch_home(location, member.h32);
        }
        for Member { handle, h32: hash } in members.iter() {
            self.index.remove(hash, handle);
            if let Some(conn) = self.slab.get_mut(handle as usize) {
                conn.flags = 0;
                self.helpers = self.helpers.saturating_sub(u32::from(has_helper(conn)));
                unfile_reply(&self.nat, &self.hasher, conn);
                conn.ext = None;
            }
        }
        self.free.extend(members.handles());
        self.show();
        u32::try_from(members.len()).unwrap_or(u32::MAX)
    }

    /// Prefetches the entries of `zone`'s connections, ahead of a flush.
    pub fn prefetch_zone(&self, zone: u16) {
        for handle in self.zone_members(zone) {
            prefetch_conn(self.slab.as_ptr() as usize, handle);
        }
    }

    /// Deletes everything; returns how many connections each zone lost.
    pub fn clear(&mut self) -> Vec<(u16, u32)> {
        let counts = self
            .zones
            .iter()
            .map(|(&z, m)| (z, u32::try_from(m.len()).unwrap_or(u32::MAX)))
            .collect();
        for conn in self.slab.iter().filter(|c| c.is_live()) {
            unfile_reply(&self.nat, &self.hasher, conn);
        }
        self.slab.clear();
        self.free.clear();
        self.index.clear();
        self.zones.clear();
        self.wheel.clear();
        self.helpers = 0;
        self.show();
        counts
    }

    /// The handles of `zone`'s connections.
    pub fn zone_members(&self, zone: u16) -> impl Iterator<Item = u32> + '_ {
        self.zones.get(&zone).into_iter().flat_map(Members::handles)
    }

    /// Every live connection with its handle.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &Conn)> {
        self.slab
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_live())
            .map(|(h, c)| (h as u32, c))
    }

    /// The zones present and their connection counts.
    pub fn zone_counts(&self) -> impl Iterator<Item = (u16, usize)> + '_ {
        self.zones.iter().map(|(&z, m)| (z, m.len()))
    }

    /// Expires connections whose timers ran out by `now`, visiting at most
    /// `budget` wheel handles; calls `removed` with each deleted
    /// connection's zone.
    pub fn sweep(&mut self, now: u64, budget: &mut usize, removed: &mut impl FnMut(u16)) {
        while *budget > 0 {
            let Some((tick, handles)) = self.wheel.take_due(now) else {
                return;
            };
            for (i, &handle) in handles.iter().enumerate() {
                if *budget == 0 {
                    self.wheel
                        .put_back(tick, handles.get(i..).unwrap_or(&[]).to_vec());
                    return;
                }
                *budget -= 1;
                let Some(conn) = self.slab.get_mut(handle as usize).filter(|c| c.is_live()) else {
                    continue;
                };
                let filed = u64::from(conn.wheel_tick);
                if filed % SLOTS != tick % SLOTS {
                    // A stale filing: the connection was filed again under
                    // a sooner tick (see `reschedule`).
                    continue;
                }
                if filed > tick {
                    // Filed for a later turn of the wheel: keep it.
                    self.wheel.file(handle, filed);
                    continue;
                }
                if conn.expiration <= now {
                    if let Some(zone) = self.remove(handle) {
                        removed(zone);
                    }
                } else {
                    // Refreshed since it was filed: file it under its new tick.
                    conn.wheel_tick = self.wheel.schedule(handle, conn.expiration) as u32;
                }
            }
        }
    }

    /// Files live connection `handle` under the tick of its expiration
    /// (now sooner than the one it was filed under, which goes stale).
    pub fn reschedule(&mut self, handle: u32) {
        if let Some(conn) = self.slab.get_mut(handle as usize).filter(|c| c.is_live()) {
            conn.wheel_tick = self.wheel.schedule(handle, conn.expiration) as u32;
        }
    }

    /// Whether the wheel still has ticks that passed by `now`.
    pub fn sweep_pending(&self, now: u64) -> bool {
        self.wheel.pending(tick_of(now))
    }
}

fn has_helper(conn: &Conn) -> bool {
    conn.ext.as_ref().is_some_and(|e| e.helper.is_some())
}

/// Forgets `conn`'s NAT'd reply key, if it has one, in `nat`.
fn unfile_reply(nat: &NatIndex, hasher: &KeyHasher, conn: &Conn) {
    if let Some(reply) = conn.ext.as_ref().and_then(|e| e.reply) {
        nat.remove(hasher.hash(&reply), &reply);
    }
}

impl Shard {
    /// A live connection together with the policies its timers follow.
    pub fn conn_and_policies(&mut self, handle: u32) -> Option<(&mut Conn, &PolicyTable)> {
        let conn = self.slab.get_mut(handle as usize).filter(|c| c.is_live())?;
        Some((conn, &self.policies))
    }
}
