//! Which connections a flush deletes: all, a zone's, those matching an
//! original or reply tuple (fully or partly), a mark or labels under a
//! mask — the filters of `dpctl/flush-conntrack` and OpenFlow's
//! NXT_CT_FLUSH.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::conn::Conn;
use crate::key::ConnKey;
use crate::params::Masked;

/// A partial tuple: every field left `None` matches anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TupleMatch {
    pub src: Option<IpAddr>,
    pub dst: Option<IpAddr>,
    pub src_port: Option<u16>,
    pub dst_port: Option<u16>,
    pub icmp_id: Option<u16>,
    pub icmp_type: Option<u8>,
    pub icmp_code: Option<u8>,
}

impl TupleMatch {
    pub(crate) fn matches(&self, key: &ConnKey) -> bool {
        let opt = |want: Option<u16>, have: u16| want.is_none_or(|w| w == have);
        let ports = if key.is_icmp() {
            opt(self.icmp_id, key.icmp_id())
                && opt(self.icmp_type.map(u16::from), u16::from(key.icmp_type()))
                && opt(self.icmp_code.map(u16::from), u16::from(key.icmp_code()))
        } else {
            opt(self.src_port, key.src_port) && opt(self.dst_port, key.dst_port)
        };
        ports
            && self.src.is_none_or(|a| a == key.src_ip())
            && self.dst.is_none_or(|a| a == key.dst_ip())
    }

    /// The exact key this match names, when it names every field.
    pub(crate) fn exact_key(&self, proto: u8, zone: u16) -> Option<ConnKey> {
        let (src, dst) = (self.src?, self.dst?);
        if src.is_ipv4() != dst.is_ipv4() {
            return None;
        }
        let key = ConnKey::new(src, dst, proto, 0, 0, zone);
        if key.is_icmp() {
            let (id, t, code) = (self.icmp_id?, self.icmp_type?, self.icmp_code?);
            Some(ConnKey {
                proto,
                ..ConnKey::new_icmp(src, dst, id, t, code, zone)
            })
        } else {
            Some(ConnKey {
                src_port: self.src_port?,
                dst_port: self.dst_port?,
                ..key
            })
        }
    }
}

/// What to flush; the default (every field `None`) flushes everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FlushFilter {
    pub zone: Option<u16>,
    pub proto: Option<u8>,
    pub orig: Option<TupleMatch>,
    pub reply: Option<TupleMatch>,
    pub mark: Option<Masked<u32>>,
    pub labels: Option<Masked<u128>>,
}

impl FlushFilter {
    pub fn zone(zone: u16) -> Self {
        FlushFilter {
            zone: Some(zone),
            ..FlushFilter::default()
        }
    }

    /// Whether the filter looks at nothing but (maybe) the zone.
    pub(crate) fn is_zone_only(&self) -> bool {
        self.proto.is_none()
            && self.orig.is_none()
            && self.reply.is_none()
            && self.mark.is_none()
            && self.labels.is_none()
    }

    /// The single key a filter names: a full original tuple and protocol
    /// with nothing else (the zone defaulting to 0, as OVS does).
    pub(crate) fn exact_key(&self) -> Option<ConnKey> {
        if self.reply.is_some() || self.mark.is_some() || self.labels.is_some() {
            return None;
        }
        self.orig?.exact_key(self.proto?, self.zone.unwrap_or(0))
    }

    pub(crate) fn matches(&self, conn: &Conn) -> bool {
        self.zone.is_none_or(|z| z == conn.key.zone)
            && self.proto.is_none_or(|p| p == conn.key.proto)
            && self.orig.is_none_or(|t| t.matches(&conn.key))
            && self.reply.is_none_or(|t| t.matches(&conn.reply_key()))
            && self
                .mark
                .is_none_or(|m| conn.mark & m.mask == m.value & m.mask)
            && self
                .labels
                .is_none_or(|l| conn.label() & l.mask == l.value & l.mask)
    }
}
