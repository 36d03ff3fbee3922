//! OFPT_QUEUE_GET_CONFIG_REQUEST and _REPLY: a port's queues and their
//! min/max rate properties.

use std::fmt::Write;

use bytes::{BufMut, BytesMut};

use super::wire::{self, Parsed};
use crate::error::{BadRequestCode, OfpError, QueueOpFailedCode};
use crate::message::port::{check_port, format_port};
use nxm_fields::port::{OFPP_ANY, OFPP_MAX};

const OFPQT_MIN_RATE: u16 = 1;
const OFPQT_MAX_RATE: u16 = 2;
/// Length of `ofp_packet_queue` without properties.
const QUEUE_LEN: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueGetConfigRequest {
    pub port: u32,
}

impl QueueGetConfigRequest {
    pub fn decode(body: &[u8]) -> Result<QueueGetConfigRequest, OfpError> {
        wire::run(body, |input| {
            let (input, port) = queue_port(input)?;
            let (input, ()) = wire::pad(4)(input)?;
            Ok((input, QueueGetConfigRequest { port }))
        })
    }

    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u32(self.port);
        out.put_u32(0);
    }

    pub fn format(&self, out: &mut String) {
        out.push_str(" port=");
        format_port(self.port, out);
    }
}

/// A queue port: a real port or ANY.
fn queue_port(input: &[u8]) -> Parsed<'_, u32> {
    let (input, port) = wire::u32(input)?;
    let (input, port) = wire::lift(input, check_port(port))?;
    if port >= OFPP_MAX && port != OFPP_ANY {
        return wire::fail(QueueOpFailedCode::BadPort);
    }
    Ok((input, port))
}

/// One queue: rates are in tenths of a percent, above 1000 meaning disabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queue {
    pub queue_id: u32,
    pub port: u32,
    pub min_rate: Option<u16>,
    pub max_rate: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueGetConfigReply {
    pub port: u32,
    pub queues: Vec<Queue>,
}

impl QueueGetConfigReply {
    pub fn decode(body: &[u8]) -> Result<QueueGetConfigReply, OfpError> {
        wire::run(body, |input| {
            let (input, port) = wire::u32(input)?;
            let (input, port) = wire::lift(input, check_port(port))?;
            let (mut input, ()) = wire::pad(4)(input)?;
            let mut queues = Vec::new();
            while !input.is_empty() {
                let (rest, queue) = parse_queue(input)?;
                queues.push(queue);
                input = rest;
            }
            Ok((input, QueueGetConfigReply { port, queues }))
        })
    }

    pub fn encode(&self, out: &mut BytesMut) {
        out.put_u32(self.port);
        out.put_u32(0);
        for queue in &self.queues {
            let start = out.len();
            out.put_u32(queue.queue_id);
            out.put_u32(queue.port);
            out.put_u16(0);
            out.put_bytes(0, 6);
            for (kind, rate) in [
                (OFPQT_MIN_RATE, queue.min_rate),
                (OFPQT_MAX_RATE, queue.max_rate),
            ] {
                if let Some(rate) = rate {
                    out.put_u16(kind);
                    out.put_u16(16);
                    out.put_u32(0);
                    out.put_u16(rate);
                    out.put_bytes(0, 6);
                }
            }
            wire::patch_len(out, start + 8, start);
        }
    }

    pub fn format(&self, out: &mut String) {
        out.push_str(" port=");
        format_port(self.port, out);
        out.push('\n');
        for queue in &self.queues {
            let _ = write!(out, "queue {}:", queue.queue_id);
            put_rate(out, "min_rate", queue.min_rate);
            put_rate(out, "max_rate", queue.max_rate);
            out.push('\n');
        }
    }
}

fn put_rate(out: &mut String, name: &str, rate: Option<u16>) {
    match rate {
        None => {}
        Some(r) if r > 1000 => {
            let _ = write!(out, " {name}:(disabled)");
        }
        Some(r) => {
            let _ = write!(out, " {name}:{}.{}%", r / 10, r % 10);
        }
    }
}

fn parse_queue(input: &[u8]) -> Parsed<'_, Queue> {
    let (input, queue_id) = wire::u32(input)?;
    let (input, port) = wire::u32(input)?;
    let (input, port) = wire::lift(input, check_port(port))?;
    let (input, len) = wire::u16(input)?;
    let (input, ()) = wire::pad(6)(input)?;
    let Some(props_len) = usize::from(len).checked_sub(QUEUE_LEN) else {
        return wire::fail(BadRequestCode::BadLen);
    };
    let (rest, mut props) = wire::take(props_len)(input)?;
    let mut queue = Queue {
        queue_id,
        port,
        min_rate: None,
        max_rate: None,
    };
    while !props.is_empty() {
        let (p, kind) = wire::u16(props)?;
        let (p, len) = wire::u16(p)?;
        let (p, ()) = wire::pad(4)(p)?;
        let Some(body_len) = usize::from(len).checked_sub(8) else {
            return wire::fail(BadRequestCode::BadLen);
        };
        let (p, body) = wire::take(body_len)(p)?;
        if kind == OFPQT_MIN_RATE || kind == OFPQT_MAX_RATE {
            let (_, rate) = wire::u16(body)?;
            if kind == OFPQT_MIN_RATE {
                queue.min_rate = Some(rate);
            } else {
                queue.max_rate = Some(rate);
            }
        }
        props = p;
    }
    Ok((rest, queue))
}
