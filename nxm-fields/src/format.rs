//! Text forms of field values, as ovs-ofctl reads and prints them: numbers,
//! Ethernet and IP addresses with masks or prefixes, ports by name, and the
//! flag sets of `ct_state`, `tcp_flags`, `tun_flags` and `ip_frag`.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::error::FieldError;
use crate::flow::{ones, Value};
use crate::port;
use crate::registry::FieldDef;

/// How a field's value is written as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Decimal,
    Hex,
    Ethernet,
    Ipv4,
    Ipv6,
    /// A port in OpenFlow 1.0 numbering (16 bits).
    Ofp10Port,
    /// A port in OpenFlow 1.1+ numbering (32 bits).
    Ofp11Port,
    CtState,
    TcpFlags,
    TunFlags,
    Frag,
    PacketType,
}

/// `ct_state` flag names by bit, as OVS names them.
pub const CT_STATE_FLAGS: &[(Value, &str)] = &[
    (0x01, "new"),
    (0x02, "est"),
    (0x04, "rel"),
    (0x08, "rpl"),
    (0x10, "inv"),
    (0x20, "trk"),
    (0x40, "snat"),
    (0x80, "dnat"),
];

/// TCP flag names by bit.
pub const TCP_FLAGS: &[(Value, &str)] = &[
    (0x001, "fin"),
    (0x002, "syn"),
    (0x004, "rst"),
    (0x008, "psh"),
    (0x010, "ack"),
    (0x020, "urg"),
    (0x040, "ece"),
    (0x080, "cwr"),
    (0x100, "ns"),
    (0x200, "[200]"),
    (0x400, "[400]"),
    (0x800, "[800]"),
];

/// Tunnel flag names by bit.
pub const TUN_FLAGS: &[(Value, &str)] = &[(0x1, "oam")];

/// `ip_frag` bits.
pub const FRAG_ANY: Value = 0x1;
pub const FRAG_LATER: Value = 0x2;

/// Fragment keywords: name, value, mask. Where a name has two meanings
/// the first wins, as in ovs-ofctl (`no` matches both bits).
const FRAG_TYPES: &[(&str, Value, Value)] = &[
    ("no", 0, FRAG_ANY | FRAG_LATER),
    ("first", FRAG_ANY, FRAG_ANY | FRAG_LATER),
    ("later", FRAG_ANY | FRAG_LATER, FRAG_ANY | FRAG_LATER),
    ("yes", FRAG_ANY, FRAG_ANY),
    ("not_later", 0, FRAG_LATER),
];

impl FieldDef {
    /// Parses `text` (a value, optionally `/mask`) for this field.
    /// Returns the value and its mask (all ones when none is given).
    pub fn parse_value(&self, text: &str) -> Result<(Value, Value), FieldError> {
        let (value, mask) = match self.format {
            Format::Decimal | Format::Hex => self.parse_integer(text)?,
            Format::Ethernet => parse_ethernet_masked(text)?,
            Format::Ipv4 => parse_ipv4_masked(text)?,
            Format::Ipv6 => parse_ipv6_masked(text)?,
            Format::Ofp10Port | Format::Ofp11Port => {
                let p = port::parse_port(text).ok_or_else(|| {
                    // ovs-ofctl words it by the field's width.
                    let why = if self.format == Format::Ofp10Port {
                        "invalid or unknown port"
                    } else {
                        "port value out of range"
                    };
                    FieldError::text(format!("{text}: {why} for {}", self.name))
                })?;
                let v = if self.format == Format::Ofp10Port {
                    Value::from(port::to_ofp10(p))
                } else {
                    Value::from(p)
                };
                (v, self.exact_mask())
            }
            Format::CtState | Format::TcpFlags | Format::TunFlags => self.parse_flags(text)?,
            Format::Frag => parse_frag(text)?,
            Format::PacketType => parse_packet_type(text)?,
        };
        // An unmaskable field takes only "wildcarded" or "exact".
        if mask != 0 && mask != self.exact_mask() && !self.maskable {
            return Err(FieldError::text(format!(
                "{text}: invalid mask for field {}",
                self.name
            )));
        }
        Ok((value, mask))
    }

