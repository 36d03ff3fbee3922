//! The pieces of ovs-ofctl's action syntax that every action shares: the
//! `key:value` / `key=value` / `key(value)` tokenizer, numbers as OVS's
//! `str_to_*` helpers read them, hex byte strings, port and table names, and
//! [`ParseError`], whose text is what ovs-ofctl prints.

use std::fmt::Write as _;

use crate::error::OfpError;

/// A rejected action string. `Display` is ovs-ofctl's message, without the
/// `ovs-ofctl: ` prefix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// A syntax or value error found while parsing, e.g.
    /// `"force" flag requires "commit" flag.`
    #[error("{0}")]
    Syntax(String),
    /// The actions contradict the flow's match in a way OVS rejects outright.
    #[error("actions are invalid with specified match ({0})")]
    Inconsistent(OfpError),
    /// The actions only make sense for OpenFlow 1.0 with this match (OVS's
    /// `inconsistent_match()`), so no OpenFlow 1.3 encoding exists.
    #[error("no usable protocol")]
    NoUsableProtocol,
}

impl ParseError {
    pub fn msg(message: impl Into<String>) -> Self {
        ParseError::Syntax(message.into())
    }
}

pub type ParseResult<T> = Result<T, ParseError>;

/// Splits a comma-separated action list into `(key, value)` pairs the way
/// OVS's `ofputil_parse_key_value()` does: `key:value` and `key=value` run to
/// the next comma or white space, `key(value)` to the matching parenthesis
/// (with `(x)->y` kept whole for `check_pkt_larger`), and a bare `key` has an
/// empty value.
#[derive(Debug, Clone)]
pub struct KeyValues<'a> {
    rest: &'a str,
}

impl<'a> KeyValues<'a> {
    pub fn new(text: &'a str) -> Self {
        KeyValues { rest: text }
    }
}

const SPACE_OR_COMMA: &[char] = &[',', ' ', '\t', '\r', '\n'];

impl<'a> Iterator for KeyValues<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let s = self.rest.trim_start_matches(SPACE_OR_COMMA);
        if s.is_empty() {
            self.rest = s;
            return None;
        }
        let key_len = s
            .find([':', '=', '(', ',', ' ', '\t', '\r', '\n'])
            .unwrap_or(s.len());
        let key = &s[..key_len];
        let delim = s[key_len..].chars().next();
        let after_key = &s[key_len + delim.map_or(0, char::len_utf8)..];
        let value_delims: &[char] = match delim {
            Some(':') | Some('=') => SPACE_OR_COMMA,
            Some('(') => &[')'],
            _ => {
                self.rest = after_key;
                return Some((key, ""));
            }
        };
        let mut value_len = value_span(after_key, value_delims);
        if delim == Some('(') && after_key[value_len..].starts_with(")->") {
            value_len += value_span(&after_key[value_len..], SPACE_OR_COMMA);
        }
        let value = &after_key[..value_len];
        let tail = &after_key[value_len..];
        self.rest = tail.chars().next().map_or(tail, |c| &tail[c.len_utf8()..]);
        Some((key, value))
    }
}

/// Length of the prefix of `s` before the first of `delims` that is not
/// inside parentheses (OVS's `parse_value()`).
fn value_span(s: &str, delims: &[char]) -> usize {
    let bytes = s.as_bytes();
    let mut n = 0;
    while let Some(&b) = bytes.get(n) {
        if delims.contains(&char::from(b)) {
            break;
        }
        if b == b'(' {
            let mut level = 0i32;
            loop {
                match bytes.get(n) {
                    None => return n,
                    Some(b'(') => level += 1,
                    Some(b')') => level -= 1,
                    Some(_) => {}
                }
                n += 1;
                if level <= 0 {
                    break;
                }
            }
        } else {
            n += 1;
        }
    }
    n
}

