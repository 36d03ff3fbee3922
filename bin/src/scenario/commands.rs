//! A scenario's `appctl ARGS` and `ofctl ARGS` lines, for the commands a
//! scenario author most likely uses, answered by the scenario switch as
//! `ovs-appctl` and `ovs-ofctl -O OpenFlow13` print OVS 3.1's answers
//! (standard output then standard error). `None`: a command ctswitch does
//! not have, which the report shows as `unsupported`.
//!
//! * appctl: `dpctl/dump-conntrack`, `dpctl/flush-conntrack`,
//!   `dpctl/ct-{enable,disable}-tcp-seq-chk`, `dpctl/ct-get-nconns`,
//!   `dpctl/ct-{get,set}-maxconns`, `dpctl/ct-{set,get,del}-limits`,
//!   `dpctl/ct-stats-show [-m]`, `dpctl/ipf-get-status [-m]`,
//!   `dpctl/ipf-set-{enabled,disabled,min-frag,max-nfrags}`, `ofproto/trace`,
//!   `fdb/show br0`, `fdb/flush [br0]`, `time/warp`;
//! * ofctl (on `br0`): `add-flow`, `mod-flows`, `del-flows` (also
//!   `--strict`), `add-group`, `mod-group`, `del-groups`, `dump-flows`,
//!   `dump-groups`, `dump-tables`.

use conntrack::FlushFilter;
use conntrack::{Conntrack, DumpStyle};
use ctswitch::control::{parse_flush_filter, IpfSetting};
use nxm_fields::format::format_ethernet;
use openflow_codec::message::flow_mod::FlowModCommand;
use openflow_codec::message::group::GroupCommand;
use openflow_codec::message::multipart::MpRequest;

use super::run::Switch;
use super::trace;

/// What `ovs-appctl ARGS` prints, or `None` when ctswitch lacks it.
pub fn appctl<S: Switch>(switch: &mut S, args: &[String]) -> Option<Vec<String>> {
    let (cmd, rest) = args.split_first()?;
    let ct = switch.conntrack();
    let say = |s: &str| Some(vec![s.to_string()]);
    match cmd.as_str() {
        "dpctl/ct-enable-tcp-seq-chk" => {
            ct.set_tcp_seq_check(true);
            say("enabling TCP sequence checking successful")
        }
        "dpctl/ct-disable-tcp-seq-chk" => {
            ct.set_tcp_seq_check(false);
            say("disabling TCP sequence checking successful")
        }
        "dpctl/ct-get-nconns" => say(&ct.len().to_string()),
        "dpctl/ct-get-maxconns" => say(&ct.global_limit().to_string()),
        "dpctl/ct-set-maxconns" => {
            let n = rest.last()?.parse().ok()?;
            ct.set_global_limit(n);
            say("setting maxconns successful")
        }
        "dpctl/ct-set-limits" => set_limits(ct, rest).map(|()| Vec::new()),
        "dpctl/ct-del-limits" => {
            for zone in zones(rest)? {
                ct.set_zone_limit(zone, None);
            }
            Some(Vec::new())
        }
        "dpctl/ct-get-limits" => get_limits(ct, rest),
        "dpctl/ct-stats-show" => stats_show(ct, rest),
        "dpctl/ipf-get-status" if rest.iter().all(|a| a == "-m" || a == "--more") => Some(
            ct.ipf()
                .status()
                .format(!rest.is_empty())
                .lines()
                .map(str::to_string)
                .collect(),
        ),
        setter if setter.starts_with("dpctl/ipf-set-") => {
            let applied = IpfSetting::from_appctl(setter, rest)?.and_then(|setting| {
                setting
                    .apply(ct.ipf())
                    .map_err(|e| format!("ovs-vswitchd: {e} (Operation not permitted)"))
            });
            Some(match applied {
                Ok(text) => text.lines().map(str::to_string).collect(),
                Err(e) => vec![
                    e,
                    "ovs-appctl: ovs-vswitchd: server returned an error".into(),
                ],
            })
        }
        "dpctl/flush-conntrack" => Some(match flush_filter(rest) {
            Ok(filter) => {
                ct.flush(&filter);
                Vec::new()
            }
            Err(e) => vec![
                e,
                "ovs-appctl: ovs-vswitchd: server returned an error".into(),
            ],
        }),
        "dpctl/dump-conntrack" => {
            let style = DumpStyle {
                stats: rest.iter().any(|a| a == "-s"),
                verbose: rest.iter().any(|a| a == "-m"),
            };
            let mut lines: Vec<String> = ct
                .dump(zone_arg(rest)?, switch.now())
                .iter()
                .map(|e| e.format(style))
                .collect();
            lines.sort();
            Some(lines)
        }
        "fdb/show" if rest.len() == 1 && rest[0] == "br0" => {
            Some(fdb_lines(&switch.mac_table().entries(switch.now())))
        }
        "fdb/flush" if rest.iter().all(|b| b == "br0") => {
            switch.mac_table().flush();
            say("table successfully flushed")
        }
        "ofproto/trace" => {
            let (bridge, rest) = rest.split_first()?;
            if bridge != "br0" {
                return None;
            }
            Some(match trace::parse_args(rest) {
                Ok(t) => switch
                    .trace(&t.flow, &t.ct_next)
                    .lines()
                    .map(str::to_string)
                    .collect(),
                Err(e) => vec![
                    e,
                    "ovs-appctl: ovs-vswitchd: server returned an error".into(),
                ],
            })
        }
        "time/warp" => {
            // `time/warp [LARGE_MSECS] MSECS`: one jump, or LARGE_MSECS
            // in steps of MSECS; either way the clock ends LARGE_MSECS on.
            let total: u64 = rest.first()?.parse().ok()?;
            if rest.len() > 2 {
                return None;
            }
            switch.warp(total);
            say("warped")
        }
        _ => None,
    }
}

