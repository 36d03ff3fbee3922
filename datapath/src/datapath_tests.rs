//! The datapath end to end with a fake slow path: ct and recirculation
//! over a TCP handshake, cache hits, revalidation, expiry, userspace,
//! the recirculation limit and the packet thread.

use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use conntrack::wire::{compose, ip_proto, ipv4, tcp};
use conntrack::{Conntrack, CtState};
use nxm_fields::flow::slot_ones;
use nxm_fields::layout::{self as l, Slot};
use nxm_fields::{Flow, Value};
use proptest::prelude::*;

use crate::action::{Action, Actions, ControllerCookie, Ct, CtCommit, PushVlan, Userspace};
use crate::cache::ExactCache;
use crate::execute::{execute, Context, Transmit};
use crate::port::{DummyPort, Port};
use crate::{
    Datapath, FnUpcall, MissReply, Packet, PacketThread, StatsSink, ThreadConfig, Upcall,
    UpcallError, UserspacePacket,
};

const MAC1: [u8; 6] = [0x50, 0x54, 0, 0, 0, 1];
const MAC2: [u8; 6] = [0x50, 0x54, 0, 0, 0, 2];
const IP1: [u8; 4] = [10, 1, 1, 1];
const IP2: [u8; 4] = [10, 1, 1, 2];
const SYN: u8 = 0x02;
const ACK: u8 = 0x10;

/// An Ethernet/IPv4/TCP frame with correct checksums.
fn tcp_frame(from_1: bool, flags: u8, seq: u32, ack: u32) -> Vec<u8> {
    let (smac, dmac, sip, dip, sport, dport) = if from_1 {
        (MAC1, MAC2, IP1, IP2, 1234u16, 80u16)
    } else {
        (MAC2, MAC1, IP2, IP1, 80, 1234)
    };
    let mut t = Vec::new();
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&ack.to_be_bytes());
    t.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    tcp::Packet::new_unchecked(&mut t[..]).fill_checksum(&sip, &dip);
    let mut ip = vec![0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0];
    ip.extend_from_slice(&sip);
    ip.extend_from_slice(&dip);
    ipv4::Packet::new_unchecked(&mut ip[..]).fill_checksum();
    let mut f = dmac.to_vec();
    f.extend_from_slice(&smac);
    f.extend_from_slice(&[0x08, 0x00]);
    f.extend_from_slice(&ip);
    f.extend_from_slice(&t);
    f
}

/// A 3000-byte UDP datagram 10.1.1.1:5000 -> 10.1.1.2:53 from MAC1 to
/// MAC2, in three frames of 1480, 1480 and 48 bytes of it.
pub(crate) fn udp_fragments() -> Vec<Vec<u8>> {
    let (a, b) = (IP1.into(), IP2.into());
    let whole = compose::udp_packet(a, b, 5000, 53, 3000).unwrap();
    let l4 = &whole[20..];
    [(0usize, 1480usize), (1480, 2960), (2960, l4.len())]
        .iter()
        .map(|&(from, to)| {
            let more = to < l4.len();
            let data = &l4[from..to];
            let ip = compose::ipv4_fragment(a, b, ip_proto::UDP, 7, from as u16, more, data);
            let mut f = MAC2.to_vec();
            f.extend_from_slice(&MAC1);
            f.extend_from_slice(&[0x08, 0x00]);
            f.extend(ip.unwrap());
            f
        })
        .collect()
}

fn mask_of(slots: &[Slot]) -> Flow {
    let mut m = Flow::zero();
    for &s in slots {
        m.set(s, slot_ones(s));
    }
    m
}

