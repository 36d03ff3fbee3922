//! What the control-socket verbs share: the `--socket` option and one
//! request whose answer must be of the expected kind.

use std::path::PathBuf;

use ctswitch::control::{call, default_socket, Request, Response};

/// The `--socket` option.
#[derive(Debug, Clone, clap::Args)]
pub struct SocketArg {
    /// The daemon's control socket [default: $XDG_RUNTIME_DIR/ctswitch/ctswitchd.ctl,
    /// else /var/run/ctswitch/ctswitchd.ctl].
    #[arg(long, value_name = "PATH")]
    pub socket: Option<PathBuf>,
}

/// Sends `request` to the daemon; its refusal becomes the error.
pub fn ask(socket: &SocketArg, request: &Request) -> Result<Response, String> {
    let path = socket.socket.clone().unwrap_or_else(default_socket);
    match call(&path, request).map_err(|e| e.to_string())? {
        Response::Error { message } => Err(message),
        response => Ok(response),
    }
}

/// The error for an answer of the wrong kind.
pub fn unexpected(response: &Response) -> String {
    format!("unexpected answer from the daemon: {response:?}")
}
