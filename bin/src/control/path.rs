//! Where the control socket lives unless `--socket` says otherwise: in
//! the run directory, `$XDG_RUNTIME_DIR/ctswitch` for a user session, else
//! `/var/run/ctswitch`.

use std::path::PathBuf;

/// The socket's file name in the run directory.
pub const SOCKET_NAME: &str = "ctswitchd.ctl";

/// The default run directory.
pub fn default_run_dir() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir).join("ctswitch"),
        _ => PathBuf::from("/var/run/ctswitch"),
    }
}

/// The default control socket.
pub fn default_socket() -> PathBuf {
    default_run_dir().join(SOCKET_NAME)
}
