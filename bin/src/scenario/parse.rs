//! The scenario format of `ovs-scenario`: one command per line, blank
//! lines ignored, `#` lines echoed into the report.
//!
//! ```text
//! flow SPEC | del-flows [SPEC]
//! packet PORT SPEC            (hex | ODP flow | OpenFlow flow + tcp_seq/tcp_ack/tcp_win)
//! let NAME=FIELD
//! dump-conntrack [ARGS] | flush-conntrack [zone=N]
//! dump-flows [ARGS]
//! trace FLOW [--ct-next STATE]...
//! appctl ARGS | ofctl ARGS    (the commands ctswitch has; others "unsupported")
//! ```
//!
//! `$NAME` is replaced by a `let` binding when the line runs, so a line's
//! arguments are checked here only as far as they do not depend on one.

use std::fmt;

/// A bad scenario line: its number (from 1) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

impl LineError {
    pub fn new(line: usize, message: impl Into<String>) -> Self {
        LineError {
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for LineError {}

/// What one line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A `#` line, echoed as is.
    Comment,
    Flow(String),
    DelFlows(String),
    Packet {
        port: u32,
        spec: String,
    },
    Let {
        name: String,
        field: String,
    },
    DumpConntrack(Vec<String>),
    FlushConntrack(Vec<String>),
    DumpFlows(Vec<String>),
    /// `trace FLOW [--ct-next STATE]...`: `ofproto/trace br0 ...`.
    Trace(Vec<String>),
    /// `appctl ARGS`: an `ovs-appctl` command.
    Appctl(Vec<String>),
    /// `ofctl ARGS`: an `ovs-ofctl -O OpenFlow13` command.
    Ofctl(Vec<String>),
}

/// One non-blank line of a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// 1-based line number in the file.
    pub number: usize,
    /// The trimmed text, as echoed (before `$NAME` substitution).
    pub text: String,
    pub step: Step,
}

/// The ports of the scenario switch: `p1`..`p4` are OpenFlow ports 1..4.
pub const PORTS: u32 = 4;

/// A port given by number (`2`) or name (`p2`).
fn parse_port(text: &str) -> Option<u32> {
    let digits = text.strip_prefix('p').unwrap_or(text);
    digits.parse().ok().filter(|n| (1..=PORTS).contains(n))
}

/// The arguments of a command, as the script's `shlex.split` gives them
/// (none of them holds white space, so quotes around one are dropped).
fn words(rest: &str) -> Vec<String> {
    rest.split_whitespace()
        .map(|w| {
            ['\'', '"']
                .iter()
                .find_map(|q| w.strip_prefix(*q).and_then(|w| w.strip_suffix(*q)))
                .unwrap_or(w)
                .to_string()
        })
        .collect()
}

impl Step {
    /// Parses the text of a non-comment line.
    pub fn parse(text: &str) -> Result<Step, String> {
        let (cmd, rest) = text.split_once(' ').unwrap_or((text, ""));
        let rest = rest.trim();
        Ok(match cmd {
            "flow" if !rest.is_empty() => Step::Flow(rest.to_string()),
            "flow" => return Err("flow: missing flow".into()),
            "del-flows" => Step::DelFlows(rest.to_string()),
            "packet" => {
                let (port, spec) = rest
                    .split_once(' ')
                    .ok_or("packet: usage: packet PORT SPEC")?;
                let port =
                    parse_port(port).ok_or_else(|| format!("packet: unknown port {port}"))?;
                Step::Packet {
                    port,
                    spec: spec.trim().to_string(),
                }
            }
            "let" => {
                let (name, field) = rest.split_once('=').ok_or("let: usage: let NAME=FIELD")?;
                if name.is_empty() || field.is_empty() {
                    return Err("let: usage: let NAME=FIELD".into());
                }
                Step::Let {
                    name: name.to_string(),
                    field: field.to_string(),
                }
            }
            "dump-conntrack" => Step::DumpConntrack(words(rest)),
            "flush-conntrack" => Step::FlushConntrack(words(rest)),
            "dump-flows" => Step::DumpFlows(words(rest)),
            "trace" => Step::Trace(words(rest)),
            "appctl" => Step::Appctl(words(rest)),
            "ofctl" => Step::Ofctl(words(rest)),
            _ => return Err(format!("unknown scenario command: {text}")),
        })
    }
}

/// Parses a whole scenario.
pub fn parse(text: &str) -> Result<Vec<Line>, LineError> {
    let mut lines = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let text = raw.trim();
        if text.is_empty() {
            continue;
        }
        let step = if text.starts_with('#') {
            Step::Comment
        } else {
            Step::parse(text).map_err(|e| LineError::new(i + 1, e))?
        };
        lines.push(Line {
            number: i + 1,
            text: text.to_string(),
            step,
        });
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_parses() {
        let lines = parse(
            "# c\n\nflow table=0,actions=drop\ndel-flows\npacket p2 0011\n\
             let x=tp_src\ndump-conntrack -m zone=5\nflush-conntrack zone=5\n\
             dump-flows table=1\ntrace in_port=1 --ct-next trk\n",
        )
        .unwrap();
        let steps: Vec<_> = lines.iter().map(|l| (l.number, l.step.clone())).collect();
        assert_eq!(
            steps,
            vec![
                (1, Step::Comment),
                (3, Step::Flow("table=0,actions=drop".into())),
                (4, Step::DelFlows(String::new())),
                (
                    5,
                    Step::Packet {
                        port: 2,
                        spec: "0011".into()
                    }
                ),
                (
                    6,
                    Step::Let {
                        name: "x".into(),
                        field: "tp_src".into()
                    }
                ),
                (7, Step::DumpConntrack(vec!["-m".into(), "zone=5".into()])),
                (8, Step::FlushConntrack(vec!["zone=5".into()])),
                (9, Step::DumpFlows(vec!["table=1".into()])),
                (
                    10,
                    Step::Trace(vec!["in_port=1".into(), "--ct-next".into(), "trk".into()])
                ),
            ]
        );
    }

    #[test]
    fn bad_lines_are_errors_with_their_number() {
        assert_eq!(
            parse("flow x,actions=drop\n\nfrobnicate\n")
                .unwrap_err()
                .to_string(),
            "line 3: unknown scenario command: frobnicate"
        );
        assert_eq!(
            parse("packet 9 00").unwrap_err().to_string(),
            "line 1: packet: unknown port 9"
        );
        assert_eq!(parse("packet 1").unwrap_err().line, 1);
        assert_eq!(parse("let x").unwrap_err().line, 1);
    }
}
