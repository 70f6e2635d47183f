//! Algebraic simplification and constant folding, node by node in topological order:
//!
//! - constants fold: `1 / 5 * 2` becomes `0.4`, in the graph's float type (`1e30 * 1e30` is
//!   `inf` in f32, as TensorFlow gives);
//! - identities go: `x * 1`, `x / 1`, `x + 0`, `x - 0`, `--x`, `pow(x, 1)` become `x`;
//! - work on broadcast scalars stays scalar: `broadcast(s) * broadcast(t)` becomes
//!   `broadcast(s * t)`, so the `1/n` of a `mean` meets its neighbour's constant once, not
//!   once per element.
//!
//! [`strength_reduce`], run only for emission (so that gradients are still derived from the
//! user's `pow`), makes `pow(x, 2)` into `x * x` and `pow(x, 0.5)` into `sqrt(x)`.
//!
//! Declared nodes (the user's names) are rewritten in place but never removed, so every name
//! keeps its value and its adjoint.

use crate::diag::Diagnostic;
use crate::eval;
use crate::ir::{DType, NodeId, Op, Shape};
use crate::program::Program;
use std::collections::BTreeSet;

/// Simplifies every node of `program`.
pub fn simplify(program: &mut Program) -> Result<(), Diagnostic> {
    let declared = program.declared();
    for id in program.graph.topological_order() {
        if program.graph.contains(id) {
            node(program, &declared, id)?;
        }
    }
    Ok(())
}

/// The value of `id` if it is a constant, or a broadcast of one.
fn constant(program: &Program, id: NodeId) -> Option<f64> {
    match *program.graph.op(id) {
        Op::Constant(c) => Some(c),
        Op::Broadcast => constant(program, program.graph.operands(id)[0]),
        _ => None,
    }
}

/// The scalar under a broadcast of a scalar, or a scalar itself.
fn scalar_source(program: &Program, id: NodeId) -> Option<NodeId> {
    let graph = &program.graph;
    if graph.shape(id).is_scalar() {
        return Some(id);
    }
    match graph.op(id) {
        Op::Broadcast if graph.shape(graph.operands(id)[0]).is_scalar() => Some(graph.operands(id)[0]),
        _ => None,
    }
}

fn node(program: &mut Program, declared: &BTreeSet<NodeId>, id: NodeId) -> Result<(), Diagnostic> {
    let op = *program.graph.op(id);
    if !op.is_elementwise() || op.is_view() {
        return Ok(());
    }
    let operands = program.graph.operands(id);
    let constants: Option<Vec<f64>> = operands.iter().map(|&o| constant(program, o)).collect();
    let dtype = program.graph.dtype();
    if let Some(values) = constants.and_then(|c| fold(&op, &c, dtype)) {
        return set_constant(program, id, values);
    }
    if let Some(same) = identity(program, &op, &operands) {
        if !declared.contains(&id) {
            program.replace(id, same);
        }
        return Ok(());
    }
    keep_scalar(program, declared, id, op, &operands)
}

/// `matmul(transpose(a), b)` becomes the product with `a`'s transpose flag flipped (and so for
/// `b`), so that no transpose is copied for a product: the GEMM reads either layout. Run for
/// emission only, after differentiation, so that a named transpose keeps its adjoint.
///
/// And `transpose(matmul(a, b))` of the last two axes, where nothing else reads the product,
/// becomes `matmul(transpose(b), transpose(a))` as flags: the product is made in the layout
/// its reader wants.
pub fn absorb_transposes(program: &mut Program) -> Result<(), Diagnostic> {
    for id in program.graph.topological_order() {
        match *program.graph.op(id) {
            Op::Transpose(perm) if perm.is_swap_last() => transpose_product(program, id)?,
            _ => {}
        }
        if let Op::MatMul { ta, tb, fold: false } = *program.graph.op(id) {
            absorb(program, id, [ta, tb])?;
        }
    }
    Ok(())
}