/// What `ovs-ofctl -O OpenFlow13 ARGS` prints, or `None` when ctswitch
/// lacks it.
pub fn ofctl<S: Switch>(switch: &mut S, args: &[String]) -> Option<Vec<String>> {
    let (cmd, rest) = args.split_first()?;
    let (bridge, rest) = rest.split_first()?;
    if bridge != "br0" {
        return None;
    }
    let strict = rest.first().is_some_and(|a| a == "--strict");
    let spec = rest
        .iter()
        .filter(|a| *a != "--strict")
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    let flow_mod =
        |switch: &mut S, command| switch.flow_mod(&spec, command).map(|()| String::new());
    let result = match cmd.as_str() {
        "add-flow" => flow_mod(switch, FlowModCommand::Add),
        "mod-flows" if strict => flow_mod(switch, FlowModCommand::ModifyStrict),
        "mod-flows" => flow_mod(switch, FlowModCommand::Modify),
        "del-flows" if strict => flow_mod(switch, FlowModCommand::DeleteStrict),
        "del-flows" => flow_mod(switch, FlowModCommand::Delete),
        "dump-tables" if spec.is_empty() => switch.dump(MpRequest::Table, 2),
        "add-group" => switch
            .group_mod(&spec, GroupCommand::Add)
            .map(|()| String::new()),
        "mod-group" => switch
            .group_mod(&spec, GroupCommand::Modify)
            .map(|()| String::new()),
        "del-groups" => switch
            .group_mod(&spec, GroupCommand::Delete)
            .map(|()| String::new()),
        // OpenFlow 1.3 has no way to ask for one group's description.
        "dump-groups" => switch.dump(MpRequest::GroupDesc, 2),
        "mod-port" => {
            let port = rest.first().and_then(|p| super::trace::port_number(p))?;
            let up = match rest.get(1).map(String::as_str) {
                Some("up") => true,
                Some("down") => false,
                _ => return None,
            };
            switch.port_mod(port, up).map(|()| String::new())
        }
        // ovs-ofctl spends more xids on a filtered request.
        "dump-flows" => switch.dump_flows_reply(&spec, if spec.is_empty() { 2 } else { 6 }),
        _ => return None,
    };
    let text = result.unwrap_or_else(|e| e);
    Some(text.lines().map(str::to_string).collect())
}

/// `dpctl/flush-conntrack`'s filters as OVS 3.1 takes them: a zone and
/// up to two tuples (ctswitch also filters by mark and labels, which
/// OVS 3.1 reads as tuple fields and refuses).
pub fn flush_filter(args: &[String]) -> Result<FlushFilter, String> {
    for a in args {
        if let Some(key) = ["mark", "labels"]
            .into_iter()
            .find(|k| a.strip_prefix(k).is_some_and(|r| r.starts_with('=')))
        {
            return Err(format!(
                "ovs-vswitchd: invalid conntrack tuple field: {key} (Invalid argument)"
            ));
        }
    }
    parse_flush_filter(args)
}

/// The `zone=N` among the arguments, if any.
fn zone_arg(args: &[String]) -> Option<Option<u16>> {
    let mut zone = None;
    for a in args {
        if let Some(z) = a.strip_prefix("zone=") {
            zone = Some(z.parse().ok()?);
        }
    }
    Some(zone)
}

/// The zones of `zone=N[,N]...` arguments.
fn zones(args: &[String]) -> Option<Vec<u16>> {
    let mut zones = Vec::new();
    for a in args {
        for z in a.strip_prefix("zone=")?.split(',') {
            zones.push(z.parse().ok()?);
        }
    }
    Some(zones)
}

/// `ct-set-limits [default=N] [zone=N,limit=N]...`.
fn set_limits(ct: &Conntrack, args: &[String]) -> Option<()> {
    for a in args {
        if let Some(limit) = a.strip_prefix("default=") {
            ct.set_default_zone_limit(limit.parse().ok()?);
            continue;
        }
        let (zone, limit) = a.split_once(',')?;
        let zone = zone.strip_prefix("zone=")?.parse().ok()?;
        let limit = limit.strip_prefix("limit=")?.parse().ok()?;
        ct.set_zone_limit(zone, Some(limit));
    }
    Some(())
}

