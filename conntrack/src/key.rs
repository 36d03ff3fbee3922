//! The connection key: the fields that tell one connection from another
//! (addresses, ports or ICMP id/type/code, protocol, zone), in a compact
//! fixed layout, and the symmetric hash that sends both directions of a
//! connection to the same shard and bucket.

use core::hash::{BuildHasher, Hasher};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use crate::wire::{icmpv4, icmpv6, ip_proto};

/// The address family of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum Family {
    Ipv4 = 4,
    Ipv6 = 6,
}

/// One direction of a connection as the tracker keys it.
///
/// An IPv4 address sits in the first four bytes of its 16-byte slot, the
/// rest zero. For ICMP, `src_port` holds the identifier and `dst_port`
/// holds `type << 8 | code`, so that reversing a key turns an echo request
/// into the echo reply it expects.
#[derive(Debug, Clone, Copy, Eq)]
pub struct ConnKey {
    pub src: [u8; 16],
    pub dst: [u8; 16],
    pub src_port: u16,
    pub dst_port: u16,
    pub zone: u16,
    pub proto: u8,
    pub family: Family,
}

/// Compares whole words rather than byte arrays: key comparison is on
/// every lookup's path.
impl PartialEq for ConnKey {
    fn eq(&self, other: &Self) -> bool {
        u128::from_ne_bytes(self.src) == u128::from_ne_bytes(other.src)
            && u128::from_ne_bytes(self.dst) == u128::from_ne_bytes(other.dst)
            && self.tail_word() == other.tail_word()
    }
}

/// Hashes what [`PartialEq`] compares (for maps keyed by one direction;
/// the table itself hashes both directions alike with `KeyHasher`).
impl core::hash::Hash for ConnKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write(&self.src);
        state.write(&self.dst);
        state.write_u64(self.tail_word());
    }
}

impl ConnKey {
    /// Ports, zone, protocol and family in one word.
    fn tail_word(&self) -> u64 {
        u64::from(self.src_port)
            | u64::from(self.dst_port) << 16
            | u64::from(self.zone) << 32
            | u64::from(self.proto) << 48
            | (self.family as u64) << 56
    }

    /// A TCP/UDP/other key from addresses and ports (zero ports for
    /// protocols without them).
    pub fn new(
        src: IpAddr,
        dst: IpAddr,
        proto: u8,
        src_port: u16,
        dst_port: u16,
        zone: u16,
    ) -> Self {
        let (family, src) = addr_bytes(src);
        let (_, dst) = addr_bytes(dst);
        ConnKey {
            src,
            dst,
            src_port,
            dst_port,
            zone,
            proto,
            family,
        }
    }

    /// An ICMP or ICMPv6 key (the protocol follows the address family).
    pub fn new_icmp(
        src: IpAddr,
        dst: IpAddr,
        id: u16,
        icmp_type: u8,
        icmp_code: u8,
        zone: u16,
    ) -> Self {
        let (family, src) = addr_bytes(src);
        let (_, dst) = addr_bytes(dst);
        let proto = if family == Family::Ipv4 {
            ip_proto::ICMP
        } else {
            ip_proto::ICMPV6
        };
        ConnKey {
            src,
            dst,
            src_port: id,
            dst_port: u16::from(icmp_type) << 8 | u16::from(icmp_code),
            zone,
            proto,
            family,
        }
    }

    pub fn is_icmp(&self) -> bool {
        self.proto == ip_proto::ICMP || self.proto == ip_proto::ICMPV6
    }

    pub fn src_ip(&self) -> IpAddr {
        bytes_addr(self.family, &self.src)
    }

    pub fn dst_ip(&self) -> IpAddr {
        bytes_addr(self.family, &self.dst)
    }

    /// The ICMP identifier (for ICMP keys).
    pub fn icmp_id(&self) -> u16 {
        self.src_port
    }

    pub fn icmp_type(&self) -> u8 {
        (self.dst_port >> 8) as u8
    }

    pub fn icmp_code(&self) -> u8 {
        self.dst_port as u8
    }

    /// The key of the other direction of the same connection.
    pub fn reverse(&self) -> Self {
        let (src_port, dst_port) = if self.is_icmp() {
            let t = reverse_icmp_type(self.proto, self.icmp_type());
            (
                self.src_port,
                u16::from(t) << 8 | u16::from(self.icmp_code()),
            )
        } else {
            (self.dst_port, self.src_port)
        };
        ConnKey {
            src: self.dst,
            dst: self.src,
            src_port,
            dst_port,
            ..*self
        }
    }

    /// Whether `other` is this key's reverse, without building the reverse
    /// (this is on every lookup's path).
    pub fn is_reverse_of(&self, other: &ConnKey) -> bool {
        let ports = if self.is_icmp() {
            self.src_port == other.src_port
                && u16::from(reverse_icmp_type(self.proto, self.icmp_type())) << 8
                    | u16::from(self.icmp_code())
                    == other.dst_port
        } else {
            self.src_port == other.dst_port && self.dst_port == other.src_port
        };
        ports
            && u128::from_ne_bytes(self.src) == u128::from_ne_bytes(other.dst)
            && u128::from_ne_bytes(self.dst) == u128::from_ne_bytes(other.src)
            && (self.zone, self.proto, self.family) == (other.zone, other.proto, other.family)
    }

