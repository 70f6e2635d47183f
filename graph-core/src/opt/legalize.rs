//! Legalisation: rewrites the ops that exist for differentiation (`softmax`, `log_softmax`,
//! `softmax_cross_entropy`, `logsumexp`, `conv2d`) into the primitives the emitter fuses (`max`,
//! `exp`, `log`, `sum`, elementwise arithmetic) or computes as kernels (`im2col` and a product).
//!
//! It runs after autodiff, so the max shift is never differentiated: these stay high-level
//! nodes, with one gradient rule each, for as long as gradients are made.

use crate::diag::Diagnostic;
use crate::ir::{Axes, Cmp, Graph, NodeId, Op};

/// Expands every such op in `graph` in place; each keeps its id, name and users.
pub fn legalize(graph: &mut Graph) -> Result<(), Diagnostic> {
    // Cross entropy first: it expands into a `log_softmax`, legalised with the others.
    for id in all(graph, |op| *op == Op::SoftmaxCrossEntropy) {
        graph.in_context_of(id, |g| cross_entropy(g, id))?;
    }
    for id in all(graph, |op| matches!(op, Op::Softmax | Op::LogSoftmax)) {
        graph.in_context_of(id, |g| softmax(g, id))?;
    }
    for id in all(graph, |op| matches!(op, Op::LogSumExp(_))) {
        graph.in_context_of(id, |g| logsumexp(g, id))?;
    }
    for id in all(graph, |op| matches!(op, Op::Conv2d(_))) {
        graph.in_context_of(id, |g| conv2d(g, id))?;
    }
    Ok(())
}

/// `y = conv2d(x, w)` becomes `matmul(im2col(x), reshape(w, [KH * KW * C, F]))`: the windows of
/// `x` as rows times the filters as a matrix, one GEMM over every window of the batch (the
/// same windows as the filters' gradient reads, so common-subexpression elimination keeps one).
fn conv2d(g: &mut Graph, y: NodeId) -> Result<(), Diagnostic> {
    let Op::Conv2d(conv) = *g.op(y) else {
        unreachable!("{y} is a conv2d")
    };
    let (x, w) = (g.operands(y)[0], g.operands(y)[1]);
    let loc = g.node(y).loc;
    let cols = g.push(Op::Im2col(conv), &[x], loc)?;
    let depth = g.shape(cols).dims()[3];
    let filters = g.shape(w).dims()[3];
    let matrix = g.push_with_shape(Op::Reshape, crate::ir::Shape::of(vec![depth, filters]), &[w], loc)?;
    let product = Op::MatMul {
        ta: false,
        tb: false,
        fold: false,
    };
    g.rewrite(y, product, &[cols, matrix])
}

/// `y = logsumexp(x)` over `axes` becomes `log(sum(exp(x - shift))) + shift`, the shift each
/// slice's maximum where it is finite and 0 where it is not (so a slice of `-inf` gives
/// `-inf`, one holding `+inf` gives `+inf`, and a NaN stays).
fn logsumexp(g: &mut Graph, y: NodeId) -> Result<(), Diagnostic> {
    let Op::LogSumExp(axes) = *g.op(y) else {
        unreachable!("{y} is a logsumexp")
    };
    let x = g.operands(y)[0];
    let loc = g.node(y).loc;
    let max = g.push(Op::Max(axes), &[x], loc)?;
    let (inf, minus_inf) = (g.constant(f64::INFINITY, loc), g.constant(f64::NEG_INFINITY, loc));
    let below = g.binary(Op::Compare(Cmp::Less), max, inf, loc)?;
    let above = g.binary(Op::Compare(Cmp::Greater), max, minus_inf, loc)?;
    let finite = g.binary(Op::Mul, below, above, loc)?;
    let zero = g.constant(0.0, loc);
    let shift = g.select(finite, max, zero, loc)?;
    let shape = g.shape(x).clone();
    let spread = g.unreduce(shift, axes, &shape, loc)?;
    let shifted = g.binary(Op::Sub, x, spread, loc)?;
    let exp = g.push(Op::Exp, &[shifted], loc)?;
    let total = g.push(Op::Sum(axes), &[exp], loc)?;
    let log_total = g.push(Op::Log, &[total], loc)?;
    g.rewrite(y, Op::Add, &[log_total, shift])
}

fn all(graph: &Graph, wanted: impl Fn(&Op) -> bool) -> Vec<NodeId> {
    graph.ids().filter(|&id| wanted(graph.op(id))).collect()
}

