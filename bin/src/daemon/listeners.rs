//! Passive OpenFlow listeners (`ptcp:`, `punix:`): bound at start (so a
//! bad address fails the start), then each accepted connection served on
//! its own task.

use std::path::PathBuf;
use std::sync::Arc;

use openflow_codec::message::Message;
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::broadcast;
use tracing::{info, warn};

use super::endpoints::Listen;
use super::openflow::{serve, Origin};
use super::switch::Switch;

/// A bound listener; a unix one's file is removed when it is dropped.
#[derive(Debug)]
pub enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, PathBuf),
}

impl Listener {
    /// Binds `listen`. A stale `punix:` file is replaced.
    pub async fn bind(listen: &Listen) -> Result<Listener, String> {
        match listen {
            Listen::Tcp(addr) => TcpListener::bind(addr)
                .await
                .map(Listener::Tcp)
                .map_err(|e| format!("cannot listen on {listen}: {e}")),
            Listen::Unix(path) => {
                if path.exists() && std::os::unix::net::UnixStream::connect(path).is_err() {
                    let _ = std::fs::remove_file(path);
                }
                UnixListener::bind(path)
                    .map(|l| Listener::Unix(l, path.clone()))
                    .map_err(|e| format!("cannot listen on {listen}: {e}"))
            }
        }
    }

    /// Where it listens, as the CLI would name the target (`tcp:IP:PORT`
    /// with a port 0 resolved, or `unix:PATH`).
    pub fn target(&self) -> String {
        match self {
            Listener::Tcp(l) => l
                .local_addr()
                .map_or_else(|e| format!("tcp:? ({e})"), |a| format!("tcp:{a}")),
            Listener::Unix(_, path) => format!("unix:{}", path.display()),
        }
    }

    /// Accepts and serves connections until the task is dropped.
    pub async fn serve(&self, switch: Arc<Switch>, messages: broadcast::Sender<Message>) {
        loop {
            let accepted = match self {
                Listener::Tcp(l) => l.accept().await.map(|(stream, peer)| {
                    let peer = peer.to_string();
                    info!(%peer, "OpenFlow connection");
                    let (switch, rx) = (Arc::clone(&switch), messages.subscribe());
                    tokio::spawn(async move {
                        serve(switch, stream, &peer, Origin::Listener, rx).await
                    });
                }),
                Listener::Unix(l, path) => l.accept().await.map(|(stream, _)| {
                    let peer = format!("unix:{}", path.display());
                    info!(%peer, "OpenFlow connection");
                    let (switch, rx) = (Arc::clone(&switch), messages.subscribe());
                    tokio::spawn(async move {
                        serve(switch, stream, &peer, Origin::Listener, rx).await
                    });
                }),
            };
            if let Err(err) = accepted {
                warn!(%err, "accept failed");
            }
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Listener::Unix(_, path) = self {
            let _ = std::fs::remove_file(path);
        }
    }
}
