//! `ctswitch demo`, the README's main job: it must run without privileges,
//! pass the handshake, data and UDP exchange, drop the unsolicited SYN and
//! end with both connections in the conntrack table.

use std::process::Command;

#[test]
fn the_demo_forwards_what_the_firewall_allows_and_drops_the_rest() {
    let out = Command::new(ctswitch_tests::ctswitch())
        .arg("demo")
        .output()
        .expect("ctswitch demo runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verdict = |what: &str| -> String {
        text.lines()
            .find(|l| l.contains(what))
            .unwrap_or_else(|| panic!("no line for {what} in\n{text}"))
            .to_string()
    };
    assert!(verdict("TCP SYN      10.1.1.1:40000").ends_with("new|trk      forwarded to port 2"));
    assert!(verdict("TCP SYN+ACK").ends_with("est|rpl|trk  forwarded to port 1"));
    assert!(verdict("(unsolicited)").ends_with("dropped"));
    assert!(verdict("(reply)").ends_with("forwarded to port 1"));
    assert!(text.contains(
        "tcp,orig=(src=10.1.1.1,dst=10.1.1.2,sport=40000,dport=80),reply=(src=10.1.1.2,dst=10.1.1.1,sport=80,dport=40000),protoinfo=(state=ESTABLISHED)"
    ));
    assert!(text.contains("udp,orig=(src=10.1.1.1,dst=10.1.1.2,sport=5353,dport=53)"));
    let table1_drop = text
        .lines()
        .find(|l| l.contains("table=1,") && l.ends_with("priority=1 actions=drop"))
        .unwrap_or_else(|| panic!("no table 1 drop rule in\n{text}"));
    assert!(table1_drop.contains("n_packets=1,"), "{table1_drop}");
}
