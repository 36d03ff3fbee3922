//! Actions and instructions against what ovs-ofctl 3.1.0 sends and prints
//! (the cases in `ovs_cases.rs`), plus round-trip properties.

use bytes::BytesMut;
use nxm_fields::Match;
use proptest::prelude::*;

use super::ovs_cases::{BAD, GOOD};
use super::*;
use crate::instruction::{decode_instructions, encode_instructions, format_instructions};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A match from simple `key[=value],...` text, and the flow's table.
fn flow_match(text: &str) -> (Match, Option<u8>) {
    let mut m = Match::catch_all();
    let mut table = None;
    for kv in text.split(',').filter(|s| !s.is_empty()) {
        let (k, v) = match kv.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (kv, None),
        };
        if k == "table" {
            table = v.and_then(|v| v.parse().ok());
        } else {
            m.apply_text(k, v).unwrap();
        }
    }
    (m, table)
}

fn parse_and_check(m: &str, actions: &str) -> Result<Vec<Instruction>, ParseError> {
    let (m, table) = flow_match(m);
    let mut insts = parse_actions_text(actions, None)?;
    resolve_against_match(&mut insts, &m, table)?;
    Ok(insts)
}

#[test]
fn text_encodes_to_the_bytes_ovs_ofctl_sends() {
    for (m, actions, _, expect) in GOOD {
        let insts =
            parse_and_check(m, actions).unwrap_or_else(|e| panic!("{m},actions={actions}: {e}"));
        let mut out = BytesMut::new();
        encode_instructions(&insts, &mut out);
        assert_eq!(hex(&out), *expect, "{m},actions={actions}");
    }
}

#[test]
fn bytes_print_as_ovs_ofctl_prints_them() {
    for (m, actions, printed, bytes) in GOOD {
        let insts = decode_instructions(&unhex(bytes))
            .unwrap_or_else(|e| panic!("{m},actions={actions}: {e}"));
        assert_eq!(
            format_instructions(&insts),
            *printed,
            "{m},actions={actions}"
        );
        // And what we print reads back to the same text.
        let again = parse_and_check(m, printed).unwrap();
        let mut out = BytesMut::new();
        encode_instructions(&again, &mut out);
        let reprinted = format_instructions(&decode_instructions(&out).unwrap());
        assert_eq!(reprinted, *printed, "{m},actions={printed}");
    }
}

#[test]
fn bad_actions_are_rejected_with_ovs_ofctl_messages() {
    for (m, actions, message) in BAD {
        match parse_and_check(m, actions) {
            Ok(insts) => panic!("{m},actions={actions} accepted as {insts:?}"),
            Err(e) => assert_eq!(e.to_string(), *message, "{m},actions={actions}"),
        }
    }
}

#[test]
fn nat_before_exec_prints_outside_it_and_after_it_inside() {
    // ovs-ofctl 3.1: the first nested action is printed outside exec() only
    // when it is a NAT.
    let text = |a: &str| {
        let insts = parse_and_check("ip", a).unwrap();
        let mut out = BytesMut::new();
        encode_instructions(&insts, &mut out);
        format_instructions(&decode_instructions(&out).unwrap())
    };
    assert_eq!(
        text("ct(commit,exec(set_field:1->ct_mark),nat(src=10.0.0.1:80))"),
        "ct(commit,exec(set_field:0x1->ct_mark,nat(src=10.0.0.1:80)))"
    );
    assert_eq!(
        text("ct(commit,nat(src=10.0.0.1:80),exec(set_field:1->ct_mark))"),
        "ct(commit,nat(src=10.0.0.1:80),exec(set_field:0x1->ct_mark))"
    );
}

