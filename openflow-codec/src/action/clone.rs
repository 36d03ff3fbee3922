//! `clone(ACTIONS)` (NXAST_CLONE): run the nested actions on a copy of the
//! packet, then carry on with the original.

use bytes::{BufMut, BytesMut};

use crate::error::OfpError;

use super::check::CheckCx;
use super::parse::ParseCx;
use super::registry::{Action, ActionType, DecodeCx, Raw};
use super::text::{ParseError, ParseResult};
use super::verify::Outer;
use super::wire::{self, View};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clone {
    pub actions: Vec<Action>,
}

impl ActionType for Clone {
    fn decode(_: Raw, v: View<'_>, cx: &DecodeCx) -> Result<Self, OfpError> {
        let actions = super::decode_nested(v.rest(16)?, cx, Outer::Clone)?;
        Ok(Clone { actions })
    }

    fn encode(&self, out: &mut BytesMut) {
        let start = wire::begin(out, Raw::NxClone);
        out.put_bytes(0, 6);
        super::encode_actions(&self.actions, out);
        wire::set_len(out, start);
    }

    fn format(&self, out: &mut String) {
        out.push_str("clone(");
        super::format_into(&self.actions, out);
        out.push(')');
    }

    fn ofpact_name(&self) -> &'static str {
        "clone"
    }

    fn check(&mut self, cx: &mut CheckCx) -> Result<(), ParseError> {
        cx.nested(|cx| super::check_actions(&mut self.actions, cx))
    }
}

pub(crate) fn parse_clone(arg: &str, cx: &mut ParseCx<'_>) -> ParseResult<()> {
    let actions = cx.nested(arg, Outer::Clone)?;
    cx.push(Clone { actions });
    Ok(())
}
