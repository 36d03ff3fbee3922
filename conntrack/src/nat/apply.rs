//! What NAT does to a packet of a NAT'd connection: the `+snat`/`+dnat`
//! bits OVS sets and the rewrite that makes the packet look as the other
//! direction expects (an original-direction packet takes the translated
//! endpoints, a reply gets the original ones back).

use crate::conn::Conn;
use crate::key::ConnKey;
use crate::nat::rewrite::Rewrite;
use crate::state::CtState;

/// The ct_state bits and rewrite of packet `key` of `conn` (`reply` if it
/// goes in the reply direction); `None` if the connection is not NAT'd.
pub(crate) fn for_packet(conn: &Conn, key: &ConnKey, reply: bool) -> Option<(CtState, Rewrite)> {
    let translated = conn.ext.as_ref().and_then(|e| e.reply)?;
    let plain = conn.key.reverse();
    let src = translated.dst != plain.dst || translated.dst_port != plain.dst_port;
    let dst = translated.src != plain.src || translated.src_port != plain.src_port;
    let (snat, dnat, to) = if reply {
        (dst, src, plain)
    } else {
        (src, dst, translated.reverse())
    };
    let mut state = CtState::default();
    if snat {
        state |= CtState::SRC_NAT;
    }
    if dnat {
        state |= CtState::DST_NAT;
    }
    Some((state, Rewrite { from: *key, to }))
}
