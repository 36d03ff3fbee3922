//! Ports: where packets enter and leave the datapath.
//!
//! A [`Port`] is polled by a packet thread for a batch of received frames
//! and asked to transmit frames; it counts both in its [`PortStats`]. The
//! `dummy` port lives in-process (tests, the scenario runner, the control
//! socket's `inject`); the `pcap` port replays one capture file and
//! writes another; the `afpacket` port is a Linux interface, the `tap`
//! port a tap interface the switch makes.

mod afpacket;
mod afpacket_ring;
mod afpacket_socket;
mod dummy;
mod interface;
pub mod pcap;
mod pcap_port;
mod stats;
mod tap;
mod tap_device;
mod vnet_hdr;

use std::os::fd::BorrowedFd;

pub use afpacket::AfPacketPort;
pub use dummy::DummyPort;
pub use pcap_port::PcapPort;
pub use stats::{PortCounters, PortState, PortStats};
pub use tap::TapPort;

/// A frame a port received, and whether its transport checksum is known
/// to be good: the kernel checked it (`VIRTIO_NET_HDR_F_DATA_VALID`), or
/// it was partial and the port completed it over the whole segment.
/// Conntrack does not check such a checksum again.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RxFrame {
    pub data: Vec<u8>,
    pub csum_ok: bool,
}

impl From<Vec<u8>> for RxFrame {
    /// A frame nothing is known about.
    fn from(data: Vec<u8>) -> Self {
        RxFrame {
            data,
            csum_ok: false,
        }
    }
}

/// Locks `m`. A port's locks guard buffers, queues of whole frames and
/// writers between records, all usable after a panic elsewhere, so a
/// poisoned lock is used.
fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Microseconds since the Unix epoch, for capture timestamps.
fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// A datapath port.
pub trait Port: Send + Sync + core::fmt::Debug {
    fn name(&self) -> &str;

    /// Appends up to `max` received frames to `batch`; returns how many.
    /// A port that is down receives nothing.
    fn receive(&self, batch: &mut Vec<RxFrame>, max: usize) -> usize;

    /// How many receive queues the port has, each to be read by one
    /// packet thread; a port with several spreads frames over them by flow.
    fn rx_queues(&self) -> usize {
        1
    }

    /// [`Port::receive`] from receive queue `queue`.
    fn receive_queue(&self, queue: usize, batch: &mut Vec<RxFrame>, max: usize) -> usize {
        if queue == 0 {
            self.receive(batch, max)
        } else {
            0
        }
    }

    /// Sends `frame`; a port that is down drops it (and counts it).
    fn transmit(&self, frame: &[u8]);

    /// Sends what `transmit` queued and has not sent yet. A packet thread
    /// calls it on every port after each round of polls, so that frames
    /// do not wait for the port's own reader, which may be another thread.
    fn flush(&self) {}

    /// A descriptor that polls readable when receive queue `queue` has
    /// frames, for a packet thread with nothing to do to wait on; `None`
    /// for a port that has none (the thread then sleeps a little).
    fn rx_fd(&self, queue: usize) -> Option<BorrowedFd<'_>> {
        let _ = queue;
        None
    }

    /// Whether the port is up, and its counters.
    fn state(&self) -> &PortState;

    fn stats(&self) -> PortStats {
        self.state().counters.snapshot()
    }

    /// Whether the port is administratively up (OpenFlow's PORT_DOWN
    /// config bit, cleared).
    fn is_up(&self) -> bool {
        self.state().is_up()
    }

    fn set_up(&self, up: bool) {
        self.state().set_up(up);
    }

    /// The port's Ethernet address (all zeroes for a port without one).
    fn hw_addr(&self) -> [u8; 6] {
        [0; 6]
    }

    /// Whether the port's link is up (a carrier on a Linux interface);
    /// ports without a link of their own always have one.
    fn link_up(&self) -> bool {
        true
    }
}
