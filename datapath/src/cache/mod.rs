//! The flow cache: a per-thread [`ExactCache`] in front of the shared
//! [`MegaflowTable`], and the ODP key syntax megaflows are dumped in.

mod emc;
mod megaflow;
mod odp_key;

pub use emc::ExactCache;
pub use megaflow::{Megaflow, MegaflowTable};
pub use odp_key::format_key;
