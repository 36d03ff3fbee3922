//! `ctswitchd`'s configuration: the same settings from flags and from a
//! TOML file (`--config FILE`), each flag's long name (with `_` for `-`)
//! being the file's key and taking the same text, e.g.
//!
//! ```toml
//! bridge = "br0"
//! port = ["1=dummy:p1", "2=dummy:p2"]
//! listen = ["ptcp:6653:127.0.0.1", "punix:/run/ctswitch/br0.mgmt"]
//! ct_zone_limit = ["default=1000", "5=10"]
//! ```
//!
//! A flag wins over the file's key; a key neither gives takes the
//! embedded default (bridge br0, dummy ports 1 and 2 named p1 and p2,
//! `ptcp:6653:127.0.0.1`, the control socket in the run directory).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::ct_config::{parse_timeout_policy, parse_zone_limit, CtConfig};
use super::endpoints::{parse_controller, parse_listen, Listen};
use super::port_spec::{parse_port, PortKind, PortSpec};
use crate::control::default_socket;

/// The settings of the daemon, from flags or a file: every one optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The bridge's name [default: br0].
    #[arg(long)]
    pub bridge: Option<String>,

    /// The datapath id reported to controllers [default: 1].
    #[arg(long)]
    pub datapath_id: Option<u64>,

    /// The most flows one OpenFlow table may hold [default: 1000000].
    #[arg(long)]
    pub max_flows: Option<usize>,

    /// A port, as NUMBER=TYPE:NAME, e.g. `1=dummy:p1` (repeatable; NUMBER
    /// 1 to 65279, or LOCAL for the bridge's own port): `dummy`
    /// (in-process, fed through the control socket), `afpacket` (a Linux
    /// interface, e.g. `2=afpacket:veth2`), `tap` (a tap interface it
    /// creates or attaches to, down until `ip link set NAME up`, e.g.
    /// `LOCAL=tap:br0`) or `pcap` (`3=pcap:IN.pcap,OUT.pcap`:
    /// receives the Ethernet frames of capture IN once, in order, then is
    /// idle, and writes what it transmits to a new capture OUT; either file
    /// may be left out, as in `3=pcap:,OUT.pcap`; the port is named pcapN;
    /// IN's frames meet the flows there are at once, so add such a port
    /// with `ctswitch port-add` after the flows)
    /// [default: 1=dummy:p1 and 2=dummy:p2].
    #[arg(long, value_name = "N=TYPE:NAME")]
    pub port: Option<Vec<String>>,

    /// Where to accept OpenFlow connections: `ptcp:PORT[:IP]` or
    /// `punix:PATH` (repeatable; port 0 picks a free one, printed at
    /// start) [default: ptcp:6653:127.0.0.1].
    #[arg(long, value_name = "ptcp:PORT[:IP]|punix:PATH")]
    pub listen: Option<Vec<String>>,

    /// A controller to connect to, `tcp:IP[:PORT]` (repeatable): kept
    /// connected with reconnect backoff and echo keepalive.
    #[arg(long, value_name = "tcp:IP[:PORT]")]
    pub controller: Option<Vec<String>>,

    /// The control socket [default: $XDG_RUNTIME_DIR/ctswitch/ctswitchd.ctl,
    /// else /var/run/ctswitch/ctswitchd.ctl].
    #[arg(long, value_name = "PATH")]
    pub socket: Option<PathBuf>,

    /// Packet threads, each with its own exact-match cache [default: 1].
    /// An afpacket port gets one receive queue per thread (PACKET_FANOUT by
    /// flow hash), so a connection's frames, both ways, meet one thread;
    /// other ports are each read by one thread.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// Seconds of silence on an OpenFlow connection before an echo
    /// request (0: never probe) [default: 5].
    #[arg(long, value_name = "SECS")]
    pub probe_interval: Option<u64>,

    /// The most connections tracked in all [default: 3000000; 0: no limit].
    #[arg(long, value_name = "N")]
    pub ct_limit: Option<u32>,

    /// A zone's connection limit, `ZONE=N`, or `default=N` for every zone
    /// without its own (repeatable; 0: no limit).
    #[arg(long, value_name = "ZONE=N")]
    pub ct_zone_limit: Option<Vec<String>>,

    /// A zone's timeout policy, `ZONE:ATTR=SECS[,ATTR=SECS...]` with the
    /// attributes of `ovs-vsctl add-zone-tp` (tcp_syn_sent, tcp_syn_recv,
    /// tcp_established, tcp_fin_wait, tcp_time_wait, tcp_close, udp_first,
    /// udp_single, udp_multiple, icmp_first, icmp_reply) (repeatable).
    #[arg(long, value_name = "ZONE:ATTR=SECS,...")]
    pub ct_timeout_policy: Option<Vec<String>>,
}

impl Settings {
    /// Reads a TOML file of settings.
    pub fn from_file(path: &Path) -> Result<Settings, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: {}", path.display(), e.message()))
    }

    /// These settings, each missing one taken from `file`.
    pub fn over(self, file: Settings) -> Settings {
        Settings {
            bridge: self.bridge.or(file.bridge),
            datapath_id: self.datapath_id.or(file.datapath_id),
            max_flows: self.max_flows.or(file.max_flows),
            port: self.port.or(file.port),
            listen: self.listen.or(file.listen),
            controller: self.controller.or(file.controller),
            socket: self.socket.or(file.socket),
            threads: self.threads.or(file.threads),
            probe_interval: self.probe_interval.or(file.probe_interval),
            ct_limit: self.ct_limit.or(file.ct_limit),
            ct_zone_limit: self.ct_zone_limit.or(file.ct_zone_limit),
            ct_timeout_policy: self.ct_timeout_policy.or(file.ct_timeout_policy),
        }
    }
}

