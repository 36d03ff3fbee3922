//! A scenario's `trace FLOW [--ct-next STATE]... [PACKET]` line, which
//! `ovs-scenario` runs as `ovs-appctl ofproto/trace br0 FLOW ...`: the
//! arguments as OVS 3.1 reads them and the report lines of the answer.
//!
//! The flow is in OpenFlow syntax with every field exact (`in_port=p1` or
//! `in_port=1`, shorthands like `tcp`, fields after their prerequisites);
//! fields not given are zero and in_port is `ANY`. A hex frame after it
//! replaces the packet fields with the frame's. OVS reads an ODP flow
//! only without the bridge name, which the scenario always passes, so an
//! ODP flow is an error there as it is here. An error prints nothing,
//! as OVS's goes to the standard error the report leaves out.

use nxm_fields::layout as l;
use nxm_fields::port::OFPP_ANY;
use nxm_fields::registry::field_by_name;
use nxm_fields::text::Applied;
use nxm_fields::{Flow, Match, Value};
use ofproto::trace::parse_ct_state;

use super::parse::PORTS;

/// What a trace line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceArgs {
    pub flow: Flow,
    /// The `--ct-next` states, in order.
    pub ct_next: Vec<u32>,
}

/// Reads the arguments of a `trace` line.
pub fn parse_args(args: &[String]) -> Result<TraceArgs, String> {
    let mut ct_next = Vec::new();
    let mut positional = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--ct-next" => {
                let state = it.next().ok_or("Missing argument for option --ct-next")?;
                ct_next.push(parse_ct_state(state)?);
            }
            a if a.starts_with('-') => return Err(format!("{a}: unknown option")),
            a => positional.push(a),
        }
    }
    let (flow_text, packet) = match positional.as_slice() {
        [flow] => (*flow, None),
        [flow, packet] => (*flow, Some(*packet)),
        [] => return Err("Syntax error".into()),
        _ => return Err("too many arguments".into()),
    };
    let mut flow = exact_flow(flow_text)?;
    if let Some(hex) = packet {
        let frame = ctswitch::hex::decode(hex).ok_or("Trailing garbage in packet data")?;
        let in_port = flow.get(l::IN_PORT) as u32;
        flow = datapath::extract(&frame, in_port);
    }
    Ok(TraceArgs { flow, ct_next })
}

/// An OpenFlow flow with every field exact, as `parse_ofp_exact_flow`
/// reads it.
fn exact_flow(text: &str) -> Result<Flow, String> {
    let bad = |e: String| format!("Bad openflow flow syntax: {text}: {e}");
    if text.contains('(') {
        return Err("Cannot find the datapath".into());
    }
    let mut m = Match::catch_all();
    let mut in_port_given = false;
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = match part.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.trim())),
            None => (part, None),
        };
        let masked =
            value.is_some_and(|v| v.contains('/') || key == "ct_state" && v.contains(['+', '-']));
        if masked {
            return Err(bad(format!(
                "bad value for {key} ({}: wildcards not allowed here)",
                value.unwrap_or("")
            )));
        }
        let value = match (key, value) {
            ("in_port", Some(v)) => {
                in_port_given = true;
                Some(port_number(v))
            }
            (_, v) => v.map(str::to_string),
        };
        if let Some(def) = field_by_name(key) {
            if !m.prereqs_ok(def) {
                return Err(bad(format!("prerequisites not met for setting {key}")));
            }
        }
        match m
            .apply_text(key, value.as_deref())
            .map_err(|e| bad(e.to_string()))?
        {
            Applied::Yes => {}
            Applied::NotAMatchKey => return Err(bad(format!("unknown keyword {key}"))),
        }
    }
    let mut flow = m.flow().clone();
    if !in_port_given {
        flow.set(l::IN_PORT, Value::from(OFPP_ANY));
    }
    Ok(flow)
}

/// `pN` names the scenario switch's port N.
fn port_number(text: &str) -> String {
    match text.strip_prefix('p').and_then(|n| n.parse::<u32>().ok()) {
        Some(n) if (1..=PORTS).contains(&n) => n.to_string(),
        _ => text.to_string(),
    }
}

/// The report lines of a trace: each indented two spaces, recirculation
/// ids masked as `0xN` (they depend on what ran before).
pub fn report_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| format!("  {}", mask_recirc_ids(line)))
        .collect()
}

/// `recirc(0x1f)` and `recirc_id=0x1f` become `recirc(0xN)` and
/// `recirc_id=0xN` (ovs-scenario's `(recirc|recirc_id)([(=])0x[0-9a-f]+`).
fn mask_recirc_ids(line: &str) -> String {
    const PREFIXES: [&str; 4] = ["recirc(0x", "recirc=0x", "recirc_id(0x", "recirc_id=0x"];
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some((at, len)) = PREFIXES
        .iter()
        .filter_map(|p| rest.find(p).map(|i| (i, p.len())))
        .min()
    {
        let end = at + len;
        let digits = rest[end..]
            .bytes()
            .take_while(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
            .count();
        if digits == 0 {
            out.push_str(&rest[..end]);
        } else {
            out.push_str(&rest[..end - 2]);
            out.push_str("0xN");
        }
        rest = &rest[end + digits..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn recirc_ids_are_masked_as_ovs_scenario_masks_them() {
        assert_eq!(
            mask_recirc_ids("Datapath actions: ct(zone=1),recirc(0x1f)"),
            "Datapath actions: ct(zone=1),recirc(0xN)"
        );
        assert_eq!(
            mask_recirc_ids("Flow: recirc_id=0x2,ct_state=new|trk,eth"),
            "Flow: recirc_id=0xN,ct_state=new|trk,eth"
        );
        // Decimal ids (in a controller cookie) are left alone, as the
        // scenario leaves them.
        assert_eq!(mask_recirc_ids("recirc_id=9,x"), "recirc_id=9,x");
        assert_eq!(mask_recirc_ids("recirc"), "recirc");
    }

    // What OVS 3.1's ofproto/trace refuses.
    #[test]
    fn bad_flows_are_errors() {
        for bad in [
            "in_port=1,udp,tp_src=5",
            "in_port=1,udp,udp_src=5,ct_state=+trk",
            "in_port=1,ip,nw_src=10.0.0.0/8",
            "in_port(1),eth(),eth_type(0x0800)",
            "in_port=1 --frobnicate",
            "in_port=1 --ct-next est",
        ] {
            assert!(parse_args(&args(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn flows_and_states_are_read() {
        let t = parse_args(&args(
            "in_port=p2,udp,udp_src=5,ct_state=trk --ct-next trk,est --ct-next trk,new",
        ))
        .unwrap();
        assert_eq!(t.flow.get(l::IN_PORT), 2);
        assert_eq!(t.flow.get(l::TP_SRC), 5);
        assert_eq!(t.flow.get(l::CT_STATE), 0x20);
        assert_eq!(t.ct_next, vec![0x22, 0x21]);
        let any = parse_args(&args("tcp")).unwrap();
        assert_eq!(any.flow.get(l::IN_PORT), Value::from(OFPP_ANY));
    }
}
