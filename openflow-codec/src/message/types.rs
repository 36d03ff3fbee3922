//! The tables of message kinds: OpenFlow 1.3 message types, multipart
//! types and Nicira extension subtypes, each with OVS's name for it and the
//! body lengths OVS accepts before it looks inside (a wrong length there is
//! OFPBRC_BAD_LEN with no message name printed). One row per kind; nothing
//! else lists message numbers.

use std::fmt;

/// The body lengths a message kind allows, counted after its headers (the
/// 8-byte `ofp_header`, plus the multipart or Nicira header if any).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyLen {
    /// Exactly this many bytes.
    Fixed(usize),
    /// At least `min` bytes, and the rest a multiple of `step`.
    Min { min: usize, step: usize },
}

impl BodyLen {
    /// Whether `len` is allowed.
    pub fn accepts(self, len: usize) -> bool {
        match self {
            BodyLen::Fixed(n) => len == n,
            BodyLen::Min { min, step } => len >= min && (len - min).is_multiple_of(step),
        }
    }
}

const fn any(min: usize) -> BodyLen {
    BodyLen::Min { min, step: 1 }
}

const fn array(min: usize, step: usize) -> BodyLen {
    BodyLen::Min { min, step }
}

const fn fixed(n: usize) -> BodyLen {
    BodyLen::Fixed(n)
}

macro_rules! kind_table {
    (
        $(#[$doc:meta])*
        $name:ident: $repr:ty { $( $variant:ident = $code:literal, $ovs:literal, $($len:expr),+; )+ }
        lens($($lens:ident),+)
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $( #[doc = $ovs] $variant, )+ }

        impl $name {
            /// The kind with wire number `code`, if OVS knows it in OF1.3.
            pub fn from_code(code: $repr) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }

            /// The wire number.
            pub fn code(self) -> $repr {
                match self { $($name::$variant => $code,)+ }
            }

            /// OVS's name, as `ovs-ofctl ofp-print` prints it.
            pub fn ovs_name(self) -> &'static str {
                match self { $($name::$variant => $ovs,)+ }
            }

            kind_table!(@lens $name [$($lens),+] $( $variant [$($len),+] )+);
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.ovs_name())
            }
        }
    };
    (@lens $name:ident [$lens:ident] $( $variant:ident [$len:expr] )+) => {
        /// The body lengths OVS accepts.
        pub fn $lens(self) -> BodyLen {
            match self { $($name::$variant => $len,)+ }
        }
    };
    (@lens $name:ident [$req:ident, $rep:ident] $( $variant:ident [$reqlen:expr, $replen:expr] )+) => {
        /// The request body lengths OVS accepts.
        pub fn $req(self) -> BodyLen {
            match self { $($name::$variant => $reqlen,)+ }
        }

        /// The reply body lengths OVS accepts.
        pub fn $rep(self) -> BodyLen {
            match self { $($name::$variant => $replen,)+ }
        }
    };
}

kind_table! {
    /// `ofp_header.type` in OpenFlow 1.3.
    MsgType: u8 {
        Hello = 0, "OFPT_HELLO", any(0);
        Error = 1, "OFPT_ERROR", any(4);
        EchoRequest = 2, "OFPT_ECHO_REQUEST", any(0);
        EchoReply = 3, "OFPT_ECHO_REPLY", any(0);
        Experimenter = 4, "OFPT_EXPERIMENTER", any(8);
        FeaturesRequest = 5, "OFPT_FEATURES_REQUEST", fixed(0);
        FeaturesReply = 6, "OFPT_FEATURES_REPLY", fixed(24);
        GetConfigRequest = 7, "OFPT_GET_CONFIG_REQUEST", fixed(0);
        GetConfigReply = 8, "OFPT_GET_CONFIG_REPLY", fixed(4);
        SetConfig = 9, "OFPT_SET_CONFIG", fixed(4);
        PacketIn = 10, "OFPT_PACKET_IN", any(16);
        FlowRemoved = 11, "OFPT_FLOW_REMOVED", array(40, 8);
        PortStatus = 12, "OFPT_PORT_STATUS", fixed(72);
        PacketOut = 13, "OFPT_PACKET_OUT", any(16);
        FlowMod = 14, "OFPT_FLOW_MOD", array(40, 8);
        GroupMod = 15, "OFPT_GROUP_MOD", array(8, 8);
        PortMod = 16, "OFPT_PORT_MOD", fixed(32);
        TableMod = 17, "OFPT_TABLE_MOD", fixed(8);
        MultipartRequest = 18, "OFPT_MULTIPART_REQUEST", any(8);
        MultipartReply = 19, "OFPT_MULTIPART_REPLY", any(8);
        BarrierRequest = 20, "OFPT_BARRIER_REQUEST", fixed(0);
        BarrierReply = 21, "OFPT_BARRIER_REPLY", fixed(0);
        QueueGetConfigRequest = 22, "OFPT_QUEUE_GET_CONFIG_REQUEST", fixed(8);
        QueueGetConfigReply = 23, "OFPT_QUEUE_GET_CONFIG_REPLY", array(8, 8);
        RoleRequest = 24, "OFPT_ROLE_REQUEST", fixed(16);
        RoleReply = 25, "OFPT_ROLE_REPLY", fixed(16);
        GetAsyncRequest = 26, "OFPT_GET_ASYNC_REQUEST", fixed(0);
        GetAsyncReply = 27, "OFPT_GET_ASYNC_REPLY", fixed(24);
        SetAsync = 28, "OFPT_SET_ASYNC", fixed(24);
        MeterMod = 29, "OFPT_METER_MOD", array(8, 8);
    }
    lens(body_len)
}

