//! The `ct` action: send the packet through the connection tracker.

use core::fmt;
use std::net::IpAddr;

use conntrack::{ExecuteParams, Helper, Masked, NatAction, NatKind};
use nxm_fields::format::CHex;

/// How a `ct` action commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CtCommit {
    /// `commit`: create the connection of a `+new` packet.
    Commit,
    /// `force_commit`: also end a connection seen in its reply direction
    /// and start one in this packet's direction.
    Force,
}

/// `ct(commit,zone=Z,mark=V/M,label=V/M,helper=H,nat(...))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ct {
    pub commit: Option<CtCommit>,
    pub zone: u16,
    pub mark: Option<Masked<u32>>,
    pub label: Option<Masked<u128>>,
    pub helper: Option<Helper>,
    pub nat: Option<Nat>,
}

/// The `nat(...)` argument, printed as OVS's datapath prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nat(pub NatAction);

impl Ct {
    /// What the connection tracker is asked to do.
    pub fn params(&self) -> ExecuteParams {
        ExecuteParams {
            zone: self.zone,
            commit: self.commit.is_some(),
            force: self.commit == Some(CtCommit::Force),
            mark: self.mark,
            label: self.label,
            helper: self.helper,
            nat: self.nat.map(|n| n.0),
            timeout_policy: None,
        }
    }
}

/// The parts of `ct(...)`, each printed only when present, in the order
/// OVS's `format_odp_conntrack_action` uses.
impl fmt::Display for Ct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        match self.commit {
            Some(CtCommit::Commit) => parts.push("commit".to_string()),
            Some(CtCommit::Force) => parts.push("force_commit".to_string()),
            None => {}
        }
        if self.zone != 0 {
            parts.push(format!("zone={}", self.zone));
        }
        if let Some(m) = self.mark {
            // OVS always prints the mark's mask, even an exact one.
            parts.push(format!("mark={:#x}/{:#x}", m.value, m.mask));
        }
        if let Some(l) = self.label {
            if l.mask == u128::MAX {
                parts.push(format!("label={}", CHex(l.value)));
            } else {
                parts.push(format!("label={}/{}", CHex(l.value), CHex(l.mask)));
            }
        }
        if let Some(h) = self.helper {
            parts.push(format!("helper={}", h.name()));
        }
        if let Some(nat) = self.nat {
            parts.push(nat.to_string());
        }
        if parts.is_empty() {
            f.write_str("ct")
        } else {
            write!(f, "ct({})", parts.join(","))
        }
    }
}

impl fmt::Display for Nat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nat = &self.0;
        let Some(kind) = nat.kind else {
            return f.write_str("nat");
        };
        f.write_str(match kind {
            NatKind::Src => "nat(src",
            NatKind::Dst => "nat(dst",
        })?;
        if let Some(min) = nat.addr_min {
            // An IPv6 address is bracketed when a port follows it.
            let bracket = min.is_ipv6() && nat.port_min.is_some();
            f.write_str("=")?;
            write_addr(f, min, bracket)?;
            if let Some(max) = nat.addr_max.filter(|max| *max != min) {
                f.write_str("-")?;
                write_addr(f, max, bracket)?;
            }
            if let Some(lo) = nat.port_min {
                write!(f, ":{lo}")?;
                if let Some(hi) = nat.port_max.filter(|hi| *hi != lo) {
                    write!(f, "-{hi}")?;
                }
            }
        }
        if nat.persistent {
            f.write_str(",persistent")?;
        }
        if nat.random {
            f.write_str(",random")?;
        }
        f.write_str(")")
    }
}

