//! The switch the daemon runs: one bridge (the OpenFlow side and the
//! datapath's slow path), its datapath, the connection tracker they share,
//! its ports, and the dummy ports the control socket feeds and reads.
//! Ports added and removed are announced to controllers (PORT_STATUS).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use conntrack::Conntrack;
use std::path::Path;

use datapath::port::{AfPacketPort, DummyPort, PcapPort, Port, TapPort};
use datapath::Datapath;
use ofproto::bridge::{Bridge, BridgeConfig};
use ofproto::connection::SwitchInfo;

use super::config::Config;
use super::port_spec::{pcap_files, PortKind, PortSpec};

/// The bridge, datapath and ports of a running daemon.
#[derive(Debug)]
pub struct Switch {
    pub bridge: Arc<Bridge>,
    pub datapath: Arc<Datapath>,
    /// The dummy ports by number (also in the datapath, as `dyn Port`).
    dummies: Mutex<BTreeMap<u32, Arc<DummyPort>>>,
    /// Every port's kind, by number.
    kinds: Mutex<BTreeMap<u32, PortKind>>,
    /// What OpenFlow connections report in FEATURES_REPLY.
    pub info: SwitchInfo,
    pub probe_interval_ms: u64,
    /// Packet threads: an afpacket port gets a receive queue for each.
    threads: usize,
}

impl Switch {
    /// Builds the switch `config` describes, its ports added.
    pub fn new(config: &Config) -> Result<Switch, String> {
        let conntrack = Arc::new(Conntrack::new());
        config.conntrack.apply(&conntrack)?;
        let bridge = Arc::new(Bridge::new(
            BridgeConfig {
                name: config.bridge.clone(),
                datapath_id: config.datapath_id,
                max_flows: config.max_flows,
            },
            Arc::clone(&conntrack),
        ));
        let datapath = Arc::new(Datapath::new(conntrack, bridge.clone()));
        bridge.attach_datapath(&datapath);
        let switch = Switch {
            bridge,
            datapath,
            dummies: Mutex::new(BTreeMap::new()),
            kinds: Mutex::new(BTreeMap::new()),
            info: SwitchInfo {
                datapath_id: config.datapath_id,
                n_tables: 254,
                capabilities: SwitchInfo::OVS_CAPABILITIES,
            },
            probe_interval_ms: config.probe_interval_secs.saturating_mul(1000),
            threads: config.threads,
        };
        for port in &config.ports {
            switch.add_port(port)?;
        }
        // The ports controllers will learn of from PORT_DESC; changes from
        // here on are announced with PORT_STATUS.
        switch.bridge.announce_port_changes();
        Ok(switch)
    }

    /// Opens and adds a port.
    pub fn add_port(&self, spec: &PortSpec) -> Result<(), String> {
        let error = |e: std::io::Error| e.to_string();
        let port: Arc<dyn Port> = match spec.kind {
            PortKind::Dummy => {
                let port = Arc::new(DummyPort::new(spec.name.clone()));
                let mut dummies = self.lock_dummies();
                self.datapath
                    .add_port(spec.number, port.clone())
                    .map_err(|e| e.to_string())?;
                dummies.insert(spec.number, port);
                drop(dummies);
                self.added(spec);
                return Ok(());
            }
            PortKind::AfPacket => {
                Arc::new(AfPacketPort::open_queues(&spec.name, self.threads).map_err(error)?)
            }
            PortKind::Tap => Arc::new(TapPort::open(&spec.name).map_err(error)?),
            PortKind::Pcap => {
                let (input, output) = pcap_files(&spec.name, &spec.name)?;
                let name = pcap_port_name(spec.number);
                let port = PcapPort::open(&name, input.map(Path::new), output.map(Path::new));
                Arc::new(port.map_err(error)?)
            }
        };
        self.datapath
            .add_port(spec.number, port)
            .map_err(|e| e.to_string())?;
        self.added(spec);
        Ok(())
    }

    /// After port `spec` was added to the datapath.
    fn added(&self, spec: &PortSpec) {
        lock(&self.kinds).insert(spec.number, spec.kind);
        self.ports_changed();
    }

    /// After a port came or went: cached datapath decisions are void, and
    /// controllers are told.
    fn ports_changed(&self) {
        self.datapath.flows_changed();
        self.bridge.announce_port_changes();
    }

    /// Removes a port.
    pub fn remove_port(&self, number: u32) -> Result<(), String> {
        let mut dummies = self.lock_dummies();
        self.datapath
            .remove_port(number)
            .ok_or_else(|| format!("no port {number}"))?;
        dummies.remove(&number);
        drop(dummies);
        lock(&self.kinds).remove(&number);
        self.ports_changed();
        Ok(())
    }

    /// Dummy port `number`.
    pub fn dummy(&self, number: u32) -> Result<Arc<DummyPort>, String> {
        if let Some(port) = self.lock_dummies().get(&number) {
            return Ok(Arc::clone(port));
        }
        match self.datapath.port(number) {
            Some(port) => Err(format!(
                "port {number} ({}) is not a dummy port",
                port.name()
            )),
            None => Err(format!("no port {number}")),
        }
    }

    /// The kind of port `number`, if there is one.
    pub fn kind(&self, number: u32) -> Option<PortKind> {
        lock(&self.kinds).get(&number).copied()
    }

    fn lock_dummies(&self) -> MutexGuard<'_, BTreeMap<u32, Arc<DummyPort>>> {
        lock(&self.dummies)
    }
}

/// Locks `m`; the maps hold whole entries only, so a poisoned lock is
/// usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A pcap port's name: `pcap` and its number (its files' names may be
/// long or alike).
fn pcap_port_name(number: u32) -> String {
    format!("pcap{number}")
}
