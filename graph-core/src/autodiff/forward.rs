//! Forward-mode differentiation: one tangent rule per op, building graph nodes.
//!
//! Given the tangents of a node's operands (the directional derivatives of their values along
//! a direction for every variable; `None` for zero), a rule builds the node's tangent. The
//! same rules apply to the backward graph's nodes, which are ordinary ops: the tangent of a
//! gradient is the Hessian of the objective times the direction (forward-over-reverse).
//!
//! Where an op's Jacobian is symmetric (every elementwise op of one operand, and `softmax`),
//! its tangent rule is its gradient rule applied to the tangent, so the two cannot disagree.
//! Ops linear in an operand apply themselves to its tangent. At kinks and ties, the
//! tangent picks the branch the gradient rule picks (`relu` has slope 0 at 0, `max` splits
//! ties evenly, `max_pool` routes to the first maximum), so `hvp` is the derivative of the
//! gradient `backward` computes.

use super::rules;
use crate::diag::Diagnostic;
use crate::ir::{Cmp, Graph, NodeId, Op};

/// The tangent of `node`, given its operands' tangents (`None`: zero), or `None` if it is zero.
pub fn tangent(g: &mut Graph, node: NodeId, t: &[Option<NodeId>]) -> Result<Option<NodeId>, Diagnostic> {
    if t.iter().all(Option::is_none) {
        return Ok(None);
    }
    let operands = g.operands(node);
    let loc = g.node(node).loc;
    let op = *g.op(node);
    let shape = g.shape(node).clone();
    // The tangent of operand `k`, zeros where it has none.
    let or_zeros = |g: &mut Graph, k: usize| -> Result<NodeId, Diagnostic> {
        match t[k] {
            Some(tangent) => Ok(tangent),
            None => {
                let zero = g.constant(0.0, loc);
                let like = g.shape(operands[k]).clone();
                g.broadcast_to(zero, &like, loc)
            }
        }
    };
    let some = |id| Ok(Some(id));
    match op {
        Op::Placeholder | Op::Variable | Op::Constant(_) | Op::Count(_) | Op::Literal(_) => Ok(None),
        // Piecewise constant, or through which nothing flows.
        Op::Step | Op::ExtremeMask { .. } | Op::Sign | Op::StopGradient | Op::Compare(_) => Ok(None),
        Op::OneHot(_) | Op::ArgMax(_) => Ok(None),
        // A diagonal (or, for softmax, symmetric) Jacobian: the gradient rule is the tangent rule.
        Op::Neg
        | Op::Pow(_)
        | Op::Exp
        | Op::Log
        | Op::Sqrt
        | Op::Tanh
        | Op::Sigmoid
        | Op::Relu
        | Op::Abs
        | Op::Square
        | Op::Softplus
        | Op::LeakyRelu(_)
        | Op::Elu
        | Op::Gelu
        | Op::Silu
        | Op::Log1p
        | Op::Expm1
        | Op::Sin
        | Op::Cos
        | Op::Rsqrt
        | Op::Erf
        | Op::Clip(..)
        | Op::Softmax => Ok(rules::contributions(g, node, t[0].expect("the one operand's tangent"))?[0]),
        // Linear in their one operand.
        Op::Transpose(_)
        | Op::Reshape
        | Op::Slice(_)
        | Op::Pad(_)
        | Op::Sum(_)
        | Op::Mean(_)
        | Op::Broadcast
        | Op::SumTo
        | Op::Expand(_)
        | Op::Im2col(_)
        | Op::Col2im(_)
        | Op::AvgPool(_)
        | Op::AvgPoolGrad(_) => some(g.push_as(op, shape, &[t[0].expect("the one operand's tangent")], loc)?),
        Op::Concat(_) => {
            let (a, b) = (or_zeros(g, 0)?, or_zeros(g, 1)?);
            some(g.push_as(op, shape, &[a, b], loc)?)
        }
        Op::Add => match (t[0], t[1]) {
            (Some(a), Some(b)) => some(g.binary(Op::Add, a, b, loc)?),
            (a, b) => Ok(a.or(b)),
        },
        Op::Sub => match (t[0], t[1]) {
            (Some(a), Some(b)) => some(g.binary(Op::Sub, a, b, loc)?),
            (Some(a), None) => some(a),
            (None, b) => some(g.push(Op::Neg, &[b.expect("a tangent")], loc)?),
        },
        Op::Mul => {
            // t(a b) = t_a b + a t_b.
            let (a, b) = (operands[0], operands[1]);
            let left = t[0].map(|ta| g.binary(Op::Mul, ta, b, loc)).transpose()?;
            let right = t[1].map(|tb| g.binary(Op::Mul, a, tb, loc)).transpose()?;
            sum(g, left, right, loc)
        }
        Op::Div => {
            // t(a / b) = (t_a - y t_b) / b, reusing the forward quotient y.
            let b = operands[1];
            let moved = t[1].map(|tb| g.binary(Op::Mul, node, tb, loc)).transpose()?;
            let numerator = match (t[0], moved) {
                (Some(ta), Some(m)) => g.binary(Op::Sub, ta, m, loc)?,
                (Some(ta), None) => ta,
                (None, m) => g.push(Op::Neg, &[m.expect("a tangent")], loc)?,
            };
            some(g.binary(Op::Div, numerator, b, loc)?)
        }
        Op::Maximum | Op::Minimum => {
            // The side the gradient rule picks: the first at ties.
            let cmp = if matches!(op, Op::Maximum) {
                Cmp::GreaterEq
            } else {
                Cmp::LessEq
            };
            let first = g.binary(Op::Compare(cmp), operands[0], operands[1], loc)?;
            let (a, b) = (or_zeros(g, 0)?, or_zeros(g, 1)?);
            some(g.select(first, a, b, loc)?)
        }
        Op::Select => {
            let (a, b) = (or_zeros(g, 1)?, or_zeros(g, 2)?);
            some(g.select(operands[0], a, b, loc)?)
        }
        Op::LogSoftmax => {
            // t - sum(softmax t), the softmax being exp(y).
            let ta = t[0].expect("the one operand's tangent");
            let probabilities = g.push(Op::Exp, &[node], loc)?;
            let weighted = g.binary(Op::Mul, probabilities, ta, loc)?;
            let mean = rules::sum_last(g, weighted)?;
            let mean = g.expand_last(mean, node, loc)?;
            some(g.binary(Op::Sub, ta, mean, loc)?)
        }
        Op::LogSumExp(axes) => {
            // sum(exp(a - y) t): the softmax over each slice, weighting the tangent.
            let (a, ta) = (operands[0], t[0].expect("the one operand's tangent"));
            let spread_y = rules::spread(g, node, a, axes)?;
            let shifted = g.binary(Op::Sub, a, spread_y, loc)?;
            let weights = g.push(Op::Exp, &[shifted], loc)?;
            let weighted = g.binary(Op::Mul, weights, ta, loc)?;
            some(g.push(Op::Sum(axes), &[weighted], loc)?)
        }
        Op::Max(axes) | Op::Min(axes) => {
            // The tangent at the extreme, averaged over ties (the gradient's even split).
            let min = matches!(op, Op::Min(_));
            let mask = g.push(Op::ExtremeMask { axes, min }, &[operands[0]], loc)?;
            let weighted = g.binary(Op::Mul, mask, t[0].expect("the one operand's tangent"), loc)?;
            some(g.push(Op::Sum(axes), &[weighted], loc)?)
        }
        Op::SoftmaxCrossEntropy => {
            // sum((softmax * sum(labels) - labels) t_logits) - sum(log_softmax t_labels).
            let (logits, labels) = (operands[0], operands[1]);
            let by_logits = match t[0] {
                Some(tl) => {
                    let probabilities = g.push(Op::Softmax, &[logits], loc)?;
                    let mass = rules::sum_last(g, labels)?;
                    let mass = g.expand_last(mass, logits, loc)?;
                    let expected = g.binary(Op::Mul, probabilities, mass, loc)?;
                    let error = g.binary(Op::Sub, expected, labels, loc)?;
                    let weighted = g.binary(Op::Mul, error, tl, loc)?;
                    Some(rules::sum_last(g, weighted)?)
                }
                None => None,
            };
            let by_labels = match t[1] {
                Some(ty) => {
                    let log_probabilities = g.push(Op::LogSoftmax, &[logits], loc)?;
                    let weighted = g.binary(Op::Mul, log_probabilities, ty, loc)?;
                    let total = rules::sum_last(g, weighted)?;
                    Some(g.push(Op::Neg, &[total], loc)?)
                }
                None => None,
            };
            sum(g, by_logits, by_labels, loc)
        }
        Op::SparseSoftmaxCrossEntropy => {
            // sum((softmax - one_hot(labels)) t_logits).
            let (logits, labels) = (operands[0], operands[1]);
            let classes = match g.shape(logits).dims()[g.shape(logits).rank() - 1] {
                crate::ir::Dim::Fixed(n) => n,
                crate::ir::Dim::Named(_) => unreachable!("the class axis has a number (checked when lowered)"),
            };
            let probabilities = g.push(Op::Softmax, &[logits], loc)?;
            let targets = g.push(Op::OneHot(classes), &[labels], loc)?;
            let error = g.binary(Op::Sub, probabilities, targets, loc)?;
            let weighted = g.binary(Op::Mul, error, t[0].expect("the logits' tangent"), loc)?;
            some(rules::sum_last(g, weighted)?)
        }
        // Bilinear: t(A B) = t_A B + A t_B, each a product of the same kind.
        Op::MatMul { .. } | Op::Conv2d(_) => {
            let (a, b) = (operands[0], operands[1]);
            let left = t[0].map(|ta| g.push(op, &[ta, b], loc)).transpose()?;
            let right = t[1].map(|tb| g.push(op, &[a, tb], loc)).transpose()?;
            sum(g, left, right, loc)
        }
        // Linear in the table or rows; the ids have no tangent.
        Op::Gather | Op::ScatterAdd => {
            let rows = t[0].expect("the table's tangent");
            some(g.push_as(op, shape, &[rows, operands[1]], loc)?)
        }
        Op::MaxPool(conv) => some(g.push(Op::MaxPoolPick(conv), &[operands[0], t[0].expect("a tangent")], loc)?),
        // Linear in what they route, piecewise constant in `x`.
        Op::MaxPoolGrad(_) | Op::MaxPoolPick(_) => match t[1] {
            Some(routed) => some(g.push_as(op, shape, &[operands[0], routed], loc)?),
            None => Ok(None),
        },
    }
}

/// `a + b`, either of which may be zero.
fn sum(
    g: &mut Graph,
    a: Option<NodeId>,
    b: Option<NodeId>,
    loc: crate::diag::Loc,
) -> Result<Option<NodeId>, Diagnostic> {
    match (a, b) {
        (Some(a), Some(b)) => Ok(Some(g.binary(Op::Add, a, b, loc)?)),
        (a, b) => Ok(a.or(b)),
    }
}
