//! The forward and backward graph in Graphviz DOT; petgraph's `Dot` does the drawing.

use crate::ir::{Graph, Role};
use petgraph::dot::{Config, Dot};

/// DOT text for `graph`: forward nodes as boxes, backward nodes as blue ellipses (a named
/// one labelled with its formula), edges labelled with operand positions.
pub fn dot(graph: &Graph) -> String {
    let dtype = graph.dtype();
    let node_attrs = |_, (index, node): (petgraph::stable_graph::NodeIndex, &crate::ir::Node)| {
        // A constant is labelled by its value alone, whatever name a merge left on it.
        let name = match (&node.name, node.op) {
            (Some(n), op) if !matches!(op, crate::ir::Op::Constant(_)) => format!("{n} = "),
            _ => String::new(),
        };
        let id = crate::ir::NodeId::from(index);
        let op = match node.op {
            // A named derived node by its formula, as the docs state it: `d_y = d_loss * 2 * y`.
            _ if node.role == Role::Backward && node.name.is_some() && !node.op.is_leaf() => {
                crate::formula::expression(graph, id)
            }
            crate::ir::Op::Constant(c) => format!("constant {}", dtype.format(c)),
            // A count of named dimensions, by their names (`Op`'s text form knows only numbers).
            crate::ir::Op::Count(size) => format!("count {}", size.describe(graph.named())),
            op => op.to_string(),
        };
        let label = format!("%{} {name}{op}\\n{}", index.index(), graph.describe_node(id));
        let style = match node.role {
            Role::Forward => "shape = box",
            Role::Backward => "shape = ellipse, color = blue",
        };
        format!("label = \"{}\", {style}", label.replace('"', "'"))
    };
    let edge_attrs =
        |_, edge: petgraph::stable_graph::EdgeReference<'_, usize>| format!("label = \"{}\"", edge.weight());
    let config = [Config::NodeNoLabel, Config::EdgeNoLabel];
    format!(
        "{:?}",
        Dot::with_attr_getters(graph.petgraph(), &config, &edge_attrs, &node_attrs)
    )
}
