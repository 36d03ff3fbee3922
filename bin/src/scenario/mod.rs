//! `ctswitch scenario FILE`: replays the scenario format of
//! `../shared/tools/ovs-scenario` (flows, packets, `let` bindings, conntrack
//! and flow dumps) on an in-process switch and prints the report that
//! `ovs-scenario` prints when Open vSwitch 3.1 runs the same file, apart
//! from the first header line.
//!
//! * [`parse`]: the line format, errors with line numbers;
//! * [`packet`]: frames built as OVS builds them (with
//!   [`ctswitch::compose`]);
//! * [`run`]: the runner and the [`run::Switch`] it drives;
//! * [`switch`]: the in-process switch with its pass observer;
//! * [`report`]: pass metadata, rule lines, `let` masking;
//! * [`trace`]: `trace` lines (`ofproto/trace`); [`commands`]: `appctl`
//!   and `ofctl` lines.

pub mod commands;
pub mod packet;
pub mod parse;
pub mod report;
pub mod run;
pub mod switch;
pub mod trace;
