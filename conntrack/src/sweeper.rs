//! The background expiry thread (seed 000's cleanup thread): it sweeps
//! the table in small steps, so that no packet thread waits on it for
//! long, and stops when its handle is dropped.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::tracker::Conntrack;

/// Milliseconds on a monotonic clock that starts with the process: the
/// `now` to give the tracker when nothing else sets the time.
pub fn now_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    let elapsed = START.get_or_init(Instant::now).elapsed();
    u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
}

/// Timer entries one sweep step visits before it lets go of the table.
const STEP_BUDGET: usize = 4096;

/// A running expiry thread; dropping it stops the thread.
#[derive(Debug)]
pub struct Sweeper {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Sweeper {
    /// Sweeps `ct` every `interval`, on the [`now_ms`] clock.
    pub fn spawn(ct: Arc<Conntrack>, interval: Duration) -> std::io::Result<Sweeper> {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = thread::Builder::new()
            .name("ct_sweep".into())
            .spawn(move || loop {
                // Step until caught up, then wait for the next interval.
                while ct.sweep(now_ms(), STEP_BUDGET).more {
                    thread::yield_now();
                }
                // Fragments no `ct` came to give back (OVS's ipf clean
                // thread does the same).
                ct.ipf().purge_stale(now_ms());
                match stopped.recv_timeout(interval) {
                    Err(RecvTimeoutError::Timeout) => {}
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                }
            })?;
        Ok(Sweeper {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Sweeper {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            // A panicked sweeper has nothing left to clean up.
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::tests::udp_packet;
    use crate::params::{CtPacket, ExecuteParams};
    use crate::timeout::{PolicyAttr, TimeoutPolicy};

    #[test]
    fn background_sweeper_expires_connections_and_stops_when_dropped() {
        let ct = Arc::new(Conntrack::new());
        let policy = TimeoutPolicy::with(&[(PolicyAttr::UdpFirst, 1)]).unwrap();
        ct.set_timeout_policy(1, policy).unwrap();
        ct.bind_zone_timeout_policy(0, Some(1));
        let (pkt, l3) = udp_packet("10.0.0.1", "10.0.0.2", 1, 2);
        let mut batch = [CtPacket::new(&pkt, 0, l3)];
        let commit = ExecuteParams {
            commit: true,
            ..ExecuteParams::default()
        };
        ct.execute(&mut batch, &commit, now_ms());
        assert_eq!(ct.len(), 1);
        let sweeper = Sweeper::spawn(Arc::clone(&ct), Duration::from_millis(50)).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ct.is_empty() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(50));
        }
        assert!(ct.is_empty(), "the sweeper did not expire the connection");
        drop(sweeper);
        // The thread has let go of its handle on the table.
        assert_eq!(Arc::strong_count(&ct), 1);
    }
}
