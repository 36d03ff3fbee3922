//! `ctswitch ct-replay FILE.pcap`: runs every packet of a capture through a
//! fresh connection tracker, as a `ct(commit)` (with `--commit`) or a plain
//! `ct` would, and prints one line per packet (its number and `ct_state`
//! as OVS prints a match on it, `+new+trk`), then the final table as
//! `ovs-appctl dpctl/dump-conntrack` prints it, sorted. With `--nat`,
//! the `ct` also NATs (`ct(commit,nat(src=..))`, or a bare `nat` without
//! `--commit`), and a packet it rewrote is followed on its line by
//! `-> ` and its new tuple. With `--helper ftp|tftp`, connections are
//! committed with that ALG (`ct(commit,alg=ftp)`): a data connection it
//! expects is `+rel`, a packet whose FTP payload or sequence numbers the
//! ALG changed (under `--nat`) shows its new numbers and first payload
//! line after the tuple, and the expectations left are listed after the
//! connections.

use std::path::PathBuf;

use conntrack::alg::Edit;
use conntrack::nat::Rewrite;
use conntrack::wire::{ipv4, ipv6, tcp};
use conntrack::{
    proto_name, ConnKey, Conntrack, CtMetadata, CtPacket, ExecuteParams, Helper, NatAction, L3,
};
use datapath::port::pcap::{
    self, Captured, PcapError, LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_RAW,
};
use openflow_codec::action::{parse_action_list_text, Action};

use super::CommandResult;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The capture (classic pcap; Ethernet or raw IP link type).
    file: PathBuf,
    /// The conntrack zone.
    #[arg(long, default_value_t = 0)]
    zone: u16,
    /// Commit new connections, as `ct(commit)` does.
    #[arg(long)]
    commit: bool,
    /// Skip TCP sequence checks (OVS's `dpctl/ct-disable-tcp-seq-chk`).
    #[arg(long)]
    liberal: bool,
    /// NAT as `nat(SPEC)` does: `src=ADDR[-ADDR][:PORT[-PORT]]`,
    /// `dst=...`, with `random`, `hash` or `persistent` after a comma.
    #[arg(long, value_name = "SPEC")]
    nat: Option<String>,
    /// Commit with this ALG, as `ct(commit,alg=ftp)` does: `ftp` or
    /// `tftp`.
    #[arg(long, value_name = "ALG", value_parser = parse_helper)]
    helper: Option<Helper>,
    /// Output format: text lines, or one JSON object with every packet's
    /// metadata and the final connections.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// Link types this command understands.
const LINK_TYPES: [u32; 4] = [
    LINKTYPE_ETHERNET,
    LINKTYPE_RAW,
    LINKTYPE_IPV4,
    LINKTYPE_IPV6,
];

/// Reads a classic pcap file of Ethernet frames or raw IP packets.
fn read_pcap<'a>(name: &str, bytes: &'a [u8]) -> Result<(u32, Vec<Captured<'a>>), PcapError> {
    let capture = pcap::read(name, bytes)?;
    if !LINK_TYPES.contains(&capture.link_type) {
        return Err(PcapError::LinkType(
            name.to_string(),
            capture.link_type,
            "Ethernet or raw IP",
        ));
    }
    Ok((capture.link_type, capture.records))
}

/// Where the network header starts and which one it is, or `None` for a
/// frame that is not IP (conntrack only sees IP).
fn locate(link: u32, frame: &[u8]) -> Option<(usize, L3)> {
    let version = |at: usize| match frame.get(at)? >> 4 {
        4 => Some((at, L3::Ipv4)),
        6 => Some((at, L3::Ipv6)),
        _ => None,
    };
    if link != LINKTYPE_ETHERNET {
        return version(0);
    }
    let mut at = 12;
    loop {
        let ethertype = u16::from_be_bytes([*frame.get(at)?, *frame.get(at + 1)?]);
        match ethertype {
            // 802.1Q and 802.1ad tags: skip to the inner type.
            0x8100 | 0x88a8 => at += 4,
            0x0800 => return Some((at + 2, L3::Ipv4)),
            0x86dd => return Some((at + 2, L3::Ipv6)),
            _ => return None,
        }
    }
}

