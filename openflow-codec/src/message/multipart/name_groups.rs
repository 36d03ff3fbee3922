//! Shortens a list of field names the way ovs-ofctl 3.1 prints them in
//! table features: neighbours sharing a prefix up to `_` fold into
//! `prefix_{a,b}` (recursively), and three or more neighbours that differ
//! only by consecutive trailing numbers fold into `first...last`.

/// The names joined by `sep`, grouped.
pub fn group(names: &[&str], sep: &str) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < names.len() {
        let rest = names.get(i..).unwrap_or_default();
        let (text, used) = prefix_run(rest)
            .or_else(|| number_run(rest))
            .unwrap_or_else(|| (rest.first().copied().unwrap_or_default().to_string(), 1));
        parts.push(text);
        i += used;
    }
    parts.join(sep)
}

/// Two or more names starting with the same `word_`.
fn prefix_run(names: &[&str]) -> Option<(String, usize)> {
    let first = names.first()?;
    let cut = first.find('_')? + 1;
    let prefix = first.get(..cut)?;
    let suffixes: Vec<&str> = names
        .iter()
        .map_while(|n| n.strip_prefix(prefix))
        .filter(|s| !s.is_empty())
        .collect();
    (suffixes.len() >= 2).then(|| {
        (
            format!("{prefix}{{{}}}", group(&suffixes, ",")),
            suffixes.len(),
        )
    })
}

/// Three or more names `stemN`, `stemN+1`, ….
fn number_run(names: &[&str]) -> Option<(String, usize)> {
    let split = |name: &str| -> Option<(usize, u32)> {
        let stem_len = name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let number = name.get(stem_len..)?.parse().ok()?;
        Some((stem_len, number))
    };
    let first = names.first()?;
    let (stem_len, start) = split(first)?;
    let stem = first.get(..stem_len)?;
    let len = names
        .iter()
        .zip(start..)
        .take_while(|(n, want)| {
            n.get(..stem_len) == Some(stem)
                && split(n).is_some_and(|(l, k)| l == stem_len && k == *want)
        })
        .count();
    let last = names.get(len.checked_sub(1)?)?;
    (len >= 3).then(|| (format!("{first}...{last}"), len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_as_ovs_3_1_prints_them() {
        let names = [
            "tun_id",
            "tun_src",
            "tun_ipv6_src",
            "tun_ipv6_dst",
            "tun_metadata0",
            "tun_metadata1",
            "tun_metadata2",
            "metadata",
            "in_port",
            "in_port_oxm",
            "reg0",
            "reg1",
            "reg2",
            "nw_tos",
            "ip_dscp",
            "nw_ecn",
            "nw_ttl",
            "nsh_c1",
            "nsh_c2",
            "nsh_c3",
            "nsh_ttl",
        ];
        assert_eq!(
            group(&names, " "),
            "tun_{id,src,ipv6_{src,dst},metadata0...metadata2} metadata in_{port,port_oxm} \
             reg0...reg2 nw_tos ip_dscp nw_{ecn,ttl} nsh_{c1...c3,ttl}"
        );
        assert_eq!(
            group(&["tun_metadata0", "tun_metadata1"], " "),
            "tun_{metadata0,metadata1}"
        );
    }
}