/// `ct-get-limits [zone=N[,N]...]`: the default, then each zone asked
/// for, or else each zone with a limit of its own.
fn get_limits(ct: &Conntrack, args: &[String]) -> Option<Vec<String>> {
    let asked = zones(args)?;
    let zones: Vec<u16> = if args.is_empty() {
        (0..=u16::MAX)
            .filter(|&z| ct.zone_stats(z).own_limit)
            .collect()
    } else {
        asked
    };
    let mut lines = vec![format!("default limit={}", ct.default_zone_limit())];
    for zone in zones {
        let s = ct.zone_stats(zone);
        lines.push(format!("zone={zone},limit={},count={}", s.limit, s.count));
    }
    Some(lines)
}

/// `fdb/show`'s table: a header, then each entry's port, VLAN, address
/// and age in seconds.
fn fdb_lines(entries: &[(u32, u16, u64, u64)]) -> Vec<String> {
    let mut lines = vec![" port  VLAN  MAC                Age".to_string()];
    for &(port, vlan, mac, age) in entries {
        let mac = format_ethernet(mac.into());
        lines.push(format!("{port:5}  {vlan:4}  {mac}  {age:3}"));
    }
    lines
}

/// TCP states in the order `ct-stats-show -m` lists them.
const TCP_STATES: [&str; 11] = [
    "CLOSED",
    "LISTEN",
    "SYN_SENT",
    "SYN_RECV",
    "ESTABLISHED",
    "CLOSE_WAIT",
    "FIN_WAIT_1",
    "CLOSING",
    "LAST_ACK",
    "FIN_WAIT_2",
    "TIME_WAIT",
];

/// `ct-stats-show [-m]`: connections in all, by protocol group and (with
/// `-m`) TCP's by state. A zone filter is not supported.
fn stats_show(ct: &Conntrack, args: &[String]) -> Option<Vec<String>> {
    let verbose = match args {
        [] => false,
        [m] if m == "-m" => true,
        _ => return None,
    };
    let counts = ct.counts();
    let mut groups: [(&str, u64); 8] = [
        ("TCP", 0),
        ("UDP", 0),
        ("UDPLITE", 0),
        ("SCTP", 0),
        ("ICMP", 0),
        ("DCCP", 0),
        ("IGMP", 0),
        ("Other", 0),
    ];
    for (proto, n) in &counts.by_proto {
        let group = match proto.as_str() {
            "tcp" => 0,
            "udp" => 1,
            "udplite" => 2,
            "sctp" => 3,
            "icmp" | "icmpv6" => 4,
            "dccp" => 5,
            "igmp" => 6,
            _ => 7,
        };
        if let Some(g) = groups.get_mut(group) {
            g.1 += n;
        }
    }
    let mut lines = vec![
        "Connections Stats:".to_string(),
        format!("    Total: {}", counts.total),
    ];
    for (name, n) in groups {
        if n == 0 {
            continue;
        }
        lines.push(format!("  {name}: {n}"));
        if verbose && name == "TCP" {
            lines.push("    Conn per TCP states:".into());
            for state in TCP_STATES {
                if let Some(k) = counts.tcp_states.get(state).filter(|k| **k > 0) {
                    lines.push(format!("\t  [{state}]={k}"));
                }
            }
        }
    }
    Some(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn zone_lists_are_read() {
        assert_eq!(zones(&words("zone=5,6")), Some(vec![5, 6]));
        assert_eq!(zones(&words("zone=5 zone=7")), Some(vec![5, 7]));
        assert_eq!(zones(&words("limit=5")), None);
        assert_eq!(zone_arg(&words("-m zone=3")), Some(Some(3)));
    }

    // OVS 3.1's `fdb/show br0` after NORMAL learned a port 2 address.
    #[test]
    fn fdb_lines_print_as_ovs_prints_them() {
        assert_eq!(
            fdb_lines(&[(2, 0, 2, 2)]),
            vec![
                " port  VLAN  MAC                Age".to_string(),
                "    2     0  00:00:00:00:00:02    2".to_string()
            ]
        );
    }

    // Expectations from OVS 3.1's `dpctl/ct-get-limits`.
    #[test]
    fn limits_print_as_ovs_prints_them() {
        let ct = Conntrack::new();
        assert_eq!(get_limits(&ct, &[]), Some(vec!["default limit=0".into()]));
        set_limits(&ct, &words("default=7 zone=9,limit=3")).unwrap();
        assert_eq!(
            get_limits(&ct, &[]),
            Some(vec![
                "default limit=7".into(),
                "zone=9,limit=3,count=0".into()
            ])
        );
        assert_eq!(
            get_limits(&ct, &words("zone=9,6")),
            Some(vec![
                "default limit=7".into(),
                "zone=9,limit=3,count=0".into(),
                "zone=6,limit=7,count=0".into()
            ])
        );
    }
}
