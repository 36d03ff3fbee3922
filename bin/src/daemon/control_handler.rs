//! The control socket's answers: each [`Request`] carried out on the
//! switch.

use std::path::Path;

use conntrack::now_ms;

use super::port_spec::{parse_kind_name, PortKind, PortSpec};
use super::switch::Switch;
use crate::control::{DatapathCounters, PortInfo, Request, Response, Stats};
use crate::hex;

/// Carries out `request`; a failure is a [`Response::Error`].
pub fn answer(switch: &Switch, request: Request) -> Response {
    carry_out(switch, request).unwrap_or_else(|message| Response::Error { message })
}

fn carry_out(switch: &Switch, request: Request) -> Result<Response, String> {
    let ct = switch.datapath.conntrack();
    Ok(match request {
        Request::DumpConntrack { zone } => Response::Conntrack {
            connections: ct.dump(zone, now_ms()),
        },
        Request::DumpExpectations { zone } => Response::Expectations {
            expectations: ct.expectations(zone, now_ms()),
        },
        Request::FlushConntrack { filter } => Response::Flushed {
            count: ct.flush(&filter),
        },
        Request::DumpDpFlows => Response::DpFlows {
            flows: switch.datapath.dump_flows(now_ms()),
        },
        Request::Inject { port, hex } => {
            let frame = parse_hex(&hex)?;
            switch.dummy(port)?.inject(frame);
            Response::Done
        }
        Request::Transmitted { port, clear, pcap } => {
            let dummy = switch.dummy(port)?;
            if let Some(path) = pcap {
                dummy
                    .write_pcap(Path::new(&path))
                    .map_err(|e| format!("{path}: {e}"))?;
            }
            let frames = if clear {
                dummy.take_transmitted()
            } else {
                dummy.transmitted()
            };
            Response::Packets {
                packets: frames.iter().map(|f| hex::encode(f)).collect(),
            }
        }
        Request::PortAdd { port, spec } => {
            let (kind, name) = parse_kind_name(&spec, &spec)?;
            switch.add_port(&PortSpec {
                number: port,
                kind,
                name,
            })?;
            Response::Done
        }
        Request::PortDel { port } => {
            switch.remove_port(port)?;
            Response::Done
        }
        Request::Stats => Response::Stats(stats(switch)),
        Request::IpfStatus { more } => Response::Text {
            text: ct.ipf().status().format(more),
        },
        Request::IpfSet(setting) => Response::Text {
            text: setting.apply(ct.ipf())?,
        },
        Request::Trace { bridge, args, live } => Response::Text {
            text: trace(switch, bridge.as_deref(), &args, live)?,
        },
    })
}

/// `ofproto/trace` on the switch's bridge; ports go by name or number.
fn trace(
    switch: &Switch,
    bridge: Option<&str>,
    args: &[String],
    live: bool,
) -> Result<String, String> {
    let br = &switch.bridge;
    if let Some(name) = bridge.filter(|n| *n != br.name()) {
        return Err(format!("{name}: unknown bridge"));
    }
    let ports = switch.datapath.ports();
    let by_name = |name: &str| {
        ports
            .iter()
            .find(|(_, p)| p.name() == name)
            .map(|(no, _)| *no)
            .or_else(|| name.parse().ok())
    };
    let mut text = crate::trace::run(br, switch.datapath.conntrack(), args, live, &by_name)?;
    text.push('\n');
    Ok(text)
}

fn stats(switch: &Switch) -> Stats {
    let dp = switch.datapath.stats();
    Stats {
        datapath: DatapathCounters {
            emc_hits: dp.emc_hits,
            megaflow_hits: dp.megaflow_hits,
            missed: dp.missed,
            lost: dp.lost,
            megaflows: switch.datapath.megaflows().len(),
        },
        ports: switch
            .datapath
            .ports()
            .into_iter()
            .map(|(number, port)| {
                let s = port.stats();
                PortInfo {
                    port: number,
                    name: port.name().to_string(),
                    kind: switch.kind(number).map_or("other", PortKind::name).into(),
                    up: port.is_up(),
                    rx_packets: s.rx_packets,
                    rx_bytes: s.rx_bytes,
                    rx_dropped: s.rx_dropped,
                    tx_packets: s.tx_packets,
                    tx_bytes: s.tx_bytes,
                    tx_dropped: s.tx_dropped,
                }
            })
            .collect(),
        conntrack: switch.datapath.conntrack().counts(),
    }
}

/// A frame in hex.
fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    match hex::decode(text) {
        Some(frame) if !frame.is_empty() => Ok(frame),
        _ => Err("a frame is a non-empty even number of hex digits".into()),
    }
}
