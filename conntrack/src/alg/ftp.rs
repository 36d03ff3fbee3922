//! The FTP control channel messages that announce a data connection:
//! the client's `PORT h1,h2,h3,h4,p1,p2` (RFC 959) and
//! `EPRT |af|addr|port|` (RFC 2428) commands, the server's
//! `227 ... (h1,h2,h3,h4,p1,p2)` and `229 ... (|||port|)` replies.
//!
//! Only the first line of a segment is read, and at most
//! [`MAX_LINE`] bytes of it: an announcement fits in far less. Anything
//! else on the control channel is not an announcement (`Ok(None)`); an
//! announcement whose numbers or address do not parse is an error, which
//! the tracker reports as `+inv` as OVS does.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;

/// How far into a segment an announcement is looked for.
pub const MAX_LINE: usize = 256;

/// Who opens the data connection an announcement is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `PORT`/`EPRT`: the server connects to the client.
    Active,
    /// `227`/`229`: the client connects to the server.
    Passive,
}

/// A data connection announced on the control channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announce {
    pub mode: Mode,
    /// The address named (a `229` reply names none: the control
    /// connection's is meant).
    pub addr: Option<IpAddr>,
    pub port: u16,
    /// Where the address's text is in the segment's payload (empty for a
    /// `229` reply).
    pub addr_span: Range<usize>,
    /// How the address is written: the octets of `PORT`/`227` with
    /// commas, or `EPRT`'s ordinary text form.
    pub style: Style,
}

/// How an announcement writes its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `10,1,1,1`.
    Commas,
    /// `10.1.1.1` or `fc00::1`.
    Text,
}