    /// Feeds the key to `hasher` so that a key and its reverse hash alike.
    pub(crate) fn hash_symmetric<H: Hasher>(&self, hasher: &mut H) {
        let (lo, hi) = if self.is_icmp() {
            // Both directions share the identifier; the query type of
            // either direction stands for the pair.
            let t = self.icmp_type();
            let pair = t.min(reverse_icmp_type(self.proto, t));
            let ports =
                u32::from(self.src_port) << 16 | u32::from(pair) << 8 | u32::from(self.icmp_code());
            let (a, b) = if self.src <= self.dst {
                (&self.src, &self.dst)
            } else {
                (&self.dst, &self.src)
            };
            hasher.write_u64(u64::from(ports));
            (a, b)
        } else {
            let fwd = (&self.src, self.src_port) <= (&self.dst, self.dst_port);
            let (a, pa, b, pb) = if fwd {
                (&self.src, self.src_port, &self.dst, self.dst_port)
            } else {
                (&self.dst, self.dst_port, &self.src, self.src_port)
            };
            hasher.write_u64(u64::from(pa) << 16 | u64::from(pb));
            (a, b)
        };
        for half in [lo, hi] {
            let (x, y) = half.split_at(8);
            hasher.write_u64(u64::from_ne_bytes(x.try_into().unwrap_or_default()));
            hasher.write_u64(u64::from_ne_bytes(y.try_into().unwrap_or_default()));
        }
        hasher.write_u64(u64::from(self.zone) << 8 | u64::from(self.proto));
    }
}

/// The per-process random hash of keys: a key and its reverse hash alike.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyHasher {
    state: foldhash::fast::RandomState,
}

impl KeyHasher {
    pub(crate) fn hash(&self, key: &ConnKey) -> u64 {
        let mut hasher = self.state.build_hasher();
        key.hash_symmetric(&mut hasher);
        hasher.finish()
    }
}

fn reverse_icmp_type(proto: u8, t: u8) -> u8 {
    let rev = if proto == ip_proto::ICMP {
        icmpv4::reverse_type(t)
    } else {
        icmpv6::reverse_type(t)
    };
    rev.unwrap_or(t)
}

fn addr_bytes(addr: IpAddr) -> (Family, [u8; 16]) {
    match addr {
        IpAddr::V4(v4) => {
            let mut b = [0u8; 16];
            b[..4].copy_from_slice(&v4.octets());
            (Family::Ipv4, b)
        }
        IpAddr::V6(v6) => (Family::Ipv6, v6.octets()),
    }
}

fn bytes_addr(family: Family, b: &[u8; 16]) -> IpAddr {
    match family {
        Family::Ipv4 => IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3])),
        Family::Ipv6 => IpAddr::V6(Ipv6Addr::from(*b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn reverse_swaps_endpoints_and_is_an_involution() {
        let k = ConnKey::new(ip("10.1.1.1"), ip("10.1.1.2"), ip_proto::TCP, 1234, 80, 3);
        let r = k.reverse();
        assert_eq!(
            (r.src_ip(), r.dst_ip(), r.src_port, r.dst_port, r.zone),
            (ip("10.1.1.2"), ip("10.1.1.1"), 80, 1234, 3)
        );
        assert_eq!(r.reverse(), k);
        assert!(r.is_reverse_of(&k) && k.is_reverse_of(&r));
        assert!(!k.is_reverse_of(&k));
    }

    #[test]
    fn reversed_echo_request_is_the_echo_reply() {
        let req = ConnKey::new_icmp(ip("10.1.1.1"), ip("10.1.1.2"), 7, 8, 0, 0);
        let reply = ConnKey::new_icmp(ip("10.1.1.2"), ip("10.1.1.1"), 7, 0, 0, 0);
        assert_eq!(req.reverse(), reply);
        assert!(reply.is_reverse_of(&req));
        let req6 = ConnKey::new_icmp(ip("::1"), ip("::2"), 7, 128, 0, 0);
        assert_eq!(req6.reverse().icmp_type(), 129);
    }

    #[test]
    fn both_directions_hash_alike_and_zones_apart() {
        let h = KeyHasher::default();
        let k = ConnKey::new(
            ip("2001:db8::1"),
            ip("2001:db8::2"),
            ip_proto::UDP,
            5353,
            53,
            0,
        );
        assert_eq!(h.hash(&k), h.hash(&k.reverse()));
        assert_ne!(h.hash(&k), h.hash(&ConnKey { zone: 1, ..k }));
        let e = ConnKey::new_icmp(ip("10.0.0.1"), ip("10.0.0.2"), 9, 8, 0, 0);
        assert_eq!(h.hash(&e), h.hash(&e.reverse()));
    }

    #[test]
    fn key_is_compact() {
        assert_eq!(core::mem::size_of::<ConnKey>(), 40);
    }
}
