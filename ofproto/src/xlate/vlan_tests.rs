//! 802.1ad tags end to end: rules translated and run by the datapath,
//! the frames checked on the wire (the TPIDs OVS 3.1 sends for the same
//! rules, vlan-qinq.scn's traces).

use datapath::cache::ExactCache;
use datapath::Packet;

use super::tests::{switch, udp_frame};

const QINQ: [u8; 2] = [0x88, 0xa8];
const DOT1Q: [u8; 2] = [0x81, 0x00];

#[test]
fn an_8021ad_tag_goes_on_the_wire_and_keeps_its_tpid() {
    let (_bridge, dp, ports) = switch(&[
        "table=0,in_port=1,actions=push_vlan:0x88a8,set_field:4106->vlan_vid,output:2",
        "table=0,in_port=2,dl_vlan=10,actions=set_field:4126->vlan_vid,output:1",
    ]);
    let mut emc = ExactCache::default();
    dp.process(&mut emc, vec![Packet::new(udp_frame(1, 2, 1, 2), 1)], 0);
    let pushed = ports[1].take_transmitted();
    assert_eq!(pushed.len(), 1);
    assert_eq!(pushed[0][12..16], [QINQ[0], QINQ[1], 0x00, 0x0a]);
    assert_eq!(pushed[0][16..18], [0x08, 0x00]);

    // Back in: the VID is rewritten (pop, push), the TPID kept.
    dp.process(&mut emc, vec![Packet::new(pushed[0].clone(), 2)], 0);
    let rewritten = ports[0].take_transmitted();
    assert_eq!(rewritten[0][12..16], [QINQ[0], QINQ[1], 0x00, 0x1e]);

    // The same TCI under 802.1Q misses the 802.1ad megaflow and keeps
    // its own TPID.
    let mut dot1q = pushed[0].clone();
    dot1q[12..14].copy_from_slice(&DOT1Q);
    let missed = dp.stats().missed;
    dp.process(&mut emc, vec![Packet::new(dot1q, 2)], 0);
    assert_eq!(dp.stats().missed, missed + 1);
    let rewritten = ports[0].take_transmitted();
    assert_eq!(rewritten[0][12..16], [DOT1Q[0], DOT1Q[1], 0x00, 0x1e]);
}

// With OVS's default vlan-limit, an inner tag is payload: pushing over
// QinQ keeps all three tags (OVS 3.1 sends the same frame).
#[test]
fn a_push_over_qinq_keeps_the_tag_the_pipeline_does_not_see() {
    let (_bridge, dp, ports) = switch(&[
        "table=0,in_port=1,dl_vlan=10,actions=push_vlan:0x8100,set_field:4196->vlan_vid,output:2",
    ]);
    let mut frame = udp_frame(1, 2, 1, 2);
    frame.splice(
        12..12,
        [QINQ[0], QINQ[1], 0x00, 0x0a, DOT1Q[0], DOT1Q[1], 0x00, 0x14],
    );
    let mut emc = ExactCache::default();
    dp.process(&mut emc, vec![Packet::new(frame.clone(), 1)], 0);
    let sent = ports[1].take_transmitted();
    assert_eq!(sent[0][12..16], [DOT1Q[0], DOT1Q[1], 0x00, 0x64]);
    assert_eq!(sent[0][16..], frame[12..]);
}
