//! Structured random graphs through the whole compiler: bytes choose shapes, ops and operands
//! among the nodes built so far, then an objective; the graph is checked, differentiated,
//! optimised and emitted. Builder errors (shapes that do not fit) are fine; a panic is not.

#![no_main]

use graph_core::{
    Axes, AxisSet, Cmp, Conv, DType, Decl, Dim, Elem, Graph, Init, Loc, NodeId, Op, Padding, Perm, Program, Shape,
    Window,
};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

const SHAPES: &[&[usize]] = &[
    &[],
    &[3],
    &[2, 3],
    &[3, 2],
    &[1, 3],
    &[2, 1, 3],
    &[2, 3, 4, 2],
    &[2, 2, 2, 3],
];

/// The ops a user's graph can contain, from the op table (`Op::calls`, and `-a`, `x[i]`),
/// with their parameters chosen by `extra` (the axes a reduction takes or a transpose's order,
/// a product's transposes, which also give the matrix-times-vector form, a concatenation's
/// axis): a new op is fuzzed as soon as it is callable.
fn op(byte: u8, extra: u8) -> (Op, Axes) {
    let axes = if extra % 4 == 0 {
        Axes::All
    } else {
        Axes::Set(AxisSet::of((0..3).filter(|k| extra >> k & 1 != 0)))
    };
    let slice = Op::Slice(Window {
        start: [0; 4],
        dropped: AxisSet::of([0]),
    });
    let compare = Op::Compare(Cmp::ALL[usize::from(extra) % Cmp::ALL.len()]);
    let callable: Vec<Op> = Op::calls().map(|(op, _)| op).chain([Op::Neg, slice, compare]).collect();
    let op = match callable[usize::from(byte) % callable.len()] {
        Op::Pow(_) => Op::Pow([0.5, -1.0, 0.0, 1.0, 2.0, 3.0][usize::from(extra) % 6]),
        Op::MatMul { .. } => Op::MatMul {
            ta: extra & 8 != 0,
            tb: extra & 4 != 0,
            fold: false,
        },
        Op::Transpose(_) => {
            let orders: [&[usize]; 4] = [&[1, 0], &[0, 2, 1], &[2, 0, 1], &[1, 0, 2]];
            Op::Transpose(Perm::of(orders[usize::from(extra) % 4]))
        }
        Op::Concat(_) => Op::Concat(usize::from(extra % 3)),
        Op::LeakyRelu(_) => Op::LeakyRelu(f64::from(extra) / 255.0),
        Op::Clip(..) => Op::Clip(-1.0, [-1.0, 0.0, 2.0][usize::from(extra) % 3]),
        Op::OneHot(_) => Op::OneHot(1 + usize::from(extra % 4)),
        Op::ArgMax(_) => Op::ArgMax(usize::from(extra % 3)),
        op => op.with_axes(axes),
    };
    (op, axes)
}

