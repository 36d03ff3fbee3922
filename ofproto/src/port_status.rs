//! PORT_STATUS: what changed between two views of a bridge's ports. A
//! port that appeared is an ADD, one that went a DELETE (with its last
//! description), one whose description changed (config, link state,
//! name) a MODIFY; ports come in port-number order.

use std::collections::BTreeMap;

use openflow_codec::message::port::{Port, PortReason, PortStatus};

/// The PORT_STATUS messages that take a controller from `before` to `after`.
pub fn changes(before: &[Port], after: &[Port]) -> Vec<PortStatus> {
    let old: BTreeMap<u32, &Port> = before.iter().map(|p| (p.port_no, p)).collect();
    let new: BTreeMap<u32, &Port> = after.iter().map(|p| (p.port_no, p)).collect();
    let mut numbers: Vec<u32> = old.keys().chain(new.keys()).copied().collect();
    numbers.sort_unstable();
    numbers.dedup();
    numbers
        .into_iter()
        .filter_map(|no| {
            let (reason, desc) = match (old.get(&no), new.get(&no)) {
                (None, Some(port)) => (PortReason::Add, *port),
                (Some(port), None) => (PortReason::Delete, *port),
                (Some(was), Some(now)) if was != now => (PortReason::Modify, *now),
                _ => return None,
            };
            Some(PortStatus {
                reason,
                desc: desc.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(no: u32, name: &str, state: u32) -> Port {
        Port {
            port_no: no,
            hw_addr: [0; 6],
            name: name.into(),
            config: 0,
            state,
            curr: 0,
            advertised: 0,
            supported: 0,
            peer: 0,
            curr_speed: 0,
            max_speed: 0,
        }
    }

    #[test]
    fn additions_deletions_and_modifications_in_port_order() {
        let before = [port(1, "p1", 4), port(2, "p2", 4), port(5, "p5", 4)];
        let after = [port(5, "p5", 1), port(1, "p1", 4), port(3, "p3", 4)];
        let got: Vec<(PortReason, u32, u32)> = changes(&before, &after)
            .into_iter()
            .map(|s| (s.reason, s.desc.port_no, s.desc.state))
            .collect();
        assert_eq!(
            got,
            [
                (PortReason::Delete, 2, 4),
                (PortReason::Add, 3, 4),
                (PortReason::Modify, 5, 1)
            ]
        );
    }

    #[test]
    fn the_same_ports_are_no_change() {
        let ports = [port(1, "p1", 4), port(2, "p2", 0)];
        assert!(changes(&ports, &ports).is_empty());
        assert!(changes(&[], &[]).is_empty());
    }
}
