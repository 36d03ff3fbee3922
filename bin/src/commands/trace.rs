//! `ctswitch trace FLOW`: what the daemon's bridge does with a flow, as
//! `ovs-appctl ofproto/trace br0 FLOW` prints it: each table and rule,
//! the actions, the megaflow and the datapath actions, then each
//! conntrack recirculation. By default, as in OVS 3.1, the trace does not
//! consult the connection tracker: each ct resumes with the next
//! `--ct-next` state (default `trk,new`) and NAT is simulated. With
//! `--ct-live`, each ct runs on a copy of the daemon's connection table
//! (taken when the trace starts; the live table is not touched) and the
//! pass resumes with the ct_state, mark, label and NAT it really gives.

use ctswitch::control::{Request, Response};

use super::control::{ask, unexpected, SocketArg};
use super::CommandResult;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The bridge [default: the daemon's].
    #[arg(long)]
    pub bridge: Option<String>,
    /// The flow, in OpenFlow syntax with every field exact
    /// (e.g. in_port=p1,tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2,tp_dst=80,tcp_flags=syn).
    pub flow: String,
    /// A frame (hex) whose headers replace the flow's.
    pub packet: Option<String>,
    /// The ct_state each conntrack recirculation resumes with, in turn
    /// (e.g. trk,est); default trk,new.
    #[arg(long = "ct-next", value_name = "FLAGS", conflicts_with = "ct_live")]
    pub ct_next: Vec<String>,
    /// Run each ct on a copy of the daemon's connection tracker and
    /// resume with what it says (TCP windows of copied connections are
    /// not checked).
    #[arg(long)]
    pub ct_live: bool,
    #[command(flatten)]
    pub socket: SocketArg,
}

pub fn run(args: Args) -> CommandResult {
    let mut trace_args = vec![args.flow];
    for state in args.ct_next {
        trace_args.push("--ct-next".into());
        trace_args.push(state);
    }
    trace_args.extend(args.packet);
    let request = Request::Trace {
        bridge: args.bridge,
        args: trace_args,
        live: args.ct_live,
    };
    match ask(&args.socket, &request)? {
        Response::Text { text } => {
            out!("{text}");
            Ok(())
        }
        other => Err(unexpected(&other).into()),
    }
}
