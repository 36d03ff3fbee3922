//! TCP: window tracking in the style of OpenBSD pf (Guido van Rooij's
//! sequence tracking), with the peer states OVS reports in its dumps.
//!
//! Each peer keeps the highest sequence number it sent (`seqlo`), the
//! highest the other side allowed it to send (`seqhi`), its largest
//! window and its window scale. A segment is valid when it lies within
//! those bounds; a looser second test accepts the stray segments of a
//! connection picked up mid-stream or just closed.

use serde::{Deserialize, Serialize};

use super::Verdict;
use crate::timeout::TimeoutKind;
use crate::wire::tcp::{flags, MAX_WINDOW_SCALE};

/// The TCP states in OVS's order and with its names (`ct_dpif_tcp_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum TcpState {
    #[serde(rename = "CLOSED")]
    Closed,
    #[serde(rename = "LISTEN")]
    Listen,
    #[serde(rename = "SYN_SENT")]
    SynSent,
    #[serde(rename = "SYN_RECV")]
    SynRecv,
    #[serde(rename = "ESTABLISHED")]
    Established,
    #[serde(rename = "CLOSE_WAIT")]
    CloseWait,
    #[serde(rename = "FIN_WAIT_1")]
    FinWait1,
    #[serde(rename = "CLOSING")]
    Closing,
    #[serde(rename = "LAST_ACK")]
    LastAck,
    #[serde(rename = "FIN_WAIT_2")]
    FinWait2,
    #[serde(rename = "TIME_WAIT")]
    TimeWait,
}

impl TcpState {
    pub const ALL: [TcpState; 11] = [
        TcpState::Closed,
        TcpState::Listen,
        TcpState::SynSent,
        TcpState::SynRecv,
        TcpState::Established,
        TcpState::CloseWait,
        TcpState::FinWait1,
        TcpState::Closing,
        TcpState::LastAck,
        TcpState::FinWait2,
        TcpState::TimeWait,
    ];

    pub fn name(self) -> &'static str {
        match self {
            TcpState::Closed => "CLOSED",
            TcpState::Listen => "LISTEN",
            TcpState::SynSent => "SYN_SENT",
            TcpState::SynRecv => "SYN_RECV",
            TcpState::Established => "ESTABLISHED",
            TcpState::CloseWait => "CLOSE_WAIT",
            TcpState::FinWait1 => "FIN_WAIT_1",
            TcpState::Closing => "CLOSING",
            TcpState::LastAck => "LAST_ACK",
            TcpState::FinWait2 => "FIN_WAIT_2",
            TcpState::TimeWait => "TIME_WAIT",
        }
    }

    pub fn from_name(name: &str) -> Option<TcpState> {
        TcpState::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The one state a non-verbose dump prints for a connection: the
    /// further of the two peers', with FIN_WAIT_2 shown as TIME_WAIT and
    /// SYN_RECV as ESTABLISHED, as `ovs-appctl dpctl/dump-conntrack` does.
    pub fn coalesce(orig: TcpState, reply: TcpState) -> TcpState {
        match orig.max(reply) {
            TcpState::FinWait2 => TcpState::TimeWait,
            TcpState::SynRecv => TcpState::Established,
            s => s,
        }
    }
}

/// Window-scale bits of [`TcpPeer::wscale`]: the low nibble is the shift.
const WSCALE_KNOWN: u8 = 0x80;
const WSCALE_UNKNOWN: u8 = 0x40;
const WSCALE_SHIFT: u8 = 0x0f;

/// How far back a retransmission or an acknowledgment may reach (one
/// maximal window plus a fudge factor for a reassembled fragment).
const MAX_ACK_WINDOW: i64 = 0xffff + 1500;

/// One side of a TCP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpPeer {
    /// The highest sequence number this peer has sent, plus one.
    pub seqlo: u32,
    /// The highest sequence number the other peer allowed it to send.
    pub seqhi: u32,
    /// Its largest advertised window, before scaling.
    pub max_win: u16,
    /// Window scale: `WSCALE_KNOWN | shift`, `WSCALE_UNKNOWN`, or 0.
    pub wscale: u8,
    pub state: TcpState,
}

