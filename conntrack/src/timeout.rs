//! Timeouts: the protocol states a connection can time out from, the
//! timeout policy that gives each its length, and OVS's defaults.

use core::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The state a connection's timer runs for; each maps to one attribute of
/// a timeout policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TimeoutKind {
    TcpFirstPacket,
    TcpOpening,
    TcpEstablished,
    TcpClosing,
    TcpFinWait,
    TcpClosed,
    OtherFirst,
    OtherMultiple,
    OtherBidir,
    IcmpFirst,
    IcmpReply,
}

/// The attributes of a timeout policy, named as OVS names them
/// (`ovs-vsctl add-zone-tp ... tcp_syn_sent=30`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyAttr {
    TcpSynSent,
    TcpSynRecv,
    TcpEstablished,
    TcpFinWait,
    TcpTimeWait,
    TcpClose,
    UdpFirst,
    UdpSingle,
    UdpMultiple,
    IcmpFirst,
    IcmpReply,
}

impl PolicyAttr {
    pub const ALL: [PolicyAttr; 11] = [
        PolicyAttr::TcpSynSent,
        PolicyAttr::TcpSynRecv,
        PolicyAttr::TcpEstablished,
        PolicyAttr::TcpFinWait,
        PolicyAttr::TcpTimeWait,
        PolicyAttr::TcpClose,
        PolicyAttr::UdpFirst,
        PolicyAttr::UdpSingle,
        PolicyAttr::UdpMultiple,
        PolicyAttr::IcmpFirst,
        PolicyAttr::IcmpReply,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PolicyAttr::TcpSynSent => "tcp_syn_sent",
            PolicyAttr::TcpSynRecv => "tcp_syn_recv",
            PolicyAttr::TcpEstablished => "tcp_established",
            PolicyAttr::TcpFinWait => "tcp_fin_wait",
            PolicyAttr::TcpTimeWait => "tcp_time_wait",
            PolicyAttr::TcpClose => "tcp_close",
            PolicyAttr::UdpFirst => "udp_first",
            PolicyAttr::UdpSingle => "udp_single",
            PolicyAttr::UdpMultiple => "udp_multiple",
            PolicyAttr::IcmpFirst => "icmp_first",
            PolicyAttr::IcmpReply => "icmp_reply",
        }
    }
}

impl FromStr for PolicyAttr {
    type Err = TimeoutError;
    fn from_str(s: &str) -> Result<Self, TimeoutError> {
        PolicyAttr::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| TimeoutError::UnknownAttr(s.to_string()))
    }
}

impl fmt::Display for PolicyAttr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl TimeoutKind {
    /// The policy attribute that sets this timer. OVS maps "other, several
    /// packets one way" to UDP_SINGLE and "both ways" to UDP_MULTIPLE.
    pub fn attr(self) -> PolicyAttr {
        match self {
            TimeoutKind::TcpFirstPacket => PolicyAttr::TcpSynSent,
            TimeoutKind::TcpOpening => PolicyAttr::TcpSynRecv,
            TimeoutKind::TcpEstablished => PolicyAttr::TcpEstablished,
            TimeoutKind::TcpClosing => PolicyAttr::TcpFinWait,
            TimeoutKind::TcpFinWait => PolicyAttr::TcpTimeWait,
            TimeoutKind::TcpClosed => PolicyAttr::TcpClose,
            TimeoutKind::OtherFirst => PolicyAttr::UdpFirst,
            TimeoutKind::OtherMultiple => PolicyAttr::UdpSingle,
            TimeoutKind::OtherBidir => PolicyAttr::UdpMultiple,
            TimeoutKind::IcmpFirst => PolicyAttr::IcmpFirst,
            TimeoutKind::IcmpReply => PolicyAttr::IcmpReply,
        }
    }
}

/// The shortest timeout a policy may set, in seconds: a zero timeout
/// would expire a connection before its reply could arrive.
pub const MIN_TIMEOUT_SECS: u32 = 1;

/// Why a timeout policy was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeoutError {
    #[error(
        "timeout policy attribute {attr} is {value} s, below the minimum of {MIN_TIMEOUT_SECS} s"
    )]
    BelowMinimum { attr: PolicyAttr, value: u32 },
    #[error("unknown timeout policy attribute \"{0}\"")]
    UnknownAttr(String),
    #[error("too many timeout policy changes (at most {0} are kept)")]
    TooManyVersions(usize),
}

/// The length, in seconds, of every timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeoutPolicy {
    secs: [u32; 11],
}

impl Default for TimeoutPolicy {
    fn default() -> Self {
        TimeoutPolicy::DEFAULT
    }
}

impl TimeoutPolicy {
    /// OVS's userspace defaults (lib/conntrack-tp.c in OVS 3.1), in the
    /// order of [`PolicyAttr::ALL`].
    pub const DEFAULT: TimeoutPolicy = TimeoutPolicy {
        secs: [30, 30, 24 * 60 * 60, 15 * 60, 45, 30, 60, 60, 30, 60, 30],
    };

    /// The defaults with `overrides` applied; refuses a value below
    /// [`MIN_TIMEOUT_SECS`].
    pub fn with(overrides: &[(PolicyAttr, u32)]) -> Result<Self, TimeoutError> {
        let mut policy = TimeoutPolicy::default();
        for &(attr, value) in overrides {
            if value < MIN_TIMEOUT_SECS {
                return Err(TimeoutError::BelowMinimum { attr, value });
            }
            policy.secs[attr as usize] = value;
        }
        Ok(policy)
    }

    pub fn get(&self, attr: PolicyAttr) -> u32 {
        self.secs[attr as usize]
    }

    /// The timer length of `kind`, in milliseconds.
    pub fn millis(&self, kind: TimeoutKind) -> u64 {
        u64::from(self.secs[kind.attr() as usize]) * 1000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_ovs_defaults() {
        let p = TimeoutPolicy::default();
        assert_eq!(p.get(PolicyAttr::TcpEstablished), 86400);
        assert_eq!(p.millis(TimeoutKind::TcpClosing), 900_000);
        assert_eq!(p.millis(TimeoutKind::TcpFinWait), 45_000);
        assert_eq!(p.millis(TimeoutKind::OtherBidir), 30_000);
        assert_eq!(p.millis(TimeoutKind::OtherMultiple), 60_000);
        assert_eq!(p.millis(TimeoutKind::IcmpReply), 30_000);
    }

    #[test]
    fn overrides_apply_and_values_below_minimum_are_rejected() {
        let p = TimeoutPolicy::with(&[(PolicyAttr::UdpFirst, 5)]).unwrap();
        assert_eq!(p.millis(TimeoutKind::OtherFirst), 5000);
        let err = TimeoutPolicy::with(&[(PolicyAttr::UdpSingle, 0)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "timeout policy attribute udp_single is 0 s, below the minimum of 1 s"
        );
    }

    #[test]
    fn attributes_parse_by_name() {
        assert_eq!(
            "TCP_SYN_SENT".parse::<PolicyAttr>().unwrap(),
            PolicyAttr::TcpSynSent
        );
        assert!("tcp_bogus".parse::<PolicyAttr>().is_err());
    }
}