    fn parse_integer(&self, text: &str) -> Result<(Value, Value), FieldError> {
        let (v, m) = match text.split_once('/') {
            Some((v, m)) => (v, Some(m)),
            None => (text, None),
        };
        let value = self.parse_int_part(v, text, "value")?;
        let mask = match m {
            Some(m) => self.parse_int_part(m, text, "mask")?,
            None => self.exact_mask(),
        };
        Ok((value, mask))
    }

    /// One number of `value/mask`; `what` names which, for the message.
    fn parse_int_part(&self, part: &str, whole: &str, what: &str) -> Result<Value, FieldError> {
        let bad = || FieldError::text(format!("{whole}: bad syntax for {} {what}", self.name));
        let too_large = || {
            FieldError::text(format!(
                "{whole}: {what} too large for {}-byte field {}",
                self.n_bytes, self.name
            ))
        };
        let (value, rest) = parse_uint_prefix(part).map_err(|e| match e {
            IntError::Syntax => bad(),
            IntError::Overflow => too_large(),
        })?;
        if value > self.exact_mask() {
            return Err(too_large());
        }
        if !rest.is_empty() {
            return Err(bad());
        }
        Ok(value)
    }

    /// Flag names, the bits text may name, the label in messages, and the
    /// mask an exact flag set gets, per flag format.
    fn flag_table(&self) -> (&'static [(Value, &'static str)], Value, &'static str, Value) {
        match self.format {
            Format::TcpFlags => (TCP_FLAGS, 0x0fff, "TCP", self.exact_mask()),
            // OVS keeps only the public "oam" bit, and matches on that bit.
            Format::TunFlags => (TUN_FLAGS, 0x1, "tunnel", 0x1),
            _ => (CT_STATE_FLAGS, 0xff, "ct_state", self.exact_mask()),
        }
    }

    /// `+a-b`, `a|b` or numbers `V[/M]`, as ovs-ofctl's `parse_flags()`.
    fn parse_flags(&self, text: &str) -> Result<(Value, Value), FieldError> {
        let (names, allowed, label, exact) = self.flag_table();
        let unknown = |what: &str| FieldError::text(format!("{what}: unknown {label} flag(s)"));
        if text.starts_with(|c: char| c.is_ascii_digit()) {
            // Numbers are read as 32-bit C integers, so wider ones wrap.
            // Unlike field values, a bare `0x` is no number here.
            let int = |t: &str| {
                parse_uint(t)
                    .ok()
                    .filter(|_| !t.eq_ignore_ascii_case("0x"))
                    .map(|v| v & 0xffff_ffff)
                    .ok_or_else(|| unknown(text))
            };
            let (value, mask) = match text.split_once('/') {
                Some((v, m)) => (int(v)?, Some(int(m)?)),
                None => (int(text)?, None),
            };
            if value & !allowed != 0 || mask.is_some_and(|m| m & !allowed != 0) {
                return Err(unknown(text));
            }
            return Ok((value, mask.unwrap_or(exact)));
        }
        if !text.starts_with(['+', '-']) {
            // "est|trk": exact flags.
            let mut value = 0;
            for name in text.split('|') {
                value |= lookup_flag(names, name).ok_or_else(|| unknown(text))?;
            }
            return Ok((value, exact));
        }
        let (mut value, mut mask) = (0, 0);
        let mut rest = text;
        while let Some(sign) = rest.chars().next() {
            let body = &rest[sign.len_utf8()..];
            let end = body.find(['+', '-']).unwrap_or(body.len());
            let name = &body[..end];
            if sign != '+' && sign != '-' {
                return Err(unknown(rest));
            }
            // Messages quote the text from the flag on, as ovs-ofctl's do.
            let bit = lookup_flag(names, name).ok_or_else(|| unknown(body))?;
            if mask & bit != 0 {
                return Err(FieldError::text(format!(
                    "{body}: Each {label} flag can be specified only once"
                )));
            }
            mask |= bit;
            if sign == '+' {
                value |= bit;
            }
            rest = &body[end..];
        }
        Ok((value, mask))
    }

    /// Formats a value (and a mask, unless exact) as `set_field:` and
    /// `load:` print it.
    pub fn format_value(&self, value: Value, mask: Option<Value>) -> String {
        let mask = mask.filter(|&m| m != self.exact_mask());
        let mut s = String::new();
        match self.format {
            Format::Decimal
            | Format::Hex
            | Format::CtState
            | Format::Frag
            | Format::PacketType
            | Format::TcpFlags
            | Format::TunFlags => match mask {
                // The value in the field's base, the mask in hex.
                Some(m) if self.format == Format::Decimal => {
                    let _ = write!(s, "{value}/{}", CHex(m));
                }
                Some(m) => {
                    let _ = write!(s, "{}/{}", CHex(value), CHex(m));
                }
                None if self.format == Format::Decimal => {
                    let _ = write!(s, "{value}");
                }
                None if self.format == Format::TunFlags => {
                    s.push_str(&format_flags(TUN_FLAGS, value));
                }
                None => {
                    let _ = write!(s, "{}", CHex(value));
                }
            },
            Format::Ethernet => {
                s.push_str(&format_ethernet(value));
                if let Some(m) = mask {
                    s.push('/');
                    s.push_str(&format_ethernet(m));
                }
            }
            Format::Ipv4 => s.push_str(&format_ipv4_masked(value, mask.unwrap_or(ones(32)))),
            Format::Ipv6 => s.push_str(&format_ipv6_masked(value, mask.unwrap_or(Value::MAX))),
            Format::Ofp10Port => s.push_str(&port::format_port(port::from_ofp10(value as u16))),
            Format::Ofp11Port => s.push_str(&port::format_port(value as u32)),
        }
        s
    }
}