/// The fields of a segment the tracker looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Segment {
    pub flags: u16,
    pub seq: u32,
    pub ack: u32,
    pub window: u16,
    pub payload_len: u32,
    pub window_scale: Option<u8>,
}

fn seq_geq(a: u32, b: u32) -> bool {
    a.wrapping_sub(b) as i32 >= 0
}

fn seq_gt(a: u32, b: u32) -> bool {
    a.wrapping_sub(b) as i32 > 0
}

fn has(f: u16, bits: u16) -> bool {
    f & bits != 0
}

/// Flag combinations no TCP sends: SYN with RST or FIN, none of SYN, ACK
/// and RST, or FIN/PSH/URG without ACK.
pub fn invalid_flags(f: u16) -> bool {
    if has(f, flags::SYN) {
        if has(f, flags::RST | flags::FIN) {
            return true;
        }
    } else if !has(f, flags::ACK | flags::RST) {
        return true;
    }
    !has(f, flags::ACK) && has(f, flags::FIN | flags::PSH | flags::URG)
}

/// Whether a segment may open a connection: any sane segment but a
/// SYN|ACK (a half-open connection is not picked up).
pub fn valid_new(f: u16) -> bool {
    let syn_ack = flags::SYN | flags::ACK;
    !invalid_flags(f) && f & syn_ack != syn_ack
}

fn wscale_of(seg: &Segment) -> u8 {
    seg.window_scale
        .map_or(0, |s| WSCALE_KNOWN | s.min(MAX_WINDOW_SCALE))
}

/// The peers of a connection opened by `seg`.
pub fn new_conn(seg: &Segment) -> [TcpPeer; 2] {
    let syn = has(seg.flags, flags::SYN);
    let mut src = TcpPeer {
        seqlo: seg.seq,
        seqhi: 0,
        max_win: seg.window.max(1),
        wscale: 0,
        state: TcpState::SynSent,
    };
    let mut dst = TcpPeer {
        seqlo: 0,
        seqhi: 1,
        max_win: 1,
        wscale: 0,
        state: TcpState::Closed,
    };
    src.seqhi = seg.seq.wrapping_add(seg.payload_len).wrapping_add(1);
    if syn {
        src.seqhi = src.seqhi.wrapping_add(1);
        src.wscale = wscale_of(seg);
    } else {
        // Picked up mid-stream: the scales were never seen.
        src.wscale = WSCALE_UNKNOWN;
        dst.wscale = WSCALE_UNKNOWN;
    }
    let shift = src.wscale & WSCALE_SHIFT;
    if shift != 0 {
        src.max_win = div_round_up(u32::from(src.max_win), shift);
    }
    if has(seg.flags, flags::FIN) {
        src.seqhi = src.seqhi.wrapping_add(1);
    }
    [src, dst]
}

fn div_round_up(win: u32, shift: u8) -> u16 {
    let scaled = (win + (1 << shift) - 1) >> shift;
    u16::try_from(scaled).unwrap_or(u16::MAX)
}

/// A connection picked up from a dump (no sequence numbers known): both
/// peers in `state`, windows unknown, so the first segments each way are
/// accepted by the loose test and resynchronise the windows.
pub fn picked_up(orig: TcpState, reply: TcpState) -> [TcpPeer; 2] {
    let peer = |state| TcpPeer {
        seqlo: 0,
        seqhi: 1,
        max_win: 1,
        wscale: WSCALE_UNKNOWN,
        state,
    };
    [peer(orig), peer(reply)]
}

