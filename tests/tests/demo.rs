//! `ctswitch demo`, the README's main job: it must run without privileges,
//! pass the handshake, data and UDP exchange, drop the unsolicited SYN and
//! end with both connections in the conntrack table.

use std::process::{Command, Stdio};

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

/// `ctswitch demo --netns` (root, as the suite runs): real namespaces,
/// a ping and a TCP connection allowed one way and refused the other,
/// and nothing left behind.
#[test]
fn the_netns_demo_allows_inside_out_and_refuses_outside_in() {
    let child = Command::new(ctswitch_tests::ctswitch())
        .args(["demo", "--netns"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ctswitch demo --netns runs");
    let pid = child.id();
    let out = child
        .wait_with_output()
        .expect("ctswitch demo --netns ends");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo --netns failed (it needs root, ip netns, ping and python3): {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (line, verdict) in [
        ("inside -> outside  ping ", "allowed"),
        ("inside -> outside  TCP to port 80", "allowed"),
        ("outside -> inside  ping ", "refused"),
        ("outside -> inside  TCP to port 80", "refused"),
    ] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(line) && l.ends_with(verdict)),
            "no {line:?} {verdict} in\n{text}"
        );
    }
    assert!(
        text.contains("icmp,orig=(src=10.1.1.1,dst=10.1.1.2,"),
        "{text}"
    );
    assert!(
        text.contains("dport=80),reply=(src=10.1.1.2,dst=10.1.1.1,sport=80,"),
        "{text}"
    );
    let namespaces = Command::new("ip").args(["netns", "list"]).output().unwrap();
    let left = String::from_utf8_lossy(&namespaces.stdout);
    assert!(
        !left.contains(&format!("ctdemo{pid}")),
        "left behind: {left}"
    );
}
