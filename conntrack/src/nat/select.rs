//! Choosing a NAT'd connection's reply key: an address from the action's
//! range and, for TCP and UDP, a port, such that no other connection
//! already uses the resulting reply key.
//!
//! As OVS 3.1 does: the first candidate address and port come from a hash
//! of the connection (or a random value for `random`; `persistent` leaves
//! the ports out of the hash, so that one client keeps its address);
//! with a port range the port is always taken from the range, even when
//! the original port lies in it; without one the original port is tried
//! first, and on a collision a source port is searched in the ephemeral
//! range 1024-65535. ICMP keeps its identifier. An all-zero address
//! (`nat(src=0.0.0.0)`) keeps the connection's own address: only a port
//! collision translates, as OVS documents for that case. The search is bounded
//! ([`MAX_ATTEMPTS`] candidates), so a full range costs a bounded time and
//! ends in [`NatError::Exhausted`].

use core::hash::{BuildHasher, Hasher};
use std::net::IpAddr;

use crate::key::{ConnKey, Family};
use crate::params::{NatAction, NatKind};
use crate::wire::ip_proto;

/// Candidate reply keys tried before giving up.
pub const MAX_ATTEMPTS: u32 = 256;

/// The ports searched when the action names none and the original port
/// `own` collides, as OVS 3.1 searches them: a low port stays low (1-511
/// below 512, 600-1023 below 1024), others take 1024-65535; the search
/// starts after `own` (at the range's start if `own` is outside it or
/// its last port) and wraps.
fn fallback_ports(own: u16) -> (u16, u16) {
    match own {
        0..=511 => (1, 511),
        512..=1023 => (600, 1023),
        _ => (1024, 65535),
    }
}

/// Why no reply key was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NatError {
    /// Every candidate tried is in use.
    #[error("NAT range exhausted")]
    Exhausted,
    /// The range's addresses are not of the connection's family, or the
    /// action names no range (a bare `nat`).
    #[error("NAT range does not apply to this connection")]
    BadRange,
}

/// An inclusive range of addresses as integers (IPv4 in the low 32 bits).
#[derive(Debug, Clone, Copy)]
struct AddrRange {
    min: u128,
    /// How many addresses, less one (a full IPv6 range would overflow).
    span: u128,
}

impl AddrRange {
    /// The action's range, or `own` (the translated side's address) for
    /// an all-zero one.
    fn of(action: &NatAction, family: Family, own: IpAddr) -> Result<Self, NatError> {
        // No address (`nat(src)`, which is also how OVS keeps
        // `nat(src=0.0.0.0)`) or an all-zero one: the connection's own.
        let (min, max) = match action.addr_min {
            None => (own, own),
            Some(min) => {
                let max = action.addr_max.unwrap_or(min);
                if min.is_unspecified() && max.is_unspecified() {
                    (own, own)
                } else {
                    (min, max)
                }
            }
        };
        let (min, max) = match (family, min, max) {
            (Family::Ipv4, IpAddr::V4(a), IpAddr::V4(b)) => {
                (u128::from(u32::from(a)), u128::from(u32::from(b)))
            }
            (Family::Ipv6, IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b)),
            _ => return Err(NatError::BadRange),
        };
        let span = max.checked_sub(min).ok_or(NatError::BadRange)?;
        Ok(AddrRange { min, span })
    }

    /// The `i`-th address from `start`, wrapping around the range.
    fn nth(&self, start: u128, i: u128) -> u128 {
        let offset = match self.span.checked_add(1) {
            Some(n) => start.wrapping_add(i) % n,
            None => start.wrapping_add(i),
        };
        self.min.wrapping_add(offset)
    }

    fn to_bytes(family: Family, value: u128) -> [u8; 16] {
        match family {
            Family::Ipv4 => {
                let mut b = [0u8; 16];
                let [x, y, z, w] = (value as u32).to_be_bytes();
                b[0] = x;
                b[1] = y;
                b[2] = z;
                b[3] = w;
                b
            }
            Family::Ipv6 => value.to_be_bytes(),
        }
    }
}

