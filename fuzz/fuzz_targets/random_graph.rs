//! Structured random graphs through the whole compiler: bytes choose shapes, ops and operands
//! among the nodes built so far, then an objective; the graph is checked, differentiated,
//! optimised and emitted. Builder errors (shapes that do not fit) are fine; a panic is not.

#![no_main]

use graph_core::{Axes, DType, Decl, Dim, Graph, Init, Loc, NodeId, Op, Program, Shape};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

const SHAPES: &[&[usize]] = &[&[], &[3], &[2, 3], &[3, 2], &[1, 3], &[2, 1, 3]];

fn op(byte: u8, extra: u8) -> Op {
    let axes = if extra % 3 == 0 { Axes::All } else { Axes::One(usize::from(extra % 3) - 1) };
    match byte % 22 {
        0 => Op::Add,
        1 => Op::Sub,
        2 => Op::Mul,
        3 => Op::Div,
        4 => Op::Neg,
        5 => Op::Pow(f64::from(extra % 5) - 1.0),
        6 => Op::Exp,
        7 => Op::Log,
        8 => Op::Sqrt,
        9 => Op::Tanh,
        10 => Op::Sigmoid,
        11 => Op::Relu,
        12 => Op::Softmax,
        13 => Op::LogSoftmax,
        14 => Op::SoftmaxCrossEntropy,
        15 => Op::Sum(axes),
        16 => Op::Mean(axes),
        17 => Op::Max(axes),
        18 => Op::MatMul { ta: false, tb: false },
        19 => Op::Transpose,
        20 => Op::Pow(0.5),
        _ => Op::Mul,
    }
}

fuzz_target!(|data: &[u8]| {
    let loc = Loc::call_site();
    let mut graph = Graph::new(DType::F64);
    let mut bytes = data.iter().copied();
    let mut next = || bytes.next();
    let mut nodes: Vec<NodeId> = Vec::new();
    let (mut placeholders, mut variables) = (Vec::new(), Vec::new());
    let decl = |name: String, node| Decl { name, node, loc, init: Init::Fill(0.0) };
    let batch = next().is_some_and(|b| b % 2 == 0);
    if batch {
        graph.set_batch_name("batch");
    }
    for k in 0..next().map_or(0, |b| b % 4 + 1) {
        let dims: Vec<Dim> = SHAPES[usize::from(next().unwrap_or(0)) % SHAPES.len()].iter().map(|&d| Dim::Fixed(d)).collect();
        let mut dims = dims;
        if batch && !dims.is_empty() && next().is_some_and(|b| b % 2 == 0) {
            dims[0] = Dim::Batch;
        }
        let variable = k % 2 == 1;
        let name = format!("{}{k}", if variable { "w" } else { "x" });
        let op = if variable { Op::Variable } else { Op::Placeholder };
        let Ok(id) = graph.leaf(op, Shape::of(dims), &name, loc) else { return };
        nodes.push(id);
        if variable { variables.push(decl(name, id)) } else { placeholders.push(decl(name, id)) }
    }
    while let (Some(a), Some(b), Some(c), Some(d)) = (next(), next(), next(), next()) {
        if nodes.is_empty() {
            return;
        }
        let op = op(a, d);
        let x = nodes[usize::from(b) % nodes.len()];
        let y = nodes[usize::from(c) % nodes.len()];
        let result = match op {
            Op::Add | Op::Sub | Op::Mul | Op::Div => graph.binary(op, x, y, loc),
            Op::SoftmaxCrossEntropy | Op::MatMul { .. } => graph.push(op, &[x, y], loc),
            _ => graph.push(op, &[x], loc),
        };
        if let Ok(id) = result {
            nodes.push(id);
        }
    }
    let Some(&last) = nodes.last() else { return };
    let Ok(objective) = graph.push(Op::Sum(Axes::All), &[last], loc) else { return };
    graph.node_mut(objective).name = Some("cost".into());
    let program = Program {
        graph,
        placeholders,
        variables,
        lets: vec![decl("cost".into(), objective)],
        objective: decl("cost".into(), objective),
        adjoints: BTreeMap::new(),
        derivations: Vec::new(),
    };
    let _ = graph_core::compile(program, "fuzzed");
});
