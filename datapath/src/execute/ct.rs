//! Running a `ct` action over a batch: the IP packets go to the
//! connection tracker together (it prefetches across them), the others
//! come back `+inv+trk` as OVS's userspace tracker marks them.
//!
//! IP fragments are reassembled first (`conntrack::ipf`), as OVS does
//! around its tracker: a fragment held for its datagram leaves the batch,
//! the one that completes a datagram is tracked as the whole datagram,
//! and after tracking the datagram goes on as its original fragments,
//! each with its own link-layer header, IP header fields and in_port,
//! and the datagram's ct metadata and rewrite. The fragments of a
//! datagram that timed out join the batch `+inv` (not `+trk`), as OVS
//! 3.1 sends them on.

use conntrack::alg::Edit;
use conntrack::ipf::{Arrival, Fragments, Ipf, Outcome};
use conntrack::nat::Rewrite;
use conntrack::{Conntrack, CtMetadata, CtPacket, CtState, Family, L3};

use super::layers::Layers;
use crate::action::Ct;
use crate::packet::Packet;

/// A datagram reassembled in the batch: its place, where its IP header
/// starts, and the fragments it was made of.
type Whole = (usize, usize, Fragments);

/// Runs `ct` over `batch`.
pub(crate) fn run(conntrack: &Conntrack, ct: &Ct, batch: &mut Vec<Packet>, now_ms: u64) {
    let params = ct.params();
    let ipf = conntrack.ipf();
    let (layers, whole) = reassemble(ipf, batch, params.zone, now_ms);
    let mut tracked: Vec<CtPacket<'_>> = batch
        .iter()
        .zip(&layers)
        .filter_map(|(p, l)| {
            // What an earlier ct said of the packet: the tracker knows a
            // packet it already NAT'd by it.
            l.map(|l| CtPacket {
                md: p.md.ct,
                csum_ok: p.md.csum_ok,
                ..CtPacket::new(&p.data, l.l3_at, l.l3)
            })
        })
        .collect();
    conntrack.execute(&mut tracked, &params, now_ms);
    let results: Vec<(CtMetadata, Option<Rewrite>, Option<Box<Edit>>)> = tracked
        .into_iter()
        .map(|p| (p.md, p.rewrite, p.alg))
        .collect();
    let mut results = results.into_iter();
    for (packet, layer) in batch.iter_mut().zip(&layers) {
        packet.md.ct = match layer {
            Some(l) => {
                let (md, rewrite, edit) = results.next().unwrap_or_default();
                // NAT: the tracker parsed these headers already, so the
                // rewrite fits them; one that cannot apply leaves the
                // packet as it came.
                if let (Some(rewrite), Some(l3)) = (rewrite, packet.data.get_mut(l.l3_at..)) {
                    rewrite.apply(l3, l.l3).ok();
                }
                // An ALG's edit (FTP under NAT) may resize the packet.
                if let Some(edit) = edit {
                    edit.apply(&mut packet.data, l.l3_at, l.l3).ok();
                }
                md
            }
            None => CtMetadata {
                state: CtState::INVALID | CtState::TRACKED,
                zone: params.zone,
                ..CtMetadata::default()
            },
        };
    }
    refragment(batch, whole);
    if let Some(expired) = ipf.expire(now_ms) {
        forward_expired(batch, expired);
    }
}

/// Adds the fragments of a datagram that timed out to the batch, marked
/// as OVS 3.1 marks them: `+inv` alone (its other ct fields are left
/// unset, here zero).
fn forward_expired(batch: &mut Vec<Packet>, expired: Fragments) {
    let ports = expired.in_ports();
    for (data, in_port) in expired.into_packets().into_iter().zip(ports) {
        let mut packet = Packet::new(data, in_port);
        packet.md.ct.state = CtState::INVALID;
        batch.push(packet);
    }
}

