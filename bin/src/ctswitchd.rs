//! `ctswitchd`: the ctswitch daemon.
//!
//! So far it serves OpenFlow 1.3 on passive listeners for ovs-ofctl and
//! controllers: connections negotiate and keep alive through
//! `ofproto::connection`, and the bridge (`ofproto::bridge`) takes
//! flow-mods, answers statistics and descriptions, and flushes its
//! connection tracker. Ports and the packet pipeline come with the rest of
//! the switch issue.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use clap::Parser;
use conntrack::Conntrack;
use ofproto::bridge::Bridge;
use ofproto::connection::{Connection, Output, SwitchInfo};
use openflow_codec::codec::OfpCodec;
use openflow_codec::message::port::Port;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::Decoder;
use tracing::{info, warn};

#[cfg(test)]
mod man_pages;

/// The ctswitch daemon: an OpenFlow 1.3 switch with connection tracking.
#[derive(Debug, Parser)]
#[command(name = "ctswitchd", version, long_about = None)]
struct Args {
    /// Where to accept OpenFlow connections: `ptcp:PORT[:IP]` (repeatable;
    /// port 0 picks a free one, printed at start).
    #[arg(long = "listen", default_value = "ptcp:6653:127.0.0.1")]
    listen: Vec<String>,

    /// The bridge's name.
    #[arg(long, default_value = "br0")]
    bridge: String,

    /// The datapath id reported to controllers.
    #[arg(long, default_value_t = 1)]
    datapath_id: u64,

    /// The most flows one OpenFlow table may hold.
    #[arg(long, default_value_t = 1_000_000)]
    max_flows: usize,

    /// Seconds of silence before an echo request (0: never probe).
    #[arg(long, default_value_t = 5)]
    probe_interval: u64,
}

/// `ptcp:PORT[:IP]` as an address (the IP defaults to every address).
fn parse_listen(spec: &str) -> Result<SocketAddr, String> {
    let rest = spec
        .strip_prefix("ptcp:")
        .ok_or_else(|| format!("{spec}: only ptcp:PORT[:IP] listeners are supported so far"))?;
    let (port, ip) = match rest.split_once(':') {
        Some((port, ip)) => (port, ip),
        None => (rest, "0.0.0.0"),
    };
    let port: u16 = port.parse().map_err(|_| format!("{spec}: bad port"))?;
    let ip: std::net::IpAddr = ip.parse().map_err(|_| format!("{spec}: bad address"))?;
    Ok(SocketAddr::new(ip, port))
}

struct Daemon {
    bridge: Mutex<Bridge>,
    info: SwitchInfo,
    probe_interval_ms: u64,
    start: Instant,
}

impl Daemon {
    fn now_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }
}

/// Serves one OpenFlow connection until it closes.
async fn serve(daemon: Arc<Daemon>, mut stream: TcpStream, peer: SocketAddr) {
    let (mut conn, first) = Connection::new(daemon.info, daemon.probe_interval_ms, daemon.now_ms());
    if send_all(&mut stream, &daemon, first).await.is_err() {
        return;
    }
    let mut codec = OfpCodec;
    let mut buf = BytesMut::with_capacity(4096);
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            read = stream.read_buf(&mut buf) => {
                match read {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                loop {
                    let frame = match codec.decode(&mut buf) {
                        Ok(Some(frame)) => frame,
                        Ok(None) => break,
                        Err(err) => {
                            warn!(%peer, %err, "closing an unreadable OpenFlow stream");
                            return;
                        }
                    };
                    let outputs = conn.receive(&frame.raw, daemon.now_ms());
                    if send_all(&mut stream, &daemon, outputs).await.is_err() {
                        return;
                    }
                }
            }
            _ = ticker.tick() => {
                let outputs = conn.tick(daemon.now_ms());
                if send_all(&mut stream, &daemon, outputs).await.is_err() {
                    return;
                }
            }
        }
        if conn.is_closed() {
            break;
        }
    }
    info!(%peer, "OpenFlow connection closed");
}