/// `(op(A) op(B))ᵀ = op(B)ᵀ op(A)ᵀ`, for transpose `id` of a product read by nothing else.
fn transpose_product(program: &mut Program, id: NodeId) -> Result<(), Diagnostic> {
    let declared = program.declared();
    let graph = &mut program.graph;
    let product = graph.operands(id)[0];
    let Op::MatMul { ta, tb, fold: false } = *graph.op(product) else {
        return Ok(());
    };
    let operands = graph.operands(product);
    let matrices = operands.iter().all(|&o| graph.shape(o).rank() >= 2);
    // A named product is returned: it is made anyway, and the transpose stays a view of it.
    if !matrices || graph.users(product).len() != 1 || declared.contains(&product) {
        return Ok(());
    }
    let op = Op::MatMul {
        ta: !tb,
        tb: !ta,
        fold: false,
    };
    graph.rewrite(id, op, &[operands[1], operands[0]])
}

fn absorb(program: &mut Program, id: NodeId, mut flags: [bool; 2]) -> Result<(), Diagnostic> {
    let graph = &mut program.graph;
    let mut operands = graph.operands(id);
    let mut changed = false;
    for (operand, flag) in operands.iter_mut().zip(&mut flags) {
        if let Op::Transpose(perm) = *graph.op(*operand) {
            if perm.is_swap_last() {
                *operand = graph.operands(*operand)[0];
                *flag = !*flag;
                changed = true;
            }
        }
    }
    if !changed {
        return Ok(());
    }
    let [ta, tb] = flags;
    graph.rewrite(id, Op::MatMul { ta, tb, fold: false }, &operands)
}

/// `pow(x, 2)` becomes `x * x` and `pow(x, 0.5)` becomes `sqrt(x)`, in place.
pub fn strength_reduce(program: &mut Program) -> Result<(), Diagnostic> {
    for id in program.graph.topological_order() {
        let x = program.graph.operands(id).first().copied();
        match (*program.graph.op(id), x) {
            (Op::Pow(2.0), Some(x)) => program.graph.rewrite(id, Op::Mul, &[x, x])?,
            (Op::Pow(0.5), Some(x)) => program.graph.rewrite(id, Op::Sqrt, &[x])?,
            _ => {}
        }
    }
    Ok(())
}

/// `op` of constants, in the graph's float type: computed in f64 and rounded once to
/// `dtype`, which for `+ - * /` and `sqrt` of f32 operands is exactly f32 arithmetic (f64 has
/// more than twice f32's precision), overflow to infinity included, as TensorFlow gives. The
/// interpreter's [`eval::scalar`] says what each op means.
fn fold(op: &Op, x: &[f64], dtype: DType) -> Option<f64> {
    let arithmetic = op.is_elementwise() && !op.is_view();
    arithmetic.then(|| dtype.round(eval::scalar(op, x)))
}

/// Makes `id` the constant `value` (a broadcast of it, for a tensor).
fn set_constant(program: &mut Program, id: NodeId, value: f64) -> Result<(), Diagnostic> {
    let graph = &mut program.graph;
    if graph.shape(id).is_scalar() {
        graph.make_constant(id, value);
        return Ok(());
    }
    let loc = graph.node(id).loc;
    let c = graph.in_context_of(id, |g| g.constant(value, loc));
    graph.rewrite_given(id, Op::Broadcast, &[c])
}

/// The operand `id` equals, for `x * 1`, `x / 1`, `x + 0`, `x - 0`, `--x` and `pow(x, 1)`.
fn identity(program: &Program, op: &Op, operands: &[NodeId]) -> Option<NodeId> {
    let is = |k: usize, v: f64| constant(program, operands[k]) == Some(v);
    match op {
        Op::Mul if is(1, 1.0) => Some(operands[0]),
        Op::Mul if is(0, 1.0) => Some(operands[1]),
        Op::Div if is(1, 1.0) => Some(operands[0]),
        Op::Add if is(1, 0.0) => Some(operands[0]),
        Op::Add if is(0, 0.0) => Some(operands[1]),
        Op::Sub if is(1, 0.0) => Some(operands[0]),
        Op::Pow(e) if *e == 1.0 => Some(operands[0]),
        Op::Neg if *program.graph.op(operands[0]) == Op::Neg => Some(program.graph.operands(operands[0])[0]),
        _ => None,
    }
}

