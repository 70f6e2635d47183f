//! Reverse-mode differentiation: adds the backward nodes to the graph.
//!
//! The walk visits the forward nodes that can reach the objective, users before operands,
//! asks each op's rule (`rules.rs`) for its operands' contributions, and sums the
//! contributions of a node used several times. The result is an ordinary part of the graph,
//! so later passes optimise and emit it like any other nodes.

mod rules;

use crate::diag::Diagnostic;
use crate::ir::{NodeId, Op, Provenance, Role};
use crate::program::Program;
use std::collections::{BTreeMap, BTreeSet};

/// Adds d objective / d node for every forward node that can reach the objective, and
/// records them in `program.adjoints`.
pub fn differentiate(program: &mut Program) -> Result<(), Diagnostic> {
    let objective = program.objective.node;
    let relevant = ancestors(program, objective);
    let order: Vec<NodeId> = program
        .graph
        .topological_order()
        .into_iter()
        .filter(|id| relevant.contains(id))
        .collect();

    let graph = &mut program.graph;
    let loc = graph.node(objective).loc;
    let seed = graph.in_rule_of(objective, |g| g.constant(1.0, loc));
    // The seed d objective / d objective = 1 comes from no rule. It stays unnamed, like every
    // constant: common-subexpression elimination may merge it with any other 1 (the `1` of
    // `1 - h * h`), which must still read as `1`.
    let seed_node = graph.node_mut(seed);
    (seed_node.rule, seed_node.rule_of) = (None, None);
    let mut adjoints = BTreeMap::from([(objective, seed)]);

    for &node in order.iter().rev() {
        let Some(&grad) = adjoints.get(&node) else {
            continue;
        };
        let operands = graph.operands(node);
        let contributions = graph.in_rule_of(node, |g| rules::contributions(g, node, grad))?;
        for (operand, contribution) in operands.into_iter().zip(contributions) {
            let Some(contribution) = contribution else {
                continue;
            };
            let total = match adjoints.get(&operand) {
                None => contribution,
                Some(&sum) => {
                    let total =
                        graph.in_rule_of(operand, |g| g.binary(Op::Add, sum, contribution, g.node(operand).loc))?;
                    graph.node_mut(total).rule = Some(Provenance::SumOfUses);
                    total
                }
            };
            adjoints.insert(operand, total);
        }
    }
    name_adjoints(program, &adjoints);
    program.adjoints = adjoints;
    program.derivations = crate::formula::derivations(&program.graph);
    Ok(())
}

/// The forward nodes whose value the objective depends on (the objective included).
pub fn ancestors(program: &Program, objective: NodeId) -> BTreeSet<NodeId> {
    let mut seen = BTreeSet::from([objective]);
    let mut stack = vec![objective];
    while let Some(id) = stack.pop() {
        for operand in program.graph.operands(id) {
            if program.graph.node(operand).role == Role::Forward && seen.insert(operand) {
                stack.push(operand);
            }
        }
    }
    seen
}

/// Names the adjoint of each declared name `x` as `d_x`, so generated code and formulas
/// read like a derivation. A node that is the adjoint of several names keeps the first.
fn name_adjoints(program: &mut Program, adjoints: &BTreeMap<NodeId, NodeId>) {
    let names: Vec<(String, NodeId)> = program.decls().map(|d| (d.name.clone(), d.node)).collect();
    for (name, node) in names {
        if let Some(&adjoint) = adjoints.get(&node) {
            let adjoint = program.graph.node_mut(adjoint);
            if adjoint.name.is_none() && !adjoint.op.is_leaf() {
                let bare = name.strip_prefix("r#").unwrap_or(&name);
                adjoint.name = Some(format!("d_{bare}"));
            }
        }
    }
}
