//! The OpenFlow 1.3 `ofp_match` (OXM) encoding of a [`Match`].
//!
//! Encoding walks the match's storage in the order Open vSwitch emits it, so
//! that our bytes equal ovs-ofctl's: fields that share storage come out under
//! the name that fits the match (`tcp_dst` for TCP, `udp_dst` for UDP), and a
//! field whose prerequisites the match does not state is not emitted at all,
//! exactly as OVS normalises it. Decoding checks each TLV as OVS does: known
//! field, length, mask allowed, value in range, prerequisites already
//! matched, not a duplicate.

use bytes::{BufMut, BytesMut};

use crate::error::FieldError;
use crate::flow::{ones, Flow, Value};
use crate::header::RawHeader;
use crate::layout as l;
use crate::prereq::*;
use crate::registry::{field, field_by_header, FieldDef, FieldId};
use crate::Match;
use crate::Prereq;

/// `OFPMT_OXM`.
const OFPMT_OXM: u16 = 1;

impl Match {
    /// Appends an `ofp_match` (type, length, OXM TLVs, padding to 8 bytes).
    pub fn encode_ofp_match(&self, out: &mut BytesMut) {
        let start = out.len();
        out.put_u16(OFPMT_OXM);
        out.put_u16(0);
        self.encode_oxm_fields(out);
        let len = out.len() - start;
        let len_bytes = (len as u16).to_be_bytes();
        out[start + 2..start + 4].copy_from_slice(&len_bytes);
        out.put_bytes(0, len.next_multiple_of(8) - len);
    }

    /// Appends the OXM TLVs alone, without header or padding.
    pub fn encode_oxm_fields(&self, out: &mut BytesMut) {
        let start = out.len();
        let mut e = Encoder::new(self, out);
        e.all();
        if self.has_default_packet_type() && !e.implied_ethernet {
            // Nothing else says "Ethernet", so say it explicitly, first.
            let mut pt = BytesMut::new();
            let def = field(FieldId::PacketType);
            if let Some(h) = def.header_of13() {
                h.put(&mut pt, false, def.n_bytes);
                put_be(&mut pt, crate::matching::PT_ETH, def.n_bytes);
            }
            let tail = out.split_off(start);
            out.extend_from_slice(&pt);
            out.extend_from_slice(&tail);
        }
    }

    /// The match as its OXM encoding carries it: a field whose structural
    /// prerequisites the match does not state (`tp_dst` or `tcp_flags` on a
    /// plain `ip` rule, `nw_src` without `eth_type`) is dropped, as it is
    /// when ovs-ofctl sends such a rule. A rule added in-process goes
    /// through this so that it behaves as the same rule sent over the wire.
    pub fn as_encoded(&self) -> Match {
        let mut scratch = BytesMut::new();
        let mut e = Encoder::new(self, &mut scratch);
        e.all();
        let mut kept = e.kept;
        // The packet type is always carried, explicitly or implied.
        kept.set(l::PACKET_TYPE, crate::flow::slot_ones(l::PACKET_TYPE));
        let mut m = self.clone();
        m.keep_only(&kept);
        m
    }

    /// Reads an `ofp_match` from the front of `buf`; returns the match and
    /// the bytes it took, padding included.
    pub fn decode_ofp_match(buf: &[u8]) -> Result<(Match, usize), FieldError> {
        let ty = read_u16(buf, 0).ok_or(FieldError::BadLen)?;
        let len = usize::from(read_u16(buf, 2).ok_or(FieldError::BadLen)?);
        if ty != OFPMT_OXM {
            return Err(FieldError::BadType);
        }
        if len < 4 {
            return Err(FieldError::BadLen);
        }
        let padded = len.next_multiple_of(8);
        if buf.len() < padded {
            return Err(FieldError::BadLen);
        }
        let fields = buf.get(4..len).ok_or(FieldError::BadLen)?;
        let m = Match::decode_oxm_fields(fields)?;
        Ok((m, padded))
    }

