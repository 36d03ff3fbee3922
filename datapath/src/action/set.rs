//! `set(...)`: header fields rewritten under a mask.
//!
//! OVS's userspace datapath gets masked sets (`OVS_ACTION_ATTR_SET_MASKED`)
//! from translation; they print as `set(ipv4(src=1.2.3.4/255.255.255.0))`,
//! naming only the fields whose mask is not zero and leaving out a mask
//! that covers the whole field. The executor applies them (with checksum
//! fixes) in `execute::set`.

use core::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use conntrack::Masked;
use nxm_fields::format::{format_ethernet, CHex};

/// A field left alone: mask zero.
const fn untouched<T: Copy>(zero: T) -> Masked<T> {
    Masked {
        value: zero,
        mask: zero,
    }
}

/// Ethernet addresses, as 48-bit integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EthSet {
    pub src: Masked<u64>,
    pub dst: Masked<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Set {
    pub src: Masked<u32>,
    pub dst: Masked<u32>,
    pub tos: Masked<u8>,
    pub ttl: Masked<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Set {
    pub src: Masked<u128>,
    pub dst: Masked<u128>,
    /// The 20-bit flow label.
    pub label: Masked<u32>,
    pub tclass: Masked<u8>,
    pub hlimit: Masked<u8>,
}

/// Transport ports (TCP, UDP or SCTP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortsSet {
    pub src: Masked<u16>,
    pub dst: Masked<u16>,
}

/// ICMP or ICMPv6 type and code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpSet {
    pub icmp_type: Masked<u8>,
    pub code: Masked<u8>,
}

/// An ARP header's addresses and opcode (the 16-bit wire opcode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArpSet {
    pub sip: Masked<u32>,
    pub tip: Masked<u32>,
    pub op: Masked<u16>,
    /// Hardware addresses, as 48-bit integers.
    pub sha: Masked<u64>,
    pub tha: Masked<u64>,
}

impl Default for EthSet {
    fn default() -> Self {
        EthSet {
            src: untouched(0),
            dst: untouched(0),
        }
    }
}

impl Default for Ipv4Set {
    fn default() -> Self {
        Ipv4Set {
            src: untouched(0),
            dst: untouched(0),
            tos: untouched(0),
            ttl: untouched(0),
        }
    }
}

impl Default for Ipv6Set {
    fn default() -> Self {
        Ipv6Set {
            src: untouched(0),
            dst: untouched(0),
            label: untouched(0),
            tclass: untouched(0),
            hlimit: untouched(0),
        }
    }
}

impl Default for PortsSet {
    fn default() -> Self {
        PortsSet {
            src: untouched(0),
            dst: untouched(0),
        }
    }
}

/// One `set(...)` action: one header's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetAction {
    Eth(EthSet),
    Ipv4(Ipv4Set),
    Ipv6(Ipv6Set),
    Tcp(PortsSet),
    Udp(PortsSet),
    /// SCTP ports; the executor fixes the CRC32c checksum.
    Sctp(PortsSet),
    Icmp(IcmpSet),
    Icmpv6(IcmpSet),
    Arp(ArpSet),
}

/// Collects `name=value[/mask]` for the fields whose mask is not zero.
struct Fields(Vec<String>);

impl Fields {
    fn add<T>(&mut self, name: &str, m: Masked<T>, full: T, show: impl Fn(T) -> String)
    where
        T: Copy + PartialEq + Default,
    {
        if m.mask == T::default() {
            return;
        }
        if m.mask == full {
            self.0.push(format!("{name}={}", show(m.value)));
        } else {
            self.0
                .push(format!("{name}={}/{}", show(m.value), show(m.mask)));
        }
    }

    /// A field OVS prints as a decimal value with a hex mask (`src=80/0xff00`).
    fn add_decimal<T>(&mut self, name: &str, m: Masked<T>, full: T)
    where
        T: Copy + PartialEq + Default + Into<u128> + fmt::Display,
    {
        if m.mask == T::default() {
            return;
        }
        if m.mask == full {
            self.0.push(format!("{name}={}", m.value));
        } else {
            self.0.push(format!("{name}={}/{}", m.value, hex(m.mask)));
        }
    }
}

