//! A packet thread: polls the datapath's ports, runs what they received
//! through the datapath with its own exact-match cache, and expires idle
//! megaflows. It runs outside the tokio control plane, on a thread of its
//! own (the real-traffic issue runs one per core).

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
}

impl Default for ThreadConfig {
    fn default() -> Self {
        ThreadConfig {
            batch: 32,
            idle_sleep: Duration::from_micros(500),
            max_idle_ms: 10_000,
            expire_every_ms: 1_000,
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
            frames.clear();
            if port.receive(&mut frames, config.batch) == 0 {
                continue;
            }
            busy = true;
            let packets = frames
                .drain(..)
                .map(|frame| Packet::new(frame, number))
                .collect();
            datapath.process(&mut emc, packets, now_ms());
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
