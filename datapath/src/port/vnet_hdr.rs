//! The virtio-net header that an AF_PACKET socket with `PACKET_VNET_HDR`
//! puts before every frame it receives and expects before every frame it
//! sends (`struct virtio_net_hdr` of `<linux/virtio_net.h>`, 10 bytes, in
//! the host's byte order for the legacy layout packet sockets use).
//!
//! It carries what the kernel knows about a frame beyond its bytes: that
//! its L4 checksum is only partial (`NEEDS_CSUM`, the sender's stack left
//! it for an offload to fill, which is what veths do by default), and that
//! it is a GSO super-frame to be cut into segments of `gso_size`. On
//! receive, [`complete_checksum`] fills a partial checksum so that
//! conntrack and the far end see a valid one; on transmit, [`for_transmit`]
//! describes a frame longer than the MTU as a TCP super-frame so that the
//! kernel segments it for the interface.

use conntrack::wire::checksum;

use super::RxFrame;

/// The header's length on the wire.
pub const LEN: usize = 10;

/// `VIRTIO_NET_HDR_F_NEEDS_CSUM`: checksum from `csum_start` to the end,
/// store it at `csum_start + csum_offset`.
pub const F_NEEDS_CSUM: u8 = 1;
/// `VIRTIO_NET_HDR_F_DATA_VALID`: the kernel validated the checksum
/// (the frame's `CHECKSUM_UNNECESSARY`).
pub const F_DATA_VALID: u8 = 2;
/// `VIRTIO_NET_HDR_GSO_TCPV4`.
pub const GSO_TCPV4: u8 = 1;
/// `VIRTIO_NET_HDR_GSO_TCPV6`.
pub const GSO_TCPV6: u8 = 4;
/// `VIRTIO_NET_HDR_GSO_ECN`: the segment carries CWR, set on the first
/// segment only.
pub const GSO_ECN: u8 = 0x80;

mod field {
    use core::ops::Range;
    pub const FLAGS: usize = 0;
    pub const GSO_TYPE: usize = 1;
    pub const HDR_LEN: Range<usize> = 2..4;
    pub const GSO_SIZE: Range<usize> = 4..6;
    pub const CSUM_START: Range<usize> = 6..8;
    pub const CSUM_OFFSET: Range<usize> = 8..10;
}

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: [u16; 2] = [0x8100, 0x88a8];
const IPPROTO_TCP: u8 = 6;
const TCP_CHECKSUM_OFFSET: u16 = 16;
const TCP_FLAGS_OFFSET: usize = 13;
const TCP_CWR: u8 = 0x80;

/// A parsed virtio-net header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VnetHdr {
    pub flags: u8,
    pub gso_type: u8,
    pub hdr_len: u16,
    pub gso_size: u16,
    pub csum_start: u16,
    pub csum_offset: u16,
}

fn ne16(bytes: &[u8; LEN], range: core::ops::Range<usize>) -> u16 {
    let mut out = [0u8; 2];
    if let Some(src) = bytes.get(range) {
        out.copy_from_slice(src);
    }
    u16::from_ne_bytes(out)
}

impl VnetHdr {
    /// Reads the header at the front of `bytes`, if there is one.
    pub fn parse(bytes: &[u8]) -> Option<VnetHdr> {
        let raw: &[u8; LEN] = bytes.get(..LEN)?.try_into().ok()?;
        Some(VnetHdr {
            flags: raw[field::FLAGS],
            gso_type: raw[field::GSO_TYPE],
            hdr_len: ne16(raw, field::HDR_LEN),
            gso_size: ne16(raw, field::GSO_SIZE),
            csum_start: ne16(raw, field::CSUM_START),
            csum_offset: ne16(raw, field::CSUM_OFFSET),
        })
    }

    /// The header's bytes.
    pub fn emit(&self) -> [u8; LEN] {
        let mut out = [0u8; LEN];
        out[field::FLAGS] = self.flags;
        out[field::GSO_TYPE] = self.gso_type;
        out[field::HDR_LEN].copy_from_slice(&self.hdr_len.to_ne_bytes());
        out[field::GSO_SIZE].copy_from_slice(&self.gso_size.to_ne_bytes());
        out[field::CSUM_START].copy_from_slice(&self.csum_start.to_ne_bytes());
        out[field::CSUM_OFFSET].copy_from_slice(&self.csum_offset.to_ne_bytes());
        out
    }
}

/// Why a frame could not be handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// The header's checksum offsets point outside the frame.
    BadChecksumOffsets,
    /// Longer than the MTU and not a TCP segment the kernel can cut.
    TooLong,
}

