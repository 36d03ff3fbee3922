//! IP fragment reassembly in front of the tracker, as OVS's userspace
//! `ipf` does it.
//!
//! The tracker keys a connection on L4 ports, which only a datagram's
//! first fragment carries, so fragments are held ([`Ipf::process`]) until
//! their datagram is whole; the datagram is then tracked as one packet,
//! and what goes on the wire is its original fragments, carrying whatever
//! the tracker rewrote ([`Fragments::refragment`]). The caller's part:
//!
//! 1. before `Conntrack::execute`, give each IP packet to
//!    [`Ipf::process`]: [`Outcome::Pass`] is tracked as it is (a fragment
//!    the reassembler leaves alone comes out `+inv`), [`Outcome::Invalid`]
//!    is `+inv` without tracking, [`Outcome::Held`] leaves the batch, and
//!    [`Outcome::Reassembled`] joins it in place of the fragment;
//! 2. after it, forward a reassembled datagram as its
//!    [`Fragments::refragment`], each fragment with the datagram's ct
//!    metadata;
//! 3. on each `ct`, [`Ipf::expire`] gives back the fragments of a list
//!    that timed out (15 s after its first fragment), to forward `+inv`.
//!
//! A held fragment keeps its own link-layer header and port
//! ([`Ipf::process_arrival`]), and leaves with them.
//!
//! Lists are keyed per zone and recirculation pass (as OVS keys them), so
//! one datagram can be reassembled again after a recirculation. Settings
//! and counters are OVS 3.1's, shown by [`Ipf::status`]. Fragments are
//! rare, so one lock guards the whole reassembler.

mod fragment;
mod list;
mod refrag;
mod status;
#[cfg(test)]
pub(crate) mod tests;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use parking_lot::Mutex;

use crate::key::Family;
use fragment::{parse, ListKey, Parsed};
use list::{FragList, Held, Step};
pub use refrag::{Fragments, RefragError};
pub use status::{FamilyStatus, IpfError, IpfStatus, ListStatus};

/// How long a list waits for its missing fragments (OVS: 15 s).
pub const FRAG_LIST_TIMEOUT_MS: u64 = 15_000;
/// The default smallest IPv4 fragment other than the last.
pub const DEFAULT_MIN_V4_FRAG: u32 = 1200;
/// The default smallest IPv6 fragment other than the last.
pub const DEFAULT_MIN_V6_FRAG: u32 = 1280;
/// The smallest minimum fragment size `set_min_frag` takes, either family.
pub const MIN_FRAG_LOWER_BOUND: u32 = 400;
/// The default for the most fragments held at once.
pub const DEFAULT_MAX_FRAGS: u32 = 1000;
/// The most `set_max_frags` takes.
pub const MAX_FRAGS_UPPER_BOUND: u32 = 5000;

/// The longest IPv4 header, which bounds an IPv4 list's length.
const V4_MAX_HEADER: u32 = 60;
const V4_MAX_DATAGRAM: u32 = 65535;
/// The most fragments one IPv6 list holds (its headers vary, so OVS does
/// not derive a bound from the minimum size).
const V6_MAX_LIST: usize = 65535;

/// How long past its expiry a list that no `ct` gave back is dropped
/// instead (OVS: 10 s), its fragments counted as purged.
pub const PURGE_AFTER_MS: u64 = 10_000;

/// A packet as it reached `ct`: its frame, where its IP header starts in
/// it, and the port it came in on. A fragment held keeps what comes
/// before its IP header and its port, and leaves with them.
#[derive(Debug, Clone, Copy)]
pub struct Arrival<'a> {
    pub frame: &'a [u8],
    pub l3_at: usize,
    pub in_port: u32,
}

/// What to do with a packet given to [`Ipf::process`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Not taken: track the packet as it is.
    Pass,
    /// A fragment refused (malformed, too small, overlapping): `+inv`.
    Invalid,
    /// Held until its datagram is whole: nothing to forward now.
    Held,
    /// This fragment completed its datagram: track `packet` (from its IP
    /// header on) and forward `fragments` in its place.
    Reassembled {
        packet: Vec<u8>,
        fragments: Fragments,
    },
}

/// The reassembler: settings, counters and the fragment lists.
#[derive(Debug)]
pub struct Ipf {
    inner: Mutex<Inner>,
    /// The earliest expiration of a list (`u64::MAX` when there is none),
    /// so that [`Ipf::expire`], called on every `ct`, takes the lock only
    /// when a list is due.
    next_expiry: AtomicU64,
}

#[derive(Debug)]
struct Inner {
    v4: FamilyStatus,
    v6: FamilyStatus,
    max_frags: u32,
    /// Fragments held, both families together.
    held: usize,
    /// Keyed with std's randomly seeded hasher: every key field comes
    /// from the network.
    lists: HashMap<ListKey, FragList>,
}

