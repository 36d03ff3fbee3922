//! `nat(src|dst[=ADDR[-ADDR][:PORT[-PORT]]][,persistent][,hash|random])`
//! (NXAST_NAT), which is only valid inside `ct(...)`.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use bytes::{BufMut, BytesMut};

use crate::error::{BadActionCode, OfpError};

use super::check::{match_inconsistent, CheckCx, ETH_TYPE_IP, ETH_TYPE_IPV6};
use super::parse::ParseCx;
use super::registry::{ActionType, DecodeCx, Raw};
use super::text::{self, KeyValues, ParseError, ParseResult};
use super::wire::{self, View};

/// NX_NAT_F_* flags.
pub mod flags {
    pub const SRC: u16 = 1 << 0;
    pub const DST: u16 = 1 << 1;
    pub const PERSISTENT: u16 = 1 << 2;
    pub const PROTO_HASH: u16 = 1 << 3;
    pub const PROTO_RANDOM: u16 = 1 << 4;
    pub const MASK: u16 = 0x1f;
}

/// NX_NAT_RANGE_* bits: which optional fields follow the header.
mod present {
    pub const IPV4_MIN: u16 = 1 << 0;
    pub const IPV4_MAX: u16 = 1 << 1;
    pub const IPV6_MIN: u16 = 1 << 2;
    pub const IPV6_MAX: u16 = 1 << 3;
    pub const PROTO_MIN: u16 = 1 << 4;
    pub const PROTO_MAX: u16 = 1 << 5;
}

/// The address range; a `max` of zero (unspecified address) means "none".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NatAddrs {
    V4 { min: Ipv4Addr, max: Ipv4Addr },
    V6 { min: Ipv6Addr, max: Ipv6Addr },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Nat {
    pub flags: u16,
    pub addrs: Option<NatAddrs>,
    /// Port range; zero means "none". Only meaningful with `addrs`.
    pub proto_min: u16,
    pub proto_max: u16,
}

fn bad_argument() -> OfpError {
    OfpError::BadAction(BadActionCode::BadArgument)
}

/// Takes `N` bytes off the front of `opts`, or fails.
fn take<const N: usize>(opts: &mut &[u8]) -> Result<[u8; N], OfpError> {
    let (head, tail) = opts.split_at_checked(N).ok_or_else(bad_argument)?;
    *opts = tail;
    head.try_into().map_err(|_| bad_argument())
}

impl ActionType for Nat {
    fn decode(_: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        let f = v.u16(12)?;
        let range = v.u16(14)?;
        let mut opts = v.rest(16)?;
        if f & !flags::MASK != 0
            || (f & flags::SRC != 0 && f & flags::DST != 0)
            || (f & flags::PROTO_HASH != 0 && f & flags::PROTO_RANDOM != 0)
        {
            return Err(bad_argument());
        }
        let mut a = Nat {
            flags: f,
            ..Nat::default()
        };
        if range & present::IPV4_MIN != 0 {
            if range & (present::IPV6_MIN | present::IPV6_MAX) != 0 {
                return Err(bad_argument());
            }
            let min = Ipv4Addr::from(take::<4>(&mut opts)?);
            if min.is_unspecified() {
                return Err(bad_argument());
            }
            let mut max = Ipv4Addr::UNSPECIFIED;
            if range & present::IPV4_MAX != 0 {
                max = Ipv4Addr::from(take::<4>(&mut opts)?);
                if max < min {
                    return Err(bad_argument());
                }
            }
            a.addrs = Some(NatAddrs::V4 { min, max });
        } else if range & present::IPV4_MAX != 0 {
            return Err(bad_argument());
        } else if range & present::IPV6_MIN != 0 {
            let min = Ipv6Addr::from(take::<16>(&mut opts)?);
            if min.is_unspecified() {
                return Err(bad_argument());
            }
            let mut max = Ipv6Addr::UNSPECIFIED;
            if range & present::IPV6_MAX != 0 {
                max = Ipv6Addr::from(take::<16>(&mut opts)?);
                if max < min {
                    return Err(bad_argument());
                }
            }
            a.addrs = Some(NatAddrs::V6 { min, max });
        } else if range & present::IPV6_MAX != 0 {
            return Err(bad_argument());
        }
        if range & present::PROTO_MIN != 0 {
            if a.addrs.is_none() {
                return Err(bad_argument());
            }
            a.proto_min = u16::from_be_bytes(take::<2>(&mut opts)?);
            if a.proto_min == 0 {
                return Err(bad_argument());
            }
            if range & present::PROTO_MAX != 0 {
                a.proto_max = u16::from_be_bytes(take::<2>(&mut opts)?);
                if a.proto_max < a.proto_min {
                    return Err(bad_argument());
                }
            }
        } else if range & present::PROTO_MAX != 0 {
            return Err(bad_argument());
        }
        Ok(a)
    }