kind_table! {
    /// `ofp_multipart_request.type` / `ofp_multipart_reply.type`. OVS calls
    /// these OFPST_* ("statistics") in every version.
    MultipartType: u16 {
        Desc = 0, "OFPST_DESC", fixed(0), fixed(1056);
        Flow = 1, "OFPST_FLOW", array(32, 8), any(0);
        Aggregate = 2, "OFPST_AGGREGATE", array(32, 8), fixed(24);
        Table = 3, "OFPST_TABLE", fixed(0), array(0, 24);
        PortStats = 4, "OFPST_PORT", fixed(8), array(0, 112);
        Queue = 5, "OFPST_QUEUE", fixed(8), array(0, 40);
        Group = 6, "OFPST_GROUP", fixed(8), array(0, 8);
        GroupDesc = 7, "OFPST_GROUP_DESC", fixed(0), array(0, 8);
        GroupFeatures = 8, "OFPST_GROUP_FEATURES", fixed(0), fixed(40);
        Meter = 9, "OFPST_METER", fixed(8), array(0, 8);
        MeterConfig = 10, "OFPST_METER_CONFIG", fixed(8), array(0, 8);
        MeterFeatures = 11, "OFPST_METER_FEATURES", fixed(0), fixed(16);
        TableFeatures = 12, "OFPST_TABLE_FEATURES", array(0, 8), array(64, 8);
        PortDesc = 13, "OFPST_PORT_DESC", fixed(0), array(0, 64);
    }
    lens(request_len, reply_len)
}

kind_table! {
    /// Subtypes of Nicira extension messages (`OFPT_EXPERIMENTER` with
    /// experimenter 0x00002320) that OVS accepts in OpenFlow 1.3.
    NxType: u32 {
        FlowModTableId = 15, "NXT_FLOW_MOD_TABLE_ID", fixed(8);
        SetPacketInFormat = 16, "NXT_SET_PACKET_IN_FORMAT", fixed(4);
        SetControllerId = 20, "NXT_SET_CONTROLLER_ID", fixed(8);
        Resume = 28, "NXT_RESUME", array(0, 8);
        CtFlushZone = 29, "NXT_CT_FLUSH_ZONE", fixed(8);
        PacketIn2 = 30, "NXT_PACKET_IN2", array(0, 8);
        CtFlush = 32, "NXT_CT_FLUSH", array(8, 8);
    }
    lens(body_len)
}

/// The version number of OpenFlow 1.3 in `ofp_header.version`.
pub const OFP13_VERSION: u8 = 4;

/// What OVS prints for an OpenFlow version after a message's name:
/// ` (OF1.3)`, nothing for OpenFlow 1.0.
pub fn version_suffix(version: u8) -> String {
    match version {
        1 => String::new(),
        2..=6 => format!(" (OF1.{})", version - 1),
        _ => format!(" (OF 0x{version:02x})"),
    }
}

/// Which way a multipart message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Request,
    Reply,
}

/// A message kind as OVS identifies it from its headers alone, before
/// looking at the body: what `ofp-print` names in its first line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Plain(MsgType),
    Multipart(MultipartType, Direction),
    Nicira(NxType),
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::Plain(t) => f.write_str(t.ovs_name()),
            Kind::Multipart(t, Direction::Request) => write!(f, "{t} request"),
            Kind::Multipart(t, Direction::Reply) => write!(f, "{t} reply"),
            Kind::Nicira(t) => f.write_str(t.ovs_name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for code in 0..=255u8 {
            if let Some(t) = MsgType::from_code(code) {
                assert_eq!(t.code(), code);
            }
        }
        assert_eq!(MsgType::from_code(30), None);
        assert_eq!(MultipartType::from_code(13), Some(MultipartType::PortDesc));
    }

    #[test]
    fn names_are_ovs_names() {
        assert_eq!(Kind::Plain(MsgType::FlowMod).to_string(), "OFPT_FLOW_MOD");
        let kind = Kind::Multipart(MultipartType::PortStats, Direction::Reply);
        assert_eq!(kind.to_string(), "OFPST_PORT reply");
        assert_eq!(
            Kind::Nicira(NxType::CtFlushZone).to_string(),
            "NXT_CT_FLUSH_ZONE"
        );
        assert_eq!(version_suffix(4), " (OF1.3)");
        assert_eq!(version_suffix(1), "");
    }

    #[test]
    fn body_lengths() {
        assert!(array(40, 8).accepts(48));
        assert!(!array(40, 8).accepts(44));
        assert!(!fixed(4).accepts(5));
        assert!(any(16).accepts(17));
    }
}
