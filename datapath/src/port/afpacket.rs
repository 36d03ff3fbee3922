//! The `afpacket` port: a Linux interface (a veth end, a NIC) reached
//! through an AF_PACKET socket (`afpacket_socket`).
//!
//! Receiving takes a batch from the socket's receive ring (or with one
//! system call where the kernel grants no ring), completes the partial
//! checksums the kernel's offloads leave (a veth with its default
//! settings leaves every TCP checksum partial) and hands whole frames,
//! GSO super-frames included, to the datapath. Transmitting puts the
//! frame in the transmit ring (or a queue); the ring goes out when a
//! batch is in it and whenever the packet thread polls the port again,
//! so a batch that the datapath forwards leaves as a batch. The system
//! call that sends the ring is made by a thread of the port's own (see
//! `Kicker`), because the kernel delivers the frames within it. A frame
//! longer than the MTU goes out at once, after what the ring holds, as a
//! TCP super-frame the kernel cuts to the MTU, or is dropped.
//!
//! A port may have several receive queues, one socket each, joined in a
//! `PACKET_FANOUT` group that spreads frames by their flow's symmetric
//! hash: each packet thread reads its own queue, and every frame of a
//! connection, both ways, comes to the same one, in order. Frames go out
//! through the first socket.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::atomic::{
    AtomicBool, AtomicU64, Ordering::AcqRel, Ordering::Acquire, Ordering::Relaxed,
    Ordering::Release,
};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::afpacket_ring::{RxRing, RxSlot, TxRing};
use super::afpacket_socket::{interface_index, PacketSocket, RingRequest, MAX_FRAME};
use super::interface::{interface_carrier, interface_mac, interface_mtu};
use super::vnet_hdr;
use super::{lock, Port, PortState, PortStats, RxFrame};

/// Frames received per system call at most.
const RX_BATCH: usize = 32;
/// Frames queued for transmission before the queue is sent.
const TX_BATCH: usize = 32;
/// Receive ring slots per queue: bursts that arrive while the packet
/// thread is off the CPU wait there (2048 slots: 12 ms of 64-byte frames
/// at 170k a second). No more: the kernel fills the slot given back
/// longest ago, so in a ring much larger than the cache each slot it
/// checks and fills misses it. With 4096 slots (8 MiB a ring at MTU 1500)
/// one TCP stream through the switch was 13% slower (netns-throughput.sh).
const RX_RING_FRAMES: usize = 2048;
/// Transmit ring slots; the kernel hands each back once the frame has
/// been given to the interface's peer. A batch is handed to the port's
/// transmit thread every `TX_BATCH` frames; the ring holds what arrives
/// while that thread waits for a core (4 ms at 250k frames a second). A
/// full ring drops frames: with 256 slots, the TCP transfers of the netns
/// firewall tests stalled in 2 runs of 3.
const TX_RING_FRAMES: usize = 1024;
/// The most memory one ring takes (jumbo MTUs get fewer slots).
const RING_MAX_BYTES: usize = 32 << 20;
/// Room in a ring slot beyond the MTU: the Ethernet header, two VLAN
/// tags and the virtio-net header.
const RING_FRAME_EXTRA: usize = 14 + 8 + vnet_hdr::LEN;

#[derive(Debug)]
struct RxState {
    /// The receive ring, when the kernel granted one.
    ring: Option<RxRing>,
    /// Receive buffers: a batch of them without a ring, one with (for the
    /// frames too long for a ring slot).
    slots: Vec<Vec<u8>>,
    filled: Vec<(usize, usize)>,
}

/// A receive queue: a socket and its buffers.
#[derive(Debug)]
struct RxQueue {
    socket: PacketSocket,
    state: Mutex<RxState>,
}

