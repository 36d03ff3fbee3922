//! The AF_PACKET socket under an `afpacket` port: every system call the
//! port makes, and so every `unsafe` block, lives here.
//!
//! The socket is raw (whole Ethernet frames), non-blocking, bound to one
//! interface, in promiscuous mode, and exchanges a virtio-net header with
//! each frame (`PACKET_VNET_HDR`, see `vnet_hdr`). Frames the socket
//! itself sent are not delivered back to it (`PACKET_IGNORE_OUTGOING`,
//! Linux 4.20, and, on older kernels, dropped by their `PACKET_OUTGOING`
//! packet type). Frames move in batches: through the socket's
//! memory-mapped rings (`afpacket_ring`) when the kernel grants them, a
//! frame too long for a ring slot with one `recvmsg` or `sendmsg`; else
//! one `recvmmsg` or `sendmmsg` per batch, never one system call per frame.

use std::ffi::CString;
use std::io;
use std::mem::{size_of, zeroed};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use std::sync::Arc;

use super::afpacket_ring::{Geometry, Mapping, RxRing, TxRing};
use super::vnet_hdr;

/// The largest frame the kernel hands over: a 64 KiB GSO super-frame,
/// its Ethernet header and a VLAN tag, after the virtio-net header.
pub const MAX_FRAME: usize = 65_536 + 64;

/// Socket buffers, so that a batch of super-frames fits.
const SOCKET_BUFFER: libc::c_int = 8 << 20;

/// `PACKET_IGNORE_OUTGOING` (Linux 4.20, `<linux/if_packet.h>`).
const PACKET_IGNORE_OUTGOING: libc::c_int = 23;
/// `PACKET_VNET_HDR` (`<linux/if_packet.h>`).
const PACKET_VNET_HDR: libc::c_int = 15;
/// `PACKET_ADD_MEMBERSHIP` and `PACKET_MR_PROMISC` (packet(7)).
const PACKET_ADD_MEMBERSHIP: libc::c_int = 1;
const PACKET_MR_PROMISC: libc::c_ushort = 1;
/// The `sll_pkttype` of a frame this host sent.
const PACKET_OUTGOING: u8 = 4;
/// The 802.1Q TPID, for a tag whose TPID old kernels do not report.
const ETH_P_8021Q: u16 = 0x8100;
/// `PACKET_FANOUT` (packet(7)): the group id in the low 16 bits, the mode
/// and flags above; `PACKET_FANOUT_HASH` spreads by the flow's symmetric
/// hash, and `PACKET_FANOUT_FLAG_DEFRAG` reassembles IP fragments first
/// so that they hash with their flow.
const PACKET_FANOUT: libc::c_int = 18;
const PACKET_FANOUT_HASH: libc::c_int = 0;
const PACKET_FANOUT_FLAG_DEFRAG: libc::c_int = 0x8000;
/// `PACKET_FANOUT_FLAG_IGNORE_OUTGOING` (Linux 4.20): a fanout group
/// delivers frames through its own hook, which ignores the sockets'
/// `PACKET_IGNORE_OUTGOING`; without this flag every frame the port sends
/// would come back to its group, to be copied and skipped.
const PACKET_FANOUT_FLAG_IGNORE_OUTGOING: libc::c_int = 0x4000;
/// `PACKET_STATISTICS` (packet(7)): `struct tpacket_stats`, reset on read.
const PACKET_STATISTICS: libc::c_int = 6;
/// `TPACKET_V2`, for `PACKET_VERSION`.
const TPACKET_V2: libc::c_int = 1;

/// `struct tpacket_stats` of `<linux/if_packet.h>`.
#[repr(C)]
#[derive(Debug, Default)]
struct TpacketStats {
    packets: libc::c_uint,
    drops: libc::c_uint,
}

/// An open, configured packet socket.
#[derive(Debug)]
pub struct PacketSocket {
    fd: OwnedFd,
}

/// The rings of a socket opened with them.
#[derive(Debug)]
pub struct Rings {
    pub rx: RxRing,
    /// Only on a socket that transmits.
    pub tx: Option<TxRing>,
}

/// The rings to ask for: receive slots of `frame_len` bytes (virtio-net
/// header included), so many of them, and a transmit ring if `tx_frames`
/// is not zero.
#[derive(Debug, Clone, Copy)]
pub struct RingRequest {
    pub frame_len: usize,
    pub rx_frames: usize,
    pub tx_frames: usize,
    /// The most bytes either ring may take.
    pub max_bytes: usize,
}

