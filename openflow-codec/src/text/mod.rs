//! The ovs-ofctl text syntax of whole flows: [`flow_mod`] parses flow
//! strings into flow-mods, [`protocols`] says which protocols can carry
//! them. Match syntax lives in `nxm_fields`, action syntax in
//! [`crate::action`].

pub mod flow_mod;
pub mod group_mod;
pub mod meter_mod;
pub mod protocols;
