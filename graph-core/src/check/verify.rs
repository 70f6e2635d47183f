//! The structural verifier: run after every pass in debug builds, it checks the graph's
//! invariants, so a pass that breaks one fails at once and names itself.

use super::shapes;
use crate::ir::Graph;

/// Every node's shape obeys its op's rule, operand counts fit, and the graph is acyclic.
pub fn verify(graph: &Graph, after: &str) -> Result<(), String> {
    if graph.topological_order().len() != graph.len() {
        return Err(format!("after {after}: the graph has a cycle"));
    }
    for id in graph.ids() {
        let op = graph.op(id);
        let operands = graph.operands(id);
        let shapes: Vec<_> = operands.iter().map(|&o| graph.shape(o)).collect();
        let ok = match shapes::infer(op, &shapes, &|s| graph.describe(s)) {
            Ok(shape) => &shape == graph.shape(id),
            Err(_) => shapes::check_given(op, &shapes, graph.shape(id)).is_ok(),
        };
        if !ok {
            return Err(format!(
                "after {after}: {id} = {} does not fit its operands {operands:?}",
                graph.node(id)
            ));
        }
    }
    Ok(())
}
