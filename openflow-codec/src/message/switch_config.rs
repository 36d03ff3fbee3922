//! OFPT_GET_CONFIG_REPLY and OFPT_SET_CONFIG: fragment handling and
//! miss_send_len.

use std::fmt::Write;

use bytes::{BufMut, BytesMut};

use super::wire::{self, Parsed};
use crate::error::{OfpError, SwitchConfigFailedCode};

/// How IP fragments are handled (`ofp_config_flags`, OVS adds nx-match).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FragMode {
    Normal = 0,
    Drop = 1,
    Reassemble = 2,
    NxMatch = 3,
}

impl FragMode {
    fn name(self) -> &'static str {
        match self {
            FragMode::Normal => "normal",
            FragMode::Drop => "drop",
            FragMode::Reassemble => "reassemble",
            FragMode::NxMatch => "nx-match",
        }
    }
}

/// `ofp_switch_config`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwitchConfig {
    pub frag: FragMode,
    pub miss_send_len: u16,
}

impl SwitchConfig {
    pub fn decode(body: &[u8]) -> Result<SwitchConfig, OfpError> {
        wire::run(body, parse)
    }

    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u16(self.frag as u16);
        out.put_u16(self.miss_send_len);
    }

    pub fn format(&self, out: &mut String) {
        let _ = write!(
            out,
            " frags={} miss_send_len={}",
            self.frag.name(),
            self.miss_send_len
        );
    }
}

fn parse(input: &[u8]) -> Parsed<'_, SwitchConfig> {
    let (input, flags) = wire::u16(input)?;
    let (input, miss_send_len) = wire::u16(input)?;
    let frag = match flags {
        0 => FragMode::Normal,
        1 => FragMode::Drop,
        2 => FragMode::Reassemble,
        3 => FragMode::NxMatch,
        _ => return wire::fail(SwitchConfigFailedCode::BadFlags),
    };
    Ok((
        input,
        SwitchConfig {
            frag,
            miss_send_len,
        },
    ))
}
