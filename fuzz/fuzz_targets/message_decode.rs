//! `Message::decode` on arbitrary bytes: it must not panic, and whatever it
//! accepts must encode to bytes that decode to the same message.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use openflow_codec::message::Message;

fuzz_target!(|data: &[u8]| {
    if let Ok((header, message)) = Message::decode(data) {
        let mut out = BytesMut::new();
        message.encode(header.xid, &mut out);
        let again = Message::decode(&out).map(|(_, m)| m);
        assert_eq!(again, Ok(message));
    }
});