#[derive(Debug, Default)]
struct TxQueue {
    /// The transmit ring, when the kernel granted one.
    ring: Option<TxRing>,
    /// With the ring, the socket that sends the frames too long for its
    /// slots (the ring's socket sends nothing but the ring).
    sender: Option<PacketSocket>,
    /// Reused buffers, each a virtio-net header and a frame: frames
    /// queued without a ring; with one, the super-frame being sent.
    buffers: Vec<Vec<u8>>,
    queued: usize,
}

/// A port on a Linux interface.
#[derive(Debug)]
pub struct AfPacketPort {
    name: String,
    mtu: usize,
    /// The interface's Ethernet address when the port was opened.
    hw_addr: [u8; 6],
    /// At least one; the first also transmits.
    queues: Vec<RxQueue>,
    tx: Mutex<TxQueue>,
    /// Whether `tx` may hold frames, or frames sent but not yet counted:
    /// every poll of the port flushes, and most polls find nothing to do,
    /// so they skip the lock (which the packet thread forwarding to this
    /// port holds while it queues).
    tx_pending: Arc<AtomicBool>,
    state: PortState,
    /// Frames the kernel dropped before the port could read them.
    kernel_drops: AtomicU64,
    /// Sends the transmit ring's batches from a thread of its own.
    kicker: Option<Kicker>,
}

/// A thread that sends the transmit ring when asked. Sending a batch runs
/// the kernel's whole delivery of its frames (the veth's peer, and on a
/// veth the receiving namespace's IP and TCP) in the sender's context:
/// done here, it runs on another core than the packet thread that queued
/// them, which then only copies frames in. The frames go out in ring
/// order whoever sends; the packet thread counts them when it next
/// flushes the port (`pending` tells it to).
#[derive(Debug)]
struct Kicker {
    thread: JoinHandle<()>,
    asked: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
}

impl Kicker {
    /// Starts the thread, with its own descriptor of the ring's socket.
    fn start(socket: PacketSocket, name: &str, pending: Arc<AtomicBool>) -> io::Result<Kicker> {
        let asked = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::Builder::new()
            .name(format!("tx-{name}"))
            .spawn({
                let (asked, stop) = (Arc::clone(&asked), Arc::clone(&stop));
                move || {
                    while !stop.load(Acquire) {
                        if !asked.swap(false, AcqRel) {
                            std::thread::park();
                            continue;
                        }
                        // Until the ring is empty (a send that sent
                        // nothing): a send stops early when the socket's
                        // buffer is full, and then waits for room. Frames
                        // the kernel refuses outright stay in the ring,
                        // where the packet thread meets them when it is
                        // full, and drops them.
                        loop {
                            match socket.kick() {
                                Ok(0) => break,
                                Ok(_) => pending.store(true, Release),
                                Err(e) if transient(e.kind()) && !stop.load(Acquire) => {
                                    socket.wait_writable()
                                }
                                Err(_) => break,
                            }
                        }
                    }
                }
            })?;
        Ok(Kicker {
            thread,
            asked,
            stop,
        })
    }

    /// Has the thread send the ring (soon, if it is sending already).
    fn ask(&self) {
        if !self.asked.swap(true, AcqRel) {
            self.thread.thread().unpark();
        }
    }

    fn stop(self) {
        self.stop.store(true, Release);
        self.thread.thread().unpark();
        let _ = self.thread.join();
    }
}

impl AfPacketPort {
    /// Opens interface `name` with one receive queue.
    pub fn open(name: &str) -> io::Result<Self> {
        Self::open_queues(name, 1)
    }

    /// Opens interface `name` with `queues` receive queues (at least one),
    /// spread by flow (see the module). The fanout group is named after
    /// the interface's index. A frame that arrives while the sockets are
    /// being joined may reach more than one of them, once.
    pub fn open_queues(name: &str, queues: usize) -> io::Result<Self> {
        Self::open_with(name, queues, true)
    }

