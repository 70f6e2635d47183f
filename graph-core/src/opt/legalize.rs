//! Legalisation: rewrites the ops that exist for differentiation (`softmax`) into the
//! primitives the emitter fuses (`max`, `exp`, `sum`, elementwise arithmetic).
//!
//! It runs after autodiff, so the max shift of softmax is never differentiated: softmax
//! stays one high-level node, with one gradient rule, for as long as gradients are made.

use crate::diag::Diagnostic;
use crate::ir::{Axes, Graph, NodeId, Op};

/// Expands every `softmax` in `graph` in place; each keeps its id, name and users.
pub fn legalize(graph: &mut Graph) -> Result<(), Diagnostic> {
    let softmaxes: Vec<NodeId> = graph.ids().filter(|&id| *graph.op(id) == Op::Softmax).collect();
    for id in softmaxes {
        graph.in_context_of(id, |g| softmax(g, id))?;
    }
    Ok(())
}

/// `y = softmax(x)` becomes `e = exp(x - max(x)); y = e / sum(e)`, over the last axis.
fn softmax(g: &mut Graph, y: NodeId) -> Result<(), Diagnostic> {
    let x = g.operands(y)[0];
    let loc = g.node(y).loc;
    let last = g.shape(y).rank() - 1;
    let len = g.shape(y).dims()[last];
    let name = g.node(y).name.clone();

    let max = g.push(Op::Max(Axes::One(last)), &[x], loc)?;
    let max_row = g.expand(max, last, len, loc)?;
    let shifted = g.binary(Op::Sub, x, max_row, loc)?;
    let exp = g.push(Op::Exp, &[shifted], loc)?;
    let total = g.push(Op::Sum(Axes::One(last)), &[exp], loc)?;
    let total_row = g.expand(total, last, len, loc)?;
    if let Some(name) = name {
        g.node_mut(max).name = Some(format!("{name}_max"));
        g.node_mut(exp).name = Some(format!("{name}_exp"));
        g.node_mut(total).name = Some(format!("{name}_sum"));
    }
    g.rewrite(y, Op::Div, &[exp, total_row])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Loc;
    use crate::ir::{DType, Shape};

    #[test]
    fn softmax_becomes_max_exp_sum_div() {
        let mut g = Graph::new(DType::F64);
        let loc = Loc::call_site();
        let x = g.leaf(Op::Placeholder, Shape::new(vec![2, 3]), "x", loc).unwrap();
        let y = g.push(Op::Softmax, &[x], loc).unwrap();
        g.node_mut(y).name = Some("y".into());
        let before = crate::eval::evaluate(&g, |_| vec![1.0, 2.0, 3.0, 1000.0, 0.0, -1.0]).unwrap()[&y].clone();
        legalize(&mut g).unwrap();
        expect_test::expect![[r#"
            %0 = placeholder : [2, 3]  (x)
            %2 = max axis=1 %0 : [2]  (y_max)
            %3 = expand axis=1 %2 : [2, 3]
            %4 = subtract %0, %3 : [2, 3]
            %5 = exp %4 : [2, 3]  (y_exp)
            %6 = sum axis=1 %5 : [2]  (y_sum)
            %7 = expand axis=1 %6 : [2, 3]
            %1 = divide %5, %7 : [2, 3]  (y)
        "#]]
        .assert_eq(&g.to_string());
        let after = crate::eval::evaluate(&g, |_| vec![1.0, 2.0, 3.0, 1000.0, 0.0, -1.0]).unwrap()[&y].clone();
        for (a, b) in before.iter().zip(&after) {
            assert!((a - b).abs() < 1e-15, "{before:?} vs {after:?}");
        }
    }
}