/// Carries out a connection's outputs; `Err` when the connection is over.
async fn send_all(stream: &mut TcpStream, daemon: &Daemon, outputs: Vec<Output>) -> Result<(), ()> {
    for output in outputs {
        match output {
            Output::Send(bytes) => stream.write_all(&bytes).await.map_err(|_| ())?,
            Output::Deliver {
                header,
                message,
                raw,
            } => {
                let replies = match daemon.bridge.lock() {
                    Ok(mut bridge) => bridge.handle(header, &message, &raw, daemon.now_ms()),
                    Err(_) => return Err(()),
                };
                for (xid, reply) in replies {
                    let mut out = BytesMut::new();
                    reply.encode(xid, &mut out);
                    stream.write_all(&out).await.map_err(|_| ())?;
                }
            }
            Output::Close(reason) => {
                info!(?reason, "closing OpenFlow connection");
                return Err(());
            }
        }
    }
    Ok(())
}

/// The bridge's own port, as OVS shows it.
fn local_port(name: &str) -> Port {
    Port {
        port_no: nxm_fields::port::OFPP_LOCAL,
        hw_addr: [0; 6],
        name: name.to_string(),
        config: 0,
        state: 0,
        curr: 0,
        advertised: 0,
        supported: 0,
        peer: 0,
        curr_speed: 0,
        max_speed: 0,
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let args = Args::parse();
    let addrs: Result<Vec<SocketAddr>, String> =
        args.listen.iter().map(|s| parse_listen(s)).collect();
    let addrs = match addrs {
        Ok(addrs) => addrs,
        Err(err) => {
            eprintln!("ctswitchd: {err}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("ctswitchd: cannot start: {err}");
            return ExitCode::FAILURE;
        }
    };
    let daemon = Arc::new(Daemon {
        bridge: Mutex::new(Bridge::new(
            &args.bridge,
            args.datapath_id,
            vec![local_port(&args.bridge)],
            args.max_flows,
            Arc::new(Conntrack::new()),
        )),
        info: SwitchInfo {
            datapath_id: args.datapath_id,
            n_tables: 254,
            capabilities: SwitchInfo::OVS_CAPABILITIES,
        },
        probe_interval_ms: args.probe_interval * 1000,
        start: Instant::now(),
    });
    runtime.block_on(async move {
        let mut listeners = Vec::new();
        for addr in addrs {
            match TcpListener::bind(addr).await {
                Ok(listener) => {
                    if let Ok(local) = listener.local_addr() {
                        // One line a script can wait for (and learn a port 0 from).
                        println!("ctswitchd: listening for OpenFlow on tcp:{local}");
                    }
                    listeners.push(listener);
                }
                Err(err) => {
                    eprintln!("ctswitchd: cannot listen on {addr}: {err}");
                    return ExitCode::FAILURE;
                }
            }
        }
        info!(bridge = %args.bridge, "ctswitchd started");
        for listener in listeners {
            let daemon = Arc::clone(&daemon);
            tokio::spawn(async move {
                loop {
                    match listener.accept().await {
                        Ok((stream, peer)) => {
                            info!(%peer, "OpenFlow connection");
                            tokio::spawn(serve(Arc::clone(&daemon), stream, peer));
                        }
                        Err(err) => warn!(%err, "accept failed"),
                    }
                }
            });
        }
        let _ = tokio::signal::ctrl_c().await;
        info!("ctswitchd stopping");
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_man_page_is_in_step_with_the_options() {
        crate::man_pages::assert_in_step(crate::man_pages::pages(crate::Args::command(), false));
    }

    #[test]
    fn listen_specs_parse_as_documented() {
        assert_eq!(
            super::parse_listen("ptcp:6653:127.0.0.1")
                .unwrap()
                .to_string(),
            "127.0.0.1:6653"
        );
        assert_eq!(
            super::parse_listen("ptcp:0").unwrap().to_string(),
            "0.0.0.0:0"
        );
        assert!(super::parse_listen("tcp:1.2.3.4:6653").is_err());
        assert!(super::parse_listen("ptcp:x").is_err());
    }
}
