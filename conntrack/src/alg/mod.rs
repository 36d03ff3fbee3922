//! Application-layer gateways: `ct(alg=ftp)` and `ct(alg=tftp)`.
//!
//! A connection committed with a helper is a control connection. Its
//! packets are read for the data connections they announce
//! ([`ftp`]; a TFTP request announces the reply from any server port to
//! the client's port), each filed as an expectation ([`expect`]). A new
//! connection that meets one is `+rel`, reports the control connection's
//! tuple, mark and label, and, committed, stays `+rel` and is NAT'd as
//! the control connection dictates; no commit rule of its own is needed
//! to recognise it.
//!
//! Under NAT the address in an FTP announcement is rewritten to the one
//! the peer must use; when that changes the payload's length, the
//! connection's later sequence and acknowledgement numbers are shifted
//! ([`seqadj`]). The rewrite is an [`Edit`] the caller applies (the
//! packet may grow or shrink), as it applies NAT's rewrite.
//!
//! Everything here runs only for connections that have the out-of-line
//! part (a helper, a NAT, a master) and, for new connections, only when
//! expectations exist, so other traffic pays one branch.

pub mod edit;
pub(crate) mod expect;
pub mod ftp;
pub(crate) mod seqadj;

use std::net::IpAddr;

use crate::conn::{Conn, Helper};
use crate::extract::L3;
use crate::key::ConnKey;
use crate::params::{CtMetadata, OrigTuple};
use crate::shard::Shard;
use crate::state::CtState;
use crate::tracker::Conntrack;
use crate::wire::{ip_proto, ipv4, ipv6, tcp};

pub use edit::{Edit, Splice};
pub use expect::{ExpectEntry, EXPECT_TIMEOUT_MS};
use expect::{ExpectNat, Expectation};
use ftp::{Announce, Mode};
use seqadj::SeqAdj;

/// What a connection keeps for the ALGs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct AlgState {
    /// For a data connection, its control connection's original key.
    pub master: Option<ConnKey>,
    /// The sequence adjustment of the original and reply directions.
    pub seqadj: [SeqAdj; 2],
}

/// What the ALGs add to a packet's verdict.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Outcome {
    /// `+rel` for a data connection's packets, `+inv` for a malformed
    /// announcement.
    pub state: CtState,
    /// The tuple to report (a data connection reports its master's).
    pub master: Option<ConnKey>,
    pub edit: Option<Edit>,
}

impl Outcome {
    /// Adds the outcome to packet metadata `md`, its edit to `edit`.
    pub fn apply(self, md: &mut CtMetadata, edit: &mut Option<Box<Edit>>) {
        md.state |= self.state;
        if let Some(master) = &self.master {
            md.orig = Some(OrigTuple::from(master));
        }
        *edit = self.edit.map(Box::new);
    }
}

/// The packet the tracker hands the ALGs: its network header on, and
/// where the edit it needs goes.
#[derive(Debug)]
pub(crate) struct AlgIo<'a> {
    pub l3: &'a [u8],
    pub family: L3,
    pub edit: &'a mut Option<Box<Edit>>,
}

impl Expectation {
    /// What a new connection meeting this expectation reports before it
    /// is committed: `+rel`, and the master's tuple, mark and label.
    pub fn describe(&self, md: &mut CtMetadata) {
        md.state |= CtState::RELATED;
        md.mark = self.mark;
        md.label = self.label;
        md.orig = Some(OrigTuple::from(&self.master));
    }

    /// Makes the just committed `conn` this expectation's data
    /// connection: the master's mark and label, and the master's key.
    pub fn inherit(&self, conn: &mut Conn) {
        conn.mark = self.mark;
        conn.set_label(self.label);
        conn.ext.get_or_insert_with(Default::default).alg.master = Some(self.master);
    }
}

/// The TCP payload and sequence and acknowledgement numbers of the
/// packet whose network header starts `l3`.
fn tcp_payload(l3: &[u8], family: L3) -> Option<(&[u8], u32, u32)> {
    let (segment, proto) = match family {
        L3::Ipv4 => {
            let ip = ipv4::Packet::new_checked(l3).ok()?;
            let end = usize::from(ip.total_len());
            (l3.get(ip.header_len()..end)?, ip.protocol())
        }
        L3::Ipv6 => {
            let ip = ipv6::Packet::new_checked(l3).ok()?;
            let upper = ip.upper_layer().ok()?;
            let end = ipv6::HEADER_LEN + usize::from(ip.payload_len());
            (l3.get(upper.offset..end)?, upper.protocol)
        }
    };
    if proto != ip_proto::TCP {
        return None;
    }
    let seg = tcp::Packet::new_checked(segment).ok()?;
    let payload = segment.get(seg.header_len()..)?;
    Some((payload, seg.seq_number(), seg.ack_number()))
}

