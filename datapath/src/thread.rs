//! A packet thread: polls the datapath's ports, runs what they received
//! through the datapath with its own exact-match cache, and expires idle
//! megaflows. It runs outside the tokio control plane, on a thread of its
//! own. With several threads, each receive queue of each port is read by
//! exactly one of them ([`polls`]): queue `q` of a port with several (which
//! spread by flow) by thread `q mod N`, so that a connection's frames,
//! both ways, meet one thread; a single-queue port by thread `port mod N`.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use conntrack::now_ms;

use crate::cache::ExactCache;
use crate::datapath::Datapath;
use crate::packet::Packet;

/// How a packet thread runs.
#[derive(Debug, Clone, Copy)]
pub struct ThreadConfig {
    /// Frames taken from one port at a time (OVS's `NETDEV_MAX_BURST`).
    pub batch: usize,
    /// How long to sleep when no port had anything.
    pub idle_sleep: Duration,
    /// Megaflows unused for this long are removed (OVS's default
    /// `max-idle` is 10 s).
    pub max_idle_ms: u64,
    /// How often to look for idle megaflows.
    pub expire_every_ms: u64,
    /// This thread's index among `threads` packet threads.
    pub index: usize,
    pub threads: usize,
}

impl Default for ThreadConfig {
    fn default() -> Self {
        ThreadConfig {
            batch: 32,
            idle_sleep: Duration::from_micros(500),
            max_idle_ms: 10_000,
            expire_every_ms: 1_000,
            index: 0,
            threads: 1,
        }
    }
}

/// A running packet thread; stopped (and joined) on drop.
#[derive(Debug)]
pub struct PacketThread {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl PacketThread {
    pub fn spawn(datapath: Arc<Datapath>, config: ThreadConfig) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let handle = std::thread::Builder::new()
            .name("ctswitch-pmd".to_string())
            .spawn(move || run(&datapath, &config, &flag))?;
        Ok(PacketThread {
            stop,
            handle: Some(handle),
        })
    }

    /// Stops the thread and waits for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Relaxed);
        if let Some(handle) = self.handle.take() {
            // A packet thread that panicked has nothing left to clean up.
            let _ = handle.join();
        }
    }
}

impl Drop for PacketThread {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn run(datapath: &Datapath, config: &ThreadConfig, stop: &AtomicBool) {
    let mut emc = ExactCache::default();
    let mut frames = Vec::with_capacity(config.batch);
    let mut last_expiry = now_ms();
    while !stop.load(Relaxed) {
        let mut busy = false;
        for (number, port) in datapath.ports() {
            for queue in 0..port.rx_queues() {
                if !polls(config, number, queue, port.rx_queues()) {
                    continue;
                }
                frames.clear();
                if port.receive_queue(queue, &mut frames, config.batch) == 0 {
                    continue;
                }
                busy = true;
                let packets = frames
                    .drain(..)
                    .map(|frame| Packet::received(frame, number))
                    .collect();
                datapath.process(&mut emc, packets, now_ms());
            }
        }
        let now = now_ms();
        if now.saturating_sub(last_expiry) >= config.expire_every_ms {
            datapath.expire(now, config.max_idle_ms);
            last_expiry = now;
        }
        if !busy {
            std::thread::sleep(config.idle_sleep);
        }
    }
}

/// Whether the thread `config` describes reads receive queue `queue` of
/// port `port`, which has `queues` of them.
pub fn polls(config: &ThreadConfig, port: u32, queue: usize, queues: usize) -> bool {
    let threads = config.threads.max(1);
    let owner = if queues > 1 {
        queue % threads
    } else {
        port as usize % threads
    };
    owner == config.index
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thread(index: usize, threads: usize) -> ThreadConfig {
        ThreadConfig {
            index,
            threads,
            ..ThreadConfig::default()
        }
    }

    #[test]
    fn every_queue_has_exactly_one_reader() {
        for threads in 1..5 {
            for (port, queues) in [(1u32, 1usize), (2, 1), (7, 1), (3, threads), (4, 3)] {
                for queue in 0..queues {
                    let readers = (0..threads)
                        .filter(|&i| polls(&thread(i, threads), port, queue, queues))
                        .count();
                    assert_eq!(readers, 1, "{threads} threads, port {port} queue {queue}");
                }
            }
        }
    }

    #[test]
    fn a_flows_queue_on_two_ports_meets_one_thread() {
        // The fanout hash picks the same queue index on both ports for the
        // two directions of a connection; the same thread reads both.
        for q in 0..4 {
            let a = (0..4).find(|&i| polls(&thread(i, 4), 1, q, 4));
            let b = (0..4).find(|&i| polls(&thread(i, 4), 2, q, 4));
            assert_eq!(a, b);
        }
        // Single-queue ports are shared out among the threads.
        let owners: Vec<usize> = (1..=4)
            .map(|port| (0..2).find(|&i| polls(&thread(i, 2), port, 0, 1)).unwrap())
            .collect();
        assert_eq!(owners, [1, 0, 1, 0]);
    }
}
