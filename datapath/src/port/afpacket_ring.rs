//! The memory-mapped rings of an `afpacket` port's socket (`TPACKET_V2`,
//! packet(7)): a receive ring the kernel copies frames into and a transmit
//! ring it takes frames from, both shared with it through one mapping.
//! Every `unsafe` block that touches the mapping lives here.
//!
//! Why V2 and not V3: a V3 ring hands frames over a block at a time, and a
//! block is only handed over when full or when its timer (a millisecond at
//! least) expires, which delays every frame of a slow flow (a TCP
//! connection's ACKs) by that much; V2 hands each frame over as soon as it
//! is written. A V2 slot has a fixed size, sized for the interface's MTU:
//! a longer frame (a GSO super-frame) is queued whole on the socket as well
//! (`PACKET_COPY_THRESH`), its slot marked `TP_STATUS_COPY`, and read from
//! there in its turn; the virtio-net header (`PACKET_VNET_HDR`) comes with
//! frames either way.
//!
//! Receiving reads slots the kernel marked `TP_STATUS_USER`, with no system
//! call, and gives them back; transmitting fills free slots and sends the
//! batch with one `send()`, which the kernel goes through without yielding
//! the CPU between frames (unlike `sendmmsg`, which may reschedule after
//! each, handing the CPU to the receiver it just woke, frame after frame).
//!
//! Every slot header is input from the kernel: offsets and lengths are
//! checked against the slot before anything is read.

use std::io;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering::Acquire, Ordering::Release};
use std::sync::Arc;

use super::vnet_hdr;

/// Where a slot's `struct sockaddr_ll` starts: after the
/// `tpacket2_hdr`, aligned to `TPACKET_ALIGNMENT`.
const SLL_OFFSET: usize = 32;
/// `sll_pkttype` within `struct sockaddr_ll`.
const SLL_PKTTYPE: usize = 10;
/// Where the data of a transmit slot starts: `TPACKET2_HDRLEN` less the
/// `sockaddr_ll` (packet(7), frames sent without `PACKET_TX_HAS_OFF`).
const TX_DATA: usize = 32;
/// The kernel puts a received frame at least this far into its slot (the
/// header, the address, the virtio-net header, alignment): slots are sized
/// with this much room before the frame.
const RX_HEADROOM: usize = 128;
/// Blocks the rings are made of, a power of two of pages.
const BLOCK: usize = 64 << 10;
/// The `sll_pkttype` of a frame this host sent.
const PACKET_OUTGOING: u8 = 4;
/// The 802.1Q TPID, for a tag whose TPID the kernel does not report.
const ETH_P_8021Q: u16 = 0x8100;

/// The shape of one ring: `frames` slots of `frame_size` bytes, in blocks
/// of `block_size`; both sizes are powers of two, so slots tile blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    pub frame_size: usize,
    pub frames: usize,
    pub block_size: usize,
}

impl Geometry {
    /// A ring of about `frames` slots (whole blocks, at most `max_bytes`
    /// of them, at least one block) each holding `frame_len` bytes after
    /// the kernel's headroom.
    pub fn new(frame_len: usize, frames: usize, max_bytes: usize) -> Geometry {
        let frame_size = (RX_HEADROOM + frame_len).next_power_of_two();
        let block_size = frame_size.max(BLOCK);
        let per_block = block_size / frame_size;
        let blocks = frames
            .min(max_bytes / frame_size)
            .div_ceil(per_block)
            .max(1);
        Geometry {
            frame_size,
            frames: blocks * per_block,
            block_size,
        }
    }

    /// The ring's size in bytes.
    pub fn len(&self) -> usize {
        self.frames * self.frame_size
    }

