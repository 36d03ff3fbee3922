//! Views of the L2 headers the datapath reads: Ethernet (with 802.1Q and
//! 802.1ad tags) and ARP. L3/L4 views (IPv4, IPv6, TCP, UDP, ICMP) come from
//! `conntrack::wire`, so that each header is described once.
//!
//! Same shape as those: a private `field` module of byte ranges, a
//! `Packet`/`Frame` view with one checked constructor, and accessors that
//! cannot go out of bounds once it has succeeded.

pub mod arp;
pub mod ethernet;

pub use conntrack::wire::Error;
pub(crate) use conntrack::wire::{array, be16, be32};

/// What a view constructor returns.
pub type Result<T> = core::result::Result<T, Error>;

/// Ethertypes the datapath knows by name.
pub mod ethertype {
    pub const IPV4: u16 = 0x0800;
    pub const ARP: u16 = 0x0806;
    pub const RARP: u16 = 0x8035;
    pub const VLAN: u16 = 0x8100;
    pub const QINQ: u16 = 0x88a8;
    pub const IPV6: u16 = 0x86dd;
    pub const MPLS: u16 = 0x8847;
    pub const MPLS_MCAST: u16 = 0x8848;
    /// The smallest value that is an ethertype rather than an 802.3 length.
    pub const MIN: u16 = 0x0600;
    /// OVS's `FLOW_DL_TYPE_NONE`: an 802.3 frame with no ethertype.
    pub const NONE: u16 = 0x05ff;
}
