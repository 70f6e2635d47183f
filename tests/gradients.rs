//! Every op's gradient, through the generated code, against central finite differences in
//! f64 on random inputs, and the generated code against the graph-core interpreter on the
//! same source.

mod common;

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

graph_case!(extremes {
    placeholder x: [f64; 3, 4];
    variable w: [f64; 3, 4];
    let high = max(x * w, axis = 1);
    let low = min(x * w, axis = 0);
    let cost = sum(high * high) + sum(low * 2) + min(x + w) * 3 + max(w);
    minimize cost;
});

#[test]
fn max_and_min_along_an_axis_and_whole() {
    // Random inputs have no ties: the gradient goes to each slice's one extreme.
    check!(extremes, cost, -2.0, 2.0);
}

graph_case!(layer_norm {
    placeholder x: [f64; 3, 4];
    variable gain: [f64; 4];
    variable bias: [f64; 4];
    let scaled = x * gain;
    let mu = mean(scaled, axis = -1, keepdims = true);
    let centred = scaled - mu;
    let spread = mean(centred * centred, axis = -1, keepdims = true);
    let y = centred / sqrt(spread + 0.5) + bias;
    let low = min(y, axis = 0, keepdims = true);
    let peak = max(y, keepdims = true);
    let total = sum(y * y, axis = 1, keepdims = true);
    let cost = mean(y * y * x) + sum(low) + sum(peak) * 2 + mean(total);
    minimize cost;
});

#[test]
fn layer_norm_with_keepdims() {
    check!(layer_norm, cost, -2.0, 2.0);
    // The kept axes have length 1, as declared types show: `mu` is [3, 1], `peak` [1, 1].
    let values = layer_norm::g::forward(
        &layer_norm::g::Placeholders::default(),
        &layer_norm::g::Variables::default(),
    );
    let (mu, peak): ([[f64; 1]; 3], [[f64; 1]; 1]) = (values.mu, values.peak);
    assert_eq!((mu, peak), ([[0.0]; 3], [[0.0]]));
}

graph_case!(keepdims_over_a_batch {
    placeholder x: [f64; batch, 3];
    variable w: [f64; 3];
    let column = mean(x * w, axis = 0, keepdims = true);
    let everything = sum(x * w, keepdims = true);
    let cost = mean((x * w - column) * (x * w - column)) + sum(everything * everything);
    minimize cost;
});

#[test]
fn keepdims_along_the_named_dimension() {
    check!(keepdims_over_a_batch, cost, -2.0, 2.0, batch = 5);
}

graph_case!(logistic_regression {
    placeholder x: [f64; 6, 3];
    placeholder y: [f64; 6];
    variable w: [f64; 3];
    variable b: f64;
    let p = sigmoid(matmul(x, w) + b);
    let cost = mean(pow(p - y, 2));
    minimize cost;
});

#[test]
fn matrix_times_vector() {
    check!(logistic_regression, cost, -2.0, 2.0);
    // One row by hand: p = sigmoid(x . w + b).
    let mut p = logistic_regression::g::Placeholders::default();
    p.x[2] = [1.0, -2.0, 0.5];
    let v = logistic_regression::g::Variables {
        w: [0.5, 0.25, 2.0],
        b: -0.25,
    };
    let logit: f64 = 0.5 - 0.5 + 1.0 - 0.25;
    let values = logistic_regression::g::forward(&p, &v);
    assert!((values.p[2] - 1.0 / (1.0 + (-logit).exp())).abs() < 1e-15);
}

graph_case!(matrix_vector_batch {
    placeholder x: [f64; batch, 4];
    variable w: [f64; 4];
    variable u: [f64; 4, 4];
    let h = tanh(matmul(x, u));
    let score = matmul(h, w);
    let cost = mean(score * score);
    minimize cost;
});

