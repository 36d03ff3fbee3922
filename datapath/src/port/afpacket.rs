//! The `afpacket` port: a Linux interface (a veth end, a NIC) reached
//! through an AF_PACKET socket (`afpacket_socket`).
//!
//! Receiving takes a batch with one system call, completes the partial
//! checksums the kernel's offloads leave (a veth with its default
//! settings leaves every TCP checksum partial) and hands whole frames,
//! GSO super-frames included, to the datapath. Transmitting queues the
//! frame; the queue goes out with one system call when it is full and
//! whenever the packet thread polls the port again, so a batch that the
//! datapath forwards leaves as a batch. A frame longer than the MTU goes
//! out as a TCP super-frame the kernel cuts to the MTU, or is dropped.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard};

use super::afpacket_socket::{PacketSocket, MAX_FRAME};
use super::interface::{interface_carrier, interface_mtu};
use super::vnet_hdr;
use super::{Port, PortCounters, PortStats};

/// Frames received per system call at most.
const RX_BATCH: usize = 32;
/// Frames queued for transmission before the queue is sent.
const TX_BATCH: usize = 32;

#[derive(Debug)]
struct RxState {
    slots: Vec<Vec<u8>>,
    filled: Vec<(usize, usize)>,
}

#[derive(Debug, Default)]
struct TxQueue {
    /// Reused buffers, each a virtio-net header and a frame.
    buffers: Vec<Vec<u8>>,
    queued: usize,
}

/// A port on a Linux interface.
#[derive(Debug)]
pub struct AfPacketPort {
    name: String,
    mtu: usize,
    socket: PacketSocket,
    up: AtomicBool,
    rx: Mutex<RxState>,
    tx: Mutex<TxQueue>,
    counters: PortCounters,
    /// Frames the kernel dropped before the port could read them.
    kernel_drops: AtomicU64,
}

/// Locks `m`; a poisoned lock holds only buffers, which stay usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl AfPacketPort {
    /// Opens interface `name`.
    pub fn open(name: &str) -> io::Result<Self> {
        if name.is_empty() || name.contains('/') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{name:?} is not an interface name"),
            ));
        }
        let socket = PacketSocket::open(name)
            .map_err(|e| io::Error::new(e.kind(), format!("{name}: {e}")))?;
        let mtu = interface_mtu(name)?;
        Ok(AfPacketPort {
            name: name.to_string(),
            mtu,
            socket,
            up: AtomicBool::new(true),
            rx: Mutex::new(RxState {
                slots: vec![vec![0u8; MAX_FRAME]; RX_BATCH],
                filled: Vec::with_capacity(RX_BATCH),
            }),
            tx: Mutex::new(TxQueue::default()),
            counters: PortCounters::default(),
            kernel_drops: AtomicU64::new(0),
        })
    }

    /// The interface's MTU when the port was opened.
    pub fn mtu(&self) -> usize {
        self.mtu
    }

    /// Sends what is queued.
    pub fn flush(&self) {
        let mut tx = lock(&self.tx);
        self.flush_locked(&mut tx);
    }

    fn flush_locked(&self, tx: &mut TxQueue) {
        if tx.queued == 0 {
            return;
        }
        let queued = tx.buffers.get(..tx.queued).unwrap_or_default();
        self.socket.send_batch(queued, |buffer, sent| {
            if sent {
                self.counters
                    .transmitted(buffer.len().saturating_sub(vnet_hdr::LEN));
            } else {
                self.counters.tx_dropped();
            }
        });
        tx.queued = 0;
    }
}

impl Port for AfPacketPort {
    fn name(&self) -> &str {
        &self.name
    }

    fn receive(&self, batch: &mut Vec<Vec<u8>>, max: usize) -> usize {
        self.flush();
        let mut rx = lock(&self.rx);
        let RxState { slots, filled } = &mut *rx;
        filled.clear();
        let want = max.min(slots.len());
        let Some(slots) = slots.get_mut(..want) else {
            return 0;
        };
        let truncated = match self.socket.receive_batch(slots, filled) {
            Ok(n) => n,
            Err(_) => return 0,
        };
        for _ in 0..truncated {
            self.counters.rx_dropped();
        }
        if !self.is_up() {
            return 0;
        }
        let mut taken = 0;
        for &(index, len) in filled.iter() {
            match slots
                .get(index)
                .and_then(|s| s.get(..len))
                .and_then(vnet_hdr::received_frame)
            {
                Some(frame) => {
                    self.counters.received(frame.len());
                    batch.push(frame);
                    taken += 1;
                }
                None => self.counters.rx_dropped(),
            }
        }
        taken
    }

    fn transmit(&self, frame: &[u8]) {
        if !self.is_up() {
            self.counters.tx_dropped();
            return;
        }
        let mut tx = lock(&self.tx);
        let index = tx.queued;
        if tx.buffers.len() <= index {
            tx.buffers.push(Vec::new());
        }
        let Some(buffer) = tx.buffers.get_mut(index) else {
            self.counters.tx_dropped();
            return;
        };
        if vnet_hdr::frame_for_transmit(frame, self.mtu, buffer).is_err() {
            self.counters.tx_dropped();
            return;
        }
        tx.queued += 1;
        if tx.queued >= TX_BATCH {
            self.flush_locked(&mut tx);
        }
    }

    /// The counters; `rx_dropped` includes the frames the kernel dropped
    /// because the port did not read them in time.
    fn stats(&self) -> PortStats {
        let new = self.socket.kernel_drops().unwrap_or(0);
        let drops = self.kernel_drops.fetch_add(new, Relaxed) + new;
        let mut stats = self.counters.snapshot();
        stats.rx_dropped += drops;
        stats
    }

    fn is_up(&self) -> bool {
        self.up.load(Relaxed)
    }

    fn set_up(&self, up: bool) {
        self.up.store(up, Relaxed);
    }

    fn link_up(&self) -> bool {
        interface_carrier(&self.name)
    }
}

impl Drop for AfPacketPort {
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(test)]
#[path = "afpacket_tests.rs"]
mod tests;
