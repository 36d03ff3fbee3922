//! The lines of an `ovs-scenario` report that need more than printing:
//! a pipeline pass's ct metadata as `dpif_netdev` logs it, rules as
//! `dump-flows` lists them (statistics stripped, sorted), and the final
//! masking of `let`-bound values as `<NAME>`.

use std::net::{Ipv4Addr, Ipv6Addr};

use nxm_fields::format::CT_STATE_FLAGS;
use nxm_fields::layout as l;
use nxm_fields::Flow;

const ETH_TYPE_IPV6: u128 = 0x86dd;

/// The flow's ct_state as the report prints it: `new|trk`, or `0`.
pub fn ct_state_text(flow: &Flow) -> String {
    let state = flow.get(l::CT_STATE);
    let bits: Vec<&str> = CT_STATE_FLAGS
        .iter()
        .filter(|(bit, _)| state & bit != 0)
        .map(|(_, name)| *name)
        .collect();
    if bits.is_empty() {
        "0".into()
    } else {
        bits.join("|")
    }
}

/// `ct_state=..[ ct_zone=..][ ct_mark=..][ ct_label=..][ ct_tuple=(..)]`
/// of the flow a pass was looked up with.
pub fn pass_metadata(flow: &Flow) -> String {
    let mut s = format!("ct_state={}", ct_state_text(flow));
    let zone = flow.get(l::CT_ZONE);
    if zone != 0 {
        s.push_str(&format!(" ct_zone={zone}"));
    }
    let mark = flow.get(l::CT_MARK);
    if mark != 0 {
        s.push_str(&format!(" ct_mark={mark:#x}"));
    }
    let label = flow.get(l::CT_LABEL);
    if label != 0 {
        s.push_str(&format!(" ct_label={label:#x}"));
    }
    let proto = flow.get(l::CT_NW_PROTO);
    if proto != 0 {
        // ODP names the ports differently in ct_tuple4 and ct_tuple6.
        let (src, dst, ports) = if flow.get(l::ETH_TYPE) == ETH_TYPE_IPV6 {
            (
                Ipv6Addr::from(flow.get(l::CT_IPV6_SRC)).to_string(),
                Ipv6Addr::from(flow.get(l::CT_IPV6_DST)).to_string(),
                ["src_port", "dst_port"],
            )
        } else {
            (
                Ipv4Addr::from(flow.get(l::CT_NW_SRC) as u32).to_string(),
                Ipv4Addr::from(flow.get(l::CT_NW_DST) as u32).to_string(),
                ["tp_src", "tp_dst"],
            )
        };
        s.push_str(&format!(
            " ct_tuple=(src={src},dst={dst},proto={proto},{}={},{}={})",
            ports[0],
            flow.get(l::CT_TP_SRC),
            ports[1],
            flow.get(l::CT_TP_DST)
        ));
    }
    s
}