    /// Decodes a run of OXM TLVs that fills `buf` exactly.
    pub fn decode_oxm_fields(mut buf: &[u8]) -> Result<Match, FieldError> {
        let mut m = Match::catch_all();
        let mut implied_ethernet = false;
        while !buf.is_empty() {
            let (used, def) = m.decode_one(buf)?;
            implied_ethernet |= def.prereq != Prereq::None;
            buf = buf.get(used..).ok_or(FieldError::BadLen)?;
        }
        if implied_ethernet && m.slot(l::PACKET_TYPE).1 == 0 {
            m.set_default_packet_type();
        }
        Ok(m)
    }

    /// Decodes one TLV into the match; returns its size and field.
    fn decode_one(&mut self, buf: &[u8]) -> Result<(usize, &'static FieldDef), FieldError> {
        let (raw, header_len) = RawHeader::parse(buf)?;
        let payload_len = raw.payload_len();
        let total = header_len + payload_len;
        let payload = buf.get(header_len..total).ok_or(FieldError::BadLen)?;
        if let Some(index) = crate::tun_metadata::index_of_header(raw.header) {
            self.decode_tun_metadata(index, raw.has_mask, payload)?;
            return Ok((total, field(FieldId::TunId)));
        }
        let def = field_by_header(raw.header).ok_or(FieldError::BadField)?;
        let n = def.n_bytes;
        if payload_len != if raw.has_mask { 2 * n } else { n } {
            return Err(FieldError::BadLen);
        }
        if raw.has_mask && !def.maskable {
            return Err(FieldError::BadMask);
        }
        let value = be_value(payload.get(..n).ok_or(FieldError::BadLen)?);
        let mask = if raw.has_mask {
            be_value(payload.get(n..).ok_or(FieldError::BadLen)?)
        } else {
            def.exact_mask()
        };
        let significant = if def.width_is_checked() {
            ones(def.n_bits as usize)
        } else {
            def.exact_mask()
        };
        if raw.has_mask && mask & !significant != 0 {
            return Err(FieldError::BadMask);
        }
        if value & !significant & mask != 0 || !value_is_valid(def.id, value) {
            return Err(FieldError::BadValue);
        }
        // OVS's decoder also wants TCP, UDP and SCTP fields off later
        // fragments, which carry no L4 header (its text parser does not).
        let l4_of_later_fragment = matches!(def.prereq, Prereq::Tcp | Prereq::Udp | Prereq::Sctp)
            && self.flow().get(l::NW_FRAG) & crate::format::FRAG_LATER != 0;
        // Ethernet fields need the Ethernet packet type (OVS's decoder;
        // its text parser lets dl_type through).
        let non_ethernet = def.prereq == Prereq::Ethernet
            && self.flow().get(l::PACKET_TYPE) != crate::matching::PT_ETH;
        if !self.prereqs_ok(def) || l4_of_later_fragment || non_ethernet {
            return Err(FieldError::BadPrereq);
        }
        if self.is_field_set(def) {
            return Err(FieldError::DupField);
        }
        self.set_field(def, value, mask);
        Ok((total, def))
    }
}

/// Range checks beyond the field's bit width.
fn value_is_valid(id: FieldId, value: Value) -> bool {
    match id {
        // OpenFlow 1.1+ ports between the 1.0 range and the reserved ones
        // have no OpenFlow 1.0 equivalent in OVS.
        FieldId::InPortOxm | FieldId::ActsetOutput => {
            value < 0xff00 || value >= Value::from(nxm_port_max())
        }
        // NSH has metadata types 1 and 2 only, and a 6-bit TTL.
        FieldId::NshMdtype => value == 1 || value == 2,
        FieldId::NshTtl => value < 64,
        _ => true,
    }
}

fn nxm_port_max() -> u32 {
    crate::port::OFPP_MAX
}

fn be_value(bytes: &[u8]) -> Value {
    bytes.iter().fold(0, |acc, &b| (acc << 8) | Value::from(b))
}

fn read_u16(buf: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(buf.get(at..at + 2)?.try_into().ok()?))
}

struct Encoder<'a> {
    m: &'a Match,
    out: &'a mut BytesMut,
    /// Whether a field that only exists in Ethernet frames was emitted.
    implied_ethernet: bool,
    /// The storage bits of every field emitted.
    kept: Flow,
}

impl<'a> Encoder<'a> {
    fn new(m: &'a Match, out: &'a mut BytesMut) -> Self {
        Encoder {
            m,
            out,
            implied_ethernet: false,
            kept: Flow::default(),
        }
    }

