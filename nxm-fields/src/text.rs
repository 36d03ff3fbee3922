//! The `key[=value]` match syntax of ovs-ofctl flows: protocol shorthands
//! (`ip`, `tcp6`, `arp`…) and `field=value[/mask]` for every field in the
//! registry. Flow-level keys (`table`, `priority`, `actions`…) belong to the
//! flow parser in openflow-codec, which hands the rest to this module.

use crate::error::FieldError;
use crate::flow::ones;
use crate::format::parse_uint;
use crate::layout as l;
use crate::prereq::*;
use crate::registry::{field_by_name, FieldId};
use crate::Match;
use crate::{Prereq, Subfield};

/// Protocol shorthands: name, ethertype, IP protocol.
pub const SHORTHANDS: &[(&str, u16, Option<u8>)] = &[
    ("ip", ETH_TYPE_IP, None),
    ("ipv4", ETH_TYPE_IP, None),
    ("ip4", ETH_TYPE_IP, None),
    ("icmp", ETH_TYPE_IP, Some(IPPROTO_ICMP)),
    ("tcp", ETH_TYPE_IP, Some(IPPROTO_TCP)),
    ("udp", ETH_TYPE_IP, Some(IPPROTO_UDP)),
    ("sctp", ETH_TYPE_IP, Some(IPPROTO_SCTP)),
    ("ipv6", ETH_TYPE_IPV6, None),
    ("ip6", ETH_TYPE_IPV6, None),
    ("icmp6", ETH_TYPE_IPV6, Some(IPPROTO_ICMPV6)),
    ("tcp6", ETH_TYPE_IPV6, Some(IPPROTO_TCP)),
    ("udp6", ETH_TYPE_IPV6, Some(IPPROTO_UDP)),
    ("sctp6", ETH_TYPE_IPV6, Some(IPPROTO_SCTP)),
    ("arp", ETH_TYPE_ARP, None),
    ("rarp", ETH_TYPE_RARP, None),
    ("mpls", ETH_TYPE_MPLS, None),
    ("mplsm", ETH_TYPE_MPLS_MCAST, None),
];

/// What [`Match::apply_text`] made of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The key was a shorthand or a field and is now in the match.
    Yes,
    /// The key is not a match key; the caller decides what it is.
    NotAMatchKey,
}

impl Match {
    /// Applies one `key` or `key=value` of a flow string to the match.
    ///
    /// A key with a subfield (`reg0[0..3]=5`) writes those bits only.
    pub fn apply_text(&mut self, key: &str, value: Option<&str>) -> Result<Applied, FieldError> {
        // Like ovs-ofctl, a shorthand ignores any value given to it.
        if key == "eth" {
            self.set_default_packet_type();
            return Ok(Applied::Yes);
        }
        if let Some(&(_, dl_type, proto)) = SHORTHANDS.iter().find(|(n, _, _)| *n == key) {
            self.set_slot(l::ETH_TYPE, u128::from(dl_type));
            if let Some(p) = proto {
                self.set_slot(l::NW_PROTO, u128::from(p));
            }
            // A packet type given before stays (ovs-ofctl 3.1).
            if self.slot(l::PACKET_TYPE).1 == 0 {
                self.set_default_packet_type();
            }
            return Ok(Applied::Yes);
        }
        if let Some(index) = crate::tun_metadata::index_of_name(key) {
            self.apply_tun_metadata(index, value.filter(|v| !v.is_empty()).unwrap_or("0/0"))?;
            return Ok(Applied::Yes);
        }
        let Some(def) = field_by_name(key) else {
            if key.contains('[') {
                self.apply_subfield(key, value.unwrap_or(""))?;
                return Ok(Applied::Yes);
            }
            return Ok(Applied::NotAMatchKey);
        };
        if def.prereq != Prereq::None && self.slot(l::PACKET_TYPE).1 == 0 {
            // A field above L1 says the packet is Ethernet, even when the
            // field itself is later dropped for a missing prerequisite,
            // unless the flow already named its packet type (NSH).
            self.set_default_packet_type();
        }
        // A field with no value matches "anything", as ovs-ofctl reads it.
        let text = value.filter(|v| !v.is_empty()).unwrap_or("0/0");
        let (v, m) = def.parse_value(text)?;
        if def.id == FieldId::DlVlan && v == 0xffff && m == def.exact_mask() {
            // OpenFlow 1.0's "no VLAN header", however the number is written.
            self.set_slot_bits(l::VLAN_TCI, 0x1fff, 0, 0x1fff);
            return Ok(Applied::Yes);
        }
        self.set_field(def, v, m);
        Ok(Applied::Yes)
    }
}

