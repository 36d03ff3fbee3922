//! The PORT_STATS reply: each datapath port's counters as OpenFlow 1.3
//! carries them, for one port or all (`OFPP_ANY`).
//!
//! Counters the ports do not keep (errors, frame, overrun, CRC,
//! collisions) are all-ones, OpenFlow's "unsupported", which ovs-ofctl
//! prints as `?` just as it does for OVS's dummy ports. The bridge's LOCAL
//! port exists even when the datapath has none; it then counts nothing
//! and is as old as the bridge. A port that does not exist gives an empty
//! reply, as OVS answers.

use std::time::Duration;

use datapath::port::PortStats as Counters;
use datapath::Datapath;
use nxm_fields::port::{OFPP_ANY, OFPP_LOCAL};
use openflow_codec::message::multipart::port_stats::PortStats;

/// OpenFlow's value for a counter the switch does not keep.
const UNSUPPORTED: u64 = u64::MAX;

/// The stats of `port_no` (or of every port for `OFPP_ANY`), ascending by
/// port number, LOCAL last; `bridge_age` is LOCAL's when the datapath has
/// no port of that number.
pub fn port_stats(dp: Option<&Datapath>, port_no: u32, bridge_age: Duration) -> Vec<PortStats> {
    let mut ports: Vec<(u32, Counters)> = dp
        .map(|dp| dp.ports())
        .unwrap_or_default()
        .into_iter()
        .map(|(no, port)| (no, port.stats()))
        .collect();
    if !ports.iter().any(|(no, _)| *no == OFPP_LOCAL) {
        let local = Counters {
            duration: bridge_age,
            ..Counters::default()
        };
        ports.push((OFPP_LOCAL, local));
    }
    ports.sort_by_key(|(no, _)| *no);
    ports
        .into_iter()
        .filter(|(no, _)| port_no == OFPP_ANY || *no == port_no)
        .map(|(no, c)| to_openflow(no, &c))
        .collect()
}

fn to_openflow(port_no: u32, c: &Counters) -> PortStats {
    PortStats {
        port_no,
        rx_packets: c.rx_packets,
        tx_packets: c.tx_packets,
        rx_bytes: c.rx_bytes,
        tx_bytes: c.tx_bytes,
        rx_dropped: c.rx_dropped,
        tx_dropped: c.tx_dropped,
        rx_errors: UNSUPPORTED,
        tx_errors: UNSUPPORTED,
        rx_frame_err: UNSUPPORTED,
        rx_over_err: UNSUPPORTED,
        rx_crc_err: UNSUPPORTED,
        collisions: UNSUPPORTED,
        duration_sec: u32::try_from(c.duration.as_secs()).unwrap_or(u32::MAX),
        duration_nsec: c.duration.subsec_nanos(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use conntrack::Conntrack;
    use datapath::port::DummyPort;
    use datapath::{MissReply, Upcall, UpcallError, UserspacePacket};
    use nxm_fields::Flow;

    use super::*;

    #[derive(Debug)]
    struct NoSlowPath;

    impl Upcall for NoSlowPath {
        fn miss(&self, _flow: &Flow) -> Result<MissReply, UpcallError> {
            Err(UpcallError::Translation("no slow path in this test".into()))
        }

        fn userspace(&self, _packet: UserspacePacket) {}
    }

    #[test]
    fn every_port_then_local_or_just_the_one_asked_for() {
        let dp = Datapath::new(Arc::new(Conntrack::new()), Arc::new(NoSlowPath));
        for no in [2, 1] {
            let port = Arc::new(DummyPort::new(format!("p{no}")));
            dp.add_port(no, port).unwrap();
        }
        if let Some(port) = dp.port(2) {
            port.transmit(&[0; 60]);
        }
        let age = Duration::from_millis(1500);
        let all = port_stats(Some(&dp), OFPP_ANY, age);
        let numbers: Vec<u32> = all.iter().map(|s| s.port_no).collect();
        assert_eq!(numbers, [1, 2, OFPP_LOCAL]);
        assert_eq!((all[1].tx_packets, all[1].tx_bytes), (1, 60));
        assert_eq!(all[1].rx_errors, UNSUPPORTED);
        assert_eq!(
            (all[2].duration_sec, all[2].duration_nsec),
            (1, 500_000_000)
        );

        let one = port_stats(Some(&dp), 2, age);
        assert_eq!(one.len(), 1);
        assert!(port_stats(Some(&dp), 9, age).is_empty());
    }
}
