//! The `tap` port: a tap interface the switch creates (or attaches to),
//! whose frames the host's stack (or whatever namespace the interface is
//! moved to) sends and receives. It exchanges a virtio-net header with
//! each frame, as the afpacket port does: partial checksums are
//! completed on receive, and TCP super-frames longer than the MTU go out
//! as GSO requests the kernel cuts. A poll reads until the device is
//! empty or the batch is full.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::Mutex;

use super::afpacket_socket::MAX_FRAME;
use super::interface::{interface_mac, interface_mtu};
use super::tap_device::TapDevice;
use super::vnet_hdr;
use super::{lock, Port, PortState, RxFrame};

/// A port on a tap interface.
#[derive(Debug)]
pub struct TapPort {
    device: TapDevice,
    mtu: usize,
    /// The interface's Ethernet address when the port was opened.
    hw_addr: [u8; 6],
    /// The receive buffer, and the transmit one.
    rx: Mutex<Vec<u8>>,
    tx: Mutex<Vec<u8>>,
    state: PortState,
}

impl TapPort {
    /// Creates (or attaches to) tap interface `name`. Like OVS's internal
    /// ports, it starts administratively down: `ip link set NAME up`.
    pub fn open(name: &str) -> io::Result<TapPort> {
        let device =
            TapDevice::open(name).map_err(|e| io::Error::new(e.kind(), format!("{name}: {e}")))?;
        let mtu = interface_mtu(device.name())?;
        let hw_addr = interface_mac(device.name());
        Ok(TapPort {
            device,
            mtu,
            hw_addr,
            rx: Mutex::new(vec![0; vnet_hdr::LEN + MAX_FRAME]),
            tx: Mutex::new(Vec::new()),
            state: PortState::default(),
        })
    }
}

impl Port for TapPort {
    fn name(&self) -> &str {
        self.device.name()
    }

    fn rx_fd(&self, queue: usize) -> Option<BorrowedFd<'_>> {
        (queue == 0).then(|| self.device.as_fd())
    }

    fn receive(&self, batch: &mut Vec<RxFrame>, max: usize) -> usize {
        let mut buf = lock(&self.rx);
        let mut taken = 0;
        while taken < max {
            let len = match self.device.read(&mut buf) {
                Ok(Some(len)) => len,
                Ok(None) | Err(_) => break,
            };
            if !self.is_up() {
                continue;
            }
            let frame = buf.get(..len).and_then(vnet_hdr::received_frame);
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
        let mut buf = lock(&self.tx);
        let sent = vnet_hdr::frame_for_transmit(frame, self.mtu, &mut buf)
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidData))
            .and_then(|()| self.device.write(&buf));
        self.state.counters.sent(sent, frame.len());
    }

    fn state(&self) -> &PortState {
        &self.state
    }

    fn hw_addr(&self) -> [u8; 6] {
        self.hw_addr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tap_is_created_with_its_name_and_is_idle() {
        let name = format!("ctswt{}", std::process::id());
        let port = match TapPort::open(&name) {
            Ok(port) => port,
            // Without CAP_NET_ADMIN (not root) or /dev/net/tun: skipped.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::PermissionDenied | io::ErrorKind::NotFound
                ) =>
            {
                return;
            }
            Err(e) => panic!("{e}"),
        };
        assert_eq!(port.name(), name);
        assert!(port.mtu >= 1280, "{}", port.mtu);
        let mut batch = Vec::new();
        assert_eq!(port.receive(&mut batch, 32), 0);
    }

    #[test]
    fn bad_names_are_refused_before_any_system_call() {
        for name in ["", "a-name-far-too-long", "nul\0"] {
            let err = TapPort::open(name).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{name:?}: {err}");
        }
    }
}
