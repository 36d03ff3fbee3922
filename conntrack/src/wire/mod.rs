//! Views of the L3/L4 headers the tracker reads: IPv4, IPv6 (with its
//! extension headers), TCP (with its options), UDP, ICMPv4 and ICMPv6.
//!
//! Every header has the same shape, after smoltcp's `wire` module: a
//! private `field` module of byte ranges, a `Packet<T: AsRef<[u8]>>` view
//! whose one checked constructor validates lengths so that the accessors
//! cannot go out of bounds, setters where `T: AsMut<[u8]>`, and a plain
//! `Repr` with `parse`, `emit` and `buffer_len`. The views know nothing of
//! connection tracking: the datapath reuses them, and the NAT rewrites use
//! the incremental helpers of [`checksum`].

pub mod checksum;
pub mod compose;
pub mod icmpv4;
pub mod icmpv6;
pub mod ipv4;
pub mod ipv6;
pub mod tcp;
pub mod udp;

/// IP protocol numbers the tracker knows by name.
pub mod ip_proto {
    pub const HOPOPTS: u8 = 0;
    pub const ICMP: u8 = 1;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
    pub const IPV6_ROUTING: u8 = 43;
    pub const IPV6_FRAGMENT: u8 = 44;
    pub const ESP: u8 = 50;
    pub const AH: u8 = 51;
    pub const ICMPV6: u8 = 58;
    pub const IPV6_NONXT: u8 = 59;
    pub const IPV6_DSTOPTS: u8 = 60;
}

/// Why a buffer is not a valid header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The buffer is shorter than the header (or than a length it declares).
    #[error("truncated header")]
    Truncated,
    /// A field holds a value the header cannot have (version, lengths).
    #[error("malformed header")]
    Malformed,
    /// The checksum does not match the contents.
    #[error("bad checksum")]
    Checksum,
}

/// What the wire views return.
pub type Result<T> = core::result::Result<T, Error>;

/// Reads a big-endian `u16` at `at` of a buffer that the checked
/// constructor already proved long enough (0 past the end, never a panic).
pub fn be16(data: &[u8], at: usize) -> u16 {
    match data.get(at..at + 2) {
        Some(b) => u16::from_be_bytes([b[0], b[1]]),
        None => 0,
    }
}

/// Reads a big-endian `u32`; see [`be16`].
pub fn be32(data: &[u8], at: usize) -> u32 {
    match data.get(at..at + 4) {
        Some(b) => u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        None => 0,
    }
}

/// Writes a big-endian `u16`; a short buffer is left alone (the checked
/// constructor rules that out).
fn put16(data: &mut [u8], at: usize, value: u16) {
    if let Some(b) = data.get_mut(at..at + 2) {
        b.copy_from_slice(&value.to_be_bytes());
    }
}

/// Writes a big-endian `u32`; see [`put16`].
fn put32(data: &mut [u8], at: usize, value: u32) {
    if let Some(b) = data.get_mut(at..at + 4) {
        b.copy_from_slice(&value.to_be_bytes());
    }
}

/// The byte at `at`, or 0 past the end; see [`be16`].
pub fn byte(data: &[u8], at: usize) -> u8 {
    data.get(at).copied().unwrap_or(0)
}

/// The `N` bytes at `at` (addresses), or zeros past the end; see [`be16`].
pub fn array<const N: usize>(data: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    if let Some(b) = data.get(at..at + N) {
        out.copy_from_slice(b);
    }
    out
}
