//! Shape inference: the shape rule of every op, and the messages when one does not hold.

use crate::ir::{Axes, Conv, Dim, Elem, Op, Perm, Shape, Window};

/// Writes a shape the way the user does (`[f32; batch, 10]`), for messages.
pub type Describe<'a> = &'a dyn Fn(&Shape) -> String;

/// The shape of `op` applied to operands of `operands` shapes, or why it cannot be applied.
///
/// Leaves, [`Op::Broadcast`], [`Op::SumTo`] and [`Op::Expand`] have a shape given by whoever
/// makes them (see [`check_given`]); asking for theirs here is an internal error.
pub fn infer(op: &Op, operands: &[&Shape], describe: Describe) -> Result<Shape, String> {
    let arity = op.arity();
    if operands.len() != arity {
        return Err(format!(
            "internal error: {} takes {arity} operands, got {}",
            op.name(),
            operands.len()
        ));
    }
    let Some(&a) = operands.first() else {
        return Err(format!(
            "internal error: the shape of `{}` is given, not inferred",
            op.name()
        ));
    };
    match op {
        Op::Add | Op::Sub | Op::Mul | Op::Div => same_shapes(op, a, operands[1], describe),
        Op::Neg | Op::Pow(_) | Op::Exp | Op::Log | Op::Sqrt | Op::Tanh | Op::Sigmoid | Op::Relu | Op::Step => {
            Ok(a.clone())
        }
        Op::Abs | Op::Square | Op::Sign | Op::Softplus | Op::LeakyRelu(_) | Op::Elu | Op::Gelu | Op::Silu => {
            Ok(a.clone())
        }
        Op::Log1p | Op::Expm1 | Op::Sin | Op::Cos | Op::Rsqrt | Op::Erf | Op::Clip(..) | Op::StopGradient => {
            Ok(a.clone())
        }
        Op::Maximum | Op::Minimum | Op::Compare(_) => same_shapes(op, a, operands[1], describe),
        Op::Select if operands[1] == a && operands[2] == a => Ok(a.clone()),
        Op::Select => Err(format!(
            "`select` needs a mask and two values that broadcast together, found {}, {} and {}",
            describe(a),
            describe(operands[1]),
            describe(operands[2])
        )),
        Op::Softmax | Op::LogSoftmax => with_an_axis(op, a).map(|()| a.clone()),
        Op::SoftmaxCrossEntropy => {
            with_an_axis(op, a)?;
            if a != operands[1] {
                return Err(format!(
                    "`softmax_cross_entropy` needs logits and labels of one shape, found {} and {}",
                    describe(a),
                    describe(operands[1])
                ));
            }
            Ok(a.without_axis(a.rank() - 1))
        }
        Op::Sum(axes) | Op::Mean(axes) | Op::Max(axes) | Op::Min(axes) | Op::LogSumExp(axes) => {
            reduced(op, *axes, a, describe)
        }
        Op::ExtremeMask { axes, .. } => reduced(op, *axes, a, describe).map(|_| a.clone()),
        Op::MatMul { ta, tb, fold: false } => matmul(a, *ta, operands[1], *tb, describe),
        Op::MatMul { ta, tb, fold: true } => folded_matmul(a, *ta, operands[1], *tb, describe),
        Op::Transpose(perm) => transposed(a, *perm, describe),
        Op::Concat(axis) => concatenated(a, operands[1], *axis, describe),
        Op::Placeholder | Op::Variable | Op::Constant(_) | Op::Count(_) | Op::Literal(_) => Err(format!(
            "internal error: the shape of `{}` is given, not inferred",
            op.name()
        )),
        Op::Broadcast | Op::SumTo | Op::Expand(_) => Err(format!(
            "internal error: the shape of `{}` is given, not inferred",
            op.name()
        )),
        Op::Reshape | Op::Slice(_) | Op::Pad(_) | Op::ScatterAdd => Err(format!(
            "internal error: the shape of `{}` is given, not inferred",
            op.name()
        )),
        Op::Gather => {
            let ids = operands[1];
            if a.rank() == 0 {
                return Err(format!(
                    "`gather` picks rows of a table of rank 1 or more (`[V, D]`), found {}",
                    describe(a)
                ));
            }
            let mut dims = ids.dims().to_vec();
            dims.extend_from_slice(&a.dims()[1..]);
            within_rank(op, Shape::of(dims))
        }
        Op::OneHot(depth) => within_rank(op, a.with_axis(a.rank(), Dim::Fixed(*depth))),
        Op::SparseSoftmaxCrossEntropy => {
            with_an_axis(op, a)?;
            let rows = a.without_axis(a.rank() - 1);
            if operands[1] != &rows {
                return Err(format!(
                    "`sparse_softmax_cross_entropy` takes logits `[..., C]` and one class id per row, `[...]`: for \
                     logits {} the labels must have shape [{}], found [{}]",
                    describe(a),
                    dims_text(&rows, describe),
                    dims_text(operands[1], describe)
                ));
            }
            Ok(rows)
        }
        Op::ArgMax(axis) => {
            if *axis >= a.rank() {
                return Err(format!("`argmax` of {} has no axis {axis}", describe(a)));
            }
            Ok(a.without_axis(*axis))
        }
        Op::Conv2d(conv) => {
            let w = operands[1];
            let fits = w.rank() == 4
                && w.dims()[..2] == [Dim::Fixed(conv.size[0]), Dim::Fixed(conv.size[1])]
                && a.rank() == 4
                && w.dims()[2] == a.dims()[3];
            if !fits {
                return Err(format!(
                    "`conv2d` takes images `[batch, H, W, C]` and filters `[KH, KW, C, F]` of the same C, found {} \
                     and {}",
                    describe(a),
                    describe(w)
                ));
            }
            windows(op, conv, a, w.dims()[3])
        }
        Op::Im2col(conv) => {
            let depth = Dim::Fixed(conv.size[0] * conv.size[1] * fixed(a, 3).unwrap_or(0));
            windows(op, conv, a, depth)
        }
        Op::MaxPool(conv) | Op::AvgPool(conv) => windows(op, conv, a, *a.dims().last().unwrap_or(&Dim::Fixed(0))),
        Op::MaxPoolGrad(conv) => {
            let pooled = windows(op, conv, a, a.dims()[3])?;
            if &pooled != operands[1] {
                return Err(format!(
                    "internal error: `max_pool_grad` of {} takes a gradient {}",
                    describe(a),
                    describe(&pooled)
                ));
            }
            Ok(a.clone())
        }
        Op::MaxPoolPick(conv) => {
            if operands[1] != a {
                return Err(format!(
                    "internal error: `max_pool_pick` of {} takes a direction {}",
                    describe(a),
                    describe(operands[1])
                ));
            }
            windows(op, conv, a, a.dims()[3])
        }
        Op::Col2im(_) | Op::AvgPoolGrad(_) => Err(format!(
            "internal error: the shape of `{}` is given, not inferred",
            op.name()
        )),
    }
}