impl Match {
    /// `reg0[0..3]=5`: an integer written into some bits of a field.
    fn apply_subfield(&mut self, key: &str, text: &str) -> Result<(), FieldError> {
        let sf = Subfield::parse(key)?;
        let def = sf.def();
        let value = parse_uint(text)
            .ok()
            .filter(|v| *v <= def.exact_mask())
            .ok_or_else(|| {
                FieldError::text(format!("{key}: cannot parse integer value: {text}"))
            })?;
        if value > ones(sf.n_bits as usize) {
            return Err(FieldError::text(format!(
                "{key}: value {} does not fit into {} bits",
                def.format_value(value, None),
                sf.n_bits
            )));
        }
        self.set_subfield(&sf, value);
        if def.prereq != Prereq::None && self.slot(l::PACKET_TYPE).1 == 0 {
            self.set_default_packet_type();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(items: &[(&str, Option<&str>)]) -> Result<String, String> {
        let mut m = Match::catch_all();
        for (k, v) in items {
            match m.apply_text(k, *v).map_err(|e| e.to_string())? {
                Applied::Yes => {}
                Applied::NotAMatchKey => return Err(format!("unknown keyword {k}")),
            }
        }
        Ok(m.to_string())
    }

    #[test]
    fn shorthand_and_fields_print_as_ovs_does() {
        assert_eq!(
            parse(&[
                ("tcp", None),
                ("tp_dst", Some("80")),
                ("ct_state", Some("+trk"))
            ]),
            Ok("ct_state=+trk,tcp,tp_dst=80".into())
        );
        assert_eq!(
            parse(&[("ip", None), ("nw_src", Some("1.2.3.4/8"))]),
            Ok("ip,nw_src=1.0.0.0/8".into())
        );
        assert_eq!(
            parse(&[("ct_state", Some("0x21/0x3f"))]),
            Ok("ct_state=+new-est-rel-rpl-inv+trk".into())
        );
        assert_eq!(
            parse(&[("tcp", None), ("dl_type", Some("0x86dd"))]),
            Ok("tcp6".into())
        );
    }

    #[test]
    fn vlan_forms_normalise_as_ovs_does() {
        assert_eq!(
            parse(&[("vlan_tci", Some("0x1005"))]),
            Ok("dl_vlan=5,dl_vlan_pcp=0".into())
        );
        assert_eq!(
            parse(&[("vlan_vid", Some("5"))]),
            Ok("vlan_tci=0x0005/0x1fff".into())
        );
        assert_eq!(
            parse(&[("dl_vlan", Some("0xffff"))]),
            Ok("vlan_tci=0x0000/0x1fff".into())
        );
        assert_eq!(
            parse(&[("vlan_pcp", Some("3"))]),
            Ok("dl_vlan_pcp=3".into())
        );
    }

    #[test]
    fn registers_and_ports_print_in_ovs_form() {
        assert_eq!(
            parse(&[("xreg0", Some("5/0xff"))]),
            Ok("reg1=0x5/0xff".into())
        );
        assert_eq!(
            parse(&[("in_port", Some("65534"))]),
            Ok("in_port=LOCAL".into())
        );
        assert_eq!(
            parse(&[("ct_label", Some("0x1/0xff"))]),
            Ok("ct_label=0x1/0xff".into())
        );
    }

    #[test]
    fn subfield_keys_set_some_bits() {
        assert_eq!(
            parse(&[("reg0[0..3]", Some("5")), ("reg0[8..11]", Some("0xf"))]),
            Ok("reg0=0xf05/0xf0f".into())
        );
        assert_eq!(
            parse(&[("reg0[0..3]", Some("17"))]),
            Err("reg0[0..3]: value 0x11 does not fit into 4 bits".into())
        );
        assert_eq!(
            parse(&[("reg0[0..3]", Some("x"))]),
            Err("reg0[0..3]: cannot parse integer value: x".into())
        );
    }

    #[test]
    fn unknown_keys_are_left_to_the_caller() {
        assert_eq!(
            parse(&[("foo", Some("1"))]),
            Err("unknown keyword foo".into())
        );
    }
}
