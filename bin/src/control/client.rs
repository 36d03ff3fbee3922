//! The client side of the control socket: one request, one response.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;

use super::protocol::{Request, Response};

/// Why a request got no answer (a daemon's refusal is a
/// [`Response::Error`], not a `ClientError`).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot connect to the control socket {path} (is ctswitchd running? --socket names another): {source}")]
    Connect {
        path: String,
        source: std::io::Error,
    },
    #[error("control socket: {0}")]
    Io(#[from] std::io::Error),
    #[error("control socket: the daemon closed the connection without answering")]
    NoAnswer,
    #[error("control socket: unreadable answer: {0}")]
    Json(#[from] serde_json::Error),
}

/// Sends `request` to the daemon listening on `socket` and returns its
/// answer.
pub fn call(socket: &Path, request: &Request) -> Result<Response, ClientError> {
    let stream = UnixStream::connect(socket).map_err(|source| ClientError::Connect {
        path: socket.display().to_string(),
        source,
    })?;
    let mut line = serde_json::to_string(request)?;
    line.push('\n');
    (&stream).write_all(line.as_bytes())?;
    let mut answer = String::new();
    if BufReader::new(&stream).read_line(&mut answer)? == 0 {
        return Err(ClientError::NoAnswer);
    }
    Ok(serde_json::from_str(&answer)?)
}
