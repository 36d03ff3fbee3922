//! Malformed OpenFlow from one client gets the OFPT_ERROR OVS sends, and
//! another client, connected all along, keeps working.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod daemon_support;

use std::io::{Read, Write};
use std::net::TcpStream;

use daemon_support::{stdout, Daemon};

/// Reads one OpenFlow message.
fn read_message(s: &mut TcpStream) -> Vec<u8> {
    let mut msg = vec![0; 8];
    s.read_exact(&mut msg).unwrap();
    let len = usize::from(u16::from_be_bytes([msg[2], msg[3]]));
    msg.resize(len, 0);
    s.read_exact(&mut msg[8..]).unwrap();
    msg
}

fn connect(d: &Daemon) -> TcpStream {
    let mut s = TcpStream::connect(d.target.strip_prefix("tcp:").unwrap()).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    s.write_all(&[4, 0, 0, 8, 0, 0, 0, 1]).unwrap();
    assert_eq!(read_message(&mut s)[1], 0, "a hello first");
    s
}

#[test]
fn a_malformed_message_gets_an_error_and_other_clients_go_on() {
    let d = Daemon::start("errors", &[]);
    let mut good = connect(&d);
    let mut bad = connect(&d);
    // A FLOW_MOD whose body is cut short: OFPBRC_BAD_LEN, as OVS answers.
    bad.write_all(&[4, 14, 0, 16, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0])
        .unwrap();
    let error = read_message(&mut bad);
    assert_eq!(error[1], 1, "OFPT_ERROR");
    assert_eq!(&error[4..8], &[0, 0, 0, 9], "the xid of the bad message");
    assert_eq!(
        &error[8..12],
        &[0, 1, 0, 6],
        "OFPET_BAD_REQUEST / OFPBRC_BAD_LEN"
    );
    // The bad client's connection still answers an echo…
    bad.write_all(&[4, 2, 0, 8, 0, 0, 0, 10]).unwrap();
    assert_eq!(read_message(&mut bad)[1], 3);
    // …and so does the other one, and the CLI works.
    good.write_all(&[4, 2, 0, 8, 0, 0, 0, 11]).unwrap();
    assert_eq!(read_message(&mut good)[1], 3);
    stdout(d.ctswitch_of("add-flow", &["priority=1,actions=drop"]));
    assert_eq!(
        stdout(d.ctswitch_of("dump-flows", &["--no-stats"])),
        " priority=1 actions=drop\n"
    );
}
