//! Dead-code elimination: removes the nodes that neither a declared name nor the adjoint of
//! one needs (the adjoint a gradient rule made for a constant operand, a node another pass
//! replaced).

use crate::ir::NodeId;
use crate::program::Program;
use std::collections::BTreeSet;

/// Removes every node that neither is nor feeds a declaration, the adjoint of one, or a
/// tangent `jvp` or `hvp` returns, and forgets the adjoints of undeclared nodes.
pub fn dce(program: &mut Program) {
    let declared: BTreeSet<NodeId> = program
        .decls()
        .map(|d| d.node)
        .chain([program.objective.node])
        .collect();
    program.adjoints.retain(|node, _| declared.contains(node));
    let tangents = &program.tangents;
    let mut live: BTreeSet<NodeId> = program
        .adjoints
        .values()
        .chain(tangents.of_lets.values())
        .chain(tangents.of_gradients.values())
        .copied()
        .chain(declared)
        .collect();
    let mut stack: Vec<NodeId> = live.iter().copied().collect();
    while let Some(id) = stack.pop() {
        for operand in program.graph.operands(id) {
            if live.insert(operand) {
                stack.push(operand);
            }
        }
    }
    let dead: Vec<NodeId> = program.graph.ids().filter(|id| !live.contains(id)).collect();
    for id in dead {
        program.graph.remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Loc;
    use crate::ir::{DType, Graph, Op, Shape};
    use crate::program::Decl;
    use std::collections::BTreeMap;

    #[test]
    fn the_adjoint_of_a_constant_goes() {
        let loc = Loc::call_site();
        let mut g = Graph::new(DType::F64);
        let w = g.leaf(Op::Variable, Shape::new(vec![3]), "w", loc).unwrap();
        let one = g.constant(1.0, loc);
        let d = g.binary(Op::Sub, w, one, loc).unwrap();
        let cost = g.push(Op::Sum(crate::ir::Axes::All), &[d], loc).unwrap();
        let decl = |name: &str, node| Decl {
            name: name.into(),
            node,
            loc,
            init: crate::program::Init::Fill(0.0),
        };
        let mut program = Program {
            graph: g,
            placeholders: vec![],
            variables: vec![decl("w", w)],
            lets: vec![decl("cost", cost)],
            objective: decl("cost", cost),
            adjoints: BTreeMap::new(),
            derivations: Vec::new(),
            optimizers: Vec::new(),
            check_gradients: false,
            tangents: Default::default(),
            platform: Default::default(),
        };
        crate::autodiff::differentiate(&mut program).unwrap();
        let before = program.graph.len();
        dce(&mut program);
        // The rule of `w - 1` made `-g` for the constant, and `sum` of it for the broadcast.
        assert_eq!(before - program.graph.len(), 2, "{}", program.graph);
        assert!(!program.graph.to_string().contains("negate"), "{}", program.graph);
    }
}