    /// Emits `value` under `mask` unless the mask is zero; exact (no mask)
    /// when the mask is all ones of the wire width.
    fn put(&mut self, id: FieldId, value: Value, mask: Value) {
        let def = field(id);
        if mask == 0 {
            return;
        }
        let Some(header) = def.header_of13() else {
            return;
        };
        let masked = mask != def.exact_mask();
        self.implied_ethernet |= def.prereq != Prereq::None;
        let view = def.view;
        let kept = self.kept.get(view.slot) | view.mask | view.implied;
        self.kept.set(view.slot, kept);
        header.put(self.out, masked, def.n_bytes);
        put_be(self.out, value, def.n_bytes);
        if masked {
            put_be(self.out, mask, def.n_bytes);
        }
    }

    fn put_exact(&mut self, id: FieldId, value: Value) {
        self.put(id, value, field(id).exact_mask());
    }

    /// Emits a slot under the field that names it.
    fn put_slot(&mut self, id: FieldId) {
        let (v, m) = self.m.slot(field(id).view.slot);
        self.put(id, v, m);
    }

    fn all(&mut self) {
        let m = self.m;
        let (pt, pt_mask) = m.slot(l::PACKET_TYPE);
        if pt_mask != 0 && !m.has_default_packet_type() {
            self.put(FieldId::PacketType, pt, pt_mask);
        }
        self.put_slot(FieldId::DpHash);
        self.if_set_exact(FieldId::RecircId);
        self.if_set_exact(FieldId::ConjId);
        self.if_set_exact(FieldId::InPortOxm);
        self.if_set_exact(FieldId::ActsetOutput);

        self.put_slot(FieldId::EthSrc);
        self.put_slot(FieldId::EthDst);
        // An Ethertype-named packet type overrides a matched dl_type's value.
        let dl_type = effective_dl_type(m.flow());
        let (_, type_mask) = m.slot(l::ETH_TYPE);
        let type_value = if pt >> 16 == 1 {
            Value::from(dl_type)
        } else {
            m.flow().get(l::ETH_TYPE)
        };
        self.put(FieldId::EthType, type_value, type_mask);
        self.vlan();
        if dl_type == ETH_TYPE_MPLS || dl_type == ETH_TYPE_MPLS_MCAST {
            self.mpls();
        }
        if dl_type == ETH_TYPE_IP || dl_type == ETH_TYPE_IPV6 {
            self.ip(dl_type);
        } else if dl_type == ETH_TYPE_ARP || dl_type == ETH_TYPE_RARP {
            self.arp();
        }
        self.tunnel();
        self.nsh();
        for id in REGS {
            self.put_slot(id);
        }
        self.put_slot(FieldId::PktMark);
        self.ct();
        self.put_slot(FieldId::Metadata);
    }

    fn if_set_exact(&mut self, id: FieldId) {
        let (v, mask) = self.m.slot(field(id).view.slot);
        if mask != 0 {
            self.put_exact(id, v);
        }
    }

    fn vlan(&mut self) {
        let (tci, mask) = self.m.slot(l::VLAN_TCI);
        let (vid, vid_mask) = (tci & 0x1fff, mask & 0x1fff);
        if vid_mask == 0x1fff {
            self.put_exact(FieldId::VlanVid, vid);
        } else if vid_mask != 0 {
            self.put(FieldId::VlanVid, vid, vid_mask);
        }
        if vid != 0 && mask & 0xe000 != 0 {
            self.put_exact(FieldId::VlanPcp, tci >> 13);
        }
    }

    fn mpls(&mut self) {
        let (lse, mask) = self.m.slot(l::MPLS_LSE);
        for (id, bits, shift) in [
            (FieldId::MplsTc, 0xe00, 9),
            (FieldId::MplsBos, 0x100, 8),
            (FieldId::MplsTtl, 0xff, 0),
            (FieldId::MplsLabel, 0xffff_f000, 12),
        ] {
            if mask & bits != 0 {
                self.put_exact(id, (lse & bits) >> shift);
            }
        }
    }