/// Removes `key=value, ` (value up to the next comma) for each of `keys`
/// from a dump-flows line.
fn strip_keys(line: &str, keys: &[&str]) -> String {
    let mut out = line.trim().to_string();
    for key in keys {
        let pat = format!("{key}=");
        let mut from = 0;
        while let Some(at) = out[from..].find(&pat).map(|i| i + from) {
            let at_word_start = at == 0 || !is_word(out.as_bytes()[at - 1]);
            let end = out[at..].find(',').map(|i| at + i + 1);
            match end {
                Some(mut end) if at_word_start => {
                    if out.as_bytes().get(end) == Some(&b' ') {
                        end += 1;
                    }
                    out.replace_range(at..end, "");
                }
                _ => from = at + pat.len(),
            }
        }
    }
    out
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// A dump-flows line as the report lists it: ages and durations removed.
pub fn dump_line(line: &str) -> String {
    strip_keys(line, &["duration", "idle_age", "hard_age"])
}

/// A rule as a `hit` line names it: statistics (and a zero cookie) removed.
pub fn rule_text(line: &str) -> String {
    let mut s = line.trim().to_string();
    if let Some(rest) = s.strip_prefix("cookie=0x0, ") {
        s = rest.to_string();
    }
    let s = strip_keys(
        &s,
        &["duration", "n_packets", "n_bytes", "idle_age", "hard_age"],
    );
    s.trim().trim_end_matches(',').to_string()
}

/// The number after `key=` in `line`.
pub fn number_after(line: &str, key: &str) -> Option<u64> {
    let at = line.find(&format!("{key}="))? + key.len() + 1;
    let digits: String = line[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Sorts rule lines as the report does: by table, then highest priority
/// first (32768 when none is shown), then text.
pub fn sort_rules(lines: &mut [String]) {
    lines.sort_by_key(|line| {
        (
            number_after(line, "table").unwrap_or(0),
            std::cmp::Reverse(number_after(line, "priority").unwrap_or(32768)),
            line.clone(),
        )
    });
}

/// Replaces every `word=VALUE` (VALUE followed by `,`, `)`, white space or
/// the end of a line; word not starting with n_packets or n_bytes) by
/// `word=<NAME>`, for each binding in order.
pub fn mask(text: &str, bindings: &[(String, String)]) -> String {
    let mut text = text.to_string();
    for (name, value) in bindings {
        if value.is_empty() {
            continue;
        }
        let pat = format!("={value}");
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(at) = rest.find(&pat) {
            let before = &rest[..at];
            let word_len = before.bytes().rev().take_while(|b| is_word(*b)).count();
            let word = &before[before.len() - word_len..];
            let after = rest[at + pat.len()..].chars().next();
            let ends = after.is_none_or(|c| c == ',' || c == ')' || c.is_whitespace());
            let ok = word_len > 0
                && ends
                && !word.starts_with("n_packets")
                && !word.starts_with("n_bytes");
            out.push_str(before);
            if ok {
                out.push_str(&format!("=<{name}>"));
            } else {
                out.push_str(&pat);
            }
            rest = &rest[at + pat.len()..];
        }
        out.push_str(rest);
        text = out;
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use nxm_fields::Value;

    #[test]
    fn pass_lines_are_printed_as_the_ovs_report_prints_them() {
        let mut f = Flow::zero();
        assert_eq!(pass_metadata(&f), "ct_state=0");
        f.set(l::ETH_TYPE, 0x0800);
        f.set(l::CT_STATE, 0x2a);
        f.set(l::CT_ZONE, 5);
        f.set(l::CT_MARK, 5);
        f.set(l::CT_LABEL, 1);
        f.set(
            l::CT_NW_SRC,
            Value::from(u32::from(Ipv4Addr::new(10, 0, 0, 1))),
        );
        f.set(
            l::CT_NW_DST,
            Value::from(u32::from(Ipv4Addr::new(10, 0, 0, 2))),
        );
        f.set(l::CT_NW_PROTO, 17);
        f.set(l::CT_TP_SRC, 1000);
        f.set(l::CT_TP_DST, 2000);
        assert_eq!(
            pass_metadata(&f),
            "ct_state=est|rpl|trk ct_zone=5 ct_mark=0x5 ct_label=0x1 \
             ct_tuple=(src=10.0.0.1,dst=10.0.0.2,proto=17,tp_src=1000,tp_dst=2000)"
        );
    }

    #[test]
    fn dump_flows_lines_lose_ages_and_hits_lose_statistics() {
        let line = " cookie=0x0, duration=1.5s, table=1, n_packets=2, n_bytes=212, idle_age=0, priority=1 actions=drop";
        assert_eq!(
            dump_line(line),
            "cookie=0x0, table=1, n_packets=2, n_bytes=212, priority=1 actions=drop"
        );
        assert_eq!(rule_text(line), "table=1, priority=1 actions=drop");
        assert_eq!(
            rule_text("cookie=0x10, duration=0s, table=0, n_packets=0, n_bytes=0, priority=1 actions=drop"),
            "cookie=0x10, table=0, priority=1 actions=drop"
        );
        assert_eq!(number_after(line, "n_bytes"), Some(212));
    }

    #[test]
    fn rules_sort_by_table_then_priority_descending() {
        let mut rules = vec![
            "table=1, priority=5,ip actions=drop".to_string(),
            "table=0, priority=1 actions=drop".to_string(),
            "table=1, ip actions=drop".to_string(),
            "table=0, priority=100,ip actions=drop".to_string(),
        ];
        sort_rules(&mut rules);
        assert_eq!(
            rules,
            [
                "table=0, priority=100,ip actions=drop",
                "table=0, priority=1 actions=drop",
                "table=1, ip actions=drop",
                "table=1, priority=5,ip actions=drop"
            ]
        );
    }

    #[test]
    fn let_values_are_masked_where_a_field_has_them() {
        let b = vec![("p".to_string(), "1312".to_string())];
        assert_eq!(
            mask(
                "tp_src=1312,dport=1312) x=13120 n_bytes=1312\nsport=1312\n",
                &b
            ),
            "tp_src=<p>,dport=<p>) x=13120 n_bytes=1312\nsport=<p>\n"
        );
    }
}