    fn encode(&self, out: &mut BytesMut) {
        let start = wire::begin(out, Raw::NxNat);
        out.put_u16(0);
        out.put_u16(self.flags);
        let present_at = out.len();
        out.put_u16(0);
        let mut range = 0;
        match self.addrs {
            Some(NatAddrs::V4 { min, max }) => {
                if !min.is_unspecified() {
                    out.put_slice(&min.octets());
                    range |= present::IPV4_MIN;
                }
                if !max.is_unspecified() {
                    out.put_slice(&max.octets());
                    range |= present::IPV4_MAX;
                }
            }
            Some(NatAddrs::V6 { min, max }) => {
                if !min.is_unspecified() {
                    out.put_slice(&min.octets());
                    range |= present::IPV6_MIN;
                }
                if !max.is_unspecified() {
                    out.put_slice(&max.octets());
                    range |= present::IPV6_MAX;
                }
            }
            None => {}
        }
        if self.addrs.is_some() {
            if self.proto_min != 0 {
                out.put_u16(self.proto_min);
                range |= present::PROTO_MIN;
            }
            if self.proto_max != 0 {
                out.put_u16(self.proto_max);
                range |= present::PROTO_MAX;
            }
        }
        if let Some(field) = out.get_mut(present_at..present_at + 2) {
            field.copy_from_slice(&range.to_be_bytes());
        }
        wire::finish(out, start, Raw::NxNat);
    }

    fn format(&self, out: &mut String) {
        out.push_str("nat");
        if self.flags & (flags::SRC | flags::DST) == 0 {
            return;
        }
        let mut parts = vec![String::from(if self.flags & flags::SRC != 0 {
            "src"
        } else {
            "dst"
        })];
        if let Some(addrs) = self.addrs {
            let bracket = self.proto_min != 0;
            let mut range = String::from("=");
            match addrs {
                NatAddrs::V4 { min, max } => {
                    let _ = write!(range, "{min}");
                    if !max.is_unspecified() && max != min {
                        let _ = write!(range, "-{max}");
                    }
                }
                NatAddrs::V6 { min, max } => {
                    put_ipv6(&mut range, min, bracket);
                    if !max.is_unspecified() && max != min {
                        range.push('-');
                        put_ipv6(&mut range, max, bracket);
                    }
                }
            }
            if self.proto_min != 0 {
                let _ = write!(range, ":{}", self.proto_min);
                if self.proto_max != 0 && self.proto_max != self.proto_min {
                    let _ = write!(range, "-{}", self.proto_max);
                }
            }
            if let Some(first) = parts.first_mut() {
                first.push_str(&range);
            }
            if self.flags & flags::PERSISTENT != 0 {
                parts.push("persistent".into());
            }
            if self.flags & flags::PROTO_HASH != 0 {
                parts.push("hash".into());
            }
            if self.flags & flags::PROTO_RANDOM != 0 {
                parts.push("random".into());
            }
        }
        let _ = write!(out, "({})", parts.join(","));
    }

    fn ofpact_name(&self) -> &'static str {
        "nat"
    }

    fn check(&mut self, cx: &mut CheckCx) -> Result<(), ParseError> {
        let dl_type = cx.dl_type();
        let ok = match self.addrs {
            None => cx.is_ip_any(),
            Some(NatAddrs::V4 { .. }) => dl_type == ETH_TYPE_IP,
            Some(NatAddrs::V6 { .. }) => dl_type == ETH_TYPE_IPV6,
        };
        if ok {
            Ok(())
        } else {
            Err(match_inconsistent())
        }
    }
}

fn put_ipv6(out: &mut String, addr: Ipv6Addr, bracket: bool) {
    if bracket {
        let _ = write!(out, "[{addr}]");
    } else {
        let _ = write!(out, "{addr}");
    }
}

/// OVS's `IP_SCAN_FMT` (`%hhu.%hhu.%hhu.%hhu`): four scanf conversions,
/// each truncated to 8 bits (so `256.0.0.1` reads as `0.0.0.1`).
fn scan_ipv4(s: &str) -> Option<(Ipv4Addr, usize)> {
    let mut octets = [0u8; 4];
    let mut n = 0;
    for (i, octet) in octets.iter_mut().enumerate() {
        if i > 0 {
            n += s[n..].starts_with('.').then_some(1)?;
        }
        let (value, len) = text::scan_c_unsigned(&s[n..])?;
        *octet = value as u8;
        n += len;
    }
    Some((Ipv4Addr::from(octets), n))
}

/// The longest IPv6 address text OVS scans (`IPV6_SCAN_LEN`).
const IPV6_SCAN_LEN: usize = 46;

