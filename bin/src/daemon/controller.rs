//! Active connections to controllers (`tcp:IP:PORT`): connect, serve
//! until the connection drops, and try again after a backoff that doubles
//! from 1 s to 8 s (OVS's default `max_backoff`) while attempts fail and
//! starts over after a connection that got as far as a hello.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use openflow_codec::message::Message;
use tokio::net::TcpStream;
use tokio::sync::broadcast;
use tracing::{info, warn};

use super::openflow::{serve, Ended, Origin};
use super::switch::Switch;

const MIN_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// Keeps a connection to the controller at `addr` for as long as the
/// task runs.
pub async fn keep_connected(
    switch: Arc<Switch>,
    addr: SocketAddr,
    messages: broadcast::Sender<Message>,
) {
    let peer = format!("tcp:{addr}");
    let mut backoff = MIN_BACKOFF;
    loop {
        let worked = match TcpStream::connect(addr).await {
            // With no controller listening on a local port of the
            // ephemeral range, the kernel may pick that very port as the
            // source and connect the socket to itself; such a connection
            // would hold the port and hear its own hello.
            Ok(stream) if stream.local_addr().ok() == Some(addr) => {
                warn!(%peer, retry_in = ?backoff, "connected to itself: no controller there");
                false
            }
            Ok(stream) => {
                info!(%peer, "connected to controller");
                let rx = messages.subscribe();
                serve(Arc::clone(&switch), stream, &peer, Origin::Controller, rx).await
                    == Ended::Closed
            }
            Err(err) => {
                warn!(%peer, %err, retry_in = ?backoff, "cannot connect to controller");
                false
            }
        };
        if worked {
            backoff = MIN_BACKOFF;
        }
        tokio::time::sleep(backoff).await;
        if !worked {
            backoff = doubled(backoff);
        }
    }
}

/// The wait after `current` when attempts keep failing.
fn doubled(current: Duration) -> Duration {
    (current * 2).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let mut b = MIN_BACKOFF;
        let mut seen = vec![b.as_secs()];
        for _ in 0..4 {
            b = doubled(b);
            seen.push(b.as_secs());
        }
        assert_eq!(seen, vec![1, 2, 4, 8, 8]);
    }
}
