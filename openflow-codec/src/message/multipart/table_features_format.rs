//! Prints TABLE_FEATURES tables as ovs-ofctl 3.1 does: what OVS makes of
//! each table's properties ([`Summary`]: instruction and action sets in
//! OVS's order, next tables, field sets), the sections it prints, and the
//! "ditto" / "(same …)" shortcuts against the table before.

use std::collections::BTreeSet;
use std::fmt::Write;

use nxm_fields::{field_by_header, tun_metadata, OxmHeader};

use super::group_stats::ACTION_BITS as ACTIONS;
use super::name_groups::group;
use super::table_features::TableFeatures;
use super::table_features_props::{self as props, Body, FieldHeader, Id};

/// OpenFlow 1.3 instruction types in the order OVS prints them.
const INSTRUCTIONS: [(u32, &str); 6] = [
    (6, "meter"),
    (4, "apply_actions"),
    (5, "clear_actions"),
    (3, "write_actions"),
    (2, "write_metadata"),
    (1, "goto_table"),
];

/// Fields in the order OVS 3.1 lists them (its internal field order);
/// `tun_metadata0…63` go where the placeholder `tun_metadata` is.
const FIELD_ORDER: &[&str] = &[
    "dp_hash",
    "recirc_id",
    "packet_type",
    "conj_id",
    "tun_id",
    "tun_src",
    "tun_dst",
    "tun_ipv6_src",
    "tun_ipv6_dst",
    "tun_flags",
    "tun_gbp_id",
    "tun_gbp_flags",
    "tun_erspan_idx",
    "tun_erspan_ver",
    "tun_erspan_dir",
    "tun_erspan_hwid",
    "tun_gtpu_flags",
    "tun_gtpu_msgtype",
    "tun_metadata",
    "metadata",
    "in_port",
    "in_port_oxm",
    "actset_output",
    "skb_priority",
    "pkt_mark",
    "ct_state",
    "ct_zone",
    "ct_mark",
    "ct_label",
    "ct_nw_proto",
    "ct_nw_src",
    "ct_nw_dst",
    "ct_ipv6_src",
    "ct_ipv6_dst",
    "ct_tp_src",
    "ct_tp_dst",
    "reg0",
    "reg1",
    "reg2",
    "reg3",
    "reg4",
    "reg5",
    "reg6",
    "reg7",
    "reg8",
    "reg9",
    "reg10",
    "reg11",
    "reg12",
    "reg13",
    "reg14",
    "reg15",
    "xreg0",
    "xreg1",
    "xreg2",
    "xreg3",
    "xreg4",
    "xreg5",
    "xreg6",
    "xreg7",
    "xxreg0",
    "xxreg1",
    "xxreg2",
    "xxreg3",
    "eth_src",
    "eth_dst",
    "eth_type",
    "vlan_tci",
    "dl_vlan",
    "vlan_vid",
    "dl_vlan_pcp",
    "vlan_pcp",
    "mpls_label",
    "mpls_tc",
    "mpls_bos",
    "mpls_ttl",
    "ip_src",
    "ip_dst",
    "ipv6_src",
    "ipv6_dst",
    "ipv6_label",
    "nw_proto",
    "nw_tos",
    "ip_dscp",
    "nw_ecn",
    "nw_ttl",
    "ip_frag",
    "arp_op",
    "arp_spa",
    "arp_tpa",
    "arp_sha",
    "arp_tha",
    "tcp_src",
    "tcp_dst",
    "tcp_flags",
    "udp_src",
    "udp_dst",
    "sctp_src",
    "sctp_dst",
    "icmp_type",
    "icmp_code",
    "icmpv6_type",
    "icmpv6_code",
    "nd_target",
    "nd_sll",
    "nd_tll",
    "nd_reserved",
    "nd_options_type",
    "nsh_flags",
    "nsh_mdtype",
    "nsh_np",
    "nsh_spi",
    "nsh_si",
    "nsh_c1",
    "nsh_c2",
    "nsh_c3",
    "nsh_c4",
    "nsh_ttl",
];

/// A field known to the registry: its place in OVS's order and its name.
type Field = (usize, String);
type Fields = BTreeSet<Field>;

/// The field an OXM header names, if we know it.
fn field_of(header: OxmHeader) -> Option<Field> {
    let tun_base = FIELD_ORDER.iter().position(|n| *n == "tun_metadata")?;
    if let Some(i) = tun_metadata::index_of_header(header) {
        return Some((tun_base + usize::from(i), format!("tun_metadata{i}")));
    }
    let def = field_by_header(header)?;
    let rank = match FIELD_ORDER.iter().position(|n| *n == def.name) {
        Some(p) if p > tun_base => p + usize::from(tun_metadata::COUNT),
        Some(p) => p,
        None => 1000 + def.id as usize,
    };
    Some((rank, def.name.to_string()))
}

