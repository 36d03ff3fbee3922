//! Ports as the command line and the control socket name them:
//! `NUMBER=TYPE:NAME`, e.g. `1=dummy:p1`, `2=afpacket:veth2` or
//! `LOCAL=tap:br0` (the bridge's own port); a pcap port's NAME is its
//! files, `IN.pcap[,OUT.pcap]` or `,OUT.pcap`.

/// The kinds of port ctswitchd can open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortKind {
    /// In-process: fed through the control socket, transmitted frames kept.
    Dummy,
    /// A Linux interface over an AF_PACKET socket.
    AfPacket,
    /// Receives a capture file's frames once, writes what it transmits
    /// to another.
    Pcap,
    /// A tap interface the switch creates (or attaches to).
    Tap,
}

impl PortKind {
    pub fn name(self) -> &'static str {
        match self {
            PortKind::Dummy => "dummy",
            PortKind::AfPacket => "afpacket",
            PortKind::Pcap => "pcap",
            PortKind::Tap => "tap",
        }
    }
}

/// A port to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpec {
    pub number: u32,
    pub kind: PortKind,
    pub name: String,
}

/// `NUMBER=TYPE:NAME`.
pub fn parse_port(spec: &str) -> Result<PortSpec, String> {
    let (number, rest) = spec
        .split_once('=')
        .ok_or_else(|| format!("{spec}: a port is NUMBER=TYPE:NAME, e.g. 1=dummy:p1"))?;
    let number = parse_number(spec, number)?;
    let (kind, name) = parse_kind_name(spec, rest)?;
    Ok(PortSpec { number, kind, name })
}

/// `TYPE:NAME`, the part after `NUMBER=`.
pub fn parse_kind_name(spec: &str, text: &str) -> Result<(PortKind, String), String> {
    let (kind, name) = text
        .split_once(':')
        .ok_or_else(|| format!("{spec}: a port is TYPE:NAME, e.g. dummy:p1"))?;
    if name.is_empty() {
        return Err(format!("{spec}: the port needs a name"));
    }
    match kind {
        "dummy" => Ok((PortKind::Dummy, name.to_string())),
        "afpacket" => Ok((PortKind::AfPacket, name.to_string())),
        "tap" => Ok((PortKind::Tap, name.to_string())),
        "pcap" => {
            pcap_files(spec, name)?;
            Ok((PortKind::Pcap, name.to_string()))
        }
        other => Err(format!(
            "{spec}: unknown port type {other} (known: dummy, afpacket, pcap, tap)"
        )),
    }
}

/// A pcap port's input and output files from its `IN[,OUT]` text (either
/// may be empty, not both).
pub fn pcap_files<'a>(
    spec: &str,
    text: &'a str,
) -> Result<(Option<&'a str>, Option<&'a str>), String> {
    let (input, output) = text.split_once(',').unwrap_or((text, ""));
    let some = |s: &'a str| (!s.is_empty()).then_some(s);
    match (some(input), some(output)) {
        (None, None) => Err(format!(
            "{spec}: a pcap port is pcap:IN.pcap[,OUT.pcap] or pcap:,OUT.pcap"
        )),
        _ if output.contains(',') => Err(format!(
            "{spec}: a pcap port has at most two files, IN.pcap,OUT.pcap"
        )),
        files => Ok(files),
    }
}

/// A port number as a command line gives it alone (`port-add`,
/// `port-del`): see [`parse_number`].
pub fn parse_port_number(text: &str) -> Result<u32, String> {
    parse_number(text, text)
}

/// An OpenFlow port number usable for a port: 1 to 0xfeff (OFPP_MAX),
/// or `LOCAL`, the bridge's own port.
pub fn parse_number(spec: &str, text: &str) -> Result<u32, String> {
    if text == "LOCAL" {
        return Ok(nxm_fields::port::OFPP_LOCAL);
    }
    match text.parse::<u32>() {
        Ok(n) if (1..=0xfeff).contains(&n) => Ok(n),
        _ => Err(format!(
            "{spec}: {text} is not a port number from 1 to 65279 or LOCAL"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dummy_ports_parse() {
        assert_eq!(
            parse_port("2=dummy:p2").unwrap(),
            PortSpec {
                number: 2,
                kind: PortKind::Dummy,
                name: "p2".into()
            }
        );
    }

    #[test]
    fn afpacket_ports_parse() {
        let spec = parse_port("3=afpacket:veth3").unwrap();
        assert_eq!(
            (spec.number, spec.kind, spec.name.as_str()),
            (3, PortKind::AfPacket, "veth3")
        );
    }

    #[test]
    fn pcap_ports_parse_with_either_file() {
        let spec = parse_port("3=pcap:in.pcap,out.pcap").unwrap();
        assert_eq!(
            (spec.kind, spec.name.as_str()),
            (PortKind::Pcap, "in.pcap,out.pcap")
        );
        assert_eq!(
            pcap_files("", &spec.name).unwrap(),
            (Some("in.pcap"), Some("out.pcap"))
        );
        assert_eq!(pcap_files("", "in.pcap").unwrap(), (Some("in.pcap"), None));
        assert_eq!(pcap_files("", ",o.pcap").unwrap(), (None, Some("o.pcap")));
        assert!(parse_port("3=pcap:,").unwrap_err().contains("pcap:IN.pcap"));
        assert!(parse_port("3=pcap:a,b,c")
            .unwrap_err()
            .contains("at most two"));
    }

    #[test]
    fn tap_ports_parse_also_as_the_local_port() {
        let spec = parse_port("LOCAL=tap:br0").unwrap();
        assert_eq!(
            (spec.number, spec.kind, spec.name.as_str()),
            (nxm_fields::port::OFPP_LOCAL, PortKind::Tap, "br0")
        );
        assert_eq!(parse_port("4=tap:tap4").unwrap().number, 4);
        assert_eq!(parse_port_number("LOCAL"), Ok(nxm_fields::port::OFPP_LOCAL));
        assert!(parse_port_number("0").unwrap_err().contains("or LOCAL"));
    }

    #[test]
    fn unknown_kinds_and_bad_numbers_are_refused_clearly() {
        assert!(parse_port("1=bogus:x")
            .unwrap_err()
            .contains("unknown port type"));
        assert!(parse_port("0=dummy:p0").is_err());
        assert!(parse_port("1=dummy:").is_err());
        assert!(parse_port("dummy:p1").is_err());
    }
}