fn lookup_flag(names: &[(Value, &str)], name: &str) -> Option<Value> {
    names.iter().find(|(_, n)| *n == name).map(|(bit, _)| *bit)
}

/// Why an integer failed to parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntError {
    Syntax,
    Overflow,
}

/// Parses an unsigned integer as ovs-ofctl reads field values: `0x` hex of
/// up to 128 bits (`0x` alone reads as zero), anything else as C's
/// `strtoull` with base 0 reads it, so 64 bits at most, a leading `0`
/// meaning octal (`010` is 8, `09` is a syntax error) and a sign allowed
/// (`-1` wraps to 2^64-1, which only fields of 8 bytes or more can hold).
pub fn parse_uint(text: &str) -> Result<Value, IntError> {
    match parse_uint_prefix(text)? {
        (value, "") => Ok(value),
        _ => Err(IntError::Syntax),
    }
}

/// [`parse_uint`] on the number at the front of `text`: its value and what
/// follows it. ovs-ofctl judges the number's size before that rest.
pub fn parse_uint_prefix(text: &str) -> Result<(Value, &str), IntError> {
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        let run = hex
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(hex.len());
        let (digits, rest) = hex.split_at(run);
        let digits = digits.trim_start_matches('0');
        if digits.len() > 32 {
            return Err(IntError::Overflow);
        }
        let value = if digits.is_empty() {
            0
        } else {
            Value::from_str_radix(digits, 16).map_err(|_| IntError::Syntax)?
        };
        return Ok((value, rest));
    }
    let (negative, magnitude, rest) = strto_prefix(text)?;
    let value = if negative {
        magnitude.wrapping_neg()
    } else {
        magnitude
    };
    Ok((Value::from(value), rest))
}

/// The sign and magnitude C's `strtoull`/`strtol` with base 0 read from the
/// whole of `text` (no leading white space): `0x` hex, `0` octal, else
/// decimal. A number out of range is an overflow even with garbage after
/// it; garbage is a syntax error.
pub fn strto_magnitude(text: &str) -> Result<(bool, u64), IntError> {
    match strto_prefix(text)? {
        (negative, magnitude, "") => Ok((negative, magnitude)),
        _ => Err(IntError::Syntax),
    }
}