fuzz_target!(|data: &[u8]| {
    let loc = Loc::call_site();
    let mut graph = Graph::new(DType::F64);
    let mut bytes = data.iter().copied();
    let mut next = || bytes.next();
    let mut nodes: Vec<NodeId> = Vec::new();
    let (mut placeholders, mut variables) = (Vec::new(), Vec::new());
    let decl = |name: String, node| Decl {
        name,
        node,
        loc,
        init: Init::Fill(0.0),
    };
    let batch = next().is_some_and(|b| b % 2 == 0);
    if batch {
        graph.add_named("batch");
        graph.add_named("seq");
    }
    for k in 0..next().map_or(0, |b| b % 4 + 1) {
        let dims: Vec<Dim> = SHAPES[usize::from(next().unwrap_or(0)) % SHAPES.len()]
            .iter()
            .map(|&d| Dim::Fixed(d))
            .collect();
        let mut dims = dims;
        if batch && !dims.is_empty() {
            // Neither, `batch` first, or `seq` last.
            match next().map_or(0, |b| b % 3) {
                1 => dims[0] = Dim::Named(0),
                2 => *dims.last_mut().expect("not empty") = Dim::Named(1),
                _ => {}
            }
        }
        let variable = k % 2 == 1;
        let name = format!("{}{k}", if variable { "w" } else { "x" });
        let op = if variable { Op::Variable } else { Op::Placeholder };
        // The third leaf, if any, holds ids.
        let leaf = match k {
            2 => graph.placeholder(Elem::I32, Shape::of(dims), &name, loc),
            _ => graph.leaf(op, Shape::of(dims), &name, loc),
        };
        let Ok(id) = leaf else {
            return;
        };
        nodes.push(id);
        if variable {
            variables.push(decl(name, id))
        } else {
            placeholders.push(decl(name, id))
        }
    }
    while let (Some(a), Some(b), Some(c), Some(d)) = (next(), next(), next(), next()) {
        if nodes.is_empty() {
            return;
        }
        let (op, axes) = op(a, d);
        let x = nodes[usize::from(b) % nodes.len()];
        let y = nodes[usize::from(c) % nodes.len()];
        let shape = graph.shape(x).clone();
        let result = match (op, op.arity()) {
            (Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Maximum | Op::Minimum | Op::Compare(_), _) => {
                graph.binary(op, x, y, loc)
            }
            (Op::Select, _) => graph.select(y, x, y, loc),
            // A reshape to one axis; `x[0]`, the first index of the leading axis.
            (Op::Reshape, _) => match shape.size().as_dim() {
                Some(dim) => graph.push_with_shape(op, Shape::of(vec![dim]), &[x], loc),
                None => continue,
            },
            (Op::Slice(_), _) if shape.rank() > 0 => graph.push_with_shape(op, shape.without_axis(0), &[x], loc),
            (Op::Slice(_), _) => continue,
            // Windows over images `[n, H, W, C]`: sizes, strides and padding from `d`, the filters
            // `y` (checked by the shape rule).
            (Op::Conv2d(_) | Op::MaxPool(_) | Op::AvgPool(_), _) if shape.rank() == 4 => {
                let fixed = |k: usize| match shape.dims()[k] {
                    Dim::Fixed(n) => n,
                    Dim::Named(_) => 1,
                };
                let size = match op {
                    Op::Conv2d(_) => match graph.shape(y).dims() {
                        [Dim::Fixed(kh), Dim::Fixed(kw), ..] => [*kh, *kw],
                        _ => [1, 1],
                    },
                    _ => [1 + usize::from(d % 3), 1 + usize::from(d / 3 % 3)],
                };
                let stride = [1 + usize::from(d / 9 % 2), 1 + usize::from(d / 18 % 2)];
                let padding = if d & 64 != 0 { Padding::Same } else { Padding::Valid };
                let Some((conv, _)) = Conv::new(size, stride, padding, [fixed(1), fixed(2)]) else {
                    continue;
                };
                match op {
                    Op::Conv2d(_) => graph.push(Op::Conv2d(conv), &[x, y], loc),
                    Op::MaxPool(_) => graph.push(Op::MaxPool(conv), &[x], loc),
                    _ => graph.push(Op::AvgPool(conv), &[x], loc),
                }
            }
            (_, 2) => graph.push(op, &[x, y], loc),
            _ => graph.push(op, &[x], loc),
        };
        if let Ok(id) = result {
            nodes.push(id);
            // `keepdims = true`: the reduced axis back with length 1, as lowering writes it.
            if let (true, true, Axes::Set(set)) = (op.is_reduction(), d & 16 != 0, axes) {
                let ones = (0..shape.rank()).map(|k| {
                    if set.contains(k) {
                        Dim::Fixed(1)
                    } else {
                        shape.dims()[k]
                    }
                });
                if let Ok(kept) = graph.unreduce(id, axes, &Shape::of(ones.collect()), loc) {
                    nodes.push(kept);
                }
            }
        }
    }
    let Some(&last) = nodes.last() else { return };
    let Ok(objective) = graph.push(Op::Sum(Axes::All), &[last], loc) else {
        return;
    };
    graph.node_mut(objective).name = Some("cost".into());
    let program = Program {
        graph,
        placeholders,
        variables,
        lets: vec![decl("cost".into(), objective)],
        objective: decl("cost".into(), objective),
        adjoints: BTreeMap::new(),
        derivations: Vec::new(),
        optimizers: Vec::new(),
        check_gradients: false,
        // Forward mode over both graphs too: its rules must never panic either.
        tangents: graph_core::Tangents {
            jvp: true,
            hvp: true,
            ..Default::default()
        },
        platform: Default::default(),
    };
    let _ = graph_core::compile(program, "fuzzed", &quote::quote!(::static_graph::__private));
});