/// `htons(ETH_P_ALL)`: every protocol.
fn all_protocols() -> u16 {
    (libc::ETH_P_ALL as u16).to_be()
}

fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// The index of interface `name`.
pub fn interface_index(name: &str) -> io::Result<u32> {
    let cname = CString::new(name)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "interface name contains NUL"))?;
    // SAFETY: `cname` is a valid NUL-terminated string that outlives the call.
    let index = unsafe { libc::if_nametoindex(cname.as_ptr()) };
    if index == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(index)
}

/// 64-bit words of control buffer per received message: enough for the
/// `PACKET_AUXDATA` message (a `cmsghdr` and a `tpacket_auxdata`).
const CONTROL_WORDS: usize = 8;

/// The VLAN tag (TPID, TCI) the kernel took off a received frame, from
/// the auxiliary data in `hdr`'s control buffer.
fn vlan_tag(hdr: &libc::msghdr) -> Option<(u16, u16)> {
    // SAFETY: `hdr` is a message header recvmmsg filled in: its control
    // pointer and the length it wrote describe our live control buffer,
    // so the CMSG_* walk stays inside it; the aux data is read unaligned
    // by value, never through a reference.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(hdr);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == libc::SOL_PACKET
                && (*cmsg).cmsg_type == libc::PACKET_AUXDATA
                && (*cmsg).cmsg_len as usize
                    >= libc::CMSG_LEN(size_of::<libc::tpacket_auxdata>() as u32) as usize
            {
                let aux =
                    std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<libc::tpacket_auxdata>());
                if aux.tp_status & libc::TP_STATUS_VLAN_VALID == 0 {
                    return None;
                }
                let tpid = if aux.tp_status & libc::TP_STATUS_VLAN_TPID_VALID != 0 {
                    aux.tp_vlan_tpid
                } else {
                    ETH_P_8021Q
                };
                return Some((tpid, aux.tp_vlan_tci));
            }
            cmsg = libc::CMSG_NXTHDR(hdr, cmsg);
        }
    }
    None
}

impl AsFd for PacketSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl PacketSocket {
    /// Opens a socket on interface `name`, configured as the module says,
    /// with the rings `rings` asks for if the kernel grants them (else
    /// none: the socket then moves frames with `recvmmsg`/`sendmmsg`).
    pub fn open(
        name: &str,
        rings: Option<RingRequest>,
    ) -> io::Result<(PacketSocket, Option<Rings>)> {
        let index = interface_index(name)?;
        if let Some(request) = rings {
            let socket = PacketSocket::configured()?;
            // Refused (an old kernel, no memory to lock): that socket is
            // dropped half-configured and a plain one opened below.
            if let Ok(rings) = socket.set_up_rings(&request) {
                socket.attach(index)?;
                return Ok((socket, Some(rings)));
            }
        }
        let socket = PacketSocket::configured()?;
        socket.attach(index)?;
        Ok((socket, None))
    }