/// Axis `k` of `shape`, if it is a number.
fn fixed(shape: &Shape, k: usize) -> Option<usize> {
    match shape.dims().get(k)? {
        Dim::Fixed(n) => Some(*n),
        Dim::Named(_) => None,
    }
}

/// The windows `conv` of images `a` (`[batch, H, W, C]`, `H` and `W` numbers): `[batch, OH, OW,
/// depth]`, if they are the windows the op was made for.
fn windows(op: &Op, conv: &Conv, a: &Shape, depth: Dim) -> Result<Shape, String> {
    let spatial = [fixed(a, 1), fixed(a, 2)];
    let fits = a.rank() == 4
        && fixed(a, 3).is_some()
        && (0..2).all(|k| {
            spatial[k].is_some_and(|n| {
                let last = conv.start(k, conv.out[k] - 1) + conv.size[k] as isize;
                conv.out[k] >= 1 && last <= (n + conv.size[k] - 1) as isize
            })
        });
    if !fits {
        return Err(format!("internal error: `{op}` does not fit images {a}"));
    }
    Ok(Shape::of(vec![
        a.dims()[0],
        Dim::Fixed(conv.out[0]),
        Dim::Fixed(conv.out[1]),
        depth,
    ]))
}

/// `shape`, if it has at most [`Shape::MAX_RANK`] axes.
fn within_rank(op: &Op, shape: Shape) -> Result<Shape, String> {
    if shape.rank() > Shape::MAX_RANK {
        return Err(format!(
            "the result of `{}` would have {} axes; tensors have at most {}",
            op.name(),
            shape.rank(),
            Shape::MAX_RANK
        ));
    }
    Ok(shape)
}

