//! ICMP and ICMPv6 queries (echo, timestamp, information): a request,
//! then replies.

use super::Verdict;
use crate::timeout::TimeoutKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IcmpState {
    First,
    Reply,
}

impl IcmpState {
    pub fn timeout_kind(self) -> TimeoutKind {
        match self {
            IcmpState::First => TimeoutKind::IcmpFirst,
            IcmpState::Reply => TimeoutKind::IcmpReply,
        }
    }

    /// A packet of the query; every one is valid. As in OVS, requests
    /// stay `+new` until a reply has been seen.
    pub fn update(&mut self, reply: bool) -> Verdict {
        if reply {
            *self = IcmpState::Reply;
        } else if *self == IcmpState::First {
            return Verdict::ValidNew(self.timeout_kind());
        }
        Verdict::Valid(Some(self.timeout_kind()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_reply_moves_to_reply_timer() {
        let mut s = IcmpState::First;
        // Every request before a reply is +new (OVS 3.1, icmp-repeat.scn).
        for _ in 0..2 {
            assert_eq!(s.update(false), Verdict::ValidNew(TimeoutKind::IcmpFirst));
        }
        assert_eq!(s.update(true), Verdict::Valid(Some(TimeoutKind::IcmpReply)));
        assert_eq!(
            s.update(false),
            Verdict::Valid(Some(TimeoutKind::IcmpReply))
        );
    }
}
