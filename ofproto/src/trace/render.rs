//! The text of a recorded trace tree, indented as `ofproto/trace` indents
//! it: a node is indented four spaces per level, plus one level unless
//! it is the last of its siblings and may have children; its children go
//! two levels deeper than it in that case, one otherwise.

use std::fmt::Write as _;

use crate::xlate::trace::{Node, NodeKind};

/// Appends the lines of `nodes` at `level`.
pub fn render(out: &mut String, nodes: &[Node], level: usize) {
    for (i, node) in nodes.iter().enumerate() {
        if node.kind == NodeKind::Bridge {
            out.push('\n');
        }
        let more = usize::from(i + 1 < nodes.len() || node.kind.is_terminal());
        let indent = " ".repeat((level + more) * 4);
        let _ = match node.kind {
            NodeKind::Detail => writeln!(out, "{indent} -> {}", node.text),
            NodeKind::Warn => writeln!(out, "{indent} >> {}", node.text),
            NodeKind::Error => writeln!(out, "{indent} >>>> {} <<<<", node.text),
            NodeKind::Bridge => writeln!(
                out,
                "{indent}{}\n{indent}{}",
                node.text,
                "-".repeat(node.text.len())
            ),
            NodeKind::Table | NodeKind::Thaw | NodeKind::Action | NodeKind::Bucket => {
                writeln!(out, "{indent}{}", node.text)
            }
        };
        render(out, &node.children, level + 2 * more);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(kind: NodeKind, text: &str, children: Vec<Node>) -> Node {
        Node {
            kind,
            text: text.into(),
            children,
        }
    }

    // The shape of OVS 3.1's `ofproto/trace` for resubmits from table 0:
    // a table reached by a resubmit is a sibling of the resubmit, and the
    // last one keeps the outer indentation.
    #[test]
    fn nested_tables_indent_as_ovs_does() {
        let tree = vec![node(
            NodeKind::Bridge,
            "bridge(\"br0\")",
            vec![node(
                NodeKind::Table,
                " 0. in_port=1, priority 10",
                vec![
                    node(NodeKind::Action, "resubmit(,1)", vec![]),
                    node(
                        NodeKind::Table,
                        " 1. priority 5",
                        vec![node(NodeKind::Action, "output:4", vec![])],
                    ),
                    node(NodeKind::Action, "resubmit(,2)", vec![]),
                    node(
                        NodeKind::Table,
                        " 2. No match.",
                        vec![node(NodeKind::Action, "drop", vec![])],
                    ),
                ],
            )],
        )];
        let mut out = String::new();
        render(&mut out, &tree, 0);
        assert_eq!(
            out,
            "\nbridge(\"br0\")\n-------------\n 0. in_port=1, priority 10\n    \
             resubmit(,1)\n     1. priority 5\n            output:4\n    \
             resubmit(,2)\n 2. No match.\n    drop\n"
        );
    }
}
