//! Where OpenFlow is spoken: passive listeners (`ptcp:PORT[:IP]`,
//! `punix:PATH`) and active controllers (`tcp:IP[:PORT]`), in OVS's
//! syntax.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

/// OpenFlow's IANA port, used when a controller names none.
pub const OFP_PORT: u16 = 6653;

/// A passive OpenFlow endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

impl core::fmt::Display for Listen {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Listen::Tcp(addr) => write!(f, "ptcp:{}:{}", addr.port(), addr.ip()),
            Listen::Unix(path) => write!(f, "punix:{}", path.display()),
        }
    }
}

/// `ptcp:PORT[:IP]` (every address when IP is left out; `[v6]` allowed)
/// or `punix:PATH`.
pub fn parse_listen(spec: &str) -> Result<Listen, String> {
    if let Some(path) = spec.strip_prefix("punix:") {
        if path.is_empty() {
            return Err(format!("{spec}: punix: needs a path"));
        }
        return Ok(Listen::Unix(PathBuf::from(path)));
    }
    let rest = spec
        .strip_prefix("ptcp:")
        .ok_or_else(|| format!("{spec}: a listener is ptcp:PORT[:IP] or punix:PATH"))?;
    let (port, ip) = match rest.split_once(':') {
        Some((port, ip)) => (port, ip_address(spec, ip)?),
        None => (rest, IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
    };
    let port = port
        .parse()
        .map_err(|_| format!("{spec}: {port} is not a port number"))?;
    Ok(Listen::Tcp(SocketAddr::new(ip, port)))
}

/// `tcp:IP[:PORT]` (port 6653 when left out; `[v6]` allowed).
pub fn parse_controller(spec: &str) -> Result<SocketAddr, String> {
    let rest = spec
        .strip_prefix("tcp:")
        .ok_or_else(|| format!("{spec}: a controller is tcp:IP[:PORT]"))?;
    let (ip, port) = match rest.rsplit_once(':') {
        Some((ip, port)) if !port.contains(']') && !ip.is_empty() && !ip.ends_with(':') => {
            let port = port
                .parse()
                .map_err(|_| format!("{spec}: {port} is not a port number"))?;
            (ip, port)
        }
        _ => (rest, OFP_PORT),
    };
    Ok(SocketAddr::new(ip_address(spec, ip)?, port))
}

fn ip_address(spec: &str, text: &str) -> Result<IpAddr, String> {
    let bare = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    bare.parse()
        .map_err(|_| format!("{spec}: {text} is not an IP address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listeners_parse_as_ovs_writes_them() {
        assert_eq!(
            parse_listen("ptcp:6653:127.0.0.1").unwrap().to_string(),
            "ptcp:6653:127.0.0.1"
        );
        assert_eq!(
            parse_listen("ptcp:0").unwrap().to_string(),
            "ptcp:0:0.0.0.0"
        );
        assert_eq!(
            parse_listen("ptcp:6653:[::1]").unwrap(),
            Listen::Tcp("[::1]:6653".parse().unwrap())
        );
        assert_eq!(
            parse_listen("punix:/tmp/br0.mgmt").unwrap(),
            Listen::Unix("/tmp/br0.mgmt".into())
        );
        assert!(parse_listen("tcp:1.2.3.4:6653").is_err());
        assert!(parse_listen("ptcp:x").is_err());
        assert!(parse_listen("punix:").is_err());
    }

    #[test]
    fn controllers_default_to_the_openflow_port() {
        assert_eq!(
            parse_controller("tcp:127.0.0.1:6633").unwrap(),
            "127.0.0.1:6633".parse().unwrap()
        );
        assert_eq!(
            parse_controller("tcp:10.0.0.1").unwrap(),
            "10.0.0.1:6653".parse().unwrap()
        );
        assert_eq!(
            parse_controller("tcp:[::1]:6634").unwrap(),
            "[::1]:6634".parse().unwrap()
        );
        assert!(parse_controller("ssl:1.2.3.4:6653").is_err());
        assert!(parse_controller("tcp:nowhere:1").is_err());
    }
}
