//! The field registry: every field ctswitch can match on or write, defined
//! once, and everything that follows from that one definition.
//!
//! * [`registry`]: the table of [`FieldDef`]s (names, aliases, NXM/OXM
//!   codes, width, maskability, prerequisites, writability, text format,
//!   storage view) and lookups by name and by header.
//! * [`Flow`] ([`flow`], laid out by [`layout`]): every field's value as one
//!   flat image; [`Match`] ([`matching`]): values plus mask.
//! * [`oxm`]: the OpenFlow 1.3 `ofp_match` encoding, byte-identical to
//!   ovs-ofctl's; [`display`]: matches printed as ovs-ofctl prints them;
//!   [`text`]: `key=value` match syntax; [`format`]: value text forms;
//!   [`subfield`]: `NXM_NX_REG0[0..15]` syntax; [`manpage`]: the
//!   `ctswitch-fields(7)` page, written from the registry;
//!   [`tun_metadata`]: the variable-width tunnel options, kept out of line.
//!
//! This crate knows nothing of actions, messages or packets.

pub mod display;
pub mod error;
pub mod flow;
pub mod format;
pub mod header;
pub mod layout;
pub mod manpage;
pub mod matching;
pub mod oxm;
pub mod packet;
pub mod port;
pub mod prereq;
pub mod registry;
pub mod subfield;
pub mod text;
pub mod tun_metadata;

pub use error::FieldError;
pub use flow::{Flow, Value};
pub use format::Format;
pub use header::{OxmHeader, RawHeader};
pub use matching::Match;
pub use prereq::Prereq;
pub use registry::{
    field, field_by_any_name, field_by_header, field_by_name, field_by_wire_name, FieldDef,
    FieldId, FIELDS,
};
pub use subfield::Subfield;
