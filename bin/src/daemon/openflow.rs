//! One OpenFlow connection, over any byte stream (TCP or unix, accepted
//! or initiated): the socket-free `ofproto::connection` state machine
//! negotiates and keeps it alive, the bridge answers what it delivers,
//! and the bridge's asynchronous messages (packet-in, flow-removed,
//! port-status) are sent as they come.

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use conntrack::now_ms;
use ofproto::connection::{Connection, Output};
use openflow_codec::codec::OfpCodec;
use openflow_codec::message::Message;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::broadcast;
use tokio_util::codec::Decoder;
use tracing::{info, warn};

use super::switch::Switch;

/// How the connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The peer closed it, or the stream failed.
    Closed,
    /// The hello exchange never completed.
    NeverConnected,
}

/// Whether the switch accepted a connection or opened it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Accepted on a listener: OVS's "service" connection, which hears
    /// asynchronous messages only after asking (a nonzero miss_send_len).
    Listener,
    /// Opened to a controller (`tcp:`).
    Controller,
}

/// Serves one connection until it closes. `peer` names it in the logs.
pub async fn serve<S>(
    switch: Arc<Switch>,
    mut stream: S,
    peer: &str,
    origin: Origin,
    mut async_messages: broadcast::Receiver<Message>,
) -> Ended
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (mut conn, first) = Connection::new(switch.info, switch.probe_interval_ms, now_ms());
    if origin == Origin::Listener {
        conn.set_service();
    }
    if send_all(&mut stream, &switch, first).await.is_err() {
        return Ended::NeverConnected;
    }
    let mut heard = false;
    let mut codec = OfpCodec;
    let mut buf = BytesMut::with_capacity(4096);
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    loop {
        let outputs = tokio::select! {
            read = stream.read_buf(&mut buf) => {
                if !matches!(read, Ok(n) if n > 0) {
                    break;
                }
                let mut outputs = Vec::new();
                loop {
                    match codec.decode(&mut buf) {
                        Ok(Some(frame)) => {
                            heard = true;
                            outputs.extend(conn.receive(&frame.raw, now_ms()));
                        }
                        Ok(None) => break,
                        Err(err) => {
                            warn!(peer, %err, "closing an unreadable OpenFlow stream");
                            return Ended::Closed;
                        }
                    }
                }
                outputs
            }
            _ = ticker.tick() => conn.tick(now_ms()),
            message = async_messages.recv() => match message {
                Ok(message) => {
                    if heard && conn.wants_async() {
                        let mut out = BytesMut::new();
                        message.encode(0, &mut out);
                        vec![Output::Send(out)]
                    } else {
                        Vec::new()
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    warn!(peer, lost = n, "OpenFlow connection too slow: asynchronous messages dropped");
                    Vec::new()
                }
                Err(broadcast::error::RecvError::Closed) => Vec::new(),
            },
        };
        if send_all(&mut stream, &switch, outputs).await.is_err() || conn.is_closed() {
            break;
        }
    }
    info!(peer, "OpenFlow connection closed");
    if heard {
        Ended::Closed
    } else {
        Ended::NeverConnected
    }
}

/// Carries out a connection's outputs; `Err` when the connection is over.
async fn send_all<S>(stream: &mut S, switch: &Switch, outputs: Vec<Output>) -> Result<(), ()>
where
    S: AsyncWrite + Unpin,
{
    for output in outputs {
        match output {
            Output::Send(bytes) => stream.write_all(&bytes).await.map_err(|_| ())?,
            Output::Deliver {
                header,
                message,
                raw,
            } => {
                let replies = switch.bridge.handle(header, &message, &raw, now_ms());
                let mut out = BytesMut::new();
                for (xid, reply) in replies {
                    reply.encode(xid, &mut out);
                }
                stream.write_all(&out).await.map_err(|_| ())?;
            }
            Output::Close(reason) => {
                info!(?reason, "closing OpenFlow connection");
                return Err(());
            }
        }
    }
    Ok(())
}
