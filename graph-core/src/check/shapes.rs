//! Shape inference: the shape rule of every op, and the messages when one does not hold.

use crate::ir::{Axes, DType, Op, Shape};

/// The shape of `op` applied to operands of `operands` shapes, or why it cannot be applied.
///
/// Leaves, [`Op::Broadcast`], [`Op::SumTo`] and [`Op::Expand`] have a shape given by whoever
/// makes them (see [`check_given`]); asking for theirs here is an internal error.
pub fn infer(op: &Op, operands: &[&Shape], dtype: DType) -> Result<Shape, String> {
    let arity = match op {
        Op::Placeholder | Op::Variable | Op::Constant(_) => 0,
        Op::Add | Op::Sub | Op::Mul | Op::Div => 2,
        _ => 1,
    };
    if operands.len() != arity {
        return Err(format!(
            "internal error: {} takes {arity} operands, got {}",
            op.name(),
            operands.len()
        ));
    }
    match op {
        Op::Add | Op::Sub | Op::Mul | Op::Div => same_shapes(op, operands[0], operands[1], dtype),
        Op::Neg | Op::Pow(_) | Op::Exp | Op::Log => Ok(operands[0].clone()),
        Op::Softmax => {
            if operands[0].is_scalar() {
                Err("`softmax` needs a tensor with at least one axis, found a scalar".to_owned())
            } else {
                Ok(operands[0].clone())
            }
        }
        Op::Sum(axes) | Op::Mean(axes) | Op::Max(axes) => reduced(op, *axes, operands[0], dtype),
        Op::Placeholder | Op::Variable | Op::Constant(_) | Op::Broadcast | Op::SumTo | Op::Expand(_) => Err(format!(
            "internal error: the shape of `{}` is given, not inferred",
            op.name()
        )),
    }
}

/// Checks a shape given to a leaf, broadcast, `sum_to` or `expand` node.
pub fn check_given(op: &Op, operands: &[&Shape], given: &Shape) -> Result<(), String> {
    let fits = match op {
        Op::Placeholder | Op::Variable => operands.is_empty(),
        Op::Constant(_) => operands.is_empty() && given.is_scalar(),
        Op::Broadcast => operands.len() == 1 && broadcast(operands[0], given).as_ref() == Some(given),
        Op::SumTo => operands.len() == 1 && broadcast(given, operands[0]).as_ref() == Some(operands[0]),
        Op::Expand(axis) => operands.len() == 1 && *axis < given.rank() && given.without_axis(*axis) == *operands[0],
        _ => false,
    };
    if fits {
        Ok(())
    } else {
        Err(format!("internal error: `{op}` cannot have shape {given}"))
    }
}

/// The NumPy broadcast of two shapes: dims align to the right, and each pair must be equal
/// or contain a 1. `None` if they do not broadcast.
pub fn broadcast(a: &Shape, b: &Shape) -> Option<Shape> {
    let rank = a.rank().max(b.rank());
    let dim = |s: &Shape, k: usize| {
        let pad = rank - s.rank();
        if k < pad {
            1
        } else {
            s.dims()[k - pad]
        }
    };
    let mut dims = Vec::with_capacity(rank);
    for k in 0..rank {
        let (x, y) = (dim(a, k), dim(b, k));
        dims.push(match (x, y) {
            _ if x == y => x,
            (1, _) => y,
            (_, 1) => x,
            _ => return None,
        });
    }
    Some(Shape::new(dims))
}

/// Elementwise binary ops take operands of one shape (the builder inserts broadcasts first).
fn same_shapes(op: &Op, a: &Shape, b: &Shape, dtype: DType) -> Result<Shape, String> {
    if a == b {
        return Ok(a.clone());
    }
    let (a, b) = (a.describe(dtype), b.describe(dtype));
    let what = match op {
        Op::Add => format!("cannot add {a} and {b}"),
        Op::Sub => format!("cannot subtract {b} from {a}"),
        Op::Mul => format!("cannot multiply {a} by {b}"),
        _ => format!("cannot divide {a} by {b}"),
    };
    Err(format!(
        "{what}: shapes differ (elementwise operations need equal shapes, or shapes that broadcast, such as a scalar)"
    ))
}

fn reduced(op: &Op, axes: Axes, operand: &Shape, dtype: DType) -> Result<Shape, String> {
    match axes {
        Axes::All => Ok(Shape::scalar()),
        Axes::One(axis) if axis < operand.rank() => Ok(operand.without_axis(axis)),
        Axes::One(axis) => Err(format!(
            "`{}` over axis {axis} needs a tensor with more than {axis} axes, found {}",
            op.name(),
            operand.describe(dtype)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(dims: &[usize]) -> Shape {
        Shape::new(dims.to_vec())
    }

    #[test]
    fn broadcasting_follows_numpy() {
        assert_eq!(broadcast(&s(&[64, 10]), &s(&[10])), Some(s(&[64, 10])));
        assert_eq!(broadcast(&s(&[]), &s(&[5])), Some(s(&[5])));
        assert_eq!(broadcast(&s(&[3, 1]), &s(&[1, 4])), Some(s(&[3, 4])));
        assert_eq!(broadcast(&s(&[5]), &s(&[4])), None);
    }

    #[test]
    fn mismatch_names_both_shapes() {
        let err = infer(&Op::Mul, &[&s(&[5]), &s(&[4])], DType::F32).unwrap_err();
        assert!(
            err.starts_with("cannot multiply [f32; 5] by [f32; 4]: shapes differ"),
            "{err}"
        );
    }

    #[test]
    fn reductions_drop_axes() {
        assert_eq!(infer(&Op::Sum(Axes::All), &[&s(&[2, 3])], DType::F32), Ok(s(&[])));
        assert_eq!(infer(&Op::Max(Axes::One(1)), &[&s(&[2, 3])], DType::F32), Ok(s(&[2])));
        assert!(infer(&Op::Mean(Axes::One(2)), &[&s(&[2, 3])], DType::F32).is_err());
    }
}