/// The timer for the peers' states.
pub fn timeout_kind(peers: &[TcpPeer; 2]) -> TimeoutKind {
    let (a, b) = (peers[0].state, peers[1].state);
    if a >= TcpState::FinWait2 && b >= TcpState::FinWait2 {
        TimeoutKind::TcpClosed
    } else if a >= TcpState::Closing && b >= TcpState::Closing {
        TimeoutKind::TcpFinWait
    } else if a < TcpState::Established || b < TcpState::Established {
        TimeoutKind::TcpOpening
    } else if a >= TcpState::Closing || b >= TcpState::Closing {
        TimeoutKind::TcpClosing
    } else {
        TimeoutKind::TcpEstablished
    }
}

/// Runs `seg`, sent by the original side (`reply == false`) or the reply
/// side, through the connection. `check_seq == false` is the liberal mode
/// that skips the window checks (OVS's `dpctl/ct-disable-tcp-seq-chk`).
pub fn update(peers: &mut [TcpPeer; 2], seg: &Segment, reply: bool, check_seq: bool) -> Verdict {
    let f = seg.flags;
    if invalid_flags(f) {
        return Verdict::Invalid;
    }
    let [orig, rep] = peers;
    let (src, dst) = if reply { (rep, orig) } else { (orig, rep) };

    if f & (flags::SYN | flags::ACK) == flags::SYN {
        if dst.state >= TcpState::FinWait2 && src.state >= TcpState::FinWait2 {
            src.state = TcpState::Closed;
            dst.state = TcpState::Closed;
            return Verdict::Reopen;
        }
        if src.state <= TcpState::SynSent {
            // A retransmitted SYN, or the other side's SYN of a
            // simultaneous open: still opening, so still `+new` (OVS 3.1).
            src.state = TcpState::SynSent;
            return Verdict::ValidNew(TimeoutKind::TcpFirstPacket);
        }
    }

    let syn = has(f, flags::SYN);
    let (mut sws, mut dws) = (0u8, 0u8);
    if src.wscale & WSCALE_KNOWN != 0 && dst.wscale & WSCALE_KNOWN != 0 && !syn {
        sws = src.wscale & WSCALE_SHIFT;
        dws = dst.wscale & WSCALE_SHIFT;
    } else if src.wscale & WSCALE_UNKNOWN != 0 && dst.wscale & WSCALE_UNKNOWN != 0 && !syn {
        sws = MAX_WINDOW_SCALE;
        dws = MAX_WINDOW_SCALE;
    }

    let mut win = seg.window;
    let orig_seq = seg.seq;
    let mut seq = seg.seq;
    let mut end = seq.wrapping_add(seg.payload_len);
    let mut check_ackskew = true;
    if syn {
        end = end.wrapping_add(1);
    }
    if has(f, flags::FIN) {
        end = end.wrapping_add(1);
    }
    if src.state < TcpState::SynSent {
        // The first segment from this side: it sets the side's state.
        if syn && dst.wscale & WSCALE_KNOWN != 0 {
            src.wscale = wscale_of(seg);
            if src.wscale & WSCALE_KNOWN != 0 {
                sws = src.wscale & WSCALE_SHIFT;
                win = div_round_up(u32::from(win), sws);
                dws = dst.wscale & WSCALE_SHIFT;
            } else {
                // The other side offered a scale this side refuses: undo it.
                // The window keeps its low 16 bits, as OVS's 16-bit shift
                // leaves it (a simultaneous open whose first SYN|ACK already
                // raised the window can wrap it to nothing).
                let shift = dst.wscale & WSCALE_SHIFT;
                dst.max_win = (u32::from(dst.max_win) << shift) as u16;
                dst.wscale = 0;
            }
        }
        src.seqlo = seq;
        src.state = TcpState::SynSent;
        let reach = end.wrapping_add((u32::from(dst.max_win) << dws).max(1));
        if src.seqhi == 1 || seq_geq(reach, src.seqhi) {
            src.seqhi = reach;
            // A new or picked-up connection: no ack skew check yet.
            check_ackskew = false;
        }
        if win > src.max_win {
            src.max_win = win;
        }
    }

    let mut ack = seg.ack;
    if !has(f, flags::ACK) || (ack == 0 && f & (flags::ACK | flags::RST) == flags::ACK | flags::RST)
    {
        // No ACK to check (or a broken stack's RST|ACK with ack 0).
        ack = dst.seqlo;
    }
    if seq == end {
        // No data: ease the sequence checks.
        seq = src.seqlo;
        end = seq;
    }

    let ackskew = if check_ackskew {
        i64::from(dst.seqlo.wrapping_sub(ack) as i32)
    } else {
        0
    };
    let dst_window = u32::from(dst.max_win) << dws;
    let in_window = seq_geq(src.seqhi, end)
        && seq_geq(seq, src.seqlo.wrapping_sub(dst_window))
        && ackskew >= -MAX_ACK_WINDOW
        && ackskew <= MAX_ACK_WINDOW << sws
        && (!has(f, flags::RST)
            || orig_seq == src.seqlo
            || orig_seq == src.seqlo.wrapping_add(1)
            || orig_seq.wrapping_add(1) == src.seqlo);

    let scaled_win = u32::from(win) << sws;
    if in_window || !check_seq {
        slide(src, dst, win, end, ack, scaled_win);
        if syn && src.state < TcpState::SynSent {
            src.state = TcpState::SynSent;
        }
        if has(f, flags::FIN) && src.state < TcpState::Closing {
            src.state = TcpState::Closing;
        }
        if has(f, flags::ACK) {
            if dst.state == TcpState::SynSent {
                dst.state = TcpState::Established;
            } else if dst.state == TcpState::Closing {
                dst.state = TcpState::FinWait2;
            }
        }
        if has(f, flags::RST) {
            src.state = TcpState::TimeWait;
            dst.state = TcpState::TimeWait;
        }
        return Verdict::Valid(Some(timeout_kind(peers)));
    }

    let loose = (dst.state < TcpState::SynSent
        || dst.state >= TcpState::FinWait2
        || src.state >= TcpState::FinWait2)
        && seq_geq(src.seqhi.wrapping_add(MAX_ACK_WINDOW as u32), end)
        && seq_geq(seq, src.seqlo.wrapping_sub(MAX_ACK_WINDOW as u32));
    if loose {
        // Shotgunned SYNs, a connection picked up mid-stream, or stray
        // segments after a close: accepted, but the timer is not
        // restarted so that a flood cannot keep the entry alive.
        slide(src, dst, win, end, ack, scaled_win);
        if has(f, flags::FIN) && src.state < TcpState::Closing {
            src.state = TcpState::Closing;
        }
        if has(f, flags::RST) {
            src.state = TcpState::TimeWait;
            dst.state = TcpState::TimeWait;
        }
        return Verdict::Valid(None);
    }
    Verdict::Invalid
}