/// Fills the checksum `hdr` says is partial: the field already holds the
/// pseudo-header sum, so the complement of the sum from `csum_start` to
/// the end is the checksum. Frames without `NEEDS_CSUM` are left alone.
pub fn complete_checksum(hdr: &VnetHdr, frame: &mut [u8]) -> Result<(), FrameError> {
    if hdr.flags & F_NEEDS_CSUM == 0 {
        return Ok(());
    }
    let start = usize::from(hdr.csum_start);
    let at = start + usize::from(hdr.csum_offset);
    let covered = frame.get(start..).ok_or(FrameError::BadChecksumOffsets)?;
    if at + 2 > frame.len() {
        return Err(FrameError::BadChecksumOffsets);
    }
    let mut sum = checksum::checksum(covered);
    // UDP sends a computed 0 as 0xffff (0 means "no checksum").
    if sum == 0 {
        sum = 0xffff;
    }
    let field = frame
        .get_mut(at..at + 2)
        .ok_or(FrameError::BadChecksumOffsets)?;
    field.copy_from_slice(&sum.to_be_bytes());
    Ok(())
}

/// Where a TCP segment's headers are in a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TcpLayout {
    gso_type: u8,
    l3: usize,
    l4: usize,
    payload: usize,
}

fn be16(frame: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(frame.get(at..at + 2)?.try_into().ok()?))
}

/// The layout of an Ethernet (one optional VLAN tag) + IPv4/IPv6 + TCP
/// frame, or `None` for anything else (IPv6 extension headers included).
fn tcp_layout(frame: &[u8]) -> Option<TcpLayout> {
    let mut l3 = 14;
    let mut ethertype = be16(frame, 12)?;
    if ETHERTYPE_VLAN.contains(&ethertype) {
        ethertype = be16(frame, 16)?;
        l3 = 18;
    }
    let (gso_type, l4) = match ethertype {
        ETHERTYPE_IPV4 => {
            let ihl = usize::from(frame.get(l3)? & 0x0f) * 4;
            (*frame.get(l3 + 9)? == IPPROTO_TCP && ihl >= 20).then_some((GSO_TCPV4, l3 + ihl))?
        }
        ETHERTYPE_IPV6 => (*frame.get(l3 + 6)? == IPPROTO_TCP).then_some((GSO_TCPV6, l3 + 40))?,
        _ => return None,
    };
    let doff = usize::from(frame.get(l4 + 12)? >> 4) * 4;
    let payload = l4 + doff;
    (doff >= 20 && payload <= frame.len()).then_some(TcpLayout {
        gso_type,
        l3,
        l4,
        payload,
    })
}

/// The pseudo-header sum of the TCP segment at `layout`, folded but not
/// complemented: what a partial checksum field holds.
fn pseudo_sum(frame: &[u8], layout: &TcpLayout) -> Option<u16> {
    let l4_len = u32::try_from(frame.len() - layout.l4).ok()?;
    let (src, dst) = match layout.gso_type {
        GSO_TCPV4 => (
            frame.get(layout.l3 + 12..layout.l3 + 16)?,
            frame.get(layout.l3 + 16..layout.l3 + 20)?,
        ),
        _ => (
            frame.get(layout.l3 + 8..layout.l3 + 24)?,
            frame.get(layout.l3 + 24..layout.l3 + 40)?,
        ),
    };
    Some(checksum::fold(checksum::pseudo_header(
        src,
        dst,
        IPPROTO_TCP,
        l4_len,
    )))
}

/// Whether `frame` fits an interface of MTU `mtu` as it is (its Ethernet
/// header and one VLAN tag aside).
pub fn fits_mtu(frame: &[u8], mtu: usize) -> bool {
    let l2 = match be16(frame, 12) {
        Some(t) if ETHERTYPE_VLAN.contains(&t) => 18,
        _ => 14,
    };
    frame.len() <= mtu + l2
}

/// The header for a frame of `len` bytes that fits the MTU, sent from a
/// transmit ring: no offload, and `hdr_len` the whole frame, so that the
/// kernel copies all of it rather than pointing into the ring slot, which
/// it hands back as soon as the frame's socket is detached (a veth peer's
/// stack does that on receipt), before the frame is gone.
pub fn copied_whole(len: usize) -> [u8; LEN] {
    VnetHdr {
        hdr_len: u16::try_from(len).unwrap_or(u16::MAX),
        ..VnetHdr::default()
    }
    .emit()
}

