//! What sysfs says about a Linux interface that a port opened: its MTU,
//! its Ethernet address and whether it has a carrier.

use std::io;

/// The MTU of interface `name`.
pub fn interface_mtu(name: &str) -> io::Result<usize> {
    let text = std::fs::read_to_string(format!("/sys/class/net/{name}/mtu"))
        .map_err(|e| io::Error::new(e.kind(), format!("{name}: {e}")))?;
    text.trim().parse().map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{name}: bad MTU {text:?}"),
        )
    })
}

/// The Ethernet address of interface `name` (all zeroes when sysfs does
/// not say).
pub fn interface_mac(name: &str) -> [u8; 6] {
    let text =
        std::fs::read_to_string(format!("/sys/class/net/{name}/address")).unwrap_or_default();
    let mut mac = [0u8; 6];
    let mut parts = text.trim().split(':');
    for byte in &mut mac {
        match parts.next().map(|p| u8::from_str_radix(p, 16)) {
            Some(Ok(b)) => *byte = b,
            _ => return [0; 6],
        }
    }
    if parts.next().is_some() {
        return [0; 6];
    }
    mac
}

/// Whether interface `name` has a carrier (sysfs cannot say for an
/// interface that is administratively down: no carrier then).
pub fn interface_carrier(name: &str) -> bool {
    std::fs::read_to_string(format!("/sys/class/net/{name}/carrier"))
        .is_ok_and(|text| text.trim() == "1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loopback_has_an_mtu_and_a_missing_interface_none() {
        assert!(interface_mtu("lo").unwrap() > 0);
        let err = interface_mtu("ctsw-nosuch0").unwrap_err();
        assert!(err.to_string().starts_with("ctsw-nosuch0: "), "{err}");
        assert!(!interface_carrier("ctsw-nosuch0"));
        assert_eq!(interface_mac("lo"), [0; 6]);
        assert_eq!(interface_mac("ctsw-nosuch0"), [0; 6]);
    }
}