    fn ip(&mut self, dl_type: u16) {
        let m = self.m;
        if dl_type == ETH_TYPE_IP {
            self.put_slot(FieldId::Ipv4Src);
            self.put_slot(FieldId::Ipv4Dst);
        } else {
            self.put_slot(FieldId::Ipv6Src);
            self.put_slot(FieldId::Ipv6Dst);
        }
        let (frag, frag_mask) = m.slot(l::NW_FRAG);
        let frag_mask = frag_mask & 3;
        self.put(
            FieldId::IpFrag,
            frag & 3,
            if frag_mask == 3 { 0xff } else { frag_mask },
        );
        let (tos, tos_mask) = m.slot(l::NW_TOS);
        if tos_mask & 0xfc != 0 {
            self.put_exact(FieldId::IpDscp, tos >> 2);
        }
        if tos_mask & 0x03 != 0 {
            self.put_exact(FieldId::IpEcn, tos & 3);
        }
        self.if_set_exact(FieldId::IpTtl);
        self.put_slot(FieldId::Ipv6Label);
        let (proto, proto_mask) = m.slot(l::NW_PROTO);
        if proto_mask == 0 {
            return;
        }
        self.put_exact(FieldId::IpProto, proto);
        let (tp_src, tp_src_mask) = m.slot(l::TP_SRC);
        let (tp_dst, tp_dst_mask) = m.slot(l::TP_DST);
        match proto as u8 {
            IPPROTO_TCP => {
                self.put(FieldId::TcpSrc, tp_src, tp_src_mask);
                self.put(FieldId::TcpDst, tp_dst, tp_dst_mask);
                self.put_slot(FieldId::TcpFlags);
            }
            IPPROTO_UDP => {
                self.put(FieldId::UdpSrc, tp_src, tp_src_mask);
                self.put(FieldId::UdpDst, tp_dst, tp_dst_mask);
            }
            IPPROTO_SCTP => {
                self.put(FieldId::SctpSrc, tp_src, tp_src_mask);
                self.put(FieldId::SctpDst, tp_dst, tp_dst_mask);
            }
            IPPROTO_ICMP if dl_type == ETH_TYPE_IP => {
                self.icmp_type_code(FieldId::IcmpType, FieldId::IcmpCode);
            }
            IPPROTO_ICMPV6 if dl_type == ETH_TYPE_IPV6 => {
                self.icmp_type_code(FieldId::Icmpv6Type, FieldId::Icmpv6Code);
                let is_nd = tp_dst == 0
                    && (tp_src == Value::from(ND_NEIGHBOR_SOLICIT)
                        || tp_src == Value::from(ND_NEIGHBOR_ADVERT));
                if is_nd {
                    self.if_set_exact(FieldId::NdReserved);
                    self.put_slot(FieldId::NdTarget);
                    self.if_set_exact(FieldId::NdOptionsType);
                    if tp_src == Value::from(ND_NEIGHBOR_SOLICIT) {
                        self.put_slot(FieldId::NdSll);
                    } else {
                        self.put_slot(FieldId::NdTll);
                    }
                }
            }
            _ => {}
        }
    }

    fn icmp_type_code(&mut self, ty: FieldId, code: FieldId) {
        let (tp_src, tp_src_mask) = self.m.slot(l::TP_SRC);
        let (tp_dst, tp_dst_mask) = self.m.slot(l::TP_DST);
        if tp_src_mask != 0 {
            self.put_exact(ty, tp_src & 0xff);
        }
        if tp_dst_mask != 0 {
            self.put_exact(code, tp_dst & 0xff);
        }
    }

    fn arp(&mut self) {
        let (op, op_mask) = self.m.slot(l::NW_PROTO);
        if op_mask != 0 {
            self.put_exact(FieldId::ArpOp, op);
        }
        self.put_slot(FieldId::ArpSpa);
        self.put_slot(FieldId::ArpTpa);
        self.put_slot(FieldId::ArpSha);
        self.put_slot(FieldId::ArpTha);
    }

    fn tunnel(&mut self) {
        for id in [
            FieldId::TunId,
            FieldId::TunFlags,
            FieldId::TunSrc,
            FieldId::TunDst,
            FieldId::TunIpv6Src,
            FieldId::TunIpv6Dst,
            FieldId::TunGbpId,
            FieldId::TunGbpFlags,
        ] {
            self.put_slot(id);
        }
        self.m.tun_md.encode(self.out);
        for id in [
            FieldId::TunErspanIdx,
            FieldId::TunErspanVer,
            FieldId::TunErspanDir,
            FieldId::TunErspanHwid,
            FieldId::TunGtpuFlags,
            FieldId::TunGtpuMsgtype,
        ] {
            self.put_slot(id);
        }
    }