/// C's `strtoull(s, &tail, 0)` followed by OVS's "whole string consumed"
/// check: optional white space and sign, `0x` for hex, a leading `0` for
/// octal. A minus sign negates modulo 2^64, as C does. `None` if nothing or
/// not everything was consumed or the value overflows 64 bits.
pub fn c_strtoull(s: &str) -> Option<u64> {
    let (negative, magnitude) = c_strto_magnitude(s)?;
    Some(if negative {
        magnitude.wrapping_neg()
    } else {
        magnitude
    })
}

/// C's `strtoull(s, NULL, 0)` where the caller ignores what follows the
/// number: the longest numeric prefix (0 if there is none), `u64::MAX` on
/// overflow, a minus sign negating modulo 2^64.
pub fn c_strtoull_prefix(s: &str) -> u64 {
    let body = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, body) = match body.as_bytes().first() {
        Some(b'-') => (true, &body[1..]),
        Some(b'+') => (false, &body[1..]),
        _ => (false, body),
    };
    let (radix, digits) = match body.strip_prefix("0x").or(body.strip_prefix("0X")) {
        Some(hex) if hex.starts_with(|c: char| c.is_ascii_hexdigit()) => (16, hex),
        _ if body.starts_with('0') => (8, body),
        _ => (10, body),
    };
    let len = digits
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(digits.len());
    let magnitude =
        u64::from_str_radix(&digits[..len], radix).unwrap_or(if len == 0 { 0 } else { u64::MAX });
    if negative {
        magnitude.wrapping_neg()
    } else {
        magnitude
    }
}

/// C's `strtol(s, &tail, 0)` on a 64-bit `long`, with the same whole-string
/// rule as [`c_strtoull`].
pub fn c_strtol(s: &str) -> Option<i64> {
    let (negative, magnitude) = c_strto_magnitude(s)?;
    if negative {
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    }
}

fn c_strto_magnitude(s: &str) -> Option<(bool, u64)> {
    let s = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    nxm_fields::format::strto_magnitude(s).ok()
}

/// One `%u`-style conversion of C's `scanf` at the front of `s` (white
/// space, an optional sign, decimal digits), as glibc does it: a minus sign
/// negates modulo 2^64 and overflow gives `u64::MAX`. Returns the value and
/// the bytes consumed; `None` without a digit. Callers truncate to the
/// conversion's width (`%hu`, `%hhu`) as C does.
pub fn scan_c_unsigned(s: &str) -> Option<(u64, usize)> {
    let body = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let mut n = s.len() - body.len();
    let negative = body.starts_with('-');
    if body.starts_with(['-', '+']) {
        n += 1;
    }
    let digits = s[n..].bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let magnitude = s[n..n + digits].parse::<u64>().unwrap_or(u64::MAX);
    let value = if negative {
        magnitude.wrapping_neg()
    } else {
        magnitude
    };
    Some((value, n + digits))
}

/// C's `strtok_r()` over one string, where each call names its own
/// delimiters (OVS's `multipath` and `bundle` parsers switch sets midway).
#[derive(Debug, Clone)]
pub struct Strtok<'a> {
    rest: &'a str,
}

impl<'a> Strtok<'a> {
    pub fn new(s: &'a str) -> Self {
        Strtok { rest: s }
    }

    /// The next token: delimiters before it are skipped, and one after it is
    /// consumed with it.
    pub fn next_token(&mut self, delims: &[char]) -> Option<&'a str> {
        let s = self.rest.trim_start_matches(delims);
        let end = s.find(delims).unwrap_or(s.len());
        let (token, tail) = s.split_at(end);
        let mut tail = tail.chars();
        tail.next();
        self.rest = tail.as_str();
        (!token.is_empty()).then_some(token)
    }
}

/// Looks a code up by name, ignoring case, in a `(name, code)` table.
pub fn code_by_name(table: &[(&str, u16)], name: &str) -> Option<u16> {
    table
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|&(_, code)| code)
}