/// The number `strtoull` reads at the front of `text`, and the rest.
fn strto_prefix(text: &str) -> Result<(bool, u64, &str), IntError> {
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, digits) = if let Some(hex) = unsigned
        .strip_prefix("0x")
        .or_else(|| unsigned.strip_prefix("0X"))
        .filter(|h| h.starts_with(|c: char| c.is_ascii_hexdigit()))
    {
        (16, hex)
    } else if unsigned.len() > 1 && unsigned.starts_with('0') {
        // The leading 0 is itself a number: "09" is 0 and then "9".
        (8, &unsigned[1..])
    } else {
        (10, unsigned)
    };
    let run = digits
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(digits.len());
    let (number, rest) = digits.split_at(run);
    if number.is_empty() && radix != 8 {
        return Err(IntError::Syntax);
    }
    let magnitude = if number.is_empty() {
        0
    } else {
        u64::from_str_radix(number, radix).map_err(|_| IntError::Overflow)?
    };
    Ok((negative, magnitude, rest))
}

/// A whole string of decimal digits with an optional sign, as glibc's
/// `scanf` integer conversions read it: wrapping modulo 2^64 (callers
/// truncate to the conversion's width).
pub fn scan_decimal_wrapping(text: &str) -> Option<u64> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value = digits.bytes().fold(0u64, |acc, b| {
        acc.wrapping_mul(10).wrapping_add(u64::from(b - b'0'))
    });
    Some(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

/// Parses a MAC address (six colon-separated bytes) as ovs-ofctl reads one.
pub fn parse_ethernet(text: &str) -> Option<Value> {
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() != 6 {
        return None;
    }
    parts.iter().try_fold(0, |acc, p| {
        Some((acc << 8) | Value::from(scan_hex_byte(p)?))
    })
}

/// One byte of a MAC as C's `sscanf("%hhx")` reads it: an optional sign
/// and `0x`, then any number of hex digits of which the low byte is kept
/// (`100` is 0x00, `-1` is 0xff).
fn scan_hex_byte(text: &str) -> Option<u8> {
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let digits = unsigned
        .strip_prefix("0x")
        .or_else(|| unsigned.strip_prefix("0X"))
        .filter(|d| d.starts_with(|c: char| c.is_ascii_hexdigit()))
        .unwrap_or(unsigned);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    // strtoul saturates; the byte kept is then 0xff.
    let value = u64::from_str_radix(digits, 16).unwrap_or(u64::MAX);
    let value = if negative {
        value.wrapping_neg()
    } else {
        value
    };
    Some(value.to_le_bytes()[0])
}

fn parse_ethernet_masked(text: &str) -> Result<(Value, Value), FieldError> {
    let bad = || FieldError::text(format!("{text}: invalid Ethernet address"));
    match text.split_once('/') {
        Some((v, m)) => Ok((
            parse_ethernet(v).ok_or_else(bad)?,
            parse_ethernet(m).ok_or_else(bad)?,
        )),
        None => Ok((parse_ethernet(text).ok_or_else(bad)?, ones(48))),
    }
}

/// A dotted quad; like ovs-ofctl, each part is a decimal number taken
/// modulo 256 (`256.0.0.1` reads as `0.0.0.1`).
fn parse_dotted(text: &str) -> Option<Value> {
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    parts.iter().try_fold(0, |acc, p| {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n = p
            .bytes()
            .fold(0u8, |n, d| n.wrapping_mul(10).wrapping_add(d - b'0'));
        Some((acc << 8) | Value::from(n))
    })
}

fn parse_ipv4_masked(text: &str) -> Result<(Value, Value), FieldError> {
    let bad = || FieldError::text(format!("{text}: invalid IP address"));
    let (addr, mask) = match text.split_once('/') {
        Some((a, m)) => (a, Some(m)),
        None => (text, None),
    };
    let value = parse_dotted(addr).ok_or_else(bad)?;
    let mask = match mask {
        None => ones(32),
        Some(m) if m.contains('.') => parse_dotted(m).ok_or_else(bad)?,
        Some(m) => {
            let bits: u32 = m.parse().map_err(|_| bad())?;
            if bits > 32 {
                return Err(FieldError::text(format!(
                    "{text}: IPv4 network prefix bits not between 0 and 32, inclusive"
                )));
            }
            prefix_mask(bits, 32)
        }
    };
    Ok((value, mask))
}

fn parse_ipv6_masked(text: &str) -> Result<(Value, Value), FieldError> {
    let bad = || FieldError::text(format!("{text}: invalid IPv6 address"));
    let (addr, mask) = match text.split_once('/') {
        Some((a, m)) => (a, Some(m)),
        None => (text, None),
    };
    let ip: Ipv6Addr = addr.parse().map_err(|_| bad())?;
    let value = u128::from(ip);
    // ovs-ofctl first reads a prefix length (`%d`: a sign and digits, so
    // `/0f0::` is prefix 0 and trailing garbage), else a mask address.
    let mask = match mask {
        None => Value::MAX,
        Some(m) => {
            let unsigned = m.strip_prefix(['+', '-']).unwrap_or(m);
            let digits = unsigned.len()
                - unsigned
                    .trim_start_matches(|c: char| c.is_ascii_digit())
                    .len();
            if digits > 0 {
                let (number, rest) = m.split_at(m.len() - unsigned.len() + digits);
                if !rest.is_empty() {
                    return Err(bad());
                }
                match number.parse::<i64>() {
                    Ok(bits @ 0..=128) => prefix_mask(bits as u32, 128),
                    _ => {
                        return Err(FieldError::text(format!(
                            "{text}: IPv6 network prefix bits not between 0 and 128, inclusive"
                        )))
                    }
                }
            } else if !m.is_empty()
                && m.chars()
                    .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
            {
                u128::from(
                    m.parse::<Ipv6Addr>()
                        .map_err(|_| FieldError::text(format!("{text}: Invalid IPv6 mask")))?,
                )
            } else {
                return Err(bad());
            }
        }
    };
    Ok((value, mask))
}

fn parse_frag(text: &str) -> Result<(Value, Value), FieldError> {
    FRAG_TYPES
        .iter()
        .find(|(name, _, _)| *name == text)
        .map(|&(_, v, m)| (v, m))
        .ok_or_else(|| {
            FieldError::text(format!(
                "{text}: unknown fragment type (valid types are \"no\", \"yes\", \"first\", \"later\", \"not_later\""
            ))
        })
}

fn parse_packet_type(text: &str) -> Result<(Value, Value), FieldError> {
    let bad =
        |at: &str, why: &str| FieldError::text(format!("{at}: bad syntax for packet type {why}"));
    let inner = text
        .strip_prefix('(')
        .ok_or_else(|| bad(text, "missing '('"))?;
    let (ns, rest) = inner
        .split_once(',')
        .ok_or_else(|| bad(inner, "missing ','"))?;
    let ty = rest
        .strip_suffix(')')
        .ok_or_else(|| bad(rest, "missing ')'"))?;
    // A bad number is quoted from itself to the end, as ovs-ofctl does.
    let number = |t: &str, at: &str, what: &str| {
        parse_uint(t.trim())
            .ok()
            .filter(|v| *v <= 0xffff)
            .ok_or_else(|| bad(at, what))
    };
    let ns = number(ns, inner, "ns")?;
    let ty = number(ty, rest, "ns_type")?;
    Ok(((ns << 16) | ty, ones(32)))
}

/// The mask of a prefix of `bits` bits in a `width`-bit address.
pub fn prefix_mask(bits: u32, width: u32) -> Value {
    if bits == 0 {
        0
    } else {
        ones(width as usize) & !ones((width - bits) as usize)
    }
}

/// The prefix length of `mask` if it is a CIDR mask of a `width`-bit address.
pub fn cidr_bits(mask: Value, width: u32) -> Option<u32> {
    let leading = (mask << (128 - width)).leading_ones();
    (prefix_mask(leading.min(width), width) == mask).then_some(leading.min(width))
}

/// `aa:bb:cc:dd:ee:ff`.
pub fn format_ethernet(value: Value) -> String {
    let b = (value as u64).to_be_bytes();
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        b[2], b[3], b[4], b[5], b[6], b[7]
    )
}

