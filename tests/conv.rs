//! `conv2d`, `max_pool` and `avg_pool` (TensorFlow's NHWC, strides 1 and 2, `same` and
//! `valid`, odd and even sizes): values and both gradients against JAX in float64 to 1e-9
//! relative (`tools/conv_reference.py`), against finite differences and the interpreter at two
//! batch sizes, and `max_pool`'s gradient at ties (to the first maximum of its window).

mod common;

use common::assert_relative;

mod reference {
    include!("reference/conv.rs");
}
use reference::*;

static_graph::graph! {
    /// Every stride and padding of the reference, each on its own images.
    pub mod windows {
        placeholder c1_x: [f64; batch, 5, 6, 3];
        placeholder c2_x: [f64; batch, 5, 6, 3];
        placeholder c3_x: [f64; batch, 5, 6, 3];
        placeholder p4_x: [f64; batch, 5, 6, 3];
        placeholder p5_x: [f64; batch, 5, 6, 3];
        placeholder p6_x: [f64; batch, 5, 6, 3];
        placeholder p7_x: [f64; batch, 5, 6, 3];
        placeholder c1_r: [f64; batch, 3, 4, 4];
        placeholder c2_r: [f64; batch, 3, 3, 4];
        placeholder c3_r: [f64; batch, 5, 3, 4];
        placeholder p4_r: [f64; batch, 2, 3, 3];
        placeholder p5_r: [f64; batch, 3, 3, 3];
        placeholder p6_r: [f64; batch, 5, 6, 3];
        placeholder p7_r: [f64; batch, 3, 3, 3];
        variable c1_w: [f64; 3, 3, 3, 4];
        variable c2_w: [f64; 3, 3, 3, 4];
        variable c3_w: [f64; 2, 3, 3, 4];
        let c1_y = conv2d(c1_x, c1_w);
        let c2_y = conv2d(c2_x, c2_w, stride = 2, padding = same);
        let c3_y = conv2d(c3_x, c3_w, stride = (1, 2), padding = same);
        let p4_y = max_pool(p4_x);
        let p5_y = avg_pool(p5_x, size = 3, stride = 2, padding = same);
        let p6_y = max_pool(p6_x, size = (2, 3), stride = 1, padding = same);
        let p7_y = avg_pool(p7_x, size = 2, padding = same);
        let cost = sum(c1_y * c1_r) + sum(c2_y * c2_r) + sum(c3_y * c3_r) + sum(p4_y * p4_r)
            + sum(p5_y * p5_r) + sum(p6_y * p6_r) + sum(p7_y * p7_r);
        minimize cost;
    }
}

/// A tensor `[n, H, W, C]` as its flat elements.
fn flat4<const H: usize, const W: usize, const C: usize>(t: &[[[[f64; C]; W]; H]]) -> &[f64] {
    t.as_flattened().as_flattened().as_flattened()
}

#[test]
fn values_and_gradients_match_jax() {
    let mut p = windows::Placeholders::<2>::default();
    let mut v = windows::Variables::default();
    let inputs: [(&str, &[f64]); 17] = [
        ("c1_x", &C1_X),
        ("c2_x", &C2_X),
        ("c3_x", &C3_X),
        ("p4_x", &P4_X),
        ("p5_x", &P5_X),
        ("p6_x", &P6_X),
        ("p7_x", &P7_X),
        ("c1_r", &C1_R),
        ("c2_r", &C2_R),
        ("c3_r", &C3_R),
        ("p4_r", &P4_R),
        ("p5_r", &P5_R),
        ("p6_r", &P6_R),
        ("p7_r", &P7_R),
        ("c1_w", &C1_W),
        ("c2_w", &C2_W),
        ("c3_w", &C3_W),
    ];
    let fill = |tensors: Vec<(&'static str, &mut [f64])>| {
        for (name, slot) in tensors {
            let (_, values) = inputs
                .iter()
                .find(|(n, _)| *n == name)
                .expect("every input has reference values");
            slot.copy_from_slice(values);
        }
    };
    fill(p.tensors_mut().into_iter().collect());
    fill(v.tensors_mut().into_iter().collect());
    let values = windows::forward(&p, &v);
    let adjoints = windows::adjoints(&p, &v);
    // Each output's name, value, JAX's value and the gradient to its images.
    type Output<'a> = (&'a str, &'a [f64], &'a [f64], &'a [f64]);
    let outputs: [Output; 7] = [
        ("c1", flat4(&values.c1_y[..]), &C1_Y, flat4(&adjoints.c1_x[..])),
        ("c2", flat4(&values.c2_y[..]), &C2_Y, flat4(&adjoints.c2_x[..])),
        ("c3", flat4(&values.c3_y[..]), &C3_Y, flat4(&adjoints.c3_x[..])),
        ("p4", flat4(&values.p4_y[..]), &P4_Y, flat4(&adjoints.p4_x[..])),
        ("p5", flat4(&values.p5_y[..]), &P5_Y, flat4(&adjoints.p5_x[..])),
        ("p6", flat4(&values.p6_y[..]), &P6_Y, flat4(&adjoints.p6_x[..])),
        ("p7", flat4(&values.p7_y[..]), &P7_Y, flat4(&adjoints.p7_x[..])),
    ];
    let expected_dx: [&[f64]; 7] = [&C1_DX, &C2_DX, &C3_DX, &P4_DX, &P5_DX, &P6_DX, &P7_DX];
    for ((name, got, want, dx), want_dx) in outputs.into_iter().zip(expected_dx) {
        assert_relative(&format!("{name}: value"), got, want);
        assert_relative(&format!("{name}: d images"), dx, want_dx);
    }
    let gradients = windows::backward(&p, &v).1;
    assert_relative("c1: d filters", flat4(&gradients.c1_w[..]), &C1_DW);
    assert_relative("c2: d filters", flat4(&gradients.c2_w[..]), &C2_DW);
    assert_relative("c3: d filters", flat4(&gradients.c3_w[..]), &C3_DW);
}