    /// The request that sets the ring up (`PACKET_RX_RING`,
    /// `PACKET_TX_RING`), or `None` if a size does not fit its field.
    pub fn request(&self) -> Option<libc::tpacket_req> {
        let narrow = |n: usize| libc::c_uint::try_from(n).ok();
        Some(libc::tpacket_req {
            tp_block_size: narrow(self.block_size)?,
            tp_block_nr: narrow(self.len() / self.block_size)?,
            tp_frame_size: narrow(self.frame_size)?,
            tp_frame_nr: narrow(self.frames)?,
        })
    }
}

/// The socket's rings mapped into our memory (the receive ring first,
/// then the transmit ring, as the kernel lays them out); unmapped on drop.
#[derive(Debug)]
pub struct Mapping {
    base: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is plain shared memory. Each ring's slots are only
// touched through an `RxRing` or `TxRing` (one of each per mapping, which
// need `&mut self` to read or write slots), and a slot's status word, the
// only part the kernel and we both write, is accessed atomically.
unsafe impl Send for Mapping {}
// SAFETY: as above; `&Mapping` gives no access to the memory.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Maps the rings of socket `fd`, whose sizes add up to `len`.
    pub fn new(fd: libc::c_int, len: usize) -> io::Result<Mapping> {
        // SAFETY: a fresh shared mapping of the socket's rings, at an
        // address the kernel picks; `len` is their exact total size
        // (the kernel refuses any other).
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let base = NonNull::new(base.cast::<u8>())
            .ok_or_else(|| io::Error::other("mmap returned a null mapping"))?;
        Ok(Mapping { base, len })
    }

    /// The slot at byte `offset`, `size` bytes, if it lies in the mapping.
    fn slot(&self, offset: usize, size: usize) -> Option<NonNull<u8>> {
        let end = offset.checked_add(size)?;
        if end > self.len {
            return None;
        }
        // SAFETY: `offset + size` is within the mapping, so the pointer
        // stays inside the same allocation.
        Some(unsafe { self.base.add(offset) })
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `base` and `len` are the mapping `new` made; the rings
        // that borrowed slots are gone (they hold an `Arc` of it).
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.len) };
    }
}

/// The status word of `slot` (from `map.slot`), shared with the kernel.
fn status(map: &Mapping, slot: NonNull<u8>) -> &AtomicU32 {
    let _ = map;
    // SAFETY: `slot` lies in `map`, whose borrow bounds the reference;
    // a slot starts with `tp_status`, a u32 at a 16-byte aligned address,
    // which the kernel also accesses with single aligned loads and stores.
    unsafe { slot.cast::<AtomicU32>().as_ref() }
}

/// What one receive slot holds.
#[derive(Debug, PartialEq, Eq)]
pub enum RxSlot<'a> {
    /// A frame, its virtio-net header first, and the VLAN tag (TPID,
    /// TCI) the kernel took off it.
    Frame {
        bytes: &'a [u8],
        vlan: Option<(u16, u16)>,
    },
    /// A frame too long for its slot, waiting whole on the socket; `own`
    /// if this host sent it (to be read there and skipped).
    OnSocket { own: bool },
    /// A frame this host sent (kernels before 4.20 deliver them), to skip.
    Own,
    /// A frame cut short or a slot whose header does not add up.
    Broken,
}

/// The receive ring.
#[derive(Debug)]
pub struct RxRing {
    map: Arc<Mapping>,
    geometry: Geometry,
    /// The next slot to look at.
    head: usize,
}

/// `struct tpacket2_hdr`'s fields a receiver reads, at their offsets.
mod rx_field {
    pub const LEN: usize = 4;
    pub const SNAPLEN: usize = 8;
    pub const MAC: usize = 12;
    pub const VLAN_TCI: usize = 24;
    pub const VLAN_TPID: usize = 26;
}

fn u32_at(slot: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(slot.get(at..at + 4)?.try_into().ok()?))
}

fn u16_at(slot: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(slot.get(at..at + 2)?.try_into().ok()?))
}