    /// [`AfPacketPort::open_queues`], with the sockets' rings if `rings`
    /// and the kernel grants them.
    fn open_with(name: &str, queues: usize, rings: bool) -> io::Result<Self> {
        if name.is_empty() || name.contains('/') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{name:?} is not an interface name"),
            ));
        }
        let named = |e: io::Error| io::Error::new(e.kind(), format!("{name}: {e}"));
        // The interface first: a missing one is "No such device", as
        // users know it from ip(8), not sysfs's missing file.
        let index = interface_index(name).map_err(named)?;
        let mtu = interface_mtu(name)?;
        let mut tx_ring = None;
        let queues = (0..queues.max(1))
            .map(|index| {
                let request = rings.then_some(RingRequest {
                    frame_len: mtu + RING_FRAME_EXTRA,
                    rx_frames: RX_RING_FRAMES,
                    // Frames go out through the first socket only.
                    tx_frames: if index == 0 { TX_RING_FRAMES } else { 0 },
                    max_bytes: RING_MAX_BYTES,
                });
                let (socket, rings) = PacketSocket::open(name, request).map_err(named)?;
                let (rx_ring, slots) = match rings {
                    Some(rings) => {
                        if index == 0 {
                            tx_ring = rings.tx;
                        }
                        (Some(rings.rx), 1)
                    }
                    None => (None, RX_BATCH),
                };
                Ok(RxQueue {
                    socket,
                    state: Mutex::new(RxState {
                        ring: rx_ring,
                        slots: vec![vec![0u8; MAX_FRAME]; slots],
                        filled: Vec::with_capacity(RX_BATCH),
                    }),
                })
            })
            .collect::<io::Result<Vec<RxQueue>>>()?;
        if queues.len() > 1 {
            // Group ids are 16 bits: of two interfaces whose indexes share
            // their low 16 bits, the second is refused several queues.
            let group = (index & 0xffff) as u16;
            for queue in &queues {
                queue.socket.join_fanout(group).map_err(named)?;
            }
        }
        let hw_addr = interface_mac(name);
        let tx_pending = Arc::new(AtomicBool::new(false));
        let kicker = match (&tx_ring, queues.first()) {
            (Some(_), Some(first)) => {
                let socket = first.socket.try_clone().map_err(named)?;
                Some(Kicker::start(socket, name, Arc::clone(&tx_pending)).map_err(named)?)
            }
            _ => None,
        };
        Ok(AfPacketPort {
            kicker,
            name: name.to_string(),
            mtu,
            hw_addr,
            queues,
            tx: Mutex::new(TxQueue {
                sender: match tx_ring {
                    Some(_) => Some(PacketSocket::open_sender(name).map_err(named)?),
                    None => None,
                },
                ring: tx_ring,
                ..TxQueue::default()
            }),
            tx_pending,
            state: PortState::default(),
            kernel_drops: AtomicU64::new(0),
        })
    }

    /// The interface's MTU when the port was opened.
    pub fn mtu(&self) -> usize {
        self.mtu
    }

    /// Whether the port moves frames through rings (else batched system
    /// calls): on every kernel since 3.14, unless it refused the memory.
    pub fn uses_rings(&self) -> bool {
        lock(&self.tx).ring.is_some() && self.queues.iter().all(|q| lock(&q.state).ring.is_some())
    }

    fn flush_locked(&self, tx: &mut TxQueue) {
        // Cleared first: a kicker that sends after this sets it again.
        self.tx_pending.store(false, Release);
        if let Some(ring) = tx.ring.as_mut() {
            self.send_ring(ring);
        }
        self.send_queued(tx);
    }

    /// Has the ring's frames sent: by the kicker if there is one (counting
    /// those it has sent so far), else at once.
    fn send_ring(&self, ring: &mut TxRing) {
        match &self.kicker {
            Some(kicker) => {
                let counters = &self.state.counters;
                ring.reap(|len| counters.transmitted(len));
                if ring.pending() > 0 {
                    kicker.ask();
                }
            }
            None => self.kick(ring),
        }
    }

    /// Sends the frames in the transmit ring, counting them; when the
    /// kernel refuses the whole ring (the interface went down), they are
    /// dropped; when the socket's buffer is full, they wait for the next
    /// kick, after up to a millisecond's wait for room.
    fn kick(&self, ring: &mut TxRing) {
        let Some(first) = self.queues.first() else {
            return;
        };
        let counters = &self.state.counters;
        for attempt in 0..2 {
            if ring.pending() == 0 {
                return;
            }
            if attempt > 0 {
                first.socket.wait_writable();
            }
            let outcome = first.socket.kick();
            ring.reap(|len| counters.transmitted(len));
            if outcome.is_err_and(|e| !transient(e.kind())) {
                ring.discard(|_| counters.tx_dropped());
                return;
            }
        }
    }

    /// Sends the frames queued in buffers.
    fn send_queued(&self, tx: &mut TxQueue) {
        if tx.queued == 0 {
            return;
        }
        let queued = tx.buffers.get(..tx.queued).unwrap_or_default();
        let socket = match (&tx.sender, self.queues.first()) {
            (Some(sender), _) => sender,
            (None, Some(first)) => &first.socket,
            (None, None) => return,
        };
        socket.send_batch(queued, |buffer, sent| {
            if sent {
                self.state
                    .counters
                    .transmitted(buffer.len().saturating_sub(vnet_hdr::LEN));
            } else {
                self.state.counters.tx_dropped();
            }
        });
        tx.queued = 0;
    }

    /// Receives from `queue`'s ring into `batch`; how many frames were
    /// taken.
    fn receive_ring(
        &self,
        socket: &PacketSocket,
        rx: &mut RxState,
        batch: &mut Vec<RxFrame>,
        max: usize,
    ) -> usize {
        let RxState {
            ring,
            slots,
            filled,
        } = rx;
        let Some(ring) = ring.as_mut() else {
            return 0;
        };
        let up = self.is_up();
        let counters = &self.state.counters;
        let mut taken = 0;
        ring.receive(max, |slot| {
            let frame = match slot {
                RxSlot::Frame { bytes, vlan: None } => vnet_hdr::received_frame(bytes),
                RxSlot::Frame {
                    bytes,
                    vlan: Some((tpid, tci)),
                } => vnet_hdr::received_tagged_frame(bytes, tpid, tci),
                RxSlot::OnSocket { own } => {
                    // The whole frame is next on the socket.
                    filled.clear();
                    let read = socket.receive_batch(slots, filled);
                    if own {
                        return;
                    }
                    match read {
                        Ok(0) => filled.first().and_then(|&(index, len)| {
                            slots
                                .get(index)
                                .and_then(|s| s.get(..len))
                                .and_then(vnet_hdr::received_frame)
                        }),
                        _ => None,
                    }
                }
                RxSlot::Own => return,
                RxSlot::Broken => None,
            };
            if up && counters.take(frame, batch) {
                taken += 1;
            }
        });
        taken
    }
}

