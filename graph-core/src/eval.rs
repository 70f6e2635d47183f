//! The reference interpreter: evaluates every node of a graph in f64, one op at a time,
//! written for clarity rather than speed. Tests use it as an oracle for the generated code,
//! and to check that every pass preserves meaning.

use crate::ir::{Axes, Graph, IndexMap, NodeId, Op};
use std::collections::BTreeMap;

/// The value of every node, flat in row-major order.
pub type Values = BTreeMap<NodeId, Vec<f64>>;

/// Evaluates `graph`, taking the value of each placeholder and variable from `leaf`.
///
/// Returns an error naming the leaf whose value has the wrong length.
pub fn evaluate(graph: &Graph, mut leaf: impl FnMut(NodeId) -> Vec<f64>) -> Result<Values, String> {
    let mut values = Values::new();
    for id in graph.topological_order() {
        let value = match graph.op(id) {
            Op::Placeholder | Op::Variable => {
                let value = leaf(id);
                if value.len() != graph.shape(id).len() {
                    let name = graph.node(id).name.clone().unwrap_or_else(|| id.to_string());
                    return Err(format!(
                        "`{name}` needs {} values, got {}",
                        graph.shape(id).len(),
                        value.len()
                    ));
                }
                value
            }
            _ => {
                let operands: Vec<&[f64]> = graph.operands(id).iter().map(|o| values[o].as_slice()).collect();
                compute(graph, id, &operands)
            }
        };
        values.insert(id, value);
    }
    Ok(values)
}

/// The value of one non-leaf node from its operands' values.
fn compute(graph: &Graph, id: NodeId, x: &[&[f64]]) -> Vec<f64> {
    let shape = graph.shape(id);
    let zip = |f: fn(f64, f64) -> f64| x[0].iter().zip(x[1]).map(|(&a, &b)| f(a, b)).collect();
    let map = |f: &dyn Fn(f64) -> f64| x[0].iter().map(|&a| f(a)).collect();
    match *graph.op(id) {
        Op::Placeholder | Op::Variable => unreachable!("leaves are fed, not computed"),
        Op::Constant(c) => vec![c],
        Op::Add => zip(|a, b| a + b),
        Op::Sub => zip(|a, b| a - b),
        Op::Mul => zip(|a, b| a * b),
        Op::Div => zip(|a, b| a / b),
        Op::Neg => map(&|a| -a),
        Op::Pow(e) => map(&|a| a.powf(e)),
        Op::Exp => map(&f64::exp),
        Op::Log => map(&f64::ln),
        Op::Softmax => softmax(x[0], shape.dims()[shape.rank() - 1]),
        Op::Sum(axes) | Op::Mean(axes) | Op::Max(axes) => {
            let operand = graph.shape(graph.operands(id)[0]);
            let index = IndexMap::reduction(operand, axes);
            let count = match axes {
                Axes::All => operand.len(),
                Axes::One(k) => operand.dims()[k],
            };
            reduce(graph.op(id), x[0], &index, shape.len(), count)
        }
        Op::SumTo => {
            let operand = graph.shape(graph.operands(id)[0]);
            reduce(
                &Op::Sum(Axes::All),
                x[0],
                &IndexMap::broadcast(shape, operand),
                shape.len(),
                1,
            )
        }
        Op::Broadcast => {
            let index = IndexMap::broadcast(graph.shape(graph.operands(id)[0]), shape);
            (0..shape.len()).map(|i| x[0][index.apply(i)]).collect()
        }
        Op::Expand(axis) => {
            let kept: Vec<bool> = (0..shape.rank()).map(|k| k != axis).collect();
            let index = IndexMap::keeping(shape, &kept);
            (0..shape.len()).map(|i| x[0][index.apply(i)]).collect()
        }
    }
}

/// Softmax over rows of length `row`, shifted by each row's maximum so that it cannot overflow.
fn softmax(x: &[f64], row: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(x.len());
    for chunk in x.chunks(row) {
        let max = chunk.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let exps: Vec<f64> = chunk.iter().map(|&v| (v - max).exp()).collect();
        let total: f64 = exps.iter().sum();
        out.extend(exps.iter().map(|e| e / total));
    }
    out
}

/// Folds `x` into `len` results, element `i` going to `index.apply(i)`.
fn reduce(op: &Op, x: &[f64], index: &IndexMap, len: usize, count: usize) -> Vec<f64> {
    let start = if matches!(op, Op::Max(_)) {
        f64::NEG_INFINITY
    } else {
        0.0
    };
    let mut out = vec![start; len];
    for (i, &v) in x.iter().enumerate() {
        let slot = &mut out[index.apply(i)];
        *slot = match op {
            Op::Max(_) if v > *slot || v.is_nan() => v,
            Op::Max(_) => *slot,
            _ => *slot + v,
        };
    }
    if matches!(op, Op::Mean(_)) {
        out.iter_mut().for_each(|v| *v /= count as f64);
    }
    out
}