/// OVS's `IPV6_SCAN_FMT`, bare or else in brackets: up to 46 characters
/// that may appear in an IPv6 address, whether or not they form one.
/// Returns them and the bytes consumed.
fn scan_ipv6_chars(s: &str) -> Option<(&str, usize)> {
    let allowed = |c: char| c.is_ascii_hexdigit() || c == ':' || c == '.';
    let span = |s: &str| {
        s.find(|c: char| !allowed(c))
            .unwrap_or(s.len())
            .min(IPV6_SCAN_LEN)
    };
    let bare = span(s);
    if bare > 0 {
        return Some((&s[..bare], bare));
    }
    let inner = s.strip_prefix('[')?;
    let len = span(inner);
    (len > 0 && inner[len..].starts_with(']')).then(|| (&inner[..len], len + 2))
}

/// OVS's `str_to_nat_range()`, scanf quirks included: characters scanned
/// as an IPv6 address that is not one are consumed without giving a range
/// (`src=1.2.3` means plain `src`, `src=foo` fails after the `f`), and ports
/// are 16-bit conversions (`:65536` is port 0, i.e. none).
fn parse_range(s: &str, nat: &mut Nat) -> ParseResult<()> {
    let invalid = || ParseError::msg(format!("invalid nat range \"{s}\""));
    let mut n = 0;
    nat.addrs = None;
    if let Some((min, len)) = scan_ipv4(s) {
        n = len;
        let mut max = Ipv4Addr::UNSPECIFIED;
        if s[n..].starts_with('-') {
            n += 1;
            let len;
            (max, len) = scan_ipv4(&s[n..]).ok_or_else(invalid)?;
            if max < min {
                return Err(invalid());
            }
            n += len;
        }
        nat.addrs = Some(NatAddrs::V4 { min, max });
    } else if let Some((chars, len)) = scan_ipv6_chars(s) {
        n = len;
        if let Ok(min) = chars.parse::<Ipv6Addr>() {
            let mut max = Ipv6Addr::UNSPECIFIED;
            if s[n..].starts_with('-') {
                n += 1;
                let (chars, len) = scan_ipv6_chars(&s[n..]).ok_or_else(invalid)?;
                max = chars.parse().map_err(|_| invalid())?;
                if max < min {
                    return Err(invalid());
                }
                n += len;
            }
            nat.addrs = Some(NatAddrs::V6 { min, max });
        }
    }
    if nat.addrs.is_some() && s[n..].starts_with(':') {
        n += 1;
        let (min, len) = text::scan_c_unsigned(&s[n..]).ok_or_else(invalid)?;
        nat.proto_min = min as u16;
        n += len;
        if s[n..].starts_with('-') {
            n += 1;
            let (max, len) = text::scan_c_unsigned(&s[n..]).ok_or_else(invalid)?;
            nat.proto_max = max as u16;
            if nat.proto_max < nat.proto_min {
                return Err(invalid());
            }
            n += len;
        }
    }
    if n != s.len() {
        return Err(ParseError::msg(format!(
            "garbage ({}) after nat range \"{s}\" (pos: {n})",
            &s[n..]
        )));
    }
    Ok(())
}

/// Parses the argument of `nat(...)`.
pub(crate) fn parse_nat(arg: &str) -> ParseResult<Nat> {
    let mut a = Nat::default();
    for (key, value) in KeyValues::new(arg) {
        match key {
            "src" => {
                a.flags |= flags::SRC;
                parse_range(value, &mut a)?;
            }
            "dst" => {
                a.flags |= flags::DST;
                parse_range(value, &mut a)?;
            }
            "persistent" => a.flags |= flags::PERSISTENT,
            "hash" => a.flags |= flags::PROTO_HASH,
            "random" => a.flags |= flags::PROTO_RANDOM,
            _ => {
                return Err(ParseError::msg(format!(
                    "invalid key \"{key}\" in \"nat\" argument"
                )))
            }
        }
    }
    if a.flags & flags::SRC != 0 && a.flags & flags::DST != 0 {
        return Err(ParseError::msg(
            "May only specify one of \"src\" or \"dst\".",
        ));
    }
    if a.flags & (flags::SRC | flags::DST) == 0 {
        if a.flags != 0 {
            return Err(ParseError::msg(
                "Flags allowed only with \"src\" or \"dst\".",
            ));
        }
        if a.addrs.is_some() {
            return Err(ParseError::msg(
                "Range allowed only with \"src\" or \"dst\".",
            ));
        }
    }
    if a.flags & flags::PROTO_HASH != 0 && a.flags & flags::PROTO_RANDOM != 0 {
        return Err(ParseError::msg(
            "Both \"hash\" and \"random\" are not allowed.",
        ));
    }
    Ok(a)
}

/// `nat` as an action keyword (verification rejects it outside `ct`).
pub(crate) fn parse_nat_keyword(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    cx.push(parse_nat(arg)?);
    Ok(())
}
