//! The control socket: a unix socket on which `ctswitchd` answers what
//! OpenFlow does not carry (conntrack dump and flush, datapath flows,
//! packets injected on and transmitted by dummy ports, ports, stats).
//!
//! Each request is one line of JSON ([`Request`]) and gets one line of
//! JSON back ([`Response`]); a connection may carry many in turn.

mod client;
mod ipf;
mod path;
mod protocol;
mod tuple;

pub use client::{call, ClientError};
pub use path::{default_run_dir, default_socket, SOCKET_NAME};
pub use protocol::{DatapathCounters, IpfSetting, PortInfo, Request, Response, Stats};
pub use tuple::parse_flush_filter;
