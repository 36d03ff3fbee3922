//! Property tests of the OXM codec and the text forms: decoding never
//! panics, encoding is canonical, and a printed match parses back to the
//! same bytes.

use bytes::BytesMut;
use nxm_fields::{Match, FIELDS};
use proptest::prelude::*;

fn encode(m: &Match) -> Vec<u8> {
    let mut out = BytesMut::new();
    m.encode_ofp_match(&mut out);
    out.to_vec()
}

/// A match built from a few random fields with random values and masks,
/// written through the same path as text input.
fn arb_match() -> impl Strategy<Value = Match> {
    let field = (0..FIELDS.len(), any::<u128>(), any::<u128>(), any::<bool>());
    prop::collection::vec(field, 0..6).prop_map(|items| {
        let mut m = Match::catch_all();
        for (i, value, mask, exact) in items {
            let def = &FIELDS[i];
            let width = def.exact_mask();
            let mask = if exact || !def.maskable {
                width
            } else {
                mask & width
            };
            let text = format!("{:#x}/{:#x}", value & width, mask);
            // Not every random value is valid text for every format; those
            // that are not are simply skipped.
            if let Ok((v, mk)) = def.parse_value(&text) {
                m.set_field(def, v, mk);
            }
        }
        m
    })
}

/// Fields whose masked forms OVS prints without the mask (or only under
/// conditions), so their printed text does not say everything the match
/// does; `ovs-ofctl` 3.1 prints them the same way.
const PRINTED_LOSSILY: &[&str] = &[
    "tun_gbp_flags",
    "tun_erspan_ver",
    "tun_erspan_idx",
    "tun_erspan_dir",
    "tun_erspan_hwid",
    "tun_gtpu_flags",
    "tun_gtpu_msgtype",
];

/// Like [`arb_match`], without the fields printed lossily.
fn arb_printable_match() -> impl Strategy<Value = Match> {
    arb_match().prop_filter("prints lossily", |m| {
        FIELDS
            .iter()
            .filter(|f| PRINTED_LOSSILY.contains(&f.name))
            .all(|f| !m.is_field_set(f))
    })
}

/// A match's printed form, fed back through the text parser.
fn reparse(text: &str) -> Result<Match, String> {
    let mut m = Match::catch_all();
    for item in text.split(',').filter(|s| !s.is_empty()) {
        let (key, value) = match item.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (item, None),
        };
        m.apply_text(key, value)
            .map_err(|e| format!("{text}: {item}: {e}"))?;
    }
    Ok(m)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..96)) {
        let _ = Match::decode_ofp_match(&bytes);
    }

    #[test]
    fn decoding_mutated_matches_never_panics(m in arb_match(), at in any::<usize>(), byte in any::<u8>()) {
        let mut bytes = encode(&m);
        let i = at % bytes.len();
        bytes[i] = byte;
        let _ = Match::decode_ofp_match(&bytes);
    }

    #[test]
    fn encoding_a_decoded_match_gives_the_same_bytes(m in arb_match()) {
        // Decoding a field whose value becomes its mask (as OVS 3.1 sets
        // them) keeps only the bits both carried, as OVS's decoder does.
        prop_assume!(FIELDS.iter().all(|f| !f.mask_is_value || !m.is_field_set(f)));
        let bytes = encode(&m);
        if let Ok((decoded, used)) = Match::decode_ofp_match(&bytes) {
            prop_assert_eq!(used, bytes.len());
            prop_assert_eq!(encode(&decoded), bytes);
        }
    }

    #[test]
    fn the_encoded_form_loses_nothing_the_wire_carries(m in arb_match()) {
        let kept = m.as_encoded();
        prop_assert_eq!(encode(&kept), encode(&m));
        prop_assert_eq!(kept.as_encoded(), kept);
    }

    #[test]
    fn a_printed_match_parses_back_to_the_same_bytes(m in arb_printable_match()) {
        let bytes = encode(&m);
        if let Ok((decoded, _)) = Match::decode_ofp_match(&bytes) {
            let text = decoded.to_string();
            let back = reparse(&text);
            prop_assert!(back.is_ok(), "{:?}", back);
            if let Ok(back) = back {
                prop_assert_eq!(encode(&back), bytes, "printed as {}", text);
            }
        }
    }
}
