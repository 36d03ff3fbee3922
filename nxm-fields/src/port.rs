//! OpenFlow port numbers: the reserved ports by name, and the mapping
//! between OpenFlow 1.0's 16-bit numbering and 1.1+'s 32-bit one.

/// Reserved ports in OpenFlow 1.1+ numbering.
pub const OFPP_MAX: u32 = 0xffff_ff00;
pub const OFPP_UNSET: u32 = 0xffff_fff7;
pub const OFPP_IN_PORT: u32 = 0xffff_fff8;
pub const OFPP_TABLE: u32 = 0xffff_fff9;
pub const OFPP_NORMAL: u32 = 0xffff_fffa;
pub const OFPP_FLOOD: u32 = 0xffff_fffb;
pub const OFPP_ALL: u32 = 0xffff_fffc;
pub const OFPP_CONTROLLER: u32 = 0xffff_fffd;
pub const OFPP_LOCAL: u32 = 0xffff_fffe;
pub const OFPP_ANY: u32 = 0xffff_ffff;

/// Reserved port names, as ovs-ofctl prints them.
pub const RESERVED_PORTS: &[(u32, &str)] = &[
    (OFPP_UNSET, "UNSET"),
    (OFPP_IN_PORT, "IN_PORT"),
    (OFPP_TABLE, "TABLE"),
    (OFPP_NORMAL, "NORMAL"),
    (OFPP_FLOOD, "FLOOD"),
    (OFPP_ALL, "ALL"),
    (OFPP_CONTROLLER, "CONTROLLER"),
    (OFPP_LOCAL, "LOCAL"),
    (OFPP_ANY, "ANY"),
];

/// The first reserved port in OpenFlow 1.0 numbering.
const OFPP10_MAX: u32 = 0xff00;

/// Parses a port as ovs-ofctl does: a reserved name (`NONE` is `ANY`), or a
/// number, where OpenFlow 1.0 reserved numbers (0xff00..) are mapped to
/// their 1.1+ equivalents.
pub fn parse_port(text: &str) -> Option<u32> {
    let upper = text.to_ascii_uppercase();
    if upper == "NONE" {
        return Some(OFPP_ANY);
    }
    if let Some((port, _)) = RESERVED_PORTS.iter().find(|(_, n)| *n == upper) {
        return Some(*port);
    }
    // Numbers are decimal only (a plus sign allowed), as in ovs-ofctl.
    let digits = text.strip_prefix('+').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u32 = digits.parse().ok()?;
    match n {
        n if n < OFPP10_MAX => Some(n),
        n if n <= 0xffff => Some(from_ofp10(n as u16)),
        n if n >= OFPP_MAX => Some(n),
        _ => None,
    }
}

/// A port's text form: its reserved name, or its number in OpenFlow 1.0
/// numbering (OVS keeps ports in 16 bits, so 0xffffff00 prints as 65280).
pub fn format_port(port: u32) -> String {
    RESERVED_PORTS
        .iter()
        .find(|(p, _)| *p == port)
        .map_or_else(|| to_ofp10(port).to_string(), |(_, n)| (*n).to_string())
}

/// OpenFlow 1.0 → 1.1+ numbering.
pub fn from_ofp10(port: u16) -> u32 {
    let port = u32::from(port);
    if port >= OFPP10_MAX {
        port + 0xffff_0000
    } else {
        port
    }
}

/// OpenFlow 1.1+ → 1.0 numbering (ports that do not fit keep their low bits).
pub fn to_ofp10(port: u32) -> u16 {
    if port >= OFPP_MAX {
        (port - 0xffff_0000) as u16
    } else {
        port as u16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_parse() {
        assert_eq!(parse_port("LOCAL"), Some(OFPP_LOCAL));
        assert_eq!(parse_port("65534"), Some(OFPP_LOCAL));
        assert_eq!(parse_port("NONE"), Some(OFPP_ANY));
        assert_eq!(parse_port("+1"), Some(1));
        assert_eq!(parse_port("+LOCAL"), None);
        assert_eq!(parse_port("-1"), None);
        assert_eq!(parse_port("7"), Some(7));
        assert_eq!(parse_port("FOO"), None);
        assert_eq!(parse_port("70000"), None);
        assert_eq!(parse_port("0xfffffffe"), None);
        assert_eq!(format_port(0xffff_ff00), "65280");
    }

    #[test]
    fn ofp10_numbering_round_trips() {
        for p in [0u16, 1, 0xfeff, 0xff00, 0xfff8, 0xffff] {
            assert_eq!(to_ofp10(from_ofp10(p)), p);
        }
        assert_eq!(format_port(from_ofp10(0xfffd)), "CONTROLLER");
    }
}