fn write_addr(f: &mut fmt::Formatter<'_>, addr: IpAddr, bracket: bool) -> fmt::Result {
    if bracket {
        write!(f, "[{addr}]")
    } else {
        write!(f, "{addr}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nat(kind: Option<NatKind>, addrs: Option<(&str, &str)>, ports: Option<(u16, u16)>) -> Nat {
        let parse = |s: &str| s.parse::<IpAddr>().ok();
        Nat(NatAction {
            kind,
            addr_min: addrs.and_then(|(lo, _)| parse(lo)),
            addr_max: addrs.and_then(|(_, hi)| parse(hi)),
            port_min: ports.map(|(lo, _)| lo),
            port_max: ports.map(|(_, hi)| hi),
            persistent: false,
            random: false,
        })
    }

    // Expectations from OVS 3.1 `dpctl/add-flow` + `dpctl/dump-flows`.
    #[test]
    fn ct_prints_its_parts_in_ovs_order() {
        assert_eq!(Ct::default().to_string(), "ct");
        let zone = Ct {
            zone: 5,
            ..Ct::default()
        };
        assert_eq!(zone.to_string(), "ct(zone=5)");
        let full = Ct {
            commit: Some(CtCommit::Commit),
            zone: 5,
            mark: Some(Masked {
                value: 1,
                mask: u32::MAX,
            }),
            label: Some(Masked {
                value: 2,
                mask: 0xff,
            }),
            helper: Some(Helper::Ftp),
            nat: Some(nat(
                Some(NatKind::Src),
                Some(("10.0.0.1", "10.0.0.5")),
                Some((1000, 2000)),
            )),
        };
        assert_eq!(
            full.to_string(),
            "ct(commit,zone=5,mark=0x1/0xffffffff,label=0x2/0xff,helper=ftp,\
             nat(src=10.0.0.1-10.0.0.5:1000-2000))"
        );
        let force = Ct {
            commit: Some(CtCommit::Force),
            ..Ct::default()
        };
        assert_eq!(force.to_string(), "ct(force_commit)");
        let label = Ct {
            commit: Some(CtCommit::Commit),
            label: Some(Masked {
                value: 1,
                mask: u128::MAX,
            }),
            ..Ct::default()
        };
        assert_eq!(label.to_string(), "ct(commit,label=0x1)");
        let mark = Ct {
            commit: Some(CtCommit::Commit),
            mark: Some(Masked {
                value: 5,
                mask: u32::MAX,
            }),
            ..Ct::default()
        };
        assert_eq!(mark.to_string(), "ct(commit,mark=0x5/0xffffffff)");
    }

    #[test]
    fn nat_forms_print_as_ovs() {
        let show = |n: Nat| {
            Ct {
                commit: Some(CtCommit::Commit),
                nat: Some(n),
                ..Ct::default()
            }
            .to_string()
        };
        assert_eq!(
            Ct {
                nat: Some(nat(None, None, None)),
                ..Ct::default()
            }
            .to_string(),
            "ct(nat)"
        );
        assert_eq!(
            show(nat(Some(NatKind::Src), None, None)),
            "ct(commit,nat(src))"
        );
        assert_eq!(
            show(nat(
                Some(NatKind::Dst),
                Some(("10.0.0.1", "10.0.0.1")),
                None
            )),
            "ct(commit,nat(dst=10.0.0.1))"
        );
        assert_eq!(
            show(nat(
                Some(NatKind::Src),
                Some(("10.0.0.1", "10.0.0.1")),
                Some((1000, 1000))
            )),
            "ct(commit,nat(src=10.0.0.1:1000))"
        );
        assert_eq!(
            show(nat(
                Some(NatKind::Src),
                Some(("fe80::1", "fe80::1")),
                Some((80, 80))
            )),
            "ct(commit,nat(src=[fe80::1]:80))"
        );
        let mut flags = nat(
            Some(NatKind::Src),
            Some(("10.0.0.1", "10.0.0.5")),
            Some((1000, 2000)),
        );
        flags.0.persistent = true;
        flags.0.random = true;
        assert_eq!(
            show(flags),
            "ct(commit,nat(src=10.0.0.1-10.0.0.5:1000-2000,persistent,random))"
        );
        let mut v6 = nat(Some(NatKind::Src), Some(("fe80::1", "fe80::5")), None);
        v6.0.random = true;
        assert_eq!(show(v6), "ct(commit,nat(src=fe80::1-fe80::5,random))");
    }

    #[test]
    fn params_carry_commit_force_and_zone() {
        let ct = Ct {
            commit: Some(CtCommit::Force),
            zone: 9,
            ..Ct::default()
        };
        let p = ct.params();
        assert!(p.commit && p.force);
        assert_eq!(p.zone, 9);
    }
}
