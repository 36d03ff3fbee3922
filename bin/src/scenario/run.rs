//! Runs a parsed scenario against a [`Switch`] and writes the report
//! `ovs-scenario` writes for it, line for line, apart from the header.

use std::collections::BTreeMap;

use conntrack::{Conntrack, DumpStyle};
use nxm_fields::packet::format_packet;
use nxm_fields::Flow;
use ofproto::mac_learning::MacLearning;
use openflow_codec::message::flow_mod::FlowModCommand;
use openflow_codec::message::group::GroupCommand;
use openflow_codec::message::multipart::MpRequest;

use super::parse::{Line, LineError, Step};
use super::report::{mask, number_after, pass_metadata, rule_text, sort_rules};
use super::{commands, packet, trace};

/// One upcall of an injected packet.
#[derive(Debug, Clone)]
pub struct Pass {
    pub flow: Flow,
    /// A userspace action (a controller action), not a miss.
    pub action: bool,
}

/// What one injected packet did.
#[derive(Debug, Default)]
pub struct Injected {
    /// Each upcall in turn: the flow a pipeline pass was looked up with
    /// (pass 0 first), or a userspace action's packet, as `dpif_netdev`
    /// logs a miss and an action upcall.
    pub passes: Vec<Pass>,
    /// What each port transmitted, by OpenFlow port number.
    pub tx: BTreeMap<u32, Vec<Vec<u8>>>,
}

/// What a scenario needs from a switch with ports 1..4.
pub trait Switch {
    /// `ovs-ofctl add-flow br0 SPEC`.
    fn add_flow(&mut self, spec: &str) -> Result<(), String>;
    /// `ovs-ofctl del-flows br0 [SPEC]`.
    fn del_flows(&mut self, spec: &str) -> Result<(), String>;
    /// `ovs-ofctl dump-flows br0 [FILTER]`: one line per rule, as printed
    /// (with statistics).
    fn dump_flows(&mut self, filter: &str) -> Result<Vec<String>, String>;
    /// Receives `frame` on `port` and runs it to completion.
    fn inject(&mut self, port: u32, frame: Vec<u8>) -> Injected;
    /// `dpctl/dump-conntrack [zone=N]` lines (timeouts included if asked).
    fn dump_conntrack(&mut self, zone: Option<u16>, style: DumpStyle) -> Vec<String>;
    /// `ofproto/trace br0 FLOW`, with the ct_state of each conntrack
    /// recirculation in turn: what it prints.
    fn trace(&mut self, flow: &Flow, ct_next: &[u32]) -> String;
    /// The switch's connection tracker.
    fn conntrack(&self) -> &Conntrack;
    /// The switch's clock, in ms (the tracker's clock plus any warp).
    fn now(&self) -> u64;
    /// `appctl time/warp MS`: moves the clock ahead and runs what expires.
    fn warp(&mut self, ms: u64);
    /// The bridge's MAC learning table.
    fn mac_table(&self) -> &MacLearning;
    /// `ovs-ofctl add-flow/mod-flows/del-flows [--strict] br0 SPEC`.
    fn flow_mod(&mut self, spec: &str, command: FlowModCommand) -> Result<(), String>;
    /// `ovs-ofctl add-group/mod-group/del-groups br0 SPEC`.
    fn group_mod(&mut self, spec: &str, command: GroupCommand) -> Result<(), String>;
    /// `ovs-ofctl mod-port br0 PORT up|down`: sets the port's PORT_DOWN
    /// config bit with a PORT_MOD.
    fn port_mod(&mut self, port: u32, up: bool) -> Result<(), String>;
    /// A multipart request's replies as ovs-ofctl prints them, their xid
    /// `xid`.
    fn dump(&mut self, request: MpRequest, xid: u32) -> Result<String, String>;
    /// `ovs-ofctl dump-flows br0 [FILTER]` as it prints the replies.
    fn dump_flows_reply(&mut self, filter: &str, xid: u32) -> Result<String, String>;
}

/// The runner's state between lines.
struct Runner<'a, S> {
    switch: &'a mut S,
    out: String,
    /// `let` bindings in the order first bound.
    vars: Vec<(String, String)>,
    /// The flows of what the last packet transmitted.
    last_tx: Vec<String>,
}

/// Runs `lines` and returns the report (without its header line).
pub fn run<S: Switch>(switch: &mut S, lines: &[Line]) -> Result<String, LineError> {
    let mut r = Runner {
        switch,
        out: String::new(),
        vars: Vec::new(),
        last_tx: Vec::new(),
    };
    for line in lines {
        if line.step == Step::Comment {
            r.say(&line.text);
            continue;
        }
        r.say(&format!("> {}", line.text));
        r.line(line).map_err(|e| LineError::new(line.number, e))?;
    }
    Ok(mask(&r.out, &r.vars))
}

fn zone_arg(args: &[String]) -> Result<Option<u16>, String> {
    let mut zone = None;
    for a in args {
        if let Some(z) = a.strip_prefix("zone=") {
            zone = Some(z.parse().map_err(|_| format!("bad zone {z}"))?);
        }
    }
    Ok(zone)
}