#[test]
fn matrix_times_vector_over_a_batch() {
    check!(matrix_vector_batch, cost, -1.0, 1.0, batch = 3);
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

// `sgd_step` updates `w` and `u` inside the products that are their gradients, while the
// products `d_x = d_h wᵀ` and `d_h = d_z uᵀ` still read the old weights in the same step;
// the weights stand on both sides, so those readers come before and after the gradients in
// the order the products are made.
graph_case!(weights_updated_inside_products {
    placeholder a: [f64; 3, 4];
    variable v: [f64; 4];
    variable w: [f64; 4, 2];
    variable u: [f64; 2, 2];
    variable s: [f64; 2, 3];
    let x = a * v;
    let h = matmul(x, w);
    let z = tanh(matmul(h, u));
    let y = tanh(matmul(s, x));
    let cost = mean(z * z) + mean(y * y);
    minimize cost;
});

#[test]
fn weights_updated_inside_their_gradient_products_match_the_adjoints() {
    check!(weights_updated_inside_products, cost, -1.0, 1.0);
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

graph_case!(named_twice {
    placeholder x: [f64; 3];
    variable w: [f64; 3];
    let v = mean(x * w);
    let cost = mean(x * w) + v * 2;
    minimize cost;
});

#[test]
fn a_name_keeps_its_own_adjoint_when_its_expression_is_written_again() {
    // Found by the random graphs: merging the unnamed `mean(x * w)` into `v` before
    // differentiation made d cost / d v count both uses. It is 2, as in TensorFlow.
    check!(named_twice, cost, -1.0, 1.0);
    let adjoints = named_twice::g::adjoints(
        &named_twice::g::Placeholders { x: [1.0; 3] },
        &named_twice::g::Variables::default(),
    );
    assert_eq!(adjoints.v, 2.0);
}

graph_case!(long_vectors {
    placeholder x: [f64; 300];
    placeholder t: [f64; 300];
    variable w: [f64; 300];
    let y = softmax(x * w);
    let peak = max(y);
    let cost = mean(pow(y - t, 2)) + sum(y * x) * peak;
    minimize cost;
});

#[test]
fn long_loops_split_their_sums_into_lanes_and_stay_exact() {
    // 300 elements: the fused loops run four blocks of 64, whose sums and maxima fold into 8
    // partial results, then a tail of 44.
    check!(long_vectors, cost, -1.0, 1.0);
}

graph_case!(rows_in_blocks {
    placeholder x: [f64; batch, 16];
    placeholder h: [f64; batch, 32];
    variable b: [f64; 16];
    variable c: [f64; 32];
    let y = relu(x + b);
    let z = tanh(h * c);
    let peak = max(z, axis = 0);
    let cost = mean(y * y) + mean(z) + sum(peak);
    minimize cost;
});

#[test]
fn rows_that_divide_a_block_are_read_and_summed_a_block_at_a_time() {
    // A batch of 37: 592 and 1,184 elements, nine and eighteen blocks of 64 and a tail. The
    // rows of 16 and 32 (`b`, `c`) are read from copies repeated to a block, and their
    // gradients (and the maximum over the batch) fold a block at a time into lanes, then
    // into the rows.
    check!(rows_in_blocks, cost, -1.0, 1.0, batch = 37);
}

graph_case!(wide_pool {
    placeholder x: [f64; 2, 4, 4, 72];
    variable scale: f64;
    let y = max_pool(x * scale);
    let cost = sum(y * y);
    minimize cost;
});

#[test]
fn a_pool_of_more_than_64_channels_keeps_its_maxima_in_the_output() {
    // 72 channels: the forward pass keeps each window's maxima in the output (up to 64, in an
    // array on the stack), and the gradient searches one channel at a time.
    check!(wide_pool, cost, -1.0, 1.0);
}

graph_case!(on_the_pool {
    placeholder x: [f64; 270000];
    placeholder t: [f64; batch, 3];
    variable w: [f64; 270000];
    variable v: [f64; 3];
    let y = softmax(x * w);
    let peak = max(y * x);
    let z = sigmoid(t * v);
    let cost = mean(pow(y - 0.5, 2)) + sum(y * x) * peak + mean(z);
    minimize cost;
});

#[test]
fn loops_of_more_than_131072_elements_run_in_chunks_over_the_pool_and_agree() {
    use common::{assert_close, interpret_batch, owned, Rng, Tensors};
    use on_the_pool::g;
    // 270,000 elements: the fused loops run in chunks over the pool (the last with lanes and a
    // tail); the batch loop of 100,000 x 3 takes the run-time branch to the chunks too.
    let mut rng = Rng::new(9);
    let mut p = g::Placeholders::<100000>::default();
    let mut v = g::Variables::default();
    for (_, t) in p.tensors_mut() {
        rng.fill(t, -1.0, 1.0);
    }
    for (_, t) in v.tensors_mut() {
        rng.fill(t, -1.0, 1.0);
    }
    let inputs: Tensors = [owned(p.tensors()), owned(v.tensors())].concat();
    let expected = interpret_batch(on_the_pool::SOURCE, &inputs, 100000);
    for (name, got) in owned(g::forward(&p, &v).tensors()) {
        assert_close(&format!("value of `{name}`"), &got, &expected.values[&name], 1e-12);
    }
    let adjoints = owned(g::adjoints(&p, &v).tensors());
    for (name, got) in &adjoints {
        assert_close(&format!("adjoint of `{name}`"), got, &expected.adjoints[name], 1e-10);
    }
    let mut stepped = v.clone();
    let _ = g::sgd_step(&p, &mut stepped, 0.5);
    let grad = &adjoints.iter().find(|(n, _)| n == "w").unwrap().1;
    let want: Vec<f64> = v.w.iter().zip(grad).map(|(w, g)| w - 0.5 * g).collect();
    assert_close("w after sgd_step", &stepped.w[..], &want, 1e-12);
}
