//! ofproto: bridges, OpenFlow flow tables and their classifier, translation
//! of the OpenFlow pipeline into datapath actions (xlate), OpenFlow
//! connections and the `ofproto/trace` equivalent.
//!
//! It will own flow-mod semantics, the frozen continuations that
//! recirculation ids name, packet-in/packet-out, and the trace that runs
//! conntrack on a snapshot of the connection table. Packet parsing and
//! execution belong to `datapath`; wire formats belong to `openflow-codec`.
