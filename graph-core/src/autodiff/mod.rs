//! Differentiation: adds derived nodes to the graph.
//!
//! [`differentiate`] is reverse mode: the walk visits the forward nodes that can reach the
//! objective, users before operands, asks each op's rule (`rules.rs`) for its operands'
//! contributions, and sums the contributions of a node used several times. [`tangents`] is
//! forward mode, for `jvp` and `hvp`: it walks operands before users, the backward nodes too,
//! and asks each op's tangent rule (`forward.rs`). The results are ordinary parts of the
//! graph, so later passes optimise and emit them like any other nodes.

mod forward;
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

/// Adds, for `jvp`, the tangent of every `let` along a direction for every variable (one new
/// leaf per variable, `program.tangents.directions`), and for `hvp` the tangent of every
/// variable's gradient: the Hessian of the objective times the direction, by differentiating
/// the backward graph forward (forward-over-reverse). Runs after [`differentiate`]; does
/// nothing for a graph that asks for neither.
pub fn tangents(program: &mut Program) -> Result<(), Diagnostic> {
    if !program.tangents.wanted() {
        return Ok(());
    }
    let graph = &mut program.graph;
    let mut tangent: BTreeMap<NodeId, NodeId> = BTreeMap::new();
    let mut directions = Vec::new();
    for decl in &program.variables {
        let shape = graph.shape(decl.node).clone();
        let bare = decl.name.strip_prefix("r#").unwrap_or(&decl.name);
        let leaf = graph.leaf(Op::Variable, shape, &format!("{bare}_direction"), decl.loc)?;
        tangent.insert(decl.node, leaf);
        directions.push(crate::program::Decl {
            node: leaf,
            ..decl.clone()
        });
    }
    let jvp = program.tangents.jvp;
    let lets: Vec<&crate::program::Decl> = program.lets.iter().filter(|_| jvp).collect();
    let gradients: Vec<(NodeId, NodeId)> = if program.tangents.hvp {
        let adjoint = |d: &crate::program::Decl| program.adjoints.get(&d.node).map(|&a| (d.node, a));
        program.variables.iter().filter_map(adjoint).collect()
    } else {
        Vec::new()
    };
    let targets = lets.iter().map(|d| d.node).chain(gradients.iter().map(|&(_, a)| a));
    let needed = operands_of(graph, targets);
    for node in graph.topological_order() {
        if !needed.contains(&node) || tangent.contains_key(&node) {
            continue;
        }
        let operands: Vec<Option<NodeId>> = graph.operands(node).iter().map(|o| tangent.get(o).copied()).collect();
        if let Some(t) = graph.in_rule_of(node, |g| forward::tangent(g, node, &operands))? {
            tangent.insert(node, t);
        }
    }
    let name = |graph: &mut crate::ir::Graph, node: NodeId, name: String| {
        let node = graph.node_mut(node);
        if node.name.is_none() && !node.op.is_leaf() {
            node.name = Some(name);
        }
    };
    // A float value that does not depend on the variables has tangent zero: a node too, so
    // that every output is written.
    let mut or_zero = |graph: &mut crate::ir::Graph, node: NodeId| -> Result<Option<NodeId>, Diagnostic> {
        if let Some(&t) = tangent.get(&node) {
            return Ok(Some(t));
        }
        if graph.elem(node) != crate::ir::Elem::Float {
            return Ok(None);
        }
        let (loc, shape) = (graph.node(node).loc, graph.shape(node).clone());
        let zero = graph.in_rule_of(node, |g| {
            let zero = g.constant(0.0, loc);
            g.broadcast_to(zero, &shape, loc)
        })?;
        tangent.insert(node, zero);
        Ok(Some(zero))
    };
    let mut of_lets = BTreeMap::new();
    for d in &lets {
        if let Some(t) = or_zero(graph, d.node)? {
            name(
                graph,
                t,
                format!("tangent_{}", d.name.strip_prefix("r#").unwrap_or(&d.name)),
            );
            of_lets.insert(d.node, t);
        }
    }
    let mut of_gradients = BTreeMap::new();
    for &(variable, gradient) in &gradients {
        if let Some(t) = or_zero(graph, gradient)? {
            of_gradients.insert(variable, t);
        }
    }
    for d in &program.variables {
        if let Some(&t) = of_gradients.get(&d.node) {
            name(
                graph,
                t,
                format!("hvp_{}", d.name.strip_prefix("r#").unwrap_or(&d.name)),
            );
        }
    }
    program.tangents.directions = directions;
    program.tangents.of_lets = of_lets;
    program.tangents.of_gradients = of_gradients;
    Ok(())
}

/// `targets` and every node they read, directly or not.
fn operands_of(graph: &crate::ir::Graph, targets: impl Iterator<Item = NodeId>) -> BTreeSet<NodeId> {
    let mut seen: BTreeSet<NodeId> = targets.collect();
    let mut stack: Vec<NodeId> = seen.iter().copied().collect();
    while let Some(id) = stack.pop() {
        for operand in graph.operands(id) {
            if seen.insert(operand) {
                stack.push(operand);
            }
        }
    }
    seen
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