/// The daemon's configuration, checked, defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub bridge: String,
    pub datapath_id: u64,
    pub max_flows: usize,
    pub ports: Vec<PortSpec>,
    pub listeners: Vec<Listen>,
    pub controllers: Vec<SocketAddr>,
    pub socket: PathBuf,
    /// Whether the socket was named (a failure to open it is then fatal;
    /// the default one is skipped with a warning).
    pub socket_named: bool,
    pub threads: usize,
    pub probe_interval_secs: u64,
    pub conntrack: CtConfig,
}

impl Config {
    /// Checks `settings` and fills in the defaults.
    pub fn resolve(settings: Settings) -> Result<Config, String> {
        let ports = match settings.port {
            Some(specs) => parse_all(&specs, parse_port)?,
            None => default_ports(),
        };
        for (i, port) in ports.iter().enumerate() {
            if ports[..i].iter().any(|p| p.number == port.number) {
                return Err(format!("port {} is given twice", port.number));
            }
        }
        let listen = settings
            .listen
            .unwrap_or_else(|| vec!["ptcp:6653:127.0.0.1".to_string()]);
        let threads = settings.threads.unwrap_or(1);
        if threads == 0 {
            return Err("--threads must be at least 1".into());
        }
        Ok(Config {
            bridge: settings.bridge.unwrap_or_else(|| "br0".into()),
            datapath_id: settings.datapath_id.unwrap_or(1),
            max_flows: settings.max_flows.unwrap_or(1_000_000),
            ports,
            listeners: parse_all(&listen, parse_listen)?,
            controllers: parse_all(&settings.controller.unwrap_or_default(), parse_controller)?,
            socket_named: settings.socket.is_some(),
            socket: settings.socket.unwrap_or_else(default_socket),
            threads,
            probe_interval_secs: settings.probe_interval.unwrap_or(5),
            conntrack: CtConfig {
                limit: settings.ct_limit,
                zone_limits: parse_all(
                    &settings.ct_zone_limit.unwrap_or_default(),
                    parse_zone_limit,
                )?,
                timeout_policies: parse_all(
                    &settings.ct_timeout_policy.unwrap_or_default(),
                    parse_timeout_policy,
                )?,
            },
        })
    }

    /// One line saying what runs: ports, listeners, controllers, socket.
    pub fn summary(&self) -> String {
        let ports: Vec<String> = self
            .ports
            .iter()
            .map(|p| format!("{}={}:{}", p.number, p.kind.name(), p.name))
            .collect();
        let listeners: Vec<String> = self.listeners.iter().map(ToString::to_string).collect();
        let mut line = format!(
            "bridge {} (datapath id {}), ports {}, OpenFlow on {}",
            self.bridge,
            self.datapath_id,
            if ports.is_empty() {
                "none".into()
            } else {
                ports.join(" ")
            },
            listeners.join(" ")
        );
        if !self.controllers.is_empty() {
            let controllers: Vec<String> = self
                .controllers
                .iter()
                .map(|c| format!("tcp:{c}"))
                .collect();
            line.push_str(&format!(", controllers {}", controllers.join(" ")));
        }
        line.push_str(&format!(", control socket {}", self.socket.display()));
        line
    }
}

fn parse_all<T>(specs: &[String], parse: fn(&str) -> Result<T, String>) -> Result<Vec<T>, String> {
    specs.iter().map(|s| parse(s)).collect()
}

fn default_ports() -> Vec<PortSpec> {
    (1..=2)
        .map(|number| PortSpec {
            number,
            kind: PortKind::Dummy,
            name: format!("p{number}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_given_is_the_embedded_default() {
        let config = Config::resolve(Settings::default()).unwrap();
        assert_eq!(config.bridge, "br0");
        assert_eq!(config.ports, default_ports());
        assert_eq!(
            config.listeners,
            vec![Listen::Tcp("127.0.0.1:6653".parse().unwrap())]
        );
        assert!(!config.socket_named);
        assert!(config.socket.ends_with("ctswitch/ctswitchd.ctl"));
        assert_eq!(config.threads, 1);
    }

    #[test]
    fn a_file_takes_the_flags_names_and_flags_win() {
        let file: Settings = toml::from_str(
            r#"
            bridge = "br9"
            port = ["3=dummy:a"]
            listen = ["punix:/tmp/x.mgmt"]
            ct_zone_limit = ["default=5"]
            "#,
        )
        .unwrap();
        let flags = Settings {
            bridge: Some("br1".into()),
            ..Settings::default()
        };
        let config = Config::resolve(flags.over(file)).unwrap();
        assert_eq!(config.bridge, "br1");
        assert_eq!(config.ports[0].name, "a");
        assert_eq!(config.listeners, vec![Listen::Unix("/tmp/x.mgmt".into())]);
        assert_eq!(config.conntrack.zone_limits, vec![(None, 5)]);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        assert!(toml::from_str::<Settings>("bridges = \"x\"").is_err());
        let bad = |s: Settings| Config::resolve(s).unwrap_err();
        assert!(bad(Settings {
            port: Some(vec!["1=bogus:t0".into()]),
            ..Settings::default()
        })
        .contains("unknown port type bogus"));
        assert!(bad(Settings {
            port: Some(vec!["1=dummy:a".into(), "1=dummy:b".into()]),
            ..Settings::default()
        })
        .contains("twice"));
        assert!(bad(Settings {
            threads: Some(0),
            ..Settings::default()
        })
        .contains("--threads"));
    }
}
