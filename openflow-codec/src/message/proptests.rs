//! Round trips for every message this module builds: any value, encoded
//! and decoded again, is the same value, and decoding never panics on
//! arbitrary bytes.

use bytes::BytesMut;
use proptest::collection::vec;
use proptest::prelude::*;

use super::async_config::AsyncConfig;
use super::echo::Echo;
use super::error_msg::ErrorMsg;
use super::features::FeaturesReply;
use super::hello::Hello;
use super::meter::{
    BandKind, MeterBand, MeterCommand, MeterConfig, MeterConfigs, MeterFeatures, MeterMod,
    MeterStats, MeterStatsList,
};
use super::multipart::desc::Desc;
use super::multipart::flow_stats::AggregateStats;
use super::multipart::group_stats::{GroupFeatures, GroupStats};
use super::multipart::port_stats::PortStats;
use super::multipart::queue_stats::QueueStats;
use super::multipart::table_features::TableFeatures;
use super::multipart::table_stats::TableStats;
use super::multipart::{MpReply, MpRequest, MultipartReply, MultipartRequest};
use super::nicira::{CtFlush, CtTuple, NxMessage, PacketInFormat};
use super::port::{Port, PortReason, PortStatus};
use super::port_mod::PortMod;
use super::queue_config::{Queue, QueueGetConfigReply, QueueGetConfigRequest};
use super::role::{ControllerRole, Role};
use super::switch_config::{FragMode, SwitchConfig};
use super::table_mod::TableMod;
use super::Message;
use crate::error::OfpError;

/// Port numbers OVS accepts: the 16-bit range and the reserved range.
fn port_no() -> impl Strategy<Value = u32> {
    prop_oneof![0u32..0xff00, 0xffff_ff00u32..=u32::MAX]
}

fn port() -> impl Strategy<Value = Port> {
    (
        port_no(),
        any::<[u8; 6]>(),
        "[a-z0-9-]{0,15}",
        any::<[u32; 8]>(),
    )
        .prop_map(|(port_no, hw_addr, name, v)| Port {
            port_no,
            hw_addr,
            name,
            config: v[0],
            state: v[1],
            curr: v[2],
            advertised: v[3],
            supported: v[4],
            peer: v[5],
            curr_speed: v[6],
            max_speed: v[7],
        })
}

fn band() -> impl Strategy<Value = MeterBand> {
    let kind = prop_oneof![
        Just(BandKind::Drop),
        any::<u8>().prop_map(|prec_level| BandKind::DscpRemark { prec_level }),
        any::<u32>().prop_map(|experimenter| BandKind::Experimenter { experimenter }),
    ];
    (kind, any::<u32>(), any::<u32>()).prop_map(|(kind, rate, burst_size)| MeterBand {
        kind,
        rate,
        burst_size,
    })
}

fn meter_config() -> impl Strategy<Value = MeterConfig> {
    (any::<u16>(), any::<u32>(), vec(band(), 0..4)).prop_map(|(flags, meter_id, bands)| {
        MeterConfig {
            // kbps and pktps together are refused.
            flags: if flags & 3 == 3 { flags & !2 } else { flags },
            meter_id,
            bands,
        }
    })
}

fn ct_tuple() -> impl Strategy<Value = CtTuple> {
    let v4 = any::<[u8; 4]>().prop_map(|a| {
        let mut addr = [0u8; 16];
        addr[10] = 0xff;
        addr[11] = 0xff;
        addr[12..].copy_from_slice(&a);
        addr
    });
    (v4.clone(), v4, any::<u16>(), any::<u16>()).prop_map(|(src, dst, src_port, dst_port)| {
        CtTuple {
            src,
            dst,
            src_port,
            dst_port,
            ..CtTuple::default()
        }
    })
}