    fn nsh(&mut self) {
        for id in [
            FieldId::NshFlags,
            FieldId::NshTtl,
            FieldId::NshMdtype,
            FieldId::NshNp,
        ] {
            self.put_slot(id);
        }
        let (path, path_mask) = self.m.slot(l::NSH_PATH_HDR);
        let spi_mask = path_mask >> 8;
        let spi_mask = if spi_mask == 0xff_ffff {
            0xffff_ffff
        } else {
            spi_mask
        };
        self.put(FieldId::NshSpi, path >> 8, spi_mask);
        self.put(FieldId::NshSi, path & 0xff, path_mask & 0xff);
        for id in [
            FieldId::NshC1,
            FieldId::NshC2,
            FieldId::NshC3,
            FieldId::NshC4,
        ] {
            self.put_slot(id);
        }
    }

    fn ct(&mut self) {
        let (state, state_mask) = self.m.slot(l::CT_STATE);
        self.put(FieldId::CtState, state, state_mask);
        for id in [
            FieldId::CtZone,
            FieldId::CtMark,
            FieldId::CtLabel,
            FieldId::CtNwSrc,
            FieldId::CtIpv6Src,
            FieldId::CtNwDst,
            FieldId::CtIpv6Dst,
        ] {
            self.put_slot(id);
        }
        if self.m.flow().get(l::CT_NW_PROTO) != 0 {
            self.put_slot(FieldId::CtNwProto);
            self.put_slot(FieldId::CtTpSrc);
            self.put_slot(FieldId::CtTpDst);
        }
    }
}

const REGS: [FieldId; 16] = [
    FieldId::Reg0,
    FieldId::Reg1,
    FieldId::Reg2,
    FieldId::Reg3,
    FieldId::Reg4,
    FieldId::Reg5,
    FieldId::Reg6,
    FieldId::Reg7,
    FieldId::Reg8,
    FieldId::Reg9,
    FieldId::Reg10,
    FieldId::Reg11,
    FieldId::Reg12,
    FieldId::Reg13,
    FieldId::Reg14,
    FieldId::Reg15,
];

