//! VLAN-tagged frames through ctswitchd's afpacket ports (see
//! `netns_support`). ns1 sends 802.1Q-tagged UDP frames (VLAN 100,
//! priority 3) on its veth with a raw socket; the switch forwards only
//! what it sees tagged with VLAN 100, through ct; ns2 reads what arrives
//! with a raw socket. The kernel takes the tag off every frame an
//! AF_PACKET socket reads on a veth and hands it aside (PACKET_AUXDATA):
//! the port must put it back, or nothing matches VLAN 100 and the tag is
//! lost on the way out. (This kernel has no VLAN interfaces, hence the
//! raw sockets.)

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod daemon_support;
mod netns_support;

use daemon_support::{stdout, Daemon};
use std::io::Read;
use std::process::Command;

use netns_support::{python, spawn_ready, Net, Side};

const FLOWS: &str = "\
table=0,priority=20,dl_vlan=100,ip,actions=ct(commit,table=1)
table=0,priority=0,actions=drop
table=1,priority=10,in_port=1,dl_vlan=100,dl_vlan_pcp=3,actions=output:2
table=1,priority=0,actions=drop
";

const FRAMES: usize = 20;

/// Reads frames on `side`'s veth for three seconds; prints how many
/// carried the test's payload with tag VLAN 100 priority 3 (as the
/// kernel reports it aside), then how many carried it without.
fn receiver(side: &Side) -> Command {
    let script = format!(
        "import socket,struct,time\n\
         s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW,socket.htons(3))\n\
         s.setsockopt(263,8,1); s.bind(('{dev}',0)); s.settimeout(0.2)\n\
         print('ready',flush=True)\n\
         tagged=untagged=0; end=time.time()+3\n\
         while time.time()<end:\n\
         \x20   try: data,anc,_,_=s.recvmsg(65535,256)\n\
         \x20   except socket.timeout: continue\n\
         \x20   if b'ctswitch-vlan' not in data: continue\n\
         \x20   tci=None\n\
         \x20   for lvl,typ,aux in anc:\n\
         \x20       if lvl==263 and typ==8:\n\
         \x20           st,_,_,_,_,t,_=struct.unpack('IIIHHHH',aux[:20])\n\
         \x20           if st&16: tci=t\n\
         \x20   if tci==(3<<13|100): tagged+=1\n\
         \x20   else: untagged+=1\n\
         print(tagged,untagged,flush=True)\n",
        dev = side.inner
    );
    python(&side.ns, &script)
}

/// Sends [`FRAMES`] tagged UDP frames from `from` to `to`.
fn send_tagged(from: &Side, to: &Side) {
    let mac = |m: &str| m.replace(':', "");
    let script = format!(
        "import socket,struct\n\
         def csum(b):\n\
         \x20   s=sum(struct.unpack('!10H',b)); s=(s&0xffff)+(s>>16); s=(s&0xffff)+(s>>16)\n\
         \x20   return (~s)&0xffff\n\
         payload=b'ctswitch-vlan'+bytes(40)\n\
         udp=struct.pack('!HHHH',4000,5000,8+len(payload),0)+payload\n\
         ip=struct.pack('!BBHHHBBH4s4s',0x45,0,20+len(udp),0,0,64,17,0,\
         socket.inet_aton('{src}'),socket.inet_aton('{dst}'))\n\
         ip=ip[:10]+struct.pack('!H',csum(ip))+ip[12:]\n\
         eth=bytes.fromhex('{dmac}{smac}')+struct.pack('!HHH',0x8100,3<<13|100,0x0800)\n\
         s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW); s.bind(('{dev}',0))\n\
         for _ in range({FRAMES}): s.send(eth+ip+udp)\n",
        src = from.addr,
        dst = to.addr,
        dmac = mac(&to.mac),
        smac = mac(&from.mac),
        dev = from.inner,
    );
    let out = python(&from.ns, &script).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn tagged_frames_are_matched_by_their_tag_and_leave_with_it() {
    let Some(net) = Net::new('v', ["10.232.9.1/24", "10.232.9.2/24"], [false, false]) else {
        return;
    };
    let [ns1, ns2] = &net.sides;
    let [port1, port2] = net.ports();
    let d = Daemon::start("netns-vlan", &["--port", &port1, "--port", &port2]);
    d.add_flows(FLOWS);

    let (_child, mut out) = spawn_ready(receiver(ns2));
    send_tagged(ns1, ns2);
    let mut counts = String::new();
    out.read_to_string(&mut counts).unwrap();
    assert_eq!(
        counts.trim(),
        format!("{FRAMES} 0"),
        "frames that reached ns2 with VLAN 100 priority 3, and without"
    );

    let dump = stdout(d.ctswitch_ctl("dump-conntrack", &[]));
    let udp = format!(
        "udp,orig=(src={},dst={},sport=4000,dport=5000)",
        ns1.addr, ns2.addr
    );
    assert!(dump.contains(&udp), "no tracked connection in:\n{dump}");
}
