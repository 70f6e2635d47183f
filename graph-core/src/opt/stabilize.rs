//! Stabilising rewrites, as Theano made them: forms that overflow or lose precision become
//! their stable equivalents before they are differentiated. `log(softmax(x))` becomes
//! `log_softmax(x)`, which never takes the log of a probability that underflowed to 0 (and
//! whose gradient never divides by one).

use crate::diag::Diagnostic;
use crate::ir::Op;
use crate::program::Program;

/// Rewrites every `log(softmax(x))` of `program` in place.
pub fn stabilize(program: &mut Program) -> Result<(), Diagnostic> {
    let graph = &mut program.graph;
    for id in graph.topological_order() {
        if *graph.op(id) != Op::Log {
            continue;
        }
        let operand = graph.operands(id)[0];
        if *graph.op(operand) == Op::Softmax {
            let x = graph.operands(operand)[0];
            graph.rewrite(id, Op::LogSoftmax, &[x])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::ir::{Axes, Op};
    use crate::opt::testing::{program, Build};

    #[test]
    fn log_of_softmax_becomes_log_softmax() {
        let mut p = program(&[2, 3], |b: &mut Build| {
            let y = b.op(Op::Softmax, &[b.x]);
            let l = b.op(Op::Log, &[y]);
            b.op(Op::Sum(Axes::All), &[l])
        });
        let before = crate::eval::evaluate(&p.graph, &[], |_| vec![1000.0, 0.0, -1000.0, 1.0, 2.0, 3.0]).unwrap();
        super::stabilize(&mut p).unwrap();
        crate::opt::dce(&mut p);
        expect_test::expect![[r#"
            %0 = placeholder : [2, 3]  (x)
            %2 = log_softmax %0 : [2, 3]
            %3 = sum %2 : []  (cost)
        "#]]
        .assert_eq(&p.graph.to_string());
        let after = crate::eval::evaluate(&p.graph, &[], |_| vec![1000.0, 0.0, -1000.0, 1.0, 2.0, 3.0]).unwrap();
        // The plain form underflows to log(0) = -inf; the stable one gives the true value.
        assert_eq!(before[&p.objective.node][0], f64::NEG_INFINITY);
        assert!(after[&p.objective.node][0].is_finite());
    }
}