/// An IPv4 address with `/N` or `/a.b.c.d` unless the mask is exact.
pub fn format_ipv4_masked(value: Value, mask: Value) -> String {
    let ip = Ipv4Addr::from(value as u32);
    if mask == ones(32) {
        return ip.to_string();
    }
    match cidr_bits(mask, 32) {
        Some(bits) => format!("{ip}/{bits}"),
        None => format!("{ip}/{}", Ipv4Addr::from(mask as u32)),
    }
}

/// An IPv6 address with `/N` or `/mask` unless the mask is exact.
pub fn format_ipv6_masked(value: Value, mask: Value) -> String {
    let ip = Ipv6Addr::from(value);
    if mask == Value::MAX {
        return ip.to_string();
    }
    match cidr_bits(mask, 128) {
        Some(bits) => format!("{ip}/{bits}"),
        None => format!("{ip}/{}", Ipv6Addr::from(mask)),
    }
}

/// An integer as C's `%#x` (and OVS's `ds_put_hex`) print it: `0x` and the
/// minimal hex digits, except zero, which is plain `0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CHex(pub Value);

impl std::fmt::Display for CHex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0 == 0 {
            f.write_str("0")
        } else {
            write!(f, "{:#x}", self.0)
        }
    }
}

/// `0x` followed by the minimal hex digits of a big-endian byte string
/// (OVS's `ds_put_hex`).
pub fn format_hex(value: Value) -> String {
    format!("{}", CHex(value))
}

