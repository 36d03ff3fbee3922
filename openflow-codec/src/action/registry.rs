//! The one list of actions: for each action type, the wire types it decodes
//! from (OpenFlow type or Nicira/ONF subtype, with OVS's accepted lengths)
//! and the ovs-ofctl keywords that parse into it. The [`Action`] enum, the
//! [`Raw`] wire-type enum and the decode, encode, format, check and keyword
//! dispatch are all generated from this list.

use bytes::BytesMut;

use crate::error::OfpError;

use super::check::CheckCx;
use super::parse::ParseCx;
use super::text::ParseError;
use super::text::ParseResult;
use super::verify::WrittenField;
use super::wire::{Vendor, View, MAX_ACTION_LEN};
use super::{
    bundle, check_pkt_larger, clone, controller, ct, delete_field, encap, learn, legacy, mpls,
    multipath, nat, output, output_reg, reg_move, resubmit, sample, set_field, simple, stack, ttl,
    vlan,
};

/// What every action type provides. Decoding receives the action's whole
/// bytes (header included) after the generic length checks of its [`Raw`]
/// row; encoding appends the whole action.
pub(crate) trait ActionType: Sized {
    fn decode(raw: Raw, v: View<'_>, cx: &DecodeCx) -> Result<Self, OfpError>;
    fn encode(&self, out: &mut BytesMut);
    fn format(&self, out: &mut String);
    /// OVS's name for the action type (`ofpact_name()`), used in messages.
    fn ofpact_name(&self) -> &'static str;
    /// The field the action writes, for nesting rules.
    fn written_field(&self) -> Option<WrittenField> {
        None
    }
    /// Match-dependent checks (OVS's `check_*`); most actions have none.
    fn check(&mut self, _cx: &mut CheckCx) -> Result<(), ParseError> {
        Ok(())
    }
}

/// Decoding context: nesting depth, so that hostile input cannot recurse
/// without bound.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DecodeCx {
    pub depth: usize,
}