/// The header to send `frame` with on an interface of MTU `mtu`: none
/// for a frame that fits; for a longer TCP frame a GSO request cutting it
/// into MTU-sized segments, its checksum field turned back into the
/// partial sum the kernel completes per segment.
pub fn for_transmit(frame: &mut [u8], mtu: usize) -> Result<VnetHdr, FrameError> {
    if fits_mtu(frame, mtu) {
        return Ok(VnetHdr::default());
    }
    let layout = tcp_layout(frame).ok_or(FrameError::TooLong)?;
    let cwr = frame
        .get(layout.l4 + TCP_FLAGS_OFFSET)
        .is_some_and(|f| f & TCP_CWR != 0);
    let ecn = if cwr { GSO_ECN } else { 0 };
    let headers = layout.payload - layout.l3;
    let gso_size = mtu.checked_sub(headers).filter(|&s| s > 0);
    let gso_size = gso_size.ok_or(FrameError::TooLong)?;
    let partial = pseudo_sum(frame, &layout).ok_or(FrameError::TooLong)?;
    let at = layout.l4 + usize::from(TCP_CHECKSUM_OFFSET);
    frame
        .get_mut(at..at + 2)
        .ok_or(FrameError::TooLong)?
        .copy_from_slice(&partial.to_be_bytes());
    let narrow = |n: usize| u16::try_from(n).map_err(|_| FrameError::TooLong);
    Ok(VnetHdr {
        flags: F_NEEDS_CSUM,
        gso_type: layout.gso_type | ecn,
        hdr_len: narrow(layout.payload)?,
        gso_size: narrow(gso_size)?,
        csum_start: narrow(layout.l4)?,
        csum_offset: TCP_CHECKSUM_OFFSET,
    })
}

/// Puts back the 802.1Q/802.1ad tag (`tpid`, `tci`) the kernel took off
/// a received frame (it hands it aside, in `PACKET_AUXDATA`, when the
/// interface offloads VLAN tags): `buf` holds the virtio-net header and
/// the frame, `len` bytes of it; the tag goes after the two addresses and
/// a partial checksum's offsets move with the bytes behind it. Returns the
/// new length, or `None` if the frame is too short or `buf` too small.
pub fn insert_vlan(buf: &mut [u8], len: usize, tpid: u16, tci: u16) -> Option<usize> {
    const ADDRS: usize = 12;
    const TAG: usize = 4;
    let at = LEN + ADDRS;
    if len < at || len + TAG > buf.len() {
        return None;
    }
    let mut hdr = VnetHdr::parse(buf)?;
    buf.copy_within(at..len, at + TAG);
    buf.get_mut(at..at + 2)?
        .copy_from_slice(&tpid.to_be_bytes());
    buf.get_mut(at + 2..at + TAG)?
        .copy_from_slice(&tci.to_be_bytes());
    if hdr.flags & F_NEEDS_CSUM != 0 {
        hdr.csum_start = hdr.csum_start.checked_add(TAG as u16)?;
    }
    if hdr.hdr_len != 0 {
        hdr.hdr_len = hdr.hdr_len.checked_add(TAG as u16)?;
    }
    buf.get_mut(..LEN)?.copy_from_slice(&hdr.emit());
    Some(len + TAG)
}

/// The frame after the virtio-net header at the start of `received`,
/// its partial checksum completed; `None` when the header does not fit it.
/// Its checksum is known good if the kernel says so, or if the completed
/// one is a TCP segment's, whole (see [`completes_tcp_segment`]).
pub fn received_frame(received: &[u8]) -> Option<RxFrame> {
    let hdr = VnetHdr::parse(received)?;
    let mut data = received.get(LEN..)?.to_vec();
    complete_checksum(&hdr, &mut data).ok()?;
    let csum_ok = hdr.flags & F_DATA_VALID != 0 || completes_tcp_segment(&hdr, &data);
    Some(RxFrame { data, csum_ok })
}

/// Whether the partial checksum `hdr` asks for is the TCP checksum of
/// `frame`'s segment as its IP header bounds it (the segment runs to the
/// frame's end, no padding after it). Then completing it made exactly
/// the checksum a receiver checks; a partial checksum anywhere else (set
/// by a raw sender, say) tells nothing of the segment's.
fn completes_tcp_segment(hdr: &VnetHdr, frame: &[u8]) -> bool {
    if hdr.flags & F_NEEDS_CSUM == 0 || hdr.csum_offset != TCP_CHECKSUM_OFFSET {
        return false;
    }
    let Some(layout) = tcp_layout(frame) else {
        return false;
    };
    let ip_end = match layout.gso_type {
        GSO_TCPV4 => be16(frame, layout.l3 + 2).map(|len| layout.l3 + usize::from(len)),
        // No extension headers (see `tcp_layout`): the payload is the segment.
        _ => be16(frame, layout.l3 + 4).map(|len| layout.l4 + usize::from(len)),
    };
    layout.l4 == usize::from(hdr.csum_start) && ip_end == Some(frame.len())
}