/// A two-table stateful firewall, as xlate would translate
/// `table=0 ip,ct_state=-trk actions=ct(table=1,zone=5)` and
/// `table=1 ct_state=+new+trk,in_port=1 actions=ct(commit,zone=5),2`,
/// `ct_state=+est+trk actions=output to the other port`, else drop.
/// Every recirculated flow seen is recorded.
fn firewall(seen: Arc<Mutex<Vec<Flow>>>) -> impl Upcall {
    FnUpcall::new(move |flow: &Flow| {
        let base = [l::RECIRC_ID, l::IN_PORT, l::ETH_TYPE, l::NW_FRAG];
        if flow.get(l::RECIRC_ID) == 0 {
            let mut mask = mask_of(&base);
            mask.set(l::CT_STATE, u128::from(CtState::TRACKED.0));
            let ct = Ct {
                zone: 5,
                ..Ct::default()
            };
            return Ok(MissReply {
                actions: Actions::new(vec![Action::Ct(ct), Action::Recirc(1)]),
                mask,
                sink: None,
            });
        }
        seen.lock().unwrap().push(flow.clone());
        let state = CtState(flow.get(l::CT_STATE) as u32);
        let in_port = flow.get(l::IN_PORT) as u32;
        let mask = mask_of(&[
            l::RECIRC_ID,
            l::IN_PORT,
            l::ETH_TYPE,
            l::NW_FRAG,
            l::CT_STATE,
        ]);
        let actions = if state.contains(CtState::NEW | CtState::TRACKED) && in_port == 1 {
            let commit = Ct {
                commit: Some(CtCommit::Commit),
                zone: 5,
                ..Ct::default()
            };
            vec![Action::Ct(commit), Action::Output(2)]
        } else if state.contains(CtState::ESTABLISHED | CtState::TRACKED) {
            vec![Action::Output(3 - in_port)]
        } else {
            vec![]
        };
        Ok(MissReply {
            actions: Actions::new(actions),
            mask,
            sink: None,
        })
    })
}

/// The ct_state of every recirculated flow the firewall saw, as the
/// datapath prints it.
fn ct_states(seen: &Mutex<Vec<Flow>>) -> Vec<String> {
    seen.lock()
        .unwrap()
        .iter()
        .map(|f| CtState(f.get(l::CT_STATE) as u32).to_datapath_string())
        .collect()
}

struct Switch {
    dp: Arc<Datapath>,
    p1: Arc<DummyPort>,
    p2: Arc<DummyPort>,
    emc: ExactCache,
}

impl Switch {
    fn new(upcall: impl Upcall + 'static) -> Self {
        let dp = Arc::new(Datapath::new(Arc::new(Conntrack::new()), Arc::new(upcall)));
        let p1 = Arc::new(DummyPort::new("p1"));
        let p2 = Arc::new(DummyPort::new("p2"));
        dp.add_port(1, p1.clone()).unwrap();
        dp.add_port(2, p2.clone()).unwrap();
        Switch {
            dp,
            p1,
            p2,
            emc: ExactCache::default(),
        }
    }

    fn send(&mut self, port: u32, frame: Vec<u8>, now_ms: u64) {
        self.dp
            .process(&mut self.emc, vec![Packet::new(frame, port)], now_ms);
    }
}

#[test]
fn a_tcp_handshake_through_ct_and_recirc_is_new_then_established() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut sw = Switch::new(firewall(seen.clone()));
    sw.send(1, tcp_frame(true, SYN, 1000, 0), 1);
    sw.send(2, tcp_frame(false, SYN | ACK, 5000, 1001), 2);
    sw.send(1, tcp_frame(true, ACK, 1001, 5001), 3);
    let states = ct_states(&seen);
    assert_eq!(states, ["new|trk", "est|rpl|trk", "est|trk"]);
    let first = &seen.lock().unwrap()[0];
    assert_eq!(first.get(l::CT_ZONE), 5);
    assert_eq!(first.get(l::CT_NW_SRC), 0x0a01_0101);
    assert_eq!(first.get(l::CT_TP_DST), 80);
    assert_eq!(
        sw.p2.transmitted(),
        vec![
            tcp_frame(true, SYN, 1000, 0),
            tcp_frame(true, ACK, 1001, 5001)
        ]
    );
    assert_eq!(
        sw.p1.transmitted(),
        vec![tcp_frame(false, SYN | ACK, 5000, 1001)]
    );
}

/// Fragments meet `ct` twice (before and after recirculation, first and
/// later fragments in batches of their own megaflows): each time they
/// are tracked as one datagram, and what leaves is the fragments.
#[test]
fn a_fragmented_udp_datagram_crosses_the_firewall_as_its_fragments() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut sw = Switch::new(firewall(seen.clone()));
    let frags = udp_fragments();
    for (i, frag) in frags.iter().enumerate() {
        sw.send(1, frag.clone(), 1 + i as u64);
    }
    assert_eq!(sw.p2.transmitted(), frags);
    let states = ct_states(&seen);
    // One miss for the first fragment's megaflow, one for the later
    // fragments' (the third hits it), each tracked as the datagram.
    assert_eq!(states, ["new|trk", "new|trk"]);
    let status = sw.dp.conntrack().ipf().status();
    assert_eq!((status.v4.completed, status.num_frags), (6, 0));
}

