//! Every op's gradient, through the generated code, against central finite differences in
//! f64 on random inputs, and the generated code against the graph-core interpreter on the
//! same source.

mod common;

use common::{assert_close, finite_differences, interpret_batch, owned, write, Rng, Tensors};

/// Checks graph `$case` (objective field `$objective`) on four seeded random inputs drawn
/// from `[$lo, $hi)`: values and adjoints against the interpreter, `backward` and `sgd_step`
/// against `adjoints`, and every adjoint against finite differences.
macro_rules! check {
    ($case:ident, $objective:ident, $lo:expr, $hi:expr) => {
        check!($case, $objective, $lo, $hi, []);
    };
    ($case:ident, $objective:ident, $lo:expr, $hi:expr, batch = $batch:literal) => {
        check!($case, $objective, $lo, $hi, [$batch]);
    };
    ($case:ident, $objective:ident, $lo:expr, $hi:expr, [$($batch:literal)?]) => {
        for seed in 1..=4u64 {
            use $case::g;
            type P = g::Placeholders$(<$batch>)?;
            type V = g::Variables;
            let batch: usize = 1 $(* $batch)?;
            let context = format!("{} (seed {seed}, batch {batch})", stringify!($case));
            let mut rng = Rng::new(seed);
            let mut p = P::default();
            let mut v = V::default();
            for (_, t) in p.tensors_mut() {
                rng.fill(t, $lo, $hi);
            }
            for (_, t) in v.tensors_mut() {
                rng.fill(t, $lo, $hi);
            }
            let inputs: Tensors = [owned(p.tensors()), owned(v.tensors())].concat();

            let expected = interpret_batch($case::SOURCE, &inputs, batch);
            let values = owned(g::forward(&p, &v).tensors());
            for (name, got) in &values {
                assert_close(&format!("{context}: value of `{name}`"), got, &expected.values[name], 1e-12);
            }
            let adjoints = owned(g::adjoints(&p, &v).tensors());
            for (name, got) in &adjoints {
                assert_close(&format!("{context}: adjoint of `{name}`"), got, &expected.adjoints[name], 1e-10);
            }

            let (backward_values, gradients) = g::backward(&p, &v);
            assert_eq!(owned(backward_values.tensors()), values, "{context}: backward's values");
            for (name, got) in owned(gradients.tensors()) {
                let want = &adjoints.iter().find(|(n, _)| *n == name).unwrap().1;
                assert_close(&format!("{context}: gradient of `{name}`"), &got, want, 1e-12);
            }

            let mut stepped = v.clone();
            let before = g::sgd_step(&p, &mut stepped, 0.25);
            assert_eq!(owned(before.tensors()), values, "{context}: sgd_step returns the values before the step");
            for ((name, new), (_, old)) in owned(stepped.tensors()).iter().zip(owned(v.tensors())) {
                let grad = &adjoints.iter().find(|(n, _)| n == name).unwrap().1;
                let want: Vec<f64> = old.iter().zip(grad).map(|(o, g)| o - 0.25 * g).collect();
                assert_close(&format!("{context}: `{name}` after sgd_step"), new, &want, 1e-12);
            }

            let numeric = finite_differences(&inputs, |moved| {
                let mut p = P::default();
                let mut v = V::default();
                write(p.tensors_mut(), moved);
                write(v.tensors_mut(), moved);
                g::forward(&p, &v).$objective
            });
            for (name, want) in &numeric {
                let got = &adjoints.iter().find(|(n, _)| n == name).unwrap().1;
                assert_close(&format!("{context}: d objective / d `{name}` vs finite differences"), got, want, 1e-6);
            }
        }
    };
}

graph_case!(arithmetic {
    placeholder a: [f64; 4];
    variable w: [f64; 4];
    variable u: [f64; 4];
    let s = add(a, w);
    let d = subtract(s, u) - w;
    let m = multiply(d, w) * u;
    let q = divide(m, u) / w;
    let cost = sum(q * a + -s);
    minimize cost;
});

#[test]
fn add_subtract_multiply_divide_negate() {
    check!(arithmetic, cost, 0.5, 1.5);
}

graph_case!(scalars {
    placeholder x: [f64; 3];
    variable w: [f64; 3];
    variable s: f64;
    let b = 2 * w;
    let c = w / s;
    let e = s - x;
    let n = -c + 0.5;
    let k = s * s / 3;
    let cost = mean(b * c + e * n) + k;
    minimize cost;
});

#[test]
fn scalars_broadcast_on_either_side() {
    check!(scalars, cost, 0.5, 1.5);
}

graph_case!(powers {
    variable w: [f64; 5];
    let cube = pow(w, 3);
    let root = pow(w, 0.5);
    let inverse = pow(w, -1);
    let square = pow(w - 1, 2);
    let one = pow(w, 1);
    let zero = pow(w, 0);
    let cost = sum(cube + root + inverse + square + one + zero);
    minimize cost;
});

#[test]
fn pow_with_integer_fractional_negative_and_trivial_exponents() {
    check!(powers, cost, 0.5, 1.5);
}

graph_case!(exp_log {
    placeholder x: [f64; 4];
    variable w: [f64; 4];
    let e = exp(w * x);
    let l = log(w + e);
    let cost = mean(l * e);
    minimize cost;
});

#[test]
fn exp_and_log() {
    check!(exp_log, cost, 0.25, 1.0);
}

graph_case!(softmax_vector {
    placeholder x: [f64; 6];
    placeholder t: [f64; 6];
    variable w: [f64; 6];
    let y = softmax(x * w);
    let cost = sum(pow(y - t, 2)) + mean(y * x);
    minimize cost;
});

