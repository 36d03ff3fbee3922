//! The reassembler as the datapath uses it: fragmented UDP datagrams in
//! and out of order, refused fragments, limits, expiry on a fake clock,
//! refragmentation, and random input.

use std::net::{IpAddr, Ipv4Addr};

use super::*;
use crate::extract::L3;
use crate::params::{CtPacket, ExecuteParams};
use crate::wire::{compose, ip_proto, ipv4, ipv6, udp};
use crate::Conntrack;

const A4: &str = "10.1.1.1";
const B4: &str = "10.1.1.2";
const A6: &str = "2001:db8::1";
const B6: &str = "2001:db8::2";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// An IPv4 UDP fragment 10.1.1.1 -> 10.1.1.2 carrying `data` at `offset`.
pub(crate) fn v4_fragment(ident: u16, offset: usize, more: bool, data: &[u8]) -> Vec<u8> {
    let offset = offset as u16;
    compose::ipv4_fragment(ip(A4), ip(B4), ip_proto::UDP, ident, offset, more, data).unwrap()
}

/// An IPv6 fragment 2001:db8::1 -> ::2 behind a hop-by-hop header, of a
/// UDP datagram, carrying `data` at `offset`.
pub(crate) fn v6_fragment(ident: u32, offset: usize, more: bool, data: &[u8]) -> Vec<u8> {
    let mut ext = vec![ip_proto::IPV6_FRAGMENT, 0, 1, 4, 0, 0, 0, 0];
    let off_flags = offset as u16 | u16::from(more);
    ext.extend_from_slice(&[ip_proto::UDP, 0]);
    ext.extend_from_slice(&off_flags.to_be_bytes());
    ext.extend_from_slice(&ident.to_be_bytes());
    ext.extend_from_slice(data);
    compose::ip_packet(ip(A6), ip(B6), ip_proto::HOPOPTS, &ext).unwrap()
}

/// A UDP datagram (ports 5000 -> 53) of `len` payload bytes, cut into
/// fragments carrying `sizes` bytes of it each (the last takes the rest).
fn fragmented(family: Family, len: usize, sizes: &[usize]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let (a, b) = match family {
        Family::Ipv4 => (A4, B4),
        Family::Ipv6 => (A6, B6),
    };
    let whole = compose::udp_packet(ip(a), ip(b), 5000, 53, len).unwrap();
    let l4_at = match family {
        Family::Ipv4 => ipv4::HEADER_LEN,
        Family::Ipv6 => ipv6::HEADER_LEN,
    };
    let l4 = &whole[l4_at..];
    let mut frags = Vec::new();
    let mut at = 0;
    for size in sizes.iter().chain([&usize::MAX]) {
        let end = at + (*size).min(l4.len() - at);
        let more = end < l4.len();
        let data = &l4[at..end];
        frags.push(match family {
            Family::Ipv4 => v4_fragment(0x1234, at, more, data),
            Family::Ipv6 => v6_fragment(0xabcdef, at, more, data),
        });
        at = end;
        if !more {
            break;
        }
    }
    (whole, frags)
}

fn l3_of(family: Family) -> L3 {
    match family {
        Family::Ipv4 => L3::Ipv4,
        Family::Ipv6 => L3::Ipv6,
    }
}

/// Feeds `frags` in the given order; the datagram and its fragments come
/// out of the fragment that completed it.
fn feed(ipf: &Ipf, family: Family, frags: &[&Vec<u8>], now: u64) -> Option<(Vec<u8>, Fragments)> {
    let mut done = None;
    for frag in frags {
        match ipf.process(frag, family, 0, 0, now) {
            Outcome::Held => {}
            Outcome::Reassembled { packet, fragments } => done = Some((packet, fragments)),
            other => panic!("{other:?}"),
        }
    }
    done
}

fn track(ct: &Conntrack, packet: &[u8], family: Family) -> String {
    let mut batch = [CtPacket::new(packet, 0, l3_of(family))];
    let params = ExecuteParams {
        commit: true,
        ..ExecuteParams::default()
    };
    ct.execute(&mut batch, &params, 0);
    batch[0].md.state.to_string()
}

