//! Printing a [`Match`] as ovs-ofctl prints it (`match_format` order):
//! hidden metadata, ct fields, the protocol shorthand (`tcp`, `udp6`, …),
//! registers, tunnel, metadata, in_port, VLAN, Ethernet, L3, MPLS,
//! fragments, L4, TCP flags.

use std::fmt::{self, Write as _};

use crate::flow::{ones, Value};
use crate::format::*;
use crate::layout::{self as l, Slot};
use crate::port::format_port;
use crate::prereq::*;
use crate::Match;

impl fmt::Display for Match {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut p = Printer {
            m: self,
            out: String::new(),
        };
        p.all();
        let s = p.out.strip_suffix(',').unwrap_or(&p.out);
        f.write_str(s)
    }
}

struct Printer<'a> {
    m: &'a Match,
    out: String,
}

impl Printer<'_> {
    fn get(&self, slot: Slot) -> (Value, Value) {
        self.m.slot(slot)
    }

    fn kv(&mut self, name: &str, value: impl fmt::Display) {
        let _ = write!(self.out, "{name}={value},");
    }

    /// `name=N` when exact (decimal), `name=0xV/0xM` otherwise.
    fn uint_masked(&mut self, name: &str, slot: Slot, width_bits: usize, pad_hex: bool) {
        let (v, m) = self.get(slot);
        if m == 0 {
            return;
        }
        if m == ones(width_bits) {
            self.kv(name, v);
        } else if pad_hex {
            let digits = width_bits / 4;
            self.kv(name, format_args!("0x{v:0digits$x}/0x{m:0digits$x}"));
        } else {
            self.kv(name, format_args!("0x{v:x}/0x{m:x}"));
        }
    }

    /// `name=0xV[/0xM]` (OVS's `format_uint32_masked`/`format_be64_masked`).
    fn hex_masked(&mut self, name: &str, slot: Slot) {
        let (v, m) = self.get(slot);
        if m == 0 {
            return;
        }
        if m == ones(slot.len * 8) {
            self.kv(name, format_args!("{}", CHex(v)));
        } else {
            self.kv(name, format_args!("{}/{}", CHex(v), CHex(m)));
        }
    }

    fn ipv4(&mut self, name: &str, slot: Slot) {
        let (v, m) = self.get(slot);
        if m != 0 {
            self.kv(name, format_ipv4_masked(v, m));
        }
    }

    fn ipv6(&mut self, name: &str, slot: Slot) {
        let (v, m) = self.get(slot);
        if m != 0 {
            self.kv(name, format_ipv6_masked(v, m));
        }
    }

    fn eth(&mut self, name: &str, slot: Slot) {
        let (v, m) = self.get(slot);
        if m == 0 {
            return;
        }
        if m == ones(48) {
            self.kv(name, format_ethernet(v));
        } else {
            self.kv(
                name,
                format_args!("{}/{}", format_ethernet(v), format_ethernet(m)),
            );
        }
    }

    fn all(&mut self) {
        self.hex_masked("pkt_mark", l::PKT_MARK);
        self.hex_masked("recirc_id", l::RECIRC_ID);
        self.hex_masked("dp_hash", l::DP_HASH);
        let (conj, conj_mask) = self.get(l::CONJ_ID);
        if conj_mask != 0 {
            self.kv("conj_id", conj);
        }
        let (prio, prio_mask) = self.get(l::SKB_PRIORITY);
        if prio_mask != 0 {
            self.kv("skb_priority", format_args!("{}", CHex(prio)));
        }
        let (actset, actset_mask) = self.get(l::ACTSET_OUTPUT);
        if actset_mask != 0 {
            self.kv("actset_output", format_port(actset as u32));
        }
        self.ct();
        let (dl_type, skip_type, skip_proto) = self.shorthand();
        for i in 0..16 {
            self.hex_masked(&format!("reg{i}"), l::reg(i));
        }
        self.tunnel();
        self.hex_masked("metadata", l::METADATA);
        let (in_port, in_port_mask) = self.get(l::IN_PORT);
        if in_port_mask != 0 {
            self.kv("in_port", format_port(in_port as u32));
        }
        self.vlan();
        self.eth("dl_src", l::ETH_SRC);
        self.eth("dl_dst", l::ETH_DST);
        let (_, type_mask) = self.get(l::ETH_TYPE);
        if !skip_type && type_mask != 0 {
            self.kv("dl_type", format_args!("0x{dl_type:04x}"));
        }
        self.l3(dl_type, skip_proto);
        self.l4(dl_type);
    }

    fn ct(&mut self) {
        let (state, mask) = self.get(l::CT_STATE);
        if mask != 0 {
            if mask == 0xff {
                self.kv("ct_state", format_flags(CT_STATE_FLAGS, state));
            } else {
                self.kv(
                    "ct_state",
                    format_flags_masked(CT_STATE_FLAGS, state, mask, 0xff),
                );
            }
        }
        self.uint_masked("ct_zone", l::CT_ZONE, 16, false);
        self.hex_masked("ct_mark", l::CT_MARK);
        let (label, label_mask) = self.get(l::CT_LABEL);
        if label_mask != 0 {
            if label_mask == Value::MAX {
                self.kv("ct_label", format_hex(label));
            } else {
                self.kv(
                    "ct_label",
                    format_args!("{}/{}", format_hex(label), format_hex(label_mask)),
                );
            }
        }
        self.ipv4("ct_nw_src", l::CT_NW_SRC);
        self.ipv6("ct_ipv6_src", l::CT_IPV6_SRC);
        self.ipv4("ct_nw_dst", l::CT_NW_DST);
        self.ipv6("ct_ipv6_dst", l::CT_IPV6_DST);
        let (proto, proto_mask) = self.get(l::CT_NW_PROTO);
        if proto_mask != 0 {
            self.kv("ct_nw_proto", proto);
            self.uint_masked("ct_tp_src", l::CT_TP_SRC, 16, false);
            self.uint_masked("ct_tp_dst", l::CT_TP_DST, 16, false);
        }
    }

    /// Prints `ip`, `tcp6`, `arp`… Returns the ethertype and whether
    /// `dl_type` and `nw_proto` were covered by the shorthand.
    fn shorthand(&mut self) -> (u16, bool, bool) {
        let (pt, pt_mask) = self.get(l::PACKET_TYPE);
        let mut dl_type = self.get(l::ETH_TYPE).0 as u16;
        // The default "Ethernet" type shows only in datapath (recirculated)
        // matches, as OVS prints it.
        let is_megaflow = self.get(l::RECIRC_ID).1 != 0;
        if pt_mask != 0 && (!self.m.has_default_packet_type() || is_megaflow) {
            let (ns, ty) = (pt >> 16, pt & 0xffff);
            if self.m.has_default_packet_type() {
                self.out.push_str("eth,");
            } else {
                self.kv("packet_type", format_args!("({ns},{})", CHex(ty)));
            }
            if ns == 1 {
                dl_type = ty as u16;
            }
        }
        let (_, type_mask) = self.get(l::ETH_TYPE);
        if type_mask == 0 {
            return (dl_type, false, false);
        }
        let (proto, proto_mask) = self.get(l::NW_PROTO);
        let proto = (proto_mask != 0).then_some(proto as u8);
        let name = match (dl_type, proto) {
            (ETH_TYPE_IP, Some(IPPROTO_ICMP)) => ("icmp", true),
            (ETH_TYPE_IP, Some(IPPROTO_TCP)) => ("tcp", true),
            (ETH_TYPE_IP, Some(IPPROTO_UDP)) => ("udp", true),
            (ETH_TYPE_IP, Some(IPPROTO_SCTP)) => ("sctp", true),
            (ETH_TYPE_IP, _) => ("ip", false),
            (ETH_TYPE_IPV6, Some(IPPROTO_ICMPV6)) => ("icmp6", true),
            (ETH_TYPE_IPV6, Some(IPPROTO_TCP)) => ("tcp6", true),
            (ETH_TYPE_IPV6, Some(IPPROTO_UDP)) => ("udp6", true),
            (ETH_TYPE_IPV6, Some(IPPROTO_SCTP)) => ("sctp6", true),
            (ETH_TYPE_IPV6, _) => ("ipv6", false),
            (ETH_TYPE_ARP, _) => ("arp", false),
            (ETH_TYPE_RARP, _) => ("rarp", false),
            (ETH_TYPE_MPLS, _) => ("mpls", false),
            (ETH_TYPE_MPLS_MCAST, _) => ("mplsm", false),
            _ => return (dl_type, false, false),
        };
        let _ = write!(self.out, "{},", name.0);
        (dl_type, true, name.1)
    }

    fn tunnel(&mut self) {
        self.hex_masked("tun_id", l::TUN_ID);
        self.ipv4("tun_src", l::TUN_SRC);
        self.ipv4("tun_dst", l::TUN_DST);
        self.ipv6("tun_ipv6_src", l::TUN_IPV6_SRC);
        self.ipv6("tun_ipv6_dst", l::TUN_IPV6_DST);
        self.uint_masked("tun_gbp_id", l::TUN_GBP_ID, 16, false);
        let (flags, flags_mask) = self.get(l::TUN_GBP_FLAGS);
        if flags_mask != 0 {
            self.kv("tun_gbp_flags", format_args!("{}", CHex(flags)));
        }
        let (ver, ver_mask) = self.get(l::TUN_ERSPAN_VER);
        if ver_mask != 0 {
            self.kv("tun_erspan_ver", ver);
        }
        let (idx, idx_mask) = self.get(l::TUN_ERSPAN_IDX);
        if idx_mask != 0 && ver == 1 {
            self.kv("tun_erspan_idx", format_args!("{}", CHex(idx)));
        }
        let (dir, dir_mask) = self.get(l::TUN_ERSPAN_DIR);
        if dir_mask != 0 && ver == 2 {
            self.kv("tun_erspan_dir", dir);
        }
        let (hwid, hwid_mask) = self.get(l::TUN_ERSPAN_HWID);
        if hwid_mask != 0 && ver == 2 {
            self.kv("tun_erspan_hwid", format_args!("{}", CHex(hwid)));
        }
        // OVS prints the GTP-U fields without their `tun_` prefix, and
        // only their value (see `FieldDef::mask_is_value`).
        let (gtpu_flags, gtpu_flags_mask) = self.get(l::TUN_GTPU_FLAGS);
        if gtpu_flags_mask != 0 {
            self.kv("gtpu_flags", format_args!("{}", CHex(gtpu_flags)));
        }
        let (msgtype, msgtype_mask) = self.get(l::TUN_GTPU_MSGTYPE);
        if msgtype_mask != 0 {
            self.kv("gtpu_msgtype", msgtype);
        }
        let (tf, tf_mask) = self.get(l::TUN_FLAGS);
        if tf_mask & 1 != 0 {
            // OVS compares with its wider private flag mask, so the one
            // public bit always prints in the signed form.
            const PRIVATE_FLAGS: Value = 0xf;
            self.kv(
                "tun_flags",
                format_flags_masked(TUN_FLAGS, tf & 1, tf_mask & 1, PRIVATE_FLAGS),
            );
        }
        self.m.tun_metadata().format(&mut self.out);
    }

    fn vlan(&mut self) {
        for (slot, suffix) in [(l::VLAN_TCI, ""), (l::VLAN_TCI1, "1")] {
            let (tci, mask) = self.get(slot);
            if mask == 0 {
                break;
            }
            let vid_mask = mask & 0x0fff;
            let pcp_mask = mask & 0xe000;
            let cfi = mask & 0x1000;
            if cfi != 0
                && tci & 0x1000 != 0
                && (vid_mask == 0 || vid_mask == 0x0fff)
                && (pcp_mask == 0 || pcp_mask == 0xe000)
                && (vid_mask != 0 || pcp_mask != 0)
            {
                if vid_mask != 0 {
                    self.kv(&format!("dl_vlan{suffix}"), tci & 0x0fff);
                }
                if pcp_mask != 0 {
                    self.kv(&format!("dl_vlan_pcp{suffix}"), tci >> 13);
                }
            } else if mask == 0xffff {
                self.kv(&format!("vlan_tci{suffix}"), format_args!("0x{tci:04x}"));
            } else {
                self.kv(
                    &format!("vlan_tci{suffix}"),
                    format_args!("0x{tci:04x}/0x{mask:04x}"),
                );
            }
        }
    }

    fn l3(&mut self, dl_type: u16, skip_proto: bool) {
        let is_arp = dl_type == ETH_TYPE_ARP || dl_type == ETH_TYPE_RARP;
        if dl_type == ETH_TYPE_IPV6 {
            self.ipv6("ipv6_src", l::IPV6_SRC);
            self.ipv6("ipv6_dst", l::IPV6_DST);
            let (label, label_mask) = self.get(l::IPV6_LABEL);
            if label_mask == 0xffff_ffff {
                self.kv("ipv6_label", format_args!("0x{label:05x}"));
            } else if label_mask != 0 {
                self.kv(
                    "ipv6_label",
                    format_args!("0x{label:05x}/0x{label_mask:05x}"),
                );
            }
        } else if is_arp {
            self.ipv4("arp_spa", l::NW_SRC);
            self.ipv4("arp_tpa", l::NW_DST);
        } else if dl_type == ETH_TYPE_NSH {
            self.nsh();
        } else {
            self.ipv4("nw_src", l::NW_SRC);
            self.ipv4("nw_dst", l::NW_DST);
        }
        let (proto, proto_mask) = self.get(l::NW_PROTO);
        if !skip_proto && proto_mask != 0 {
            self.kv(if is_arp { "arp_op" } else { "nw_proto" }, proto);
        }
        if is_arp {
            self.eth("arp_sha", l::ARP_SHA);
            self.eth("arp_tha", l::ARP_THA);
        }
        let (tos, tos_mask) = self.get(l::NW_TOS);
        if tos_mask & 0xfc != 0 {
            self.kv("nw_tos", tos & 0xfc);
        }
        if tos_mask & 0x03 != 0 {
            self.kv("nw_ecn", tos & 0x03);
        }
        let (ttl, ttl_mask) = self.get(l::NW_TTL);
        if ttl_mask != 0 {
            self.kv("nw_ttl", ttl);
        }
        let (lse, lse_mask) = self.get(l::MPLS_LSE);
        if lse_mask & 0xffff_f000 != 0 {
            self.kv("mpls_label", lse >> 12);
        }
        if lse_mask & 0xe00 != 0 {
            self.kv("mpls_tc", (lse >> 9) & 7);
        }
        if lse_mask & 0xff != 0 {
            self.kv("mpls_ttl", lse & 0xff);
        }
        if lse_mask & 0x100 != 0 {
            self.kv("mpls_bos", (lse >> 8) & 1);
        }
        for (name, slot) in [("mpls_lse1", l::MPLS_LSE1), ("mpls_lse2", l::MPLS_LSE2)] {
            self.uint_masked(name, slot, 32, true);
        }
        let (frag, frag_mask) = self.get(l::NW_FRAG);
        let frag_text = match frag_mask & 3 {
            3 => Some(match (frag & FRAG_ANY != 0, frag & FRAG_LATER != 0) {
                (true, true) => "later",
                (true, false) => "first",
                (false, true) => "<error>",
                (false, false) => "no",
            }),
            1 => Some(if frag & FRAG_ANY != 0 { "yes" } else { "no" }),
            2 => Some(if frag & FRAG_LATER != 0 {
                "later"
            } else {
                "not_later"
            }),
            _ => None,
        };
        if let Some(t) = frag_text {
            self.kv("nw_frag", t);
        }
    }

    fn nsh(&mut self) {
        let (mdtype, mdtype_mask) = self.get(l::NSH_MDTYPE);
        for (name, slot) in [
            ("nsh_flags", l::NSH_FLAGS),
            ("nsh_ttl", l::NSH_TTL),
            ("nsh_mdtype", l::NSH_MDTYPE),
            ("nsh_np", l::NSH_NP),
        ] {
            self.uint_masked(name, slot, 8, true);
        }
        let (path, path_mask) = self.get(l::NSH_PATH_HDR);
        let spi_mask = path_mask >> 8;
        if spi_mask != 0 {
            if spi_mask == 0xff_ffff {
                // "0x%x", so zero is 0x0.
                self.kv("nsh_spi", format_args!("{:#x}", path >> 8));
            } else {
                self.kv(
                    "nsh_spi",
                    format_args!("{}/{}", CHex(path >> 8), CHex(spi_mask)),
                );
            }
        }
        let si_mask = path_mask & 0xff;
        if si_mask == 0xff {
            self.kv("nsh_si", path & 0xff);
        } else if si_mask != 0 {
            self.kv(
                "nsh_si",
                format_args!("0x{:02x}/0x{si_mask:02x}", path & 0xff),
            );
        }
        if mdtype_mask == 0xff && mdtype == 1 {
            for i in 0..4 {
                self.hex_masked(&format!("nsh_c{}", i + 1), l::nsh_c(i));
            }
        }
    }

    fn l4(&mut self, dl_type: u16) {
        let proto = self.get(l::NW_PROTO).0 as u8;
        match (dl_type, proto) {
            (ETH_TYPE_IP, IPPROTO_ICMP) => {
                self.uint_masked("icmp_type", l::TP_SRC, 16, false);
                self.uint_masked("icmp_code", l::TP_DST, 16, false);
            }
            (ETH_TYPE_IPV6, IPPROTO_ICMPV6) => {
                self.uint_masked("icmp_type", l::TP_SRC, 16, false);
                self.uint_masked("icmp_code", l::TP_DST, 16, false);
                self.ipv6("nd_target", l::ND_TARGET);
                self.eth("nd_sll", l::ARP_SHA);
                self.eth("nd_tll", l::ARP_THA);
                let (reserved, reserved_mask) = self.get(l::ND_RESERVED);
                if reserved_mask != 0 {
                    self.kv("nd_reserved", reserved);
                }
                let (opt, opt_mask) = self.get(l::ND_OPTIONS_TYPE);
                if opt_mask != 0 {
                    self.kv("nd_options_type", opt);
                }
            }
            _ => {
                self.uint_masked("tp_src", l::TP_SRC, 16, false);
                self.uint_masked("tp_dst", l::TP_DST, 16, false);
            }
        }
        let is_ip = dl_type == ETH_TYPE_IP || dl_type == ETH_TYPE_IPV6;
        let (flags, flags_mask) = self.get(l::TCP_FLAGS);
        if is_ip && proto == IPPROTO_TCP && flags_mask != 0 {
            self.kv(
                "tcp_flags",
                format_flags_masked(TCP_FLAGS, flags, flags_mask & 0x0fff, 0x0fff),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::registry::{field, FieldId};
    use crate::Match;

    #[test]
    fn nsh_spi_zero_prints_in_hex() {
        let mut m = Match::catch_all();
        m.apply_text("dl_type", Some("0x894f")).unwrap();
        m.apply_text("nsh_spi", Some("0")).unwrap();
        assert_eq!(m.to_string(), "dl_type=0x894f,nsh_spi=0x0");
    }

    #[test]
    fn gtpu_fields_print_without_tun_prefix_after_erspan() {
        let mut m = Match::catch_all();
        m.set_field(field(FieldId::TunGtpuMsgtype), 2, 0xff);
        m.set_field(field(FieldId::TunGtpuFlags), 0x35, 0x0f);
        m.set_field(field(FieldId::TunErspanVer), 1, 0xff);
        m.set_field(field(FieldId::TunFlags), 1, 1);
        assert_eq!(
            m.to_string(),
            "tun_erspan_ver=1,gtpu_flags=0x5,gtpu_msgtype=2,tun_flags=+oam"
        );
    }
}
