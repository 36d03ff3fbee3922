//! The control socket's server: a unix listener whose connections carry
//! one JSON request per line, each answered by one JSON line.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tracing::{debug, warn};

use super::control_handler::answer;
use super::switch::Switch;
use crate::control::{Request, Response};

/// A bound control socket; its file is removed when it is dropped.
#[derive(Debug)]
pub struct ControlSocket {
    listener: UnixListener,
    path: PathBuf,
}

impl ControlSocket {
    /// Binds `path`, creating its directory. A socket file left by a
    /// daemon that is gone is replaced; one that answers is in use.
    pub fn bind(path: &Path) -> Result<ControlSocket, String> {
        let shown = path.display();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        if path.exists() {
            if std::os::unix::net::UnixStream::connect(path).is_ok() {
                return Err(format!("{shown} is in use by another ctswitchd"));
            }
            std::fs::remove_file(path).map_err(|e| format!("{shown}: {e}"))?;
        }
        let listener = UnixListener::bind(path).map_err(|e| format!("{shown}: {e}"))?;
        Ok(ControlSocket {
            listener,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Serves connections until the task is dropped.
    pub async fn serve(&self, switch: Arc<Switch>) {
        loop {
            match self.listener.accept().await {
                Ok((stream, _)) => {
                    tokio::spawn(serve_client(Arc::clone(&switch), stream));
                }
                Err(err) => warn!(%err, "control socket: accept failed"),
            }
        }
    }
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

async fn serve_client(switch: Arc<Switch>, stream: UnixStream) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let response = match serde_json::from_str::<Request>(&line) {
            Ok(request) => {
                debug!(?request, "control request");
                let switch = Arc::clone(&switch);
                // Dumps and flushes walk whole tables: off the runtime.
                tokio::task::spawn_blocking(move || answer(&switch, request))
                    .await
                    .unwrap_or_else(|e| Response::Error {
                        message: format!("the request failed: {e}"),
                    })
            }
            Err(e) => Response::Error {
                message: format!("unreadable request: {e}"),
            },
        };
        let Ok(mut text) = serde_json::to_string(&response) else {
            return;
        };
        text.push('\n');
        if write.write_all(text.as_bytes()).await.is_err() {
            return;
        }
    }
}
