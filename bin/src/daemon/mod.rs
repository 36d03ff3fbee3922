//! `ctswitchd`: the configuration ([`config`]), the switch it assembles,
//! and [`run`], which serves OpenFlow, controllers and the control socket
//! on a tokio runtime while packet threads forward, until SIGTERM or
//! Ctrl-C.

pub mod config;
mod control_handler;
mod control_server;
mod controller;
pub mod ct_config;
pub mod endpoints;
mod listeners;
mod openflow;
pub mod port_spec;
mod run;
mod switch;

pub use run::run;
