//! Small graphs for the passes' tests: a placeholder `x` of a given shape, a body built with
//! the builder, and the objective `cost` it returns.

use crate::diag::Loc;
use crate::ir::{DType, Graph, NodeId, Op, Shape};
use crate::program::{Decl, Init, Program};
use std::collections::BTreeMap;

/// The graph being built, and its placeholder `x`.
pub struct Build {
    /// The graph.
    pub graph: Graph,
    /// The placeholder `x`.
    pub x: NodeId,
}

impl Build {
    /// A scalar constant.
    pub fn constant(&mut self, value: f64) -> NodeId {
        self.graph.constant(value, Loc::call_site())
    }

    /// `op` of `operands`, broadcasting binary operands.
    pub fn op(&mut self, op: Op, operands: &[NodeId]) -> NodeId {
        let loc = Loc::call_site();
        match operands {
            [a, b] if !matches!(op, Op::MatMul { .. } | Op::SoftmaxCrossEntropy) => self.graph.binary(op, *a, *b, loc),
            _ => self.graph.push(op, operands, loc),
        }
        .expect("a well-shaped test graph")
    }
}

/// A program with placeholder `x: [f64; dims]`, variable-free, whose objective `cost` is what
/// `body` returns.
pub fn program(dims: &[usize], body: impl FnOnce(&mut Build) -> NodeId) -> Program {
    let loc = Loc::call_site();
    let mut graph = Graph::new(DType::F64);
    let x = graph
        .leaf(Op::Placeholder, Shape::new(dims.to_vec()), "x", loc)
        .expect("a leaf");
    let mut b = Build { graph, x };
    let cost = body(&mut b);
    b.graph.node_mut(cost).name = Some("cost".into());
    let decl = |name: &str, node| Decl {
        name: name.into(),
        node,
        loc,
        init: Init::Fill(0.0),
    };
    Program {
        graph: b.graph,
        placeholders: vec![decl("x", x)],
        variables: vec![],
        lets: vec![decl("cost", cost)],
        objective: decl("cost", cost),
        adjoints: BTreeMap::new(),
        derivations: Vec::new(),
        optimizers: Vec::new(),
        check_gradients: false,
        tangents: Default::default(),
        platform: Default::default(),
    }
}