/// `y = softmax(x)` becomes `e = exp(x - max(x)); y = e * (1 / sum(e))`, and `log_softmax(x)`
/// becomes `(x - max(x)) - log(sum(e))`, over the last axis. The reciprocal, once per row, is
/// what TensorFlow computes on CPUs (Eigen's `softmax * sum.inverse()`, and oneDNN's, checked
/// by `tools/tf_softmax_formula.py`): one more rounding than dividing each element (at most
/// 1 ulp), and a multiply per element where a division was the slowest operation of the seed
/// step's loops.
fn softmax(g: &mut Graph, y: NodeId) -> Result<(), Diagnostic> {
    let x = g.operands(y)[0];
    let loc = g.node(y).loc;
    let last = g.shape(y).rank() - 1;
    let name = g.node(y).name.clone();

    let max = g.push(Op::Max(Axes::one(last)), &[x], loc)?;
    let max_row = g.expand_last(max, y, loc)?;
    let shifted = g.binary(Op::Sub, x, max_row, loc)?;
    let exp = g.push(Op::Exp, &[shifted], loc)?;
    let total = g.push(Op::Sum(Axes::one(last)), &[exp], loc)?;
    if let Some(name) = name {
        g.node_mut(max).name = Some(format!("{name}_max"));
        g.node_mut(exp).name = Some(format!("{name}_exp"));
        g.node_mut(total).name = Some(format!("{name}_sum"));
    }
    if *g.op(y) == Op::LogSoftmax {
        let log_total = g.push(Op::Log, &[total], loc)?;
        let log_total_row = g.expand_last(log_total, y, loc)?;
        return g.rewrite(y, Op::Sub, &[shifted, log_total_row]);
    }
    let one = g.constant(1.0, loc);
    let inverse = g.binary(Op::Div, one, total, loc)?;
    let inverse_row = g.expand_last(inverse, y, loc)?;
    g.rewrite(y, Op::Mul, &[exp, inverse_row])
}

/// `softmax_cross_entropy(logits, labels)` becomes `-sum(labels * log_softmax(logits))`.
fn cross_entropy(g: &mut Graph, node: NodeId) -> Result<(), Diagnostic> {
    let (logits, labels) = (g.operands(node)[0], g.operands(node)[1]);
    let loc = g.node(node).loc;
    let last = g.shape(logits).rank() - 1;
    let log_probabilities = g.push(Op::LogSoftmax, &[logits], loc)?;
    let weighted = g.binary(Op::Mul, labels, log_probabilities, loc)?;
    let total = g.push(Op::Sum(Axes::one(last)), &[weighted], loc)?;
    g.rewrite(node, Op::Neg, &[total])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Loc;
    use crate::ir::{DType, Shape};

    #[test]
    fn softmax_becomes_max_exp_sum_and_a_reciprocal() {
        let mut g = Graph::new(DType::F64);
        let loc = Loc::call_site();
        let x = g.leaf(Op::Placeholder, Shape::new(vec![2, 3]), "x", loc).unwrap();
        let y = g.push(Op::Softmax, &[x], loc).unwrap();
        g.node_mut(y).name = Some("y".into());
        let before = crate::eval::evaluate(&g, &[], |_| vec![1.0, 2.0, 3.0, 1000.0, 0.0, -1.0]).unwrap()[&y].clone();
        legalize(&mut g).unwrap();
        expect_test::expect![[r#"
            %0 = placeholder : [2, 3]  (x)
            %2 = max axis=1 %0 : [2]  (y_max)
            %3 = expand axis=1 %2 : [2, 3]
            %4 = subtract %0, %3 : [2, 3]
            %5 = exp %4 : [2, 3]  (y_exp)
            %6 = sum axis=1 %5 : [2]  (y_sum)
            %7 = constant 1 : []
            %8 = broadcast %7 : [2]
            %9 = divide %8, %6 : [2]
            %10 = expand axis=1 %9 : [2, 3]
            %1 = multiply %5, %10 : [2, 3]  (y)
        "#]]
        .assert_eq(&g.to_string());
        let after = crate::eval::evaluate(&g, &[], |_| vec![1.0, 2.0, 3.0, 1000.0, 0.0, -1.0]).unwrap()[&y].clone();
        for (a, b) in before.iter().zip(&after) {
            assert!((a - b).abs() < 1e-15, "{before:?} vs {after:?}");
        }
    }
}
