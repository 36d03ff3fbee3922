//! A scenario's `trace FLOW [--ct-next STATE]... [PACKET]` line, which
//! `ovs-scenario` runs as `ovs-appctl ofproto/trace br0 FLOW ...`: the
//! arguments as OVS 3.1 reads them ([`ctswitch::trace::parse_args`], with
//! the scenario's port names `p1`..`p4`), and the report lines of the
//! answer. An error prints nothing, as OVS's goes to the standard error
//! the report leaves out.

pub use ctswitch::trace::TraceArgs;

use nxm_fields::port::OFPP_LOCAL;

use super::parse::PORTS;

/// Reads the arguments of a `trace` line.
pub fn parse_args(args: &[String]) -> Result<TraceArgs, String> {
    ctswitch::trace::parse_args(args, &port_number)
}

/// `pN` names the scenario switch's port N.
pub fn port_number(text: &str) -> Option<u32> {
    let n = text.strip_prefix('p')?.parse::<u32>().ok()?;
    (1..=PORTS).contains(&n).then_some(n)
}

/// The datapath port number of `br0`'s own port in OVS's sandbox: its
/// dummy datapath numbers a port named `br*` from 100.
const SANDBOX_LOCAL_DP_PORT: &str = "100";

/// The report lines of a trace: each indented two spaces, recirculation
/// ids masked as `0xN` (they depend on what ran before), LOCAL's
/// datapath port numbered as OVS's sandbox numbers it.
pub fn report_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| format!("  {}", local_as_sandbox_port(&mask_recirc_ids(line))))
        .collect()
}

/// ctswitch's datapath numbers LOCAL as OpenFlow does; OVS's sandbox
/// datapath gives it [`SANDBOX_LOCAL_DP_PORT`]. Only a whole number in
/// the datapath actions is a port.
fn local_as_sandbox_port(line: &str) -> String {
    const PREFIX: &str = "Datapath actions: ";
    let Some(actions) = line.strip_prefix(PREFIX) else {
        return line.to_string();
    };
    let local = OFPP_LOCAL.to_string();
    let mut out = String::from(PREFIX);
    let mut token = String::new();
    for c in actions.chars().chain(core::iter::once(',')) {
        if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            token.push(c);
            continue;
        }
        out.push_str(if token == local {
            SANDBOX_LOCAL_DP_PORT
        } else {
            &token
        });
        token.clear();
        out.push(c);
    }
    // Drops the ',' that closed the last token.
    out.pop();
    out
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
    use nxm_fields::layout as l;
    use nxm_fields::port::OFPP_ANY;
    use nxm_fields::Value;

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

    #[test]
    fn local_is_numbered_as_in_ovs_sandbox() {
        assert_eq!(
            local_as_sandbox_port("Datapath actions: 4294967294,1,clone(4294967294),drop"),
            "Datapath actions: 100,1,clone(100),drop"
        );
        assert_eq!(
            local_as_sandbox_port("Datapath actions: 14294967294,42949672940"),
            "Datapath actions: 14294967294,42949672940"
        );
        assert_eq!(
            local_as_sandbox_port("Flow: x=4294967294"),
            "Flow: x=4294967294"
        );
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