/// `op(broadcast(s), broadcast(t))` becomes `broadcast(op(s, t))` for scalars `s`, `t`.
fn keep_scalar(
    program: &mut Program,
    declared: &BTreeSet<NodeId>,
    id: NodeId,
    op: Op,
    operands: &[NodeId],
) -> Result<(), Diagnostic> {
    let graph = &program.graph;
    if graph.shape(id).is_scalar() {
        return Ok(());
    }
    let Some(scalars) = operands
        .iter()
        .map(|&o| scalar_source(program, o))
        .collect::<Option<Vec<NodeId>>>()
    else {
        return Ok(());
    };
    let loc = program.graph.node(id).loc;
    let graph = &mut program.graph;
    let scalar = graph.in_context_of(id, |g| g.push(op, &scalars, loc))?;
    debug_assert_eq!(graph.shape(scalar), &Shape::scalar());
    node(program, declared, scalar)?;
    program.graph.rewrite_given(id, Op::Broadcast, &[scalar])
}

#[cfg(test)]
mod tests {
    use crate::ir::{Axes, Op};
    use crate::opt::testing::{program, Build};

    #[test]
    fn constants_fold_and_scalars_stay_scalar() {
        // cost = sum((1 / 5) * 2 * x * x)
        let mut p = program(&[4], |b: &mut Build| {
            let (one, five, two) = (b.constant(1.0), b.constant(5.0), b.constant(2.0));
            let fifth = b.op(Op::Div, &[one, five]);
            let scale = b.op(Op::Mul, &[fifth, two]);
            let xs = b.op(Op::Mul, &[scale, b.x]);
            let xx = b.op(Op::Mul, &[xs, b.x]);
            b.op(Op::Sum(Axes::All), &[xx])
        });
        super::simplify(&mut p).unwrap();
        crate::opt::dce(&mut p);
        expect_test::expect![[r#"
            %0 = placeholder : [4]  (x)
            %5 = constant 0.4 : []
            %6 = broadcast %5 : [4]
            %7 = multiply %6, %0 : [4]
            %8 = multiply %7, %0 : [4]
            %9 = sum %8 : []  (cost)
        "#]]
        .assert_eq(&p.graph.to_string());
    }

    #[test]
    fn identities_go_and_powers_get_cheaper() {
        // cost = sum(pow(-(-(x * 1 + 0)), 1) / 1 + pow(x, 2) + pow(x, 0.5))
        let mut p = program(&[3], |b: &mut Build| {
            let (one, zero) = (b.constant(1.0), b.constant(0.0));
            let a = b.op(Op::Mul, &[b.x, one]);
            let a = b.op(Op::Add, &[a, zero]);
            let a = b.op(Op::Neg, &[a]);
            let a = b.op(Op::Neg, &[a]);
            let a = b.op(Op::Pow(1.0), &[a]);
            let a = b.op(Op::Div, &[a, one]);
            let square = b.op(Op::Pow(2.0), &[b.x]);
            let root = b.op(Op::Pow(0.5), &[b.x]);
            let a = b.op(Op::Add, &[a, square]);
            let a = b.op(Op::Add, &[a, root]);
            b.op(Op::Sum(Axes::All), &[a])
        });
        super::simplify(&mut p).unwrap();
        super::strength_reduce(&mut p).unwrap();
        crate::opt::dce(&mut p);
        expect_test::expect![[r#"
            %0 = placeholder : [3]  (x)
            %12 = multiply %0, %0 : [3]
            %13 = sqrt %0 : [3]
            %14 = add %0, %12 : [3]
            %15 = add %14, %13 : [3]
            %16 = sum %15 : []  (cost)
        "#]]
        .assert_eq(&p.graph.to_string());
    }
}
