//! One gradient rule per op: given d objective / d node (`g`), the contribution to
//! d objective / d each operand, built as graph nodes. `None` means "contributes zero".
//!
//! Rules reuse forward nodes (the softmax rule reads the forward `y`, never recomputes it)
//! and are written so the derived formulas read like a textbook's:
//! `d_logits = y * (d_y - sum(d_y * y))`.

use crate::diag::Diagnostic;
use crate::ir::{Axes, Graph, NodeId, Op};

/// The contributions of `node`'s rule to its operands, in operand order.
pub fn contributions(g: &mut Graph, node: NodeId, grad: NodeId) -> Result<Vec<Option<NodeId>>, Diagnostic> {
    let operands = g.operands(node);
    let loc = g.node(node).loc;
    let op = *g.op(node);
    let one = |id| Ok(vec![Some(id)]);
    match op {
        Op::Placeholder | Op::Variable | Op::Constant(_) => Ok(vec![]),
        Op::Add => Ok(vec![Some(grad), Some(grad)]),
        Op::Sub => {
            let minus = g.push(Op::Neg, &[grad], loc)?;
            Ok(vec![Some(grad), Some(minus)])
        }
        Op::Mul => {
            let (a, b) = (operands[0], operands[1]);
            let da = g.binary(Op::Mul, grad, b, loc)?;
            let db = g.binary(Op::Mul, grad, a, loc)?;
            Ok(vec![Some(da), Some(db)])
        }
        Op::Div => {
            // d(a / b) = g / b, and -g * (a / b) / b, which reuses the forward quotient.
            let b = operands[1];
            let da = g.binary(Op::Div, grad, b, loc)?;
            let gq = g.binary(Op::Mul, grad, node, loc)?;
            let gqb = g.binary(Op::Div, gq, b, loc)?;
            let db = g.push(Op::Neg, &[gqb], loc)?;
            Ok(vec![Some(da), Some(db)])
        }
        Op::Neg => one(g.push(Op::Neg, &[grad], loc)?),
        Op::Pow(e) => pow_rule(g, operands[0], e, grad, node),
        Op::Exp => one(g.binary(Op::Mul, grad, node, loc)?),
        Op::Log => one(g.binary(Op::Div, grad, operands[0], loc)?),
        Op::Softmax => {
            // d_x = y * (g - sum(g * y)), the sum over the last axis: the full Jacobian
            // diag(y) - y y^T applied to g, without forming it.
            let last = g.shape(node).rank() - 1;
            let len = g.shape(node).dims()[last];
            let gy = g.binary(Op::Mul, grad, node, loc)?;
            let total = g.push(Op::Sum(Axes::One(last)), &[gy], loc)?;
            let total = g.expand(total, last, len, loc)?;
            let centred = g.binary(Op::Sub, grad, total, loc)?;
            one(g.binary(Op::Mul, node, centred, loc)?)
        }
        Op::Sum(axes) => one(spread(g, grad, operands[0], axes)?),
        Op::Mean(axes) => {
            let shape = g.shape(operands[0]).clone();
            let count = match axes {
                Axes::All => shape.len(),
                Axes::One(k) => shape.dims()[k],
            };
            let share = g.div_constant(grad, count as f64, loc)?;
            one(spread(g, share, operands[0], axes)?)
        }
        Op::Max(_) => Err(Diagnostic::new(
            loc,
            "internal error: `max` is only made after differentiation and has no gradient rule yet",
        )),
        Op::Broadcast => {
            let shape = g.shape(operands[0]).clone();
            one(g.sum_to(grad, &shape, loc)?)
        }
        Op::SumTo => {
            let shape = g.shape(operands[0]).clone();
            one(g.broadcast_to(grad, &shape, loc)?)
        }
        Op::Expand(axis) => one(g.push(Op::Sum(Axes::One(axis)), &[grad], loc)?),
    }
}

/// d(a^e) = g * e * a^(e-1), with the exponents 0, 1 and 2 written the way a person would.
fn pow_rule(g: &mut Graph, a: NodeId, e: f64, grad: NodeId, node: NodeId) -> Result<Vec<Option<NodeId>>, Diagnostic> {
    let loc = g.node(node).loc;
    if e == 0.0 {
        return Ok(vec![None]);
    }
    if e == 1.0 {
        return Ok(vec![Some(grad)]);
    }
    let base = if e == 2.0 {
        a
    } else {
        g.push(Op::Pow(e - 1.0), &[a], loc)?
    };
    let scaled = g.mul_constant(grad, e, loc)?;
    Ok(vec![Some(g.binary(Op::Mul, scaled, base, loc)?)])
}

/// The adjoint of a reduction's result spread back over the reduced operand's shape.
fn spread(g: &mut Graph, grad: NodeId, operand: NodeId, axes: Axes) -> Result<NodeId, Diagnostic> {
    let loc = g.node(operand).loc;
    let shape = g.shape(operand).clone();
    match axes {
        Axes::All => g.broadcast_to(grad, &shape, loc),
        Axes::One(k) => g.expand(grad, k, shape.dims()[k], loc),
    }
}