#[test]
fn an_unsolicited_reply_is_dropped() {
    let mut sw = Switch::new(firewall(Arc::default()));
    sw.send(2, tcp_frame(false, SYN, 5000, 0), 1);
    assert!(sw.p1.transmitted().is_empty());
}

#[test]
fn later_packets_hit_the_cache_and_megaflows_count_them() {
    let mut sw = Switch::new(firewall(Arc::default()));
    sw.send(1, tcp_frame(true, SYN, 1000, 0), 1);
    let after_first = sw.dp.stats();
    sw.send(1, tcp_frame(true, SYN, 1000, 0), 600);
    let after_second = sw.dp.stats();
    assert_eq!(after_second.missed, after_first.missed, "no new upcall");
    assert_eq!(
        after_second.emc_hits,
        after_first.emc_hits + 2,
        "both passes hit"
    );
    let mut dump = sw.dp.dump_flows(1_100);
    dump.sort();
    // The first pass prints as OVS 3.1 prints the same megaflow.
    assert!(
        dump.contains(
            &"ct_state(-trk),recirc_id(0),in_port(1),packet_type(ns=0,id=0),\
                       eth_type(0x0800),ipv4(frag=no), packets:2, bytes:108, used:0.500s, \
                       actions:ct(zone=5),recirc(0x1)"
                .to_string()
        ),
        "{dump:#?}"
    );
}

/// A slow path whose answers may not be cached (as the scenario runner
/// declines flows OVS would not install).
struct Uncached<U>(U);

impl<U: Upcall> Upcall for Uncached<U> {
    fn miss(&self, flow: &Flow) -> Result<MissReply, UpcallError> {
        self.0.miss(flow)
    }

    fn userspace(&self, packet: UserspacePacket) {
        self.0.userspace(packet);
    }

    fn caches(&self, _flow: &Flow) -> bool {
        false
    }
}

#[test]
fn an_answer_the_slow_path_declines_to_cache_serves_one_packet() {
    let mut sw = Switch::new(Uncached(firewall(Arc::default())));
    sw.send(1, tcp_frame(true, SYN, 1000, 0), 1);
    let after_first = sw.dp.stats();
    assert_eq!(after_first.missed, 2, "both passes");
    sw.send(1, tcp_frame(true, SYN, 1000, 0), 2);
    assert_eq!(sw.dp.stats().missed, 4, "both passes again");
    assert!(sw.dp.dump_flows(3).is_empty());
    assert_eq!(sw.p2.transmitted().len(), 2, "each packet still forwarded");
}

#[test]
fn no_stale_forwarding_after_the_tables_change() {
    // The "OpenFlow table": which port to output to.
    let out = Arc::new(AtomicU32::new(2));
    let table = out.clone();
    let upcall = FnUpcall::new(move |_: &Flow| {
        Ok(MissReply {
            actions: Actions::new(vec![Action::Output(table.load(Relaxed))]),
            mask: mask_of(&[l::ETH_TYPE]),
            sink: None,
        })
    });
    let mut sw = Switch::new(upcall);
    let p3 = Arc::new(DummyPort::new("p3"));
    sw.dp.add_port(3, p3.clone()).unwrap();
    sw.send(1, tcp_frame(true, SYN, 1, 0), 1);
    assert_eq!(sw.p2.take_transmitted().len(), 1);
    out.store(3, Relaxed);
    sw.dp.flows_changed();
    for t in 2..5 {
        sw.send(1, tcp_frame(true, SYN, 1, 0), t);
    }
    assert!(sw.p2.transmitted().is_empty(), "nothing by the old rule");
    assert_eq!(p3.transmitted().len(), 3);
    assert_eq!(sw.dp.megaflows().len(), 1);
}

#[test]
fn idle_megaflows_expire_and_the_next_packet_misses() {
    let mut sw = Switch::new(firewall(Arc::default()));
    sw.send(1, tcp_frame(true, SYN, 1000, 0), 1_000);
    assert_eq!(sw.dp.megaflows().len(), 2);
    assert_eq!(sw.dp.expire(5_000, 10_000), 0);
    assert_eq!(sw.dp.expire(20_000, 10_000), 2);
    let missed = sw.dp.stats().missed;
    sw.send(1, tcp_frame(true, SYN, 1000, 0), 20_001);
    assert_eq!(sw.dp.stats().missed, missed + 2);
}

