//! The `multipath` action: a hash of the packet's chosen fields picks a
//! link number in `0..n_links` by one of four algorithms, written into a
//! subfield, as OVS 3.1 picks it (so a packet takes the same link in
//! both). The fields hashed join the megaflow.

use datapath::hash::hash_int;
use nxm_fields::Value;
use openflow_codec::action::multipath::{Multipath, MultipathAlgorithm};

use super::actions::subfield_now;
use super::field::write_subfield;
use super::trace::NodeKind;
use super::Ctx;
use crate::flow_hash::{hash_fields, unwildcard_hash_fields};

/// Above this many links `hrw` weighs too many links and falls back to
/// `iter_hash` (as in OVS).
const MAX_HRW_LINKS: u32 = 64;

impl Ctx<'_> {
    /// `multipath(FIELDS,BASIS,ALGORITHM,N_LINKS,ARG,DST)`.
    pub(super) fn multipath(&mut self, mp: &Multipath) {
        // Decoding and parsing refuse other codes.
        let (Some(fields), Some(algorithm)) = (mp.hash_fields(), mp.link_algorithm()) else {
            return;
        };
        let hash = hash_fields(&self.flow, fields, mp.basis);
        let link = choose_link(hash, algorithm, u32::from(mp.max_link) + 1, mp.arg);
        unwildcard_hash_fields(&self.flow, fields, &mut self.wc);
        write_subfield(&mut self.flow, &mut self.wc, &mp.dst, Value::from(link));
        self.note(NodeKind::Detail, |flow| subfield_now(flow, &mp.dst));
    }
}

/// The link for `hash` among `n_links` (1 to 65536).
pub fn choose_link(hash: u32, algorithm: MultipathAlgorithm, n_links: u32, arg: u32) -> u32 {
    match algorithm {
        MultipathAlgorithm::ModuloN => hash % n_links,
        // The link whose share of the hash space holds the hash.
        MultipathAlgorithm::HashThreshold if n_links <= 1 => 0,
        MultipathAlgorithm::HashThreshold => hash / (u32::MAX / n_links + 1),
        MultipathAlgorithm::Hrw if n_links <= MAX_HRW_LINKS => highest_random_weight(hash, n_links),
        MultipathAlgorithm::Hrw => iterated_hash(hash, n_links, 0),
        MultipathAlgorithm::IterHash => iterated_hash(hash, n_links, arg),
    }
}

/// OVS's `hash_2words(x, y)`, which is its `hash_int(x, y)`.
fn hash_2words(x: u32, y: u32) -> u32 {
    hash_int(x, y)
}

/// The link with the highest weight `hash_2words(hash, link)` (the first
/// on ties).
fn highest_random_weight(hash: u32, n_links: u32) -> u32 {
    (1..n_links)
        .fold((0, hash_2words(hash, 0)), |(best, best_weight), link| {
            let weight = hash_2words(hash, link);
            if weight > best_weight {
                (link, weight)
            } else {
                (best, best_weight)
            }
        })
        .0
}

/// Hashes `hash` with 0, 1, 2, ... modulo `modulo` until a value falls
/// below `n_links`. A `modulo` below `n_links` or above twice it is
/// replaced by the power of two at or above `n_links`.
fn iterated_hash(hash: u32, n_links: u32, modulo: u32) -> u32 {
    let modulo = if modulo < n_links || modulo / 2 > n_links {
        n_links.next_power_of_two()
    } else {
        modulo
    };
    // Each try succeeds with a probability above one half.
    (0u32..)
        .map(|i| hash_2words(hash, i) % modulo)
        .find(|&link| link < n_links)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use MultipathAlgorithm::*;

    /// `(algorithm, n_links, arg, link)` for a hash, as OVS 3.1 chose the
    /// link (`multipath(eth_src,7,...)` traced with the eth_src whose
    /// hash, read the same way, is `hash`).
    fn check(hash: u32, cases: &[(MultipathAlgorithm, u32, u32, u32)]) {
        for &(algorithm, n_links, arg, link) in cases {
            assert_eq!(
                choose_link(hash, algorithm, n_links, arg),
                link,
                "{algorithm:?},{n_links},{arg}"
            );
        }
    }

    #[test]
    fn links_are_the_ones_ovs_chooses() {
        // eth_src=50:54:00:00:00:01.
        check(
            0x5583_0172,
            &[
                (ModuloN, 3, 0, 1),
                (ModuloN, 65536, 0, 0x172),
                (HashThreshold, 3, 0, 1),
                (HashThreshold, 1, 0, 0),
                (Hrw, 5, 0, 0),
                (Hrw, 64, 0, 35),
                (Hrw, 100, 0, 45),
                (IterHash, 5, 0, 3),
                (IterHash, 5, 8, 3),
                (IterHash, 5, 100, 3),
                (IterHash, 1000, 1500, 791),
            ],
        );
        // eth_src=aa:bb:cc:dd:ee:ff.
        check(
            0x2de3_73f2,
            &[
                (ModuloN, 3, 0, 2),
                (ModuloN, 65536, 0, 0x73f2),
                (HashThreshold, 3, 0, 0),
                (Hrw, 5, 0, 1),
                (Hrw, 64, 0, 56),
                (Hrw, 100, 0, 24),
                (IterHash, 5, 0, 0),
                (IterHash, 1000, 1500, 932),
            ],
        );
    }

    #[test]
    fn every_link_is_in_range() {
        for hash in (0..u32::MAX).step_by(0x0100_0001) {
            for algorithm in [ModuloN, HashThreshold, Hrw, IterHash] {
                for n_links in [1, 2, 3, 7, 64, 65, 65536] {
                    assert!(choose_link(hash, algorithm, n_links, 9) < n_links);
                }
            }
        }
    }
}
