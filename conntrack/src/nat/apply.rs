//! What NAT does to a packet of a NAT'd connection: the `+snat`/`+dnat`
//! bits OVS sets and the rewrite that makes the packet look as the other
//! direction expects (an original-direction packet takes the translated
//! endpoints, a reply gets the original ones back).

use crate::conn::Conn;
use crate::key::ConnKey;
use crate::nat::rewrite::{Rewrite, Sides};
use crate::params::NatKind;
use crate::state::CtState;

/// The ct_state bits of packet `key` of `conn` (`reply` if it goes in the
/// reply direction) and its rewrite, if it needs one: its tuple changes,
/// or (`related`) it is an ICMP error, whose own addresses OVS sets on
/// the translated side even when the mapping is the identity. `None` if
/// the connection is not NAT'd.
pub(crate) fn for_packet(
    conn: &Conn,
    key: &ConnKey,
    reply: bool,
    related: bool,
) -> Option<(CtState, Option<Rewrite>)> {
    let ext = conn.ext.as_ref()?;
    let plain = conn.key.reverse();
    // What the commit asked for; for a connection read from a dump, what
    // its reply key shows was translated.
    let (src, dst) = match (ext.nat, ext.reply) {
        (Some(kind), _) => (kind == NatKind::Src, kind == NatKind::Dst),
        (None, Some(translated)) => (
            translated.dst != plain.dst || translated.dst_port != plain.dst_port,
            translated.src != plain.src || translated.src_port != plain.src_port,
        ),
        (None, None) => return None,
    };
    let (snat, dnat) = if reply { (dst, src) } else { (src, dst) };
    let mut state = CtState::default();
    if snat {
        state |= CtState::SRC_NAT;
    }
    if dnat {
        state |= CtState::DST_NAT;
    }
    let rewrite = (ext.reply.is_some() || related).then(|| {
        let translated = ext.reply.unwrap_or(plain);
        Rewrite {
            from: *key,
            to: if reply { plain } else { translated.reverse() },
            // The source is rewritten where the packet is +snat, the
            // destination where it is +dnat.
            force: Sides {
                src: snat,
                dst: dnat,
            },
        }
    });
    Some((state, rewrite))
}
