//! What sysfs says about a Linux interface that a port opened: its MTU
//! and whether it has a carrier.

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
    }
}