/// What a slot the kernel handed over (`status`, and the slot's bytes,
/// from its header on) holds.
pub fn parse_rx_slot(status: u32, slot: &[u8]) -> RxSlot<'_> {
    let own = slot.get(SLL_OFFSET + SLL_PKTTYPE) == Some(&PACKET_OUTGOING);
    if status & libc::TP_STATUS_COPY != 0 {
        return RxSlot::OnSocket { own };
    }
    let parsed = (|| {
        let len = usize::try_from(u32_at(slot, rx_field::LEN)?).ok()?;
        let snaplen = usize::try_from(u32_at(slot, rx_field::SNAPLEN)?).ok()?;
        let mac = usize::from(u16_at(slot, rx_field::MAC)?);
        if snaplen != len || mac < SLL_OFFSET + vnet_hdr::LEN {
            return None;
        }
        let start = mac - vnet_hdr::LEN;
        let bytes = slot.get(start..mac.checked_add(snaplen)?)?;
        Some(bytes)
    })();
    let Some(bytes) = parsed else {
        return RxSlot::Broken;
    };
    if own {
        return RxSlot::Own;
    }
    let vlan = (status & libc::TP_STATUS_VLAN_VALID != 0).then(|| {
        let tpid = if status & libc::TP_STATUS_VLAN_TPID_VALID != 0 {
            u16_at(slot, rx_field::VLAN_TPID).unwrap_or(ETH_P_8021Q)
        } else {
            ETH_P_8021Q
        };
        (tpid, u16_at(slot, rx_field::VLAN_TCI).unwrap_or(0))
    });
    RxSlot::Frame { bytes, vlan }
}

impl RxRing {
    pub fn new(map: Arc<Mapping>, geometry: Geometry) -> RxRing {
        RxRing {
            map,
            geometry,
            head: 0,
        }
    }

    /// Gives `each` the slots the kernel has filled, in order, up to
    /// `max` of them, and hands each back to the kernel after; returns
    /// how many were taken.
    pub fn receive(&mut self, max: usize, mut each: impl FnMut(RxSlot<'_>)) -> usize {
        let size = self.geometry.frame_size;
        let mut taken = 0;
        while taken < max {
            let Some(slot) = self.map.slot(self.head * size, size) else {
                break;
            };
            let word = status(&self.map, slot);
            let status = word.load(Acquire);
            if status & libc::TP_STATUS_USER == 0 {
                break;
            }
            {
                // SAFETY: the slot lies in the mapping (`Mapping::slot`),
                // and with TP_STATUS_USER set the kernel has finished
                // writing it (the acquire load orders our reads after its
                // writes) and leaves it, status word included, alone until
                // we store TP_STATUS_KERNEL below, after this borrow ends.
                let bytes = unsafe { std::slice::from_raw_parts(slot.as_ptr(), size) };
                each(parse_rx_slot(status, bytes));
            }
            word.store(libc::TP_STATUS_KERNEL, Release);
            self.head = (self.head + 1) % self.geometry.frames;
            taken += 1;
        }
        taken
    }
}

/// The transmit ring.
#[derive(Debug)]
pub struct TxRing {
    map: Arc<Mapping>,
    /// Where the ring starts in the mapping (after the receive ring).
    offset: usize,
    geometry: Geometry,
    /// The next slot to fill.
    head: usize,
    /// Slots filled and not yet seen taken by the kernel, the oldest at
    /// `head - pending` (the kernel's own position in the ring).
    pending: usize,
    /// Their frames' lengths, oldest first.
    pending_lens: std::collections::VecDeque<usize>,
}

impl TxRing {
    pub fn new(map: Arc<Mapping>, offset: usize, geometry: Geometry) -> TxRing {
        TxRing {
            map,
            offset,
            geometry,
            head: 0,
            pending: 0,
            pending_lens: std::collections::VecDeque::new(),
        }
    }

    fn slot(&self, index: usize) -> Option<NonNull<u8>> {
        let size = self.geometry.frame_size;
        self.map.slot(self.offset + index * size, size)
    }

