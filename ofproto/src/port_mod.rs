//! OFPT_PORT_MOD: a controller takes a port down or brings it back up
//! (the PORT_DOWN config bit, as `ovs-ofctl mod-port TARGET PORT down`
//! sends it). The change is announced with PORT_STATUS like any other.

use openflow_codec::error::{OfpError, PortModFailedCode};
use openflow_codec::message::port_mod::PortMod;

use crate::bridge::Bridge;

/// OFPPC_PORT_DOWN, the one config bit a port here can change.
const PORT_DOWN: u32 = 1;

impl Bridge {
    /// Applies `pm`. The port must be one of the datapath's, named with
    /// the hardware address its description gives; config bits other than
    /// PORT_DOWN (NO_RECV, NO_FWD, NO_PACKET_IN) are refused as BAD_CONFIG,
    /// the ports having no such modes.
    pub(crate) fn port_mod(&self, pm: &PortMod) -> Result<(), OfpError> {
        let port = self
            .datapath()
            .and_then(|dp| dp.port(pm.port_no))
            .ok_or(PortModFailedCode::BadPort)?;
        let desc = self
            .port_descs()
            .into_iter()
            .find(|d| d.port_no == pm.port_no)
            .ok_or(PortModFailedCode::BadPort)?;
        if desc.hw_addr != pm.hw_addr {
            return Err(PortModFailedCode::BadHwAddr.into());
        }
        if pm.mask & !PORT_DOWN != 0 {
            return Err(PortModFailedCode::BadConfig.into());
        }
        if pm.mask & PORT_DOWN != 0 {
            port.set_up(pm.config & PORT_DOWN == 0);
        }
        self.announce_port_changes();
        Ok(())
    }
}
