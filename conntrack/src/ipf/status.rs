//! The reassembler's settings and counters, printed as OVS 3.1's
//! `ovs-appctl dpctl/ipf-get-status [-m]` prints them, and the errors of
//! its setters in the words of `dpctl/ipf-set-*`.

use core::fmt::{self, Write as _};
use std::net::IpAddr;

use serde::Serialize;

use crate::key::Family;

/// One family's settings and counters (the counters only ever grow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FamilyStatus {
    pub enabled: bool,
    /// Fragments other than the last shorter than this (IP header on)
    /// are `+inv` and counted as too small.
    pub min_frag_size: u32,
    /// Fragments taken into a list.
    pub accepted: u64,
    /// Fragments handed on whole, as part of a reassembled datagram.
    pub completed: u64,
    /// Fragments given back `+inv` because their list timed out.
    pub expired: u64,
    pub too_small: u64,
    pub overlapped: u64,
    /// Fragments dropped from a list stuck past its expiry.
    pub purged: u64,
}

impl FamilyStatus {
    pub(crate) fn new(min_frag_size: u32) -> Self {
        FamilyStatus {
            enabled: true,
            min_frag_size,
            accepted: 0,
            completed: 0,
            expired: 0,
            too_small: 0,
            overlapped: 0,
            purged: 0,
        }
    }
}

/// One datagram's fragment list, as `-m` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListStatus {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub recirc_id: u32,
    pub ip_id: u32,
    pub family: Family,
    pub zone: u16,
    /// The IPv4 protocol; 0 for IPv6, which OVS does not key on it.
    pub nw_proto: u8,
    pub num_fragments: usize,
    pub state: &'static str,
}

/// What `dpctl/ipf-get-status` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IpfStatus {
    /// The most fragments held at once, both families together.
    pub max_frags: u32,
    /// Fragments held now.
    pub num_frags: usize,
    pub v4: FamilyStatus,
    pub v6: FamilyStatus,
    /// The fragment lists, for `-m`.
    pub lists: Vec<ListStatus>,
}

impl IpfStatus {
    /// The status as OVS prints it; `more` adds the fragment lists (`-m`).
    pub fn format(&self, more: bool) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = self.write(&mut out, more);
        out
    }

    fn write(&self, out: &mut String, more: bool) -> fmt::Result {
        const INDENT: &str = "        ";
        writeln!(out, "{INDENT}Fragmentation Module Status")?;
        writeln!(out, "{INDENT}---------------------------")?;
        writeln!(out, "{INDENT}v4 enabled: {}", u8::from(self.v4.enabled))?;
        writeln!(out, "{INDENT}v6 enabled: {}", u8::from(self.v6.enabled))?;
        writeln!(out, "{INDENT}max num frags (v4/v6): {}", self.max_frags)?;
        writeln!(out, "{INDENT}num frag: {}", self.num_frags)?;
        for (name, family) in [("v4", &self.v4), ("v6", &self.v6)] {
            writeln!(
                out,
                "{INDENT}min {name} frag size: {}",
                family.min_frag_size
            )?;
            let counters = [
                ("accepted", family.accepted),
                ("completed", family.completed),
                ("expired", family.expired),
                ("too small", family.too_small),
                ("overlapped", family.overlapped),
                ("purged", family.purged),
            ];
            for (what, count) in counters {
                writeln!(out, "{INDENT}{name} frags {what}: {count}")?;
            }
        }
        if more {
            writeln!(out)?;
            writeln!(out, "{INDENT}Fragment Lists:")?;
            writeln!(out)?;
            for list in &self.lists {
                writeln!(out, "{list}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for ListStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dl_type = match self.family {
            Family::Ipv4 => 0x0800,
            Family::Ipv6 => 0x86dd,
        };
        write!(
            f,
            "(src={},dst={},recirc_id={},ip_id={},dl_type={:#x},zone={},nw_proto={},num_fragments={},state={})",
            self.src,
            self.dst,
            self.recirc_id,
            self.ip_id,
            dl_type,
            self.zone,
            self.nw_proto,
            self.num_fragments,
            self.state
        )
    }
}

/// A setting `dpctl/ipf-set-*` refuses, worded as OVS 3.1 words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IpfError {
    /// `ipf-set-min-frag` below 400 bytes.
    #[error("requested minimum fragment size too small; see documentation")]
    MinFragTooSmall,
    /// `ipf-set-max-nfrags` above 5000.
    #[error("setting maximum fragments failed")]
    MaxFragsTooLarge,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh() -> IpfStatus {
        IpfStatus {
            max_frags: 1000,
            num_frags: 0,
            v4: FamilyStatus::new(1200),
            v6: FamilyStatus::new(1280),
            lists: Vec::new(),
        }
    }

    /// `ovs-appctl dpctl/ipf-get-status` of a fresh OVS 3.1.0 (userspace
    /// datapath).
    const OVS_FRESH: &str = "        Fragmentation Module Status
        ---------------------------
        v4 enabled: 1
        v6 enabled: 1
        max num frags (v4/v6): 1000
        num frag: 0
        min v4 frag size: 1200
        v4 frags accepted: 0
        v4 frags completed: 0
        v4 frags expired: 0
        v4 frags too small: 0
        v4 frags overlapped: 0
        v4 frags purged: 0
        min v6 frag size: 1280
        v6 frags accepted: 0
        v6 frags completed: 0
        v6 frags expired: 0
        v6 frags too small: 0
        v6 frags overlapped: 0
        v6 frags purged: 0
";

    #[test]
    fn a_fresh_status_prints_as_ovs_3_1() {
        assert_eq!(fresh().format(false), OVS_FRESH);
    }

    #[test]
    fn more_adds_the_fragment_lists_as_ovs_3_1() {
        // OVS 3.1.0 after a first IPv6 and a first IPv4 fragment in zone 9.
        let mut status = fresh();
        status.num_frags = 2;
        status.lists = vec![
            ListStatus {
                src: "2001:db8::1".parse().unwrap(),
                dst: "2001:db8::2".parse().unwrap(),
                recirc_id: 0,
                ip_id: 11259375,
                family: Family::Ipv6,
                zone: 9,
                nw_proto: 0,
                num_fragments: 1,
                state: "first frag",
            },
            ListStatus {
                src: "10.1.1.1".parse().unwrap(),
                dst: "10.1.1.2".parse().unwrap(),
                recirc_id: 0,
                ip_id: 4660,
                family: Family::Ipv4,
                zone: 9,
                nw_proto: 17,
                num_fragments: 1,
                state: "first frag",
            },
        ];
        let text = status.format(true);
        let tail = "        v6 frags purged: 0

        Fragment Lists:

(src=2001:db8::1,dst=2001:db8::2,recirc_id=0,ip_id=11259375,dl_type=0x86dd,zone=9,nw_proto=0,num_fragments=1,state=first frag)
(src=10.1.1.1,dst=10.1.1.2,recirc_id=0,ip_id=4660,dl_type=0x800,zone=9,nw_proto=17,num_fragments=1,state=first frag)
";
        assert!(text.ends_with(tail), "{text}");
        assert!(text.contains("        num frag: 2\n"));
    }
}