/// Parses the argument of one keyword, appending actions to the context.
pub(crate) type KeywordFn = fn(&str, &mut ParseCx<'_>) -> ParseResult<()>;

macro_rules! action_list {
    ($(
        $(#[$doc:meta])*
        $variant:ident($ty:ty) {
            wire: [$($raw:ident = $vendor:ident($code:literal, $min:literal..=$max:expr)),* $(,)?],
            text: [$($kw:literal => $parse:path),* $(,)?],
        }
    )*) => {
        /// One OpenFlow 1.3 or Nicira action, as it is on the wire.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Action {
            $( $(#[$doc])* $variant($ty), )*
        }

        $( impl From<$ty> for Action {
            fn from(a: $ty) -> Self {
                Action::$variant(a)
            }
        } )*

        /// Every wire type we decode, named as OVS names them (`NXAST_CT` is
        /// `Raw::NxCt`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Raw {
            $( $( $raw, )* )*
        }

        impl Raw {
            pub const ALL: &'static [Raw] = &[ $( $( Raw::$raw, )* )* ];

            /// Who defines the type, and its type or subtype number.
            pub fn wire(self) -> (Vendor, u16) {
                match self { $( $( Raw::$raw => (Vendor::$vendor, $code), )* )* }
            }

            /// The shortest length OVS accepts (also what we emit for
            /// fixed-length actions).
            pub fn min_len(self) -> u16 {
                match self { $( $( Raw::$raw => $min, )* )* }
            }

            /// The longest length OVS accepts.
            pub fn max_len(self) -> u16 {
                match self { $( $( Raw::$raw => $max, )* )* }
            }

            pub fn lookup(vendor: Vendor, code: u16) -> Option<Raw> {
                Raw::ALL.iter().copied().find(|r| r.wire() == (vendor, code))
            }
        }

        impl Action {
            pub(crate) fn decode(raw: Raw, v: View<'_>, cx: &DecodeCx) -> Result<Action, OfpError> {
                match raw {
                    $( $( Raw::$raw )|* => <$ty as ActionType>::decode(raw, v, cx).map(Action::$variant), )*
                }
            }

            pub(crate) fn encode(&self, out: &mut BytesMut) {
                match self { $( Action::$variant(a) => a.encode(out), )* }
            }

            pub(crate) fn format(&self, out: &mut String) {
                match self { $( Action::$variant(a) => a.format(out), )* }
            }

            pub(crate) fn ofpact_name(&self) -> &'static str {
                match self { $( Action::$variant(a) => a.ofpact_name(), )* }
            }

            pub(crate) fn written_field(&self) -> Option<WrittenField> {
                match self { $( Action::$variant(a) => a.written_field(), )* }
            }

            pub(crate) fn check(&mut self, cx: &mut CheckCx) -> Result<(), ParseError> {
                match self { $( Action::$variant(a) => a.check(cx), )* }
            }
        }

        /// Every action keyword ovs-ofctl accepts, and its parser.
        pub(crate) const KEYWORDS: &[(&str, KeywordFn)] = &[ $( $( ($kw, $parse), )* )* ];
    };
}

const VAR: u16 = MAX_ACTION_LEN;

action_list! {
    /// `output:PORT` (OFPAT_OUTPUT).
    Output(output::Output) {
        wire: [Of11Output = Of(0, 16..=16)],
        text: ["output" => output::parse_output, "enqueue" => output::parse_enqueue],
    }
    /// `output:SUBFIELD` (NXAST_OUTPUT_REG, NXAST_OUTPUT_REG2).
    OutputReg(output_reg::OutputReg) {
        wire: [NxOutputReg = Nx(15, 24..=24), NxOutputReg2 = Nx(32, 24..=24)],
        text: [],
    }
    /// `output(port=P,max_len=N)` (NXAST_OUTPUT_TRUNC).
    OutputTrunc(output::OutputTrunc) {
        wire: [NxOutputTrunc = Nx(39, 16..=16)],
        text: [],
    }
    /// `controller(...)` (NXAST_CONTROLLER, NXAST_CONTROLLER2).
    Controller(controller::Controller) {
        wire: [NxController = Nx(20, 16..=16), NxController2 = Nx(37, 16..=VAR)],
        text: ["controller" => controller::parse_controller],
    }
    /// `group:ID` (OFPAT_GROUP).
    Group(simple::Group) {
        wire: [OfGroup = Of(22, 8..=8)],
        text: ["group" => simple::parse_group],
    }
    /// `set_queue:Q` (OFPAT_SET_QUEUE).
    SetQueue(simple::SetQueue) {
        wire: [OfSetQueue = Of(21, 8..=8)],
        text: ["set_queue" => simple::parse_set_queue],
    }
    /// `pop_queue` (NXAST_POP_QUEUE).
    PopQueue(simple::PopQueue) {
        wire: [NxPopQueue = Nx(5, 16..=16)],
        text: ["pop_queue" => simple::parse_pop_queue],
    }
    /// `push_vlan:ETHERTYPE` (OFPAT_PUSH_VLAN).
    PushVlan(vlan::PushVlan) {
        wire: [Of11PushVlan = Of(17, 8..=8)],
        text: ["push_vlan" => vlan::parse_push_vlan],
    }
    /// `pop_vlan` / `strip_vlan` (OFPAT_POP_VLAN).
    PopVlan(vlan::PopVlan) {
        wire: [Of11PopVlan = Of(18, 8..=8)],
        text: ["strip_vlan" => vlan::parse_pop_vlan, "pop_vlan" => vlan::parse_pop_vlan],
    }
    /// OpenFlow 1.1's set-VLAN-VID, deprecated in 1.3 but still decoded;
    /// `set_vlan_vid:N`/`mod_vlan_vid:N`.
    SetVlanVid(vlan::SetVlanVid) {
        wire: [Of11SetVlanVid = Of(1, 8..=8)],
        text: ["set_vlan_vid" => vlan::parse_set_vlan_vid,
               "mod_vlan_vid" => vlan::parse_mod_vlan_vid],
    }
    /// OpenFlow 1.1's set-VLAN-PCP, deprecated in 1.3 but still decoded;
    /// `set_vlan_pcp:N`/`mod_vlan_pcp:N`.
    SetVlanPcp(vlan::SetVlanPcp) {
        wire: [Of11SetVlanPcp = Of(2, 8..=8)],
        text: ["set_vlan_pcp" => vlan::parse_set_vlan_pcp,
               "mod_vlan_pcp" => vlan::parse_mod_vlan_pcp],
    }
    /// OpenFlow 1.0/1.1 set actions (`mod_dl_src:` ... `set_mpls_tc(N)`).
    LegacySet(legacy::LegacySet) {
        wire: [OfSetDlSrc = Of(3, 16..=16), OfSetDlDst = Of(4, 16..=16),
               OfSetNwSrc = Of(5, 8..=8), OfSetNwDst = Of(6, 8..=8),
               OfSetNwTos = Of(7, 8..=8), Of11SetNwEcn = Of(8, 8..=8),
               OfSetTpSrc = Of(9, 8..=8), OfSetTpDst = Of(10, 8..=8),
               OfSetMplsLabel = Of(13, 8..=8), OfSetMplsTc = Of(14, 8..=8)],
        text: ["mod_dl_src" => legacy::parse_mod_dl_src, "mod_dl_dst" => legacy::parse_mod_dl_dst,
               "mod_nw_src" => legacy::parse_mod_nw_src, "mod_nw_dst" => legacy::parse_mod_nw_dst,
               "mod_nw_tos" => legacy::parse_mod_nw_tos, "mod_nw_ecn" => legacy::parse_mod_nw_ecn,
               "mod_tp_src" => legacy::parse_mod_tp_src, "mod_tp_dst" => legacy::parse_mod_tp_dst,
               "set_mpls_label" => legacy::parse_set_mpls_label,
               "set_mpls_tc" => legacy::parse_set_mpls_tc],
    }
    /// `set_field:V->F` (OFPAT_SET_FIELD); also what OpenFlow 1.3 sends for
    /// `set_tunnel:`.
    SetField(set_field::SetField) {
        wire: [OfSetField = Of(25, 8..=VAR)],
        text: ["set_field" => set_field::parse_set_field, "load" => set_field::parse_load,
               "set_tunnel" => set_field::parse_set_tunnel,
               "set_tunnel64" => set_field::parse_set_tunnel],
    }
    /// `load:V->SUBFIELD` (NXAST_REG_LOAD).
    RegLoad(set_field::RegLoad) {
        wire: [NxRegLoad = Nx(7, 24..=24)],
        text: [],
    }
    /// A masked set-field (NXAST_REG_LOAD2).
    RegLoad2(set_field::RegLoad2) {
        wire: [NxRegLoad2 = Nx(33, 16..=VAR)],
        text: [],
    }
    /// `move:SRC->DST` (NXAST_REG_MOVE).
    RegMove(reg_move::RegMove) {
        wire: [NxRegMove = Nx(6, 16..=VAR)],
        text: ["move" => reg_move::parse_move],
    }
    /// `push:SUBFIELD` / `pop:SUBFIELD` (NXAST_STACK_PUSH, NXAST_STACK_POP).
    Stack(stack::Stack) {
        wire: [NxStackPush = Nx(27, 24..=24), NxStackPop = Nx(28, 24..=24)],
        text: ["push" => stack::parse_push, "pop" => stack::parse_pop],
    }
    /// `push_mpls:ETHERTYPE` (OFPAT_PUSH_MPLS).
    PushMpls(mpls::PushMpls) {
        wire: [OfPushMpls = Of(19, 8..=8)],
        text: ["push_mpls" => mpls::parse_push_mpls],
    }
    /// `pop_mpls:ETHERTYPE` (OFPAT_POP_MPLS).
    PopMpls(mpls::PopMpls) {
        wire: [OfPopMpls = Of(20, 8..=8)],
        text: ["pop_mpls" => mpls::parse_pop_mpls],
    }
    /// `set_mpls_ttl(N)` (OFPAT_SET_MPLS_TTL).
    SetMplsTtl(mpls::SetMplsTtl) {
        wire: [OfSetMplsTtl = Of(15, 8..=8)],
        text: ["set_mpls_ttl" => mpls::parse_set_mpls_ttl],
    }
    /// `dec_mpls_ttl` (OFPAT_DEC_MPLS_TTL).
    DecMplsTtl(mpls::DecMplsTtl) {
        wire: [OfDecMplsTtl = Of(16, 8..=8)],
        text: ["dec_mpls_ttl" => mpls::parse_dec_mpls_ttl],
    }
    /// `mod_nw_ttl:N` (OFPAT_SET_NW_TTL).
    SetNwTtl(ttl::SetNwTtl) {
        wire: [Of11SetNwTtl = Of(23, 8..=8)],
        text: ["mod_nw_ttl" => ttl::parse_set_nw_ttl, "set_nw_ttl" => ttl::parse_set_nw_ttl],
    }
    /// `dec_ttl` / `dec_ttl(ID,...)` (OFPAT_DEC_NW_TTL, NXAST_DEC_TTL_CNT_IDS).
    DecTtl(ttl::DecTtl) {
        wire: [OfDecNwTtl = Of(24, 8..=8), NxDecTtlCntIds = Nx(21, 16..=VAR)],
        text: ["dec_ttl" => ttl::parse_dec_ttl],
    }
    /// `resubmit:PORT` / `resubmit([PORT],[TABLE][,ct])`.
    Resubmit(resubmit::Resubmit) {
        wire: [NxResubmit = Nx(1, 16..=16), NxResubmitTable = Nx(14, 16..=16),
               NxResubmitTableCt = Nx(44, 16..=16)],
        text: ["resubmit" => resubmit::parse_resubmit],
    }
    /// `note:HEX` (NXAST_NOTE).
    Note(simple::Note) {
        wire: [NxNote = Nx(8, 16..=VAR)],
        text: ["note" => simple::parse_note],
    }
    /// `exit` (NXAST_EXIT).
    Exit(simple::Exit) {
        wire: [NxExit = Nx(17, 16..=16)],
        text: ["exit" => simple::parse_exit],
    }
    /// `ct_clear` (NXAST_CT_CLEAR).
    CtClear(simple::CtClear) {
        wire: [NxCtClear = Nx(43, 16..=16)],
        text: ["ct_clear" => simple::parse_ct_clear],
    }
    /// `dec_nsh_ttl` (NXAST_DEC_NSH_TTL).
    DecNshTtl(simple::DecNshTtl) {
        wire: [NxDecNshTtl = Nx(48, 16..=16)],
        text: ["dec_nsh_ttl" => simple::parse_dec_nsh_ttl],
    }
    /// `debug_recirc`, `debug_slow` (NXAST_DEBUG_RECIRC, NXAST_DEBUG_SLOW):
    /// encoded, never decoded.
    Debug(simple::Debug) {
        wire: [NxDebugRecirc = Nx(255, 16..=16), NxDebugSlow = Nx(254, 16..=16)],
        text: ["debug_recirc" => simple::parse_debug_recirc,
               "debug_slow" => simple::parse_debug_slow],
    }
    /// `fin_timeout(idle_timeout=N,hard_timeout=N)` (NXAST_FIN_TIMEOUT).
    FinTimeout(simple::FinTimeout) {
        wire: [NxFinTimeout = Nx(19, 16..=16)],
        text: ["fin_timeout" => simple::parse_fin_timeout],
    }
    /// `set_tunnel:ID` / `set_tunnel64:ID` as decoded (OF1.3 text encodes
    /// them as set_field on tun_id).
    SetTunnel(simple::SetTunnel) {
        wire: [NxSetTunnel = Nx(2, 16..=16), NxSetTunnel64 = Nx(9, 24..=24)],
        text: [],
    }
    /// `conjunction(ID,K/N)` (NXAST_CONJUNCTION).
    Conjunction(simple::Conjunction) {
        wire: [NxConjunction = Nx(34, 16..=16)],
        text: ["conjunction" => simple::parse_conjunction],
    }
    /// `sample(...)` (NXAST_SAMPLE, NXAST_SAMPLE2, NXAST_SAMPLE3).
    Sample(sample::Sample) {
        wire: [NxSample = Nx(29, 24..=24), NxSample2 = Nx(38, 32..=32),
               NxSample3 = Nx(41, 32..=32)],
        text: ["sample" => sample::parse_sample],
    }
    /// `clone(ACTIONS)` (NXAST_CLONE).
    Clone(clone::Clone) {
        wire: [NxClone = Nx(42, 16..=VAR)],
        text: ["clone" => clone::parse_clone],
    }
    /// `ct(...)` (NXAST_CT), with its nested actions.
    Ct(ct::Ct) {
        wire: [NxCt = Nx(35, 24..=VAR)],
        text: ["ct" => ct::parse_ct],
    }
    /// `bundle(...)` and `bundle_load(...)` (NXAST_BUNDLE, NXAST_BUNDLE_LOAD).
    Bundle(bundle::Bundle) {
        wire: [NxBundle = Nx(12, 32..=VAR), NxBundleLoad = Nx(13, 32..=VAR)],
        text: ["bundle" => bundle::parse_bundle, "bundle_load" => bundle::parse_bundle_load],
    }
    /// `learn(...)` (NXAST_LEARN, NXAST_LEARN2).
    Learn(learn::Learn) {
        wire: [NxLearn = Nx(16, 32..=VAR), NxLearn2 = Nx(45, 40..=VAR)],
        text: ["learn" => learn::parse_learn],
    }
    /// `multipath(...)` (NXAST_MULTIPATH).
    Multipath(multipath::Multipath) {
        wire: [NxMultipath = Nx(10, 32..=32)],
        text: ["multipath" => multipath::parse_multipath],
    }
    /// `check_pkt_larger(LEN)->DST` (NXAST_CHECK_PKT_LARGER).
    CheckPktLarger(check_pkt_larger::CheckPktLarger) {
        wire: [NxCheckPktLarger = Nx(49, 24..=24)],
        text: ["check_pkt_larger" => check_pkt_larger::parse_check_pkt_larger],
    }
    /// `encap(HEADER)` (NXAST_ENCAP).
    Encap(encap::Encap) {
        wire: [NxEncap = Nx(46, 16..=VAR)],
        text: ["encap" => encap::parse_encap],
    }
    /// `decap(...)` (NXAST_DECAP).
    Decap(encap::Decap) {
        wire: [NxDecap = Nx(47, 16..=16)],
        text: ["decap" => encap::parse_decap],
    }
    /// `delete_field:FIELD` (NXAST_DELETE_FIELD).
    DeleteField(delete_field::DeleteField) {
        wire: [NxDeleteField = Nx(50, 24..=24)],
        text: ["delete_field" => delete_field::parse_delete_field],
    }
    /// `nat(...)` (NXAST_NAT); valid only inside `ct`.
    Nat(nat::Nat) {
        wire: [NxNat = Nx(36, 16..=VAR)],
        text: ["nat" => nat::parse_nat_keyword],
    }
}
