//! OFPT_ECHO_REQUEST and OFPT_ECHO_REPLY: an arbitrary payload.

use std::fmt::Write;

use bytes::{BufMut, BytesMut};

use super::print::hex_dump;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Echo {
    pub data: Vec<u8>,
}

impl Echo {
    pub fn decode(body: &[u8]) -> Echo {
        Echo {
            data: body.to_vec(),
        }
    }

    pub fn encode(&self, out: &mut BytesMut) {
        out.put_slice(&self.data);
    }

    pub fn format(&self, out: &mut String) {
        let _ = writeln!(out, " {} bytes of payload", self.data.len());
        hex_dump(out, &self.data);
    }
}