    /// The longest frame (virtio-net header included) a slot holds.
    pub fn capacity(&self) -> usize {
        self.geometry.frame_size - TX_DATA
    }

    /// Frames filled and not yet taken by the kernel.
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// Copies `hdr` and `frame` into the next slot and marks it for
    /// sending; `false` when they do not fit a slot or the kernel still
    /// holds it (the ring is full).
    pub fn push(&mut self, hdr: &[u8; vnet_hdr::LEN], frame: &[u8]) -> bool {
        let len = vnet_hdr::LEN + frame.len();
        let Ok(tp_len) = u32::try_from(len) else {
            return false;
        };
        if len > self.capacity() {
            return false;
        }
        let Some(slot) = self.slot(self.head) else {
            return false;
        };
        let word = status(&self.map, slot);
        if word.load(Acquire) != libc::TP_STATUS_AVAILABLE {
            return false;
        }
        // SAFETY: the slot lies in the mapping and is AVAILABLE: the
        // kernel neither reads nor writes it until we store
        // TP_STATUS_SEND_REQUEST below, after this borrow ends. The slice
        // starts after the status word, which stays atomic.
        let bytes = unsafe {
            std::slice::from_raw_parts_mut(slot.as_ptr().add(4), self.geometry.frame_size - 4)
        };
        let data = TX_DATA - 4;
        let Some(field) = bytes.get_mut(0..4) else {
            return false;
        };
        field.copy_from_slice(&tp_len.to_ne_bytes());
        let Some(out) = bytes.get_mut(data..data + len) else {
            return false;
        };
        let (head, body) = out.split_at_mut(vnet_hdr::LEN);
        head.copy_from_slice(hdr);
        body.copy_from_slice(frame);
        word.store(libc::TP_STATUS_SEND_REQUEST, Release);
        self.head = (self.head + 1) % self.geometry.frames;
        self.pending += 1;
        self.pending_lens.push_back(frame.len());
        true
    }

    /// After a `send()`: the lengths of the frames the kernel has taken
    /// since the last call, oldest first, given to `sent`.
    pub fn reap(&mut self, mut sent: impl FnMut(usize)) {
        while self.pending > 0 {
            let oldest = (self.head + self.geometry.frames - self.pending) % self.geometry.frames;
            let taken = self.slot(oldest).is_none_or(|slot| {
                status(&self.map, slot).load(Acquire) != libc::TP_STATUS_SEND_REQUEST
            });
            if !taken {
                break;
            }
            self.pending -= 1;
            sent(self.pending_lens.pop_front().unwrap_or(0));
        }
    }