/// The name of a code in a `(name, code)` table.
pub fn name_of_code(table: &[(&'static str, u16)], code: u16) -> Option<&'static str> {
    table.iter().find(|&&(_, c)| c == code).map(|&(n, _)| n)
}

/// C's `atoi()` as glibc has it (`(int) strtol(s, NULL, 10)`): leading
/// white space and a sign, then decimal digits up to the first other
/// character; no digits is 0, overflow saturates at `long`'s range before
/// the truncation to `int`.
pub fn c_atoi(s: &str) -> i32 {
    let body = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, digits) = match body.as_bytes().first() {
        Some(b'-') => (true, &body[1..]),
        Some(b'+') => (false, &body[1..]),
        _ => (false, body),
    };
    let magnitude = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |acc, d| {
            acc.saturating_mul(10).saturating_add(i64::from(d - b'0'))
        });
    let value = if negative {
        magnitude.saturating_neg()
    } else {
        magnitude
    };
    value as i32
}

/// OVS's `str_to_u32()`: any `strtoull` number, truncated to 32 bits.
pub fn str_to_u32(s: &str) -> ParseResult<u32> {
    if s.is_empty() {
        return Err(ParseError::msg("missing required numeric argument"));
    }
    c_strtoull(s)
        .map(|v| v as u32)
        .ok_or_else(|| ParseError::msg(format!("invalid numeric format {s}")))
}

/// OVS's `str_to_u64()`.
pub fn str_to_u64(s: &str) -> ParseResult<u64> {
    if s.is_empty() {
        return Err(ParseError::msg("missing required numeric argument"));
    }
    c_strtoull(s).ok_or_else(|| ParseError::msg(format!("invalid numeric format {s}")))
}

/// OVS's `str_to_u16()`: a `strtol` number in 0..=65535, else
/// `invalid NAME "S"`.
pub fn str_to_u16(s: &str, name: &str) -> ParseResult<u16> {
    c_strtol(s)
        .and_then(|v| u16::try_from(v).ok())
        .ok_or_else(|| ParseError::msg(format!("invalid {name} \"{s}\"")))
}

/// OVS's `str_to_u8()`.
pub fn str_to_u8(s: &str, name: &str) -> ParseResult<u8> {
    c_strtol(s)
        .and_then(|v| u8::try_from(v).ok())
        .ok_or_else(|| ParseError::msg(format!("invalid {name} \"{s}\"")))
}

/// Hex bytes as `note:` and `controller(userdata=)` take them: pairs of hex
/// digits, with any `.` or white space between pairs ignored. `None` on a
/// lone or bad digit.
pub fn parse_hex_bytes(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 2);
    let mut rest = s.as_bytes();
    loop {
        while let Some((b'.' | b' ' | b'\t' | b'\r' | b'\n', tail)) = rest.split_first() {
            rest = tail;
        }
        match rest {
            [] => return Some(out),
            [hi, lo, tail @ ..] => {
                let hi = char::from(*hi).to_digit(16)?;
                let lo = char::from(*lo).to_digit(16)?;
                out.push((hi * 16 + lo) as u8);
                rest = tail;
            }
            [_] => return None,
        }
    }
}

/// Hex bytes as OVS prints them: `01.02.ff`.
pub fn format_hex_bytes(bytes: &[u8], out: &mut String) {
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        let _ = write!(out, "{b:02x}");
    }
}

/// OVS's 16-bit port numbers (`ofp_port_t`), which Nicira actions carry
/// and action text uses. A reserved port's 16-bit number is the low half of
/// its OpenFlow 1.1+ number; `nxm_fields::port` holds those, the names and
/// the conversions between the two numberings.
pub mod port {
    use nxm_fields::port as of11;