#[test]
fn userspace_actions_hand_packets_up_with_their_ct_metadata() {
    let (tx, rx) = mpsc::channel();
    let to_controller = Userspace {
        pid: 0,
        cookie: ControllerCookie {
            reason: 1,
            max_len: 65535,
            ..ControllerCookie::default()
        },
    };
    let upcall = FnUpcall::new(move |flow: &Flow| {
        let actions = if flow.get(l::RECIRC_ID) == 0 {
            vec![Action::Ct(Ct::default()), Action::Recirc(7)]
        } else {
            vec![Action::Userspace(to_controller)]
        };
        Ok(MissReply {
            actions: Actions::new(actions),
            mask: mask_of(&[l::RECIRC_ID]),
            sink: None,
        })
    })
    .with_userspace(tx);
    let mut sw = Switch::new(upcall);
    sw.send(1, tcp_frame(true, SYN, 1000, 0), 1);
    let up = rx.try_recv().unwrap();
    assert_eq!(up.action, to_controller);
    assert_eq!(up.flow.get(l::RECIRC_ID), 7);
    assert_eq!(up.flow.get(l::CT_STATE), 0x21);
    assert_eq!(up.packet.data, tcp_frame(true, SYN, 1000, 0));
}

#[test]
fn a_hash_action_gives_the_next_pass_the_symmetric_dp_hash() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let upcall = FnUpcall::new(move |flow: &Flow| {
        log.lock().unwrap().push(flow.clone());
        let actions = if flow.get(l::RECIRC_ID) == 0 {
            vec![Action::Hash(0), Action::Recirc(9)]
        } else {
            vec![Action::Output(2)]
        };
        Ok(MissReply {
            actions: Actions::new(actions),
            mask: mask_of(&[l::RECIRC_ID, l::DP_HASH]),
            sink: None,
        })
    });
    let mut sw = Switch::new(upcall);
    sw.send(1, tcp_frame(true, SYN, 1000, 0), 1);
    sw.send(2, tcp_frame(false, SYN | ACK, 5000, 1001), 2);
    let seen = seen.lock().unwrap();
    let hashes: Vec<_> = seen.iter().map(|f| f.get(l::DP_HASH)).collect();
    // Before the hash none; after it the flow's, the same both ways.
    assert_eq!(hashes[0], 0);
    let expected = Value::from(crate::hash::sym_l4_hash(&seen[0], 0));
    assert_eq!(hashes[1], expected);
    assert_ne!(expected, 0);
    assert_eq!(hashes[3], expected);
    assert_eq!(sw.p2.transmitted().len(), 2);
}

// As OVS 3.1's userspace datapath: a recirculated packet is looked up
// and sent before the actions after its `recirc` run.
#[test]
fn a_recirculated_packet_goes_round_before_the_actions_after_recirc() {
    use crate::action::{EthSet, SetAction};
    use conntrack::Masked;
    let upcall = FnUpcall::new(|flow: &Flow| {
        let actions = if flow.get(l::RECIRC_ID) == 0 {
            vec![Action::Recirc(5), Action::Output(2)]
        } else {
            let dst = Masked {
                value: 0x0200_0000_0009,
                mask: 0xffff_ffff_ffff,
            };
            let eth = EthSet {
                dst,
                ..EthSet::default()
            };
            vec![Action::Set(SetAction::Eth(eth)), Action::Output(2)]
        };
        Ok(MissReply {
            actions: Actions::new(actions),
            mask: mask_of(&[l::RECIRC_ID]),
            sink: None,
        })
    });
    let mut sw = Switch::new(upcall);
    let frame = tcp_frame(true, SYN, 1, 0);
    sw.send(1, frame.clone(), 1);
    let sent = sw.p2.transmitted();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0][..6], [2, 0, 0, 0, 0, 9], "the second pass first");
    assert_eq!(sent[1], frame);
}

#[test]
fn endless_recirculation_stops_at_the_depth_limit() {
    let upcall = FnUpcall::new(|flow: &Flow| {
        let next = flow.get(l::RECIRC_ID) as u32 + 1;
        Ok(MissReply {
            actions: Actions::new(vec![Action::Recirc(next)]),
            mask: Flow::zero(),
            sink: None,
        })
    });
    let mut sw = Switch::new(upcall);
    sw.send(1, tcp_frame(true, SYN, 1, 0), 1);
    assert_eq!(sw.dp.stats().lost, 1);
    assert_eq!(sw.dp.stats().missed as usize, crate::MAX_RECIRC_DEPTH + 1);
}

