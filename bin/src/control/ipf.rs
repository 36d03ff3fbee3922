//! Settings of the IP fragment reassembler, as `ovs-appctl
//! dpctl/ipf-set-*` takes and answers them in OVS 3.1: applied by the
//! daemon for the control socket and by the scenario switch for `appctl`
//! lines.

use conntrack::ipf::Ipf;
use conntrack::Family;

use super::IpfSetting;

/// The setters, with the fewest arguments each takes (after an optional
/// datapath name).
const SETTERS: [(&str, usize); 4] = [
    ("dpctl/ipf-set-enabled", 1),
    ("dpctl/ipf-set-disabled", 1),
    ("dpctl/ipf-set-min-frag", 2),
    ("dpctl/ipf-set-max-nfrags", 1),
];

impl IpfSetting {
    /// Applies the setting to `ipf`: the line ovs-appctl prints on
    /// success, or the reason OVS 3.1 gives for a refusal.
    pub fn apply(self, ipf: &Ipf) -> Result<String, String> {
        let done = |what: &str| format!("{what} successful\n");
        match self {
            IpfSetting::Enabled { family, enabled } => {
                ipf.set_enabled(family, enabled);
                Ok(done(if enabled {
                    "enabling fragmentation reassembly"
                } else {
                    "disabling fragmentation reassembly"
                }))
            }
            IpfSetting::MinFrag { family, size } => ipf
                .set_min_frag(family, size)
                .map(|()| done("setting minimum fragment size"))
                .map_err(|e| e.to_string()),
            IpfSetting::MaxFrags { max } => ipf
                .set_max_frags(max)
                .map(|()| done("setting maximum fragments"))
                .map_err(|e| e.to_string()),
        }
    }

    /// The setting `ovs-appctl COMMAND ARGS` makes (`dpctl/ipf-set-enabled
    /// v4|v6`, `dpctl/ipf-set-disabled v4|v6`, `dpctl/ipf-set-min-frag
    /// v4|v6 N`, `dpctl/ipf-set-max-nfrags N`, each after an optional
    /// datapath name), or the line OVS 3.1 prints for bad arguments;
    /// `None` for other commands.
    pub fn from_appctl(command: &str, args: &[String]) -> Option<Result<IpfSetting, String>> {
        let (_, least) = SETTERS.iter().find(|(name, _)| *name == command)?;
        if args.len() < *least {
            return Some(Err(format!(
                "\"{command}\" command requires at least {least} arguments"
            )));
        }
        let family = |arg: Option<&String>| match arg.map(String::as_str) {
            Some("v4") => Some(Family::Ipv4),
            Some("v6") => Some(Family::Ipv6),
            _ => None,
        };
        let refuse = |why: &str| Err(format!("ovs-vswitchd: {why} (Invalid argument)"));
        let last = args.last();
        Some(match command {
            "dpctl/ipf-set-min-frag" => {
                let fam = args.len().checked_sub(2).and_then(|i| args.get(i));
                match (family(fam), last.and_then(|n| n.parse().ok())) {
                    (None, _) => refuse("parameter missing: v4 for IPv4 or v6 for IPv6"),
                    (_, None) => refuse("parameter missing for minimum fragment size"),
                    (Some(family), Some(size)) => Ok(IpfSetting::MinFrag { family, size }),
                }
            }
            "dpctl/ipf-set-max-nfrags" => match last.and_then(|n| n.parse().ok()) {
                Some(max) => Ok(IpfSetting::MaxFrags { max }),
                None => refuse("parameter missing for maximum fragments"),
            },
            _ => match family(last) {
                Some(family) => Ok(IpfSetting::Enabled {
                    family,
                    enabled: command == "dpctl/ipf-set-enabled",
                }),
                None => refuse("parameter missing: 'v4' for IPv4 or 'v6' for IPv6"),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(command: &str, args: &str) -> Option<Result<IpfSetting, String>> {
        let args: Vec<String> = args.split_whitespace().map(str::to_string).collect();
        IpfSetting::from_appctl(command, &args)
    }

    #[test]
    fn appctl_arguments_name_the_settings_or_get_ovs_words() {
        assert_eq!(
            parse("dpctl/ipf-set-disabled", "netdev@ovs-netdev v6"),
            Some(Ok(IpfSetting::Enabled {
                family: Family::Ipv6,
                enabled: false
            }))
        );
        assert_eq!(
            parse("dpctl/ipf-set-min-frag", "v4 1000"),
            Some(Ok(IpfSetting::MinFrag {
                family: Family::Ipv4,
                size: 1000
            }))
        );
        assert_eq!(
            parse("dpctl/ipf-set-max-nfrags", "500"),
            Some(Ok(IpfSetting::MaxFrags { max: 500 }))
        );
        // What OVS 3.1 answers (asked through ovs-appctl).
        for (command, args, says) in [
            (
                "dpctl/ipf-set-disabled",
                "v7",
                "ovs-vswitchd: parameter missing: 'v4' for IPv4 or 'v6' for IPv6 (Invalid argument)",
            ),
            (
                "dpctl/ipf-set-disabled",
                "",
                "\"dpctl/ipf-set-disabled\" command requires at least 1 arguments",
            ),
            (
                "dpctl/ipf-set-min-frag",
                "v4",
                "\"dpctl/ipf-set-min-frag\" command requires at least 2 arguments",
            ),
            (
                "dpctl/ipf-set-min-frag",
                "v4 abc",
                "ovs-vswitchd: parameter missing for minimum fragment size (Invalid argument)",
            ),
            (
                "dpctl/ipf-set-min-frag",
                "v5 500",
                "ovs-vswitchd: parameter missing: v4 for IPv4 or v6 for IPv6 (Invalid argument)",
            ),
            (
                "dpctl/ipf-set-max-nfrags",
                "abc",
                "ovs-vswitchd: parameter missing for maximum fragments (Invalid argument)",
            ),
        ] {
            assert_eq!(parse(command, args), Some(Err(says.to_string())), "{command} {args}");
        }
        assert_eq!(parse("dpctl/ipf-get-status", ""), None);
    }

    #[test]
    fn applied_settings_answer_as_ovs() {
        let ipf = Ipf::new();
        let off = IpfSetting::Enabled {
            family: Family::Ipv4,
            enabled: false,
        };
        assert_eq!(
            off.apply(&ipf),
            Ok("disabling fragmentation reassembly successful\n".to_string())
        );
        assert!(IpfSetting::MaxFrags { max: 9000 }.apply(&ipf).is_err());
    }
}