/// What is wrong with an announcement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FtpError {
    #[error("FTP {0}: no address and port")]
    Missing(&'static str),
    #[error("FTP {0}: a number is out of range")]
    Range(&'static str),
    #[error("FTP {0}: the address does not parse")]
    Address(&'static str),
    #[error("FTP EPRT: unknown address family")]
    Family,
}

/// Reads the announcement, if any, at the start of `payload`, a segment
/// sent by the client (`from_client`) or by the server.
pub fn parse(payload: &[u8], from_client: bool) -> Result<Option<Announce>, FtpError> {
    let line = first_line(payload);
    if from_client {
        if starts_with_word(line, b"PORT") {
            return port(line, 4, Mode::Active, "PORT").map(Some);
        }
        if starts_with_word(line, b"EPRT") {
            return eprt(line).map(Some);
        }
    } else if line.starts_with(b"227") {
        return port(line, 3, Mode::Passive, "227").map(Some);
    } else if line.starts_with(b"229") {
        return epsv(line).map(Some);
    }
    Ok(None)
}

/// The text `addr` is written as in an announcement of `style`.
pub fn format_addr(addr: IpAddr, style: Style) -> String {
    match (addr, style) {
        (IpAddr::V4(a), Style::Commas) => {
            let [a, b, c, d] = a.octets();
            format!("{a},{b},{c},{d}")
        }
        (addr, _) => addr.to_string(),
    }
}

fn first_line(payload: &[u8]) -> &[u8] {
    let head = payload
        .get(..MAX_LINE.min(payload.len()))
        .unwrap_or(payload);
    match head.iter().position(|&b| b == b'\r' || b == b'\n') {
        Some(end) => head.get(..end).unwrap_or(head),
        None => head,
    }
}

/// `line` starts with command `word` (any case), then a space or its end.
fn starts_with_word(line: &[u8], word: &[u8]) -> bool {
    line.get(..word.len())
        .is_some_and(|w| w.eq_ignore_ascii_case(word))
        && line.get(word.len()).is_none_or(|&b| b == b' ')
}

/// A run of ASCII digits at `at` (at most `max` of them, more is out of
/// range): its value and where it ends.
fn number(
    line: &[u8],
    at: usize,
    max: usize,
    what: &'static str,
) -> Result<(u32, usize), FtpError> {
    let digits = line
        .get(at..)
        .unwrap_or(&[])
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 {
        return Err(FtpError::Missing(what));
    }
    if digits > max {
        return Err(FtpError::Range(what));
    }
    let value = line
        .get(at..at + digits)
        .unwrap_or(&[])
        .iter()
        .fold(0u32, |v, d| v * 10 + u32::from(d - b'0'));
    Ok((value, at + digits))
}

/// `PORT`/`227`: six comma-separated numbers from the first digit after
/// the `skip`-byte verb or code.
fn port(line: &[u8], skip: usize, mode: Mode, what: &'static str) -> Result<Announce, FtpError> {
    let start = line
        .iter()
        .enumerate()
        .skip(skip)
        .find(|(_, b)| b.is_ascii_digit())
        .map(|(i, _)| i)
        .ok_or(FtpError::Missing(what))?;
    let mut at = start;
    let mut values = [0u8; 6];
    let mut addr_end = start;
    for (i, slot) in values.iter_mut().enumerate() {
        if i > 0 {
            if line.get(at) != Some(&b',') {
                return Err(FtpError::Missing(what));
            }
            at += 1;
        }
        let (value, end) = number(line, at, 3, what)?;
        *slot = u8::try_from(value).map_err(|_| FtpError::Range(what))?;
        if i == 3 {
            addr_end = end;
        }
        at = end;
    }
    let [a, b, c, d, p1, p2] = values;
    Ok(Announce {
        mode,
        addr: Some(IpAddr::V4(Ipv4Addr::new(a, b, c, d))),
        port: u16::from_be_bytes([p1, p2]),
        addr_span: start..addr_end,
        style: Style::Commas,
    })
}

/// `EPRT <d>af<d>addr<d>port<d>`, the delimiter any printable byte.
fn eprt(line: &[u8]) -> Result<Announce, FtpError> {
    const WHAT: &str = "EPRT";
    let mut at = 4;
    while line.get(at) == Some(&b' ') {
        at += 1;
    }
    let delim = *line.get(at).ok_or(FtpError::Missing(WHAT))?;
    if !delim.is_ascii_graphic() || delim.is_ascii_alphanumeric() {
        return Err(FtpError::Missing(WHAT));
    }
    let field = |from: usize| -> Result<Range<usize>, FtpError> {
        let len = line
            .get(from..)
            .unwrap_or(&[])
            .iter()
            .position(|&b| b == delim)
            .ok_or(FtpError::Missing(WHAT))?;
        Ok(from..from + len)
    };
    let af = field(at + 1)?;
    let addr = field(af.end + 1)?;
    let port_text = field(addr.end + 1)?;
    let text = |r: &Range<usize>| {
        line.get(r.clone())
            .and_then(|t| std::str::from_utf8(t).ok())
            .unwrap_or("")
    };
    let parsed: IpAddr = match text(&af) {
        "1" => text(&addr)
            .parse::<Ipv4Addr>()
            .map_err(|_| FtpError::Address(WHAT))?
            .into(),
        "2" => text(&addr)
            .parse::<Ipv6Addr>()
            .map_err(|_| FtpError::Address(WHAT))?
            .into(),
        _ => return Err(FtpError::Family),
    };
    let (value, end) = number(line, port_text.start, 5, WHAT)?;
    if end != port_text.end {
        return Err(FtpError::Missing(WHAT));
    }
    Ok(Announce {
        mode: Mode::Active,
        addr: Some(parsed),
        port: u16::try_from(value).map_err(|_| FtpError::Range(WHAT))?,
        addr_span: addr,
        style: Style::Text,
    })
}

/// `229 text (<d><d><d>port<d>)`.
fn epsv(line: &[u8]) -> Result<Announce, FtpError> {
    const WHAT: &str = "229";
    let open = line
        .iter()
        .position(|&b| b == b'(')
        .ok_or(FtpError::Missing(WHAT))?;
    let delim = *line.get(open + 1).ok_or(FtpError::Missing(WHAT))?;
    if delim.is_ascii_digit() || line.get(open + 2..open + 4) != Some(&[delim, delim][..]) {
        return Err(FtpError::Missing(WHAT));
    }
    let (value, end) = number(line, open + 4, 5, WHAT)?;
    if line.get(end) != Some(&delim) {
        return Err(FtpError::Missing(WHAT));
    }
    Ok(Announce {
        mode: Mode::Passive,
        addr: None,
        port: u16::try_from(value).map_err(|_| FtpError::Range(WHAT))?,
        addr_span: 0..0,
        style: Style::Text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(payload: &str, from_client: bool) -> Announce {
        parse(payload.as_bytes(), from_client).unwrap().unwrap()
    }

    #[test]
    fn port_names_the_clients_address_and_port() {
        let a = ok("PORT 10,1,1,1,195,80\r\n", true);
        assert_eq!(a.mode, Mode::Active);
        assert_eq!(a.addr, Some("10.1.1.1".parse().unwrap()));
        assert_eq!(a.port, 50000);
        assert_eq!(a.addr_span, 5..13);
        assert_eq!(ok("port 10,1,1,1,0,21", true).port, 21);
    }

    #[test]
    fn pasv_reply_is_found_after_its_text() {
        let text = "227 Entering Passive Mode (192,168,100,200,195,80).\r\n";
        let a = ok(text, false);
        assert_eq!(a.mode, Mode::Passive);
        assert_eq!(a.addr, Some("192.168.100.200".parse().unwrap()));
        assert_eq!(&text[a.addr_span.clone()], "192,168,100,200");
        assert_eq!(ok("227 =10,1,1,2,0,1", false).port, 1);
    }

    #[test]
    fn eprt_takes_both_families_and_any_delimiter() {
        let text = "EPRT |2|fc00::1|50000|\r\n";
        let a = ok(text, true);
        assert_eq!(a.addr, Some("fc00::1".parse().unwrap()));
        assert_eq!(&text[a.addr_span.clone()], "fc00::1");
        assert_eq!(a.port, 50000);
        let a = ok("EPRT !1!10.1.1.1!21!", true);
        assert_eq!((a.addr, a.port), (Some("10.1.1.1".parse().unwrap()), 21));
    }

    #[test]
    fn epsv_reply_gives_a_port_only() {
        let a = ok("229 Entering Extended Passive Mode (|||50100|)\r\n", false);
        assert_eq!((a.mode, a.addr, a.port), (Mode::Passive, None, 50100));
    }

    #[test]
    fn other_messages_and_wrong_directions_are_not_announcements() {
        for (text, client) in [
            ("RETR file\r\n", true),
            ("PORTS 1,2,3,4,5,6", true),
            ("200 PORT command successful", false),
            ("PORT 10,1,1,1,195,80", false),
            ("227 Entering Passive Mode (10,1,1,2,1,2)", true),
            ("", true),
        ] {
            assert_eq!(parse(text.as_bytes(), client), Ok(None), "{text}");
        }
    }

    #[test]
    fn malformed_announcements_are_errors() {
        for (text, client) in [
            ("PORT 10,1,1,1,195", true),
            ("PORT 10,1,1,256,1,1", true),
            ("PORT 10,1,1,1,1000,1", true),
            ("PORT", true),
            ("227 no numbers", false),
            ("EPRT |3|x|1|", true),
            ("EPRT |2|fc00::zz|1|", true),
            ("EPRT |1|10.1.1.1|70000|", true),
            ("EPRT |2|fc00::1|", true),
            ("229 (|||)", false),
            ("229 (|||99999|)", false),
            ("229 Extended Passive", false),
        ] {
            assert!(parse(text.as_bytes(), client).is_err(), "{text}");
        }
    }

    #[test]
    fn only_the_first_line_counts() {
        assert!(parse(b"PORT 10,1,1\r\n1,1,1", true).is_err());
    }

    #[test]
    fn addresses_are_formatted_as_announced() {
        let a: IpAddr = "172.16.100.200".parse().unwrap();
        assert_eq!(format_addr(a, Style::Commas), "172,16,100,200");
        assert_eq!(format_addr(a, Style::Text), "172.16.100.200");
        let b: IpAddr = "fc00:0:0::100".parse().unwrap();
        assert_eq!(format_addr(b, Style::Text), "fc00::100");
    }

    proptest! {
        #[test]
        fn parsing_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300), client: bool) {
            let _ = parse(&bytes, client);
        }

        #[test]
        fn parsing_announcement_shaped_text_never_panics(
            head in prop::sample::select(vec!["PORT ", "EPRT ", "227 (", "229 (", "eprt"]),
            tail in "[0-9,|!.:a-f()]{0,60}",
            client: bool,
        ) {
            let text = format!("{head}{tail}");
            if let Ok(Some(a)) = parse(text.as_bytes(), client) {
                prop_assert!(a.addr_span.end <= text.len());
            }
        }

        #[test]
        fn any_port_command_round_trips(addr: [u8; 4], port: u16) {
            let [a, b, c, d] = addr;
            let [p1, p2] = port.to_be_bytes();
            let text = format!("PORT {a},{b},{c},{d},{p1},{p2}\r\n");
            let got = parse(text.as_bytes(), true).unwrap().unwrap();
            prop_assert_eq!(got.addr, Some(IpAddr::from(addr)));
            prop_assert_eq!(got.port, port);
        }
    }
}
