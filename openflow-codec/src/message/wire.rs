//! The plumbing every message decoder shares: nom parsers whose error is an
//! [`OfpError`], so that a decoder says which OFPT_ERROR a fault deserves
//! where it finds the fault, and helpers for writing lengths and padding.

use bytes::{BufMut, BytesMut};
use nom::error::{ErrorKind, ParseError};
use nom::IResult;

use crate::error::{BadRequestCode, OfpError};

/// A nom error that is an OpenFlow error. Running out of bytes, nom's own
/// failure, is OFPBRC_BAD_LEN, as it is in OVS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault(pub OfpError);

impl<'a> ParseError<&'a [u8]> for Fault {
    fn from_error_kind(_input: &'a [u8], _kind: ErrorKind) -> Self {
        Fault(BadRequestCode::BadLen.into())
    }

    fn append(_input: &'a [u8], _kind: ErrorKind, other: Self) -> Self {
        other
    }
}

/// What a message parser returns.
pub type Parsed<'a, T> = IResult<&'a [u8], T, Fault>;

/// Stops parsing with `err`.
pub fn fail<'a, T>(err: impl Into<OfpError>) -> Parsed<'a, T> {
    Err(nom::Err::Failure(Fault(err.into())))
}

/// Runs `parser` over all of `input`; bytes left over are `leftover`.
pub fn run_all<'a, T>(
    input: &'a [u8],
    mut parser: impl FnMut(&'a [u8]) -> Parsed<'a, T>,
    leftover: impl Into<OfpError>,
) -> Result<T, OfpError> {
    match parser(input) {
        Ok(([], value)) => Ok(value),
        Ok(_) => Err(leftover.into()),
        Err(err) => Err(to_ofp_error(err)),
    }
}

/// Runs `parser` over all of `input`, where leftover bytes are a length fault.
pub fn run<'a, T>(
    input: &'a [u8],
    parser: impl FnMut(&'a [u8]) -> Parsed<'a, T>,
) -> Result<T, OfpError> {
    run_all(input, parser, BadRequestCode::BadLen)
}

/// The OpenFlow error inside a nom error.
pub fn to_ofp_error(err: nom::Err<Fault>) -> OfpError {
    match err {
        nom::Err::Error(Fault(e)) | nom::Err::Failure(Fault(e)) => e,
        nom::Err::Incomplete(_) => BadRequestCode::BadLen.into(),
    }
}

/// Lifts a `Result` from a non-nom decoder (actions, matches) into a parser.
pub fn lift<'a, T>(input: &'a [u8], result: Result<T, OfpError>) -> Parsed<'a, T> {
    match result {
        Ok(value) => Ok((input, value)),
        Err(err) => fail(err),
    }
}

pub use nom::bytes::complete::take;
pub use nom::number::complete::{be_u16 as u16, be_u32 as u32, be_u64 as u64, be_u8 as u8};

/// Skips `n` padding bytes.
pub fn pad<'a>(n: usize) -> impl FnMut(&'a [u8]) -> Parsed<'a, ()> {
    move |input: &'a [u8]| take(n)(input).map(|(rest, _)| (rest, ()))
}

/// A NUL-padded fixed-size string field (descriptions, table names): the
/// bytes before the first NUL, one `char` per byte (Latin-1), so that any
/// bytes survive a decode and re-encode unchanged.
pub fn fixed_str<'a>(n: usize) -> impl FnMut(&'a [u8]) -> Parsed<'a, String> {
    move |input: &'a [u8]| {
        let (rest, raw) = take(n)(input)?;
        Ok((
            rest,
            raw.iter()
                .take_while(|&&b| b != 0)
                .map(|&b| char::from(b))
                .collect(),
        ))
    }
}

/// Writes `s` into a NUL-padded field of `n` bytes (a string of exactly `n`
/// characters fills it with no NUL, as a decoded one may); characters
/// beyond Latin-1 are written as `?`.
pub fn put_fixed_str(out: &mut BytesMut, s: &str, n: usize) {
    let mut written = 0;
    for c in s.chars().take(n) {
        out.put_u8(::core::primitive::u8::try_from(c).unwrap_or(b'?'));
        written += 1;
    }
    out.put_bytes(0, n - written);
}

/// Writes the length of everything written since `start` as a big-endian
/// u16 at `at`. Lengths above 65535 cannot be represented; callers keep
/// messages within that (OpenFlow's own limit).
pub fn patch_len(out: &mut BytesMut, at: usize, start: usize) {
    let len = u16::try_from(out.len() - start).unwrap_or(u16::MAX);
    out[at..at + 2].copy_from_slice(&len.to_be_bytes());
}

/// Pads what was written since `start` to a multiple of 8 bytes.
pub fn pad_to_8(out: &mut BytesMut, start: usize) {
    let len = out.len() - start;
    out.put_bytes(0, (8 - len % 8) % 8);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_input_is_bad_len() {
        assert_eq!(run(&[1u8][..], u16), Err(BadRequestCode::BadLen.into()));
    }

    #[test]
    fn leftover_bytes_are_reported() {
        assert_eq!(
            run(&[0u8, 1, 2][..], u16),
            Err(BadRequestCode::BadLen.into())
        );
        assert_eq!(run(&[0u8, 1][..], u16), Ok(1));
    }

    #[test]
    fn fixed_strings_stop_at_nul() {
        assert_eq!(run(&b"ab\0\0"[..], fixed_str(4)), Ok("ab".to_string()));
        let mut out = BytesMut::new();
        put_fixed_str(&mut out, "abcdef", 4);
        assert_eq!(&out[..], b"abcd");
    }
}