#[test]
fn v4_udp_in_order_is_tracked_as_one_datagram() {
    let ipf = Ipf::new();
    let (whole, frags) = fragmented(Family::Ipv4, 3000, &[1480, 1480]);
    assert_eq!(frags.len(), 3);
    let (packet, fragments) =
        feed(&ipf, Family::Ipv4, &frags.iter().collect::<Vec<_>>(), 0).unwrap();
    // The reassembled datagram is the one that was cut, byte for byte
    // (identification aside).
    assert_eq!(packet.len(), whole.len());
    assert!(packet[12..] == whole[12..]);
    assert!(ipv4::Packet::new_checked(&packet[..])
        .unwrap()
        .verify_checksum());
    let ct = Conntrack::new();
    assert_eq!(track(&ct, &packet, Family::Ipv4), "+new+trk");
    let reply = compose::udp_packet(ip(B4), ip(A4), 53, 5000, 4).unwrap();
    assert_eq!(track(&ct, &reply, Family::Ipv4), "+est+rpl+trk");
    assert_eq!(fragments.into_packets(), frags);
    let status = ipf.status();
    assert_eq!(
        (status.v4.accepted, status.v4.completed, status.num_frags),
        (3, 3, 0)
    );
}

#[test]
fn v4_udp_out_of_order_is_reassembled() {
    let ipf = Ipf::new();
    let (whole, frags) = fragmented(Family::Ipv4, 3000, &[1480, 1480]);
    let (packet, fragments) =
        feed(&ipf, Family::Ipv4, &[&frags[2], &frags[0], &frags[1]], 0).unwrap();
    assert!(packet[20..] == whole[20..]);
    // Forwarded in offset order, as OVS sends a completed list.
    assert_eq!(fragments.into_packets(), frags);
}

#[test]
fn v6_udp_behind_extension_headers_in_and_out_of_order() {
    let (whole, frags) = fragmented(Family::Ipv6, 3000, &[1448, 1448]);
    for order in [[0, 1, 2], [1, 2, 0], [2, 1, 0]] {
        let ipf = Ipf::new();
        let order: Vec<&Vec<u8>> = order.iter().map(|i| &frags[*i]).collect();
        let (packet, fragments) = feed(&ipf, Family::Ipv6, &order, 0).unwrap();
        // The hop-by-hop header and an atomic fragment header stay in
        // front of the whole UDP datagram, as OVS leaves them.
        assert_eq!(packet.len(), whole.len() + 16);
        assert!(packet[56..] == whole[40..]);
        let upper = ipv6::Packet::new_checked(&packet[..])
            .unwrap()
            .upper_layer()
            .unwrap();
        assert!(!upper.fragment);
        assert_eq!((upper.protocol, upper.offset), (ip_proto::UDP, 56));
        assert_eq!(track(&Conntrack::new(), &packet, Family::Ipv6), "+new+trk");
        assert_eq!(fragments.len(), 3);
        assert_eq!(ipf.status().v6.completed, 3);
    }
}

#[test]
fn overlapping_and_duplicate_fragments_are_invalid_and_counted() {
    let ipf = Ipf::new();
    let (_, frags) = fragmented(Family::Ipv4, 3000, &[1480, 1480]);
    assert_eq!(ipf.process(&frags[0], Family::Ipv4, 0, 0, 0), Outcome::Held);
    assert_eq!(
        ipf.process(&frags[0], Family::Ipv4, 0, 0, 0),
        Outcome::Invalid
    );
    let overlap = v4_fragment(0x1234, 1472, true, &[0; 1480]);
    assert_eq!(
        ipf.process(&overlap, Family::Ipv4, 0, 0, 0),
        Outcome::Invalid
    );
    let status = ipf.status();
    assert_eq!(
        (status.v4.overlapped, status.v4.accepted, status.num_frags),
        (2, 1, 1)
    );
}

