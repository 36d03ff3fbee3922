//! The tokio codec on an arbitrary byte stream fed in arbitrary chunks: it
//! must not panic, must consume exactly the framed bytes, and must never
//! hold more than one message's worth of unread input per frame.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use openflow_codec::codec::OfpCodec;
use tokio_util::codec::Decoder;

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, stream)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk).max(1);
    let mut codec = OfpCodec;
    let mut buf = BytesMut::new();
    let mut framed = 0usize;
    for piece in stream.chunks(chunk) {
        buf.extend_from_slice(piece);
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(frame)) => framed += frame.raw.len(),
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
    assert_eq!(framed + buf.len(), stream.len());
});