#[test]
fn softmax_of_a_vector() {
    check!(softmax_vector, cost, -2.0, 2.0);
}

graph_case!(softmax_matrix {
    placeholder x: [f64; 3, 4];
    variable w: [f64; 3, 4];
    let y = softmax(x * w);
    let z = softmax(y * 3 + w);
    let cost = sum(z * x) / 3;
    minimize cost;
});

#[test]
fn softmax_over_the_last_axis_of_a_matrix() {
    check!(softmax_matrix, cost, -2.0, 2.0);
}

graph_case!(rank_four {
    placeholder x: [f64; 2, 1, 3, 2];
    variable w: [f64; 2, 1, 3, 2];
    variable b: f64;
    let y = softmax(x * w + b);
    let cost = mean(y * y * x) - sum(w) * b;
    minimize cost;
});

#[test]
fn rank_four_tensors() {
    check!(rank_four, cost, -1.0, 1.0);
}

graph_case!(reuse {
    placeholder x: [f64; 4];
    variable w: [f64; 4];
    let twice = w * w + w;
    let again = twice * w - x * w;
    let cost = sum(again) + mean(twice);
    minimize cost;
});

#[test]
fn a_variable_used_several_times_adds_its_adjoints() {
    check!(reuse, cost, -1.0, 1.0);
}

graph_case!(unused_let {
    placeholder x: [f64; 3];
    variable w: [f64; 3];
    let unused = x * 3 + w;
    let cost = sum(x * w);
    minimize cost;
});

#[test]
fn a_let_the_objective_does_not_use_is_computed_with_zero_adjoint() {
    check!(unused_let, cost, -1.0, 1.0);
    let p = unused_let::g::Placeholders { x: [1.0, 2.0, 3.0] };
    let v = unused_let::g::Variables { w: [0.5; 3] };
    assert_eq!(unused_let::g::forward(&p, &v).unused, [3.5, 6.5, 9.5]);
    let adjoints = unused_let::g::adjoints(&p, &v);
    assert_eq!(adjoints.unused, [0.0; 3]);
    assert_eq!(adjoints.w, [1.0, 2.0, 3.0]);
}

graph_case!(nonlinearities {
    placeholder x: [f64; 2, 3];
    variable w: [f64; 2, 3];
    let a = sqrt(w * w + 1);
    let b = tanh(x * w);
    let c = sigmoid(w - x);
    let d = relu(w + x);
    let e = exp(-w) + log(a);
    let cost = sum(a * b + c * d - e);
    minimize cost;
});

#[test]
fn sqrt_tanh_sigmoid_relu() {
    check!(nonlinearities, cost, -1.0, 1.0);
}

graph_case!(products {
    placeholder x: [f64; 3, 4];
    placeholder u: [f64; 4];
    variable w: [f64; 4, 2];
    variable b: [f64; 2];
    variable m: [f64; 2, 2];
    let h = tanh(matmul(x, w) + b);
    let z = matmul(h, transpose(m)) * 2;
    let r = matmul(u, w);
    let cost = sum(z * z) + sum(r * b);
    minimize cost;
});

#[test]
fn matmul_in_both_forms_and_transpose() {
    check!(products, cost, -1.0, 1.0);
}

graph_case!(axes {
    placeholder x: [f64; 3, 4];
    variable w: [f64; 3, 4];
    variable c: [f64; 2, 3, 2];
    let rows = sum(x * w, axis = 1);
    let columns = mean(w, axis = 0);
    let peak = max(w * x, axis = -1);
    let all = max(w);
    let middle = sum(c * c, axis = 1);
    let cost = sum(rows * peak) + sum(columns) * all + mean(middle);
    minimize cost;
});

#[test]
fn axis_reductions_and_max_away_from_ties() {
    check!(axes, cost, -1.0, 1.0);
}

graph_case!(broadcasts {
    placeholder x: [f64; 3, 2];
    variable bias: [f64; 2];
    variable column: [f64; 3, 1];
    variable s: f64;
    let y = x * bias + column - s;
    let z = column / (bias + 3);
    let cost = sum(y * y) + mean(z);
    minimize cost;
});

#[test]
fn numpy_broadcasting_reduces_gradients_to_the_operand() {
    check!(broadcasts, cost, 0.5, 1.5);
}

graph_case!(cross_entropy {
    placeholder x: [f64; 3, 4];
    placeholder labels: [f64; 3, 4];
    variable w: [f64; 3, 4];
    let logits = x * w * 3;
    let loss = softmax_cross_entropy(logits, labels);
    let logp = log_softmax(w);
    let cost = mean(loss) - sum(logp * x);
    minimize cost;
});

#[test]
fn log_softmax_and_softmax_cross_entropy() {
    check!(cross_entropy, cost, -1.0, 1.0);
}

graph_case!(batched {
    placeholder x: [f64; batch, 4];
    placeholder t: [f64; batch, 3];
    variable w: [f64; 4, 3] = glorot_uniform;
    variable b: [f64; 3];
    let logits = matmul(tanh(x), w) + b;
    let loss = softmax_cross_entropy(logits, t);
    let average = mean(x, axis = 0);
    let cost = mean(loss) + sum(average * average) + mean(logits * logits);
    minimize cost;
});

#[test]
fn batch_generic_graphs_at_two_batch_sizes() {
    check!(batched, cost, -1.0, 1.0, batch = 2);
    check!(batched, cost, -1.0, 1.0, batch = 5);
}
