//! `ovs-ofctl ofp-print`'s frame around a message: the first line
//! (`NAME (OF1.3) (xid=0x1):`), the length complaints, the decode-error
//! form and the hex dump OVS appends to those. Each message prints its own
//! body beside its decoder.

use std::fmt::Write;

use super::types::version_suffix;
use super::{multipart, DecodeError, Direction, Header, Kind, Message, HEADER_LEN};

/// Prints `buf` as `ovs-ofctl ofp-print` does: one message, decoded, or the
/// reason it cannot be, followed by a hex dump of it.
pub fn ofp_to_string(buf: &[u8]) -> String {
    ofp_to_string_nested(buf, 0)
}

/// Error messages carry the message that failed, which OVS prints in turn.
/// Past this depth of nesting the rest is only dumped, so that hostile
/// input cannot exhaust the stack.
const MAX_NESTING: usize = 8;

/// [`ofp_to_string`] for a message found inside another one, `depth` deep.
pub fn ofp_to_string_nested(buf: &[u8], depth: usize) -> String {
    let mut out = String::new();
    if buf.is_empty() {
        out.push_str("OpenFlow message is empty\n");
        return out;
    }
    let Some(header) = Header::peek(buf) else {
        let _ = writeln!(out, "OpenFlow packet too short (only {} bytes):", buf.len());
        hex_dump(&mut out, buf);
        return out;
    };
    let length = usize::from(header.length);
    if length > buf.len() {
        if let Ok(kind) = header.kind_partial(buf) {
            put_first_line(&mut out, &kind.to_string(), &header);
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "(***truncated to {} bytes from {}***)",
            buf.len(),
            length
        );
        hex_dump(&mut out, buf);
        return out;
    }
    if length < buf.len() {
        let _ = writeln!(
            out,
            "(***only uses {} bytes out of {}***)",
            length,
            buf.len()
        );
        hex_dump(&mut out, buf);
        return out;
    }
    match Message::decode(buf) {
        Ok((header, message)) => {
            put_first_line(&mut out, &message.kind().to_string(), &header);
            if depth > MAX_NESTING {
                out.push('\n');
                hex_dump(&mut out, buf);
            } else {
                message.format_body_nested(&header, &mut out, depth);
            }
            if out.ends_with(' ') {
                out.pop();
            }
            if !out.ends_with('\n') {
                out.push('\n');
            }
        }
        Err(DecodeError { kind, error }) => {
            if let Some(kind) = kind {
                put_first_line(&mut out, &kind.to_string(), &header);
                let before = out.len();
                if let Kind::Multipart(mp_type, direction) = kind {
                    let body = buf.get(HEADER_LEN..).unwrap_or_default();
                    let reply = direction == Direction::Reply;
                    multipart::format_partial(mp_type, reply, body, &mut out);
                }
                if out.len() > before {
                    if out.ends_with(' ') {
                        out.pop();
                    }
                    if !out.ends_with('\n') {
                        out.push('\n');
                    }
                } else {
                    out.push(' ');
                }
            }
            let _ = writeln!(out, "***decode error: {error}***");
            hex_dump(&mut out, buf);
        }
    }
    out
}

fn put_first_line(out: &mut String, name: &str, header: &Header) {
    let _ = write!(
        out,
        "{name}{} (xid=0x{:x}):",
        version_suffix(header.version),
        header.xid
    );
}

/// OVS's hex dump with offsets and ASCII, 16 bytes a line:
/// `00000000  04 00 00 08 00 00 00 01-                        |........        |`
pub fn hex_dump(out: &mut String, data: &[u8]) {
    for (line, chunk) in data.chunks(16).enumerate() {
        let _ = write!(out, "{:08x}  ", line * 16);
        for i in 0..16 {
            match chunk.get(i) {
                Some(b) => {
                    let sep = if i == 7 { '-' } else { ' ' };
                    let _ = write!(out, "{b:02x}{sep}");
                }
                None => out.push_str("   "),
            }
        }
        out.push('|');
        for i in 0..16 {
            out.push(match chunk.get(i) {
                Some(&b) if (0x20..0x7f).contains(&b) => char::from(b),
                Some(_) => '.',
                None => ' ',
            });
        }
        out.push_str("|\n");
    }
}

/// Bit names joined by `sep` as OVS's `ofp_print_bit_names` does: known
/// bits by name in bit order, unknown bits as one hex number at the end,
/// `0` for no bits.
pub fn bit_names(bits: u32, names: &[(u32, &str)], sep: &str) -> String {
    if bits == 0 {
        return "0".to_string();
    }
    let mut parts = Vec::new();
    let mut rest = bits;
    for i in 0..32 {
        let bit = 1u32 << i;
        if bits & bit != 0 {
            if let Some((_, name)) = names.iter().find(|(b, _)| *b == bit) {
                parts.push((*name).to_string());
                rest &= !bit;
            }
        }
    }
    if rest != 0 {
        parts.push(format!("0x{rest:x}"));
    }
    parts.join(sep)
}

/// A duration as OVS prints it: whole seconds alone, milliseconds when
/// exact, else as many nanosecond digits as needed (`5.500s`, `7.001234567s`).
pub fn format_duration(out: &mut String, sec: u32, nsec: u32) {
    let _ = write!(out, "{sec}");
    if nsec > 0 {
        if nsec.is_multiple_of(1_000_000) {
            let _ = write!(out, ".{:03}", nsec / 1_000_000);
        } else {
            let digits = format!("{nsec:09}");
            out.push('.');
            out.push_str(digits.trim_end_matches('0'));
        }
    }
    out.push('s');
}
