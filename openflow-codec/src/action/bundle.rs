//! `bundle(FIELDS,BASIS,ALGORITHM,ofport,members:PORTS)` (NXAST_BUNDLE) and
//! `bundle_load(FIELDS,BASIS,ALGORITHM,ofport,DST,members:PORTS)`
//! (NXAST_BUNDLE_LOAD): choose a live member port by hashing, and output to
//! it or store it in DST.

use std::fmt::Write as _;

use bytes::{BufMut, BytesMut};
use nxm_fields::{FieldId, Subfield};

use crate::error::{BadActionCode, OfpError};

use super::check::CheckCx;
use super::field as wf;
use super::hash::{self, HashFields};
use super::output::check_output_port;
use super::parse::ParseCx;
use super::registry::{ActionType, DecodeCx, Raw};
use super::text::{self, port, ParseError, ParseResult, Strtok};
use super::wire::{self, View};

/// How `bundle` chooses among its live members, by its NX_BD_ALG_* code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum BundleAlgorithm {
    ActiveBackup = 0,
    Hrw = 1,
}

/// `(name, NX_BD_ALG_* code)`.
const ALGORITHMS: [(&str, u16); 2] = [
    ("active_backup", BundleAlgorithm::ActiveBackup as u16),
    ("hrw", BundleAlgorithm::Hrw as u16),
];

/// OVS's BUNDLE_MAX_MEMBERS: members beyond it are ignored when parsing.
const MAX_MEMBERS: usize = 2048;

/// Fixed part of the action, before the member list.
const FIXED_LEN: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// NX_HASH_FIELDS_* code.
    pub fields: u16,
    pub basis: u16,
    /// NX_BD_ALG_* code.
    pub algorithm: u16,
    /// Where `bundle_load` stores the chosen port; `None` for `bundle`.
    pub dst: Option<Subfield>,
    /// 16-bit port numbers.
    pub members: Vec<u16>,
}

fn bad_argument() -> OfpError {
    OfpError::BadAction(BadActionCode::BadArgument)
}

/// The only member type there is: ports, named by the in_port field's NXM
/// header.
fn member_type_word() -> u32 {
    wf::word_of(nxm_fields::field(FieldId::InPort)).unwrap_or(0)
}

impl ActionType for Bundle {
    /// OVS's `decode_bundle()`, which checks the header fields and then the
    /// members as `bundle_check()` does without a match.
    fn decode(raw: Raw, v: View<'_>, _: &DecodeCx) -> Result<Self, OfpError> {
        let n_members = usize::from(v.u16(20)?);
        let mut a = Bundle {
            algorithm: v.u16(10)?,
            fields: v.u16(12)?,
            basis: v.u16(14)?,
            dst: None,
            members: Vec::new(),
        };
        if hash::fields_name(a.fields).is_none()
            || n_members > MAX_MEMBERS
            || text::name_of_code(&ALGORITHMS, a.algorithm).is_none()
            || v.u32(16)? != member_type_word()
        {
            return Err(bad_argument());
        }
        v.expect_zero(28, 4, bad_argument())?;
        let (ofs, n_bits) = wf::unpack_ofs_nbits(v.u16(22)?);
        if raw == Raw::NxBundleLoad {
            let def = wf::field_from_word(v.u32(24)?)?;
            if n_bits < 16 {
                return Err(bad_argument());
            }
            a.dst = Some(Subfield {
                field: def.id,
                ofs,
                n_bits,
            });
        } else if v.u16(22)? != 0 || v.u32(24)? != 0 {
            return Err(bad_argument());
        }
        let list = v
            .bytes(FIXED_LEN, 2 * n_members)
            .map_err(|_| OfpError::BadAction(BadActionCode::BadLen))?;
        a.members = list
            .chunks_exact(2)
            .map(|p| u16::from_be_bytes([p[0], p[1]]))
            .collect();
        a.check_members_and_dst()?;
        Ok(a)
    }

    fn encode(&self, out: &mut BytesMut) {
        let raw = if self.dst.is_some() {
            Raw::NxBundleLoad
        } else {
            Raw::NxBundle
        };
        let start = wire::begin(out, raw);
        out.put_u16(self.algorithm);
        out.put_u16(self.fields);
        out.put_u16(self.basis);
        out.put_u32(member_type_word());
        out.put_u16(self.members.len() as u16);
        match &self.dst {
            Some(dst) => {
                out.put_u16(wf::ofs_nbits(dst));
                wf::put_word(out, dst.def());
            }
            None => out.put_bytes(0, 6),
        }
        out.put_u32(0);
        for &p in &self.members {
            out.put_u16(p);
        }
        wire::finish(out, start, raw);
    }

