//! The connection tracker's settings: the global limit, zone limits
//! (`ZONE=N`, or `default=N` for every zone without its own) and zone
//! timeout policies (`ZONE:ATTR=SECS[,ATTR=SECS...]`, attributes named as
//! `ovs-vsctl add-zone-tp` names them, e.g. `5:tcp_established=60`).

use conntrack::{Conntrack, PolicyAttr, TimeoutPolicy};

/// Conntrack settings, checked and ready to apply.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CtConfig {
    /// The global limit (`None`: OVS's default of 3,000,000).
    pub limit: Option<u32>,
    /// Zone limits; zone `None` is the default for every zone.
    pub zone_limits: Vec<(Option<u16>, u32)>,
    /// Timeout policies, one per zone.
    pub timeout_policies: Vec<(u16, TimeoutPolicy)>,
}

impl CtConfig {
    /// Applies the settings to `ct`. A zone's policy gets the zone's
    /// number as its policy id.
    pub fn apply(&self, ct: &Conntrack) -> Result<(), String> {
        if let Some(limit) = self.limit {
            ct.set_global_limit(limit);
        }
        for &(zone, limit) in &self.zone_limits {
            match zone {
                Some(zone) => ct.set_zone_limit(zone, Some(limit)),
                None => ct.set_default_zone_limit(limit),
            }
        }
        for &(zone, policy) in &self.timeout_policies {
            ct.set_timeout_policy(u32::from(zone), policy)
                .map_err(|e| format!("zone {zone}: {e}"))?;
            ct.bind_zone_timeout_policy(zone, Some(u32::from(zone)));
        }
        Ok(())
    }
}

/// `ZONE=N` or `default=N`.
pub fn parse_zone_limit(spec: &str) -> Result<(Option<u16>, u32), String> {
    let (zone, limit) = spec
        .split_once('=')
        .ok_or_else(|| format!("{spec}: a zone limit is ZONE=N or default=N"))?;
    let zone = match zone {
        "default" => None,
        z => Some(
            z.parse()
                .map_err(|_| format!("{spec}: {z} is not a zone (0 to 65535)"))?,
        ),
    };
    let limit = limit
        .parse()
        .map_err(|_| format!("{spec}: {limit} is not a connection count"))?;
    Ok((zone, limit))
}

/// `ZONE:ATTR=SECS[,ATTR=SECS...]`.
pub fn parse_timeout_policy(spec: &str) -> Result<(u16, TimeoutPolicy), String> {
    let (zone, attrs) = spec
        .split_once(':')
        .ok_or_else(|| format!("{spec}: a timeout policy is ZONE:ATTR=SECS[,ATTR=SECS...]"))?;
    let zone = zone
        .parse()
        .map_err(|_| format!("{spec}: {zone} is not a zone (0 to 65535)"))?;
    let overrides = attrs
        .split(',')
        .map(|pair| {
            let (attr, secs) = pair
                .split_once('=')
                .ok_or_else(|| format!("{spec}: {pair} is not ATTR=SECS"))?;
            let attr: PolicyAttr = attr.parse().map_err(|e| format!("{spec}: {e}"))?;
            let secs = secs
                .parse()
                .map_err(|_| format!("{spec}: {secs} is not a number of seconds"))?;
            Ok((attr, secs))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let policy = TimeoutPolicy::with(&overrides).map_err(|e| format!("{spec}: {e}"))?;
    Ok((zone, policy))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_limits_and_the_default() {
        assert_eq!(parse_zone_limit("5=100").unwrap(), (Some(5), 100));
        assert_eq!(parse_zone_limit("default=10").unwrap(), (None, 10));
        assert!(parse_zone_limit("70000=1").is_err());
        assert!(parse_zone_limit("5").is_err());
    }

    #[test]
    fn timeout_policies_override_the_defaults() {
        let (zone, policy) = parse_timeout_policy("7:tcp_established=60,udp_first=5").unwrap();
        assert_eq!(zone, 7);
        assert_eq!(policy.get(PolicyAttr::TcpEstablished), 60);
        assert_eq!(policy.get(PolicyAttr::UdpFirst), 5);
        assert_eq!(policy.get(PolicyAttr::IcmpReply), 30);
        assert!(parse_timeout_policy("7:tcp_bogus=1")
            .unwrap_err()
            .contains("tcp_bogus"));
        assert!(parse_timeout_policy("7:tcp_established=0").is_err());
    }

    #[test]
    fn settings_reach_the_tracker() {
        let ct = Conntrack::new();
        let config = CtConfig {
            limit: Some(10),
            zone_limits: vec![(Some(3), 2)],
            timeout_policies: vec![parse_timeout_policy("3:icmp_first=9").unwrap()],
        };
        config.apply(&ct).unwrap();
        assert_eq!(ct.global_limit(), 10);
        assert_eq!(ct.zone_stats(3).limit, 2);
        assert_eq!(ct.timeout_policy(3).unwrap().get(PolicyAttr::IcmpFirst), 9);
    }
}