/// Flags joined by `|`, unknown bits as hex, `0` when none (OVS's
/// `format_flags`).
pub fn format_flags(names: &[(Value, &str)], flags: Value) -> String {
    if flags == 0 {
        return "0".to_string();
    }
    let mut parts = Vec::new();
    let mut bad = 0;
    for bit in bits_of(flags) {
        match names.iter().find(|(b, _)| *b == bit) {
            Some((_, name)) => parts.push((*name).to_string()),
            None => bad |= bit,
        }
    }
    if bad != 0 {
        parts.push(format!("{}", CHex(bad)));
    }
    parts.join("|")
}

/// `+name`/`-name` for every bit of `mask`, or the exact form when the
/// mask is `max_mask` (OVS's `format_flags_masked`).
pub fn format_flags_masked(
    names: &[(Value, &str)],
    flags: Value,
    mask: Value,
    max_mask: Value,
) -> String {
    if mask == max_mask {
        return format_flags(names, flags);
    }
    if mask == 0 {
        return "0/0".to_string();
    }
    bits_of(mask)
        .map(|bit| {
            let sign = if flags & bit != 0 { '+' } else { '-' };
            let name = names
                .iter()
                .find(|(b, _)| *b == bit)
                .map_or("[Unknown]", |(_, n)| n);
            format!("{sign}{name}")
        })
        .collect()
}