/// Records what an accepted segment says about both sides' windows.
fn slide(src: &mut TcpPeer, dst: &mut TcpPeer, win: u16, end: u32, ack: u32, scaled_win: u32) {
    if src.max_win < win {
        src.max_win = win;
    }
    if seq_gt(end, src.seqlo) {
        src.seqlo = end;
    }
    if seq_geq(ack.wrapping_add(scaled_win), dst.seqhi) {
        dst.seqhi = ack.wrapping_add(scaled_win.max(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(f: u16, seq: u32, ack: u32) -> Segment {
        Segment {
            flags: f,
            seq,
            ack,
            window: 65535,
            payload_len: 0,
            window_scale: None,
        }
    }

    fn data(f: u16, seq: u32, ack: u32, len: u32) -> Segment {
        Segment {
            payload_len: len,
            ..seg(f, seq, ack)
        }
    }

    const SYN: u16 = flags::SYN;
    const SYNACK: u16 = flags::SYN | flags::ACK;
    const ACK: u16 = flags::ACK;
    const FINACK: u16 = flags::FIN | flags::ACK;
    const RST: u16 = flags::RST;

    fn handshake() -> [TcpPeer; 2] {
        let mut p = new_conn(&seg(SYN, 1000, 0));
        assert_eq!(
            update(&mut p, &seg(SYNACK, 5000, 1001), true, true),
            Verdict::Valid(Some(TimeoutKind::TcpOpening))
        );
        assert_eq!(
            update(&mut p, &seg(ACK, 1001, 5001), false, true),
            Verdict::Valid(Some(TimeoutKind::TcpEstablished))
        );
        p
    }

    #[test]
    fn handshake_reaches_established_both_ways() {
        let p = handshake();
        assert_eq!(
            (p[0].state, p[1].state),
            (TcpState::Established, TcpState::Established)
        );
        assert_eq!(
            TcpState::coalesce(p[0].state, p[1].state),
            TcpState::Established
        );
    }

    #[test]
    fn first_syn_is_syn_sent() {
        let p = new_conn(&seg(SYN, 1000, 0));
        assert_eq!(
            TcpState::coalesce(p[0].state, p[1].state),
            TcpState::SynSent
        );
    }

    #[test]
    fn data_both_ways_and_retransmission_stay_valid() {
        let mut p = handshake();
        assert!(matches!(
            update(&mut p, &data(ACK, 1001, 5001, 100), false, true),
            Verdict::Valid(Some(_))
        ));
        assert!(matches!(
            update(&mut p, &data(ACK, 5001, 1101, 200), true, true),
            Verdict::Valid(Some(_))
        ));
        // The same 100 bytes again: a retransmission within the window.
        assert!(matches!(
            update(&mut p, &data(ACK, 1001, 5001, 100), false, true),
            Verdict::Valid(Some(_))
        ));
    }

    /// OVS 3.1 (tests/scenarios/tcp-simopen-wscale.scn): in a simultaneous
    /// open where only the first SYN offers a window scale (the other
    /// side's SYN is refused before it gets here), the client's SYN|ACK
    /// raises its window to 512 and the server's unscaled SYN|ACK then
    /// shifts it by 14 within 16 bits, to nothing: the server's data no
    /// longer fits.
    #[test]
    fn an_undone_window_scale_keeps_the_low_16_bits_of_the_window() {
        let win = |s: Segment, window: u16, scale: Option<u8>| Segment {
            window,
            window_scale: scale,
            ..s
        };
        let mut p = new_conn(&win(seg(SYN, 1000, 0), 512, Some(14)));
        update(
            &mut p,
            &win(seg(SYNACK, 1000, 5001), 512, None),
            false,
            true,
        );
        update(
            &mut p,
            &win(seg(SYNACK, 5000, 1001), 28960, None),
            true,
            true,
        );
        assert_eq!(p[0].max_win, 0);
        assert_eq!(
            update(
                &mut p,
                &win(data(ACK, 5001, 1001, 1000), 28960, None),
                true,
                true
            ),
            Verdict::Invalid
        );
    }

    #[test]
    fn segment_far_outside_the_window_is_invalid() {
        let mut p = handshake();
        assert_eq!(
            update(&mut p, &data(ACK, 900_000_000, 1001, 64), true, true),
            Verdict::Invalid
        );
    }

    #[test]
    fn liberal_mode_accepts_out_of_window() {
        let mut p = handshake();
        assert!(matches!(
            update(&mut p, &data(ACK, 900_000_000, 1001, 64), true, false),
            Verdict::Valid(_)
        ));
    }

    #[test]
    fn rst_in_window_closes_and_out_of_window_is_invalid() {
        let mut p = handshake();
        assert_eq!(
            update(&mut p, &seg(RST, 77_777, 0), true, true),
            Verdict::Invalid
        );
        assert_eq!(
            update(&mut p, &seg(RST, 5001, 0), true, true),
            Verdict::Valid(Some(TimeoutKind::TcpClosed))
        );
        assert_eq!(
            (p[0].state, p[1].state),
            (TcpState::TimeWait, TcpState::TimeWait)
        );
    }

    #[test]
    fn fin_both_ways_reaches_time_wait() {
        let mut p = handshake();
        assert_eq!(
            update(&mut p, &seg(FINACK, 1001, 5001), false, true),
            Verdict::Valid(Some(TimeoutKind::TcpClosing))
        );
        assert_eq!(
            TcpState::coalesce(p[0].state, p[1].state),
            TcpState::Closing
        );
        assert_eq!(
            update(&mut p, &seg(FINACK, 5001, 1002), true, true),
            Verdict::Valid(Some(TimeoutKind::TcpFinWait))
        );
        assert_eq!(
            update(&mut p, &seg(ACK, 1002, 5002), false, true),
            Verdict::Valid(Some(TimeoutKind::TcpClosed))
        );
        assert_eq!(
            (p[0].state, p[1].state),
            (TcpState::FinWait2, TcpState::FinWait2)
        );
        assert_eq!(
            TcpState::coalesce(p[0].state, p[1].state),
            TcpState::TimeWait
        );
    }

    #[test]
    fn new_syn_on_time_wait_reopens() {
        let mut p = handshake();
        update(&mut p, &seg(RST, 5001, 0), true, true);
        assert_eq!(
            update(&mut p, &seg(SYN, 2000, 0), false, true),
            Verdict::Reopen
        );
    }

    #[test]
    fn simultaneous_open_is_accepted() {
        let mut p = new_conn(&seg(SYN, 1000, 0));
        let opening = Verdict::ValidNew(TimeoutKind::TcpFirstPacket);
        assert_eq!(update(&mut p, &seg(SYN, 5000, 0), true, true), opening);
        assert!(matches!(
            update(&mut p, &seg(SYNACK, 1000, 5001), false, true),
            Verdict::Valid(_)
        ));
        assert!(matches!(
            update(&mut p, &seg(SYNACK, 5000, 1001), true, true),
            Verdict::Valid(_)
        ));
        assert_eq!(
            (p[0].state, p[1].state),
            (TcpState::Established, TcpState::Established)
        );
    }

    #[test]
    fn retransmitted_syn_is_still_opening() {
        let mut p = new_conn(&seg(SYN, 1000, 0));
        let opening = Verdict::ValidNew(TimeoutKind::TcpFirstPacket);
        assert_eq!(update(&mut p, &seg(SYN, 1000, 0), false, true), opening);
    }

    #[test]
    fn window_scale_is_honoured_once_both_sides_offer_it() {
        let mut syn = seg(SYN, 1000, 0);
        syn.window_scale = Some(7);
        let mut p = new_conn(&syn);
        let mut synack = seg(SYNACK, 5000, 1001);
        synack.window_scale = Some(7);
        assert!(matches!(
            update(&mut p, &synack, true, true),
            Verdict::Valid(_)
        ));
        update(&mut p, &seg(ACK, 1001, 5001), false, true);
        // 65535 << 7 bytes of window: a segment 1 MB ahead is still inside.
        assert!(matches!(
            update(&mut p, &data(ACK, 5001 + 1_000_000, 1001, 10), true, true),
            Verdict::Valid(Some(_))
        ));
    }

    #[test]
    fn bad_flag_combinations_are_invalid() {
        for f in [
            flags::SYN | flags::RST,
            flags::SYN | flags::FIN,
            flags::FIN,
            flags::PSH,
            0,
            flags::URG | flags::RST,
        ] {
            assert!(invalid_flags(f), "{f:#x}");
        }
        for f in [SYN, SYNACK, ACK, FINACK, RST, flags::RST | flags::ACK] {
            assert!(!invalid_flags(f), "{f:#x}");
        }
        assert!(!valid_new(SYNACK));
        assert!(valid_new(ACK));
    }

    #[test]
    fn peer_is_compact() {
        assert_eq!(core::mem::size_of::<TcpPeer>(), 12);
    }
}
