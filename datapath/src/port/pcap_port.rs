//! The `pcap` port: receives the frames of a capture file, once and in
//! file order (then it is idle), and appends what it transmits to another
//! capture file, each frame flushed as it goes so that the file can be
//! read while the port runs. Either file may be left out.
//!
//! It hands out one frame per poll, as OVS's dummy port replays its
//! `rxq_pcap`: each frame has been through the whole pipeline (its
//! recirculations and commits) before the next comes, as on a wire. In
//! one batch, a reply would meet conntrack before its request's commit.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;

use super::pcap::{self, LINKTYPE_ETHERNET};
use super::{lock, now_us, Port, PortState, RxFrame};

/// A port fed by one capture file and writing another.
#[derive(Debug)]
pub struct PcapPort {
    name: String,
    /// The input's frames not received yet.
    rx: Mutex<VecDeque<Vec<u8>>>,
    tx: Mutex<Option<BufWriter<File>>>,
    state: PortState,
}

impl PcapPort {
    /// Port `name`, receiving the frames of capture `input` (Ethernet
    /// frames; read whole now) and writing what it transmits to a new
    /// capture `output`.
    pub fn open(name: &str, input: Option<&Path>, output: Option<&Path>) -> io::Result<Self> {
        let rx = match input {
            Some(path) => read_frames(path)?,
            None => VecDeque::new(),
        };
        let tx = match output {
            Some(path) => {
                let file = File::create(path)
                    .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
                let mut out = BufWriter::new(file);
                pcap::write_header(&mut out)?;
                out.flush()?;
                Some(out)
            }
            None => None,
        };
        Ok(PcapPort {
            name: name.to_string(),
            rx: Mutex::new(rx),
            tx: Mutex::new(tx),
            state: PortState::default(),
        })
    }

    /// How many of the input's frames are still to be received.
    pub fn pending(&self) -> usize {
        lock(&self.rx).len()
    }
}

/// The frames of the Ethernet capture at `path`.
fn read_frames(path: &Path) -> io::Result<VecDeque<Vec<u8>>> {
    let name = path.display().to_string();
    let bytes =
        std::fs::read(path).map_err(|e| io::Error::new(e.kind(), format!("{name}: {e}")))?;
    let invalid = |e: pcap::PcapError| io::Error::new(io::ErrorKind::InvalidData, e.to_string());
    let capture = pcap::read(&name, &bytes).map_err(invalid)?;
    if capture.link_type != LINKTYPE_ETHERNET {
        return Err(invalid(pcap::PcapError::LinkType(
            name,
            capture.link_type,
            "Ethernet",
        )));
    }
    Ok(capture.records.iter().map(|r| r.data.to_vec()).collect())
}

impl Port for PcapPort {
    fn name(&self) -> &str {
        &self.name
    }

    fn receive(&self, batch: &mut Vec<RxFrame>, max: usize) -> usize {
        if !self.is_up() || max == 0 {
            return 0;
        }
        match lock(&self.rx).pop_front() {
            Some(frame) => {
                self.state.counters.received(frame.len());
                batch.push(frame.into());
                1
            }
            None => 0,
        }
    }

    fn transmit(&self, frame: &[u8]) {
        let mut tx = lock(&self.tx);
        let written = match tx.as_mut() {
            Some(out) if self.is_up() => {
                pcap::write_record(out, now_us(), frame).and_then(|()| out.flush())
            }
            _ => Err(io::ErrorKind::NotConnected.into()),
        };
        self.state.counters.sent(written, frame.len());
    }

    fn state(&self) -> &PortState {
        &self.state
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("ctswitch-pcap-port-{}-{name}", std::process::id()))
    }

    #[test]
    fn the_input_is_received_once_and_transmitted_frames_are_written() {
        let (input, output) = (temp("in.pcap"), temp("out.pcap"));
        let frames = vec![vec![1u8; 60], vec![2u8; 70], vec![3u8; 80]];
        let records: Vec<pcap::Record> = frames
            .iter()
            .map(|f| pcap::Record {
                time_us: 1,
                frame: f.clone(),
            })
            .collect();
        pcap::write(File::create(&input).unwrap(), &records).unwrap();
        let port = PcapPort::open("p", Some(&input), Some(&output)).unwrap();
        let mut batch = Vec::new();
        for _ in 0..3 {
            assert_eq!(port.receive(&mut batch, 32), 1);
        }
        assert_eq!(port.receive(&mut batch, 32), 0);
        assert_eq!(
            batch.into_iter().map(|f| f.data).collect::<Vec<_>>(),
            frames
        );
        assert_eq!(port.pending(), 0);

        port.transmit(&[7; 64]);
        port.transmit(&[8; 65]);
        // Readable while the port is open.
        let written = std::fs::read(&output).unwrap();
        let capture = pcap::read("out", &written).unwrap();
        let out: Vec<&[u8]> = capture.records.iter().map(|r| r.data).collect();
        assert_eq!(out, [&[7u8; 64][..], &[8u8; 65][..]]);
        let stats = port.stats();
        assert_eq!((stats.rx_packets, stats.tx_packets), (3, 2));
        let _ = std::fs::remove_file(input);
        let _ = std::fs::remove_file(output);
    }

    #[test]
    fn without_an_output_frames_are_dropped_and_a_bad_input_is_an_error() {
        let port = PcapPort::open("p", None, None).unwrap();
        port.transmit(&[1; 60]);
        assert_eq!(port.stats().tx_dropped, 1);
        let mut batch = Vec::new();
        assert_eq!(port.receive(&mut batch, 32), 0);

        let bad = temp("bad.pcap");
        std::fs::write(&bad, [0u8; 30]).unwrap();
        let err = PcapPort::open("p", Some(&bad), None).unwrap_err();
        assert!(err.to_string().contains("not a pcap file"), "{err}");
        let _ = std::fs::remove_file(bad);
        let missing = PcapPort::open("p", Some(Path::new("/nonexistent/x.pcap")), None);
        assert!(missing
            .unwrap_err()
            .to_string()
            .starts_with("/nonexistent/x.pcap: "));
    }
}
