//! Common-subexpression elimination, across the forward and backward graph: two nodes with
//! the same op and operands (in either order, for `+` and `*`) become one. It keeps the
//! earlier node, so a backward node that recomputes a forward value (the `max` and `exp` of a
//! softmax the cross-entropy rule needs) reads the forward one instead.

use crate::ir::{NodeId, Shape};
use crate::program::Program;
use std::collections::HashMap;

type Key = ((&'static str, u64, u64), Vec<NodeId>, Shape);

/// Merges equal nodes of `program`; declared nodes are never removed.
pub fn cse(program: &mut Program) {
    merge(program, true);
}

/// [`cse`] before differentiation, where merging a node into a declared one would change that
/// name's adjoint (d objective / d `v` counts only the uses of `v` itself, as in TensorFlow):
/// only undeclared nodes merge.
pub fn cse_undeclared(program: &mut Program) {
    merge(program, false);
}

fn merge(program: &mut Program, into_declared: bool) {
    let declared = program.declared();
    let mut seen: HashMap<Key, NodeId> = HashMap::new();
    for id in program.graph.topological_order() {
        let op = program.graph.op(id);
        if op.is_leaf() && !matches!(op, crate::ir::Op::Constant(_) | crate::ir::Op::Count(_)) {
            continue;
        }
        let mut operands = program.graph.operands(id);
        if op.is_commutative() {
            operands.sort_unstable();
        }
        let key = (op.key(), operands, program.graph.shape(id).clone());
        match seen.get(&key) {
            Some(&first) if !into_declared && (declared.contains(&first) || declared.contains(&id)) => {}
            Some(&first) if !declared.contains(&id) => program.replace(id, first),
            Some(&first) if !declared.contains(&first) => {
                // Keep the declared one: it has a name to answer to.
                program.replace(first, id);
                seen.insert(key, id);
            }
            Some(_) => {}
            None => {
                seen.insert(key, id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ir::{Axes, Op};
    use crate::opt::testing::{program, Build};

    #[test]
    fn equal_nodes_merge_and_commuted_operands_count_as_equal() {
        // cost = sum(exp(x) * (x * 2) + (2 * x) * exp(x))
        let mut p = program(&[3], |b: &mut Build| {
            let (e1, e2) = (b.op(Op::Exp, &[b.x]), b.op(Op::Exp, &[b.x]));
            let two = b.constant(2.0);
            let (m1, m2) = (b.op(Op::Mul, &[b.x, two]), b.op(Op::Mul, &[two, b.x]));
            let left = b.op(Op::Mul, &[e1, m1]);
            let right = b.op(Op::Mul, &[m2, e2]);
            let total = b.op(Op::Add, &[left, right]);
            b.op(Op::Sum(Axes::All), &[total])
        });
        super::cse(&mut p);
        crate::opt::dce(&mut p);
        expect_test::expect![[r#"
            %0 = placeholder : [3]  (x)
            %1 = exp %0 : [3]
            %3 = constant 2 : []
            %4 = broadcast %3 : [3]
            %5 = multiply %0, %4 : [3]
            %8 = multiply %1, %5 : [3]
            %10 = add %8, %8 : [3]
            %11 = sum %10 : []  (cost)
        "#]]
        .assert_eq(&p.graph.to_string());
    }
}
