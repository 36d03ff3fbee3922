//! The trace recorder: what a translation did, as the tree `ofproto/trace`
//! prints (tables visited with the rule each matched, the actions run in
//! them, notes on what an action did), and the recirculations the trace
//! goes on with. Translation holds it as an `Option`, so an untraced
//! translation pays one branch at each place that records; nothing is
//! formatted unless a trace is asked for. [`crate::trace`] drives and
//! renders it.

use datapath::action::Ct as DpCt;
use nxm_fields::Flow;
use openflow_codec::action::nat::Nat;

use super::Ctx;

/// What a node of the tree is; it decides how the node is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// `bridge("br0")`, underlined.
    Bridge,
    /// A table visited: `N. match, priority P` or `N. No match.`.
    Table,
    /// Resuming a frozen translation.
    Thaw,
    /// An action or instruction, as ovs-ofctl prints it.
    Action,
    /// A group bucket.
    Bucket,
    /// `-> what happened`.
    Detail,
    /// `>> why something did not happen`.
    Warn,
    /// `>>>> what went wrong <<<<`.
    Error,
}

impl NodeKind {
    /// Whether the node never has children (it then keeps its siblings'
    /// indentation even when it is the last of them).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            NodeKind::Action
                | NodeKind::Bucket
                | NodeKind::Detail
                | NodeKind::Warn
                | NodeKind::Error
        )
    }
}

/// One node: its kind, text and children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub kind: NodeKind,
    pub text: String,
    pub children: Vec<Node>,
}

/// A recirculation the translation asked for, to be traced after it.
#[derive(Debug, Clone)]
pub struct Recirc {
    /// The recirculation id the datapath actions carry.
    pub id: u32,
    /// The flow when the packet was frozen, its ct_zone the ct's zone.
    pub flow: Flow,
    /// Whether conntrack sent the packet back (`ct(table=N)`).
    pub conntrack: bool,
    /// The ct's `nat(...)`, if it had one.
    pub nat: Option<Nat>,
    /// The datapath's ct action, for a trace that runs it.
    pub ct: Option<DpCt>,
}

/// The tree being recorded, with the path to the node that new nodes
/// become children of.
#[derive(Debug, Default)]
pub struct Recorder {
    roots: Vec<Node>,
    /// Child indexes from `roots` down to the current parent.
    path: Vec<usize>,
    /// Recirculations, in the order the translation asked for them.
    pub recircs: Vec<Recirc>,
}

impl Recorder {
    fn current(&mut self) -> &mut Vec<Node> {
        let mut list = &mut self.roots;
        for &i in &self.path {
            // The path only ever names nodes that were pushed.
            if i >= list.len() {
                break;
            }
            list = &mut list[i].children;
        }
        list
    }

    /// Adds a node under the current parent.
    pub fn add(&mut self, kind: NodeKind, text: String) {
        self.current().push(Node {
            kind,
            text,
            children: Vec::new(),
        });
    }

    /// Adds a node and makes it the parent of what follows, until
    /// [`Recorder::leave`].
    pub fn enter(&mut self, kind: NodeKind, text: String) {
        let list = self.current();
        list.push(Node {
            kind,
            text,
            children: Vec::new(),
        });
        let at = list.len() - 1;
        self.path.push(at);
    }

    /// Goes back to the parent of the node last entered.
    pub fn leave(&mut self) {
        self.path.pop();
    }

    /// The recorded tree and recirculations.
    pub fn into_tree(self) -> (Vec<Node>, Vec<Recirc>) {
        (self.roots, self.recircs)
    }
}

impl Ctx<'_> {
    /// Records a node; `text` (given the translated flow) runs only when
    /// tracing.
    #[inline]
    pub(super) fn note(&mut self, kind: NodeKind, text: impl FnOnce(&Flow) -> String) {
        if let Some(t) = self.trace.as_deref_mut() {
            t.add(kind, text(&self.flow));
        }
    }

    /// Records a node and enters it; returns whether it did, for
    /// [`Ctx::note_leave`].
    #[inline]
    pub(super) fn note_enter(&mut self, kind: NodeKind, text: impl FnOnce() -> String) -> bool {
        match self.trace.as_deref_mut() {
            Some(t) => {
                t.enter(kind, text());
                true
            }
            None => false,
        }
    }

    #[inline]
    pub(super) fn note_leave(&mut self, entered: bool) {
        if entered {
            if let Some(t) = self.trace.as_deref_mut() {
                t.leave();
            }
        }
    }

    pub(super) fn tracing(&self) -> bool {
        self.trace.is_some()
    }
}
