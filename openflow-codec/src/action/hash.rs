//! The packet fields `multipath` and `bundle` hash over (OVS's
//! `NX_HASH_FIELDS_*`), with the names ovs-ofctl reads and prints.

use super::text;

/// Which fields of a packet a `multipath` or `bundle` hash covers, by its
/// NX_HASH_FIELDS_* code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum HashFields {
    EthSrc = 0,
    SymmetricL4 = 1,
    SymmetricL3L4 = 2,
    SymmetricL3L4Udp = 3,
    NwSrc = 4,
    NwDst = 5,
    SymmetricL3 = 6,
}

/// Every hash field set, with its name.
const FIELDS: [(&str, HashFields); 7] = [
    ("eth_src", HashFields::EthSrc),
    ("symmetric_l4", HashFields::SymmetricL4),
    ("symmetric_l3l4", HashFields::SymmetricL3L4),
    ("symmetric_l3l4+udp", HashFields::SymmetricL3L4Udp),
    ("nw_src", HashFields::NwSrc),
    ("nw_dst", HashFields::NwDst),
    ("symmetric_l3", HashFields::SymmetricL3),
];

/// `(name, code)`, for the text helpers.
const CODES: [(&str, u16); 7] = {
    let mut codes = [("", 0u16); 7];
    let mut i = 0;
    while i < FIELDS.len() {
        codes[i] = (FIELDS[i].0, FIELDS[i].1 as u16);
        i += 1;
    }
    codes
};

impl HashFields {
    /// The field set of a code OVS accepts (`flow_hash_fields_valid()`).
    pub fn from_code(code: u16) -> Option<Self> {
        FIELDS.iter().map(|&(_, f)| f).find(|&f| f as u16 == code)
    }
}

/// The code for a name (case-insensitive, as OVS's `strcasecmp`).
pub(crate) fn fields_by_name(name: &str) -> Option<u16> {
    text::code_by_name(&CODES, name)
}

/// The name of a code OVS accepts (`flow_hash_fields_valid()`).
pub(crate) fn fields_name(code: u16) -> Option<&'static str> {
    text::name_of_code(&CODES, code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_agree() {
        assert_eq!(fields_by_name("Symmetric_L3L4+UDP"), Some(3));
        assert_eq!(fields_name(6), Some("symmetric_l3"));
        assert_eq!(HashFields::from_code(4), Some(HashFields::NwSrc));
        assert_eq!(HashFields::from_code(7), None);
        assert_eq!(fields_name(7), None);
    }
}
