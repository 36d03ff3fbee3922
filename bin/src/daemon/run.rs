//! The daemon's life: build the switch, start its packet threads and the
//! conntrack sweeper and the bridge's timers, bind every listener and the control socket, print
//! where it listens, serve until SIGTERM or Ctrl-C, then stop cleanly.

use std::sync::Arc;
use std::time::Duration;

use conntrack::{now_ms, Sweeper};
use datapath::{PacketThread, ThreadConfig};
use openflow_codec::message::Message;
use tokio::sync::broadcast;
use tokio::task::JoinSet;
use tracing::{info, warn};

use super::config::Config;
use super::control_server::ControlSocket;
use super::controller::keep_connected;
use super::listeners::Listener;
use super::switch::Switch;

/// Asynchronous messages buffered per connection before a slow one
/// starts losing them.
const ASYNC_BACKLOG: usize = 1024;

/// How often the connection tracker's expiry sweep runs.
const SWEEP_INTERVAL: Duration = Duration::from_millis(100);

/// Runs the daemon `config` describes until a stop signal.
pub async fn run(config: Config) -> Result<(), String> {
    let switch = Arc::new(Switch::new(&config)?);
    let mut listeners = Vec::new();
    for listen in &config.listeners {
        listeners.push(Listener::bind(listen).await?);
    }
    let control = bind_control(&config)?;
    let threads = (0..config.threads)
        .map(|index| {
            let thread = ThreadConfig {
                index,
                threads: config.threads,
                ..ThreadConfig::default()
            };
            PacketThread::spawn(Arc::clone(&switch.datapath), thread)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("cannot start a packet thread: {e}"))?;
    let sweeper = Sweeper::spawn(Arc::clone(switch.datapath.conntrack()), SWEEP_INTERVAL)
        .map_err(|e| format!("cannot start the conntrack sweeper: {e}"))?;
    let messages = forward_async_messages(&switch)?;

    for listener in &listeners {
        announce(&format!("listening for OpenFlow on {}", listener.target()));
    }
    if let Some(control) = &control {
        announce(&format!("control socket {}", control.path().display()));
    }

    let mut tasks = JoinSet::new();
    for listener in listeners {
        let (switch, messages) = (Arc::clone(&switch), messages.clone());
        tasks.spawn(async move { listener.serve(switch, messages).await });
    }
    for addr in config.controllers.iter().copied() {
        let (switch, messages) = (Arc::clone(&switch), messages.clone());
        tasks.spawn(keep_connected(switch, addr, messages));
    }
    if let Some(control) = control {
        let switch = Arc::clone(&switch);
        tasks.spawn(async move { control.serve(switch).await });
    }
    tasks.spawn(run_timers(Arc::clone(&switch)));
    info!(bridge = %config.bridge, threads = config.threads, "ctswitchd started");

    stop_signal().await?;
    info!("ctswitchd stopping");
    // Dropping the tasks closes the listeners (removing unix socket
    // files); the packet threads and the sweeper stop when dropped.
    tasks.shutdown().await;
    drop(threads);
    drop(sweeper);
    Ok(())
}

/// A line on stdout that a script can wait for (and learn a port 0
/// from). A reader that has gone away (it read what it needed) is no
/// reason to stop.
fn announce(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "ctswitchd: {line}").and_then(|()| out.flush());
}

/// The bridge's timers (flow timeouts, MAC aging, recirculation ids),
/// once a second.
async fn run_timers(switch: Arc<Switch>) {
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    loop {
        ticker.tick().await;
        switch.bridge.run_timers(now_ms());
    }
}

/// The control socket. One named with `--socket` must open; the default
/// one is skipped with a warning when it cannot be (another daemon holds
/// it, or the run directory is not writable).
fn bind_control(config: &Config) -> Result<Option<ControlSocket>, String> {
    match ControlSocket::bind(&config.socket) {
        Ok(socket) => Ok(Some(socket)),
        Err(err) if !config.socket_named => {
            warn!("no control socket: {err} (name one with --socket)");
            Ok(None)
        }
        Err(err) => Err(format!("control socket: {err}")),
    }
}

/// Relays the bridge's asynchronous messages to every OpenFlow
/// connection (each subscribes to the returned sender).
fn forward_async_messages(switch: &Switch) -> Result<broadcast::Sender<Message>, String> {
    let (tx, _) = broadcast::channel(ASYNC_BACKLOG);
    let from_bridge = switch.bridge.subscribe();
    let to_connections = tx.clone();
    std::thread::Builder::new()
        .name("ctswitch-async".into())
        .spawn(move || {
            // Ends when the bridge goes; a send with no connection is fine.
            while let Ok(message) = from_bridge.recv() {
                let _ = to_connections.send(message);
            }
        })
        .map_err(|e| format!("cannot start the message relay: {e}"))?;
    Ok(tx)
}

/// Waits for SIGTERM or Ctrl-C (SIGINT).
async fn stop_signal() -> Result<(), String> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term =
        signal(SignalKind::terminate()).map_err(|e| format!("cannot catch SIGTERM: {e}"))?;
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}