/// Write-Actions or Apply-Actions features.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct ActionFeatures {
    /// Bit i: `ACTIONS[i]`.
    actions: u32,
    set_fields: Fields,
}

/// The instruction features of table-miss or other flows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct InstructionFeatures {
    next: BTreeSet<u8>,
    /// Bit i: `INSTRUCTIONS[i]`.
    instructions: u32,
    write: ActionFeatures,
    apply: ActionFeatures,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Summary {
    nonmiss: InstructionFeatures,
    miss: InstructionFeatures,
    matching: Fields,
    masked: Fields,
    wildcard: Fields,
}

/// The ids as a bitmap over `table`'s positions; unknown ids are ignored.
fn bits(ids: &[Id], table: &[(u32, &str)]) -> u32 {
    ids.iter()
        .filter_map(|id| table.iter().position(|(t, _)| *t == u32::from(id.kind)))
        .fold(0, |acc, i| acc | 1 << i)
}

fn field_set(headers: &[FieldHeader], masked: bool) -> Fields {
    headers
        .iter()
        .filter(|h| h.has_mask == masked)
        .filter_map(|h| field_of(h.header))
        .collect()
}

impl Summary {
    /// OVS's view of a property list that [`props::decode`] accepted.
    fn of(list: &[props::TableProp]) -> Summary {
        let mut s = Summary::default();
        for prop in list {
            let tif = if prop.kind & props::MISS != 0 {
                &mut s.miss
            } else {
                &mut s.nonmiss
            };
            match (prop.kind & !props::MISS, &prop.body) {
                (props::INSTRUCTIONS, Body::Ids(ids)) => {
                    tif.instructions = bits(ids, &INSTRUCTIONS)
                }
                (props::NEXT_TABLES, Body::Tables(t)) => tif.next = t.iter().copied().collect(),
                (props::WRITE_ACTIONS, Body::Ids(ids)) => tif.write.actions = bits(ids, ACTIONS),
                (props::APPLY_ACTIONS, Body::Ids(ids)) => tif.apply.actions = bits(ids, ACTIONS),
                (props::WRITE_SETFIELD, Body::Fields(f)) => {
                    tif.write.set_fields = field_set(f, false)
                }
                (props::APPLY_SETFIELD, Body::Fields(f)) => {
                    tif.apply.set_fields = field_set(f, false)
                }
                (props::MATCH, Body::Fields(f)) if prop.kind == props::MATCH => {
                    s.matching = field_set(f, false);
                    s.masked = field_set(f, true);
                }
                (props::WILDCARDS, Body::Fields(f)) if prop.kind == props::WILDCARDS => {
                    s.wildcard = field_set(f, false);
                }
                _ => {}
            }
        }
        // As OVS: maskable fields are matchable and wildcardable, and only
        // matchable fields can be wildcarded.
        s.matching.extend(s.masked.iter().cloned());
        s.wildcard.extend(s.masked.iter().cloned());
        s.wildcard.retain(|f| s.matching.contains(f));
        s
    }
}

impl ActionFeatures {
    fn is_empty(&self) -> bool {
        self.actions == 0 && self.set_fields.is_empty()
    }

    fn format(&self, out: &mut String) {
        if self.actions != 0 {
            let _ = writeln!(out, "        actions: {}", selected(ACTIONS, self.actions));
        }
        if !self.set_fields.is_empty() {
            let _ = writeln!(
                out,
                "        supported on Set-Field: {}",
                names(&self.set_fields)
            );
        }
    }
}

/// The names of `table`'s entries whose bit is set in `bits`.
fn selected(table: &[(u32, &str)], bits: u32) -> String {
    let names: Vec<&str> = table
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, (_, n))| *n)
        .collect();
    names.join(" ")
}

fn names(fields: &Fields) -> String {
    let list: Vec<&str> = fields.iter().map(|(_, n)| n.as_str()).collect();
    group(&list, " ")
}

impl InstructionFeatures {
    fn is_empty(&self) -> bool {
        self.next.is_empty()
            && self.instructions == 0
            && self.write.is_empty()
            && self.apply.is_empty()
    }

    /// Equal, counting table `b_id` missing from `b`'s next tables as no
    /// difference when `b` is the table right after `a` (a table cannot go
    /// to itself), as OVS does.
    fn same(&self, a_id: u8, other: &InstructionFeatures, b_id: u8) -> bool {
        let next_same = if a_id.checked_add(1) == Some(b_id) {
            next_equal(&self.next, &other.next, b_id)
        } else if b_id.checked_add(1) == Some(a_id) {
            next_equal(&other.next, &self.next, a_id)
        } else {
            self.next == other.next
        };
        next_same
            && self.instructions == other.instructions
            && self.write == other.write
            && self.apply == other.apply
    }

