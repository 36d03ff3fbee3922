//! The tap device under a `tap` port: opening `/dev/net/tun` as a tap
//! (whole Ethernet frames, no packet-information prefix, a virtio-net
//! header before each frame as `vnet_hdr` reads and writes it), and its
//! reads and writes. Every `unsafe` block of the tap port lives here.
//!
//! A tap's descriptor hands over one frame per `read` and takes one per
//! `write`: there is no batched call for it, so the port batches by
//! reading until the device is empty.

use std::io;
use std::mem::zeroed;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// `TUNSETIFF` (`_IOW('T', 202, int)` of `<linux/if_tun.h>`).
const TUNSETIFF: libc::Ioctl = 0x4004_54ca;

/// An open tap device.
#[derive(Debug)]
pub struct TapDevice {
    fd: OwnedFd,
    /// The interface's name as the kernel gave it.
    name: String,
}

fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

impl AsFd for TapDevice {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl TapDevice {
    /// Creates tap interface `name`, or attaches to it if it exists
    /// (persistent, or made by `ip tuntap add NAME mode tap vnet_hdr`).
    /// Non-blocking.
    pub fn open(name: &str) -> io::Result<TapDevice> {
        let bytes = name.as_bytes();
        if bytes.is_empty() || bytes.len() >= libc::IFNAMSIZ || bytes.contains(&0) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{name:?} is not an interface name"),
            ));
        }
        // SAFETY: the path is a NUL-terminated literal; plain system call.
        let raw = check(unsafe {
            libc::open(
                c"/dev/net/tun".as_ptr(),
                libc::O_RDWR | libc::O_NONBLOCK | libc::O_CLOEXEC,
            )
        })?;
        // SAFETY: `raw` is a descriptor we just opened and own alone.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: ifreq is plain data; all zeroes is a valid value.
        let mut ifr: libc::ifreq = unsafe { zeroed() };
        for (dst, &src) in ifr.ifr_name.iter_mut().zip(bytes) {
            *dst = src as libc::c_char;
        }
        ifr.ifr_ifru.ifru_flags = (libc::IFF_TAP | libc::IFF_NO_PI | libc::IFF_VNET_HDR) as i16;
        // SAFETY: TUNSETIFF reads and writes one ifreq, which `ifr` is and
        // which lives across the call.
        check(unsafe { libc::ioctl(fd.as_raw_fd(), TUNSETIFF, &mut ifr) })?;
        let name = ifr
            .ifr_name
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| char::from(c as u8))
            .collect();
        Ok(TapDevice { fd, name })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Reads one frame (with its virtio-net header) into `buf`; `None`
    /// when there is none waiting.
    pub fn read(&self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        // SAFETY: `buf` is writable for its whole length during the call.
        let n = unsafe { libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        match usize::try_from(n) {
            Ok(n) => Ok(Some(n)),
            Err(_) => match io::Error::last_os_error() {
                e if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
                e => Err(e),
            },
        }
    }

    /// Writes one frame (with its virtio-net header).
    pub fn write(&self, frame: &[u8]) -> io::Result<()> {
        // SAFETY: `frame` is readable for its whole length during the call.
        let n = unsafe { libc::write(self.fd.as_raw_fd(), frame.as_ptr().cast(), frame.len()) };
        match usize::try_from(n) {
            Ok(n) if n == frame.len() => Ok(()),
            Ok(_) => Err(io::ErrorKind::WriteZero.into()),
            Err(_) => Err(io::Error::last_os_error()),
        }
    }
}
