//! OpenFlow 1.3 and Nicira-extension wire formats, and the ovs-ofctl text
//! syntax for them.
//!
//! * [`error`]: OFPT_ERROR types and codes; every decode fault is one of them.
//! * [`message`]: every OpenFlow 1.3 message and the Nicira messages, decoded
//!   from `&[u8]` and encoded into `BytesMut`, and printed as
//!   `ovs-ofctl ofp-print` prints them.
//! * [`action`] and [`instruction`]: OF1.3 and Nicira actions (each one type
//!   with its decode, encode, parse and format side by side) and instructions.
//! * [`text`]: flow strings as `ovs-ofctl add-flow` reads them.
//! * [`codec`]: a tokio `Decoder`/`Encoder` that frames messages on a stream.
//!
//! Match fields are not defined here: they come from `nxm-fields`.

pub mod action;
pub mod codec;
pub mod error;
pub mod instruction;
pub mod message;
pub mod text;
