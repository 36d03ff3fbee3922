//! `userspace(...)`: hand the packet up to the slow path, with a cookie
//! that says why.

use core::fmt;

use nxm_fields::format::CHex;

/// `userspace(pid=0,controller(...))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Userspace {
    /// The netlink port id in OVS's kernel datapath; always 0 here.
    pub pid: u32,
    pub cookie: ControllerCookie,
}

/// What a packet sent to the controller carries back up: OVS's
/// `controller` user-action cookie, printed with every field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ControllerCookie {
    /// The OpenFlow packet-in reason.
    pub reason: u8,
    /// Run the rest of the actions without sending a packet-in.
    pub dont_send: bool,
    /// The packet-in carries a continuation.
    pub continuation: bool,
    /// The frozen state to resume from.
    pub recirc_id: u32,
    pub rule_cookie: u64,
    pub controller_id: u16,
    pub max_len: u16,
}

impl fmt::Display for Userspace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.cookie;
        write!(
            f,
            "userspace(pid={},controller(reason={},dont_send={},continuation={},\
             recirc_id={},rule_cookie={},controller_id={},max_len={}))",
            self.pid,
            c.reason,
            u8::from(c.dont_send),
            u8::from(c.continuation),
            c.recirc_id,
            CHex(u128::from(c.rule_cookie)),
            c.controller_id,
            c.max_len,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expectations from OVS 3.1: a `controller` action in table 1 after
    // `ct(table=1)`, then `dpctl/dump-flows`.
    #[test]
    fn controller_upcalls_print_as_ovs() {
        let mut u = Userspace {
            pid: 0,
            cookie: ControllerCookie {
                reason: 1,
                recirc_id: 3,
                max_len: 65535,
                ..ControllerCookie::default()
            },
        };
        assert_eq!(
            u.to_string(),
            "userspace(pid=0,controller(reason=1,dont_send=0,continuation=0,\
             recirc_id=3,rule_cookie=0,controller_id=0,max_len=65535))"
        );
        u.cookie.dont_send = true;
        u.cookie.recirc_id = 2;
        u.cookie.rule_cookie = u64::MAX;
        assert_eq!(
            u.to_string(),
            "userspace(pid=0,controller(reason=1,dont_send=1,continuation=0,\
             recirc_id=2,rule_cookie=0xffffffffffffffff,controller_id=0,max_len=65535))"
        );
    }
}