impl Conntrack {
    /// The ALG side of a packet of `conn` (network header at `l3`, going
    /// in the reply direction if `reply`), seen by a `ct` with `nat` if
    /// `nat`: expectations filed, the data connection's `+rel`, and the
    /// FTP rewrite and sequence adjustment.
    pub(crate) fn alg_packet(
        &self,
        conn: &mut Conn,
        l3: &[u8],
        family: L3,
        reply: bool,
        nat: bool,
        now: u64,
    ) -> Outcome {
        let mut out = Outcome::default();
        // Most connections with the out-of-line part are NAT'd ones
        // without an ALG: they leave here.
        if conn
            .ext
            .as_deref()
            .is_none_or(|e| e.helper.is_none() && e.alg.master.is_none())
        {
            return out;
        }
        let (key, reply_key, mark, label) = (conn.key, conn.reply_key(), conn.mark, conn.label());
        let nat_conn = reply_key != key.reverse();
        let Some(ext) = conn.ext.as_deref_mut() else {
            return out;
        };
        if let Some(master) = ext.alg.master {
            out.state |= CtState::RELATED;
            out.master = Some(master);
        }
        let exp = |data: ConnKey, nat: Option<ExpectNat>, helper| Expectation {
            key: data,
            master: key,
            helper,
            mark,
            label,
            nat: nat.filter(|_| nat_conn),
            expiration: now + EXPECT_TIMEOUT_MS,
        };
        // A data connection committed with a helper shows it in dumps (as
        // in OVS) but is no control connection: its data is not read.
        match ext.helper.filter(|_| ext.alg.master.is_none()) {
            Some(Helper::Tftp) if !reply && key.proto == ip_proto::UDP => {
                let data = with_ports(&reply_key, key.src_port);
                let nat = active_nat(&key, &reply_key);
                self.expectations
                    .insert(exp(data, Some(nat), Helper::Tftp), now);
            }
            Some(Helper::Ftp) if key.proto == ip_proto::TCP => {
                let Some((payload, seq, ack)) = tcp_payload(l3, family) else {
                    return out;
                };
                let dir = usize::from(reply);
                let mut splice = None;
                match ftp::parse(payload, !reply) {
                    Ok(None) => {}
                    // Another family's address (PORT over IPv6): not
                    // meant for this connection, ignored as OVS does.
                    Ok(Some(a))
                        if a.addr
                            .is_some_and(|ip| ip.is_ipv4() != key.src_ip().is_ipv4()) => {}
                    Ok(Some(announce)) => match expectation_of(&announce, &key, &reply_key) {
                        Some((data, exp_nat, replace)) => {
                            self.expectations
                                .insert(exp(data, Some(exp_nat), Helper::Ftp), now);
                            splice = replace
                                .filter(|_| nat)
                                .and_then(|addr| replacement(&announce, addr));
                        }
                        None => out.state |= CtState::INVALID,
                    },
                    Err(_) => out.state |= CtState::INVALID,
                }
                if let (Some(s), Some(adj)) = (&splice, ext.alg.seqadj.get_mut(dir)) {
                    adj.record(seq, s.delta());
                }
                if nat {
                    let [orig, rpl] = ext.alg.seqadj;
                    let (mine, theirs) = if reply { (rpl, orig) } else { (orig, rpl) };
                    let edit = Edit {
                        seq: mine.seq_offset(seq),
                        ack: theirs.ack_offset(ack),
                        splice,
                    };
                    out.edit = Some(edit).filter(|e| !e.is_empty());
                }
            }
            _ => {}
        }
        out
    }

    /// The expectation new connection `key` meets, if any and if its
    /// master is still there. `shard` is held: the one `hash` picks.
    pub(crate) fn expected(
        &self,
        shard: &Shard,
        hash: u64,
        key: &ConnKey,
        now: u64,
    ) -> Option<Expectation> {
        let exp = self.expectations.lookup(key, now)?;
        let master_hash = self.hasher.hash(&exp.master);
        let home = Self::shard_of(hash);
        let there = Self::shard_of(master_hash);
        let alive = |s: &Shard| {
            s.lookup(&exp.master, master_hash)
                .and_then(|(h, _)| s.get(h))
                .is_some_and(|c| c.expiration > now)
        };
        let master_alive = if there == home {
            alive(shard)
        } else {
            // Waiting for a higher-numbered shard only, as a NAT commit
            // does, so two threads never wait for each other; a busy
            // lower one is taken as alive.
            let other = self.shards.get(there)?;
            let guard = if there > home {
                Some(other.lock())
            } else {
                other.try_lock()
            };
            guard.is_none_or(|s| alive(&s))
        };
        master_alive.then_some(exp)
    }

