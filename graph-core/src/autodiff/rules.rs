//! One gradient rule per op: given d objective / d node (`g`), the contribution to
//! d objective / d each operand, built as graph nodes. `None` means "contributes zero".
//!
//! Rules reuse forward nodes (the softmax rule reads the forward `y`, never recomputes it)
//! and are written so the derived formulas read like a textbook's:
//! `d_logits = y * (d_y - sum(d_y * y))`.

use crate::diag::Diagnostic;
use crate::ir::{Axes, Cmp, Graph, NodeId, Op};

/// The contributions of `node`'s rule to its operands, in operand order.
pub fn contributions(g: &mut Graph, node: NodeId, grad: NodeId) -> Result<Vec<Option<NodeId>>, Diagnostic> {
    let operands = g.operands(node);
    let loc = g.node(node).loc;
    let op = *g.op(node);
    let one = |id| Ok(vec![Some(id)]);
    match op {
        Op::Placeholder | Op::Variable | Op::Constant(_) | Op::Count(_) | Op::Literal(_) => Ok(vec![]),
        // Piecewise-constant ops: zero gradient almost everywhere.
        Op::Step | Op::ExtremeMask { .. } | Op::Sign | Op::StopGradient => Ok(vec![None]),
        Op::Compare(_) => Ok(vec![None, None]),
        // Integer ids carry no gradient.
        Op::OneHot(_) | Op::ArgMax(_) => Ok(vec![None]),
        Op::Gather => {
            // Each picked row's gradient is added back into its row of the table.
            let table = g.shape(operands[0]).clone();
            let d_table = g.push_with_shape(Op::ScatterAdd, table, &[grad, operands[1]], loc)?;
            Ok(vec![Some(d_table), None])
        }
        Op::ScatterAdd => Ok(vec![Some(g.push(Op::Gather, &[grad, operands[1]], loc)?), None]),
        Op::Conv2d(conv) => {
            // y = cols(x) W, with `cols` the windows of `x` as rows and W the filters as a
            // [KH * KW * C, F] matrix: d_x = col2im(g Wᵀ), d_W = cols(x)ᵀ g (one product over
            // every window of the batch), reshaped back to the filters.
            let (x, w) = (operands[0], operands[1]);
            let (x_shape, w_shape) = (g.shape(x).clone(), g.shape(w).clone());
            let dims = |s: &crate::ir::Shape| -> Vec<crate::ir::Dim> { s.dims().to_vec() };
            let filters = dims(&w_shape)[3];
            let rows = crate::ir::Size::of(dims(&w_shape)[0])
                .times(crate::ir::Size::of(dims(&w_shape)[1]))
                .times(crate::ir::Size::of(dims(&w_shape)[2]));
            let rows = rows
                .as_dim()
                .expect("a filter's sizes are numbers (checked when lowered)");
            let matrix = crate::ir::Shape::of(vec![rows, filters]);
            let w2 = g.push_with_shape(Op::Reshape, matrix, &[w], loc)?;
            let product = Op::MatMul {
                ta: false,
                tb: true,
                fold: false,
            };
            let d_cols = g.push(product, &[grad, w2], loc)?;
            let d_x = g.push_with_shape(Op::Col2im(conv), x_shape, &[d_cols], loc)?;
            let cols = g.push(Op::Im2col(conv), &[x], loc)?;
            let summed = Op::MatMul {
                ta: true,
                tb: false,
                fold: true,
            };
            let d_w2 = g.push(summed, &[cols, grad], loc)?;
            let d_w = g.push_with_shape(Op::Reshape, w_shape, &[d_w2], loc)?;
            Ok(vec![Some(d_x), Some(d_w)])
        }
        Op::Im2col(conv) => {
            let shape = g.shape(operands[0]).clone();
            one(g.push_with_shape(Op::Col2im(conv), shape, &[grad], loc)?)
        }
        Op::Col2im(conv) => one(g.push(Op::Im2col(conv), &[grad], loc)?),
        Op::MaxPool(conv) => one(g.push(Op::MaxPoolGrad(conv), &[operands[0], grad], loc)?),
        Op::AvgPool(conv) => {
            let shape = g.shape(operands[0]).clone();
            one(g.push_with_shape(Op::AvgPoolGrad(conv), shape, &[grad], loc)?)
        }
        // Linear in the gradient (or direction) they route, piecewise constant in `x`: each
        // the other's transpose.
        Op::MaxPoolGrad(conv) => Ok(vec![
            None,
            Some(g.push(Op::MaxPoolPick(conv), &[operands[0], grad], loc)?),
        ]),
        Op::MaxPoolPick(conv) => Ok(vec![
            None,
            Some(g.push(Op::MaxPoolGrad(conv), &[operands[0], grad], loc)?),
        ]),
        Op::AvgPoolGrad(conv) => one(g.push(Op::AvgPool(conv), &[grad], loc)?),
        Op::SparseSoftmaxCrossEntropy => {
            // d_logits = g * (softmax(logits) - one_hot(labels)), TensorFlow's rule.
            let (logits, labels) = (operands[0], operands[1]);
            let shape = g.shape(logits);
            let classes = match shape.dims()[shape.rank() - 1] {
                crate::ir::Dim::Fixed(n) => n,
                crate::ir::Dim::Named(_) => unreachable!("the class axis has a number (checked when lowered)"),
            };
            let spread = g.expand_last(grad, logits, loc)?;
            let probabilities = g.push(Op::Softmax, &[logits], loc)?;
            let targets = g.push(Op::OneHot(classes), &[labels], loc)?;
            let error = g.binary(Op::Sub, probabilities, targets, loc)?;
            Ok(vec![Some(g.binary(Op::Mul, spread, error, loc)?), None])
        }
        Op::Abs => {
            let sign = g.push(Op::Sign, &[operands[0]], loc)?;
            one(g.binary(Op::Mul, grad, sign, loc)?)
        }
        Op::Square => {
            let twice = g.mul_constant(operands[0], 2.0, loc)?;
            one(g.binary(Op::Mul, grad, twice, loc)?)
        }
        Op::Softplus => {
            let slope = g.push(Op::Sigmoid, &[operands[0]], loc)?;
            one(g.binary(Op::Mul, grad, slope, loc)?)
        }
        Op::LeakyRelu(alpha) => {
            // Slope 1 where a > 0, `alpha` elsewhere (at 0 too): alpha + (1 - alpha) step(a).
            let step = g.push(Op::Step, &[operands[0]], loc)?;
            let scaled = g.mul_constant(step, 1.0 - alpha, loc)?;
            let alpha = g.constant(alpha, loc);
            let slope = g.binary(Op::Add, scaled, alpha, loc)?;
            one(g.binary(Op::Mul, grad, slope, loc)?)
        }
        Op::Elu => {
            // Slope 1 where a > 0, exp(a) = y + 1 elsewhere: y + 1 - step(a) y.
            let step = g.push(Op::Step, &[operands[0]], loc)?;
            let unit = g.constant(1.0, loc);
            let above = g.binary(Op::Add, node, unit, loc)?;
            let kept = g.binary(Op::Mul, step, node, loc)?;
            let slope = g.binary(Op::Sub, above, kept, loc)?;
            one(g.binary(Op::Mul, grad, slope, loc)?)
        }
        Op::Gelu => {
            // d (a Φ(a)) = Φ(a) + a φ(a), Φ(a) = (1 + erf(a / √2)) / 2, φ(a) = exp(-a² / 2) / √(2π).
            let a = operands[0];
            let scaled = g.mul_constant(a, std::f64::consts::FRAC_1_SQRT_2, loc)?;
            let erf = g.push(Op::Erf, &[scaled], loc)?;
            let unit = g.constant(1.0, loc);
            let shifted = g.binary(Op::Add, erf, unit, loc)?;
            let cdf = g.mul_constant(shifted, 0.5, loc)?;
            let squared = g.binary(Op::Mul, a, a, loc)?;
            let exponent = g.mul_constant(squared, -0.5, loc)?;
            let bell = g.push(Op::Exp, &[exponent], loc)?;
            let density = g.mul_constant(bell, 1.0 / (2.0 * std::f64::consts::PI).sqrt(), loc)?;
            let tail = g.binary(Op::Mul, a, density, loc)?;
            let slope = g.binary(Op::Add, cdf, tail, loc)?;
            one(g.binary(Op::Mul, grad, slope, loc)?)
        }
        Op::Silu => {
            // d (a s(a)) = s (1 + a (1 - s)), s = sigmoid(a).
            let a = operands[0];
            let s = g.push(Op::Sigmoid, &[a], loc)?;
            let unit = g.constant(1.0, loc);
            let rest = g.binary(Op::Sub, unit, s, loc)?;
            let times = g.binary(Op::Mul, a, rest, loc)?;
            let unit = g.constant(1.0, loc);
            let inner = g.binary(Op::Add, unit, times, loc)?;
            let slope = g.binary(Op::Mul, s, inner, loc)?;
            one(g.binary(Op::Mul, grad, slope, loc)?)
        }
        Op::Log1p => {
            let unit = g.constant(1.0, loc);
            let base = g.binary(Op::Add, unit, operands[0], loc)?;
            one(g.binary(Op::Div, grad, base, loc)?)
        }
        Op::Expm1 => {
            let unit = g.constant(1.0, loc);
            let slope = g.binary(Op::Add, node, unit, loc)?;
            one(g.binary(Op::Mul, grad, slope, loc)?)
        }
        Op::Sin => {
            let slope = g.push(Op::Cos, &[operands[0]], loc)?;
            one(g.binary(Op::Mul, grad, slope, loc)?)
        }
        Op::Cos => {
            let sin = g.push(Op::Sin, &[operands[0]], loc)?;
            let product = g.binary(Op::Mul, grad, sin, loc)?;
            one(g.push(Op::Neg, &[product], loc)?)
        }
        Op::Rsqrt => {
            // d a^(-1/2) = -y / (2 a).
            let half = g.mul_constant(node, -0.5, loc)?;
            let slope = g.binary(Op::Div, half, operands[0], loc)?;
            one(g.binary(Op::Mul, grad, slope, loc)?)
        }
        Op::Erf => {
            // d erf(a) = 2 / √π exp(-a²).
            let a = operands[0];
            let squared = g.binary(Op::Mul, a, a, loc)?;
            let negated = g.push(Op::Neg, &[squared], loc)?;
            let bell = g.push(Op::Exp, &[negated], loc)?;
            let slope = g.mul_constant(bell, std::f64::consts::FRAC_2_SQRT_PI, loc)?;
            one(g.binary(Op::Mul, grad, slope, loc)?)
        }
        Op::Maximum | Op::Minimum => {
            // The first operand takes the gradient at ties, as TensorFlow's; the second where
            // the first does not (a NaN included).
            let (a, b) = (operands[0], operands[1]);
            let cmp = if matches!(op, Op::Maximum) {
                Cmp::GreaterEq
            } else {
                Cmp::LessEq
            };
            let first = g.binary(Op::Compare(cmp), a, b, loc)?;
            let zero = g.constant(0.0, loc);
            let da = g.select(first, grad, zero, loc)?;
            let zero = g.constant(0.0, loc);
            let db = g.select(first, zero, grad, loc)?;
            Ok(vec![Some(da), Some(db)])
        }
        Op::Clip(lo, hi) => {
            // Gradient 1 where lo <= a <= hi, as TensorFlow's `clip_by_value`.
            let a = operands[0];
            let lo = g.constant(lo, loc);
            let above = g.binary(Op::Compare(Cmp::GreaterEq), a, lo, loc)?;
            let hi = g.constant(hi, loc);
            let below = g.binary(Op::Compare(Cmp::LessEq), a, hi, loc)?;
            let inside = g.binary(Op::Mul, above, below, loc)?;
            one(g.binary(Op::Mul, grad, inside, loc)?)
        }
        Op::Select => {
            // The chosen side takes the gradient; the mask none.
            let mask = operands[0];
            let zero = g.constant(0.0, loc);
            let da = g.select(mask, grad, zero, loc)?;
            let zero = g.constant(0.0, loc);
            let db = g.select(mask, zero, grad, loc)?;
            Ok(vec![None, Some(da), Some(db)])
        }
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
        Op::Sqrt => {
            // d sqrt(a) = g / (2 * sqrt(a)), reusing the forward root.
            let two = g.constant(2.0, loc);
            let twice = g.binary(Op::Mul, two, node, loc)?;
            one(g.binary(Op::Div, grad, twice, loc)?)
        }
        Op::Tanh => {
            // d tanh(a) = g * (1 - y * y)
            let yy = g.binary(Op::Mul, node, node, loc)?;
            let unit = g.constant(1.0, loc);
            let slope = g.binary(Op::Sub, unit, yy, loc)?;
            one(g.binary(Op::Mul, grad, slope, loc)?)
        }
        Op::Sigmoid => {
            // d sigmoid(a) = g * y * (1 - y)
            let unit = g.constant(1.0, loc);
            let rest = g.binary(Op::Sub, unit, node, loc)?;
            let gy = g.binary(Op::Mul, grad, node, loc)?;
            one(g.binary(Op::Mul, gy, rest, loc)?)
        }
        Op::Relu => {
            let step = g.push(Op::Step, &[operands[0]], loc)?;
            one(g.binary(Op::Mul, grad, step, loc)?)
        }
        Op::Softmax => {
            // d_x = y * (g - sum(g * y)), the sum over the last axis: the full Jacobian
            // diag(y) - y y^T applied to g, without forming it.
            let gy = g.binary(Op::Mul, grad, node, loc)?;
            let total = sum_last(g, gy)?;
            let total = g.expand_last(total, node, loc)?;
            let centred = g.binary(Op::Sub, grad, total, loc)?;
            one(g.binary(Op::Mul, node, centred, loc)?)
        }
        Op::LogSoftmax => {
            // d_x = g - exp(y) * sum(g), where exp(y) is the softmax.
            let total = sum_last(g, grad)?;
            let total = g.expand_last(total, node, loc)?;
            let probabilities = g.push(Op::Exp, &[node], loc)?;
            let share = g.binary(Op::Mul, probabilities, total, loc)?;
            one(g.binary(Op::Sub, grad, share, loc)?)
        }
        Op::SoftmaxCrossEntropy => {
            // d_logits = g * (softmax(logits) * sum(labels) - labels): no division by a
            // probability. For labels that are distributions (rows summing to 1, as TensorFlow
            // requires) this is TensorFlow's `softmax(logits) - labels`; the row sum keeps it
            // exact for any labels. d_labels = -g * log_softmax(logits).
            let (logits, labels) = (operands[0], operands[1]);
            let spread = g.expand_last(grad, logits, loc)?;
            let probabilities = g.push(Op::Softmax, &[logits], loc)?;
            let mass = sum_last(g, labels)?;
            let mass = g.expand_last(mass, logits, loc)?;
            let expected = g.binary(Op::Mul, probabilities, mass, loc)?;
            let error = g.binary(Op::Sub, expected, labels, loc)?;
            let d_logits = g.binary(Op::Mul, spread, error, loc)?;
            let log_probabilities = g.push(Op::LogSoftmax, &[logits], loc)?;
            let weighted = g.binary(Op::Mul, spread, log_probabilities, loc)?;
            let d_labels = g.push(Op::Neg, &[weighted], loc)?;
            Ok(vec![Some(d_logits), Some(d_labels)])
        }
        Op::Sum(axes) => one(spread(g, grad, operands[0], axes)?),
        Op::Mean(axes) => {
            let shape = g.shape(operands[0]).clone();
            let count = axes.count(&shape);
            let share = g.div_size(grad, count, loc)?;
            one(spread(g, share, operands[0], axes)?)
        }
        Op::Max(axes) | Op::Min(axes) => {
            // The gradient goes to the extreme of each slice, split evenly among ties (as
            // TensorFlow's `reduce_max` gradient: `x == y`, divided by the number of matches).
            let min = matches!(op, Op::Min(_));
            let mask = g.push(Op::ExtremeMask { axes, min }, &[operands[0]], loc)?;
            let spread = spread(g, grad, operands[0], axes)?;
            one(g.binary(Op::Mul, spread, mask, loc)?)
        }
        Op::LogSumExp(axes) => {
            // d logsumexp(a) = g * exp(a - y): the softmax over the slice, never overflowing.
            let a = operands[0];
            let spread_grad = spread(g, grad, a, axes)?;
            let spread_y = spread(g, node, a, axes)?;
            let shifted = g.binary(Op::Sub, a, spread_y, loc)?;
            let weights = g.push(Op::Exp, &[shifted], loc)?;
            one(g.binary(Op::Mul, spread_grad, weights, loc)?)
        }
        Op::Broadcast => {
            let shape = g.shape(operands[0]).clone();
            one(g.sum_to(grad, &shape, loc)?)
        }
        Op::SumTo => {
            let shape = g.shape(operands[0]).clone();
            one(g.broadcast_to(grad, &shape, loc)?)
        }
        Op::Expand(axis) => one(g.push(Op::Sum(Axes::one(axis)), &[grad], loc)?),
        Op::MatMul {
            ta: true,
            tb: false,
            fold: true,
        } => {
            // C = sum over the batch of A_bᵀ B_b: d A_b = B_b Gᵀ and d B_b = A_b G, each a batch
            // of products with the one matrix G.
            let (a, b) = (operands[0], operands[1]);
            let product = |ta, tb| Op::MatMul { ta, tb, fold: false };
            let da = g.push(product(false, true), &[b, grad], loc)?;
            let db = g.push(product(false, false), &[a, grad], loc)?;
            Ok(vec![Some(da), Some(db)])
        }
        Op::MatMul { fold: true, .. } => Err(Diagnostic::new(
            loc,
            "internal error: a summed batch of products is made transposed as `[..., N, K]ᵀ x [..., N, M]` only",
        )),
        Op::MatMul { ta, tb, fold: false } => {
            // C = op(A) op(B): d op(A) = G op(B)^T and d op(B) = op(A)^T G, transposed back
            // where the operand was used transposed. Transposes stay flags of the product.
            let (a, b) = (operands[0], operands[1]);
            let product = |ta, tb| Op::MatMul { ta, tb, fold: false };
            let da = if ta {
                g.push(product(tb, true), &[b, grad], loc)?
            } else {
                g.push(product(false, !tb), &[grad, b], loc)?
            };
            let shared_weight = !ta && !tb && g.shape(a).rank() > 2 && g.shape(b).rank() == 2;
            let db = if shared_weight {
                // A matrix shared by the batch: its gradient sums the batch's products, one
                // product over all the batch's rows.
                g.push(
                    Op::MatMul {
                        ta: true,
                        tb: false,
                        fold: true,
                    },
                    &[a, grad],
                    loc,
                )?
            } else if tb {
                g.push(product(true, ta), &[grad, a], loc)?
            } else {
                g.push(product(!ta, false), &[a, grad], loc)?
            };
            // An operand shared across a batch (a weight) gets the sum over the batch.
            let (sa, sb) = (g.shape(a).clone(), g.shape(b).clone());
            let da = if g.shape(da) == &sa {
                da
            } else {
                g.sum_to(da, &sa, loc)?
            };
            let db = if g.shape(db) == &sb {
                db
            } else {
                g.sum_to(db, &sb, loc)?
            };
            Ok(vec![Some(da), Some(db)])
        }
        Op::Transpose(perm) => one(g.push(Op::Transpose(perm.inverse()), &[grad], loc)?),
        Op::Reshape => {
            let shape = g.shape(operands[0]).clone();
            one(g.push_with_shape(Op::Reshape, shape, &[grad], loc)?)
        }
        // A slice's gradient is zeros with the adjoint at the window, and the other way round.
        Op::Slice(window) => {
            let shape = g.shape(operands[0]).clone();
            one(g.push_with_shape(Op::Pad(window), shape, &[grad], loc)?)
        }
        Op::Pad(window) => {
            let shape = g.shape(operands[0]).clone();
            one(g.push_with_shape(Op::Slice(window), shape, &[grad], loc)?)
        }
        Op::Concat(axis) => {
            let (a, b) = (g.shape(operands[0]).clone(), g.shape(operands[1]).clone());
            let mut start = [0; crate::ir::Shape::MAX_RANK];
            let whole = |start| crate::ir::Window {
                start,
                dropped: crate::ir::AxisSet::default(),
            };
            let da = g.push_with_shape(Op::Slice(whole(start)), a.clone(), &[grad], loc)?;
            start[axis] = a.dim(axis).known().expect("concatenated along a numbered axis");
            let db = g.push_with_shape(Op::Slice(whole(start)), b, &[grad], loc)?;
            Ok(vec![Some(da), Some(db)])
        }
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

/// The sum of `a` over its last axis.
pub(super) fn sum_last(g: &mut Graph, a: NodeId) -> Result<NodeId, Diagnostic> {
    let last = g.shape(a).rank() - 1;
    let loc = g.node(a).loc;
    g.push(Op::Sum(Axes::one(last)), &[a], loc)
}

/// The adjoint of a reduction's result spread back over the reduced operand's shape.
pub(super) fn spread(g: &mut Graph, grad: NodeId, operand: NodeId, axes: Axes) -> Result<NodeId, Diagnostic> {
    let loc = g.node(grad).loc;
    let shape = g.shape(operand).clone();
    g.unreduce(grad, axes, &shape, loc)
}