/// Takes the batch's fragments to the reassembler: held ones leave the
/// batch, one that completes a datagram is replaced by the datagram
/// (behind its own link-layer header). Gives the layers of what stays.
fn reassemble(
    ipf: &Ipf,
    batch: &mut Vec<Packet>,
    zone: u16,
    now_ms: u64,
) -> (Vec<Option<Layers>>, Vec<Whole>) {
    let mut layers = Vec::with_capacity(batch.len());
    let mut whole = Vec::new();
    // In place: most batches hold no fragment, and their packets then
    // stay where they are instead of moving to a new vector.
    batch.retain_mut(|packet| {
        let layer = Layers::of(&packet.data);
        if let Some(l) = layer {
            let family = match l.l3 {
                L3::Ipv4 => Family::Ipv4,
                L3::Ipv6 => Family::Ipv6,
            };
            let arrival = Arrival {
                frame: &packet.data,
                l3_at: l.l3_at,
                in_port: packet.md.in_port,
            };
            match ipf.process_arrival(&arrival, family, zone, packet.md.recirc_id, now_ms) {
                // A refused fragment is tracked as it is: `+inv`.
                Outcome::Pass | Outcome::Invalid => {}
                Outcome::Held => return false,
                Outcome::Reassembled {
                    packet: datagram,
                    fragments,
                } => {
                    packet.data.truncate(l.l3_at);
                    packet.data.extend_from_slice(&datagram);
                    // Its fragments' checksum status says nothing of it.
                    packet.md.csum_ok = false;
                    // Its place among the packets kept so far.
                    whole.push((layers.len(), l.l3_at, fragments));
                }
            }
        }
        layers.push(layer);
        true
    });
    (layers, whole)
}

/// Puts each tracked datagram's fragments in its place, carrying what
/// the tracker rewrote and its ct metadata, each behind its own
/// link-layer header and from its own port. A datagram that cannot be
/// cut as it came (a rewrite changed its length) goes on as the original
/// fragments.
fn refragment(batch: &mut Vec<Packet>, whole: Vec<Whole>) {
    if whole.is_empty() {
        return;
    }
    let mut whole = whole.into_iter().peekable();
    let mut out = Vec::with_capacity(batch.len());
    for (i, packet) in batch.drain(..).enumerate() {
        let Some((_, l3_at, fragments)) = whole.next_if(|(at, ..)| *at == i) else {
            out.push(packet);
            continue;
        };
        let l3 = packet.data.get(l3_at..).unwrap_or(&[]);
        let ports = fragments.in_ports();
        let frags = match fragments.refragment(l3) {
            Ok(frags) => frags,
            Err(_) => fragments.into_packets(),
        };
        for (data, in_port) in frags.into_iter().zip(ports) {
            let mut md = packet.md;
            md.in_port = in_port;
            out.push(Packet { data, md });
        }
    }
    *batch = out;
}