/// As OVS 3.1 (tests/scenarios/frag4-covering.scn): a fragment covering
/// a held one is taken (neither of its ends is inside), the list can then
/// only expire, and a fragment with an end inside it is the overlap.
#[test]
fn a_fragment_covering_a_held_one_is_taken_but_never_completes() {
    let ipf = Ipf::new();
    let last = v4_fragment(0x66, 1280, false, &[0; 200]);
    assert_eq!(ipf.process(&last, Family::Ipv4, 9, 0, 0), Outcome::Held);
    let covering = v4_fragment(0x66, 1272, true, &[0; 1216]);
    assert_eq!(ipf.process(&covering, Family::Ipv4, 9, 0, 0), Outcome::Held);
    let first = v4_fragment(0x66, 0, true, &[0; 1280]);
    assert_eq!(ipf.process(&first, Family::Ipv4, 9, 0, 0), Outcome::Invalid);
    let status = ipf.status();
    assert_eq!(
        (status.v4.accepted, status.v4.overlapped, status.num_frags),
        (2, 1, 2)
    );
}

#[test]
fn small_fragments_but_the_last_are_invalid_and_counted() {
    let ipf = Ipf::new();
    let small = v4_fragment(9, 0, true, &[0; 100]);
    assert_eq!(ipf.process(&small, Family::Ipv4, 0, 0, 0), Outcome::Invalid);
    let small_last = v4_fragment(9, 1480, false, &[0; 100]);
    assert_eq!(
        ipf.process(&small_last, Family::Ipv4, 0, 0, 0),
        Outcome::Held
    );
    let small6 = v6_fragment(9, 0, true, &[0; 1200]);
    assert_eq!(
        ipf.process(&small6, Family::Ipv6, 0, 0, 0),
        Outcome::Invalid
    );
    ipf.set_min_frag(Family::Ipv6, 400).unwrap();
    assert_eq!(ipf.process(&small6, Family::Ipv6, 0, 0, 0), Outcome::Held);
    let status = ipf.status();
    assert_eq!((status.v4.too_small, status.v6.too_small), (1, 1));
}

#[test]
fn past_the_fragment_limit_fragments_go_to_the_tracker_as_invalid() {
    let ipf = Ipf::new();
    ipf.set_max_frags(1).unwrap();
    let (_, frags) = fragmented(Family::Ipv4, 3000, &[1480, 1480]);
    assert_eq!(ipf.process(&frags[0], Family::Ipv4, 0, 0, 0), Outcome::Held);
    assert_eq!(ipf.process(&frags[1], Family::Ipv4, 0, 0, 0), Outcome::Pass);
    assert_eq!(
        track(&Conntrack::new(), &frags[1], Family::Ipv4),
        "+inv+trk"
    );
    assert_eq!(ipf.status().num_frags, 1);
}

#[test]
fn a_list_times_out_after_15_seconds_and_gives_its_fragments_back() {
    let ipf = Ipf::new();
    let (_, frags) = fragmented(Family::Ipv6, 3000, &[1448, 1448]);
    let start = 1_000;
    assert_eq!(
        ipf.process(&frags[0], Family::Ipv6, 0, 0, start),
        Outcome::Held
    );
    assert_eq!(
        ipf.process(&frags[2], Family::Ipv6, 0, 0, start + 10_000),
        Outcome::Held
    );
    // The clock runs from the first fragment, later ones do not extend it.
    assert!(ipf.expire(start + FRAG_LIST_TIMEOUT_MS).is_none());
    let expired = ipf.expire(start + FRAG_LIST_TIMEOUT_MS + 1).unwrap();
    assert_eq!(expired.into_packets(), [frags[0].clone(), frags[2].clone()]);
    let status = ipf.status();
    assert_eq!(
        (status.v6.expired, status.num_frags, status.lists.len()),
        (2, 0, 0)
    );
    // The missing fragment now starts a list of its own.
    assert_eq!(
        ipf.process(&frags[1], Family::Ipv6, 0, 0, start + 20_000),
        Outcome::Held
    );
}

