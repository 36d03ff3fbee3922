//! Running a `ct` action over a batch: the IP packets go to the
//! connection tracker together (it prefetches across them), the others
//! come back `+inv+trk` as OVS's userspace tracker marks them.

use conntrack::{Conntrack, CtMetadata, CtPacket, CtState};

use super::layers::Layers;
use crate::action::Ct;
use crate::packet::Packet;

pub(crate) fn run(conntrack: &Conntrack, ct: &Ct, batch: &mut [Packet], now_ms: u64) {
    let params = ct.params();
    let layers: Vec<Option<Layers>> = batch.iter().map(|p| Layers::of(&p.data)).collect();
    let mut tracked: Vec<CtPacket<'_>> = batch
        .iter()
        .zip(&layers)
        .filter_map(|(p, l)| l.map(|l| CtPacket::new(&p.data, l.l3_at, l.l3)))
        .collect();
    conntrack.execute(&mut tracked, &params, now_ms);
    let results: Vec<CtMetadata> = tracked.into_iter().map(|p| p.md).collect();
    let mut results = results.into_iter();
    for (packet, layer) in batch.iter_mut().zip(&layers) {
        packet.md.ct = match layer {
            Some(_) => results.next().unwrap_or_default(),
            None => CtMetadata {
                state: CtState::INVALID | CtState::TRACKED,
                zone: params.zone,
                ..CtMetadata::default()
            },
        };
    }
}