#[cfg(test)]
mod ovs_bytes;

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use nxm_fields::Flow;

    use super::*;
    use crate::action::{Action, Actions, CtCommit};
    use crate::datapath_tests::udp_fragments;
    use crate::execute::{execute, Context, Transmit};
    use crate::upcall::{FnUpcall, UpcallError};

    /// What each port was given.
    #[derive(Default)]
    struct Wire(Mutex<Vec<(u32, Packet)>>);

    impl Transmit for Wire {
        fn transmit(&self, port: u32, packet: &Packet) {
            if let Ok(mut sent) = self.0.lock() {
                sent.push((port, packet.clone()));
            }
        }
    }

    #[test]
    fn a_fragmented_datagram_is_tracked_once_and_forwarded_as_its_fragments() {
        let conntrack = Conntrack::new();
        let wire = Wire::default();
        let upcall = FnUpcall::new(|_: &Flow| Err(UpcallError::Translation(String::new())));
        let ctx = Context {
            conntrack: &conntrack,
            ports: &wire,
            upcall: &upcall,
            now_ms: 1,
        };
        let commit = Ct {
            commit: Some(CtCommit::Commit),
            ..Ct::default()
        };
        let actions = Actions::new(vec![Action::Ct(commit), Action::Output(2)]);
        let frags = udp_fragments();
        // Out of order, one batch a fragment: nothing leaves until the
        // datagram is whole.
        for i in [2, 0] {
            execute(&ctx, vec![Packet::new(frags[i].clone(), 1)], &actions);
            assert!(wire.0.lock().unwrap().is_empty());
        }
        execute(&ctx, vec![Packet::new(frags[1].clone(), 1)], &actions);
        let sent = wire.0.lock().unwrap().clone();
        let data: Vec<Vec<u8>> = sent.iter().map(|(_, p)| p.data.clone()).collect();
        assert_eq!(data, frags);
        for (port, packet) in &sent {
            assert_eq!(*port, 2);
            assert_eq!(packet.md.ct.state.to_datapath_string(), "new|trk");
        }
        assert_eq!(conntrack.len(), 1);
        let status = conntrack.ipf().status();
        assert_eq!((status.v4.completed, status.num_frags), (3, 0));
    }

    /// As OVS 3.1 (tests/scenarios/frag4-timeout.ovs.out): the
    /// fragments of a datagram that timed out go on with the next `ct`,
    /// `+inv` without `+trk`, from their own port.
    #[test]
    fn fragments_of_a_datagram_that_times_out_go_on_invalid() {
        let conntrack = Conntrack::new();
        let upcall = FnUpcall::new(|_: &Flow| Err(UpcallError::Translation(String::new())));
        let wire = Wire::default();
        let mut ctx = Context {
            conntrack: &conntrack,
            ports: &wire,
            upcall: &upcall,
            now_ms: 1,
        };
        let actions = Actions::new(vec![Action::Ct(Ct::default()), Action::Output(2)]);
        let frags = udp_fragments();
        execute(&ctx, vec![Packet::new(frags[0].clone(), 3)], &actions);
        ctx.now_ms = 1 + 15_001;
        // The late fragment joins its list before the list is given up, as
        // in OVS, so both go.
        let done = execute(&ctx, vec![Packet::new(frags[1].clone(), 1)], &actions);
        assert_eq!(done.dropped, 0);
        let sent = wire.0.lock().unwrap().clone();
        let got: Vec<(u32, Vec<u8>, String)> = sent
            .into_iter()
            .map(|(_, p)| (p.md.in_port, p.data, p.md.ct.state.to_datapath_string()))
            .collect();
        assert_eq!(
            got,
            [
                (3, frags[0].clone(), "inv".to_string()),
                (1, frags[1].clone(), "inv".to_string())
            ]
        );
        let status = conntrack.ipf().status();
        assert_eq!((status.v4.expired, status.num_frags), (2, 0));
    }

    /// As OVS 3.1 (tests/scenarios/frag4-own-headers.ovs.out): after `ct`
    /// each fragment keeps its own Ethernet header, TTL and TOS, and port.
    #[test]
    fn fragments_keep_their_own_headers_and_ports_through_ct() {
        let conntrack = Conntrack::new();
        let wire = Wire::default();
        let upcall = FnUpcall::new(|_: &Flow| Err(UpcallError::Translation(String::new())));
        let ctx = Context {
            conntrack: &conntrack,
            ports: &wire,
            upcall: &upcall,
            now_ms: 1,
        };
        let actions = Actions::new(vec![Action::Ct(Ct::default()), Action::Output(2)]);
        let mut frags = udp_fragments();
        // The second fragment from another MAC, with TTL 63 and TOS 0x10.
        frags[1][11] = 0x03;
        frags[1][14 + 1] = 0x10;
        frags[1][14 + 8] = 63;
        conntrack::wire::ipv4::Packet::new_unchecked(&mut frags[1][14..]).fill_checksum();
        for (i, frag) in frags.iter().enumerate() {
            execute(
                &ctx,
                vec![Packet::new(frag.clone(), i as u32 + 1)],
                &actions,
            );
        }
        let sent = wire.0.lock().unwrap().clone();
        let got: Vec<(u32, Vec<u8>)> = sent
            .into_iter()
            .map(|(_, p)| (p.md.in_port, p.data))
            .collect();
        let want: Vec<(u32, Vec<u8>)> = frags
            .into_iter()
            .enumerate()
            .map(|(i, f)| (i as u32 + 1, f))
            .collect();
        assert_eq!(got, want);
    }
}