/// As OVS 3.1 ends them: one timed-out list a call, and a list left
/// 10 s past its expiry is purged (dropped and counted) rather than sent.
#[test]
fn lists_expire_one_a_call_and_stale_ones_are_purged() {
    let ipf = Ipf::new();
    let (_, a) = fragmented(Family::Ipv4, 3000, &[1480, 1480]);
    let (_, b) = fragmented(Family::Ipv4, 3000, &[1480, 1480]);
    // A second datagram: another identification.
    let b: Vec<Vec<u8>> = b
        .into_iter()
        .map(|mut f| {
            f[5] ^= 1;
            let mut ip = ipv4::Packet::new_unchecked(&mut f[..]);
            ip.fill_checksum();
            f
        })
        .collect();
    assert_eq!(ipf.process(&a[0], Family::Ipv4, 0, 0, 0), Outcome::Held);
    assert_eq!(ipf.process(&b[0], Family::Ipv4, 0, 0, 5), Outcome::Held);
    assert_eq!(ipf.process(&b[1], Family::Ipv4, 0, 0, 6), Outcome::Held);
    let after = FRAG_LIST_TIMEOUT_MS + 100;
    assert_eq!(ipf.expire(after).unwrap().into_packets(), [a[0].clone()]);
    assert_eq!(ipf.status().num_frags, 2);
    assert!(ipf
        .expire(5 + FRAG_LIST_TIMEOUT_MS + PURGE_AFTER_MS)
        .is_none());
    let status = ipf.status();
    assert_eq!(
        (status.v4.expired, status.v4.purged, status.num_frags),
        (1, 2, 0)
    );
    assert!(ipf.expire(u64::MAX).is_none());
}

/// With no `ct` to end them, lists 10 s past their expiry are purged
/// (as OVS's clean thread purges them), younger ones kept.
#[test]
fn stale_lists_are_purged_without_a_ct() {
    let ipf = Ipf::new();
    let (_, frags) = fragmented(Family::Ipv6, 3000, &[1448, 1448]);
    assert_eq!(ipf.process(&frags[0], Family::Ipv6, 0, 0, 0), Outcome::Held);
    let stale = FRAG_LIST_TIMEOUT_MS + PURGE_AFTER_MS;
    assert_eq!(ipf.purge_stale(stale - 1), 0);
    assert_eq!(ipf.purge_stale(stale), 1);
    let status = ipf.status();
    assert_eq!((status.v6.purged, status.num_frags), (1, 0));
    assert!(ipf.expire(u64::MAX).is_none());
}

/// A held fragment leaves with its own link-layer header and port.
#[test]
fn fragments_leave_with_their_own_link_header_and_port() {
    let ipf = Ipf::new();
    let (_, frags) = fragmented(Family::Ipv4, 2000, &[1480]);
    let frames: Vec<Vec<u8>> = frags
        .iter()
        .enumerate()
        .map(|(i, f)| [vec![i as u8; 14], f.clone()].concat())
        .collect();
    let mut whole = None;
    for (port, frame) in frames.iter().enumerate().rev() {
        let arrival = Arrival {
            frame,
            l3_at: 14,
            in_port: port as u32 + 1,
        };
        if let Outcome::Reassembled { fragments, .. } =
            ipf.process_arrival(&arrival, Family::Ipv4, 0, 0, 0)
        {
            whole = Some(fragments);
        }
    }
    let fragments = whole.unwrap();
    assert_eq!(fragments.in_ports(), [1, 2]);
    assert_eq!(fragments.into_packets(), frames);
}