    fn format(&self, out: &mut String) {
        let _ = write!(
            out,
            "{}({},{},{},ofport,",
            if self.dst.is_some() {
                "bundle_load"
            } else {
                "bundle"
            },
            hash::fields_name(self.fields).unwrap_or_default(),
            self.basis,
            text::name_of_code(&ALGORITHMS, self.algorithm).unwrap_or_default()
        );
        if let Some(dst) = &self.dst {
            let _ = write!(out, "{dst},");
        }
        out.push_str("members:");
        for (i, &p) in self.members.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            text::format_port(p, out);
        }
        out.push(')');
    }

    /// Both keywords are OVS's one `bundle` action.
    fn ofpact_name(&self) -> &'static str {
        "bundle"
    }

    fn check(&mut self, cx: &mut CheckCx) -> Result<(), ParseError> {
        if let Some(dst) = &self.dst {
            cx.check_dst(dst.def())?;
        }
        self.check_members_and_dst()
            .map_err(ParseError::Inconsistent)
    }
}

impl Bundle {
    /// The fields hashed (`None` only for a code no decoder accepts).
    pub fn hash_fields(&self) -> Option<HashFields> {
        HashFields::from_code(self.fields)
    }

    /// The member algorithm (`None` only for a code no decoder accepts).
    pub fn member_algorithm(&self) -> Option<BundleAlgorithm> {
        [BundleAlgorithm::ActiveBackup, BundleAlgorithm::Hrw]
            .into_iter()
            .find(|&a| a as u16 == self.algorithm)
    }

    /// OVS's `bundle_check()` without the match: the destination must fit
    /// and be writable, and members must be output ports other than
    /// CONTROLLER (which would need a max_len); `ANY` is allowed.
    fn check_members_and_dst(&self) -> Result<(), OfpError> {
        if let Some(dst) = &self.dst {
            wf::check_bounds(dst.def(), dst.ofs, dst.n_bits)?;
            if !dst.def().writable {
                return Err(wf::BAD_SET_ARGUMENT);
            }
        }
        for &p in &self.members {
            if p != port::NONE {
                check_output_port(p)?;
            }
            if p == port::CONTROLLER {
                return Err(OfpError::BadAction(BadActionCode::BadOutPort));
            }
        }
        Ok(())
    }
}

/// `bundle(...)`.
pub(crate) fn parse_bundle(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    parse(arg, false, cx)
}

/// `bundle_load(...)`.
pub(crate) fn parse_bundle_load(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    parse(arg, true, cx)
}

/// OVS's `bundle_parse()`/`bundle_parse_load()`, in its order: the member
/// list is read before the other tokens are looked at.
fn parse(arg: &str, load: bool, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    const DELIMS: &[char] = &[',', ' '];
    let err = |what: String| ParseError::msg(format!("{arg}: {what}"));
    let mut tokens = Strtok::new(arg);
    let fields = tokens.next_token(DELIMS);
    let basis = tokens.next_token(DELIMS);
    let algorithm = tokens.next_token(DELIMS);
    let member_type = tokens.next_token(DELIMS);
    let dst = if load {
        tokens.next_token(DELIMS)
    } else {
        None
    };
    let member_delim = tokens.next_token(&[':', ' ']);
    let (Some(fields), Some(basis), Some(algorithm), Some(member_type), Some(member_delim)) =
        (fields, basis, algorithm, member_type, member_delim)
    else {
        return Err(err("not enough arguments to bundle action".into()));
    };
    if !member_delim.eq_ignore_ascii_case("members") && !member_delim.eq_ignore_ascii_case("slaves")
    {
        return Err(err(format!(
            "missing member delimiter, expected `members', got `{member_delim}'"
        )));
    }
    let mut members = Vec::new();
    while members.len() < MAX_MEMBERS {
        let Some(member) = tokens.next_token(&[',', ' ', '[', ']']) else {
            break;
        };
        let p = text::parse_port(member, cx.ports)
            .ok_or_else(|| ParseError::msg(format!("{member}: bad port number")))?;
        members.push(p);
    }
    let fields =
        hash::fields_by_name(fields).ok_or_else(|| err(format!("unknown fields `{fields}'")))?;
    let algorithm = text::code_by_name(&ALGORITHMS, algorithm)
        .ok_or_else(|| err(format!("unknown algorithm `{algorithm}'")))?;
    if !member_type.eq_ignore_ascii_case("ofport") {
        return Err(err(format!("unknown member_type `{member_type}'")));
    }
    let dst = match dst {
        Some(dst_s) => {
            let dst = Subfield::parse(dst_s).map_err(|e| ParseError::msg(e.to_string()))?;
            if wf::word_of(dst.def()).is_none() {
                return Err(err(format!(
                    "experimenter OXM field '{}' not supported",
                    dst.def().name
                )));
            }
            Some(dst)
        }
        None => None,
    };
    cx.push(Bundle {
        fields,
        basis: text::c_atoi(basis) as u16,
        algorithm,
        dst,
        members,
    });
    Ok(())
}