#[test]
fn a_failed_upcall_drops_the_packet_and_installs_nothing() {
    let upcall = FnUpcall::new(|_: &Flow| Err(UpcallError::Translation("no bridge".into())));
    let mut sw = Switch::new(upcall);
    sw.send(1, tcp_frame(true, SYN, 1, 0), 1);
    assert_eq!(sw.dp.stats().lost, 1);
    assert!(sw.dp.megaflows().is_empty());
}

#[test]
fn the_packet_thread_forwards_what_a_dummy_port_receives() {
    let sw = Switch::new(firewall(Arc::default()));
    let thread = PacketThread::spawn(sw.dp.clone(), ThreadConfig::default()).unwrap();
    sw.p1.inject(tcp_frame(true, SYN, 1000, 0));
    let deadline = Instant::now() + Duration::from_secs(10);
    while sw.p2.transmitted().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    thread.stop();
    assert_eq!(sw.p2.transmitted(), vec![tcp_frame(true, SYN, 1000, 0)]);
    assert_eq!(sw.p1.stats().rx_packets, 1);
    assert_eq!(sw.p2.stats().tx_packets, 1);
}

/// A port that sends what it was given only when flushed, and whose
/// receive queue has a descriptor (a pipe nothing is written to) for a
/// packet thread to wait on.
#[derive(Debug)]
struct HeldPort {
    inner: DummyPort,
    held: Mutex<Vec<Vec<u8>>>,
    quiet: (std::os::fd::OwnedFd, std::os::fd::OwnedFd),
}

impl HeldPort {
    fn new() -> Self {
        let quiet = crate::thread::tests::pipe();
        HeldPort {
            inner: DummyPort::new("held"),
            held: Mutex::new(Vec::new()),
            quiet,
        }
    }
}

impl Port for HeldPort {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn receive(&self, batch: &mut Vec<crate::port::RxFrame>, max: usize) -> usize {
        self.inner.receive(batch, max)
    }

    fn transmit(&self, frame: &[u8]) {
        self.held.lock().unwrap().push(frame.to_vec());
    }

    fn flush(&self) {
        for frame in self.held.lock().unwrap().drain(..) {
            self.inner.transmit(&frame);
        }
    }

    fn rx_fd(&self, queue: usize) -> Option<std::os::fd::BorrowedFd<'_>> {
        use std::os::fd::AsFd;
        (queue == 0).then(|| self.quiet.0.as_fd())
    }

    fn state(&self) -> &crate::port::PortState {
        self.inner.state()
    }
}

#[test]
fn a_packet_thread_sends_what_it_queued_before_it_waits() {
    // Port 2 is read by thread 0, which finds nothing and blocks on its
    // descriptor; thread 1 reads port 1 and forwards to port 2, whose
    // frames leave only when flushed: thread 1 must flush before it
    // waits, not leave them for the port's own (blocked) reader.
    let dp = Arc::new(Datapath::new(
        Arc::new(Conntrack::new()),
        Arc::new(firewall(Arc::default())),
    ));
    let p1 = Arc::new(DummyPort::new("p1"));
    let p2 = Arc::new(HeldPort::new());
    dp.add_port(1, p1.clone()).unwrap();
    dp.add_port(2, p2.clone()).unwrap();
    let config = |index| ThreadConfig {
        index,
        threads: 2,
        idle_wait: Duration::from_millis(50),
        ..ThreadConfig::default()
    };
    let threads = [0, 1].map(|i| PacketThread::spawn(dp.clone(), config(i)).unwrap());
    p1.inject(tcp_frame(true, SYN, 1000, 0));
    let deadline = Instant::now() + Duration::from_secs(10);
    while p2.inner.transmitted().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    for thread in threads {
        thread.stop();
    }
    assert_eq!(p2.inner.transmitted(), vec![tcp_frame(true, SYN, 1000, 0)]);
}

/// A sink that forgets what it is given.
struct Nowhere;

impl Transmit for Nowhere {
    fn transmit(&self, _: u32, _: &Packet) {}
}

