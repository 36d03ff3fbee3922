//! Captures for the FTP and TFTP ALGs (tests/captures/alg/): each is
//! replayed through one `ct(commit,alg=..[,nat(SPEC)])`, named in the
//! test that replays it. The far side's packets are addressed as it sees
//! the connection (to the SNAT address, from the DNAT'd server) and carry
//! the sequence numbers it sees once the ALG has resized the control
//! payload.

use std::path::Path;

use conntrack::wire::{compose, tcp};

use crate::frame::{ether, tcp_repr, Pcap, Result};

use tcp::flags::{ACK, PSH, SYN};

/// A TCP segment carrying `text`.
#[allow(clippy::too_many_arguments)] // one argument per header field
fn seg(
    src: &str,
    sport: u16,
    dst: &str,
    dport: u16,
    flags: u16,
    seq: u32,
    ack: u32,
    text: &str,
) -> Result<Vec<u8>> {
    let repr = tcp_repr(sport, dport, flags, seq, ack, text.len());
    let packet = compose::tcp_packet_with(src.parse()?, dst.parse()?, &repr, text.as_bytes())?;
    ether(src, packet)
}

fn len(text: &str) -> u32 {
    text.len() as u32
}

/// Who talks: the client, the server's address as the client knows it,
/// the server's own, and the client's address as the server sees it.
struct Ends {
    client: &'static str,
    to: &'static str,
    server: &'static str,
    seen: &'static str,
}

/// The control connection's handshake (client port 40000, seq 1000;
/// server seq 5000).
fn handshake(p: &mut Pcap, e: &Ends) -> Result<()> {
    p.push(&seg(e.client, 40000, e.to, 21, SYN, 1000, 0, "")?)?;
    p.push(&seg(
        e.server,
        21,
        e.seen,
        40000,
        SYN | ACK,
        5000,
        1001,
        "",
    )?)?;
    p.push(&seg(e.client, 40000, e.to, 21, ACK, 1001, 5001, "")?)?;
    Ok(())
}

/// Active mode: `port` (the client's PORT or EPRT command, `grown` bytes
/// longer once the ALG rewrote it), the server's reply, the next
/// command, a retransmission of the announcement, the server's data
/// connection from port 20 to the client's port 50000.
fn active(e: &Ends, port: &str, grown: u32) -> Result<Pcap> {
    let mut p = Pcap::new();
    handshake(&mut p, e)?;
    p.push(&seg(
        e.client,
        40000,
        e.to,
        21,
        PSH | ACK,
        1001,
        5001,
        port,
    )?)?;
    let ok = "200 Command okay.\r\n";
    let after = 1001 + len(port);
    p.push(&seg(
        e.server,
        21,
        e.seen,
        40000,
        PSH | ACK,
        5001,
        after + grown,
        ok,
    )?)?;
    let retr = "RETR file\r\n";
    p.push(&seg(
        e.client,
        40000,
        e.to,
        21,
        PSH | ACK,
        after,
        5001 + len(ok),
        retr,
    )?)?;
    // The announcement again: a retransmission after the length change.
    p.push(&seg(
        e.client,
        40000,
        e.to,
        21,
        PSH | ACK,
        1001,
        5001 + len(ok),
        port,
    )?)?;
    let acked = after + len(retr) + grown;
    p.push(&seg(
        e.server,
        21,
        e.seen,
        40000,
        ACK,
        5001 + len(ok),
        acked,
        "",
    )?)?;
    p.push(&seg(e.server, 20, e.seen, 50000, SYN, 9000, 0, "")?)?;
    p.push(&seg(e.client, 50000, e.to, 20, SYN | ACK, 7000, 9001, "")?)?;
    p.push(&seg(e.server, 20, e.seen, 50000, ACK, 9001, 7001, "")?)?;
    Ok(p)
}

