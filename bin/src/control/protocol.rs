//! The messages of the control socket: one [`Request`] per line from the
//! client, one [`Response`] per line from the daemon.

use conntrack::alg::ExpectEntry;
use conntrack::{ConnEntry, Counts, Family, FlushFilter};
use serde::{Deserialize, Serialize};

/// What a client asks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "kebab-case")]
pub enum Request {
    /// Every connection, or a zone's. Answered by [`Response::Conntrack`].
    DumpConntrack { zone: Option<u16> },
    /// The data connections the ALGs expect, of every zone or one.
    /// Answered by [`Response::Expectations`].
    DumpExpectations { zone: Option<u16> },
    /// Deletes the connections `filter` selects. Answered by
    /// [`Response::Flushed`].
    FlushConntrack { filter: FlushFilter },
    /// The datapath's megaflows. Answered by [`Response::DpFlows`].
    DumpDpFlows,
    /// Queues a frame (hex) as if dummy port `port` had received it.
    /// Answered by [`Response::Done`].
    Inject { port: u32, hex: String },
    /// The frames dummy port `port` transmitted, oldest first; `clear`
    /// forgets them, `pcap` also writes them to that file (a path on the
    /// daemon's side). Answered by [`Response::Packets`].
    Transmitted {
        port: u32,
        #[serde(default)]
        clear: bool,
        #[serde(default)]
        pcap: Option<String>,
    },
    /// Adds port `port` as `spec` (`dummy:NAME`). Answered by
    /// [`Response::Done`].
    PortAdd { port: u32, spec: String },
    /// Removes port `port`. Answered by [`Response::Done`].
    PortDel { port: u32 },
    /// Counters of the datapath, its ports and the connection tracker.
    /// Answered by [`Response::Stats`].
    Stats,
    /// The IP fragment reassembler's settings and counters as
    /// `dpctl/ipf-get-status` prints them; `more` adds the fragment lists
    /// held (`-m`). Answered by [`Response::Text`].
    IpfStatus {
        #[serde(default)]
        more: bool,
    },
    /// Changes a reassembler setting. Answered by [`Response::Text`]
    /// with the line to print.
    IpfSet(IpfSetting),
    /// `ofproto/trace`: `args` as ovs-appctl takes them after the bridge
    /// name (`FLOW [--ct-next STATE]... [PACKET]`), on `bridge` (the
    /// switch's if none); `live` runs each ct on a copy of the
    /// connection tracker instead of taking `--ct-next` states. Answered
    /// by [`Response::Text`].
    Trace {
        #[serde(default)]
        bridge: Option<String>,
        args: Vec<String>,
        #[serde(default)]
        live: bool,
    },
}

/// A setting of the IP fragment reassembler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "setting", rename_all = "kebab-case")]
pub enum IpfSetting {
    /// Reassembly of one family on or off (`dpctl/ipf-set-enabled`).
    Enabled { family: Family, enabled: bool },
    /// The smallest fragment other than the last (`dpctl/ipf-set-min-frag`).
    MinFrag { family: Family, size: u32 },
    /// The most fragments held at once (`dpctl/ipf-set-max-nfrags`).
    MaxFrags { max: u32 },
}

/// What the daemon answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "response", rename_all = "kebab-case")]
pub enum Response {
    Conntrack {
        connections: Vec<ConnEntry>,
    },
    Expectations {
        expectations: Vec<ExpectEntry>,
    },
    Flushed {
        count: usize,
    },
    DpFlows {
        flows: Vec<String>,
    },
    /// Frames as hex.
    Packets {
        packets: Vec<String>,
    },
    Stats(Stats),
    /// Text to print as it is.
    Text {
        text: String,
    },
    Done,
    /// The request failed; `message` says why in one line.
    Error {
        message: String,
    },
}

/// The answer to [`Request::Stats`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub datapath: DatapathCounters,
    pub ports: Vec<PortInfo>,
    pub conntrack: Counts,
}

/// The datapath's lookup counters (`datapath::DatapathStats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatapathCounters {
    pub emc_hits: u64,
    pub megaflow_hits: u64,
    pub missed: u64,
    pub lost: u64,
    pub megaflows: usize,
}

/// One port and its counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortInfo {
    pub port: u32,
    pub name: String,
    pub kind: String,
    pub up: bool,
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub rx_dropped: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
    pub tx_dropped: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_one_json_object_naming_the_request() {
        let text = serde_json::to_string(&Request::DumpConntrack { zone: Some(5) }).unwrap();
        assert_eq!(text, r#"{"request":"dump-conntrack","zone":5}"#);
        let back: Request = serde_json::from_str(r#"{"request":"transmitted","port":2}"#).unwrap();
        assert_eq!(
            back,
            Request::Transmitted {
                port: 2,
                clear: false,
                pcap: None
            }
        );
    }
}