impl<S: Switch> Runner<'_, S> {
    fn say(&mut self, text: &str) {
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn line(&mut self, line: &Line) -> Result<(), String> {
        let mut text = line.text.clone();
        let mut substituted = false;
        for (name, value) in &self.vars {
            let var = format!("${name}");
            if text.contains(&var) {
                text = text.replace(&var, value);
                substituted = true;
            }
        }
        let step = if substituted {
            Step::parse(&text)?
        } else {
            line.step.clone()
        };
        match step {
            Step::Comment => {}
            Step::Flow(spec) => {
                if let Err(e) = self.switch.add_flow(&spec) {
                    // Further lines of what ovs-ofctl printed keep the indent.
                    self.say(&format!("  error: {}", e.replace('\n', "\n  ")));
                }
            }
            Step::DelFlows(spec) => self.switch.del_flows(&spec)?,
            Step::Packet { port, spec } => self.packet(port, &spec, substituted)?,
            Step::Let { name, field } => {
                let value = self
                    .last_tx
                    .first()
                    .and_then(|flow| field_value(flow, &field))
                    .ok_or_else(|| format!("let: no {field} in last transmitted packet"))?;
                match self.vars.iter_mut().find(|(n, _)| *n == name) {
                    Some(binding) => binding.1 = value,
                    None => self.vars.push((name, value)),
                }
            }
            Step::DumpConntrack(args) => {
                let style = DumpStyle {
                    stats: args.iter().any(|a| a == "-s"),
                    verbose: args.iter().any(|a| a == "-m"),
                };
                let mut lines: Vec<String> = self
                    .switch
                    .dump_conntrack(zone_arg(&args)?, style)
                    .iter()
                    .map(|l| strip_timeout(l))
                    .collect();
                lines.sort();
                for l in lines {
                    self.say(&format!("  {l}"));
                }
            }
            Step::FlushConntrack(args) => {
                let filter = commands::flush_filter(&args)?;
                self.switch.conntrack().flush(&filter);
            }
            Step::DumpFlows(args) => {
                let mut lines: Vec<String> = self
                    .switch
                    .dump_flows(&args.join(" "))?
                    .iter()
                    .map(|l| super::report::dump_line(l))
                    .collect();
                sort_rules(&mut lines);
                for l in lines {
                    self.say(&format!("  {l}"));
                }
            }
            Step::Trace(args) => {
                // OVS's errors go to the standard error, which the report
                // leaves out.
                if let Ok(t) = trace::parse_args(&args) {
                    let text = self.switch.trace(&t.flow, &t.ct_next);
                    for l in trace::report_lines(&text) {
                        self.say(&l);
                    }
                }
            }
            Step::Appctl(args) => {
                let lines = commands::appctl(self.switch, &args);
                self.print(lines);
            }
            Step::Ofctl(args) => {
                let lines = commands::ofctl(self.switch, &args);
                self.print(lines);
            }
        }
        Ok(())
    }

    /// A command's output lines, each indented two spaces; `None`: the
    /// command is not supported.
    fn print(&mut self, lines: Option<Vec<String>>) {
        match lines {
            Some(lines) => {
                for l in lines {
                    self.say(&format!("  {l}"));
                }
            }
            None => self.say("  unsupported"),
        }
    }

    fn packet(&mut self, port: u32, spec: &str, substituted: bool) -> Result<(), String> {
        let frame = packet::build(spec)?;
        if substituted {
            self.say("  frame: (depends on a let variable)");
        } else {
            let hex: String = frame.iter().map(|b| format!("{b:02x}")).collect();
            self.say(&format!("  frame: {hex}"));
        }
        let before = self.rule_counts()?;
        let injected = self.switch.inject(port, frame);
        for (n, pass) in injected.passes.iter().enumerate() {
            let kind = if pass.action { " (action upcall)" } else { "" };
            self.say(&format!("  pass {n}{kind}: {}", pass_metadata(&pass.flow)));
        }
        let after = self.rule_counts()?;
        let mut hit: Vec<String> = after
            .iter()
            .filter(|(rule, n)| **n > before.get(*rule).copied().unwrap_or(0))
            .map(|(rule, _)| rule.clone())
            .collect();
        sort_rules(&mut hit);
        for rule in hit {
            let n =
                after.get(&rule).copied().unwrap_or(0) - before.get(&rule).copied().unwrap_or(0);
            self.say(&format!("  hit x{n}: {rule}"));
        }
        self.last_tx.clear();
        for (port, frames) in &injected.tx {
            for frame in frames {
                let flow = format_frame(frame);
                self.out.push_str(&format!("  tx p{port}: {flow}\n"));
                self.last_tx.push(flow);
            }
        }
        if self.last_tx.is_empty() {
            self.say("  tx: none (dropped)");
        }
        Ok(())
    }

    /// Each rule's packet count, keyed by the rule's text.
    fn rule_counts(&mut self) -> Result<BTreeMap<String, u64>, String> {
        Ok(self
            .switch
            .dump_flows("")?
            .iter()
            .map(|l| (rule_text(l), number_after(l, "n_packets").unwrap_or(0)))
            .collect())
    }
}

/// The value of `field=` in a printed flow (up to `,` or white space).
fn field_value(flow: &str, field: &str) -> Option<String> {
    let pat = format!("{field}=");
    let mut from = 0;
    while let Some(at) = flow[from..].find(&pat).map(|i| i + from) {
        if at == 0
            || !flow.as_bytes()[at - 1].is_ascii_alphanumeric() && flow.as_bytes()[at - 1] != b'_'
        {
            let value: String = flow[at + pat.len()..]
                .chars()
                .take_while(|c| *c != ',' && !c.is_whitespace())
                .collect();
            return (!value.is_empty()).then_some(value);
        }
        from = at + pat.len();
    }
    None
}

/// A conntrack line without its `timeout=N,`.
fn strip_timeout(line: &str) -> String {
    match line.find("timeout=") {
        Some(at) => match line[at..].find(',') {
            Some(end) => format!("{}{}", &line[..at], &line[at + end + 1..]),
            None => line.to_string(),
        },
        None => line.to_string(),
    }
}

/// A transmitted frame as `ovs-ofctl parse-pcap` prints it.
fn format_frame(frame: &[u8]) -> String {
    format_packet(&datapath::extract(frame, 0))
}
