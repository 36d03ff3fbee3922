//! A packet thread: polls the datapath's ports, runs what they received
//! through the datapath with its own exact-match cache, and expires idle
//! megaflows. It runs outside the tokio control plane, on a thread of its
//! own.
//!
//! How it waits: after a round that found frames it polls again at
//! once; after a round that found none it sleeps a little (`idle_sleep`),
//! so that a flow that pauses between frames meets a batch rather than
//! waking the thread frame by frame; after a second empty round in a row
//! it blocks until one of its queues has a frame (an idle thread costs
//! nothing, and the first frame after a pause wakes it at once). After
//! every round it sends what it queued on every port, whose own reader
//! may be another thread, blocked.
//!
//! With several threads, each receive queue of each port is read by
//! exactly one of them ([`polls`]): queue `q` of a port with several (which
//! spread by flow) by thread `q mod N`, so that a connection's frames,
//! both ways, meet one thread; a single-queue port by thread `port mod N`.

use std::os::fd::{AsRawFd, RawFd};
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
    /// How long to sleep after a round in which no port had anything.
    pub idle_sleep: Duration,
    /// How long to block at most after two such rounds in a row (the
    /// thread then looks at its ports, the clock and whether to stop); a
    /// thread reading a port without a descriptor to wait on sleeps
    /// `idle_sleep` instead.
    pub idle_wait: Duration,
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
            idle_wait: Duration::from_millis(10),
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
            // Numbered, so that top -H and ps -L tell the threads apart.
            .name(format!("ctswitch-pmd{}", config.index))
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
    let mut fds = Vec::new();
    let mut last_expiry = now_ms();
    let mut idle_rounds = 0u32;
    while !stop.load(Relaxed) {
        let ports = datapath.ports();
        let (mut busy, mut waitable) = (false, true);
        fds.clear();
        for (number, port) in &ports {
            let queues = port.rx_queues();
            for queue in 0..queues {
                if !polls(config, *number, queue, queues) {
                    continue;
                }
                match port.rx_fd(queue) {
                    Some(fd) => fds.push(readable(fd.as_raw_fd())),
                    None => waitable = false,
                }
                frames.clear();
                if port.receive_queue(queue, &mut frames, config.batch) == 0 {
                    continue;
                }
                busy = true;
                let packets = frames
                    .drain(..)
                    .map(|frame| Packet::received(frame, *number))
                    .collect();
                datapath.process(&mut emc, packets, now_ms());
            }
        }
        let now = now_ms();
        if now.saturating_sub(last_expiry) >= config.expire_every_ms {
            datapath.expire(now, config.max_idle_ms);
            last_expiry = now;
        }
        // What went to a port whose reader is another thread, maybe a
        // blocked one, is sent now rather than when that thread wakes.
        for (_, port) in &ports {
            port.flush();
        }
        if busy {
            idle_rounds = 0;
            continue;
        }
        idle_rounds = idle_rounds.saturating_add(1);
        if idle_rounds > 1 && waitable && !fds.is_empty() {
            // The descriptors belong to `ports`, alive until after the wait.
            wait_readable(&mut fds, config.idle_wait);
        } else {
            std::thread::sleep(config.idle_sleep);
        }
    }
}

fn readable(fd: RawFd) -> libc::pollfd {
    libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    }
}

/// Blocks until one of `fds` (open descriptors) is readable, or for
/// `timeout` at most.
fn wait_readable(fds: &mut [libc::pollfd], timeout: Duration) {
    let ms = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
    let Ok(count) = libc::nfds_t::try_from(fds.len()) else {
        return;
    };
    // SAFETY: `fds` is a live, writable array of `count` pollfds; the
    // kernel writes only their `revents`. A descriptor closed meanwhile
    // is reported as POLLNVAL, not an error of this call.
    unsafe { libc::poll(fds.as_mut_ptr(), count, ms) };
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
pub(crate) mod tests {
    use std::os::fd::{FromRawFd, OwnedFd};

    use super::*;

    /// A pipe: its read end, its write end.
    pub(crate) fn pipe() -> (OwnedFd, OwnedFd) {
        let mut fds = [0; 2];
        // SAFETY: `fds` is a live array of two descriptors for the kernel
        // to fill.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: both descriptors are new and owned by nothing else.
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
    }

    #[test]
    fn waiting_ends_when_a_descriptor_is_readable() {
        let (quiet, _quiet_w) = pipe();
        let (ready, ready_w) = pipe();
        // SAFETY: one byte from a live buffer to a pipe we own.
        assert_eq!(
            unsafe { libc::write(ready_w.as_raw_fd(), [1u8].as_ptr().cast(), 1) },
            1
        );
        let mut fds = [readable(quiet.as_raw_fd()), readable(ready.as_raw_fd())];
        // Far longer than any test runs: only the readable pipe ends it.
        wait_readable(&mut fds, Duration::from_secs(3600));
        assert_eq!(fds[0].revents, 0);
        assert_eq!(fds[1].revents & libc::POLLIN, libc::POLLIN);
        // Nothing readable: the timeout ends it.
        let mut fds = [readable(quiet.as_raw_fd())];
        wait_readable(&mut fds, Duration::ZERO);
        assert_eq!(fds[0].revents, 0);
    }

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