/// As OVS 3.1 does: after `ct(commit,zone=9)` took a datagram whole, its
/// last fragment sent again shows in `ipf-get-status -m` as a list of
/// its own, `num_fragments=1,state=last frag`.
#[test]
fn a_late_duplicate_after_completion_starts_a_new_list() {
    let ipf = Ipf::new();
    let (_, frags) = fragmented(Family::Ipv4, 2000, &[1480]);
    assert!(feed(&ipf, Family::Ipv4, &frags.iter().collect::<Vec<_>>(), 0).is_some());
    assert!(ipf.status().lists.is_empty());
    assert_eq!(ipf.process(&frags[1], Family::Ipv4, 9, 0, 5), Outcome::Held);
    let status = ipf.status();
    assert_eq!(
        (status.v4.accepted, status.v4.completed, status.num_frags),
        (3, 2, 1)
    );
    assert_eq!(
        status.lists[0].to_string(),
        "(src=10.1.1.1,dst=10.1.1.2,recirc_id=0,ip_id=4660,dl_type=0x800,zone=9,nw_proto=17,num_fragments=1,state=last frag)"
    );
}

#[test]
fn lists_are_per_zone_and_per_recirculation() {
    let ipf = Ipf::new();
    let (_, frags) = fragmented(Family::Ipv4, 2000, &[1480]);
    assert_eq!(ipf.process(&frags[0], Family::Ipv4, 1, 0, 0), Outcome::Held);
    assert_eq!(ipf.process(&frags[1], Family::Ipv4, 2, 0, 0), Outcome::Held);
    assert_eq!(ipf.process(&frags[1], Family::Ipv4, 1, 7, 0), Outcome::Held);
    assert_eq!(ipf.status().lists.len(), 3);
}

#[test]
fn a_disabled_family_passes_its_fragments() {
    let ipf = Ipf::new();
    ipf.set_enabled(Family::Ipv4, false);
    let (_, frags) = fragmented(Family::Ipv4, 2000, &[1480]);
    assert_eq!(ipf.process(&frags[0], Family::Ipv4, 0, 0, 0), Outcome::Pass);
    let (_, frags6) = fragmented(Family::Ipv6, 2000, &[1448]);
    assert_eq!(
        ipf.process(&frags6[0], Family::Ipv6, 0, 0, 0),
        Outcome::Held
    );
    assert!(!ipf.status().v4.enabled);
}

#[test]
fn setters_validate_as_ovs_3_1() {
    let ipf = Ipf::new();
    assert_eq!(
        ipf.set_min_frag(Family::Ipv4, 399),
        Err(IpfError::MinFragTooSmall)
    );
    assert_eq!(
        ipf.set_min_frag(Family::Ipv6, 399),
        Err(IpfError::MinFragTooSmall)
    );
    assert_eq!(ipf.set_min_frag(Family::Ipv4, 1000), Ok(()));
    assert_eq!(ipf.set_max_frags(5001), Err(IpfError::MaxFragsTooLarge));
    assert_eq!(ipf.set_max_frags(5000), Ok(()));
    assert_eq!(ipf.set_max_frags(0), Ok(()));
    let status = ipf.status();
    assert_eq!(
        (
            status.v4.min_frag_size,
            status.v6.min_frag_size,
            status.max_frags
        ),
        (1000, 1280, 0)
    );
    assert_eq!(
        IpfError::MinFragTooSmall.to_string(),
        "requested minimum fragment size too small; see documentation"
    );
}

