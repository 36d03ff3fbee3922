//! One OpenFlow connection's protocol logic, without sockets: version
//! negotiation, echo and keepalive, the requests a connection answers by
//! itself (features, switch config, barrier), OFPT_ERROR replies to
//! messages that do not decode, and everything else handed to the switch.
//!
//! It is a state machine fed whole messages (framing is
//! `openflow_codec::codec`'s) and the time; it returns what to send, what to
//! deliver and whether to close. The answers follow what Open vSwitch 3.1
//! does when limited to OpenFlow 1.3 (observed through its sandbox): the
//! hello carries a version bitmap of just 1.3; a peer with no common
//! version gets HELLO_FAILED/INCOMPATIBLE in its own version, with OVS's
//! text, and the connection closes; echo requests are answered in the
//! request's own version.

use bytes::BytesMut;
use openflow_codec::error::{BadRequestCode, HelloFailedCode, OfpError};
use openflow_codec::message::echo::Echo;
use openflow_codec::message::error_msg::ErrorMsg;
use openflow_codec::message::features::FeaturesReply;
use openflow_codec::message::hello::Hello;
use openflow_codec::message::switch_config::{FragMode, SwitchConfig};
use openflow_codec::message::types::MsgType;
use openflow_codec::message::{Header, Message};

/// OpenFlow 1.3's version number, the one ctswitch speaks.
pub const OFP13_VERSION: u8 = 0x04;
const OUR_VERSIONS: u32 = 1 << OFP13_VERSION;
/// `OFP_DEFAULT_MISS_SEND_LEN`: bytes of a missed packet sent to a controller.
const DEFAULT_MISS_SEND_LEN: u16 = 128;

/// What a connection reports about its switch in FEATURES_REPLY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwitchInfo {
    pub datapath_id: u64,
    pub n_tables: u8,
    pub capabilities: u32,
}

impl SwitchInfo {
    /// `FLOW_STATS|TABLE_STATS|PORT_STATS|GROUP_STATS|QUEUE_STATS`, what OVS
    /// 3.1's userspace datapath announces.
    pub const OVS_CAPABILITIES: u32 = 0x4f;
}

/// Why a connection ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The peer speaks no version we do.
    NoCommonVersion,
    /// The first message was not a hello.
    NoHello,
    /// The peer stopped answering echo requests.
    Inactive,
}

/// What the connection asks its owner to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Send these bytes (one whole message).
    Send(BytesMut),
    /// A message for the switch to act on, with its header and its bytes
    /// (to quote in an error reply).
    Deliver {
        header: Header,
        message: Box<Message>,
        raw: Vec<u8>,
    },
    /// Close the connection (after sending what came before).
    Close(CloseReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    AwaitingHello,
    Connected,
    Closed,
}

/// One connection's state.
#[derive(Debug)]
pub struct Connection {
    state: State,
    info: SwitchInfo,
    config: SwitchConfig,
    next_xid: u32,
    /// Send an echo request after this much silence; give up after twice.
    probe_interval_ms: u64,
    last_heard_ms: u64,
    echo_sent: bool,
    /// Accepted on a listener (OVS's "service" connection).
    service: bool,
}

impl Connection {
    /// A new connection at `now_ms`; its first output is our hello.
    pub fn new(info: SwitchInfo, probe_interval_ms: u64, now_ms: u64) -> (Self, Vec<Output>) {
        let mut conn = Connection {
            state: State::AwaitingHello,
            info,
            config: SwitchConfig {
                frag: FragMode::Normal,
                miss_send_len: DEFAULT_MISS_SEND_LEN,
            },
            next_xid: 1,
            probe_interval_ms,
            last_heard_ms: now_ms,
            echo_sent: false,
            service: false,
        };
        let hello = conn.send_new(Message::Hello(Hello::with_versions(OUR_VERSIONS)));
        (conn, vec![hello])
    }

    /// Makes this a service connection, one the switch accepted on a
    /// listener (`ptcp:`, `punix:`) rather than opened to a controller. As
    /// in OVS, its miss_send_len starts at 0, and it gets no asynchronous
    /// messages until its peer sets a nonzero one (`ovs-ofctl monitor
    /// TARGET 128` does; without a miss length it hears nothing).
    pub fn set_service(&mut self) {
        self.service = true;
        self.config.miss_send_len = 0;
    }

    /// Whether asynchronous messages (PACKET_IN, FLOW_REMOVED,
    /// PORT_STATUS) go to this connection now.
    pub fn wants_async(&self) -> bool {
        self.state == State::Connected && !(self.service && self.config.miss_send_len == 0)
    }

    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// The switch config a controller set (miss_send_len, fragments).
    pub fn switch_config(&self) -> &SwitchConfig {
        &self.config
    }

    /// Handles one whole message received at `now_ms`.
    pub fn receive(&mut self, raw: &[u8], now_ms: u64) -> Vec<Output> {
        self.last_heard_ms = now_ms;
        self.echo_sent = false;
        let Some(header) = Header::peek(raw) else {
            return Vec::new();
        };
        match self.state {
            State::Closed => Vec::new(),
            State::AwaitingHello => self.negotiate(header, raw),
            State::Connected => self.dispatch(header, raw),
        }
    }