    /// The expectations (of `zone`, if given) waiting at `now`; those
    /// expired or whose master is gone are dropped.
    pub fn expectations(&self, zone: Option<u16>, now: u64) -> Vec<ExpectEntry> {
        let masters: Vec<ConnKey> = self
            .expectations
            .snapshot()
            .iter()
            .map(|e| e.master)
            .collect();
        let alive: Vec<ConnKey> = masters
            .into_iter()
            .filter(|m| self.conn_alive(m, now))
            .collect();
        self.expectations
            .retain(|e| e.expiration > now && alive.contains(&e.master));
        let mut out: Vec<ExpectEntry> = self
            .expectations
            .snapshot()
            .iter()
            .filter(|e| zone.is_none_or(|z| z == e.key.zone))
            .map(|e| e.entry(now))
            .collect();
        out.sort_by_key(|e| e.to_string());
        out
    }

    /// Whether connection `key` is in the table, unexpired at `now`.
    fn conn_alive(&self, key: &ConnKey, now: u64) -> bool {
        let hash = self.hasher.hash(key);
        self.lock(Self::shard_of(hash)).is_some_and(|shard| {
            shard
                .lookup(key, hash)
                .and_then(|(h, _)| shard.get(h))
                .is_some_and(|c| c.expiration > now)
        })
    }
}

/// `key`'s reverse's source and destination with source port 0 and
/// destination port `port`: the connection the server (of reply key
/// `reply`) opens to the client.
fn with_ports(reply: &ConnKey, port: u16) -> ConnKey {
    ConnKey {
        src_port: 0,
        dst_port: port,
        ..*reply
    }
}

/// How a connection from the server to the client of control connection
/// `key` (reply key `reply`) is NAT'd: back to the client's own address,
/// or, if the client reached the server through DNAT, from the address
/// it reached.
fn active_nat(key: &ConnKey, reply: &ConnKey) -> ExpectNat {
    if reply.src != key.dst {
        ExpectNat {
            addr: key.dst,
            reply_dst: true,
        }
    } else {
        ExpectNat {
            addr: key.src,
            reply_dst: false,
        }
    }
}

/// The expected connection of `announce` on control connection `key`
/// (reply key `reply`), how it is NAT'd, and the address the announcement
/// must carry on with if it is not that already. `None` if the announced
/// address is neither side's (an FTP bounce).
fn expectation_of(
    announce: &Announce,
    key: &ConnKey,
    reply: &ConnKey,
) -> Option<(ConnKey, ExpectNat, Option<IpAddr>)> {
    match announce.mode {
        Mode::Active => {
            // The client names itself; the server's peer sees the
            // client's translated address.
            let named = announce.addr?;
            let seen = reply.dst_ip();
            if named != key.src_ip() && named != seen {
                return None;
            }
            let data = with_ports(reply, announce.port);
            let replace = (named != seen).then_some(seen);
            Some((data, active_nat(key, reply), replace))
        }
        Mode::Passive => {
            // The server names itself; the client knows it as the
            // address it connected to.
            let seen = key.dst_ip();
            if let Some(named) = announce.addr {
                if named != reply.src_ip() && named != seen {
                    return None;
                }
            }
            let data = ConnKey {
                src_port: 0,
                dst_port: announce.port,
                ..*key
            };
            let nat = if reply.src != key.dst {
                ExpectNat {
                    addr: reply.src,
                    reply_dst: false,
                }
            } else {
                ExpectNat {
                    addr: reply.dst,
                    reply_dst: true,
                }
            };
            let replace = announce.addr.filter(|n| *n != seen).map(|_| seen);
            Some((data, nat, replace))
        }
    }
}

/// The splice that puts `addr` in place of `announce`'s address.
fn replacement(announce: &Announce, addr: IpAddr) -> Option<Splice> {
    let text = ftp::format_addr(addr, announce.style);
    let span = &announce.addr_span;
    Splice::new(span.start, span.end - span.start, text.as_bytes())
}

#[cfg(test)]
mod tests;