#[test]
fn refragmentation_reproduces_the_sizes_and_carries_a_rewrite() {
    for family in [Family::Ipv4, Family::Ipv6] {
        let ipf = Ipf::new();
        let (_, frags) = fragmented(family, 3000, &[1480 - 32, 1480 - 32]);
        let (mut packet, fragments) =
            feed(&ipf, family, &frags.iter().collect::<Vec<_>>(), 0).unwrap();
        // A source NAT: a new address and UDP source port.
        let l4_at = match family {
            Family::Ipv4 => {
                let mut view = ipv4::Packet::new_checked(&mut packet[..]).unwrap();
                view.set_src_addr(Ipv4Addr::new(192, 168, 0, 10));
                view.fill_checksum();
                ipv4::HEADER_LEN
            }
            Family::Ipv6 => {
                let mut view = ipv6::Packet::new_checked(&mut packet[..]).unwrap();
                view.set_src_addr("2001:db8::10".parse().unwrap());
                ipv6::HEADER_LEN + 16
            }
        };
        packet[l4_at..l4_at + 2].copy_from_slice(&1024u16.to_be_bytes());
        let out = fragments.refragment(&packet).unwrap();
        let sizes = |v: &[Vec<u8>]| v.iter().map(Vec::len).collect::<Vec<_>>();
        assert_eq!(sizes(&out), sizes(&frags));
        // The first fragment carries the new port, every one the new
        // address; taken in again they make the rewritten datagram.
        let again = Ipf::new();
        let (whole, _) = feed(&again, family, &out.iter().collect::<Vec<_>>(), 0).unwrap();
        assert_eq!(whole, packet);
        let first_l4 = out[0].get(l4_at..).unwrap();
        assert_eq!(udp::Packet::new_unchecked(first_l4).src_port(), 1024);
        if family == Family::Ipv4 {
            for frag in &out {
                let view = ipv4::Packet::new_checked(&frag[..]).unwrap();
                assert!(view.verify_checksum());
                assert_eq!(view.src_addr(), Ipv4Addr::new(192, 168, 0, 10));
            }
        }
    }
}

#[test]
fn refragmenting_a_datagram_of_another_length_is_an_error() {
    let ipf = Ipf::new();
    let (_, frags) = fragmented(Family::Ipv4, 2000, &[1480]);
    let (packet, fragments) =
        feed(&ipf, Family::Ipv4, &frags.iter().collect::<Vec<_>>(), 0).unwrap();
    let shorter = compose::udp_packet(ip(A4), ip(B4), 1, 2, 10).unwrap();
    assert_eq!(
        fragments.clone().refragment(&shorter),
        Err(RefragError::Length)
    );
    assert_eq!(
        fragments.refragment(&packet[..10]),
        Err(RefragError::Family)
    );
}

mod random {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn random_fragment_sequences_never_panic_and_keep_count(
            frags in proptest::collection::vec(
                (any::<bool>(), 0u16..4, 0usize..400, 0usize..1600, any::<bool>(), any::<u64>(), 0usize..64),
                1..40,
            ),
            min in 400u32..1300,
        ) {
            let ipf = Ipf::new();
            ipf.set_min_frag(Family::Ipv4, min).unwrap();
            ipf.set_min_frag(Family::Ipv6, min).unwrap();
            let mut now = 0u64;
            for (v6, ident, offset8, len, more, noise, cut) in frags {
                let offset = offset8 * 8;
                let data = vec![0x5a; len];
                let mut packet = if v6 {
                    v6_fragment(u32::from(ident), offset, more, &data)
                } else {
                    v4_fragment(ident, offset, more, &data)
                };
                // Now and then, a damaged byte or a cut-short packet.
                if noise % 5 == 0 {
                    let at = (noise >> 8) as usize % packet.len();
                    packet[at] ^= (noise >> 32) as u8 | 1;
                }
                if noise % 7 == 0 {
                    packet.truncate(packet.len().saturating_sub(cut));
                }
                let family = if v6 { Family::Ipv6 } else { Family::Ipv4 };
                if let Outcome::Reassembled { packet: whole, fragments } = ipf.process(&packet, family, 0, 0, now) {
                    prop_assert!(!fragments.is_empty());
                    let out = fragments.refragment(&whole).unwrap();
                    let sizes: Vec<usize> = fragments.into_packets().iter().map(Vec::len).collect();
                    prop_assert_eq!(out.iter().map(Vec::len).collect::<Vec<_>>(), sizes);
                }
                now += noise % 4_000;
                ipf.expire(now);
                let status = ipf.status();
                let listed: usize = status.lists.iter().map(|l| l.num_fragments).sum();
                prop_assert_eq!(status.num_frags, listed);
            }
        }
    }
}
