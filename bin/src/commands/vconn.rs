//! The CLI's OpenFlow connection to a switch (`tcp:IP[:PORT]` or
//! `unix:PATH`), blocking and one exchange at a time, with ovs-ofctl's
//! exchanges: hello (xid 1, so that the first request is xid 2, as in
//! ovs-ofctl's output), request/reply, statistics dumps that follow
//! OFPMPF_REPLY_MORE, and requests that expect no reply closed by a
//! barrier. Echo requests from the switch are answered on the way.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use bytes::BytesMut;
use ctswitch::daemon::endpoints::parse_controller;
use openflow_codec::message::hello::Hello;
use openflow_codec::message::multipart::MORE;
use openflow_codec::message::{Header, Message};

/// OpenFlow 1.3, the version ctswitch speaks.
const OFP13: u8 = 0x04;
/// How long to wait for the switch before giving up.
const TIMEOUT: Duration = Duration::from_secs(30);
const HEADER_LEN: usize = 8;
const OFPT_ERROR: u8 = 1;
const OFPT_ECHO_REQUEST: u8 = 2;
const OFPT_ECHO_REPLY: u8 = 3;
const OFPT_MULTIPART_REPLY: u8 = 19;

/// A byte stream to a switch.
trait Stream: Read + Write {}
impl<T: Read + Write> Stream for T {}

/// An open, negotiated OpenFlow 1.3 connection.
pub struct Vconn {
    name: String,
    stream: Box<dyn Stream>,
    next_xid: u32,
}

impl std::fmt::Debug for Vconn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vconn").field("name", &self.name).finish()
    }
}

/// A received message: its bytes, with the header read.
#[derive(Debug)]
pub struct Received {
    pub header: Header,
    pub raw: Vec<u8>,
}

impl Received {
    pub fn is_error(&self) -> bool {
        self.header.msg_type == OFPT_ERROR
    }

    /// A multipart reply with more parts to come.
    fn has_more(&self) -> bool {
        self.header.msg_type == OFPT_MULTIPART_REPLY
            && self.raw.len() >= 12
            && u16::from_be_bytes([self.raw[10], self.raw[11]]) & MORE != 0
    }
}

impl Vconn {
    /// Connects to `target` and exchanges hellos.
    pub fn open(target: &str) -> Result<Vconn, String> {
        Vconn::open_at(target, 1)
    }

    /// A new connection to the same switch whose xids continue this
    /// one's, as ovs-ofctl's process-wide xid counter does when a verb
    /// opens a second connection.
    pub fn reopen(&self) -> Result<Vconn, String> {
        Vconn::open_at(&self.name, self.next_xid)
    }

    /// Connects, the hello taking xid `first_xid`.
    fn open_at(target: &str, first_xid: u32) -> Result<Vconn, String> {
        let fail = |e: std::io::Error| format!("{target}: connection failed ({e})");
        let stream: Box<dyn Stream> = if target.starts_with("tcp:") {
            let addr = parse_controller(target)?;
            let s = TcpStream::connect(addr).map_err(fail)?;
            s.set_read_timeout(Some(TIMEOUT)).map_err(fail)?;
            Box::new(s)
        } else if let Some(path) = target.strip_prefix("unix:") {
            let s = UnixStream::connect(path).map_err(fail)?;
            s.set_read_timeout(Some(TIMEOUT)).map_err(fail)?;
            Box::new(s)
        } else {
            return Err(format!("{target}: a switch is tcp:IP[:PORT] or unix:PATH"));
        };
        let mut vconn = Vconn {
            name: target.to_string(),
            stream,
            next_xid: first_xid,
        };
        vconn.send(&Message::Hello(Hello::with_versions(1 << OFP13)))?;
        let hello = vconn.recv()?;
        if hello.header.msg_type != 0 {
            return Err(format!("{target}: the switch did not start with a hello"));
        }
        if hello.header.version < OFP13 {
            return Err(format!(
                "{target}: version negotiation failed (we support version 0x04, peer supports version 0x{:02x})",
                hello.header.version
            ));
        }
        Ok(vconn)
    }

    /// Sends `message` with the next xid; returns the xid.
    pub fn send(&mut self, message: &Message) -> Result<u32, String> {
        let xid = self.next_xid;
        self.next_xid = self.next_xid.wrapping_add(1);
        let mut out = BytesMut::new();
        message.encode(xid, &mut out);
        self.stream
            .write_all(&out)
            .map_err(|e| format!("{}: send failed ({e})", self.name))?;
        Ok(xid)
    }

    /// The next message other than an echo (which is answered).
    pub fn recv(&mut self) -> Result<Received, String> {
        loop {
            let mut raw = vec![0; HEADER_LEN];
            self.read_exact(&mut raw)?;
            let header = Header::peek(&raw)
                .ok_or_else(|| format!("{}: unreadable OpenFlow header", self.name))?;
            let length = usize::from(header.length);
            if length < HEADER_LEN {
                return Err(format!("{}: message of bad length {length}", self.name));
            }
            raw.resize(length, 0);
            self.read_exact(&mut raw[HEADER_LEN..])?;
            if header.msg_type == OFPT_ECHO_REQUEST {
                let mut reply = raw.clone();
                reply[1] = OFPT_ECHO_REPLY;
                self.stream
                    .write_all(&reply)
                    .map_err(|e| format!("{}: send failed ({e})", self.name))?;
                continue;
            }
            return Ok(Received { header, raw });
        }
    }

    /// Sends `request` and returns the reply with its xid (other messages,
    /// such as asynchronous ones, are skipped).
    pub fn transact(&mut self, request: &Message) -> Result<Received, String> {
        let xid = self.send(request)?;
        self.reply_to(xid)
    }

    /// Sends a statistics request and returns every part of the reply, or
    /// the error that ended it.
    pub fn dump(&mut self, request: &Message) -> Result<Vec<Received>, String> {
        let xid = self.send(request)?;
        let mut parts = Vec::new();
        loop {
            let part = self.reply_to(xid)?;
            let more = part.has_more();
            parts.push(part);
            if !more {
                return Ok(parts);
            }
        }
    }

    /// Sends requests that get no reply unless they fail, then a barrier;
    /// returns the first error, if any.
    pub fn transact_noreply(&mut self, requests: &[Message]) -> Result<Option<Received>, String> {
        for request in requests {
            self.send(request)?;
        }
        let barrier = self.send(&Message::BarrierRequest)?;
        loop {
            let reply = self.recv()?;
            if reply.is_error() {
                return Ok(Some(reply));
            }
            if reply.header.xid == barrier {
                return Ok(None);
            }
        }
    }

    fn reply_to(&mut self, xid: u32) -> Result<Received, String> {
        loop {
            let reply = self.recv()?;
            if reply.header.xid == xid {
                return Ok(reply);
            }
        }
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), String> {
        self.stream.read_exact(buf).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => {
                format!("{}: connection closed by the switch", self.name)
            }
            _ => format!("{}: receive failed ({e})", self.name),
        })
    }
}
