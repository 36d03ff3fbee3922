//! OFPT_ROLE_REQUEST and OFPT_ROLE_REPLY.

use std::fmt::Write;

use bytes::{BufMut, BytesMut};

use super::wire::{self, Parsed};
use crate::error::{OfpError, RoleRequestFailedCode};

/// `ofp_controller_role`, with OVS's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControllerRole {
    NoChange = 0,
    Equal = 1,
    Primary = 2,
    Secondary = 3,
}

impl ControllerRole {
    fn name(self) -> &'static str {
        match self {
            ControllerRole::NoChange => "nochange",
            ControllerRole::Equal => "equal",
            ControllerRole::Primary => "primary",
            ControllerRole::Secondary => "secondary",
        }
    }
}

/// `ofp_role_request`. A generation id of `u64::MAX` means "none" to OVS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Role {
    pub role: ControllerRole,
    pub generation_id: u64,
}

impl Role {
    pub fn decode(body: &[u8]) -> Result<Role, OfpError> {
        wire::run(body, parse)
    }

    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u32(self.role as u32);
        out.put_u32(0);
        out.put_u64(self.generation_id);
    }

    pub fn format(&self, out: &mut String) {
        let _ = write!(out, " role={}", self.role.name());
        if self.generation_id != u64::MAX {
            let _ = write!(out, " generation_id={}", self.generation_id);
        }
    }
}

fn parse(input: &[u8]) -> Parsed<'_, Role> {
    let (input, role) = wire::u32(input)?;
    let (input, ()) = wire::pad(4)(input)?;
    let (input, generation_id) = wire::u64(input)?;
    let role = match role {
        0 => ControllerRole::NoChange,
        1 => ControllerRole::Equal,
        2 => ControllerRole::Primary,
        3 => ControllerRole::Secondary,
        _ => return wire::fail(RoleRequestFailedCode::BadRole),
    };
    Ok((
        input,
        Role {
            role,
            generation_id,
        },
    ))
}