/// The seed of a connection's search: a hash of its original key under
/// `basis` (the table's random basis, or a fresh random value for a
/// `random` action).
pub fn seed(orig: &ConnKey, action: &NatAction, basis: u64) -> u64 {
    let mut h = foldhash::fast::FixedState::with_seed(basis).build_hasher();
    h.write(&orig.src);
    h.write(&orig.dst);
    h.write_u16(orig.zone);
    h.write_u8(orig.proto);
    if !action.persistent {
        h.write_u16(orig.src_port);
        h.write_u16(orig.dst_port);
    }
    h.finish()
}

/// Chooses the reply key of the new connection `orig` under `action`,
/// starting from `seed`; `taken` says whether a key already belongs to a
/// connection.
pub fn choose(
    orig: &ConnKey,
    action: &NatAction,
    seed: u64,
    mut taken: impl FnMut(&ConnKey) -> bool,
) -> Result<ConnKey, NatError> {
    let kind = action.kind.ok_or(NatError::BadRange)?;
    let own = match kind {
        NatKind::Src => orig.src_ip(),
        NatKind::Dst => orig.dst_ip(),
    };
    let addrs = AddrRange::of(action, orig.family, own)?;
    let has_ports = orig.proto == ip_proto::TCP || orig.proto == ip_proto::UDP;
    let base = orig.reverse();
    // The reply key with address `addr` and port `port` in place of the
    // translated endpoint.
    let candidate = |addr: [u8; 16], port: Option<u16>| {
        let mut key = base;
        match kind {
            NatKind::Src => {
                key.dst = addr;
                key.dst_port = port.unwrap_or(key.dst_port);
            }
            NatKind::Dst => {
                key.src = addr;
                key.src_port = port.unwrap_or(key.src_port);
            }
        }
        key
    };
    let ports = match (has_ports, action.port_min) {
        (true, Some(min)) => Some((min, action.port_max.unwrap_or(min).max(min))),
        _ => None,
    };
    let addr_start = u128::from(seed);
    let port_start = seed >> 16;
    let mut attempts = 0u32;
    let address = |i: u128| AddrRange::to_bytes(orig.family, addrs.nth(addr_start, i));
    // Without a named port range, every address is tried with the
    // connection's own port before any port moves (as OVS 3.1 tries them).
    let (lo, hi, fallback) = match ports {
        Some((lo, hi)) => (lo, hi, false),
        None => {
            let mut addr_index = 0u128;
            while attempts < MAX_ATTEMPTS && addr_index <= addrs.span {
                attempts += 1;
                let key = candidate(address(addr_index), None);
                addr_index += 1;
                if !taken(&key) {
                    return Ok(key);
                }
            }
            if !has_ports {
                return Err(NatError::Exhausted);
            }
            let (lo, hi) = fallback_ports(orig.src_port);
            (lo, hi, true)
        }
    };
    let n = u64::from(hi - lo) + 1;
    // A named range starts at a seeded port; the fallback after the
    // original port (which collided).
    let first = if fallback {
        let own = orig.src_port;
        if (lo..hi).contains(&own) {
            u64::from(own - lo) + 1
        } else {
            0
        }
    } else {
        port_start
    };
    let mut addr_index = 0u128;
    while attempts < MAX_ATTEMPTS && addr_index <= addrs.span {
        let addr = address(addr_index);
        addr_index += 1;
        let mut port_index = 0u64;
        while attempts < MAX_ATTEMPTS && port_index < n {
            attempts += 1;
            let port = lo + ((first.wrapping_add(port_index)) % n) as u16;
            port_index += 1;
            let key = match (kind, fallback) {
                // A collision without a port range moves the source port
                // of the original direction, whichever side is translated.
                (NatKind::Dst, true) => ConnKey {
                    dst_port: port,
                    ..candidate(addr, None)
                },
                _ => candidate(addr, Some(port)),
            };
            if !taken(&key) {
                return Ok(key);
            }
        }
    }
    Err(NatError::Exhausted)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn action(kind: NatKind, min: &str, max: Option<&str>, ports: Option<(u16, u16)>) -> NatAction {
        NatAction {
            kind: Some(kind),
            addr_min: Some(ip(min)),
            addr_max: max.map(ip),
            port_min: ports.map(|p| p.0),
            port_max: ports.map(|p| p.1),
            persistent: false,
            random: false,
        }
    }

    fn tcp(src: &str, dst: &str, sport: u16, dport: u16) -> ConnKey {
        ConnKey::new(ip(src), ip(dst), ip_proto::TCP, sport, dport, 0)
    }

    #[test]
    fn snat_with_a_port_range_takes_its_port_from_the_range() {
        let a = action(NatKind::Src, "192.168.0.10", None, Some((1024, 2048)));
        for sport in [1234, 40000] {
            let orig = tcp("10.1.1.1", "10.1.1.2", sport, 80);
            let reply = choose(&orig, &a, seed(&orig, &a, 7), |_| false).unwrap();
            assert_eq!(reply.src_ip(), ip("10.1.1.2"));
            assert_eq!(reply.dst_ip(), ip("192.168.0.10"));
            assert_eq!(reply.src_port, 80);
            assert!(
                (1024..=2048).contains(&reply.dst_port),
                "{}",
                reply.dst_port
            );
        }
    }

    #[test]
    fn dnat_without_ports_changes_only_the_address() {
        let a = action(NatKind::Dst, "172.16.0.5", None, None);
        let orig = tcp("10.1.1.1", "10.1.1.2", 1234, 80);
        let reply = choose(&orig, &a, 1, |_| false).unwrap();
        assert_eq!(reply, tcp("172.16.0.5", "10.1.1.1", 80, 1234));
        let a = action(NatKind::Dst, "172.16.0.5", None, Some((8080, 8080)));
        let reply = choose(&orig, &a, 1, |_| false).unwrap();
        assert_eq!(reply, tcp("172.16.0.5", "10.1.1.1", 8080, 1234));
    }

    #[test]
    fn address_ranges_stay_in_range_for_both_families() {
        let a = action(NatKind::Src, "192.168.0.10", Some("192.168.0.20"), None);
        let taken: HashSet<IpAddr> = HashSet::new();
        for sport in 1000..1050 {
            let orig = tcp("10.1.1.1", "10.1.1.2", sport, 80);
            let reply = choose(&orig, &a, seed(&orig, &a, 3), |k| {
                taken.contains(&k.dst_ip())
            })
            .unwrap();
            let IpAddr::V4(v4) = reply.dst_ip() else {
                panic!("family changed")
            };
            assert!((u32::from(v4) & 0xff) >= 10 && (u32::from(v4) & 0xff) <= 20);
            assert_eq!(reply.dst_port, sport);
        }
        let a6 = action(NatKind::Src, "fd00::10", Some("fd00::1f"), None);
        let orig = tcp("2001:db8::1", "2001:db8::2", 1234, 80);
        let reply = choose(&orig, &a6, seed(&orig, &a6, 3), |_| false).unwrap();
        let IpAddr::V6(v6) = reply.dst_ip() else {
            panic!("family changed")
        };
        assert!((0x10..=0x1f).contains(&(u128::from(v6) & 0xff)));
        assert_eq!(
            choose(
                &orig,
                &action(NatKind::Src, "1.2.3.4", None, None),
                0,
                |_| false
            ),
            Err(NatError::BadRange)
        );
    }

    #[test]
    fn a_colliding_source_port_moves_to_the_next_free_one() {
        let a = action(NatKind::Src, "192.168.0.10", None, None);
        let orig = tcp("10.1.1.1", "10.1.1.2", 1234, 80);
        let first = choose(&orig, &a, 5, |_| false).unwrap();
        assert_eq!(first.dst_port, 1234);
        // The next port up, whatever the seed (OVS 3.1, nat-src-zero.scn).
        let second = choose(&orig, &a, 5, |k| *k == first).unwrap();
        assert_eq!(second.dst_port, 1235);
        let third = choose(&orig, &a, 9, |k| *k == first || *k == second).unwrap();
        assert_eq!(third.dst_port, 1236);
        let d = action(NatKind::Dst, "172.16.0.5", None, None);
        let first = choose(&orig, &d, 5, |_| false).unwrap();
        let second = choose(&orig, &d, 5, |k| *k == first).unwrap();
        assert_eq!((second.src_port, second.src_ip()), (80, ip("172.16.0.5")));
        assert_eq!(second.dst_port, 1235);
        // From the top of the range back to its start; low ports stay low
        // (OVS 3.1, nat-dnat-collision.scn).
        for (own, next) in [(65535, 1024), (53, 54), (511, 1), (1023, 600), (599, 600)] {
            let orig = tcp("10.1.1.1", "10.1.1.2", own, 80);
            let first = choose(&orig, &a, 5, |_| false).unwrap();
            let second = choose(&orig, &a, 5, |k| *k == first).unwrap();
            assert_eq!(second.dst_port, next);
        }
    }

    /// As OVS 3.1: every address keeps the original port before a port
    /// moves, whichever address the seed starts at.
    #[test]
    fn an_address_range_keeps_the_port_before_moving_it() {
        let a = action(NatKind::Src, "192.168.0.10", Some("192.168.0.11"), None);
        let orig = tcp("10.1.1.1", "10.1.1.2", 4000, 80);
        // The reply key of the connection translated to `addr:port`.
        let on = |addr: &str, port: u16| tcp("10.1.1.2", addr, 80, port);
        for seed in 0..8 {
            let one = [on("192.168.0.10", 4000)];
            let got = choose(&orig, &a, seed, |k| one.contains(k)).unwrap();
            assert_eq!(got, on("192.168.0.11", 4000), "seed {seed}");
            let both = [on("192.168.0.10", 4000), on("192.168.0.11", 4000)];
            let got = choose(&orig, &a, seed, |k| both.contains(k)).unwrap();
            assert_eq!(got.dst_port, 4001, "seed {seed}");
        }
    }

    #[test]
    fn an_all_zero_source_translates_only_a_colliding_port() {
        let a = action(NatKind::Src, "0.0.0.0", None, None);
        let orig = tcp("10.1.1.1", "10.1.1.2", 1234, 80);
        let first = choose(&orig, &a, 5, |_| false).unwrap();
        assert_eq!(first, orig.reverse());
        let second = choose(&orig, &a, 5, |k| *k == first).unwrap();
        assert_eq!(second.dst_ip(), ip("10.1.1.1"));
        assert!(second.dst_port >= 1024 && second.dst_port != 1234);
    }

    #[test]
    fn icmp_keeps_its_identifier() {
        let a = action(NatKind::Src, "192.168.0.10", None, Some((1024, 2048)));
        let orig = ConnKey::new_icmp(ip("10.1.1.1"), ip("10.1.1.2"), 7, 8, 0, 0);
        let reply = choose(&orig, &a, 9, |_| false).unwrap();
        assert_eq!(
            reply,
            ConnKey::new_icmp(ip("10.1.1.2"), ip("192.168.0.10"), 7, 0, 0, 0)
        );
        assert_eq!(
            choose(&orig, &a, 9, |k| *k == reply),
            Err(NatError::Exhausted)
        );
    }

    #[test]
    fn a_full_port_range_is_refused_after_a_bounded_search() {
        let a = action(NatKind::Src, "192.168.0.10", None, Some((3000, 3001)));
        let mut used: Vec<ConnKey> = Vec::new();
        for sport in [1, 2] {
            let orig = tcp("10.1.1.1", "10.1.1.2", sport, 80);
            let reply = choose(&orig, &a, seed(&orig, &a, 0), |k| used.contains(k)).unwrap();
            used.push(reply);
        }
        let orig = tcp("10.1.1.1", "10.1.1.2", 3, 80);
        assert_eq!(
            choose(&orig, &a, 0, |k| used.contains(k)),
            Err(NatError::Exhausted)
        );
        let wide = action(
            NatKind::Src,
            "192.168.0.10",
            Some("192.168.255.255"),
            Some((1, 65535)),
        );
        let mut asked = 0;
        let full = choose(&orig, &wide, 0, |_| {
            asked += 1;
            true
        });
        assert_eq!((full, asked), (Err(NatError::Exhausted), MAX_ATTEMPTS));
    }

    #[test]
    fn persistent_ignores_ports_in_the_seed() {
        let mut a = action(NatKind::Src, "192.168.0.10", Some("192.168.0.250"), None);
        a.persistent = true;
        let one = tcp("10.1.1.1", "10.1.1.2", 1000, 80);
        let two = tcp("10.1.1.1", "10.1.1.2", 2000, 80);
        assert_eq!(seed(&one, &a, 4), seed(&two, &a, 4));
        a.persistent = false;
        assert_ne!(seed(&one, &a, 4), seed(&two, &a, 4));
    }
}