/// Appends the low `n` bytes of `value`, big-endian.
pub fn put_be(out: &mut BytesMut, value: Value, n: usize) {
    let bytes = value.to_be_bytes();
    out.put_slice(&bytes[bytes.len().saturating_sub(n)..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    fn set(m: &mut Match, name: &str, text: &str) {
        m.apply_text(name, Some(text)).unwrap();
    }

    fn encode(m: &Match) -> String {
        let mut out = BytesMut::new();
        m.encode_ofp_match(&mut out);
        hex(&out)
    }

    // Expected bytes from ovs-ofctl 3.1 `-O OpenFlow13 -mmmmm parse-flow`.
    #[test]
    fn tcp_flags_use_the_onf_experimenter_header() {
        let mut m = Match::catch_all();
        set(&mut m, "dl_type", "0x0800");
        set(&mut m, "nw_proto", "6");
        set(&mut m, "tcp_flags", "+syn");
        assert_eq!(
            encode(&m),
            "0001001b80000a0208008000140106ffff55084f4e4600000200020000000000"
        );
    }

    #[test]
    fn xreg_is_sent_as_two_registers() {
        let mut m = Match::catch_all();
        set(&mut m, "xreg0", "5");
        assert_eq!(
            encode(&m),
            "000100140001000400000000000102040000000500000000"
        );
    }

    #[test]
    fn ct_state_goes_as_a_masked_32_bit_nxm_field() {
        let mut m = Match::catch_all();
        set(&mut m, "ct_state", "+trk");
        assert_eq!(encode(&m), "000100100001d3080000002000000020");
    }

    #[test]
    fn vlan_tci_becomes_vid_and_pcp() {
        let mut m = Match::catch_all();
        set(&mut m, "vlan_tci", "0x1005");
        assert_eq!(encode(&m), "0001000f80000c02100580000e010000");
    }

    #[test]
    fn a_lone_eth_is_sent_as_an_explicit_packet_type() {
        // ovs-ofctl 3.1: `tcp_dst=80` alone keeps only "this is Ethernet".
        let mut m = Match::catch_all();
        m.apply_text("tcp_dst", Some("80")).unwrap();
        assert_eq!(encode(&m), "0001000c800058040000000000000000");
        let mut m = Match::catch_all();
        m.apply_text("recirc_id", Some("1")).unwrap();
        m.apply_text("ip", None).unwrap();
        assert_eq!(
            encode(&m),
            "00010012000148040000000180000a020800000000000000"
        );
        let mut out = BytesMut::new();
        m.encode_ofp_match(&mut out);
        let (back, _) = Match::decode_ofp_match(&out).unwrap();
        assert_eq!(back.to_string(), "recirc_id=0x1,eth,ip");
    }

    #[test]
    fn fields_without_their_structural_prerequisites_are_not_carried() {
        let mut m = Match::catch_all();
        set(&mut m, "dl_type", "0x0800");
        let ip = m.clone();
        set(&mut m, "tcp_flags", "0x002/0x002");
        set(&mut m, "tp_dst", "80");
        assert_eq!(m.as_encoded(), ip);

        let mut tcp = ip.clone();
        set(&mut tcp, "nw_proto", "6");
        set(&mut tcp, "tcp_flags", "0x002/0x002");
        assert_eq!(tcp.as_encoded(), tcp);

        let mut bare = Match::catch_all();
        set(&mut bare, "nw_src", "10.0.0.1");
        let mut ethernet = Match::catch_all();
        ethernet.set_default_packet_type();
        assert_eq!(bare.as_encoded(), ethernet);
    }

    #[test]
    fn decode_reverses_encode() {
        let mut m = Match::catch_all();
        set(&mut m, "dl_type", "0x0800");
        set(&mut m, "nw_proto", "17");
        set(&mut m, "nw_src", "10.0.0.0/8");
        set(&mut m, "udp_dst", "53");
        set(&mut m, "ct_state", "+est+trk");
        set(&mut m, "reg3", "0x10/0xf0");
        let mut out = BytesMut::new();
        m.encode_ofp_match(&mut out);
        let (back, used) = Match::decode_ofp_match(&out).unwrap();
        assert_eq!(used, out.len());
        assert_eq!(back, m);
    }

    #[test]
    fn decode_rejects_missing_prereq_and_duplicates() {
        // ct_nw_proto after ct_state=+trk alone: OVS 3.1 answers BAD_PREREQ.
        let bytes = [
            0x00, 0x01, 0x00, 0x15, 0x00, 0x01, 0xd3, 0x08, 0, 0, 0, 0x20, 0, 0, 0, 0x20, 0x00,
            0x01, 0xee, 0x01, 0x06, 0, 0, 0,
        ];
        assert_eq!(Match::decode_ofp_match(&bytes), Err(FieldError::BadPrereq));
        let dup = [
            0x00, 0x01, 0x00, 0x14, 0x00, 0x01, 0x00, 0x04, 0, 0, 0, 1, 0x00, 0x01, 0x00, 0x04, 0,
            0, 0, 2, 0, 0, 0, 0,
        ];
        assert_eq!(Match::decode_ofp_match(&dup), Err(FieldError::DupField));
    }

    #[test]
    fn decode_refuses_tcp_udp_sctp_fields_of_later_fragments() {
        // ovs-ofctl 3.1 encodes `udp,nw_frag=later,tp_dst=62974` and then
        // refuses it with OFPBMC_BAD_PREREQ; ICMP fields are fine.
        let mut m = Match::catch_all();
        for (k, v) in [("udp", ""), ("nw_frag", "later"), ("tp_dst", "62974")] {
            m.apply_text(k, Some(v).filter(|v| !v.is_empty())).unwrap();
        }
        let mut out = BytesMut::new();
        m.encode_ofp_match(&mut out);
        assert_eq!(
            hex(&out),
            "0001001a80000a0208000001340103800014011180002002f5fe000000000000"
        );
        assert_eq!(Match::decode_ofp_match(&out), Err(FieldError::BadPrereq));
        let mut icmp = Match::catch_all();
        for (k, v) in [("icmp", ""), ("nw_frag", "later"), ("icmp_type", "3")] {
            icmp.apply_text(k, Some(v).filter(|v| !v.is_empty()))
                .unwrap();
        }
        let mut out = BytesMut::new();
        icmp.encode_ofp_match(&mut out);
        assert!(Match::decode_ofp_match(&out).is_ok());
    }

    #[test]
    fn decode_refuses_nsh_md_types_but_1_and_2_and_ttls_over_63() {
        for (k, v, ok) in [
            ("nsh_mdtype", "2", true),
            ("nsh_mdtype", "3", false),
            ("nsh_ttl", "63", true),
            ("nsh_ttl", "64", false),
        ] {
            let mut m = Match::catch_all();
            m.apply_text("dl_type", Some("0x894f")).unwrap();
            m.apply_text(k, Some(v)).unwrap();
            let mut out = BytesMut::new();
            m.encode_ofp_match(&mut out);
            let decoded = Match::decode_ofp_match(&out).map(|_| ());
            assert_eq!(decoded.is_ok(), ok, "{k}={v}");
            if !ok {
                assert_eq!(decoded, Err(FieldError::BadValue));
            }
        }
    }

    /// A match from `key[=value]` items, through the text parser.
    fn text_match(items: &[(&str, Option<&str>)]) -> Match {
        let mut m = Match::catch_all();
        for (k, v) in items {
            m.apply_text(k, *v).unwrap();
        }
        m
    }

    // Expected bytes from ovs-ofctl 3.1 `-O OpenFlow13 -mmmmm parse-flow`.
    #[test]
    fn an_ethertype_packet_type_names_the_l3_protocol() {
        let m = text_match(&[
            ("packet_type", Some("(1,0x800)")),
            ("nw_src", Some("1.2.3.4")),
        ]);
        assert_eq!(
            encode(&m),
            "000100148000580400010800800016040102030400000000"
        );
        assert_eq!(m.to_string(), "packet_type=(1,0x800),nw_src=1.2.3.4");
        // The shorthand keeps the packet type; dl_type's value follows it.
        let m = text_match(&[
            ("mplsm", None),
            ("packet_type", Some("(1,0x86dd)")),
            ("ip", None),
        ]);
        let bytes = encode(&m);
        assert_eq!(bytes, "0001001280005804000186dd80000a0286dd000000000000");
        // ... and OVS's decoder then refuses dl_type with that packet type.
        let raw: Vec<u8> = (0..bytes.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&bytes[i..i + 2], 16).unwrap())
            .collect();
        assert_eq!(Match::decode_ofp_match(&raw), Err(FieldError::BadPrereq));
        // Any other non-Ethernet type has no L3 at all.
        let m = text_match(&[
            ("udp6", None),
            ("packet_type", Some("(0,0x1234)")),
            ("ipv6_label", Some("0x91098")),
        ]);
        assert_eq!(
            encode(&m),
            "000100128000580400001234 80000a0286dd000000000000".replace(' ', "")
        );
    }

    #[test]
    fn erspan_values_are_not_bounded_by_their_subfield_widths() {
        // ovs-ofctl 3.1 decodes and prints tun_erspan_ver=255 although the
        // field is 4 bits wide as a subfield.
        let m = text_match(&[("tun_erspan_ver", Some("255"))]);
        let mut out = BytesMut::new();
        m.encode_ofp_match(&mut out);
        let (decoded, _) = Match::decode_ofp_match(&out).unwrap();
        assert_eq!(decoded.to_string(), "tun_erspan_ver=255");
    }

    #[test]
    fn decode_rejects_truncation_and_unknown_fields() {
        assert_eq!(Match::decode_ofp_match(&[0, 1, 0]), Err(FieldError::BadLen));
        assert_eq!(
            Match::decode_ofp_match(&[0, 0, 0, 4, 0, 0, 0, 0]),
            Err(FieldError::BadType)
        );
        let unknown = [
            0x00, 0x01, 0x00, 0x0a, 0x80, 0x00, 0x7e, 0x02, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        assert_eq!(Match::decode_ofp_match(&unknown), Err(FieldError::BadField));
    }
}