/// Passive mode: the client's `PASV`/`EPSV`, the server's `reply`
/// (`grown` bytes longer once rewritten), the client's next command, a
/// retransmission of the reply, then the client's data connection to
/// port 50000 and a second one from another port.
fn passive(e: &Ends, ask: &str, reply: &str, grown: u32) -> Result<Pcap> {
    let mut p = Pcap::new();
    handshake(&mut p, e)?;
    p.push(&seg(e.client, 40000, e.to, 21, PSH | ACK, 1001, 5001, ask)?)?;
    let sent = 1001 + len(ask);
    p.push(&seg(
        e.server,
        21,
        e.seen,
        40000,
        PSH | ACK,
        5001,
        sent,
        reply,
    )?)?;
    let after = 5001 + len(reply);
    let retr = "RETR file\r\n";
    p.push(&seg(
        e.client,
        40000,
        e.to,
        21,
        PSH | ACK,
        sent,
        after + grown,
        retr,
    )?)?;
    p.push(&seg(
        e.server,
        21,
        e.seen,
        40000,
        PSH | ACK,
        5001,
        sent,
        reply,
    )?)?;
    p.push(&seg(
        e.server,
        21,
        e.seen,
        40000,
        ACK,
        after,
        sent + len(retr),
        "",
    )?)?;
    p.push(&seg(e.client, 50001, e.to, 50000, SYN, 7000, 0, "")?)?;
    p.push(&seg(
        e.server,
        50000,
        e.seen,
        50001,
        SYN | ACK,
        9000,
        7001,
        "",
    )?)?;
    p.push(&seg(e.client, 50001, e.to, 50000, ACK, 7001, 9001, "")?)?;
    p.push(&seg(e.client, 50002, e.to, 50000, SYN, 8000, 0, "")?)?;
    Ok(p)
}

/// A TFTP read request from 10.1.1.1:40000, the server's first data
/// block from its own port, the client's ack, and a datagram from another
/// server port to another client port (not expected).
fn tftp() -> Result<Pcap> {
    let (c, s) = ("10.1.1.1", "10.1.1.2");
    let udp = |src: &str, sport, dst: &str, dport, data: &[u8]| -> Result<Vec<u8>> {
        ether(
            src,
            compose::udp_packet_with(src.parse()?, dst.parse()?, sport, dport, data)?,
        )
    };
    let mut p = Pcap::new();
    p.push(&udp(c, 40000, s, 69, b"\x00\x01file\x00octet\x00")?)?;
    p.push(&udp(s, 50000, c, 40000, b"\x00\x03\x00\x01data")?)?;
    p.push(&udp(c, 40000, s, 50000, b"\x00\x04\x00\x01")?)?;
    p.push(&udp(s, 50001, c, 40001, b"\x00\x03\x00\x01data")?)?;
    Ok(p)
}

pub fn write(dir: &Path) -> Result<()> {
    let v4 = Ends {
        client: "10.1.1.1",
        to: "10.1.1.2",
        server: "10.1.1.2",
        seen: "10.1.1.1",
    };
    let v6 = Ends {
        client: "fc00::1",
        to: "fc00::2",
        server: "fc00::2",
        seen: "fc00::1",
    };
    let port = "PORT 10,1,1,1,195,80\r\n";
    let pasv = "227 Entering Passive Mode (10,1,1,2,195,80).\r\n";
    let eprt = "EPRT |2|fc00::1|50000|\r\n";
    let epsv = "229 Entering Extended Passive Mode (|||50000|)\r\n";
    active(&v4, port, 0)?.write(dir, "ftp-active4.pcap")?;
    passive(&v4, "PASV\r\n", pasv, 0)?.write(dir, "ftp-passive4.pcap")?;
    active(&v6, eprt, 0)?.write(dir, "ftp-active6.pcap")?;
    passive(&v6, "EPSV\r\n", epsv, 0)?.write(dir, "ftp-passive6.pcap")?;
    // Behind nat(src=172.16.100.200): PORT grows by 6.
    let snat4 = Ends {
        seen: "172.16.100.200",
        ..v4
    };
    active(&snat4, port, 6)?.write(dir, "ftp-active4-snat.pcap")?;
    // To nat(dst=10.1.1.2) through 192.168.100.200: 227 grows by 7.
    let dnat4 = Ends {
        to: "192.168.100.200",
        ..v4
    };
    passive(&dnat4, "PASV\r\n", pasv, 7)?.write(dir, "ftp-passive4-dnat.pcap")?;
    // Behind nat(src=fc00::100): EPRT grows by 2; EPSV names no address.
    let snat6 = Ends {
        seen: "fc00::100",
        ..v6
    };
    active(&snat6, eprt, 2)?.write(dir, "ftp-active6-snat.pcap")?;
    passive(&snat6, "EPSV\r\n", epsv, 0)?.write(dir, "ftp-passive6-snat.pcap")?;
    tftp()?.write(dir, "tftp.pcap")?;
    Ok(())
}