    /// A new socket with its options set, not yet bound.
    fn configured() -> io::Result<PacketSocket> {
        // Protocol 0: nothing is delivered before the socket is bound,
        // so no frame arrives without its virtio-net header.
        // SAFETY: plain system call with constant arguments.
        let raw = check(unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_RAW | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                0,
            )
        })?;
        // SAFETY: `raw` is a descriptor we just opened and own alone.
        let socket = PacketSocket {
            fd: unsafe { OwnedFd::from_raw_fd(raw) },
        };
        socket.set_int(libc::SOL_PACKET, PACKET_VNET_HDR, 1)?;
        // The VLAN tag a receiving interface offloads comes aside, in the
        // auxiliary data; `receive_batch` puts it back in the frame.
        socket.set_int(libc::SOL_PACKET, libc::PACKET_AUXDATA, 1)?;
        // Kernels before 4.20 refuse it; `receive_batch` filters by type.
        let _ = socket.set_int(libc::SOL_PACKET, PACKET_IGNORE_OUTGOING, 1);
        // Larger buffers are an optimisation: forced as root, else asked.
        for (force, plain) in [
            (libc::SO_RCVBUFFORCE, libc::SO_RCVBUF),
            (libc::SO_SNDBUFFORCE, libc::SO_SNDBUF),
        ] {
            if socket
                .set_int(libc::SOL_SOCKET, force, SOCKET_BUFFER)
                .is_err()
            {
                let _ = socket.set_int(libc::SOL_SOCKET, plain, SOCKET_BUFFER);
            }
        }
        Ok(socket)
    }

    /// Puts the socket in promiscuous mode on interface `index` and binds
    /// it there: frames start to arrive.
    fn attach(&self, index: u32) -> io::Result<()> {
        self.promiscuous(index)?;
        self.bind(index, all_protocols())
    }

    /// Opens a socket that only sends, on interface `name`: beside a
    /// socket with a transmit ring, whose `sendmsg` only sends the ring,
    /// it sends the frames too long for a ring slot.
    pub fn open_sender(name: &str) -> io::Result<PacketSocket> {
        let index = interface_index(name)?;
        let socket = PacketSocket::configured()?;
        socket.bind(index, 0)?;
        Ok(socket)
    }

    /// Sets up and maps the rings `request` asks for (TPACKET_V2, see
    /// `afpacket_ring`). Frames longer than a receive slot are also queued
    /// whole on the socket (`PACKET_COPY_THRESH`); a frame the kernel
    /// cannot send is skipped rather than stopping the ring (`PACKET_LOSS`).
    fn set_up_rings(&self, request: &RingRequest) -> io::Result<Rings> {
        let invalid = || io::Error::new(io::ErrorKind::InvalidInput, "ring too large");
        let rx = Geometry::new(request.frame_len, request.rx_frames, request.max_bytes);
        let tx = (request.tx_frames > 0)
            .then(|| Geometry::new(request.frame_len, request.tx_frames, request.max_bytes));
        self.set_int(libc::SOL_PACKET, libc::PACKET_VERSION, TPACKET_V2)?;
        self.set_int(libc::SOL_PACKET, libc::PACKET_LOSS, 1)?;
        self.set_ring(libc::PACKET_RX_RING, &rx.request().ok_or_else(invalid)?)?;
        if let Some(tx) = &tx {
            self.set_ring(libc::PACKET_TX_RING, &tx.request().ok_or_else(invalid)?)?;
        }
        self.set_int(libc::SOL_PACKET, libc::PACKET_COPY_THRESH, 1)?;
        let len = rx.len() + tx.map_or(0, |tx| tx.len());
        let map = Arc::new(Mapping::new(self.fd.as_raw_fd(), len)?);
        Ok(Rings {
            rx: RxRing::new(Arc::clone(&map), rx),
            tx: tx.map(|tx| TxRing::new(map, rx.len(), tx)),
        })
    }

    fn set_ring(&self, option: libc::c_int, request: &libc::tpacket_req) -> io::Result<()> {
        // SAFETY: `request` is a live tpacket_req and the length passed is
        // its size.
        check(unsafe {
            libc::setsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_PACKET,
                option,
                (request as *const libc::tpacket_req).cast(),
                size_of::<libc::tpacket_req>() as libc::socklen_t,
            )
        })
        .map(drop)
    }

    /// Another descriptor of the same socket (its rings included).
    pub fn try_clone(&self) -> io::Result<PacketSocket> {
        Ok(PacketSocket {
            fd: self.fd.try_clone()?,
        })
    }

    /// Asks the kernel to send the frames waiting in the transmit ring;
    /// it goes through them until one finds no room in the socket's
    /// buffer. Returns the bytes sent (0: the ring had nothing to send).
    pub fn kick(&self) -> io::Result<usize> {
        // SAFETY: a send of no bytes from a null buffer, which the kernel
        // does not read; with a transmit ring it sends the ring's frames.
        let ret =
            unsafe { libc::send(self.fd.as_raw_fd(), std::ptr::null(), 0, libc::MSG_DONTWAIT) };
        usize::try_from(ret).map_err(|_| io::Error::last_os_error())
    }

    /// Joins fanout group `group` of the interface the socket is bound
    /// to: each frame then goes to one socket of the group, all the frames
    /// of a flow (both directions, the hash being symmetric) to the same one.
    /// Kernels before 4.20 refuse the flag that keeps the frames the
    /// host sends out of the group: they join without it (and the
    /// receivers skip those frames by their packet type).
    pub fn join_fanout(&self, group: u16) -> io::Result<()> {
        let mode = PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG;
        let join = |mode: libc::c_int| {
            self.set_int(
                libc::SOL_PACKET,
                PACKET_FANOUT,
                libc::c_int::from(group) | (mode << 16),
            )
        };
        join(mode | PACKET_FANOUT_FLAG_IGNORE_OUTGOING).or_else(|_| join(mode))
    }

    fn set_int(
        &self,
        level: libc::c_int,
        option: libc::c_int,
        value: libc::c_int,
    ) -> io::Result<()> {
        // SAFETY: `value` is a live c_int and the length passed is its size.
        check(unsafe {
            libc::setsockopt(
                self.fd.as_raw_fd(),
                level,
                option,
                (&value as *const libc::c_int).cast(),
                size_of::<libc::c_int>() as libc::socklen_t,
            )
        })
        .map(drop)
    }

    fn promiscuous(&self, index: u32) -> io::Result<()> {
        // SAFETY: packet_mreq is plain data; all zeroes is a valid value.
        let mut mreq: libc::packet_mreq = unsafe { zeroed() };
        mreq.mr_ifindex = index as libc::c_int;
        mreq.mr_type = PACKET_MR_PROMISC;
        // SAFETY: `mreq` is live and the length passed is its size. The
        // membership ends when the socket is closed.
        check(unsafe {
            libc::setsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_PACKET,
                PACKET_ADD_MEMBERSHIP,
                (&mreq as *const libc::packet_mreq).cast(),
                size_of::<libc::packet_mreq>() as libc::socklen_t,
            )
        })
        .map(drop)
    }

    /// Binds the socket to interface `index`, receiving every protocol
    /// (`protocol` is `htons(ETH_P_ALL)`) or none (0).
    fn bind(&self, index: u32, protocol: u16) -> io::Result<()> {
        // SAFETY: sockaddr_ll is plain data; all zeroes is a valid value.
        let mut addr: libc::sockaddr_ll = unsafe { zeroed() };
        addr.sll_family = libc::AF_PACKET as libc::c_ushort;
        addr.sll_protocol = protocol;
        addr.sll_ifindex = index as libc::c_int;
        // SAFETY: `addr` is live and the length passed is its size.
        check(unsafe {
            libc::bind(
                self.fd.as_raw_fd(),
                (&addr as *const libc::sockaddr_ll).cast(),
                size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        })
        .map(drop)
    }

    /// Receives up to `slots.len()` frames (virtio-net header first) into
    /// `slots`, one per slot, with one system call. Returns each filled
    /// slot's length, in order, in `lengths`; frames this host sent and
    /// frames cut short by their slot are left out. `Ok(0)` when nothing
    /// was waiting.
    pub fn receive_batch(
        &self,
        slots: &mut [Vec<u8>],
        lengths: &mut Vec<(usize, usize)>,
    ) -> io::Result<usize> {
        const MAX: usize = 64;
        let n = slots.len().min(MAX);
        // SAFETY: these are plain C structs; all zeroes is a valid value.
        let mut iovs: [libc::iovec; MAX] = unsafe { zeroed() };
        // SAFETY: as above.
        let mut addrs: [libc::sockaddr_ll; MAX] = unsafe { zeroed() };
        // SAFETY: as above.
        let mut msgs: [libc::mmsghdr; MAX] = unsafe { zeroed() };
        // Room for each message's auxiliary data, aligned for cmsghdr.
        let mut controls = [[0u64; CONTROL_WORDS]; MAX];
        for ((((slot, iov), addr), msg), control) in slots
            .iter_mut()
            .zip(iovs.iter_mut())
            .zip(addrs.iter_mut())
            .zip(msgs.iter_mut())
            .zip(controls.iter_mut())
        {
            msg.msg_hdr.msg_control = control.as_mut_ptr().cast();
            msg.msg_hdr.msg_controllen = size_of::<[u64; CONTROL_WORDS]>();
            iov.iov_base = slot.as_mut_ptr().cast();
            iov.iov_len = slot.len();
            msg.msg_hdr.msg_iov = iov;
            msg.msg_hdr.msg_iovlen = 1;
            msg.msg_hdr.msg_name = (addr as *mut libc::sockaddr_ll).cast();
            msg.msg_hdr.msg_namelen = size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        }
        // SAFETY: the first `n` messages point at live iovecs, addresses
        // and slots whose lengths are the ones given; all outlive the call,
        // and the slots are not otherwise borrowed while the kernel writes.
        let got = unsafe {
            libc::recvmmsg(
                self.fd.as_raw_fd(),
                msgs.as_mut_ptr(),
                n as libc::c_uint,
                libc::MSG_DONTWAIT,
                std::ptr::null_mut(),
            )
        };
        if got < 0 {
            let err = io::Error::last_os_error();
            return match err.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(0),
                _ => Err(err),
            };
        }
        let got = usize::try_from(got).unwrap_or(0).min(n);
        let mut dropped = 0;
        let received = msgs.iter().zip(addrs.iter()).zip(slots.iter_mut());
        for (i, ((msg, addr), slot)) in received.take(got).enumerate() {
            let truncated = msg.msg_hdr.msg_flags & libc::MSG_TRUNC != 0;
            if truncated {
                dropped += 1;
            } else if addr.sll_pkttype != PACKET_OUTGOING {
                let len = msg.msg_len as usize;
                let len = match vlan_tag(&msg.msg_hdr) {
                    Some((tpid, tci)) => vnet_hdr::insert_vlan(slot, len, tpid, tci),
                    None => Some(len),
                };
                match len {
                    Some(len) => lengths.push((i, len)),
                    None => dropped += 1,
                }
            }
        }
        Ok(dropped)
    }

    /// Sends `frames` (each with its virtio-net header first), with as
    /// few system calls as the kernel allows, and tells `done` of each
    /// frame, in order, whether it was sent. A frame the kernel refuses
    /// (too long, interface down) is skipped; when the socket buffer stays
    /// full for a millisecond, the rest are given up.
    pub fn send_batch(&self, frames: &[Vec<u8>], mut done: impl FnMut(&[u8], bool)) {
        const MAX: usize = 64;
        let mut waited = false;
        let mut rest = frames;
        while !rest.is_empty() {
            let n = rest.len().min(MAX);
            // SAFETY: plain C structs; all zeroes is a valid value.
            let mut iovs: [libc::iovec; MAX] = unsafe { zeroed() };
            // SAFETY: as above.
            let mut msgs: [libc::mmsghdr; MAX] = unsafe { zeroed() };
            for ((frame, iov), msg) in rest.iter().zip(iovs.iter_mut()).zip(msgs.iter_mut()) {
                iov.iov_base = frame.as_ptr() as *mut libc::c_void;
                iov.iov_len = frame.len();
                msg.msg_hdr.msg_iov = iov;
                msg.msg_hdr.msg_iovlen = 1;
            }
            // SAFETY: the first `n` messages point at live iovecs over
            // frames that outlive the call; the kernel only reads them.
            let ret = unsafe {
                libc::sendmmsg(self.fd.as_raw_fd(), msgs.as_mut_ptr(), n as libc::c_uint, 0)
            };
            let (skip, sent) = if ret > 0 {
                waited = false;
                (usize::try_from(ret).unwrap_or(0).min(n), true)
            } else {
                match io::Error::last_os_error().kind() {
                    io::ErrorKind::Interrupted => (0, false),
                    io::ErrorKind::WouldBlock if !waited => {
                        waited = true;
                        self.wait_writable();
                        (0, false)
                    }
                    io::ErrorKind::WouldBlock => (rest.len(), false),
                    _ => (1, false),
                }
            };
            let (gone, left) = rest.split_at(skip.min(rest.len()));
            for frame in gone {
                done(frame, sent);
            }
            rest = left;
        }
    }

    /// Frames the kernel dropped since the last call because the socket's
    /// receive queue was full (the kernel resets its count on each read).
    pub fn kernel_drops(&self) -> io::Result<u64> {
        let mut stats = TpacketStats::default();
        let mut len = size_of::<TpacketStats>() as libc::socklen_t;
        // SAFETY: `stats` is a live repr(C) tpacket_stats and `len` its
        // size; the kernel writes at most `len` bytes into it.
        check(unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_PACKET,
                PACKET_STATISTICS,
                (&mut stats as *mut TpacketStats).cast(),
                &mut len,
            )
        })?;
        Ok(u64::from(stats.drops))
    }

    /// Waits up to a millisecond for room in the socket's send buffer.
    pub fn wait_writable(&self) {
        let mut pfd = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLOUT,
            revents: 0,
        };
        // SAFETY: one live pollfd, count 1.
        unsafe { libc::poll(&mut pfd, 1, 1) };
    }
}
