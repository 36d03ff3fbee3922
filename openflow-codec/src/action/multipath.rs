//! `multipath(FIELDS,BASIS,ALGORITHM,N_LINKS,ARG,DST)` (NXAST_MULTIPATH):
//! hash the packet and store a link number in `0..N_LINKS` into DST.

use std::fmt::Write as _;

use bytes::{BufMut, BytesMut};
use nxm_fields::Subfield;

use crate::error::{BadActionCode, OfpError};

use super::check::CheckCx;
use super::field as wf;
use super::hash::{self, HashFields};
use super::parse::ParseCx;
use super::registry::{ActionType, DecodeCx, Raw};
use super::text::{self, ParseError, ParseResult, Strtok};
use super::wire::{self, View};

/// How `multipath` turns the hash into a link number, by its NX_MP_ALG_*
/// code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum MultipathAlgorithm {
    ModuloN = 0,
    HashThreshold = 1,
    Hrw = 2,
    IterHash = 3,
}

/// `(name, NX_MP_ALG_* code)`.
const ALGORITHMS: [(&str, u16); 4] = [
    ("modulo_n", MultipathAlgorithm::ModuloN as u16),
    ("hash_threshold", MultipathAlgorithm::HashThreshold as u16),
    ("hrw", MultipathAlgorithm::Hrw as u16),
    ("iter_hash", MultipathAlgorithm::IterHash as u16),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Multipath {
    /// NX_HASH_FIELDS_* code.
    pub fields: u16,
    pub basis: u16,
    /// NX_MP_ALG_* code.
    pub algorithm: u16,
    /// N_LINKS - 1.
    pub max_link: u16,
    pub arg: u32,
    pub dst: Subfield,
}

impl Multipath {
    /// The fields hashed (`None` only for a code no decoder accepts).
    pub fn hash_fields(&self) -> Option<HashFields> {
        HashFields::from_code(self.fields)
    }

    /// The link algorithm (`None` only for a code no decoder accepts).
    pub fn link_algorithm(&self) -> Option<MultipathAlgorithm> {
        use MultipathAlgorithm::*;
        [ModuloN, HashThreshold, Hrw, IterHash]
            .into_iter()
            .find(|&a| a as u16 == self.algorithm)
    }
}

fn bad_argument() -> OfpError {
    OfpError::BadAction(BadActionCode::BadArgument)
}

impl ActionType for Multipath {
    fn decode(_: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        let (ofs, n_bits) = wf::unpack_ofs_nbits(v.u16(26)?);
        let def = wf::field_from_word(v.u32(28)?)?;
        let a = Multipath {
            fields: v.u16(10)?,
            basis: v.u16(12)?,
            algorithm: v.u16(16)?,
            max_link: v.u16(18)?,
            arg: v.u32(20)?,
            dst: Subfield {
                field: def.id,
                ofs,
                n_bits,
            },
        };
        // The destination must be able to hold every link number.
        let min_n_bits = u16::BITS - a.max_link.leading_zeros();
        if hash::fields_name(a.fields).is_none()
            || text::name_of_code(&ALGORITHMS, a.algorithm).is_none()
            || n_bits < min_n_bits
        {
            return Err(bad_argument());
        }
        wf::check_bounds(def, ofs, n_bits)?;
        if !def.writable {
            return Err(wf::BAD_SET_ARGUMENT);
        }
        Ok(a)
    }

    fn encode(&self, out: &mut BytesMut) {
        let start = wire::begin(out, Raw::NxMultipath);
        out.put_u16(self.fields);
        out.put_u16(self.basis);
        out.put_u16(0);
        out.put_u16(self.algorithm);
        out.put_u16(self.max_link);
        out.put_u32(self.arg);
        out.put_u16(0);
        out.put_u16(wf::ofs_nbits(&self.dst));
        wf::put_word(out, self.dst.def());
        wire::finish(out, start, Raw::NxMultipath);
    }

    fn format(&self, out: &mut String) {
        let _ = write!(
            out,
            "multipath({},{},{},{},{},{})",
            hash::fields_name(self.fields).unwrap_or_default(),
            self.basis,
            text::name_of_code(&ALGORITHMS, self.algorithm).unwrap_or_default(),
            u32::from(self.max_link) + 1,
            self.arg,
            self.dst
        );
    }

    fn ofpact_name(&self) -> &'static str {
        "multipath"
    }

    fn check(&mut self, cx: &mut CheckCx) -> Result<(), ParseError> {
        cx.check_dst(self.dst.def())
    }
}

/// OVS's `multipath_parse()`: six tokens separated by commas or spaces;
/// numbers are read with C's `atoi()` (so `x` is 0 and values wrap).
pub(crate) fn parse_multipath(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    const DELIMS: &[char] = &[',', ' '];
    let err = |what: String| ParseError::msg(format!("{arg}: {what}"));
    let mut tokens = Strtok::new(arg);
    let mut next = || tokens.next_token(DELIMS);
    let (Some(fields), Some(basis), Some(algorithm), Some(n_links), Some(mp_arg), Some(dst)) =
        (next(), next(), next(), next(), next(), next())
    else {
        return Err(err("not enough arguments to multipath action".into()));
    };
    let fields_code =
        hash::fields_by_name(fields).ok_or_else(|| err(format!("unknown fields `{fields}'")))?;
    let algorithm_code = text::code_by_name(&ALGORITHMS, algorithm)
        .ok_or_else(|| err(format!("unknown algorithm `{algorithm}'")))?;
    let n_links = text::c_atoi(n_links);
    if !(1..=65536).contains(&n_links) {
        return Err(err(format!(
            "n_links {n_links} is not in valid range 1 to 65536"
        )));
    }
    let dst = Subfield::parse(dst).map_err(|e| ParseError::msg(e.to_string()))?;
    if wf::word_of(dst.def()).is_none() {
        return Err(err(format!(
            "experimenter OXM field '{}' not supported",
            dst.def().name
        )));
    }
    if dst.n_bits < 16 && n_links > 1 << dst.n_bits {
        return Err(err(format!(
            "{}-bit destination field has {} possible values, less than specified n_links {n_links}",
            dst.n_bits,
            1u32 << dst.n_bits
        )));
    }
    cx.push(Multipath {
        fields: fields_code,
        basis: text::c_atoi(basis) as u16,
        algorithm: algorithm_code,
        max_link: (n_links - 1) as u16,
        arg: text::c_atoi(mp_arg) as u32,
        dst,
    });
    Ok(())
}