/// [`received_frame`] of `received` with the VLAN tag (`tpid`, `tci`)
/// the kernel took off it put back (see [`insert_vlan`]).
pub fn received_tagged_frame(received: &[u8], tpid: u16, tci: u16) -> Option<RxFrame> {
    const TAG: usize = 4;
    let mut buf = Vec::with_capacity(received.len() + TAG);
    buf.extend_from_slice(received);
    buf.resize(received.len() + TAG, 0);
    let len = insert_vlan(&mut buf, received.len(), tpid, tci)?;
    received_frame(buf.get(..len)?)
}

/// Fills `buffer` with `frame` behind the header to send it with on an
/// interface of MTU `mtu` (see [`for_transmit`]).
pub fn frame_for_transmit(
    frame: &[u8],
    mtu: usize,
    buffer: &mut Vec<u8>,
) -> Result<(), FrameError> {
    buffer.clear();
    buffer.extend_from_slice(&[0; LEN]);
    buffer.extend_from_slice(frame);
    let body = buffer.get_mut(LEN..).ok_or(FrameError::TooLong)?;
    let hdr = for_transmit(body, mtu)?;
    buffer
        .get_mut(..LEN)
        .ok_or(FrameError::TooLong)?
        .copy_from_slice(&hdr.emit());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ethernet + IPv4 (10.0.0.1 → 10.0.0.2) + TCP with `payload` bytes.
    fn tcp4(payload: usize) -> Vec<u8> {
        let mut f = vec![0u8; 14 + 20 + 20 + payload];
        f[12..14].copy_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
        f[14] = 0x45;
        f[23] = IPPROTO_TCP;
        f[26..30].copy_from_slice(&[10, 0, 0, 1]);
        f[30..34].copy_from_slice(&[10, 0, 0, 2]);
        f[34 + 12] = 5 << 4;
        for (i, b) in f[54..].iter_mut().enumerate() {
            *b = i as u8;
        }
        f
    }

    fn tcp_is_valid(f: &[u8]) -> bool {
        let l4_len = (f.len() - 34) as u32;
        let acc = checksum::pseudo_header(&f[26..30], &f[30..34], IPPROTO_TCP, l4_len);
        checksum::verify(acc, &f[34..])
    }

    #[test]
    fn header_round_trips_in_host_order() {
        let hdr = VnetHdr {
            flags: F_NEEDS_CSUM,
            gso_type: GSO_TCPV4,
            hdr_len: 54,
            gso_size: 1448,
            csum_start: 34,
            csum_offset: 16,
        };
        assert_eq!(VnetHdr::parse(&hdr.emit()), Some(hdr));
        assert_eq!(VnetHdr::parse(&[0; 9]), None);
    }

    #[test]
    fn a_partial_tcp_checksum_is_completed() {
        let mut f = tcp4(1000);
        let layout = tcp_layout(&f).unwrap();
        let partial = pseudo_sum(&f, &layout).unwrap();
        f[50..52].copy_from_slice(&partial.to_be_bytes());
        assert!(!tcp_is_valid(&f));
        let hdr = VnetHdr {
            flags: F_NEEDS_CSUM,
            csum_start: 34,
            csum_offset: 16,
            ..VnetHdr::default()
        };
        complete_checksum(&hdr, &mut f).unwrap();
        assert!(tcp_is_valid(&f));
    }

    #[test]
    fn offsets_outside_the_frame_are_an_error_not_a_panic() {
        let mut f = tcp4(0);
        let hdr = VnetHdr {
            flags: F_NEEDS_CSUM,
            csum_start: 53,
            csum_offset: 16,
            ..VnetHdr::default()
        };
        assert_eq!(
            complete_checksum(&hdr, &mut f),
            Err(FrameError::BadChecksumOffsets)
        );
        let untouched = f.clone();
        complete_checksum(&VnetHdr::default(), &mut f).unwrap();
        assert_eq!(f, untouched);
    }

    #[test]
    fn a_vlan_tag_goes_back_after_the_addresses_and_moves_the_checksum() {
        let frame = tcp4(100);
        let hdr = VnetHdr {
            flags: F_NEEDS_CSUM,
            csum_start: 14 + 20,
            csum_offset: TCP_CHECKSUM_OFFSET,
            ..VnetHdr::default()
        };
        let mut buf = hdr.emit().to_vec();
        buf.extend_from_slice(&frame);
        // The frame as it would be without the tag, checksum completed.
        let untagged = received_frame(&buf).unwrap().data;
        let len = buf.len();
        let original = buf.clone();
        buf.resize(len + 64, 0);
        let new_len = insert_vlan(&mut buf, len, 0x8100, 0x2064).unwrap();
        assert_eq!(new_len, len + 4);
        let tagged = received_frame(&buf[..new_len]).unwrap().data;
        let mut expected = untagged[..12].to_vec();
        expected.extend_from_slice(&[0x81, 0x00, 0x20, 0x64]);
        expected.extend_from_slice(&untagged[12..]);
        assert_eq!(tagged, expected);
        assert_eq!(
            received_tagged_frame(&original, 0x8100, 0x2064).map(|f| f.data),
            Some(expected)
        );
        assert_eq!(received_tagged_frame(&original[..LEN + 6], 0x8100, 1), None);
        // No room, or no addresses: refused, nothing panics.
        let mut full = buf[..new_len].to_vec();
        assert_eq!(insert_vlan(&mut full, new_len, 0x8100, 1), None);
        assert_eq!(insert_vlan(&mut buf, LEN + 6, 0x8100, 1), None);
    }

    /// [`received_frame`]'s verdict on the checksum of `frame` (an IPv4
    /// TCP segment) received behind `hdr`, `padding` bytes after it.
    fn known_good(flags: u8, csum_start: u16, csum_offset: u16, padding: usize) -> bool {
        let mut frame = tcp4(100);
        let ip_len = (frame.len() - 14) as u16;
        frame[16..18].copy_from_slice(&ip_len.to_be_bytes());
        frame.resize(frame.len() + padding, 0);
        let hdr = VnetHdr {
            flags,
            csum_start,
            csum_offset,
            ..VnetHdr::default()
        };
        let mut buf = hdr.emit().to_vec();
        buf.extend_from_slice(&frame);
        received_frame(&buf).unwrap().csum_ok
    }

    #[test]
    fn a_checksum_is_known_good_when_the_kernel_checked_it_or_we_made_it() {
        let tcp = TCP_CHECKSUM_OFFSET;
        assert!(known_good(F_DATA_VALID, 0, 0, 0));
        assert!(known_good(F_NEEDS_CSUM, 34, tcp, 0));
        // Nothing said, or a partial checksum that is not the segment's.
        assert!(!known_good(0, 0, 0, 0));
        assert!(!known_good(F_NEEDS_CSUM, 14, tcp, 0));
        assert!(!known_good(F_NEEDS_CSUM, 34, 6, 0));
        assert!(!known_good(F_NEEDS_CSUM, 34, tcp, 4));
    }

    #[test]
    fn frames_within_the_mtu_need_no_header() {
        let mut f = tcp4(1460);
        assert_eq!(for_transmit(&mut f, 1500), Ok(VnetHdr::default()));
    }

    #[test]
    fn a_tcp_super_frame_is_cut_to_the_mtu_with_a_partial_checksum() {
        let mut f = tcp4(10_000);
        let hdr = for_transmit(&mut f, 1500).unwrap();
        assert_eq!(hdr.gso_type, GSO_TCPV4);
        assert_eq!(hdr.gso_size, 1460);
        assert_eq!(hdr.hdr_len, 54);
        assert_eq!((hdr.csum_start, hdr.csum_offset), (34, 16));
        // Completing the partial sum gives the full segment's checksum.
        complete_checksum(&hdr, &mut f).unwrap();
        assert!(tcp_is_valid(&f));

        let mut cwr = tcp4(10_000);
        cwr[34 + 13] |= 0x80;
        assert_eq!(
            for_transmit(&mut cwr, 1500).unwrap().gso_type,
            GSO_TCPV4 | GSO_ECN
        );
    }

    #[test]
    fn an_oversized_frame_that_is_not_tcp_is_too_long() {
        let mut f = tcp4(2000);
        f[23] = 17;
        assert_eq!(for_transmit(&mut f, 1500), Err(FrameError::TooLong));
        let mut short = vec![0u8; 3000];
        assert_eq!(for_transmit(&mut short, 1500), Err(FrameError::TooLong));
    }
}