    /// Keepalive: call now and then; returns an echo request to send, or
    /// a close when the peer has been silent too long.
    pub fn tick(&mut self, now_ms: u64) -> Vec<Output> {
        if self.state != State::Connected || self.probe_interval_ms == 0 {
            return Vec::new();
        }
        let silent = now_ms.saturating_sub(self.last_heard_ms);
        if silent >= 2 * self.probe_interval_ms {
            self.state = State::Closed;
            return vec![Output::Close(CloseReason::Inactive)];
        }
        if silent >= self.probe_interval_ms && !self.echo_sent {
            self.echo_sent = true;
            return vec![self.send_new(Message::EchoRequest(Echo { data: Vec::new() }))];
        }
        Vec::new()
    }

    fn negotiate(&mut self, header: Header, raw: &[u8]) -> Vec<Output> {
        if header.msg_type != MsgType::Hello.code() {
            self.state = State::Closed;
            return vec![Output::Close(CloseReason::NoHello)];
        }
        let body = raw.get(HEADER_LEN..).unwrap_or_default();
        let (theirs, _) = Hello::decode(body).allowed_versions(header.version);
        if theirs & OUR_VERSIONS != 0 {
            self.state = State::Connected;
            return Vec::new();
        }
        self.state = State::Closed;
        let text = format!(
            "We support version {:#04x}, you support {}, no common versions.",
            OFP13_VERSION,
            versions_text(theirs)
        );
        let error = Message::Error(ErrorMsg {
            error: HelloFailedCode::Incompatible.into(),
            data: text.into_bytes(),
        });
        // Answered in the peer's version, so that it can read the reason.
        let mut out = encode(&error, 0);
        if let Some(v) = out.first_mut() {
            *v = header.version;
        }
        vec![
            Output::Send(out),
            Output::Close(CloseReason::NoCommonVersion),
        ]
    }

    fn dispatch(&mut self, header: Header, raw: &[u8]) -> Vec<Output> {
        if header.msg_type == MsgType::EchoRequest.code() {
            // The reply mirrors the request, version included.
            let mut out = BytesMut::from(raw);
            if let Some(t) = out.get_mut(1) {
                *t = MsgType::EchoReply.code();
            }
            return vec![Output::Send(out)];
        }
        if header.version != OFP13_VERSION {
            return vec![self.error_reply(BadRequestCode::BadVersion.into(), header, raw)];
        }
        let message = match Message::decode(raw) {
            Ok((_, message)) => message,
            Err(fault) => return vec![self.error_reply(fault.error, header, raw)],
        };
        let reply = match &message {
            Message::Hello(_) | Message::EchoReply(_) => return Vec::new(),
            Message::FeaturesRequest => Message::FeaturesReply(FeaturesReply {
                datapath_id: self.info.datapath_id,
                n_buffers: 0,
                n_tables: self.info.n_tables,
                auxiliary_id: 0,
                capabilities: self.info.capabilities,
                reserved: 0,
            }),
            Message::GetConfigRequest => Message::GetConfigReply(self.config),
            Message::SetConfig(config) => {
                self.config = *config;
                return Vec::new();
            }
            // Requests are handled in order, so everything before a
            // barrier is done when it arrives.
            Message::BarrierRequest => Message::BarrierReply,
            _ => {
                return vec![Output::Deliver {
                    header,
                    message: Box::new(message),
                    raw: raw.to_vec(),
                }]
            }
        };
        vec![Output::Send(encode(&reply, header.xid))]
    }

    /// OFPT_ERROR for the request in `raw`, quoting its start.
    pub fn error_reply(&self, error: OfpError, header: Header, raw: &[u8]) -> Output {
        Output::Send(encode(
            &Message::Error(ErrorMsg::reply_to(error, raw)),
            header.xid,
        ))
    }

    /// Encodes a message of our own with a fresh xid.
    fn send_new(&mut self, message: Message) -> Output {
        let xid = self.next_xid;
        self.next_xid = self.next_xid.wrapping_add(1);
        Output::Send(encode(&message, xid))
    }
}

const HEADER_LEN: usize = 8;

fn encode(message: &Message, xid: u32) -> BytesMut {
    let mut out = BytesMut::new();
    message.encode(xid, &mut out);
    out
}

