//! Whole-table operations of the tracker: dump, flush, counts, limits,
//! inserting entries read from a dump, and expiry sweeps. Each visits one
//! shard at a time, holding that shard's lock only, so packet threads are
//! never stalled behind more than one shard's worth of work.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::conn::{Conn, ConnExt, LIBERAL};
use crate::entry::{proto_name, ConnEntry};
use crate::flush::FlushFilter;
use crate::proto::{icmp::IcmpState, other::OtherState, tcp, tcp::TcpState, L4State};
use crate::shard::Shard;
use crate::tracker::Conntrack;
use crate::wire::ip_proto;

/// Why an entry could not be inserted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InsertError {
    #[error("connection already present: {0}")]
    Duplicate(String),
    #[error("connection limit reached in zone {0}")]
    Limit(u16),
    #[error("source and destination addresses are of different families")]
    MixedFamilies,
}

/// A zone's count, limit in force (0 = unlimited) and refused commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneStats {
    pub zone: u16,
    pub count: u32,
    pub limit: u32,
    /// Whether the limit is the zone's own rather than the default.
    pub own_limit: bool,
    pub refused: u64,
}

/// Connection counts by protocol (OVS names) and, for TCP, by state.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Counts {
    pub total: u64,
    pub by_proto: BTreeMap<String, u64>,
    pub tcp_states: BTreeMap<String, u64>,
    /// Commits refused because their NAT range had no free tuple left.
    #[serde(default)]
    pub nat_exhausted: u64,
}

/// What a sweep did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SweepReport {
    pub expired: usize,
    /// Expired timers remain: sweep again soon.
    pub more: bool,
}

impl Conntrack {
    fn each_shard(&self, mut f: impl FnMut(&mut Shard)) {
        for shard in self.shards.iter() {
            f(&mut shard.lock());
        }
    }

    /// Every connection (of `zone`, if given), unexpired at `now`.
    pub fn dump(&self, zone: Option<u16>, now: u64) -> Vec<ConnEntry> {
        let mut out = Vec::new();
        self.each_shard(|shard| {
            let mut take = |c: &Conn| {
                if c.expiration > now {
                    out.push(ConnEntry::from_conn(c, now));
                }
            };
            match zone {
                Some(z) => shard
                    .zone_members(z)
                    .filter_map(|h| shard.get(h))
                    .for_each(&mut take),
                None => shard.iter().for_each(|(_, c)| take(c)),
            }
        });
        out
    }

    /// Deletes the connections `filter` selects; returns how many.
    pub fn flush(&self, filter: &FlushFilter) -> usize {
        let mut removed = 0usize;
        if filter.is_zone_only() {
            return match filter.zone {
                Some(zone) => self.flush_zone(zone),
                None => {
                    self.each_shard(|shard| {
                        for (zone, n) in shard.clear() {
                            self.limits.remove(zone, n);
                            removed += n as usize;
                        }
                    });
                    removed
                }
            };
        }
        // A full tuple names its connection in either direction, as OVS's
        // flush by tuple looks it up.
        if let Some(key) = filter.exact_key() {
            let hash = self.hasher.hash(&key);
            if let Some(mut shard) = self.lock(Self::shard_of(hash)) {
                if let Some((handle, _)) = shard.lookup(&key, hash) {
                    self.delete(&mut shard, handle);
                    removed += 1;
                }
            }
            return removed;
        }
        self.each_shard(|shard| {
            let doomed: Vec<u32> = match filter.zone {
                Some(z) => shard
                    .zone_members(z)
                    .filter(|&h| shard.get(h).is_some_and(|c| filter.matches(c)))
                    .collect(),
                None => shard
                    .iter()
                    .filter(|(_, c)| filter.matches(c))
                    .map(|(h, _)| h)
                    .collect(),
            };
            for handle in doomed {
                self.delete(shard, handle);
                removed += 1;
            }
        });
        removed
    }

    /// Deletes every connection of `zone`, in time proportional to their
    /// number: a first pass over the shards starts every entry's cache
    /// miss, a second deletes them. Each flush starts at a shard of its
    /// own, so that threads flushing different zones do not walk the
    /// shards in lockstep.
    fn flush_zone(&self, zone: u16) -> usize {
        if self.limits.count(zone) == 0 {
            return 0;
        }
        let start = usize::from(zone) % self.shards.len();
        let order = || {
            self.shards
                .iter()
                .cycle()
                .skip(start)
                .take(self.shards.len())
        };
        for shard in order() {
            shard.lock().prefetch_zone(zone);
        }
        let mut removed = 0;
        for shard in order() {
            let n = shard.lock().flush_zone(zone);
            self.limits.remove(zone, n);
            removed += n as usize;
        }
        removed
    }