    fn format(&self, out: &mut String, prev: Option<&InstructionFeatures>) {
        if !self.next.is_empty() {
            let _ = writeln!(out, "      next tables: {}", ranges(&self.next));
        }
        if self.instructions != 0 {
            if prev.is_some_and(|p| p.instructions == self.instructions) {
                out.push_str("      (same instructions)\n");
            } else {
                let names = selected(&INSTRUCTIONS, self.instructions);
                let _ = writeln!(out, "      instructions: {names}");
            }
        }
        if prev.is_some_and(|p| {
            p.write == self.write && p.apply == self.apply && !self.write.set_fields.is_empty()
        }) {
            out.push_str("      (same actions)\n");
        } else if self.write != self.apply {
            out.push_str("      Write-Actions features:\n");
            self.write.format(out);
            out.push_str("      Apply-Actions features:\n");
            self.apply.format(out);
        } else if !self.write.is_empty() {
            out.push_str("      Write-Actions and Apply-Actions features:\n");
            self.write.format(out);
        }
    }
}

/// `a` (of the table before `b_id`) equals `b`, ignoring `b_id` itself
/// when only `a` has it.
fn next_equal(a: &BTreeSet<u8>, b: &BTreeSet<u8>, b_id: u8) -> bool {
    if a.contains(&b_id) && !b.contains(&b_id) {
        a.iter().filter(|t| **t != b_id).eq(b.iter())
    } else {
        a == b
    }
}

/// `1-3,7`.
fn ranges(tables: &BTreeSet<u8>) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut run: Option<(u8, u8)> = None;
    for &t in tables {
        run = match run {
            Some((first, last)) if last.checked_add(1) == Some(t) => Some((first, t)),
            Some(done) => {
                parts.push(range(done));
                Some((t, t))
            }
            None => Some((t, t)),
        };
    }
    parts.extend(run.map(range));
    parts.join(",")
}

fn range((first, last): (u8, u8)) -> String {
    if first == last {
        first.to_string()
    } else {
        format!("{first}-{last}")
    }
}

/// One table with what OVS compares tables by.
struct Table<'a> {
    features: &'a TableFeatures,
    summary: Summary,
}

impl Table<'_> {
    fn same(&self, prev: &Table<'_>) -> bool {
        let (a, b) = (self.features, prev.features);
        a.metadata_match == b.metadata_match
            && a.metadata_write == b.metadata_write
            && a.max_entries == b.max_entries
            && self.same_instructions(prev)
            && self.summary.matching == prev.summary.matching
    }

    fn same_instructions(&self, prev: &Table<'_>) -> bool {
        let (id, prev_id) = (self.features.table_id, prev.features.table_id);
        self.summary
            .nonmiss
            .same(id, &prev.summary.nonmiss, prev_id)
            && self.summary.miss.same(id, &prev.summary.miss, prev_id)
    }
}

/// Prints the tables after the reply's first line.
pub fn format_list(out: &mut String, list: &[TableFeatures]) {
    let mut ditto: Option<(u8, u8)> = None;
    let mut prev: Option<Table<'_>> = None;
    for features in list {
        let summary = props::decode(&features.properties)
            .map(|p| Summary::of(&p))
            .unwrap_or_default();
        let table = Table { features, summary };
        let same = prev.as_ref().is_some_and(|p| table.same(p));
        if same && features.name.is_empty() {
            let id = features.table_id;
            ditto = Some(ditto.map_or((id, id), |(first, _)| (first, id)));
        } else {
            format_ditto(out, ditto.take());
            let _ = write!(out, "\n  table {}", features.table_id);
            if !features.name.is_empty() {
                let _ = write!(out, " (\"{}\")", features.name);
            }
            out.push(':');
            if same {
                out.push_str(" ditto");
            } else {
                out.push('\n');
                format_one(out, &table, prev.as_ref());
            }
        }
        prev = Some(table);
    }
    format_ditto(out, ditto);
}