graph_case!(small_cnn {
    placeholder x: [f64; batch, 5, 4, 2];
    variable w1: [f64; 3, 3, 2, 3];
    variable w2: [f64; 2, 2, 3, 2];
    variable b: [f64; 3];
    variable w3: [f64; 2, 3, 2, 2];
    let h = tanh(conv2d(x, w1, stride = 2, padding = same) + b);
    let valid = conv2d(x, w3, stride = (2, 1));
    let pooled = max_pool(h, size = 2, stride = 1, padding = same) + avg_pool(h, size = (1, 2), padding = valid);
    let out = conv2d(pooled, w2, padding = same);
    let cost = mean(out * out) + sum(avg_pool(x, size = 3, stride = 2, padding = same)) + mean(valid * valid);
    minimize cost;
});

// More channels than the gradient of `max_pool` keeps on the stack at once (64).
graph_case!(wide_pool {
    placeholder x: [f64; batch, 3, 3, 65];
    variable scale: [f64; 65];
    let cost = sum(max_pool(x * scale, size = 2, stride = 1));
    minimize cost;
});

#[test]
fn gradients_match_finite_differences_and_the_interpreter_at_two_batch_sizes() {
    check!(small_cnn, cost, -1.0, 1.0, batch = 1);
    check!(small_cnn, cost, -1.0, 1.0, batch = 3);
    check!(wide_pool, cost, -1.0, 1.0, batch = 2);
}

static_graph::graph! {
    /// A pool over ties.
    pub mod ties {
        placeholder x: [f64; 1, 3, 3, 1];
        variable scale: f64 = 1.0;
        let y = max_pool(x * scale, size = 2, stride = 1);
        let cost = sum(y);
        minimize cost;
    }
}

#[test]
fn max_pool_sends_the_gradient_to_the_first_maximum_of_each_window() {
    // Every entry 1: each of the four 2x2 windows sends its gradient to its top-left cell.
    let p = ties::Placeholders { x: [[[[1.0]; 3]; 3]] };
    let adjoints = ties::adjoints(&p, &ties::Variables::default());
    let d: Vec<f64> = flat4(&adjoints.x[..]).to_vec();
    assert_eq!(d, [1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
    // A tie between cells 1 and 4 (row-major): windows holding both send to cell 1.
    let p = ties::Placeholders {
        x: [[[[0.0], [2.0], [0.0]], [[0.0], [2.0], [0.0]], [[0.0], [0.0], [0.0]]]],
    };
    let adjoints = ties::adjoints(&p, &ties::Variables::default());
    let d: Vec<f64> = flat4(&adjoints.x[..]).to_vec();
    assert_eq!(d, [0.0, 2.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0]);
}

static_graph::graph! {
    /// A pool whose image is the variable, over ties from the placeholder: forward mode.
    pub mod ties_forward {
        placeholder x: [f64; 1, 3, 3, 1];
        variable v: [f64; 1, 3, 3, 1];
        let y = max_pool(x + v, size = 2, stride = 1);
        let cost = 0.5 * sum(square(y));
        minimize cost;
        jvp;
        hvp;
    }
}

#[test]
fn max_pools_tangent_takes_the_direction_at_the_first_maximum_and_at_a_nan() {
    // Direction k + 1 at cell k (row-major), so the tangent names the cell it was read from.
    let mut direction = ties_forward::Variables::default();
    for (k, d) in direction
        .v
        .as_flattened_mut()
        .as_flattened_mut()
        .as_flattened_mut()
        .iter_mut()
        .enumerate()
    {
        *d = k as f64 + 1.0;
    }
    // Every entry 1: each 2x2 window's tangent is its top-left cell's direction.
    let p = ties_forward::Placeholders { x: [[[[1.0]; 3]; 3]] };
    let v = ties_forward::Variables::default();
    let (_, tangents) = ties_forward::jvp(&p, &v, &direction);
    assert_eq!(flat4(&tangents.y[..]), [1.0, 2.0, 4.0, 5.0]);
    // Ties between cells 1 and 4: the windows holding both read cell 1.
    let p = ties_forward::Placeholders {
        x: [[[[0.0], [2.0], [0.0]], [[0.0], [2.0], [0.0]], [[0.0], [0.0], [0.0]]]],
    };
    let (_, tangents) = ties_forward::jvp(&p, &v, &direction);
    assert_eq!(flat4(&tangents.y[..]), [2.0, 2.0, 5.0, 5.0]);
    // cost = sum(y^2) / 2: the Hessian times the direction routes y's tangent back to the cell
    // each window took its maximum from, summed where windows share it.
    let products = ties_forward::hvp(&p, &v, &direction);
    assert_eq!(flat4(&products.v[..]), [0.0, 4.0, 0.0, 0.0, 10.0, 0.0, 0.0, 0.0, 0.0]);
    // A NaN wins its windows: they read the NaN cell's direction (cell 8, the last).
    let mut p = ties_forward::Placeholders { x: [[[[1.0]; 3]; 3]] };
    p.x[0][2][2][0] = f64::NAN;
    let (_, tangents) = ties_forward::jvp(&p, &v, &direction);
    assert_eq!(flat4(&tangents.y[..]), [1.0, 2.0, 4.0, 9.0]);
}