    /// The number of connections in the table.
    pub fn len(&self) -> usize {
        self.limits.total() as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Each zone that holds connections, with its count.
    pub fn zone_counts(&self) -> BTreeMap<u16, usize> {
        let mut counts = BTreeMap::new();
        self.each_shard(|shard| {
            for (zone, n) in shard.zone_counts() {
                *counts.entry(zone).or_insert(0) += n;
            }
        });
        counts
    }

    /// Connections by protocol and TCP state (`dpctl/ct-stats-show`).
    pub fn counts(&self) -> Counts {
        let mut counts = Counts {
            nat_exhausted: self.nat_exhausted(),
            ..Counts::default()
        };
        self.each_shard(|shard| {
            for (_, c) in shard.iter() {
                counts.total += 1;
                *counts.by_proto.entry(proto_name(c.key.proto)).or_insert(0) += 1;
                if let L4State::Tcp(p) = c.l4 {
                    *counts
                        .tcp_states
                        .entry(
                            TcpState::coalesce(p[0].state, p[1].state)
                                .name()
                                .to_string(),
                        )
                        .or_insert(0) += 1;
                }
            }
        });
        counts
    }

    /// Sets the global limit (0 = unlimited; OVS's default is 3,000,000).
    pub fn set_global_limit(&self, limit: u32) {
        self.limits.set_global(limit);
    }

    pub fn global_limit(&self) -> u32 {
        self.limits.global()
    }

    /// Sets the limit of every zone without its own (0 = unlimited).
    pub fn set_default_zone_limit(&self, limit: u32) {
        self.limits.set_default_zone(limit);
    }

    /// The limit of every zone without its own (0 = unlimited).
    pub fn default_zone_limit(&self) -> u32 {
        self.limits.default_zone()
    }

    /// Sets (`Some`) or removes (`None`) `zone`'s own limit (0 = unlimited).
    pub fn set_zone_limit(&self, zone: u16, limit: Option<u32>) {
        self.limits.set_zone(zone, limit);
    }

    pub fn zone_stats(&self, zone: u16) -> ZoneStats {
        let (limit, own_limit) = self.limits.zone_limit(zone);
        ZoneStats {
            zone,
            count: self.limits.count(zone),
            limit,
            own_limit,
            refused: self.limits.refused(zone),
        }
    }

    /// Inserts a connection read from a dump, as if it had been committed
    /// at `now` and had reached the entry's state; its timeout is the
    /// entry's if given. TCP window checks are relaxed for it, since the
    /// dump carries no sequence numbers.
    pub fn insert(&self, entry: &ConnEntry, now: u64) -> Result<(), InsertError> {
        let key = entry
            .orig
            .to_key(entry.zone)
            .ok_or(InsertError::MixedFamilies)?;
        let reply = entry
            .reply
            .to_key(entry.zone)
            .ok_or(InsertError::MixedFamilies)?;
        let hash = self.hasher.hash(&key);
        let Some(mut shard) = self.lock(Self::shard_of(hash)) else {
            return Err(InsertError::Limit(entry.zone));
        };
        if shard.lookup(&key, hash).is_some() {
            return Err(InsertError::Duplicate(entry.to_string()));
        }
        self.limits
            .try_add(entry.zone)
            .map_err(|_| InsertError::Limit(entry.zone))?;
        let l4 = match (key.proto, entry.tcp_state) {
            (ip_proto::TCP, states) => {
                let (orig, rep) = states.unwrap_or((TcpState::Established, TcpState::Established));
                L4State::Tcp(tcp::picked_up(orig, rep))
            }
            (ip_proto::ICMP | ip_proto::ICMPV6, _) => L4State::Icmp(if entry.unreplied {
                IcmpState::First
            } else {
                IcmpState::Reply
            }),
            _ => L4State::Other(if entry.unreplied {
                OtherState::First
            } else {
                OtherState::Bidir
            }),
        };
        let kind = l4.timeout_kind();
        let policy = shard.policies.resolve(None, entry.zone);
        let expiration = match entry.timeout {
            Some(secs) => now + u64::from(secs) * 1000,
            None => now + shard.policies.get(policy).millis(kind),
        };
        let reply = (reply != key.reverse()).then_some(reply);
        let ext = (reply.is_some() || entry.helper.is_some()).then(|| {
            Box::new(ConnExt {
                reply,
                nat: None,
                helper: entry.helper,
                alg: Default::default(),
            })
        });
        shard.insert(
            Conn {
                key,
                wheel_tick: 0,
                zone_pos: 0,
                mark: entry.mark,
                expiration,
                label: [(entry.labels >> 64) as u64, entry.labels as u64],
                l4,
                policy,
                timeout: kind,
                flags: LIBERAL,
                ext,
            },
            hash,
        );
        Ok(())
    }

    /// Deletes connections whose timers ran out by `now`, visiting at most
    /// about `budget` timer entries, one shard at a time.
    pub fn sweep(&self, now: u64, budget: usize) -> SweepReport {
        self.nat.release_held();
        let per_shard = budget.div_ceil(self.shards.len()).max(1);
        let mut report = SweepReport::default();
        self.each_shard(|shard| {
            let mut left = per_shard;
            shard.sweep(now, &mut left, &mut |zone| {
                self.limits.remove(zone, 1);
                report.expired += 1;
            });
            report.more |= shard.sweep_pending(now);
        });
        report
    }
}