fn every_action() -> Actions {
    use crate::action::{EthSet, Ipv4Set, Ipv6Set, PortsSet, SetAction};
    use conntrack::Masked;
    let set_v4 = SetAction::Ipv4(Ipv4Set {
        src: Masked {
            value: 1,
            mask: u32::MAX,
        },
        ttl: Masked {
            value: 1,
            mask: 0xff,
        },
        ..Ipv4Set::default()
    });
    let set_v6 = SetAction::Ipv6(Ipv6Set {
        dst: Masked {
            value: 1,
            mask: u128::MAX,
        },
        label: Masked {
            value: 1,
            mask: 0xf_ffff,
        },
        ..Ipv6Set::default()
    });
    let ports = PortsSet {
        src: Masked {
            value: 9,
            mask: 0xffff,
        },
        ..PortsSet::default()
    };
    let eth = SetAction::Eth(EthSet {
        dst: Masked {
            value: 1,
            mask: 0xffff_ffff_ffff,
        },
        ..EthSet::default()
    });
    let commit = Ct {
        commit: Some(CtCommit::Commit),
        ..Ct::default()
    };
    Actions::new(vec![
        Action::PopVlan,
        Action::Set(set_v4),
        Action::Set(set_v6),
        Action::Set(SetAction::Tcp(ports)),
        Action::Set(SetAction::Udp(ports)),
        Action::Set(eth),
        Action::Ct(commit),
        Action::Clone(Actions::new(vec![
            Action::PushVlan(PushVlan::new(5, 1)),
            Action::Output(1),
        ])),
        Action::PushVlan(PushVlan::new(7, 0)),
        Action::CtClear,
        Action::Hash(7),
        Action::Output(2),
        Action::Recirc(3),
    ])
}

proptest! {
    #[test]
    fn random_frames_through_every_action_never_panic(
        frames in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..120), 1..8),
        ethertype in prop::sample::select(vec![0x0800u16, 0x86dd, 0x8100, 0x0806]),
    ) {
        let conntrack = Conntrack::new();
        let upcall = FnUpcall::new(|_: &Flow| Err(UpcallError::Translation(String::new())));
        let ctx = Context { conntrack: &conntrack, ports: &Nowhere, upcall: &upcall, now_ms: 1 };
        let batch = frames
            .into_iter()
            .map(|mut f| {
                // Give half of them a plausible ethertype so that the
                // header views get past Ethernet.
                if f.len() >= 14 && f[0] & 1 == 0 {
                    f[12..14].copy_from_slice(&ethertype.to_be_bytes());
                }
                Packet::new(f, 1)
            })
            .collect();
        let done = execute(&ctx, batch, &every_action());
        for p in &done.recirculate {
            prop_assert_eq!(p.md.recirc_id, 3);
            let _ = p.flow();
        }
    }
}

/// A slow path's counters: packets and bytes credited.
#[derive(Debug, Default)]
struct Tally(Mutex<(u64, u64)>);

impl StatsSink for Tally {
    fn credit(&self, packets: u64, bytes: u64, _now_ms: u64) {
        let mut t = self.0.lock().unwrap();
        t.0 += packets;
        t.1 += bytes;
    }
}

#[test]
fn a_replys_sink_is_credited_with_the_miss_and_every_cached_hit_in_bytes() {
    let tally = Arc::new(Tally::default());
    let sink: Arc<dyn StatsSink> = tally.clone();
    let mut sw = Switch::new(FnUpcall::new(move |_: &Flow| {
        Ok(MissReply {
            actions: Actions::new(vec![Action::Output(2)]),
            mask: mask_of(&[l::ETH_TYPE]),
            sink: Some(Arc::clone(&sink)),
        })
    }));
    let frame = tcp_frame(true, SYN, 1000, 0);
    let len = frame.len() as u64;
    for now in 1..=3 {
        sw.send(1, frame.clone(), now);
    }
    assert_eq!(sw.dp.stats().missed, 1, "two of three came from the cache");
    assert_eq!(*tally.0.lock().unwrap(), (3, 3 * len));
}

#[test]
fn a_reply_that_cannot_be_installed_still_credits_its_packet() {
    let tally = Arc::new(Tally::default());
    let sink: Arc<dyn StatsSink> = tally.clone();
    let dp_cell: Arc<Mutex<Option<Arc<Datapath>>>> = Arc::default();
    let cell = Arc::clone(&dp_cell);
    let mut sw = Switch::new(FnUpcall::new(move |_: &Flow| {
        // The tables change while translating: nothing is installed.
        if let Some(dp) = cell.lock().unwrap().as_ref() {
            dp.flows_changed();
        }
        Ok(MissReply {
            actions: Actions::default(),
            mask: Flow::zero(),
            sink: Some(Arc::clone(&sink)),
        })
    }));
    *dp_cell.lock().unwrap() = Some(Arc::clone(&sw.dp));
    let frame = tcp_frame(true, SYN, 1000, 0);
    sw.send(1, frame.clone(), 1);
    assert!(sw.dp.dump_flows(1).is_empty());
    assert_eq!(*tally.0.lock().unwrap(), (1, frame.len() as u64));
    *dp_cell.lock().unwrap() = None;
}
