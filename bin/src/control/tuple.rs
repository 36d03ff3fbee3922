//! The arguments of `ovs-appctl dpctl/flush-conntrack` as text:
//! `[zone=N] [mark=X[/M]] [labels=Y[/M]] [ORIG-TUPLE [REPLY-TUPLE]]`, a
//! tuple being `ct_nw_src=IP,ct_nw_dst=IP,ct_nw_proto=N,ct_tp_src=N,
//! ct_tp_dst=N` (`ct_ipv6_src`/`ct_ipv6_dst` for IPv6; `icmp_id`,
//! `icmp_type`, `icmp_code` for ICMP), any field left out matching
//! everything.

use std::net::IpAddr;

use conntrack::{FlushFilter, Masked, TupleMatch};

/// Parses the arguments of a flush into the filter they describe.
pub fn parse_flush_filter<S: AsRef<str>>(args: &[S]) -> Result<FlushFilter, String> {
    let mut filter = FlushFilter::default();
    for arg in args.iter().map(AsRef::as_ref) {
        if let Some(zone) = arg.strip_prefix("zone=") {
            filter.zone = Some(number(arg, zone)?);
        } else if let Some(mark) = arg.strip_prefix("mark=") {
            filter.mark = Some(masked(arg, mark, u32::MAX)?);
        } else if let Some(labels) = arg.strip_prefix("labels=") {
            filter.labels = Some(masked(arg, labels, u128::MAX)?);
        } else if filter.orig.is_none() {
            filter.orig = Some(tuple(arg, &mut filter.proto)?);
        } else if filter.reply.is_none() {
            filter.reply = Some(tuple(arg, &mut filter.proto)?);
        } else {
            return Err(format!("{arg}: more than two tuples"));
        }
    }
    Ok(filter)
}

/// One tuple; its `ct_nw_proto` goes to the filter's protocol, which both
/// tuples must agree on.
fn tuple(text: &str, proto: &mut Option<u8>) -> Result<TupleMatch, String> {
    let mut t = TupleMatch::default();
    for field in text.split(',').filter(|f| !f.is_empty()) {
        let (name, value) = field
            .split_once('=')
            .ok_or_else(|| format!("{field}: a tuple field is NAME=VALUE"))?;
        match name {
            "ct_nw_src" | "ct_ipv6_src" => t.src = Some(address(field, value)?),
            "ct_nw_dst" | "ct_ipv6_dst" => t.dst = Some(address(field, value)?),
            "ct_tp_src" => t.src_port = Some(number(field, value)?),
            "ct_tp_dst" => t.dst_port = Some(number(field, value)?),
            "icmp_id" => t.icmp_id = Some(number(field, value)?),
            "icmp_type" => t.icmp_type = Some(number(field, value)?),
            "icmp_code" => t.icmp_code = Some(number(field, value)?),
            "ct_nw_proto" => {
                let p = number(field, value)?;
                if proto.is_some_and(|old| old != p) {
                    return Err(format!("{field}: the tuples name different protocols"));
                }
                *proto = Some(p);
            }
            _ => return Err(format!("{field}: unknown tuple field {name}")),
        }
    }
    Ok(t)
}

fn address(field: &str, value: &str) -> Result<IpAddr, String> {
    value
        .parse()
        .map_err(|_| format!("{field}: {value} is not an IP address"))
}

/// A decimal or `0x` hexadecimal number that fits `T`.
fn number<T: TryFrom<u128>>(field: &str, value: &str) -> Result<T, String> {
    let parsed = match value.strip_prefix("0x") {
        Some(hex) => u128::from_str_radix(hex, 16),
        None => value.parse(),
    };
    parsed
        .ok()
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| format!("{field}: {value} is not a number in range"))
}

fn masked<T: TryFrom<u128> + Copy>(field: &str, text: &str, all: T) -> Result<Masked<T>, String> {
    let (value, mask) = match text.split_once('/') {
        Some((v, m)) => (number(field, v)?, number(field, m)?),
        None => (number(field, text)?, all),
    };
    Ok(Masked { value, mask })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_and_a_full_tcp_tuple() {
        let f = parse_flush_filter(&[
            "zone=5",
            "ct_nw_src=10.0.0.1,ct_nw_dst=10.0.0.2,ct_nw_proto=6,ct_tp_src=1234,ct_tp_dst=80",
        ])
        .unwrap();
        assert_eq!(f.zone, Some(5));
        assert_eq!(f.proto, Some(6));
        let orig = f.orig.unwrap();
        assert_eq!(orig.src, Some("10.0.0.1".parse().unwrap()));
        assert_eq!(orig.dst_port, Some(80));
        assert_eq!(f.reply, None);
    }

    #[test]
    fn nothing_flushes_everything_and_marks_take_masks() {
        assert_eq!(
            parse_flush_filter::<&str>(&[]).unwrap(),
            FlushFilter::default()
        );
        let f = parse_flush_filter(&["mark=0x10/0xf0"]).unwrap();
        assert_eq!(
            f.mark,
            Some(Masked {
                value: 0x10,
                mask: 0xf0
            })
        );
    }

    #[test]
    fn bad_fields_are_named() {
        let err = parse_flush_filter(&["ct_nw_src=10.0.0.300"]).unwrap_err();
        assert!(err.contains("ct_nw_src=10.0.0.300"), "{err}");
        assert!(parse_flush_filter(&["zone=70000"]).is_err());
        assert!(parse_flush_filter(&["foo=1"]).is_err());
        assert!(parse_flush_filter(&["a=1", "b=2", "c=3"]).is_err());
    }
}
