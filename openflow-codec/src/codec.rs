//! Framing OpenFlow messages on a byte stream: a tokio-util
//! [`Decoder`]/[`Encoder`] that cuts the stream at `ofp_header.length` and
//! decodes each frame, and encodes messages with their xid. It holds no
//! connection state; the handshake, echo and error replies belong to the
//! connection's own state machine.

use bytes::{Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::message::{DecodeError, Header, Message, HEADER_LEN};

/// One frame read from the stream: its header, its bytes (an error reply
/// quotes them) and what they decode to.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub header: Header,
    pub raw: Bytes,
    pub message: Result<Message, DecodeError>,
}

/// Why the stream cannot be read further.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// A header claims a length shorter than the header itself: there is no
    /// way to find the next message, so the connection must close.
    #[error("OpenFlow message length {0} is shorter than its header")]
    BadLength(u16),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// The codec. Lengths are 16-bit on the wire, so a frame never exceeds
/// 64 KiB and the buffer never grows past that per message.
#[derive(Debug, Clone, Copy, Default)]
pub struct OfpCodec;

impl Decoder for OfpCodec {
    type Item = Frame;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, CodecError> {
        let Some(header) = Header::peek(src) else {
            src.reserve(HEADER_LEN);
            return Ok(None);
        };
        let length = usize::from(header.length);
        if length < HEADER_LEN {
            return Err(CodecError::BadLength(header.length));
        }
        if src.len() < length {
            src.reserve(length - src.len());
            return Ok(None);
        }
        let raw = src.split_to(length).freeze();
        let message = Message::decode(&raw).map(|(_, message)| message);
        Ok(Some(Frame {
            header,
            raw,
            message,
        }))
    }
}

impl Encoder<(u32, Message)> for OfpCodec {
    type Error = CodecError;

    fn encode(
        &mut self,
        (xid, message): (u32, Message),
        dst: &mut BytesMut,
    ) -> Result<(), CodecError> {
        message.encode(xid, dst);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::echo::Echo;

    #[test]
    fn frames_split_at_the_header_length() {
        let mut codec = OfpCodec;
        let mut buf = BytesMut::new();
        codec
            .encode(
                (7, Message::EchoRequest(Echo { data: vec![1, 2] })),
                &mut buf,
            )
            .ok();
        codec.encode((8, Message::BarrierRequest), &mut buf).ok();
        let first = codec.decode(&mut buf).ok().flatten();
        assert_eq!(
            first.map(|f| (f.header.xid, f.message)),
            Some((7, Ok(Message::EchoRequest(Echo { data: vec![1, 2] }))))
        );
        let second = codec.decode(&mut buf).ok().flatten();
        assert_eq!(second.map(|f| f.header.xid), Some(8));
        assert!(matches!(codec.decode(&mut buf), Ok(None)));
    }

    #[test]
    fn partial_frames_wait_for_more_bytes() {
        let mut buf = BytesMut::from(&[4u8, 2, 0, 10, 0, 0, 0, 1, 9][..]);
        assert!(matches!(OfpCodec.decode(&mut buf), Ok(None)));
        buf.extend_from_slice(&[9]);
        assert!(matches!(OfpCodec.decode(&mut buf), Ok(Some(_))));
    }

    #[test]
    fn lengths_below_the_header_are_fatal() {
        let mut buf = BytesMut::from(&[4u8, 2, 0, 4, 0, 0, 0, 1][..]);
        assert!(matches!(
            OfpCodec.decode(&mut buf),
            Err(CodecError::BadLength(4))
        ));
    }
}