pub fn run(args: Args) -> CommandResult {
    let name = args.file.display().to_string();
    let bytes = std::fs::read(&args.file).map_err(|e| format!("{name}: {e}"))?;
    let (link, records) = read_pcap(&name, &bytes)?;
    let ct = Conntrack::new();
    ct.set_tcp_seq_check(!args.liberal);
    let nat = args.nat.as_deref().map(parse_nat).transpose()?;
    let params = ExecuteParams {
        zone: args.zone,
        commit: args.commit,
        nat,
        helper: args.helper,
        ..ExecuteParams::default()
    };
    let mut last_ms = 0;
    let mut packets = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let ms = record.time_us / 1000;
        last_ms = ms;
        let md = locate(link, record.data).map(|(offset, l3)| {
            let mut batch = [CtPacket::new(record.data, offset, l3)];
            ct.execute(&mut batch, &params, ms);
            let [packet] = batch;
            let edited = packet
                .alg
                .and_then(|edit| edited(record.data, offset, l3, packet.rewrite, &edit));
            Tracked {
                md: packet.md,
                rewrite: packet.rewrite,
                edited,
            }
        });
        packets.push((i + 1, md));
    }
    let mut entries = ct.dump(None, last_ms);
    entries.sort_by_key(ToString::to_string);
    let expectations = ct.expectations(None, last_ms);
    match args.format {
        Format::Text => {
            for (index, tracked) in &packets {
                let Some(t) = tracked else {
                    outln!("{index} -");
                    continue;
                };
                let mut line = format!("{index} {}", t.md.state);
                if let Some(rewrite) = &t.rewrite {
                    line.push_str(&format!(" -> {}", summary(&rewrite.to)));
                }
                if let Some(edited) = &t.edited {
                    line.push_str(&format!(" {edited}"));
                }
                outln!("{line}");
            }
            for entry in &entries {
                outln!("{entry}");
            }
            for exp in &expectations {
                outln!("expectation {exp}");
            }
        }
        Format::Json => {
            let packets: Vec<serde_json::Value> = packets
                .iter()
                .map(|(index, tracked)| match tracked {
                    Some(t) => serde_json::json!({
                        "index": index,
                        "ct_state": t.md.state.to_string(),
                        "ct_zone": t.md.zone,
                        "ct_mark": t.md.mark,
                        "ct_label": format!("{:#x}", t.md.label),
                        "orig": t.md.orig,
                        "rewritten": t.rewrite.as_ref().map(|r: &Rewrite| summary(&r.to)),
                        "alg": t.edited.as_ref().map(ToString::to_string),
                    }),
                    None => serde_json::json!({ "index": index, "ct_state": null }),
                })
                .collect();
            let out = serde_json::json!({
                "packets": packets,
                "connections": entries,
                "expectations": expectations,
            });
            outln!("{}", serde_json::to_string_pretty(&out)?);
        }
    }
    Ok(())
}

/// What the tracker said about one packet.
struct Tracked {
    md: CtMetadata,
    rewrite: Option<Rewrite>,
    edited: Option<Edited>,
}

/// A TCP segment as an ALG left it: `seq=S ack=A` and its payload's
/// first line, quoted (`"PORT 172,16,100,200,195,80"`).
struct Edited {
    seq: u32,
    ack: u32,
    line: String,
}

impl std::fmt::Display for Edited {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "seq={} ack={}", self.seq, self.ack)?;
        if !self.line.is_empty() {
            write!(f, " {:?}", self.line)?;
        }
        Ok(())
    }
}

/// The frame after NAT's `rewrite` and the ALG's `edit`, described.
fn edited(
    frame: &[u8],
    offset: usize,
    l3: L3,
    rewrite: Option<Rewrite>,
    edit: &Edit,
) -> Option<Edited> {
    let mut frame = frame.to_vec();
    if let Some(rewrite) = rewrite {
        rewrite.apply(frame.get_mut(offset..)?, l3).ok()?;
    }
    edit.apply(&mut frame, offset, l3).ok()?;
    let ip = frame.get(offset..)?;
    let segment = match l3 {
        L3::Ipv4 => ipv4::Packet::new_checked(ip).ok()?.payload().to_vec(),
        L3::Ipv6 => {
            let v6 = ipv6::Packet::new_checked(ip).ok()?;
            ip.get(v6.upper_layer().ok()?.offset..)?.to_vec()
        }
    };
    let seg = tcp::Packet::new_checked(&segment[..]).ok()?;
    let payload = seg.payload();
    let end = payload
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(payload.len());
    Some(Edited {
        seq: seg.seq_number(),
        ack: seg.ack_number(),
        line: String::from_utf8_lossy(payload.get(..end)?).into_owned(),
    })
}

/// `--helper NAME`.
fn parse_helper(name: &str) -> Result<Helper, String> {
    [Helper::Ftp, Helper::Tftp]
        .into_iter()
        .find(|h| h.name() == name)
        .ok_or_else(|| format!("unknown ALG \"{name}\" (ftp or tftp)"))
}

/// `--nat SPEC` as the `nat(SPEC)` of an ovs-ofctl action is parsed.
fn parse_nat(spec: &str) -> Result<NatAction, String> {
    let actions = parse_action_list_text(&format!("ct(nat({spec}))"))
        .map_err(|e| format!("--nat {spec}: {e}"))?;
    actions
        .iter()
        .find_map(|action| match action {
            Action::Ct(ct) => ct.actions.iter().find_map(|inner| match inner {
                Action::Nat(nat) => Some(ofproto::xlate::nat_action(nat)),
                _ => None,
            }),
            _ => None,
        })
        .ok_or_else(|| format!("--nat {spec}: not a nat argument"))
}

/// A rewritten packet's tuple on one line: `tcp 192.168.0.10:1500 >
/// 10.1.1.2:80`, `icmp 192.168.0.10 > 10.1.1.2 id=7`.
fn summary(key: &ConnKey) -> String {
    let proto = proto_name(key.proto);
    let (src, dst) = (key.src_ip(), key.dst_ip());
    if key.is_icmp() {
        return format!("{proto} {src} > {dst} id={}", key.icmp_id());
    }
    let (sport, dport) = (key.src_port, key.dst_port);
    if src.is_ipv6() {
        format!("{proto} [{src}]:{sport} > [{dst}]:{dport}")
    } else {
        format!("{proto} {src}:{sport} > {dst}:{dport}")
    }
}