    /// Takes back the frames the kernel has not taken (the interface
    /// refused to send), oldest first, giving their lengths to `dropped`;
    /// their slots are free again.
    pub fn discard(&mut self, mut dropped: impl FnMut(usize)) {
        while self.pending > 0 {
            self.head = (self.head + self.geometry.frames - 1) % self.geometry.frames;
            if let Some(slot) = self.slot(self.head) {
                status(&self.map, slot).store(libc::TP_STATUS_AVAILABLE, Release);
            }
            self.pending -= 1;
        }
        for len in self.pending_lens.drain(..) {
            dropped(len);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_tile_whole_blocks_within_the_byte_limit() {
        let g = Geometry::new(1500 + 32, 4096, 64 << 20);
        assert_eq!(g.frame_size, 2048);
        assert_eq!(g.frames, 4096);
        assert_eq!(g.len() % g.block_size, 0);
        let jumbo = Geometry::new(9000 + 32, 4096, 16 << 20);
        assert_eq!(jumbo.frame_size, 16384);
        assert_eq!(jumbo.frames, 1024);
        // A slot bigger than a block makes blocks of one slot.
        let huge = Geometry::new(100_000, 1, 1);
        assert_eq!((huge.block_size, huge.frames), (huge.frame_size, 1));
        let req = g.request().unwrap();
        assert_eq!((req.tp_block_nr, req.tp_frame_nr), (128, 4096));
    }

    /// A receive slot as the kernel writes it:
    /// `frame` at `mac`, `snaplen` and `len` as given.
    fn rx_slot(frame: &[u8], mac: u16, len: u32, pkttype: u8) -> Vec<u8> {
        let mut s = vec![0u8; 2048];
        s[rx_field::LEN..rx_field::LEN + 4].copy_from_slice(&len.to_ne_bytes());
        s[rx_field::SNAPLEN..rx_field::SNAPLEN + 4]
            .copy_from_slice(&(frame.len() as u32).to_ne_bytes());
        s[rx_field::MAC..rx_field::MAC + 2].copy_from_slice(&mac.to_ne_bytes());
        s[rx_field::VLAN_TCI..rx_field::VLAN_TCI + 2].copy_from_slice(&0x0064u16.to_ne_bytes());
        s[rx_field::VLAN_TPID..rx_field::VLAN_TPID + 2].copy_from_slice(&0x88a8u16.to_ne_bytes());
        s[SLL_OFFSET + SLL_PKTTYPE] = pkttype;
        let at = usize::from(mac);
        if let Some(dst) = s.get_mut(at..at + frame.len()) {
            dst.copy_from_slice(frame);
        }
        s
    }

    #[test]
    fn a_received_slot_gives_its_frame_and_header() {
        let frame = [7u8; 60];
        let s = rx_slot(&frame, 76, 60, 0);
        let RxSlot::Frame { bytes, vlan } = parse_rx_slot(libc::TP_STATUS_USER, &s) else {
            panic!("not a frame");
        };
        assert_eq!(bytes.len(), vnet_hdr::LEN + 60);
        assert_eq!(&bytes[vnet_hdr::LEN..], &frame);
        assert_eq!(vlan, None);
        let tagged = libc::TP_STATUS_USER | libc::TP_STATUS_VLAN_VALID;
        let RxSlot::Frame { vlan, .. } = parse_rx_slot(tagged, &s) else {
            panic!("not a frame");
        };
        assert_eq!(vlan, Some((0x8100, 0x64)));
        let RxSlot::Frame { vlan, .. } =
            parse_rx_slot(tagged | libc::TP_STATUS_VLAN_TPID_VALID, &s)
        else {
            panic!("not a frame");
        };
        assert_eq!(vlan, Some((0x88a8, 0x64)));
    }

    #[test]
    fn slots_that_do_not_add_up_are_broken_not_a_panic() {
        let frame = [7u8; 60];
        let user = libc::TP_STATUS_USER;
        // Cut short by its slot, without a copy on the socket.
        assert_eq!(
            parse_rx_slot(user, &rx_slot(&frame, 76, 3000, 0)),
            RxSlot::Broken
        );
        // The frame would start inside the slot header, or run past it.
        assert_eq!(
            parse_rx_slot(user, &rx_slot(&frame, 8, 60, 0)),
            RxSlot::Broken
        );
        let past = rx_slot(&frame, 2000, 60, 0);
        assert_eq!(parse_rx_slot(user, &past), RxSlot::Broken);
        assert_eq!(parse_rx_slot(user, &past[..20]), RxSlot::Broken);
        assert_eq!(parse_rx_slot(user, &[]), RxSlot::Broken);
        // Copied whole to the socket, and our own frames.
        let copied = user | libc::TP_STATUS_COPY;
        assert_eq!(parse_rx_slot(copied, &[]), RxSlot::OnSocket { own: false });
        let own = rx_slot(&frame, 76, 60, PACKET_OUTGOING);
        assert_eq!(parse_rx_slot(user, &own), RxSlot::Own);
        assert_eq!(parse_rx_slot(copied, &own), RxSlot::OnSocket { own: true });
    }
}