/// Whether a send that failed with `kind` may succeed later (the socket's
/// buffer was full, a signal came): the frames then wait in the ring.
fn transient(kind: io::ErrorKind) -> bool {
    matches!(
        kind,
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted | io::ErrorKind::OutOfMemory
    )
}

impl Port for AfPacketPort {
    fn name(&self) -> &str {
        &self.name
    }

    fn receive(&self, batch: &mut Vec<RxFrame>, max: usize) -> usize {
        self.receive_queue(0, batch, max)
    }

    fn rx_queues(&self) -> usize {
        self.queues.len()
    }

    fn receive_queue(&self, queue: usize, batch: &mut Vec<RxFrame>, max: usize) -> usize {
        self.flush();
        let Some(queue) = self.queues.get(queue) else {
            return 0;
        };
        let mut rx = lock(&queue.state);
        if rx.ring.is_some() {
            return self.receive_ring(&queue.socket, &mut rx, batch, max);
        }
        let RxState { slots, filled, .. } = &mut *rx;
        filled.clear();
        let want = max.min(slots.len());
        let Some(slots) = slots.get_mut(..want) else {
            return 0;
        };
        let truncated = match queue.socket.receive_batch(slots, filled) {
            Ok(n) => n,
            Err(_) => return 0,
        };
        for _ in 0..truncated {
            self.state.counters.rx_dropped();
        }
        if !self.is_up() {
            return 0;
        }
        let mut taken = 0;
        for &(index, len) in filled.iter() {
            let frame = slots
                .get(index)
                .and_then(|s| s.get(..len))
                .and_then(vnet_hdr::received_frame);
            if self.state.counters.take(frame, batch) {
                taken += 1;
            }
        }
        taken
    }