fn format_one(out: &mut String, table: &Table<'_>, prev: Option<&Table<'_>>) {
    let features = table.features;
    if features.metadata_match != 0 || features.metadata_write != 0 {
        let _ = writeln!(
            out,
            "    metadata: match={:#x} write={:#x}",
            features.metadata_match, features.metadata_write
        );
    }
    if features.max_entries != 0 {
        let _ = writeln!(out, "    max_entries={}", features.max_entries);
    }
    let s = &table.summary;
    let (id, ps) = (features.table_id, prev.map(|p| &p.summary));
    if prev.is_some_and(|p| table.same_instructions(p)) {
        if !s.nonmiss.is_empty() {
            out.push_str("    (same instructions)\n");
        }
    } else if !s.nonmiss.same(id, &s.miss, id) {
        out.push_str("    instructions (other than table miss):\n");
        s.nonmiss.format(out, ps.map(|p| &p.nonmiss));
        out.push_str("    instructions (table miss):\n");
        s.miss.format(out, ps.map(|p| &p.miss));
    } else if !s.nonmiss.is_empty() {
        out.push_str("    instructions (table miss and others):\n");
        s.nonmiss.format(out, ps.map(|p| &p.nonmiss));
    }
    if s.matching.is_empty() {
        return;
    }
    if ps.is_some_and(|p| p.matching == s.matching) {
        out.push_str("    (same matching)\n");
        return;
    }
    out.push_str("    matching:\n");
    let exact_or_wild: Fields = s.wildcard.difference(&s.masked).cloned().collect();
    let exact: Fields = s
        .matching
        .iter()
        .filter(|f| !s.wildcard.contains(*f))
        .cloned()
        .collect();
    for (label, set) in [
        ("arbitrary mask", &s.masked),
        ("exact match or wildcard", &exact_or_wild),
        ("must exact match", &exact),
    ] {
        if !set.is_empty() {
            let _ = writeln!(out, "      {label}: {}", names(set));
        }
    }
}

fn format_ditto(out: &mut String, run: Option<(u8, u8)>) {
    match run {
        Some((first, last)) if first == last => {
            let _ = writeln!(out, "\n  table {first}: ditto");
        }
        Some((first, last)) => {
            let _ = writeln!(out, "\n  tables {first}...{last}: ditto");
        }
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables(hex: &str) -> Vec<TableFeatures> {
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
            .collect();
        let mut rest = bytes.as_slice();
        let mut list = Vec::new();
        while !rest.is_empty() {
            let (next, table) = TableFeatures::parse(rest).unwrap();
            list.push(table);
            rest = next;
        }
        list
    }

    fn print(hex: &str) -> String {
        let mut out = String::new();
        format_list(&mut out, &tables(hex));
        out
    }

    #[test]
    fn miss_sections_actions_and_matching_print_as_ovs_3_1_does() {
        // The table-miss apply set-fields differ from the others'.
        assert_eq!(
            print(
                "00d80000000000000000000000000000000000000000000000000000000000000000000000000000ffffffffffffffffffffffffffffffff00000000000003e8000000080004000400010008000400040002000400000000000300040000000000040008\
                 0000000400050008000000040006000800000004000700080000000400080014800000048000070c80000a0280000c0200000000000a000880000a02000c0010800006068000080680000004000d0010800006068000080680000004000e0010800006068000080680000004000f000880000004"
            ),
            "\n  table 0:\n    metadata: match=0xffffffffffffffff write=0xffffffffffffffff\n    \
             max_entries=1000\n    instructions (other than table miss):\n      \
             instructions: apply_actions\n      Write-Actions and Apply-Actions features:\n        \
             actions: output\n        supported on Set-Field: in_port_oxm eth_{src,dst}\n    \
             instructions (table miss):\n      instructions: apply_actions\n      \
             Write-Actions features:\n        actions: output\n        \
             supported on Set-Field: in_port_oxm eth_{src,dst}\n      \
             Apply-Actions features:\n        actions: output\n        \
             supported on Set-Field: in_port_oxm\n    matching:\n      \
             arbitrary mask: eth_dst\n      exact match or wildcard: eth_type\n      \
             must exact match: in_port_oxm vlan_vid\n"
        );
    }

    #[test]
    fn a_table_is_ditto_though_the_one_before_may_go_to_it() {
        // Table 0 goes to tables 1-2, tables 1 and 2 only to table 2.
        assert_eq!(
            print(
                "00a00000000000000000000000000000000000000000000000000000000000000000000000000000ffffffffffffffffffffffffffffffff00000000000003e8000000080001000400010008000100040002000601020000000300060102000000040008\
                 000000040005000800000004000600080000000400070008000000040008000400000000000a000400000000000c000400000000000e00040000000000a00100000000000000000000000000000000000000000000000000000000000000000000000000\
                 ffffffffffffffffffffffffffffffff00000000000003e8000000080001000400010008000100040002000502000000000300050200000000040008000000040005000800000004000600080000000400070008000000040008000400000000000a0004\
                 00000000000c000400000000000e00040000000000a00200000000000000000000000000000000000000000000000000000000000000000000000000ffffffffffffffffffffffffffffffff00000000000003e800000008000100040001000800010004\
                 0002000502000000000300050200000000040008000000040005000800000004000600080000000400070008000000040008000400000000000a000400000000000c000400000000000e000400000000"
            ),
            "\n  table 0:\n    metadata: match=0xffffffffffffffff write=0xffffffffffffffff\n    \
             max_entries=1000\n    instructions (table miss and others):\n      \
             next tables: 1-2\n      instructions: goto_table\n      \
             Write-Actions and Apply-Actions features:\n        actions: output\n\n  \
             tables 1...2: ditto\n"
        );
    }
}