    /// Ports at or above this are reserved.
    pub const MAX: u16 = of11::OFPP_MAX as u16;
    pub const IN_PORT: u16 = of11::OFPP_IN_PORT as u16;
    pub const TABLE: u16 = of11::OFPP_TABLE as u16;
    pub const NORMAL: u16 = of11::OFPP_NORMAL as u16;
    pub const FLOOD: u16 = of11::OFPP_FLOOD as u16;
    pub const ALL: u16 = of11::OFPP_ALL as u16;
    pub const CONTROLLER: u16 = of11::OFPP_CONTROLLER as u16;
    pub const LOCAL: u16 = of11::OFPP_LOCAL as u16;
    /// OFPP_NONE, which OpenFlow 1.1+ calls ANY.
    pub const NONE: u16 = of11::OFPP_ANY as u16;
}

/// Resolves port names other than the reserved ones (e.g. `p1` from the
/// switch's port list). ovs-ofctl `parse-flow` has none.
pub type PortNames<'a> = &'a dyn Fn(&str) -> Option<u16>;

/// OVS's `ofputil_port_from_string()`: a reserved name or decimal number
/// (`nxm_fields::port::parse_port`, in 16 bits), else a name known to
/// `names`, optionally in double quotes.
pub fn parse_port(s: &str, names: Option<PortNames<'_>>) -> Option<u16> {
    if let Some(p) = nxm_fields::port::parse_port(s) {
        return Some(nxm_fields::port::to_ofp10(p));
    }
    let name = s
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s);
    names.and_then(|lookup| lookup(name))
}

/// OVS's `ofputil_format_port()`: a reserved name or the decimal number.
pub fn format_port(p: u16, out: &mut String) {
    out.push_str(&nxm_fields::port::format_port(
        nxm_fields::port::from_ofp10(p),
    ));
}

/// OVS's `ofputil_port_from_ofp11()`: a 32-bit port as a 16-bit one; ports
/// between the 16-bit range and the reserved range do not exist.
pub fn port_from_of13(p: u32) -> Result<u16, OfpError> {
    if p < u32::from(port::MAX) || p >= nxm_fields::port::OFPP_MAX {
        Ok(nxm_fields::port::to_ofp10(p))
    } else {
        Err(OfpError::BadAction(crate::error::BadActionCode::BadOutPort))
    }
}

