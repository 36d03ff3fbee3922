//! Sequence number adjustment of a connection whose payload an ALG
//! resized: after a segment of one direction grew or shrank, that
//! direction's later sequence numbers, and the other direction's
//! acknowledgements of them, are shifted by the total change.
//!
//! Each direction remembers where its last change was and the offset
//! before and after it, so a retransmission of the changed segment (or
//! of anything before it) gets the offset it had the first time, and
//! rewriting it again does not count the change twice. (OVS keeps one
//! offset, the last change's alone, and applies it to every segment.)

/// The adjustment of one direction's sequence numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SeqAdj {
    /// The sequence number of the segment of the last change.
    pos: u32,
    /// The offset of segments up to and including that one.
    before: i32,
    /// The offset of segments after it.
    after: i32,
    changed: bool,
}

fn after(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

impl SeqAdj {
    /// Records that the segment starting at `seq` changed length by
    /// `delta`; a segment at or before the last change (a
    /// retransmission) was counted already.
    pub fn record(&mut self, seq: u32, delta: i32) {
        if delta == 0 || (self.changed && !after(seq, self.pos)) {
            return;
        }
        self.before = self.after;
        self.after = self.after.wrapping_add(delta);
        self.pos = seq;
        self.changed = true;
    }

    /// What to add to the sequence number `seq` of this direction.
    pub fn seq_offset(&self, seq: u32) -> i32 {
        if self.changed && after(seq, self.pos) {
            self.after
        } else {
            self.before
        }
    }

    /// What to add to an acknowledgement `ack` of this direction's data
    /// (sent by the other side, which saw the adjusted numbers).
    pub fn ack_offset(&self, ack: u32) -> i32 {
        let unadjusted = ack.wrapping_sub(self.before as u32);
        if self.changed && after(unadjusted, self.pos) {
            self.after.wrapping_neg()
        } else {
            self.before.wrapping_neg()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_segments_shift_and_acks_shift_back() {
        let mut adj = SeqAdj::default();
        assert_eq!(adj.seq_offset(1000), 0);
        // The segment at 1001 (22 bytes) grew by 6.
        adj.record(1001, 6);
        assert_eq!(adj.seq_offset(1001), 0);
        assert_eq!(adj.seq_offset(1023), 6);
        // The peer acknowledges the grown segment (1001 + 28) and one
        // before it.
        assert_eq!(adj.ack_offset(1029), -6);
        assert_eq!(adj.ack_offset(1001), 0);
    }

    #[test]
    fn a_retransmission_keeps_its_offset_and_is_not_counted_again() {
        let mut adj = SeqAdj::default();
        adj.record(1001, 6);
        adj.record(1001, 6);
        assert_eq!(adj.seq_offset(1001), 0);
        assert_eq!(adj.seq_offset(1023), 6);
        adj.record(900, 6);
        assert_eq!(adj.seq_offset(1023), 6);
    }

    #[test]
    fn changes_add_up_and_may_shrink() {
        let mut adj = SeqAdj::default();
        adj.record(1001, 6);
        adj.record(1100, -2);
        assert_eq!(adj.seq_offset(1050), 6);
        assert_eq!(adj.seq_offset(1100), 6);
        assert_eq!(adj.seq_offset(1200), 4);
        assert_eq!(adj.ack_offset(1100 + 6 + 20), -4);
    }

    #[test]
    fn sequence_numbers_wrap() {
        let mut adj = SeqAdj::default();
        adj.record(u32::MAX - 5, 7);
        assert_eq!(adj.seq_offset(3), 7);
        assert_eq!(adj.ack_offset(20), -7);
    }
}
