//! UDP and every protocol without a tracker of its own: first packet,
//! several packets one way, packets both ways.

use super::Verdict;
use crate::timeout::TimeoutKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtherState {
    First,
    Multiple,
    Bidir,
}

impl OtherState {
    pub fn timeout_kind(self) -> TimeoutKind {
        match self {
            OtherState::First => TimeoutKind::OtherFirst,
            OtherState::Multiple => TimeoutKind::OtherMultiple,
            OtherState::Bidir => TimeoutKind::OtherBidir,
        }
    }

    /// A packet of the connection. As in OVS, packets in the original
    /// direction stay `+new` until a reply has been seen (the second one
    /// moves the connection to the longer `multiple` timer); a reply makes
    /// it bidirectional.
    pub fn update(&mut self, reply: bool) -> Verdict {
        if reply {
            *self = OtherState::Bidir;
        } else if *self != OtherState::Bidir {
            *self = OtherState::Multiple;
            return Verdict::ValidNew(self.timeout_kind());
        }
        Verdict::Valid(Some(self.timeout_kind()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn udp_goes_first_then_multiple_then_bidir() {
        let mut s = OtherState::First;
        // One way, every datagram is +new (OVS 3.1, udp-repeat.scn).
        for _ in 0..3 {
            assert_eq!(
                s.update(false),
                Verdict::ValidNew(TimeoutKind::OtherMultiple)
            );
        }
        assert_eq!(
            s.update(true),
            Verdict::Valid(Some(TimeoutKind::OtherBidir))
        );
        assert_eq!(
            s.update(false),
            Verdict::Valid(Some(TimeoutKind::OtherBidir))
        );
    }

    #[test]
    fn reply_to_first_packet_is_bidir_at_once() {
        let mut s = OtherState::First;
        assert_eq!(
            s.update(true),
            Verdict::Valid(Some(TimeoutKind::OtherBidir))
        );
    }
}