fn nicira() -> impl Strategy<Value = NxMessage> {
    prop_oneof![
        any::<bool>().prop_map(|enable| NxMessage::FlowModTableId { enable }),
        prop_oneof![
            Just(PacketInFormat::Standard),
            Just(PacketInFormat::NxtPacketIn),
            Just(PacketInFormat::NxtPacketIn2)
        ]
        .prop_map(NxMessage::SetPacketInFormat),
        any::<u16>().prop_map(|controller_id| NxMessage::SetControllerId { controller_id }),
        any::<u16>().prop_map(|zone_id| NxMessage::CtFlushZone { zone_id }),
        (
            prop_oneof![Just(6u8), Just(17u8)],
            ct_tuple(),
            ct_tuple(),
            any::<Option<u16>>()
        )
            .prop_map(|(ip_proto, orig, reply, zone_id)| {
                NxMessage::CtFlush(CtFlush {
                    ip_proto,
                    orig,
                    reply,
                    zone_id,
                })
            }),
    ]
}

fn mp_request() -> impl Strategy<Value = MpRequest> {
    prop_oneof![
        Just(MpRequest::Desc),
        Just(MpRequest::Table),
        Just(MpRequest::GroupDesc),
        Just(MpRequest::GroupFeatures),
        Just(MpRequest::MeterFeatures),
        Just(MpRequest::PortDesc),
        port_no().prop_map(|port_no| MpRequest::PortStats { port_no }),
        (port_no(), any::<u32>())
            .prop_map(|(port_no, queue_id)| MpRequest::Queue { port_no, queue_id }),
        any::<u32>().prop_map(|group_id| MpRequest::Group { group_id }),
        any::<u32>().prop_map(|meter_id| MpRequest::Meter { meter_id }),
        any::<u32>().prop_map(|meter_id| MpRequest::MeterConfig { meter_id }),
        vec(table_features(), 0..3).prop_map(MpRequest::TableFeatures),
    ]
}

fn table_features() -> impl Strategy<Value = TableFeatures> {
    (
        any::<u8>(),
        "[a-z]{0,31}",
        any::<[u64; 2]>(),
        any::<[u32; 2]>(),
    )
        .prop_map(|(table_id, name, m, c)| TableFeatures {
            table_id,
            name,
            metadata_match: m[0],
            metadata_write: m[1],
            config: c[0],
            max_entries: c[1],
            // The eight properties OVS requires, empty.
            properties: (0u8..16)
                .step_by(2)
                .flat_map(|t| [0, t, 0, 4, 0, 0, 0, 0])
                .collect(),
        })
}