impl Inner {
    fn family(&mut self, family: Family) -> &mut FamilyStatus {
        match family {
            Family::Ipv4 => &mut self.v4,
            Family::Ipv6 => &mut self.v6,
        }
    }

    /// The most fragments one list of `family` holds: for IPv4, as many
    /// minimum-size fragments as make the longest datagram.
    fn max_list_len(&self, family: Family) -> usize {
        match family {
            Family::Ipv4 => {
                let data = V4_MAX_DATAGRAM - V4_MAX_HEADER;
                let per_frag = self.v4.min_frag_size.saturating_sub(V4_MAX_HEADER).max(1);
                data.div_ceil(per_frag) as usize
            }
            Family::Ipv6 => V6_MAX_LIST,
        }
    }
}

impl Default for Ipf {
    fn default() -> Self {
        Ipf::new()
    }
}

impl Ipf {
    /// A reassembler with OVS 3.1's defaults: both families enabled.
    pub fn new() -> Self {
        Ipf {
            inner: Mutex::new(Inner {
                v4: FamilyStatus::new(DEFAULT_MIN_V4_FRAG),
                v6: FamilyStatus::new(DEFAULT_MIN_V6_FRAG),
                max_frags: DEFAULT_MAX_FRAGS,
                held: 0,
                lists: HashMap::new(),
            }),
            next_expiry: AtomicU64::new(u64::MAX),
        }
    }

    /// `dpctl/ipf-set-enabled` (`true`) and `ipf-set-disabled`.
    pub fn set_enabled(&self, family: Family, enabled: bool) {
        self.inner.lock().family(family).enabled = enabled;
    }

    /// `dpctl/ipf-set-min-frag`: the smallest fragment other than the
    /// last, IP header included; at least 400.
    pub fn set_min_frag(&self, family: Family, size: u32) -> Result<(), IpfError> {
        if size < MIN_FRAG_LOWER_BOUND {
            return Err(IpfError::MinFragTooSmall);
        }
        self.inner.lock().family(family).min_frag_size = size;
        Ok(())
    }

    /// `dpctl/ipf-set-max-nfrags`: the most fragments held at once; at
    /// most 5000 (0 holds none).
    pub fn set_max_frags(&self, max: u32) -> Result<(), IpfError> {
        if max > MAX_FRAGS_UPPER_BOUND {
            return Err(IpfError::MaxFragsTooLarge);
        }
        self.inner.lock().max_frags = max;
        Ok(())
    }

    /// `dpctl/ipf-get-status`, lists included (for `-m`).
    pub fn status(&self) -> IpfStatus {
        let inner = self.inner.lock();
        IpfStatus {
            max_frags: inner.max_frags,
            num_frags: inner.held,
            v4: inner.v4,
            v6: inner.v6,
            lists: inner.lists.iter().map(|(k, l)| list_status(k, l)).collect(),
        }
    }

    /// Takes `l3` (an IP packet of `family` from its header on, link
    /// padding allowed) met by a `ct` in `zone` on recirculation pass
    /// `recirc_id`, at `now` (the caller's milliseconds).
    pub fn process(
        &self,
        l3: &[u8],
        family: Family,
        zone: u16,
        recirc_id: u32,
        now: u64,
    ) -> Outcome {
        let arrival = Arrival {
            frame: l3,
            l3_at: 0,
            in_port: 0,
        };
        self.process_arrival(&arrival, family, zone, recirc_id, now)
    }