/// The dimensions of `shape` as written inside the brackets: `batch, 10`.
fn dims_text(shape: &Shape, describe: Describe) -> String {
    shape
        .dims()
        .iter()
        .map(|&d| dim_name(d, describe))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The element type of `op` applied to operands of element types `operands` (each with
/// whether it is a number written in the graph), or which operand is of the wrong kind and why.
/// `describe(k)` writes operand `k`'s type as the user does.
///
/// Integer tensors (ids) feed only the ops that take ids, comparisons, and the views that
/// broadcast a comparison's operands; everything else takes floats.
pub fn element(
    op: &Op,
    operands: &[(Elem, bool)],
    describe: &dyn Fn(usize) -> String,
) -> Result<Elem, (usize, String)> {
    let integer = |k: usize| operands[k].0.is_integer();
    let needs_ids = |k: usize, what: &str| {
        format!(
            "`{}` takes {what} as integer ids, found {}: declare them with an integer type, \
             `placeholder ids: [i32; ...]` (`i32`, `i64` or `usize`)",
            op.name(),
            describe(k)
        )
    };
    match op {
        Op::Gather | Op::ScatterAdd | Op::SparseSoftmaxCrossEntropy if integer(0) => {
            Err((0, needs_float(op, describe(0))))
        }
        Op::Gather | Op::ScatterAdd if !integer(1) => Err((1, needs_ids(1, "its second argument (the rows to pick)"))),
        Op::SparseSoftmaxCrossEntropy if !integer(1) => Err((1, needs_ids(1, "the labels (one class id per row)"))),
        Op::OneHot(_) if !integer(0) => Err((0, needs_ids(0, "its argument"))),
        Op::Gather | Op::ScatterAdd | Op::SparseSoftmaxCrossEntropy | Op::OneHot(_) => Ok(Elem::Float),
        Op::ArgMax(_) if integer(0) => Err((0, needs_float(op, describe(0)))),
        Op::ArgMax(_) => Ok(Elem::Usize),
        Op::Compare(_) => {
            let (a, b) = (operands[0], operands[1]);
            // Ids compare with ids (of any integer type) or with a number written in the graph.
            let mixed = a.0.is_integer() != b.0.is_integer() && !(a.0.is_integer() && b.1 || b.0.is_integer() && a.1);
            if mixed {
                let k = usize::from(!a.0.is_integer());
                let message = format!(
                    "cannot compare integer ids, {}, with a float tensor, {}: compare ids with ids, or with a number",
                    describe(k),
                    describe(1 - k)
                );
                return Err((1 - k, message));
            }
            Ok(Elem::Float)
        }
        Op::Broadcast | Op::Expand(_) => Ok(operands[0].0),
        _ => match (0..operands.len()).find(|&k| integer(k)) {
            Some(k) => Err((k, needs_float(op, describe(k)))),
            None => Ok(Elem::Float),
        },
    }
}

/// The message for an integer tensor where `op` needs a float one.
fn needs_float(op: &Op, found: String) -> String {
    let name = op.call().map_or(op.name(), |c| c.name);
    format!(
        "`{name}` needs a float tensor, found integer ids, {found}: integer tensors feed only `gather`, `one_hot`, \
         `sparse_softmax_cross_entropy` and comparisons (`one_hot(ids, depth = n)` makes floats of them)"
    )
}

/// Checks a shape given to a leaf, broadcast, `sum_to` or `expand` node.
pub fn check_given(op: &Op, operands: &[&Shape], given: &Shape) -> Result<(), String> {
    let fits = match op {
        Op::Placeholder | Op::Variable => operands.is_empty(),
        Op::Literal(_) => operands.is_empty() && given.elements().is_some() && !given.has_named(),
        Op::Constant(_) | Op::Count(_) => operands.is_empty() && given.is_scalar(),
        Op::Broadcast => operands.len() == 1 && broadcast(operands[0], given).as_ref() == Some(given),
        Op::SumTo => operands.len() == 1 && broadcast(given, operands[0]).as_ref() == Some(operands[0]),
        Op::Expand(axis) => operands.len() == 1 && *axis < given.rank() && given.without_axis(*axis) == *operands[0],
        Op::Reshape => operands.len() == 1 && operands[0].size() == given.size(),
        Op::Slice(window) => operands.len() == 1 && fits_window(operands[0], given, *window),
        Op::Pad(window) => operands.len() == 1 && fits_window(given, operands[0], *window),
        Op::Col2im(conv) => {
            operands.len() == 1 && infer(&Op::Im2col(*conv), &[given], &|s| s.to_string()).as_ref() == Ok(operands[0])
        }
        Op::AvgPoolGrad(conv) => {
            operands.len() == 1 && infer(&Op::AvgPool(*conv), &[given], &|s| s.to_string()).as_ref() == Ok(operands[0])
        }
        Op::ScatterAdd => {
            operands.len() == 2 && given.rank() >= 1 && {
                let mut dims = operands[1].dims().to_vec();
                dims.extend_from_slice(&given.dims()[1..]);
                Shape::of(dims) == *operands[0]
            }
        }
        _ => false,
    };
    if fits {
        Ok(())
    } else {
        Err(format!("internal error: `{op}` cannot have shape {given}"))
    }
}

/// Whether `small` is a slice of `large` at `window`: it has the axes `window` keeps, each
/// within `large` from its start; a named dimension is only ever taken whole.
fn fits_window(large: &Shape, small: &Shape, window: Window) -> bool {
    let kept: Vec<usize> = (0..large.rank()).filter(|&k| !window.dropped.contains(k)).collect();
    if kept.len() != small.rank() || large.rank() > Shape::MAX_RANK {
        return false;
    }
    let within = |k: usize, length: Dim| match (large.dims()[k], length) {
        (Dim::Fixed(n), Dim::Fixed(l)) => window.start[k] + l <= n,
        (whole, length) => window.start[k] == 0 && whole == length,
    };
    let dropped_within = (0..large.rank())
        .filter(|&k| window.dropped.contains(k))
        .all(|k| within(k, Dim::Fixed(1)));
    dropped_within && kept.iter().zip(small.dims()).all(|(&k, &d)| within(k, d))
}

/// `a` with its axes in the order `perm`.
fn transposed(a: &Shape, perm: Perm, describe: Describe) -> Result<Shape, String> {
    if perm.rank() != a.rank() || !perm.is_valid() {
        return Err(format!(
            "`axes = {}` is not an order of the axes of {}: it must list each of its {} axes, 0 to {}, once",
            perm.describe(),
            describe(a),
            a.rank(),
            a.rank() as isize - 1
        ));
    }
    Ok(Shape::of(perm.axes().map(|k| a.dims()[k]).collect()))
}

/// `a` and `b` joined along `axis`: they must agree on every other axis.
fn concatenated(a: &Shape, b: &Shape, axis: usize, describe: Describe) -> Result<Shape, String> {
    let agree =
        a.rank() == b.rank() && axis < a.rank() && (0..a.rank()).all(|k| k == axis || a.dims()[k] == b.dims()[k]);
    if !agree {
        return Err(format!(
            "cannot concatenate {} and {} along axis {axis}: the shapes must be equal except along that axis",
            describe(a),
            describe(b)
        ));
    }
    match (a.dims()[axis], b.dims()[axis]) {
        (Dim::Fixed(x), Dim::Fixed(y)) => Ok(a.without_axis(axis).with_axis(axis, Dim::Fixed(x + y))),
        _ => Err(format!(
            "cannot concatenate {} and {} along axis {axis}: its length is the named dimension, known only when \
             the code runs; concatenate along a numbered axis",
            describe(a),
            describe(b)
        )),
    }
}

/// One dimension as the user writes it: `3`, `batch`.
fn dim_name(dim: Dim, describe: Describe) -> String {
    let shape = describe(&Shape::of(vec![dim]));
    // `[f32; 3]`: the part after the `; `.
    shape
        .split_once("; ")
        .map_or(shape.clone(), |(_, d)| d.trim_end_matches(']').to_owned())
}

/// A batch's products summed: `[..., N, K]ᵀ x [..., N, M] -> [K, M]`, the batch axes equal.
fn folded_matmul(a: &Shape, ta: bool, b: &Shape, tb: bool, describe: Describe) -> Result<Shape, String> {
    let fits = ta && !tb && a.rank() > 2 && b.rank() == a.rank();
    let (batch_a, n_a, k) = if fits {
        split_batch(a)
    } else {
        (Shape::scalar(), Dim::Fixed(0), Dim::Fixed(0))
    };
    let (batch_b, n_b, m) = if fits {
        split_batch(b)
    } else {
        (Shape::scalar(), Dim::Fixed(1), Dim::Fixed(0))
    };
    if fits && batch_a == batch_b && n_a == n_b {
        return Ok(Shape::of(vec![k, m]));
    }
    Err(format!(
        "internal error: a summed batch of products takes [..., N, K] and [..., N, M] with equal batch axes, \
         found {} and {}",
        describe(a),
        describe(b)
    ))
}

/// The leading (batch) axes of a matmul operand, and its last two.
pub fn split_batch(s: &Shape) -> (Shape, Dim, Dim) {
    let r = s.rank();
    (Shape::of(s.dims()[..r - 2].to_vec()), s.dims()[r - 2], s.dims()[r - 1])
}

/// The batch axes a product of `a` and `b` (each of rank 2 or more) runs over: their leading
/// axes, broadcast.
pub fn matmul_batch(a: &Shape, b: &Shape) -> Option<Shape> {
    broadcast(&split_batch(a).0, &split_batch(b).0)
}

fn batched_matmul(a: &Shape, ta: bool, b: &Shape, tb: bool, describe: Describe) -> Result<Shape, String> {
    if a.rank() < 2 || b.rank() < 2 {
        return Err(format!(
            "`matmul` of a vector and a batch of matrices is not supported, found {} x {}: make the vector a \
             matrix of one row or column with `reshape`",
            describe(a),
            describe(b)
        ));
    }
    let (_, ar, ac) = split_batch(a);
    let (_, br, bc) = split_batch(b);
    let (n, k) = if ta { (ac, ar) } else { (ar, ac) };
    let (k2, m) = if tb { (bc, br) } else { (br, bc) };
    let Some(batch) = matmul_batch(a, b) else {
        return Err(format!(
            "cannot multiply the batches of matrices {} and {}: their leading (batch) dimensions do not broadcast",
            describe(a),
            describe(b)
        ));
    };
    if k != k2 {
        return Err(format!(
            "cannot multiply matrices {} and {}: the inner dimensions differ, {} and {} (`matmul` takes [..., N, K] \
             and [..., K, M])",
            describe(a),
            describe(b),
            dim_name(k, describe),
            dim_name(k2, describe)
        ));
    }
    let mut dims = batch.dims().to_vec();
    dims.extend([n, m]);
    Ok(Shape::of(dims))
}

/// The NumPy broadcast of two shapes: dims align to the right, and each pair must be equal
/// or contain a 1. `None` if they do not broadcast.
pub fn broadcast(a: &Shape, b: &Shape) -> Option<Shape> {
    let rank = a.rank().max(b.rank());
    let dim = |s: &Shape, k: usize| {
        let pad = rank - s.rank();
        if k < pad {
            Dim::Fixed(1)
        } else {
            s.dims()[k - pad]
        }
    };
    let mut dims = Vec::with_capacity(rank);
    for k in 0..rank {
        let (x, y) = (dim(a, k), dim(b, k));
        dims.push(match (x, y) {
            _ if x == y => x,
            _ if x.is_one() => y,
            _ if y.is_one() => x,
            _ => return None,
        });
    }
    Some(Shape::of(dims))
}

/// Elementwise binary ops take operands of one shape (the builder inserts broadcasts first).
fn same_shapes(op: &Op, a: &Shape, b: &Shape, describe: Describe) -> Result<Shape, String> {
    if a == b {
        return Ok(a.clone());
    }
    let (a, b) = (describe(a), describe(b));
    let what = match op {
        Op::Add => format!("cannot add {a} and {b}"),
        Op::Sub => format!("cannot subtract {b} from {a}"),
        Op::Mul => format!("cannot multiply {a} by {b}"),
        Op::Div => format!("cannot divide {a} by {b}"),
        Op::Compare(cmp) => format!("cannot compare {a} {} {b}", cmp.symbol()),
        _ => format!("cannot take the `{}` of {a} and {b}", op.name()),
    };
    Err(format!(
        "{what}: the shapes do not broadcast (aligned from the right, each pair of dimensions must be equal or contain a 1)"
    ))
}

fn with_an_axis(op: &Op, a: &Shape) -> Result<(), String> {
    if a.is_scalar() {
        Err(format!(
            "`{}` needs a tensor with at least one axis, found a scalar",
            op.name()
        ))
    } else {
        Ok(())
    }
}

fn reduced(op: &Op, axes: Axes, operand: &Shape, describe: Describe) -> Result<Shape, String> {
    match axes {
        Axes::All => Ok(Shape::scalar()),
        Axes::Set(set) => match set.iter().find(|&axis| axis >= operand.rank()) {
            None => Ok(axes.reduce(operand)),
            Some(axis) => Err(format!(
                "`{}` over axis {axis}: {} has no axis {axis} (its axes are numbered from 0 to {})",
                op.name(),
                describe(operand),
                operand.rank() as isize - 1
            )),
        },
    }
}

/// `a` (or its transpose) times `b` (or its transpose); rank-1 operands are rows. Operands of
/// rank 3 or 4 are batches of matrices (NumPy's rule): their leading axes broadcast.
fn matmul(a: &Shape, ta: bool, b: &Shape, tb: bool, describe: Describe) -> Result<Shape, String> {
    if a.rank() > 2 || b.rank() > 2 {
        return batched_matmul(a, ta, b, tb, describe);
    }
    let as_matrix = |s: &Shape, t: bool, which: &str| -> Result<(Dim, Dim), String> {
        let (r, c) = match s.dims() {
            [k] => (Dim::Fixed(1), *k),
            [r, c] => (*r, *c),
            _ => {
                return Err(format!(
                    "`matmul` needs vectors or matrices, but {which} is {}",
                    describe(s)
                ))
            }
        };
        Ok(if t { (c, r) } else { (r, c) })
    };
    let (n, k) = as_matrix(a, ta, "its first operand")?;
    let (k2, m) = as_matrix(b, tb, "its second operand")?;
    if k != k2 {
        return Err(format!(
            "cannot multiply matrices {} and {}: the inner dimensions differ, {} and {} (`matmul` takes [N, K] and \
             [K, M])",
            describe(a),
            describe(b),
            dim_name(k, describe),
            dim_name(k2, describe)
        ));
    }
    Ok(if a.rank() == 1 && !ta {
        Shape::of(vec![m])
    } else {
        Shape::of(vec![n, m])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(dims: &[usize]) -> Shape {
        Shape::new(dims.to_vec())
    }

    fn describe(s: &Shape) -> String {
        s.describe(crate::ir::DType::F32, &["batch".to_owned()])
    }

    #[test]
    fn broadcasting_follows_numpy() {
        assert_eq!(broadcast(&s(&[64, 10]), &s(&[10])), Some(s(&[64, 10])));
        assert_eq!(broadcast(&s(&[]), &s(&[5])), Some(s(&[5])));
        assert_eq!(broadcast(&s(&[3, 1]), &s(&[1, 4])), Some(s(&[3, 4])));
        assert_eq!(broadcast(&s(&[5]), &s(&[4])), None);
        let batch = Shape::of(vec![Dim::Named(0), Dim::Fixed(10)]);
        assert_eq!(broadcast(&batch, &s(&[10])), Some(batch.clone()));
    }

    #[test]
    fn mismatch_names_both_shapes() {
        let err = infer(&Op::Mul, &[&s(&[5]), &s(&[4])], &describe).unwrap_err();
        assert!(
            err.starts_with("cannot multiply [f32; 5] by [f32; 4]: the shapes do not broadcast"),
            "{err}"
        );
    }

    #[test]
    fn reductions_drop_axes() {
        assert_eq!(infer(&Op::Sum(Axes::All), &[&s(&[2, 3])], &describe), Ok(s(&[])));
        assert_eq!(infer(&Op::Max(Axes::one(1)), &[&s(&[2, 3])], &describe), Ok(s(&[2])));
        assert!(infer(&Op::Mean(Axes::one(2)), &[&s(&[2, 3])], &describe).is_err());
    }

    #[test]
    fn matmul_shapes() {
        let mm =
            |a: &[usize], ta, b: &[usize], tb| infer(&Op::MatMul { ta, tb, fold: false }, &[&s(a), &s(b)], &describe);
        assert_eq!(mm(&[64, 784], false, &[784, 256], false), Ok(s(&[64, 256])));
        assert_eq!(mm(&[784], false, &[784, 256], false), Ok(s(&[256])));
        assert_eq!(mm(&[64, 784], true, &[64, 256], false), Ok(s(&[784, 256])));
        assert_eq!(mm(&[784], true, &[256], false), Ok(s(&[784, 256])));
        assert_eq!(mm(&[256], false, &[784, 256], true), Ok(s(&[784])));
        assert_eq!(mm(&[8, 64, 32], false, &[32, 16], false), Ok(s(&[8, 64, 16])));
        assert_eq!(mm(&[8, 64, 32], false, &[8, 16, 32], true), Ok(s(&[8, 64, 16])));
        assert_eq!(mm(&[2, 1, 5, 3], true, &[4, 5, 6], false), Ok(s(&[2, 4, 3, 6])));
        assert!(mm(&[2, 5, 3], false, &[3, 3, 4], false).is_err());
        let err = mm(&[64, 784], false, &[10, 256], false).unwrap_err();
        assert!(err.contains("[f32; 64, 784] and [f32; 10, 256]"), "{err}");
    }
}