/// `version 0x01` or `versions 0x01, 0x06`, as OVS words it.
fn versions_text(bitmap: u32) -> String {
    let list: Vec<String> = (0..32)
        .filter(|v| bitmap & (1 << v) != 0)
        .map(|v| format!("{v:#04x}"))
        .collect();
    let noun = if list.len() == 1 {
        "version"
    } else {
        "versions"
    };
    format!("{noun} {}", list.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFO: SwitchInfo = SwitchInfo {
        datapath_id: 1,
        n_tables: 254,
        capabilities: SwitchInfo::OVS_CAPABILITIES,
    };

    fn hex(out: &[Output]) -> Vec<String> {
        out.iter()
            .filter_map(|o| match o {
                Output::Send(b) => Some(b.iter().map(|x| format!("{x:02x}")).collect()),
                _ => None,
            })
            .collect()
    }

    fn bytes(hex: &str) -> Vec<u8> {
        (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
            .collect()
    }

    fn connected() -> Connection {
        let (mut c, _) = Connection::new(INFO, 5_000, 0);
        assert!(c.receive(&bytes("0400000800000001"), 0).is_empty());
        c
    }

    // The hello, hello-failure, echo, features and bad-type expectations are
    // what OVS 3.1 sent through its sandbox, limited to OpenFlow 1.3; the
    // barrier, config and keepalive ones follow the OpenFlow 1.3 spec.
    #[test]
    fn a_service_connection_hears_async_messages_only_after_a_miss_send_len() {
        let mut controller = connected();
        assert!(controller.wants_async());
        let mut service = connected();
        service.set_service();
        assert!(!service.wants_async());
        assert_eq!(service.switch_config().miss_send_len, 0);
        // SET_CONFIG: frags normal, miss_send_len 128.
        assert!(service
            .receive(&bytes("0409000c0000000200000080"), 0)
            .is_empty());
        assert!(service.wants_async());
        controller.receive(&bytes("0409000c0000000200000000"), 0);
        assert!(controller.wants_async());
    }

    #[test]
    fn our_hello_offers_only_openflow_1_3() {
        let (_, out) = Connection::new(INFO, 0, 0);
        assert_eq!(hex(&out), ["04000010000000010001000800000010"]);
    }

    #[test]
    fn an_openflow_1_0_peer_is_told_why_in_its_own_version() {
        let (mut c, _) = Connection::new(INFO, 0, 0);
        let out = c.receive(&bytes("0100000800000001"), 0);
        let text = "We support version 0x04, you support version 0x01, no common versions.";
        let expected = format!(
            "01010052000000000000{}{}",
            "0000",
            text.bytes().map(|b| format!("{b:02x}")).collect::<String>()
        );
        assert_eq!(hex(&out), [expected]);
        assert_eq!(
            out.last(),
            Some(&Output::Close(CloseReason::NoCommonVersion))
        );
        assert!(c.is_closed());
    }

    #[test]
    fn a_bitmap_without_1_3_lists_the_peer_versions() {
        let (mut c, _) = Connection::new(INFO, 0, 0);
        let out = c.receive(&bytes("06000010000000020001000800000042"), 0);
        let sent = String::from_utf8(bytes(&hex(&out)[0][24..])).unwrap();
        assert_eq!(
            sent,
            "We support version 0x04, you support versions 0x01, 0x06, no common versions."
        );
        assert_eq!(&hex(&out)[0][..2], "06");
    }

    #[test]
    fn a_1_5_hello_without_bitmap_settles_on_1_3() {
        let (mut c, _) = Connection::new(INFO, 0, 0);
        assert!(c.receive(&bytes("0600000800000003"), 0).is_empty());
        assert!(!c.is_closed());
    }

    #[test]
    fn a_first_message_that_is_not_hello_closes() {
        let (mut c, _) = Connection::new(INFO, 0, 0);
        let out = c.receive(&bytes("0405000800000009"), 0);
        assert_eq!(out, [Output::Close(CloseReason::NoHello)]);
    }

    #[test]
    fn echo_features_and_unknown_types_are_answered_as_ovs_does() {
        let mut c = connected();
        let echo = c.receive(&bytes("0402000c0000000761626364"), 1);
        assert_eq!(hex(&echo), ["0403000c0000000761626364"]);
        let old_echo = c.receive(&bytes("0102000800000008"), 1);
        assert_eq!(hex(&old_echo), ["0103000800000008"]);
        let features = c.receive(&bytes("040500080000000a"), 1);
        assert_eq!(
            hex(&features),
            ["040600200000000a000000000000000100000000fe0000000000004f00000000"]
        );
        let unknown = c.receive(&bytes("04c800080000000b"), 1);
        assert_eq!(hex(&unknown), ["040100140000000b0001000104c800080000000b"]);
    }

    #[test]
    fn barrier_and_config_are_answered_in_place() {
        let mut c = connected();
        let barrier = c.receive(&bytes("0414000800000005"), 1);
        assert_eq!(hex(&barrier), ["0415000800000005"]);
        let get = c.receive(&bytes("0407000800000006"), 1);
        assert_eq!(hex(&get), ["040800 0c00000006 00000080".replace(' ', "")]);
    }

    #[test]
    fn other_requests_reach_the_switch() {
        let mut c = connected();
        let out = c.receive(&bytes("0412001000000004000d000000000000"), 1);
        assert!(matches!(out.as_slice(), [Output::Deliver { header, .. }] if header.xid == 4));
    }

    #[test]
    fn silence_brings_an_echo_then_a_close() {
        let mut c = connected();
        assert!(c.tick(4_999).is_empty());
        assert_eq!(hex(&c.tick(5_000)), ["0402000800000002"]);
        assert!(c.tick(6_000).is_empty(), "one probe at a time");
        assert_eq!(c.tick(10_000), [Output::Close(CloseReason::Inactive)]);
    }
}