    fn transmit(&self, frame: &[u8]) {
        if !self.is_up() {
            self.state.counters.tx_dropped();
            return;
        }
        let mut tx = lock(&self.tx);
        if let Some(ring) = tx.ring.as_mut() {
            if vnet_hdr::fits_mtu(frame, self.mtu) {
                let hdr = vnet_hdr::copied_whole(frame.len());
                if !ring.push(&hdr, frame) {
                    self.kick(ring);
                    if !ring.push(&hdr, frame) {
                        self.state.counters.tx_dropped();
                        return;
                    }
                }
                self.tx_pending.store(true, Release);
                if ring.pending() >= TX_BATCH {
                    self.send_ring(ring);
                }
                return;
            }
            // A super-frame goes out at once, after the ring's frames.
            self.kick(ring);
        }
        let index = tx.queued;
        if tx.buffers.len() <= index {
            tx.buffers.push(Vec::new());
        }
        let Some(buffer) = tx.buffers.get_mut(index) else {
            self.state.counters.tx_dropped();
            return;
        };
        if vnet_hdr::frame_for_transmit(frame, self.mtu, buffer).is_err() {
            self.state.counters.tx_dropped();
            return;
        }
        tx.queued += 1;
        self.tx_pending.store(true, Release);
        if tx.queued >= TX_BATCH || tx.ring.is_some() {
            self.send_queued(&mut tx);
        }
    }

    /// Sends what is queued.
    fn flush(&self) {
        if !self.tx_pending.load(Acquire) {
            return;
        }
        let mut tx = lock(&self.tx);
        self.flush_locked(&mut tx);
    }

    fn rx_fd(&self, queue: usize) -> Option<BorrowedFd<'_>> {
        self.queues.get(queue).map(|q| q.socket.as_fd())
    }

    fn state(&self) -> &PortState {
        &self.state
    }

    fn hw_addr(&self) -> [u8; 6] {
        self.hw_addr
    }

    /// The counters; `rx_dropped` includes the frames the kernel dropped
    /// because the port did not read them in time, and `tx_packets` the
    /// frames the port's transmit thread has sent so far.
    fn stats(&self) -> PortStats {
        if let Some(ring) = lock(&self.tx).ring.as_mut() {
            let counters = &self.state.counters;
            ring.reap(|len| counters.transmitted(len));
        }
        let new: u64 = self
            .queues
            .iter()
            .map(|q| q.socket.kernel_drops().unwrap_or(0))
            .sum();
        let drops = self.kernel_drops.fetch_add(new, Relaxed) + new;
        let mut stats = self.state.counters.snapshot();
        stats.rx_dropped += drops;
        stats
    }

    fn link_up(&self) -> bool {
        interface_carrier(&self.name)
    }
}

impl Drop for AfPacketPort {
    fn drop(&mut self) {
        if let Some(kicker) = self.kicker.take() {
            kicker.stop();
        }
        self.flush();
    }
}

#[cfg(test)]
#[path = "afpacket_tests.rs"]
mod tests;