/// OVS's `ofputil_table_from_string()` without table names: 0..=255.
pub fn parse_table(s: &str) -> Option<u8> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(s: &str) -> Vec<(&str, &str)> {
        KeyValues::new(s).collect()
    }

    #[test]
    fn key_values_split_like_ofputil_parse_key_value() {
        assert_eq!(
            kv("output:1, ct(commit,exec(set_field:1->ct_mark)),drop"),
            vec![
                ("output", "1"),
                ("ct", "commit,exec(set_field:1->ct_mark)"),
                ("drop", "")
            ]
        );
        assert_eq!(kv("resubmit(,2)"), vec![("resubmit", ",2")]);
        assert_eq!(kv("a=(1,2),b"), vec![("a", "(1,2)"), ("b", "")]);
        assert_eq!(
            kv("check_pkt_larger(100)->reg0[0],x"),
            vec![("check_pkt_larger", "100)->reg0[0]"), ("x", "")]
        );
        assert_eq!(kv("ct(commit"), vec![("ct", "commit")]);
    }

    #[test]
    fn numbers_follow_c_strtoull() {
        assert_eq!(c_strtoull("0x10"), Some(16));
        assert_eq!(c_strtoull("010"), Some(8));
        assert_eq!(c_strtoull("-1"), Some(u64::MAX));
        assert_eq!(c_strtoull("0x"), None);
        assert_eq!(c_strtoull("18446744073709551616"), None);
        assert_eq!(c_strtoull("09"), None);
        // ovs-ofctl 3.1: group:4294967296 prints group:0.
        assert_eq!(str_to_u32("4294967296"), Ok(0));
        assert_eq!(
            str_to_u32("abc").map_err(|e| e.to_string()),
            Err("invalid numeric format abc".to_string())
        );
        assert_eq!(
            str_to_u16("-1", "ethertype").map_err(|e| e.to_string()),
            Err("invalid ethertype \"-1\"".to_string())
        );
        assert_eq!(str_to_u16("+33024", "ethertype"), Ok(0x8100));
    }

    #[test]
    fn strtoull_prefix_ignores_what_follows() {
        // ovs-ofctl 3.1: learn(cookie=0x12zz) prints cookie=0x12.
        assert_eq!(c_strtoull_prefix("0x12zz"), 0x12);
        assert_eq!(c_strtoull_prefix("017"), 0o17);
        assert_eq!(c_strtoull_prefix("zz"), 0);
        assert_eq!(c_strtoull_prefix("99999999999999999999"), u64::MAX);
    }

    #[test]
    fn strtok_skips_runs_of_delimiters() {
        let mut t = Strtok::new(",a,, b:c");
        assert_eq!(t.next_token(&[',', ' ']), Some("a"));
        assert_eq!(t.next_token(&[',', ' ']), Some("b:c"));
        assert_eq!(t.next_token(&[',']), None);
        let mut t = Strtok::new("x: 1,2");
        assert_eq!(t.next_token(&[':', ' ']), Some("x"));
        assert_eq!(t.next_token(&[',', ' ']), Some("1"));
    }

    #[test]
    fn atoi_reads_a_prefix_and_truncates_to_int() {
        assert_eq!(c_atoi("50"), 50);
        assert_eq!(c_atoi(" -3x"), -3);
        assert_eq!(c_atoi("x"), 0);
        // ovs-ofctl 3.1: multipath(eth_src,70000,...) has basis 4464 once
        // stored in 16 bits.
        assert_eq!(c_atoi("70000") as u16, 4464);
        assert_eq!(c_atoi("99999999999999999999"), -1);
    }

    #[test]
    fn scanf_conversions_stop_at_the_first_non_digit() {
        assert_eq!(scan_c_unsigned("80-90"), Some((80, 2)));
        assert_eq!(scan_c_unsigned(" +5x"), Some((5, 3)));
        assert_eq!(scan_c_unsigned("-1"), Some((u64::MAX, 2)));
        assert_eq!(
            scan_c_unsigned("99999999999999999999"),
            Some((u64::MAX, 20))
        );
        assert_eq!(scan_c_unsigned("x"), None);
        assert_eq!(scan_c_unsigned("-"), None);
    }

    #[test]
    fn hex_bytes_skip_dots() {
        assert_eq!(parse_hex_bytes("01..02"), Some(vec![1, 2]));
        assert_eq!(parse_hex_bytes(".01."), Some(vec![1]));
        assert_eq!(parse_hex_bytes("1"), None);
        assert_eq!(parse_hex_bytes("zz"), None);
        let mut s = String::new();
        format_hex_bytes(&[1, 0xab], &mut s);
        assert_eq!(s, "01.ab");
    }

    #[test]
    fn ports_parse_and_format_like_ovs() {
        assert_eq!(parse_port("in_port", None), Some(port::IN_PORT));
        assert_eq!(parse_port("ANY", None), Some(port::NONE));
        assert_eq!(parse_port("4294967294", None), Some(port::LOCAL));
        assert_eq!(parse_port("70000", None), None);
        assert_eq!(parse_port("0xfff8", None), None);
        assert_eq!(parse_port("-1", None), None);
        let names = |name: &str| (name == "p1").then_some(7);
        assert_eq!(parse_port("\"p1\"", Some(&names)), Some(7));
        let mut s = String::new();
        format_port(port::CONTROLLER, &mut s);
        format_port(7, &mut s);
        // ovs-ofctl 3.1: resubmit(unset) prints resubmit:UNSET.
        format_port(0xfff7, &mut s);
        assert_eq!(s, "CONTROLLER7UNSET");
        assert_eq!(port_from_of13(0xffff_fffd), Ok(port::CONTROLLER));
        assert!(port_from_of13(0x1_0000).is_err());
    }
}