fn mp_reply() -> impl Strategy<Value = MpReply> {
    prop_oneof![
        (
            "[ -~]{0,255}",
            "[ -~]{0,255}",
            "[ -~]{0,255}",
            "[ -~]{0,31}",
            "[ -~]{0,255}"
        )
            .prop_map(|(a, b, c, d, e)| {
                MpReply::Desc(Desc {
                    mfr_desc: a,
                    hw_desc: b,
                    sw_desc: c,
                    serial_num: d,
                    dp_desc: e,
                })
            }),
        (any::<u64>(), any::<u64>(), any::<u32>()).prop_map(
            |(packet_count, byte_count, flow_count)| MpReply::Aggregate(AggregateStats {
                packet_count,
                byte_count,
                flow_count
            })
        ),
        vec(
            (any::<u8>(), any::<u32>(), any::<u64>(), any::<u64>()),
            0..4
        )
        .prop_map(|v| MpReply::Table(
            v.into_iter()
                .map(
                    |(table_id, active_count, lookup_count, matched_count)| TableStats {
                        table_id,
                        active_count,
                        lookup_count,
                        matched_count
                    }
                )
                .collect()
        )),
        vec((port_no(), any::<[u64; 12]>(), any::<[u32; 2]>()), 0..3).prop_map(|v| {
            MpReply::PortStats(
                v.into_iter()
                    .map(|(port_no, c, d)| PortStats {
                        port_no,
                        rx_packets: c[0],
                        tx_packets: c[1],
                        rx_bytes: c[2],
                        tx_bytes: c[3],
                        rx_dropped: c[4],
                        tx_dropped: c[5],
                        rx_errors: c[6],
                        tx_errors: c[7],
                        rx_frame_err: c[8],
                        rx_over_err: c[9],
                        rx_crc_err: c[10],
                        collisions: c[11],
                        duration_sec: d[0],
                        duration_nsec: d[1],
                    })
                    .collect(),
            )
        }),
        vec(
            (
                port_no(),
                any::<u32>(),
                any::<[u64; 3]>(),
                any::<[u32; 2]>()
            ),
            0..3
        )
        .prop_map(|v| MpReply::Queue(
            v.into_iter()
                .map(|(port_no, queue_id, c, d)| QueueStats {
                    port_no,
                    queue_id,
                    tx_bytes: c[0],
                    tx_packets: c[1],
                    tx_errors: c[2],
                    duration_sec: d[0],
                    duration_nsec: d[1],
                })
                .collect()
        )),
        vec(
            (
                any::<[u32; 4]>(),
                any::<[u64; 2]>(),
                vec(any::<(u64, u64)>(), 0..3)
            ),
            0..3
        )
        .prop_map(|v| MpReply::Group(
            v.into_iter()
                .map(|(a, c, buckets)| GroupStats {
                    group_id: a[0],
                    ref_count: a[1],
                    packet_count: c[0],
                    byte_count: c[1],
                    duration_sec: a[2],
                    duration_nsec: a[3],
                    buckets,
                })
                .collect()
        )),
        (any::<[u32; 2]>(), any::<[u32; 4]>(), any::<[u32; 4]>()).prop_map(
            |(a, max_groups, actions)| MpReply::GroupFeatures(GroupFeatures {
                types: a[0],
                capabilities: a[1],
                max_groups,
                actions
            })
        ),
        vec(
            (
                any::<[u32; 4]>(),
                any::<[u64; 2]>(),
                vec(any::<(u64, u64)>(), 0..3)
            ),
            0..3
        )
        .prop_map(|v| MpReply::Meter(MeterStatsList(
            v.into_iter()
                .map(|(a, c, bands)| MeterStats {
                    meter_id: a[0],
                    flow_count: a[1],
                    packet_in_count: c[0],
                    byte_in_count: c[1],
                    duration_sec: a[2],
                    duration_nsec: a[3],
                    bands,
                })
                .collect()
        ))),
        vec(meter_config(), 0..3).prop_map(|v| MpReply::MeterConfig(MeterConfigs(v))),
        (any::<[u32; 3]>(), any::<[u8; 2]>()).prop_map(|(a, b)| MpReply::MeterFeatures(
            MeterFeatures {
                max_meter: a[0],
                band_types: a[1],
                capabilities: a[2],
                max_bands: b[0],
                max_color: b[1]
            }
        )),
        vec(table_features(), 1..3).prop_map(MpReply::TableFeatures),
        vec(port(), 0..3).prop_map(MpReply::PortDesc),
    ]
}

