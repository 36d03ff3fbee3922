//! The `dummy` port: frames are injected by the control plane (or a test)
//! and what the datapath transmits is kept, to be read back or written
//! to a pcap file.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::Mutex;

use super::pcap::{self, Record};
use super::{lock, now_us, Port, PortState, RxFrame};

#[derive(Debug)]
pub struct DummyPort {
    name: String,
    rx: Mutex<VecDeque<Vec<u8>>>,
    tx: Mutex<Vec<Record>>,
    state: PortState,
}

impl DummyPort {
    pub fn new(name: impl Into<String>) -> Self {
        DummyPort {
            name: name.into(),
            rx: Mutex::new(VecDeque::new()),
            tx: Mutex::new(Vec::new()),
            state: PortState::default(),
        }
    }

    /// Queues `frame` as if it had arrived on the wire.
    pub fn inject(&self, frame: Vec<u8>) {
        lock(&self.rx).push_back(frame);
    }

    /// The frames transmitted so far, oldest first.
    pub fn transmitted(&self) -> Vec<Vec<u8>> {
        lock(&self.tx).iter().map(|r| r.frame.clone()).collect()
    }

    /// The frames transmitted so far, forgetting them.
    pub fn take_transmitted(&self) -> Vec<Vec<u8>> {
        lock(&self.tx).drain(..).map(|r| r.frame).collect()
    }

    /// Writes the frames transmitted so far to a pcap file at `path`.
    pub fn write_pcap(&self, path: &Path) -> std::io::Result<()> {
        let records = lock(&self.tx).clone();
        let file = std::io::BufWriter::new(std::fs::File::create(path)?);
        pcap::write(file, &records)
    }
}

impl Port for DummyPort {
    fn name(&self) -> &str {
        &self.name
    }

    fn receive(&self, batch: &mut Vec<RxFrame>, max: usize) -> usize {
        if !self.is_up() {
            return 0;
        }
        let mut rx = lock(&self.rx);
        let n = max.min(rx.len());
        for frame in rx.drain(..n) {
            self.state.counters.received(frame.len());
            batch.push(frame.into());
        }
        n
    }

    fn transmit(&self, frame: &[u8]) {
        if !self.is_up() {
            self.state.counters.tx_dropped();
            return;
        }
        self.state.counters.transmitted(frame.len());
        lock(&self.tx).push(Record {
            time_us: now_us(),
            frame: frame.to_vec(),
        });
    }

    fn state(&self) -> &PortState {
        &self.state
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injected_frames_come_out_in_batches_and_are_counted() {
        let p = DummyPort::new("p1");
        for i in 0..5u8 {
            p.inject(vec![i; 60]);
        }
        let mut batch = Vec::new();
        assert_eq!(p.receive(&mut batch, 3), 3);
        assert_eq!(batch[0].data[0], 0);
        assert_eq!(p.receive(&mut batch, 3), 2);
        assert_eq!(p.stats().rx_packets, 5);
        assert_eq!(p.stats().rx_bytes, 300);
    }

    #[test]
    fn a_port_that_is_down_neither_receives_nor_transmits() {
        let p = DummyPort::new("p1");
        p.inject(vec![1; 60]);
        p.set_up(false);
        let mut batch = Vec::new();
        assert_eq!(p.receive(&mut batch, 32), 0);
        p.transmit(&[2; 60]);
        assert!(p.transmitted().is_empty());
        assert_eq!(p.stats().tx_dropped, 1);
        p.set_up(true);
        p.transmit(&[2; 60]);
        assert_eq!(p.take_transmitted(), vec![vec![2; 60]]);
        assert!(p.transmitted().is_empty());
        assert_eq!(p.stats().tx_packets, 1);
    }

    #[test]
    fn transmitted_frames_are_written_as_pcap() {
        let p = DummyPort::new("p2");
        p.transmit(&[7; 64]);
        let dir = std::env::temp_dir().join(format!("ctswitch-dummy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("p2-tx.pcap");
        p.write_pcap(&path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 24 + 16 + 64);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