fn hex<T: Into<u128>>(v: T) -> String {
    CHex(v.into()).to_string()
}

impl fmt::Display for SetAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut fields = Fields(Vec::new());
        let header = match self {
            SetAction::Eth(e) => {
                let mac = |v: u64| format_ethernet(u128::from(v));
                fields.add("src", e.src, 0xffff_ffff_ffff, mac);
                fields.add("dst", e.dst, 0xffff_ffff_ffff, mac);
                "eth"
            }
            SetAction::Ipv4(ip) => {
                let addr = |v: u32| Ipv4Addr::from(v).to_string();
                fields.add("src", ip.src, u32::MAX, addr);
                fields.add("dst", ip.dst, u32::MAX, addr);
                fields.add("tos", ip.tos, u8::MAX, hex);
                fields.add_decimal("ttl", ip.ttl, u8::MAX);
                "ipv4"
            }
            SetAction::Ipv6(ip) => {
                let addr = |v: u128| Ipv6Addr::from(v).to_string();
                fields.add("src", ip.src, u128::MAX, addr);
                fields.add("dst", ip.dst, u128::MAX, addr);
                fields.add("label", ip.label, 0xf_ffff, hex);
                fields.add("tclass", ip.tclass, u8::MAX, hex);
                fields.add_decimal("hlimit", ip.hlimit, u8::MAX);
                "ipv6"
            }
            SetAction::Tcp(p) | SetAction::Udp(p) | SetAction::Sctp(p) => {
                fields.add_decimal("src", p.src, u16::MAX);
                fields.add_decimal("dst", p.dst, u16::MAX);
                match self {
                    SetAction::Tcp(_) => "tcp",
                    SetAction::Udp(_) => "udp",
                    _ => "sctp",
                }
            }
            SetAction::Icmp(i) | SetAction::Icmpv6(i) => {
                fields.add_decimal("type", i.icmp_type, u8::MAX);
                fields.add_decimal("code", i.code, u8::MAX);
                if matches!(self, SetAction::Icmp(_)) {
                    "icmp"
                } else {
                    "icmpv6"
                }
            }
            SetAction::Arp(a) => {
                let addr = |v: u32| Ipv4Addr::from(v).to_string();
                let mac = |v: u64| format_ethernet(u128::from(v));
                fields.add("sip", a.sip, u32::MAX, addr);
                fields.add("tip", a.tip, u32::MAX, addr);
                fields.add_decimal("op", a.op, u16::MAX);
                fields.add("sha", a.sha, 0xffff_ffff_ffff, mac);
                fields.add("tha", a.tha, 0xffff_ffff_ffff, mac);
                "arp"
            }
        };
        write!(f, "set({header}({}))", fields.0.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact<T: Copy>(value: T, mask: T) -> Masked<T> {
        Masked { value, mask }
    }

    // Expectations from OVS 3.1 `dpctl/add-flow` + `dpctl/dump-flows`.
    #[test]
    fn ipv4_sets_print_as_ovs() {
        let mut ip = Ipv4Set {
            src: exact(0x0102_0304, u32::MAX),
            ..Ipv4Set::default()
        };
        assert_eq!(SetAction::Ipv4(ip).to_string(), "set(ipv4(src=1.2.3.4))");
        ip.src.mask = 0xffff_ff00;
        assert_eq!(
            SetAction::Ipv4(ip).to_string(),
            "set(ipv4(src=1.2.3.4/255.255.255.0))"
        );
        let both = Ipv4Set {
            src: exact(0x0102_0304, 0xffff_0000),
            dst: exact(0x0506_0708, 0xff00_0000),
            ..Ipv4Set::default()
        };
        assert_eq!(
            SetAction::Ipv4(both).to_string(),
            "set(ipv4(src=1.2.3.4/255.255.0.0,dst=5.6.7.8/255.0.0.0))"
        );
        let ttl = Ipv4Set {
            src: exact(0x0102_0304, u32::MAX),
            ttl: exact(3, 0xff),
            ..Ipv4Set::default()
        };
        assert_eq!(
            SetAction::Ipv4(ttl).to_string(),
            "set(ipv4(src=1.2.3.4,ttl=3))"
        );
        let tos = Ipv4Set {
            tos: exact(4, 0xfc),
            ..Ipv4Set::default()
        };
        assert_eq!(SetAction::Ipv4(tos).to_string(), "set(ipv4(tos=0x4/0xfc))");
        let tos = Ipv4Set {
            tos: exact(4, 0xff),
            ..Ipv4Set::default()
        };
        assert_eq!(SetAction::Ipv4(tos).to_string(), "set(ipv4(tos=0x4))");
    }

    #[test]
    fn port_eth_and_ipv6_sets_print_as_ovs() {
        let tcp = PortsSet {
            src: exact(80, 0xffff),
            ..PortsSet::default()
        };
        assert_eq!(SetAction::Tcp(tcp).to_string(), "set(tcp(src=80))");
        let masked = PortsSet {
            src: exact(80, 0xff00),
            ..PortsSet::default()
        };
        assert_eq!(
            SetAction::Tcp(masked).to_string(),
            "set(tcp(src=80/0xff00))"
        );
        let udp = PortsSet {
            src: exact(1, 0xffff),
            dst: exact(2, 0xffff),
        };
        assert_eq!(SetAction::Udp(udp).to_string(), "set(udp(src=1,dst=2))");
        assert_eq!(SetAction::Sctp(udp).to_string(), "set(sctp(src=1,dst=2))");
        assert_eq!(
            SetAction::Sctp(masked).to_string(),
            "set(sctp(src=80/0xff00))"
        );
        let eth = EthSet {
            src: exact(0x0001_0203_0405, 0xffff_ffff_ffff),
            dst: exact(0x0001_0203_0406, 0xffff_ffff_ffff),
        };
        assert_eq!(
            SetAction::Eth(eth).to_string(),
            "set(eth(src=00:01:02:03:04:05,dst=00:01:02:03:04:06))"
        );
        let eth = EthSet {
            src: exact(0x0001_0203_0405, 0xffff_ff00_0000),
            ..EthSet::default()
        };
        assert_eq!(
            SetAction::Eth(eth).to_string(),
            "set(eth(src=00:01:02:03:04:05/ff:ff:ff:00:00:00))"
        );
        let fe80_1 = 0xfe80_0000_0000_0000_0000_0000_0000_0001;
        let v6 = Ipv6Set {
            src: exact(fe80_1, u128::MAX),
            ..Ipv6Set::default()
        };
        assert_eq!(SetAction::Ipv6(v6).to_string(), "set(ipv6(src=fe80::1))");
        let v6 = Ipv6Set {
            src: exact(fe80_1, 0xffff << 112),
            ..Ipv6Set::default()
        };
        assert_eq!(
            SetAction::Ipv6(v6).to_string(),
            "set(ipv6(src=fe80::1/ffff::))"
        );
    }

    // As OVS 3.1's ofproto/trace prints them.
    #[test]
    fn icmp_and_arp_sets_print_as_ovs() {
        let icmp = IcmpSet {
            icmp_type: exact(0, u8::MAX),
            code: exact(7, u8::MAX),
        };
        assert_eq!(
            SetAction::Icmp(icmp).to_string(),
            "set(icmp(type=0,code=7))"
        );
        assert_eq!(
            SetAction::Icmpv6(icmp).to_string(),
            "set(icmpv6(type=0,code=7))"
        );
        let arp = ArpSet {
            sip: exact(0x0a00_0002, u32::MAX),
            tip: exact(0, 0),
            op: exact(2, u16::MAX),
            sha: exact(0x0102_0304_0506, 0xffff_ffff_ffff),
            tha: exact(0, 0),
        };
        assert_eq!(
            SetAction::Arp(arp).to_string(),
            "set(arp(sip=10.0.0.2,op=2,sha=01:02:03:04:05:06))"
        );
    }
}