    /// [`Ipf::process`] for a whole frame: a fragment held keeps its
    /// link-layer header and port.
    pub fn process_arrival(
        &self,
        arrival: &Arrival<'_>,
        family: Family,
        zone: u16,
        recirc_id: u32,
        now: u64,
    ) -> Outcome {
        let l3 = arrival.frame.get(arrival.l3_at..).unwrap_or(&[]);
        // Most packets are whole: they are told apart without the lock.
        let parsed = parse(l3, family, zone, recirc_id, true);
        if parsed == Parsed::Whole {
            return Outcome::Pass;
        }
        let mut inner = self.inner.lock();
        // As OVS 3.1: fragments are checked (and a too small one counted)
        // while reassembly is on for either family; only then is it
        // asked whether it is on for this one.
        if !inner.v4.enabled && !inner.v6.enabled {
            return Outcome::Pass;
        }
        let config = *inner.family(family);
        let frag = match parsed {
            Parsed::Whole => return Outcome::Pass,
            Parsed::Malformed => return Outcome::Invalid,
            Parsed::Fragment(frag) => frag,
        };
        if !frag.last && frag.size < config.min_frag_size as usize {
            inner.family(family).too_small += 1;
            return Outcome::Invalid;
        }
        if !config.enabled {
            return Outcome::Pass;
        }
        // A fragment past the limits is left to the tracker, which calls
        // it `+inv`, as OVS leaves it to conntrack.
        if inner.held >= inner.max_frags as usize {
            return Outcome::Pass;
        }
        let max_list = inner.max_list_len(family);
        let expiration = now.saturating_add(FRAG_LIST_TIMEOUT_MS);
        self.next_expiry.fetch_min(expiration, Relaxed);
        let list = inner
            .lists
            .entry(frag.key)
            .or_insert_with(|| FragList::new(expiration));
        let step = if !list.state.is_open() || list.frags.len() >= max_list {
            Step::Pass
        } else if list.overlaps(&frag) {
            Step::Overlap
        } else {
            list.add(Held::new(arrival, l3, &frag), frag.first);
            list.take_if_complete(family)
        };
        match step {
            Step::Pass => Outcome::Pass,
            Step::Overlap => {
                inner.family(family).overlapped += 1;
                Outcome::Invalid
            }
            Step::Held => {
                inner.held += 1;
                inner.family(family).accepted += 1;
                Outcome::Held
            }
            Step::Whole(packet, frags) => {
                // Every fragment of the datagram leaves with it, and so
                // does its list: a late duplicate starts a new one, as in
                // OVS.
                inner.lists.remove(&frag.key);
                inner.held = (inner.held + 1).saturating_sub(frags.len());
                let counters = inner.family(family);
                counters.accepted += 1;
                counters.completed += frags.len() as u64;
                Outcome::Reassembled {
                    packet,
                    fragments: Fragments::new(family, frags),
                }
            }
        }
    }

    /// Ends the list whose time ran out first, if one did by `now`: one
    /// list a call, as OVS ends them on each `ct`. Its fragments come
    /// back, to be forwarded `+inv`, unless the list is
    /// [`PURGE_AFTER_MS`] past its expiry: then they are dropped and
    /// counted as purged.
    pub fn expire(&self, now: u64) -> Option<Fragments> {
        if now <= self.next_expiry.load(Relaxed) {
            return None;
        }
        let mut inner = self.inner.lock();
        let due = inner
            .lists
            .iter()
            .filter(|(_, list)| now > list.expiration)
            .min_by_key(|(_, list)| list.expiration)
            .map(|(key, _)| *key);
        let out = due.and_then(|key| {
            let list = inner.lists.remove(&key)?;
            let n = list.frags.len();
            inner.held = inner.held.saturating_sub(n);
            let counters = inner.family(key.family);
            if now >= list.expiration.saturating_add(PURGE_AFTER_MS) {
                counters.purged += n as u64;
                return None;
            }
            counters.expired += n as u64;
            (n > 0).then(|| Fragments::new(key.family, list.frags))
        });
        let next = inner.lists.values().map(|l| l.expiration).min();
        self.next_expiry.store(next.unwrap_or(u64::MAX), Relaxed);
        out
    }

    /// Drops every list [`PURGE_AFTER_MS`] past its expiry, counting its
    /// fragments as purged, for when no `ct` comes to end them (OVS's
    /// ipf clean thread); gives how many fragments went.
    pub fn purge_stale(&self, now: u64) -> usize {
        let stale = |expiration: u64| now >= expiration.saturating_add(PURGE_AFTER_MS);
        if !stale(self.next_expiry.load(Relaxed)) {
            return 0;
        }
        let mut inner = self.inner.lock();
        let mut purged = [0usize; 2];
        inner.lists.retain(|key, list| {
            if !stale(list.expiration) {
                return true;
            }
            purged[usize::from(key.family == Family::Ipv6)] += list.frags.len();
            false
        });
        let next = inner.lists.values().map(|l| l.expiration).min();
        self.next_expiry.store(next.unwrap_or(u64::MAX), Relaxed);
        let [v4, v6] = purged;
        inner.v4.purged += v4 as u64;
        inner.v6.purged += v6 as u64;
        inner.held = inner.held.saturating_sub(v4 + v6);
        v4 + v6
    }
}

fn list_status(key: &ListKey, list: &FragList) -> ListStatus {
    let addr = |bytes: [u8; 16]| match key.family {
        Family::Ipv4 => {
            let [a, b, c, d, ..] = bytes;
            IpAddr::V4(Ipv4Addr::new(a, b, c, d))
        }
        Family::Ipv6 => IpAddr::V6(Ipv6Addr::from(bytes)),
    };
    ListStatus {
        src: addr(key.src),
        dst: addr(key.dst),
        recirc_id: key.recirc_id,
        ip_id: key.ident,
        family: key.family,
        zone: key.zone,
        nw_proto: key.proto,
        num_fragments: list.frags.len(),
        state: list.state.name(),
    }
}