fn message() -> impl Strategy<Value = Message> {
    let simple = prop_oneof![
        Just(Message::FeaturesRequest),
        Just(Message::GetConfigRequest),
        Just(Message::BarrierRequest),
        Just(Message::BarrierReply),
        Just(Message::GetAsyncRequest),
        any::<u32>().prop_map(|bits| Message::Hello(Hello::with_versions(bits))),
        (
            proptest::sample::select(
                OfpError::all()
                    .filter(|e| e.is_encodable())
                    .collect::<Vec<_>>()
            ),
            vec(any::<u8>(), 0..64)
        )
            .prop_map(|(error, data)| Message::Error(ErrorMsg { error, data })),
        vec(any::<u8>(), 0..32).prop_map(|data| Message::EchoRequest(Echo { data })),
        vec(any::<u8>(), 0..32).prop_map(|data| Message::EchoReply(Echo { data })),
        (
            any::<u64>(),
            any::<u32>(),
            any::<[u8; 2]>(),
            any::<[u32; 2]>()
        )
            .prop_map(|(datapath_id, n_buffers, t, c)| {
                Message::FeaturesReply(FeaturesReply {
                    datapath_id,
                    n_buffers,
                    n_tables: t[0],
                    auxiliary_id: t[1],
                    capabilities: c[0],
                    reserved: c[1],
                })
            }),
    ];
    let config = (
        prop_oneof![
            Just(FragMode::Normal),
            Just(FragMode::Drop),
            Just(FragMode::Reassemble),
            Just(FragMode::NxMatch)
        ],
        any::<u16>(),
    )
        .prop_map(|(frag, miss_send_len)| SwitchConfig {
            frag,
            miss_send_len,
        });
    let role = (
        prop_oneof![
            Just(ControllerRole::NoChange),
            Just(ControllerRole::Equal),
            Just(ControllerRole::Primary),
            Just(ControllerRole::Secondary)
        ],
        any::<u64>(),
    )
        .prop_map(|(role, generation_id)| Role {
            role,
            generation_id,
        });
    let async_config = any::<[u32; 6]>().prop_map(|m| AsyncConfig {
        packet_in_mask: [m[0], m[1]],
        port_status_mask: [m[2], m[3]],
        flow_removed_mask: [m[4], m[5]],
    });
    let structured = prop_oneof![
        config.clone().prop_map(Message::GetConfigReply),
        config.prop_map(Message::SetConfig),
        role.clone().prop_map(Message::RoleRequest),
        role.prop_map(Message::RoleReply),
        async_config.clone().prop_map(Message::GetAsyncReply),
        async_config.prop_map(Message::SetAsync),
        (any::<u8>(), any::<u32>())
            .prop_map(|(table_id, config)| Message::TableMod(TableMod { table_id, config })),
        (
            prop_oneof![
                Just(PortReason::Add),
                Just(PortReason::Delete),
                Just(PortReason::Modify)
            ],
            port()
        )
            .prop_map(|(reason, desc)| Message::PortStatus(PortStatus { reason, desc })),
        (port_no(), any::<[u8; 6]>(), any::<[u32; 3]>()).prop_map(|(port_no, hw_addr, v)| {
            Message::PortMod(PortMod {
                port_no,
                hw_addr,
                config: v[0],
                mask: v[1],
                advertise: v[2],
            })
        }),
        prop_oneof![0u32..0xff00, Just(u32::MAX)]
            .prop_map(|port| Message::QueueGetConfigRequest(QueueGetConfigRequest { port })),
        (
            port_no(),
            vec(
                (
                    any::<u32>(),
                    port_no(),
                    any::<Option<u16>>(),
                    any::<Option<u16>>()
                ),
                0..3
            )
        )
            .prop_map(|(port, q)| {
                let queues = q
                    .into_iter()
                    .map(|(queue_id, port, min_rate, max_rate)| Queue {
                        queue_id,
                        port,
                        min_rate,
                        max_rate,
                    })
                    .collect();
                Message::QueueGetConfigReply(QueueGetConfigReply { port, queues })
            }),
        (
            prop_oneof![
                Just(MeterCommand::Add),
                Just(MeterCommand::Modify),
                Just(MeterCommand::Delete)
            ],
            meter_config()
        )
            .prop_map(|(command, mut config)| {
                // A delete carries the meter id alone.
                if command == MeterCommand::Delete {
                    config.flags = 0;
                    config.bands.clear();
                }
                Message::MeterMod(MeterMod { command, config })
            }),
        nicira().prop_map(Message::Nicira),
        (any::<u16>(), mp_request())
            .prop_map(|(flags, body)| Message::MultipartRequest(MultipartRequest { flags, body })),
        (any::<u16>(), mp_reply())
            .prop_map(|(flags, body)| Message::MultipartReply(MultipartReply { flags, body })),
    ];
    prop_oneof![simple, structured]
}

proptest! {
    #[test]
    fn encoded_messages_decode_to_themselves(message in message(), xid in any::<u32>()) {
        let mut out = BytesMut::new();
        message.encode(xid, &mut out);
        let decoded = Message::decode(&out);
        prop_assert_eq!(decoded.map(|(h, m)| (h.xid, m)), Ok((xid, message)));
    }

    #[test]
    fn decoding_and_printing_arbitrary_bytes_never_panics(bytes in vec(any::<u8>(), 0..200)) {
        let _ = Message::decode(&bytes);
        let _ = super::print::ofp_to_string(&bytes);
    }

    #[test]
    fn decoding_mutated_valid_messages_never_panics(message in message(), flips in vec((any::<usize>(), any::<u8>()), 1..4)) {
        let mut out = BytesMut::new();
        message.encode(1, &mut out);
        let mut bytes = out.to_vec();
        for (at, value) in flips {
            let len = bytes.len();
            if let Some(b) = bytes.get_mut(at % len) {
                *b = value;
            }
        }
        let _ = Message::decode(&bytes);
        let _ = super::print::ofp_to_string(&bytes);
    }
}
