//! The order in which flooding visits a bridge's ports, as OVS 3.1 visits
//! them, so that datapath actions (and a trace's `Datapath actions:`)
//! list the ports as OVS lists them.
//!
//! OVS's `FLOOD` and `ALL` walk its translation's port hash table: ports
//! come in bucket order of a murmur-style hash of their OpenFlow number
//! (its `hash_int(port, 0)`), the table as large as OVS's growth rule
//! makes it for that many ports. Within a bucket the order is the order
//! the ports were added to the bridge (its own LOCAL port first), which is
//! what OVS's copy of the table into each new configuration leaves there.
//!
//! `NORMAL` instead walks its list of bundles, newest first: the ports in
//! reverse order of addition, the bridge's own port (added with the bridge)
//! last. ctswitch's ports carry no addition order, so the port numbers
//! stand in for it (ports are numbered as they are added).

use nxm_fields::port::OFPP_LOCAL;

use datapath::hash::hash_int;

/// OVS's hash of an OpenFlow port number (its 16-bit form).
fn port_hash(port: u32) -> u32 {
    let port16 = if port == OFPP_LOCAL {
        0xfffe
    } else {
        port & 0xffff
    };
    hash_int(port16, 0)
}

/// The bucket mask of OVS's hash table after inserting `n` entries one by
/// one: it grows when it holds more than two entries per bucket.
fn table_mask(n: usize) -> u32 {
    let mut mask = 0u32;
    for count in 1..=n as u32 {
        if count / 2 > mask {
            let mut m = count / 2;
            for shift in [1, 2, 4, 8, 16] {
                m |= m >> shift;
            }
            // Never fewer than 4 buckets once it has grown.
            mask = m | ((m & 1) << 1);
        }
    }
    mask
}

/// Where a port was added: the bridge's own port first, then by number.
fn addition_rank(port: u32) -> (bool, u32) {
    (port != OFPP_LOCAL, port)
}

/// The ports in the order OVS's `FLOOD` and `ALL` visit them.
pub(super) fn flood_order(ports: &[u32]) -> Vec<u32> {
    let mask = table_mask(ports.len());
    let mut ordered = ports.to_vec();
    ordered.sort_by_key(|&p| (port_hash(p) & mask, addition_rank(p)));
    ordered
}

/// The ports in the order OVS's `NORMAL` floods them.
pub(super) fn normal_order(ports: &[u32]) -> Vec<u32> {
    let mut ordered = ports.to_vec();
    ordered.sort_by_key(|&p| core::cmp::Reverse(addition_rank(p)));
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;

    // OVS 3.1's sandbox bridge (br0 and p1..p4): FLOOD from p1 gives
    // `100,4,2,3` and ALL from p2 `100,1,4,3` (100 being br0's port in
    // its dummy datapath); NORMAL from p4 floods `3,2,1,100`.
    #[test]
    fn orders_match_ovs_sandbox_bridge() {
        let ports = [1, 2, 3, 4, OFPP_LOCAL];
        assert_eq!(flood_order(&ports), [OFPP_LOCAL, 1, 4, 2, 3]);
        assert_eq!(normal_order(&ports), [4, 3, 2, 1, OFPP_LOCAL]);
    }

    #[test]
    fn table_grows_as_ovs_table_grows() {
        assert_eq!(table_mask(0), 0);
        assert_eq!(table_mask(1), 0);
        assert_eq!(table_mask(2), 3);
        assert_eq!(table_mask(5), 3);
        assert_eq!(table_mask(8), 7);
    }
}
