//! OFPT_ERROR: an [`OfpError`] and the data that provoked it.

use bytes::{BufMut, BytesMut};

use super::print::ofp_to_string_nested;
use super::wire::{self, Parsed};
use crate::error::{BadRequestCode, ErrorWire, OfpError, OFPET_EXPERIMENTER};

/// An error message: the error and (usually) the start of the offending
/// request, or for hello failures a human-readable text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorMsg {
    pub error: OfpError,
    pub data: Vec<u8>,
}

impl ErrorMsg {
    pub fn decode(body: &[u8]) -> Result<ErrorMsg, OfpError> {
        wire::run(body, parse)
    }

    pub fn encode(&self, out: &mut BytesMut) {
        match self.error.wire() {
            ErrorWire::Standard { type_, code } => {
                out.put_u16(type_);
                out.put_u16(code);
            }
            ErrorWire::Experimenter {
                experimenter,
                exp_type,
            } => {
                out.put_u16(OFPET_EXPERIMENTER);
                out.put_u16(exp_type);
                out.put_u32(experimenter);
            }
        }
        out.put_slice(&self.data);
    }

    /// OVS prints a hello failure's data as text, and any other error's data
    /// as the OpenFlow message it is.
    pub fn format(&self, out: &mut String, depth: usize) {
        out.push(' ');
        out.push_str(self.error.name());
        out.push('\n');
        if matches!(self.error, OfpError::HelloFailed(_)) {
            put_printable(out, &self.data);
        } else {
            out.push_str(&ofp_to_string_nested(&self.data, depth + 1));
        }
    }
}

fn parse(input: &[u8]) -> Parsed<'_, ErrorMsg> {
    let (input, type_) = wire::u16(input)?;
    let (input, code) = wire::u16(input)?;
    let (input, error_wire) = if type_ == OFPET_EXPERIMENTER {
        let (input, experimenter) = wire::u32(input)?;
        (
            input,
            ErrorWire::Experimenter {
                experimenter,
                exp_type: code,
            },
        )
    } else {
        (input, ErrorWire::Standard { type_, code })
    };
    // OVS cannot print an error it does not know and calls that a length
    // fault.
    let Some(error) = OfpError::from_wire(error_wire) else {
        return wire::fail(BadRequestCode::BadLen);
    };
    Ok((
        &[],
        ErrorMsg {
            error,
            data: input.to_vec(),
        },
    ))
}

/// Text with non-printable bytes as `\ooo`, as OVS's `ds_put_printable`.
fn put_printable(out: &mut String, data: &[u8]) {
    for &b in data {
        if (0x20..0x7f).contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("\\{b:03o}"));
        }
    }
}

impl ErrorMsg {
    /// The error a switch sends for `request`, quoting all of it that
    /// fits in one message: OVS 3.1 quotes flow-mods and group-mods of 72
    /// to 200 bytes whole.
    pub fn reply_to(error: OfpError, request: &[u8]) -> ErrorMsg {
        // The error's own header (8) and type and code (4).
        let room = usize::from(u16::MAX) - 12;
        ErrorMsg {
            error,
            data: request.get(..room).unwrap_or(request).to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::BadMatchCode;

    #[test]
    fn standard_and_experimenter_errors_round_trip() {
        for error in [
            OfpError::from(BadMatchCode::BadPrereq),
            OfpError::from(BadRequestCode::NxNxmInvalid),
        ] {
            let msg = ErrorMsg {
                error,
                data: vec![1, 2, 3],
            };
            let mut out = BytesMut::new();
            msg.encode(&mut out);
            assert_eq!(ErrorMsg::decode(&out), Ok(msg));
        }
    }

    #[test]
    fn unknown_codes_are_length_faults_as_in_ovs() {
        assert_eq!(
            ErrorMsg::decode(&[0, 4, 0, 99]),
            Err(BadRequestCode::BadLen.into())
        );
    }

    #[test]
    fn replies_quote_the_whole_request_as_ovs_3_1_does() {
        let request = [7u8; 100];
        let reply = ErrorMsg::reply_to(BadRequestCode::BadType.into(), &request);
        assert_eq!(reply.data.len(), 100);
    }

    #[test]
    fn hello_failure_text_escapes_control_bytes() {
        let mut out = String::new();
        put_printable(&mut out, b"AB\n");
        assert_eq!(out, "AB\\012");
    }
}
