//! SCTP port rewrites against the bytes OVS 3.1 transmitted for the same
//! frames and actions (tests/scenarios/sctp-set-field.scn, the frames
//! its dummy port p2 wrote to its pcap).

use conntrack::Masked;

use super::set::apply;
use crate::action::{Ipv6Set, PortsSet, SetAction};

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn port(value: u16, mask: u16) -> Masked<u16> {
    Masked { value, mask }
}

const NONE: Masked<u16> = Masked { value: 0, mask: 0 };

/// `sets` applied to `before` give OVS 3.1's `after`.
fn check(before: &str, sets: &[SetAction], after: &str) {
    let mut frame = hex(before);
    for set in sets {
        assert_eq!(apply(set, &mut frame), Ok(()), "{set}");
    }
    assert_eq!(frame, hex(after));
}

fn both_ports() -> SetAction {
    SetAction::Sctp(PortsSet {
        src: port(4444, 0xffff),
        dst: port(5555, 0xffff),
    })
}

#[test]
fn ipv4_init_chunk_with_a_right_checksum() {
    check(
        "50540000000250540000000108004500003400004000408426440a0000010a00000203e80001112233447249a32701000014deadbeef0000ffff000a000a01020304",
        &[both_ports()],
        "50540000000250540000000108004500003400004000408426440a0000010a000002115c15b311223344fa77a52d01000014deadbeef0000ffff000a000a01020304",
    );
}

// The checksum was wrong by 0x00ff0001 (bytes 01 ff 00 00 on the wire):
// OVS 3.1 sends it wrong by as much, not repaired.
#[test]
fn a_wrong_checksum_stays_wrong() {
    check(
        "50540000000250540000000108004500003400004000408426440a0000010a00000203e800011122334473495c2701000014deadbeef0000ffff000a000a01020304",
        &[both_ports()],
        "50540000000250540000000108004500003400004000408426440a0000010a000002115c15b311223344fb775a2d01000014deadbeef0000ffff000a000a01020304",
    );
}

// Ten bytes of Ethernet padding follow the datagram: the checksum covers
// the datagram only.
#[test]
fn ethernet_padding_is_not_checksummed() {
    check(
        "50540000000250540000000108004500003400004000408426440a0000010a00000203e8000111223344c5348a3b000300140000000700000000000000336162636400000000000000000000",
        &[both_ports()],
        "50540000000250540000000108004500003400004000408426440a0000010a000002115c15b3112233444d0a8c31000300140000000700000000000000336162636400000000000000000000",
    );
}

// SCTP has no pseudo-header: the address rewrite leaves its checksum.
#[test]
fn ipv6_data_chunk_after_an_address_rewrite() {
    let v6 = SetAction::Ipv6(Ipv6Set {
        src: Masked {
            value: 0xfd00 << 112 | 0x99,
            mask: u128::MAX,
        },
        ..Ipv6Set::default()
    });
    let dst = SetAction::Sctp(PortsSet {
        src: NONE,
        dst: port(36412, 0xffff),
    });
    check(
        "50540000000250540000000186dd6000000000208440fd000000000000000000000000000001fd00000000000000000000000000000203e8000611223344dca851f70003001400000007000000000000003361626364",
        &[v6, dst],
        "50540000000250540000000186dd6000000000208440fd000000000000000000000000000099fd00000000000000000000000000000203e88e3c112233441dcee54e0003001400000007000000000000003361626364",
    );
}

#[test]
fn ipv6_masked_source_port_with_a_wrong_checksum() {
    let low = SetAction::Sctp(PortsSet {
        src: port(5, 0xf),
        dst: NONE,
    });
    check(
        "50540000000250540000000186dd6000000000208440fd000000000000000000000000000001fd00000000000000000000000000000203e8000711223344f9638a800003001400000007000000000000003361626364",
        &[low],
        "50540000000250540000000186dd6000000000208440fd000000000000000000000000000001fd00000000000000000000000000000203e5000711223344ca6853d40003001400000007000000000000003361626364",
    );
}

#[test]
fn under_a_vlan_tag() {
    let dst = SetAction::Sctp(PortsSet {
        src: NONE,
        dst: port(3868, 0xffff),
    });
    check(
        "5054000000025054000000018100000a08004500003400004000408426440a0000010a00000203e80009112233448d50f88001000014deadbeef0000ffff000a000a01020304",
        &[dst],
        "5054000000025054000000018100000a08004500003400004000408426440a0000010a00000203e80f1c1122334457a6d82801000014deadbeef0000ffff000a000a01020304",
    );
}

#[test]
fn not_sctp_or_too_short_changes_nothing() {
    // A UDP datagram.
    let udp =
        "50540000000250540000000108004500001c000000004011669f0a0000010a00000203e800010008c46e";
    let mut frame = hex(udp);
    assert!(apply(&both_ports(), &mut frame).is_err());
    assert_eq!(frame, hex(udp));
    // An SCTP datagram whose IP length leaves 8 bytes of common header.
    let short = "50540000000250540000000108004500001c00004000408426580a0000010a00000203e800011122334400000000";
    let mut frame = hex(short);
    assert!(apply(&both_ports(), &mut frame).is_err());
    assert_eq!(frame, hex(short));
}
