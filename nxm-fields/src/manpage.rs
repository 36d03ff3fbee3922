//! `ctswitch-fields(7)`, written from the registry: one entry per field
//! with its names, wire codes, width, maskability, prerequisites, access
//! and text format. `man/ctswitch-fields.7` is this text; a test keeps the
//! two in step.

use std::fmt::Write as _;

use crate::format::Format;
use crate::header::{OxmHeader, CLASS_EXPERIMENTER};
use crate::prereq::Prereq;
use crate::registry::{FieldDef, FIELDS};

/// The whole page, in roff.
pub fn fields_man_page() -> String {
    let mut s = String::new();
    s.push_str(".TH ctswitch-fields 7 \"\" \"ctswitch\" \"ctswitch Manual\"\n");
    s.push_str(".SH NAME\nctswitch-fields \\- the fields ctswitch matches on and writes\n");
    s.push_str(".SH DESCRIPTION\n");
    s.push_str(
        "Every field a ctswitch flow can match on, or an action can write, \
         with the names ovs-ofctl accepts for it, the NXM and OpenFlow 1.3 \
         OXM headers that carry it, its width, whether it takes a mask, \
         what the match must already say before it (its prerequisites), \
         and how its value is written.\n",
    );
    s.push_str(
        ".PP\nThis page is generated from the field registry of the nxm-fields crate, \
                the table the codec, the flow parser and printer, and the classifier read.\n",
    );
    s.push_str(".SH FIELDS\n");
    for f in FIELDS {
        entry(&mut s, f);
    }
    s.push_str(
        ".SS tun_metadata0 ... tun_metadata63
",
    );
    s.push_str(
        "Tunnel (Geneve) options, 1 to 124 bytes wide: a value's width is the \
         fewest bytes that hold it and its mask. NXM_NX_TUN_METADATA0 to 63 \
         (class 0x0001, fields 40 to 103); arbitrary bitwise masks; no \
         prerequisites; hexadecimal. No port carries tunnel options yet, so a \
         rule that asks for one matches no packet.\n",
    );
    s.push_str(".SH SEE ALSO\n.BR ctswitch (8),\n.BR ovs-fields (7)\n");
    s
}

fn entry(s: &mut String, f: &FieldDef) {
    let _ = writeln!(s, ".SS {}", f.name);
    let _ = writeln!(s, "{}", f.doc);
    let rows = [
        ("Also", f.aliases.join(", ")),
        ("NXM", f.nxm.map_or_else(String::new, |(n, h)| wire(n, h))),
        ("OXM", f.oxm.map_or_else(String::new, |(n, h)| wire(n, h))),
        ("Width", width(f)),
        (
            "Masking",
            if f.maskable {
                "arbitrary bitwise masks"
            } else {
                "not maskable"
            }
            .into(),
        ),
        ("Prerequisites", prereq(f.prereq).into()),
        (
            "Access",
            if f.writable {
                "read/write"
            } else {
                "read-only"
            }
            .into(),
        ),
        ("Format", format_name(f.format).into()),
    ];
    s.push_str(".RS\n");
    for (label, value) in rows.iter().filter(|(_, v)| !v.is_empty()) {
        let _ = writeln!(s, ".TP 16\n{label}\n{value}");
    }
    s.push_str(".RE\n");
}

fn wire(name: &str, h: OxmHeader) -> String {
    match h.experimenter {
        Some(exp) if h.class == CLASS_EXPERIMENTER => {
            format!("{name} (experimenter {exp:#010x}, field {})", h.field)
        }
        _ => format!("{name} (class {:#06x}, field {})", h.class, h.field),
    }
}

fn width(f: &FieldDef) -> String {
    let bits = f.n_bytes * 8;
    if f.n_bits as usize == bits {
        format!("{bits} bits")
    } else {
        format!("{bits} bits (only the low {} may be nonzero)", f.n_bits)
    }
}

fn prereq(p: Prereq) -> &'static str {
    match p {
        Prereq::None => "none",
        Prereq::Ethernet => "Ethernet",
        Prereq::Arp => "ARP or RARP",
        Prereq::VlanVid => "a VLAN header",
        Prereq::Ipv4 => "IPv4",
        Prereq::Ipv6 => "IPv6",
        Prereq::IpAny => "IPv4 or IPv6",
        Prereq::Mpls => "MPLS",
        Prereq::Tcp => "TCP",
        Prereq::Udp => "UDP",
        Prereq::Sctp => "SCTP",
        Prereq::Icmpv4 => "ICMPv4",
        Prereq::Icmpv6 => "ICMPv6",
        Prereq::Nd => "ICMPv6 neighbour discovery",
        Prereq::NdSolicit => "ICMPv6 neighbour solicitation",
        Prereq::NdAdvert => "ICMPv6 neighbour advertisement",
        Prereq::Ct => "a tracked, valid connection (ct_state +trk-inv or more)",
        Prereq::Nsh => "NSH",
    }
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::Decimal => "decimal",
        Format::Hex => "hexadecimal",
        Format::Ethernet => "Ethernet address, optional /mask",
        Format::Ipv4 => "IPv4 address, optional /prefix or /mask",
        Format::Ipv6 => "IPv6 address, optional /prefix or /mask",
        Format::Ofp10Port | Format::Ofp11Port => "port number or name (LOCAL, CONTROLLER, ...)",
        Format::CtState => {
            "flags new, est, rel, rpl, inv, trk, snat, dnat (+flag-flag, or flag|flag)"
        }
        Format::TcpFlags => {
            "flags fin, syn, rst, psh, ack, urg, ece, cwr, ns (+flag-flag, or flag|flag)"
        }
        Format::TunFlags => "flag oam",
        Format::Frag => "no, yes, first, later, not_later",
        Format::PacketType => "(namespace,type)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `man/ctswitch-fields.7` must be what the registry says; run with
    /// `CTSWITCH_BLESS=1` to rewrite it after changing the registry.
    #[test]
    fn the_man_page_is_in_step_with_the_registry() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../man/ctswitch-fields.7");
        let page = fields_man_page();
        if std::env::var_os("CTSWITCH_BLESS").is_some() {
            std::fs::write(&path, &page).unwrap();
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == page,
            "{} is stale: rerun with CTSWITCH_BLESS=1",
            path.display()
        );
    }

    #[test]
    fn every_field_has_an_entry() {
        let page = fields_man_page();
        for f in FIELDS {
            assert!(page.contains(&format!(".SS {}\n", f.name)), "{}", f.name);
        }
    }
}
