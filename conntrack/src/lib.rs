//! A userspace connection tracker in the style of Open vSwitch's.
//!
//! Packets go in with their L3 offset known ([`CtPacket`]), and the `ct`
//! action's parameters ([`ExecuteParams`]); out come the `ct_state` bits,
//! zone, mark, label and original-direction tuple that OVS exposes to
//! flows ([`CtMetadata`]). The crate knows nothing of OpenFlow or flows.
//!
//! * [`wire`]: packet views (IPv4, IPv6, TCP, UDP, ICMPv4/v6, checksums),
//!   reusable by the datapath.
//! * [`Conntrack`]: the sharded table and the `ct` action; dump, flush,
//!   limits, timeout policies and expiry sweeps.
//! * [`ConnEntry`]: a connection as dumped, printed as
//!   `ovs-appctl dpctl/dump-conntrack` prints it, and parsed back from
//!   that format or from Linux's `conntrack -L` ([`parse`]).
//! * [`Sweeper`]: the background expiry thread.
//! * [`ipf`]: IP fragment reassembly before tracking and refragmentation
//!   after it, as OVS's `ipf` (`Conntrack::ipf`), with its
//!   `dpctl/ipf-get-status` counters.
//!
//! * [`nat`]: choosing a NAT'd connection's reply key and rewriting
//!   packets to it.
//!
//! * [`mod@bench`]: the `ctswitch ct-bench` workloads (also run by the
//!   criterion benches).
//!
//! NAT: a connection committed with `nat(src=..)`/`nat(dst=..)` keeps its
//! translated reply key out of line, filed by that key's own hash in the
//! table's NAT index (it does not hash like the original key); a packet of
//! it seen by a `ct` with `nat` gets `+snat`/`+dnat` and a
//! [`nat::Rewrite`] in [`CtPacket::rewrite`] for the caller to apply.
//!
//! * [`alg`]: the FTP and TFTP ALGs (`ct(alg=..)`): expectations and
//!   their `+rel` data connections, FTP's payload rewrite under NAT and
//!   the sequence adjustment that follows it ([`alg::Edit`] in
//!   [`CtPacket::alg`]); [`Conntrack::expectations`] lists them.

pub mod alg;
pub mod bench;
mod cache_line;
mod conn;
mod entry;
mod extract;
mod flush;
mod index;
pub mod ipf;
mod key;
mod limits;
mod members;
pub mod nat;
mod params;
pub mod parse;
mod pass_order;
mod policy;
mod prefetch;
mod proto;
mod shard;
mod state;
mod sweeper;
mod table;
mod timeout;
mod tracker;
mod wheel;
pub mod wire;

pub use conn::Helper;
pub use entry::{proto_name, proto_number, ConnEntry, DumpStyle, Tuple, TupleL4};
pub use extract::L3;
pub use flush::{FlushFilter, TupleMatch};
pub use key::{ConnKey, Family};
pub use limits::DEFAULT_GLOBAL_LIMIT;
pub use params::{CtMetadata, CtPacket, ExecuteParams, Masked, NatAction, NatKind, OrigTuple};
pub use proto::tcp::TcpState;
pub use state::CtState;
pub use sweeper::{now_ms, Sweeper};
pub use table::{Counts, InsertError, SweepReport, ZoneStats};
pub use timeout::{PolicyAttr, TimeoutError, TimeoutKind, TimeoutPolicy, MIN_TIMEOUT_SECS};
pub use tracker::Conntrack;