#[test]
fn decode_faults_map_to_ovs_errors() {
    use crate::error::{BadActionCode as B, BadInstructionCode as I, OfpError as E};
    let cases: &[(&str, E)] = &[
        // OFPAT_COPY_TTL_OUT: OVS 3.1 does not implement it.
        ("000b000800000000", E::BadAction(B::BadType)),
        ("ffff001000002320 0026000000000000", E::BadAction(B::BadLen)),
        (
            "ffff001000001234 0001000000000000",
            E::BadAction(B::BadVendor),
        ),
        (
            "ffff001000002320 00fe000000000000",
            E::BadAction(B::BadVendorType),
        ),
        ("0000000c00000001", E::BadAction(B::BadLen)),
        ("0000000000000001", E::BadAction(B::BadLen)),
        // ct(force) without commit.
        (
            "ffff001800002320 0023000200000000 0000ff0000000000",
            E::BadAction(B::BadArgument),
        ),
        // ct(zone=NXM_NX_REG0[0..7]).
        (
            "ffff001800002320 0023000000010004 0007ff0000000000",
            E::BadAction(B::BadSetLen),
        ),
        // set_field of ct_mark outside ct.
        (
            "0019001000 01d604 0000000100000000",
            E::BadAction(B::BadSetArgument),
        ),
        ("00110008 08000000", E::BadAction(B::BadArgument)),
        // ovs-ofctl 3.1: check_pkt_larger(1500)->ip_proto[0] parses but
        // does not decode (the destination must be writable).
        (
            "ffff001800002320 003105dc00000000 0c01000000000000",
            E::BadAction(B::BadSetArgument),
        ),
        // ovs-ofctl 3.1: bundle_load(...,reg0[0..3],...) likewise (fewer
        // than 16 destination bits).
        (
            "ffff002800002320 000d000100000000 0000000200010003 0001000400000000 0001000000000000",
            E::BadAction(B::BadArgument),
        ),
    ];
    for (h, err) in cases {
        assert_eq!(decode_actions(&unhex(h)), Err(*err), "{h}");
    }
    assert_eq!(
        decode_instructions(&unhex("0001000801000000 0001000802000000")),
        Err(E::BadInstruction(I::DupInst))
    );
    assert_eq!(
        decode_instructions(&unhex("0009000800000000")),
        Err(E::BadInstruction(I::UnknownInst))
    );
    assert_eq!(
        decode_instructions(&unhex("0001001001000000 0000000000000000")),
        Err(E::BadInstruction(I::BadLen))
    );
}

#[test]
fn debug_actions_encode_but_never_decode() {
    // ovs-ofctl 3.1: `actions=debug_recirc,debug_slow` encodes, and then
    // its own decoder refuses the bytes.
    let insts = parse_and_check("", "debug_recirc,debug_slow").unwrap();
    let mut out = BytesMut::new();
    encode_instructions(&insts, &mut out);
    assert_eq!(
        hex(&out),
        "0004002800000000ffff00100000232000ff000000000000ffff00100000232000fe000000000000"
    );
    assert_eq!(
        decode_instructions(&out),
        Err(crate::error::OfpError::BadAction(
            crate::error::BadActionCode::BadVendorType
        ))
    );
}

#[test]
fn instructions_decode_in_openflow_order() {
    // goto_table before apply_actions on the wire.
    let insts = decode_instructions(&unhex(
        "0001000803000000 0004001800000000 0000001000000001 0000000000000000",
    ))
    .unwrap();
    assert_eq!(format_instructions(&insts), "output:1,goto_table:3");
}

#[test]
fn nesting_is_bounded() {
    // clone(clone(clone(...))) 100 deep, built by hand.
    let mut bytes = Vec::new();
    for _ in 0..100 {
        let len = u16::try_from(bytes.len() + 16).unwrap();
        let mut outer = vec![0xff, 0xff];
        outer.extend_from_slice(&len.to_be_bytes());
        outer.extend_from_slice(&[0, 0, 0x23, 0x20, 0, 42, 0, 0, 0, 0, 0, 0]);
        outer.extend_from_slice(&bytes);
        bytes = outer;
    }
    assert_eq!(
        decode_actions(&bytes),
        Err(crate::error::OfpError::BadAction(
            crate::error::BadActionCode::BadArgument
        ))
    );
}

/// Actions whose decode → encode reproduces the bytes (not the deprecated
/// OpenFlow 1.1 forms, which OVS re-sends as set-fields), and that may be
/// combined freely (so no `conjunction`, which goes only with `note`, and no
/// `nat`, which goes only in `ct`).
fn arb_action() -> impl Strategy<Value = Action> {
    let port = prop_oneof![
        0u16..0xff00,
        Just(text::port::LOCAL),
        Just(text::port::CONTROLLER)
    ];
    let leaf = prop_oneof![
        (port.clone(), any::<u16>())
            .prop_map(|(port, max_len)| output::Output { port, max_len }.into()),
        any::<u32>().prop_map(|group_id| simple::Group { group_id }.into()),
        any::<u32>().prop_map(|queue_id| simple::SetQueue { queue_id }.into()),
        Just(simple::PopQueue.into()),
        Just(simple::Exit.into()),
        Just(simple::CtClear.into()),
        prop::collection::vec(any::<u8>(), 0..20).prop_map(|mut data| {
            // Decoded notes include their padding.
            let len = (data.len() + 10).next_multiple_of(8).max(16) - 10;
            data.resize(len, 0);
            simple::Note { data }.into()
        }),
        (any::<u16>(), 0u8..=255, any::<bool>(), any::<bool>()).prop_map(
            |(in_port, table, ct, short)| {
                let short = short && !ct && table == resubmit::TABLE_NONE;
                resubmit::Resubmit {
                    in_port,
                    table,
                    ct,
                    short,
                }
                .into()
            }
        ),
        (any::<u16>(), any::<u16>()).prop_map(|(idle_timeout, hard_timeout)| simple::FinTimeout {
            idle_timeout,
            hard_timeout
        }
        .into()),
        prop::collection::vec(any::<u16>(), 1..5).prop_map(|controller_ids| ttl::DecTtl {
            controller_ids,
            cnt_ids: true
        }
        .into()),
        any::<u8>().prop_map(|ttl| ttl::SetNwTtl { ttl }.into()),
        any::<u8>().prop_map(|ttl| mpls::SetMplsTtl { ttl }.into()),
        Just(vlan::PopVlan.into()),
        Just(vlan::PushVlan { ethertype: 0x8100 }.into()),
        (0u32..16, any::<u32>()).prop_map(|(i, v)| set_field::RegLoad {
            dst: nxm_fields::Subfield::whole(reg(i)),
            value: u64::from(v)
        }
        .into()),
        any::<u32>().prop_map(|v| set_field::SetField {
            field: nxm_fields::FieldId::Reg1,
            value: v.into()
        }
        .into()),
    ];
    leaf.prop_recursive(2, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner, 0..4).prop_map(|actions| clone::Clone { actions }.into()),
        ]
    })
}

