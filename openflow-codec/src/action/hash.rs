//! The packet fields `multipath` and `bundle` hash over (OVS's
//! `NX_HASH_FIELDS_*`), with the names ovs-ofctl reads and prints.

use super::text;

/// `(name, NX_HASH_FIELDS_* code)`.
const FIELDS: [(&str, u16); 7] = [
    ("eth_src", 0),
    ("symmetric_l4", 1),
    ("symmetric_l3l4", 2),
    ("symmetric_l3l4+udp", 3),
    ("nw_src", 4),
    ("nw_dst", 5),
    ("symmetric_l3", 6),
];

/// The code for a name (case-insensitive, as OVS's `strcasecmp`).
pub(crate) fn fields_by_name(name: &str) -> Option<u16> {
    text::code_by_name(&FIELDS, name)
}

/// The name of a code OVS accepts (`flow_hash_fields_valid()`).
pub(crate) fn fields_name(code: u16) -> Option<&'static str> {
    text::name_of_code(&FIELDS, code)
}