/// The set bits of `v`, lowest first.
fn bits_of(mut v: Value) -> impl Iterator<Item = Value> {
    std::iter::from_fn(move || {
        (v != 0).then(|| {
            let bit = v & v.wrapping_neg();
            v &= !bit;
            bit
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{field, FieldId};

    fn parse(id: FieldId, text: &str) -> Result<(Value, Value), String> {
        field(id).parse_value(text).map_err(|e| e.to_string())
    }

    #[test]
    fn integers_take_decimal_hex_and_masks() {
        assert_eq!(parse(FieldId::TcpDst, "80"), Ok((80, 0xffff)));
        assert_eq!(parse(FieldId::TcpDst, "0x10/0xfff0"), Ok((0x10, 0xfff0)));
        assert_eq!(parse(FieldId::CtMark, "0x1/0x"), Ok((1, 0)));
    }

    #[test]
    fn integer_errors_read_as_ovs_ofctl() {
        assert_eq!(
            parse(FieldId::TcpDst, "70000"),
            Err("70000: value too large for 2-byte field tcp_dst".into())
        );
        assert_eq!(
            parse(FieldId::TcpDst, "abc"),
            Err("abc: bad syntax for tcp_dst value".into())
        );
        assert_eq!(
            parse(FieldId::CtZone, "5/0xff"),
            Err("5/0xff: invalid mask for field ct_zone".into())
        );
        assert_eq!(parse(FieldId::IpProto, "6/0xff"), Ok((6, 0xff)));
        assert_eq!(parse(FieldId::IpProto, "0/0"), Ok((0, 0)));
    }

    #[test]
    fn ipv4_accepts_prefixes_and_dotted_masks() {
        assert_eq!(
            parse(FieldId::Ipv4Src, "1.2.3.4/8"),
            Ok((0x0102_0304, 0xff00_0000))
        );
        assert_eq!(
            parse(FieldId::Ipv4Src, "1.2.3.4/255.0.255.256"),
            Ok((0x0102_0304, 0xff00_ff00))
        );
        assert_eq!(
            parse(FieldId::Ipv4Src, "1.2.3.4/33"),
            Err("1.2.3.4/33: IPv4 network prefix bits not between 0 and 32, inclusive".into())
        );
        assert_eq!(
            parse(FieldId::Ipv4Src, "1.2.3"),
            Err("1.2.3: invalid IP address".into())
        );
    }

    #[test]
    fn ct_state_flags_parse_signed_and_exact_forms() {
        assert_eq!(parse(FieldId::CtState, "+trk+est-inv"), Ok((0x22, 0x32)));
        assert_eq!(parse(FieldId::CtState, "trk"), Ok((0x20, 0xffff_ffff)));
        assert_eq!(
            parse(FieldId::CtState, "0x100/0x100"),
            Err("0x100/0x100: unknown ct_state flag(s)".into())
        );
        assert_eq!(parse(FieldId::TcpFlags, "[200]"), Ok((0x200, 0xffff)));
        assert_eq!(parse(FieldId::CtState, "0x21/0x3f"), Ok((0x21, 0x3f)));
        assert_eq!(
            parse(FieldId::CtState, "+foo"),
            Err("foo: unknown ct_state flag(s)".into())
        );
        assert_eq!(
            parse(FieldId::TcpFlags, "+syn+syn"),
            Err("syn: Each TCP flag can be specified only once".into())
        );
    }

    #[test]
    fn flags_format_lowest_bit_first() {
        assert_eq!(
            format_flags_masked(CT_STATE_FLAGS, 0x21, 0x3f, 0xff),
            "+new-est-rel-rpl-inv+trk"
        );
        assert_eq!(format_flags(CT_STATE_FLAGS, 0x22), "est|trk");
        assert_eq!(format_flags(CT_STATE_FLAGS, 0), "0");
    }

    #[test]
    fn addresses_format_with_cidr_or_mask() {
        assert_eq!(format_ipv4_masked(0x0100_0000, 0xff00_0000), "1.0.0.0/8");
        assert_eq!(
            format_ipv4_masked(0x0100_0300, 0xff00_ff00),
            "1.0.3.0/255.0.255.0"
        );
        assert_eq!(
            format_ipv6_masked(0x2001_0db8 << 96, prefix_mask(64, 128)),
            "2001:db8::/64"
        );
        assert_eq!(format_ethernet(0x0102_0304_0506), "01:02:03:04:05:06");
    }

    #[test]
    fn hex_zero_prints_as_c_does() {
        assert_eq!(CHex(0).to_string(), "0");
        assert_eq!(CHex(0x1f).to_string(), "0x1f");
        assert_eq!(field(FieldId::Reg0).format_value(0, None), "0");
        assert_eq!(field(FieldId::CtMark).format_value(1, None), "0x1");
    }

    #[test]
    fn parse_uint_handles_128_bits() {
        assert_eq!(
            parse_uint("0xffffffffffffffffffffffffffffffff"),
            Ok(u128::MAX)
        );
        assert_eq!(
            parse_uint("0x1ffffffffffffffffffffffffffffffff"),
            Err(IntError::Overflow)
        );
    }

    #[test]
    fn mac_bytes_are_read_as_sscanf_reads_them() {
        assert_eq!(parse_ethernet("100:2:3:4:5:6"), Some(0x0002_0304_0506));
        assert_eq!(
            parse_ethernet("-1:0x2:+3:4:5:999999999996"),
            Some(0xff02_0304_0596)
        );
        assert_eq!(parse_ethernet("1:2:3:4:5:0x"), None);
        assert_eq!(parse_ethernet("1:2:3:4:5:6x"), None);
        assert_eq!(parse_ethernet("1::3:4:5:6"), None);
    }

    #[test]
    fn packet_type_errors_name_the_bad_part() {
        let p = |t| parse(FieldId::PacketType, t);
        assert_eq!(
            p("(x,0)"),
            Err("x,0): bad syntax for packet type ns".into())
        );
        assert_eq!(
            p("(0,0x10000)"),
            Err("0x10000): bad syntax for packet type ns_type".into())
        );
    }

    #[test]
    fn flag_errors_quote_the_text_from_the_bad_flag_on() {
        let p = |t| parse(FieldId::CtState, t);
        assert_eq!(
            p("+rel-iv-rpl"),
            Err("iv-rpl: unknown ct_state flag(s)".into())
        );
        assert_eq!(
            p("+trk+trk-new"),
            Err("trk-new: Each ct_state flag can be specified only once".into())
        );
        assert_eq!(
            p("est|bogus|trk"),
            Err("est|bogus|trk: unknown ct_state flag(s)".into())
        );
        assert_eq!(
            p("0x20/0x"),
            Err("0x20/0x: unknown ct_state flag(s)".into())
        );
    }

    #[test]
    fn ipv6_masks_read_a_prefix_first() {
        let p = |t| parse(FieldId::Ipv6Src, t);
        assert_eq!(p("::1/+64"), Ok((1, prefix_mask(64, 128))));
        assert_eq!(
            p("::1/0f0::"),
            Err("::1/0f0::: invalid IPv6 address".into())
        );
        assert_eq!(p("::1/:"), Err("::1/:: Invalid IPv6 mask".into()));
        assert_eq!(p("::1/xyz"), Err("::1/xyz: invalid IPv6 address".into()));
        assert_eq!(
            p("::1/-1"),
            Err("::1/-1: IPv6 network prefix bits not between 0 and 128, inclusive".into())
        );
        assert_eq!(p("::1/ffff::1"), Ok((1, 0xffff << 112 | 1)));
    }

    #[test]
    fn bad_ports_are_worded_by_field_width() {
        assert_eq!(
            parse(FieldId::InPort, "foo"),
            Err("foo: invalid or unknown port for in_port".into())
        );
        assert_eq!(
            parse(FieldId::ActsetOutput, "0xfff0"),
            Err("0xfff0: port value out of range for actset_output".into())
        );
    }

    #[test]
    fn parse_uint_reads_other_numbers_as_strtoull_does() {
        assert_eq!(parse_uint("010"), Ok(8));
        assert_eq!(parse_uint("0"), Ok(0));
        assert_eq!(parse_uint("09"), Err(IntError::Syntax));
        assert_eq!(parse_uint("+5"), Ok(5));
        assert_eq!(parse_uint("-1"), Ok(Value::from(u64::MAX)));
        assert_eq!(parse_uint("-18446744073709551615"), Ok(1));
        assert_eq!(
            parse_uint("18446744073709551615"),
            Ok(Value::from(u64::MAX))
        );
        assert_eq!(parse_uint("18446744073709551616"), Err(IntError::Overflow));
        assert_eq!(parse_uint("-0x10"), Ok(Value::from(u64::MAX - 15)));
        assert_eq!(parse_uint(""), Err(IntError::Syntax));
        assert_eq!(parse_uint("-"), Err(IntError::Syntax));
        assert_eq!(parse_uint("12ab"), Err(IntError::Syntax));
        assert_eq!(
            parse_uint("99999999999999999999;x"),
            Err(IntError::Overflow)
        );
        assert_eq!(
            parse(FieldId::Reg0, "0x1ffffffffz"),
            Err("0x1ffffffffz: value too large for 4-byte field reg0".into())
        );
        assert_eq!(
            parse(FieldId::TcpDst, "1/70000x"),
            Err("1/70000x: mask too large for 2-byte field tcp_dst".into())
        );
        assert_eq!(
            parse(FieldId::Reg0, "0x1fz"),
            Err("0x1fz: bad syntax for reg0 value".into())
        );
        assert_eq!(
            parse(FieldId::CtLabel, "18446744073709551616"),
            Err("18446744073709551616: value too large for 16-byte field ct_label".into())
        );
        assert_eq!(
            parse(FieldId::CtLabel, "-1"),
            Ok((Value::from(u64::MAX), Value::MAX))
        );
    }
}