fn arb_nat() -> impl Strategy<Value = nat::Nat> {
    (1u32.., any::<u16>(), any::<bool>()).prop_map(|(min, port, random)| nat::Nat {
        flags: nat::flags::SRC | if random { nat::flags::PROTO_RANDOM } else { 0 },
        addrs: Some(nat::NatAddrs::V4 {
            min: std::net::Ipv4Addr::from(min),
            max: std::net::Ipv4Addr::UNSPECIFIED,
        }),
        proto_min: port,
        proto_max: 0,
    })
}

fn reg(i: u32) -> nxm_fields::FieldId {
    nxm_fields::Subfield::parse(&format!("reg{i}"))
        .unwrap()
        .field
}

proptest! {
    #[test]
    fn encode_then_decode_is_identity(actions in prop::collection::vec(arb_action(), 0..6)) {
        let mut out = BytesMut::new();
        encode_actions(&actions, &mut out);
        prop_assert_eq!(decode_actions(&out), Ok(actions));
    }

    #[test]
    fn format_then_parse_then_format_is_stable(actions in prop::collection::vec(arb_action(), 1..6)) {
        let text = format_actions(&actions);
        let parsed = parse_actions_text(&text, None);
        prop_assert!(parsed.is_ok(), "{}: {:?}", text, parsed);
        let parsed = parsed.unwrap_or_default();
        let mut out = BytesMut::new();
        encode_instructions(&parsed, &mut out);
        let reprinted = format_instructions(&decode_instructions(&out).unwrap_or_default());
        prop_assert_eq!(reprinted, text);
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = decode_actions(&bytes);
        let _ = decode_instructions(&bytes);
    }

    #[test]
    fn nat_inside_ct_round_trips(n in arb_nat()) {
        let ct: Action = ct::Ct { flags: ct::flags::COMMIT, actions: vec![n.into()], ..ct::Ct::default() }.into();
        let mut out = BytesMut::new();
        encode_actions(std::slice::from_ref(&ct), &mut out);
        prop_assert_eq!(decode_actions(&out), Ok(vec![ct.clone()]));
        let text = format_actions(std::slice::from_ref(&ct));
        let parsed = parse_actions_text(&text, None).unwrap();
        prop_assert_eq!(crate::instruction::format_instructions(&parsed), text);
    }
}

#[test]
fn actions_ovs_refuses_in_an_action_set_are_refused() {
    // OVS 3.1's switch answers OFPBAC_BAD_TYPE ("disallowed action in
    // action set") to these in write_actions, and takes the others.
    for (action, allowed) in [
        ("multipath(eth_src,0,modulo_n,2,0,reg0[0..1])", false),
        ("bundle(eth_src,0,hrw,ofport,members:2)", false),
        (
            "bundle_load(eth_src,0,hrw,ofport,reg0[0..15],members:2)",
            false,
        ),
        ("learn(table=1)", false),
        ("check_pkt_larger(100)->reg0[0]", false),
        ("debug_slow", false),
        ("debug_recirc", false),
        ("push:reg0[]", false),
        ("pop:reg1[0..15]", false),
        ("controller(userdata=01.02)", false),
        ("output:reg0[0..15]", false),
        ("note:01", false),
        ("controller", true),
        ("set_queue:3", true),
        ("ct_clear", true),
        ("move:reg0[]->reg1[]", true),
        ("resubmit(,1)", true),
        ("output:2", true),
    ] {
        let list = parse_action_list_text(action).unwrap();
        assert!(
            list.iter().all(Action::allowed_in_action_set) == allowed,
            "{action}"
        );
    }
}
