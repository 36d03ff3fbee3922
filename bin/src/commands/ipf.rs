//! The IP fragment reassembler of the daemon's connection tracker, as
//! `ovs-appctl dpctl/ipf-*` drives OVS's: `ipf-get-status [-m]`,
//! `ipf-set-enabled v4|v6`, `ipf-set-disabled v4|v6`, `ipf-set-min-frag v4|v6 N`,
//! `ipf-set-max-nfrags N`. Settings are checked as OVS 3.1 checks them
//! and refused with its wording.

use conntrack::Family;
use ctswitch::control::{IpfSetting, Request, Response};

use super::control::{ask, unexpected, SocketArg};
use super::CommandResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FamilyArg {
    V4,
    V6,
}

impl From<FamilyArg> for Family {
    fn from(f: FamilyArg) -> Family {
        match f {
            FamilyArg::V4 => Family::Ipv4,
            FamilyArg::V6 => Family::Ipv6,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Also list the fragment lists being reassembled.
    #[arg(short = 'm', long = "more")]
    pub more: bool,
    #[command(flatten)]
    pub socket: SocketArg,
}

#[derive(Debug, clap::Args)]
pub struct EnabledArgs {
    #[arg(value_enum)]
    pub family: FamilyArg,
    #[command(flatten)]
    pub socket: SocketArg,
}

#[derive(Debug, clap::Args)]
pub struct MinFragArgs {
    #[arg(value_enum)]
    pub family: FamilyArg,
    /// The smallest fragment other than the last, IP header included
    /// (at least 400; defaults 1200 for v4, 1280 for v6).
    pub size: u32,
    #[command(flatten)]
    pub socket: SocketArg,
}

#[derive(Debug, clap::Args)]
pub struct MaxFragsArgs {
    /// The most fragments held at once, both families together (at most
    /// 5000; default 1000).
    pub max: u32,
    #[command(flatten)]
    pub socket: SocketArg,
}

pub fn status(args: StatusArgs) -> CommandResult {
    print_text(&args.socket, &Request::IpfStatus { more: args.more })
}

/// `ipf-set-enabled` (`enabled`) or `ipf-set-disabled`.
pub fn set_enabled(args: EnabledArgs, enabled: bool) -> CommandResult {
    let setting = IpfSetting::Enabled {
        family: args.family.into(),
        enabled,
    };
    print_text(&args.socket, &Request::IpfSet(setting))
}

pub fn set_min_frag(args: MinFragArgs) -> CommandResult {
    let setting = IpfSetting::MinFrag {
        family: args.family.into(),
        size: args.size,
    };
    print_text(&args.socket, &Request::IpfSet(setting))
}

pub fn set_max_frags(args: MaxFragsArgs) -> CommandResult {
    print_text(
        &args.socket,
        &Request::IpfSet(IpfSetting::MaxFrags { max: args.max }),
    )
}

fn print_text(socket: &SocketArg, request: &Request) -> CommandResult {
    match ask(socket, request)? {
        Response::Text { text } => {
            out!("{text}");
            Ok(())
        }
        other => Err(unexpected(&other).into()),
    }
}
