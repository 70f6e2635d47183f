//! Numerical behaviour: softmax stays finite for large logits, and everything else follows
//! IEEE arithmetic (NaN propagates, nothing is clamped). Expected values are worked out by
//! hand in the comments.

use static_graph::graph;

graph! {
    /// A graph under test.
    pub mod big_logits {
        placeholder x: [f32; 4];
        variable w: [f32; 4] = 1;
        let y = softmax(x * w);
        let cost = sum(y * x);
        minimize cost;
    }
}

#[test]
fn softmax_of_logits_near_1000_is_finite_and_stable() {
    let p = big_logits::Placeholders {
        x: [1000.0, 999.0, 998.0, 1000.0],
    };
    let v = big_logits::Variables::default();
    assert_eq!(v.w, [1.0; 4], "the declared fill");
    let values = big_logits::forward(&p, &v);
    // exp(0), exp(-1), exp(-2), exp(0) over their sum, 2 + e^-1 + e^-2.
    let total = 2.0 + (-1.0f64).exp() + (-2.0f64).exp();
    let want = [
        1.0 / total,
        (-1.0f64).exp() / total,
        (-2.0f64).exp() / total,
        1.0 / total,
    ];
    for (got, want) in values.y.iter().zip(want) {
        assert!((f64::from(*got) - want).abs() < 1e-6, "{:?}", values.y);
    }
    let (_, gradients) = big_logits::backward(&p, &v);
    assert!(gradients.w.iter().all(|g| g.is_finite()), "{:?}", gradients.w);
}

graph! {
    /// A graph under test.
    pub mod ieee {
        placeholder x: [f64; 3];
        variable w: [f64; 3];
        let q = x / w;
        let l = log(w);
        let cost = sum(q + l);
        minimize cost;
    }
}

#[test]
fn division_by_zero_and_log_of_zero_follow_ieee() {
    let p = ieee::Placeholders {
        x: [1.0, 0.0, f64::NAN],
    };
    let v = ieee::Variables { w: [0.0, 0.0, 1.0] };
    let values = ieee::forward(&p, &v);
    assert_eq!(values.q[0], f64::INFINITY); // 1 / 0
    assert!(values.q[1].is_nan()); // 0 / 0
    assert!(values.q[2].is_nan()); // NaN propagates
    assert_eq!(values.l[0], f64::NEG_INFINITY); // log(0)
    assert!(values.cost.is_nan());
}

graph! {
    /// Row maxima and minima and the whole minimum, with ties.
    pub mod peaks {
        variable w: [f64; 2, 3];
        let m = max(w, axis = 1);
        let low = min(w, axis = 1);
        let least = min(w);
        let cost = sum(m * m) + sum(low) + least * 10;
        minimize cost;
    }
}

#[test]
fn the_gradient_of_max_and_min_is_split_evenly_among_ties() {
    // TensorFlow's reduce_max / reduce_min gradient: `g * (x == y) / count(x == y)`.
    let v = peaks::Variables {
        w: [[1.0, 3.0, 3.0], [2.0, -1.0, 2.0]],
    };
    let (values, gradients) = peaks::backward(&peaks::Placeholders {}, &v);
    assert_eq!(values.m, [3.0, 2.0]);
    assert_eq!(values.low, [1.0, -1.0]);
    assert_eq!(values.least, -1.0);
    // d cost / d m = 2 m, split between the two 3s and between the two 2s; d / d low = 1 at each
    // row's one minimum; d / d least = 10 at the one -1.
    assert_eq!(gradients.w, [[1.0, 3.0, 3.0], [2.0, 11.0, 2.0]]);
    let three_way = peaks::Variables {
        w: [[5.0, 5.0, 5.0], [0.0, 0.0, 7.0]],
    };
    let (_, gradients) = peaks::backward(&peaks::Placeholders {}, &three_way);
    // Row 0: max 5 three ways (10 / 3 each) and min 5 three ways (1 / 3 each); row 1: min 0 two
    // ways (1 / 2 each, and the least, 10 / 2 each), max 7 alone (14).
    let expected = [[11.0 / 3.0; 3], [5.5, 5.5, 14.0]];
    for (got, want) in gradients.w.iter().flatten().zip(expected.iter().flatten()) {
        assert!((got - want).abs() < 1e-12, "{:?}", gradients.w);
    }
}

#[test]
fn a_nan_extreme_gives_a_nan_gradient_across_its_slice() {
    // As TensorFlow: no element equals a NaN maximum, so each share is 0 / 0.
    let v = peaks::Variables {
        w: [[1.0, f64::NAN, 3.0], [2.0, -1.0, 2.5]],
    };
    let (_, gradients) = peaks::backward(&peaks::Placeholders {}, &v);
    assert!(gradients.w[0].iter().all(|g| g.is_nan()));
    // Row 1 is NaN-free, but `least` reads every element: its slice (the whole) has a NaN.
    assert!(gradients.w[1].iter().all(|g| g.is_nan()));
}

#[test]
fn nan_propagates_through_max() {
    let v = peaks::Variables {
        w: [[1.0, f64::NAN, 3.0], [2.0, -1.0, 2.0]],
    };
    let values = peaks::forward(&peaks::Placeholders {}, &v);
    assert!(values.m[0].is_nan());
    assert_eq!(values.m[1], 2.0);
}

graph! {
    /// The edge cases of the op table.
    pub mod edges {
        placeholder x: [f64; 3];
        variable w: [f64; 3];
        let s = softmax(x * w);
        let ls = log_softmax(x * w);
        let root = sqrt(x);
        let cube_root = pow(x, 0.3333);
        let square = pow(x, 2);
        let e = exp(x);
        let t = tanh(x);
        let g = sigmoid(x);
        let r = relu(x);
        let cost = sum(s * w);
        minimize cost;
    }
}

fn edges(x: [f64; 3]) -> edges::Values {
    edges::forward(&edges::Placeholders { x }, &edges::Variables { w: [1.0; 3] })
}

#[test]
fn softmax_with_minus_infinity_and_equal_logits() {
    let v = edges([f64::NEG_INFINITY, 0.0, 1.0]);
    let e = std::f64::consts::E;
    assert_eq!(v.s[0], 0.0);
    assert!((v.s[1] - 1.0 / (1.0 + e)).abs() < 1e-15 && (v.s[2] - e / (1.0 + e)).abs() < 1e-15);
    assert_eq!(v.ls[0], f64::NEG_INFINITY);
    assert!((v.ls[2] - (-(1.0 + 1.0 / e).ln())).abs() < 1e-15);
    let v = edges([7.0; 3]);
    assert_eq!(v.s, [1.0 / 3.0; 3]);
    // A row of nothing but -inf has no maximum to shift by: NaN, as in TensorFlow.
    assert!(edges([f64::NEG_INFINITY; 3]).s.iter().all(|s| s.is_nan()));
}

#[test]
fn roots_and_fractional_powers_of_negative_numbers_are_nan() {
    let v = edges([-4.0, 4.0, -8.0]);
    assert!(v.root[0].is_nan() && v.root[1] == 2.0);
    assert!(v.cube_root[0].is_nan());
    assert_eq!(
        v.square,
        [16.0, 16.0, 64.0],
        "an integer power of a negative number is fine"
    );
}

#[test]
fn infinities_and_nan_go_through_ieee() {
    let v = edges([f64::INFINITY, f64::NEG_INFINITY, f64::NAN]);
    assert_eq!((v.e[0], v.e[1]), (f64::INFINITY, 0.0));
    assert_eq!((v.t[0], v.t[1]), (1.0, -1.0));
    assert_eq!((v.g[0], v.g[1]), (1.0, 0.0));
    assert_eq!((v.r[0], v.r[1]), (f64::INFINITY, 0.0));
    assert!(
        v.e[2].is_nan() && v.t[2].is_nan() && v.g[2].is_nan() && v.r[2].is_nan(),
        "NaN propagates, relu included"
    );
    assert!(v.s.iter().all(|s| s.is_nan()), "a NaN logit makes its softmax row NaN");
}

graph! {
    /// Constants that overflow the graph's float type fold as that type does.
    pub mod overflow {
        placeholder x: [f32; 2];
        variable w: f32 = 1;
        let big = x * (1e30 * 1e30) * w;
        let small = x * (1e-30 * 1e-30) * w;
        let nothing = x * (1e30 * 1e30 - 1e30 * 1e30) * w;
        let cost = sum(small);
        minimize cost;
    }
}

#[test]
fn constants_fold_in_the_graphs_float_type() {
    // In f32, 1e30 * 1e30 is inf (TensorFlow gives the same); 1e-60 underflows to 0, and
    // inf - inf is NaN.
    let values = overflow::forward(
        &overflow::Placeholders { x: [2.0, -1.0] },
        &overflow::Variables::default(),
    );
    assert_eq!(values.big, [f32::INFINITY, f32::NEG_INFINITY]);
    assert_eq!(values.small, [0.0, -0.0]);
    assert!(values.nothing.iter().all(|v| v.is_nan()));
}

graph! {
    /// Extremes among infinities.
    pub mod infinite_extremes {
        variable w: [f64; 2, 3];
        let high = max(w, axis = 1);
        let low = min(w, axis = 1);
        let cost = sum(high) + sum(low);
        minimize cost;
    }
}

#[test]
fn tied_infinite_extremes_split_the_gradient_like_finite_ones() {
    // inf == inf and -inf == -inf, so infinite ties are ties: each gets half.
    let v = infinite_extremes::Variables {
        w: [
            [f64::INFINITY, f64::INFINITY, 1.0],
            [f64::NEG_INFINITY, 2.0, f64::NEG_INFINITY],
        ],
    };
    let (values, gradients) = infinite_extremes::backward(&infinite_extremes::Placeholders {}, &v);
    assert_eq!(values.high, [f64::INFINITY, 2.0]);
    assert_eq!(values.low, [1.0, f64::NEG_INFINITY]);
    assert_eq!(gradients.w, [[0.5, 0.5, 1.0], [0.5, 1.0, 0.5]]);
}

graph! {
    /// A matrix times a vector, with infinities and NaN.
    pub mod product_edges {
        placeholder x: [f64; 2, 2];
        variable w: [f64; 2];
        let y = matmul(x, w);
        let cost = sum(y);
        minimize cost;
    }
}

#[test]
fn products_follow_ieee_with_infinities_and_nan() {
    let p = product_edges::Placeholders {
        x: [[f64::INFINITY, 1.0], [f64::NAN, 0.0]],
    };
    let y = |w: [f64; 2]| product_edges::forward(&p, &product_edges::Variables { w }).y;
    let plain = y([1.0, 1.0]);
    assert_eq!(plain[0], f64::INFINITY);
    assert!(plain[1].is_nan());
    // inf * 0 is NaN.
    assert!(y([0.0, 1.0]).iter().all(|v| v.is_nan()));
}

graph! {
    /// Sparse cross entropy over class ids, in f32.
    pub mod class_ids {
        placeholder labels: [usize; 3];
        placeholder logits: [f32; 3, 3];
        variable scale: f32 = 1;
        let losses = sparse_softmax_cross_entropy(logits * scale, labels);
        let predicted = argmax(logits, axis = -1);
        let cost = sum(losses);
        minimize cost;
    }
}

#[test]
fn sparse_cross_entropy_is_stable_for_large_and_infinite_logits() {
    let p = class_ids::Placeholders {
        labels: [0, 1, 2],
        // Row 0: logits of 1000 (a naive exp overflows f32). Row 1: `-inf` off the label.
        // Row 2: a row of `-inf` but the label.
        logits: [
            [1000.0, 999.0, 998.0],
            [f32::NEG_INFINITY, 2.0, f32::NEG_INFINITY],
            [f32::NEG_INFINITY, f32::NEG_INFINITY, 0.0],
        ],
    };
    let (values, gradients) = class_ids::backward(&p, &class_ids::Variables::default());
    // -log_softmax([0, -1, -2])[0] = log(1 + e^-1 + e^-2) = 0.40760596...
    assert!((values.losses[0] - 0.407_605_96).abs() < 1e-6, "{:?}", values.losses);
    // The `-inf` logits count for nothing: the label has all the probability, loss 0.
    assert_eq!(values.losses[1], 0.0);
    assert_eq!(values.losses[2], 0.0);
    assert_eq!(values.predicted, [0, 1, 2]);
    // d losses / d logits = softmax - one_hot: nothing for the `-inf` logits and the sure rows.
    let adjoints = class_ids::adjoints(&p, &class_ids::Variables::default());
    assert_eq!(adjoints.logits[1], [0.0; 3]);
    assert_eq!(adjoints.logits[2], [0.0; 3]);
    let d0 = adjoints.logits[0];
    // softmax([0, -1, -2]) - [1, 0, 0] = [-0.33475904, 0.24472847, 0.09003057].
    assert!(
        (d0[0] + 0.334_759_04).abs() < 1e-6 && (d0.iter().sum::<f32>()).abs() < 1e-6,
        "{d0:?}"
    );
    // d cost / d scale sums `d * logits`, and `0 * -inf` is NaN, as IEEE (and TensorFlow) has it.
    assert!(gradients.scale.is_nan());

    // A NaN logit makes its row's loss NaN, and `argmax` points at it.
    let mut with_nan = p.clone();
    with_nan.logits[0][2] = f32::NAN;
    let values = class_ids::forward(&with_nan, &class_ids::Variables::default());
    assert!(
        values.losses[0].is_nan() && values.losses[1] == 0.0,
        "{:?}",
        values.losses
    );
    assert_eq!(values.predicted, [2, 1, 2]);
}

graph! {
    /// Pools over a 3x3 image with one channel.
    pub mod pools {
        placeholder x: [f64; 1, 3, 3, 1];
        variable scale: f64 = 1;
        let biggest = max_pool(x * scale, size = 2, padding = same);
        let average = avg_pool(x * scale, size = 2, padding = same);
        let cost = sum(biggest) + sum(average);
        minimize cost;
    }
}

#[test]
fn pools_let_a_nan_win_and_average_only_what_is_inside_the_image() {
    // 1 2 3 / 4 5 6 / 7 8 9; `same` with size 2, stride 2: 2x2 windows, the last row and column
    // of windows half outside (padding after: the odd one at the bottom and right).
    let p = pools::Placeholders {
        x: [[[[1.0], [2.0], [3.0]], [[4.0], [5.0], [6.0]], [[7.0], [8.0], [f64::NAN]]]],
    };
    let values = pools::forward(&p, &pools::Variables::default());
    let biggest: Vec<f64> = values.biggest.as_flattened().as_flattened().as_flattened().to_vec();
    let average: Vec<f64> = values.average.as_flattened().as_flattened().as_flattened().to_vec();
    assert_eq!(biggest[..3], [5.0, 6.0, 8.0]);
    assert!(biggest[3].is_nan(), "the window holding the NaN: {biggest:?}");
    // (1 + 2 + 4 + 5) / 4, (3 + 6) / 2, (7 + 8) / 2: padding is not counted.
    assert_eq!(average[..3], [3.0, 4.5, 7.5]);
    assert!(average[3].is_nan());
}

graph! {
    /// A 2x2 filter of ones over a 3x3 image.
    pub mod convolved {
        placeholder x: [f64; 1, 3, 3, 1];
        variable k: [f64; 2, 2, 1, 1] = 1;
        let y = conv2d(x, k);
        let cost = sum(y);
        minimize cost;
    }
}

#[test]
fn a_convolution_sums_products_as_ieee_arithmetic_does() {
    // The infinity at the centre is in all four windows; the last holds the NaN too: NaN.
    let p = convolved::Placeholders {
        x: [[
            [[1.0], [2.0], [3.0]],
            [[4.0], [f64::INFINITY], [6.0]],
            [[7.0], [8.0], [f64::NAN]],
        ]],
    };
    let y = convolved::forward(&p, &convolved::Variables::default()).y;
    let y: Vec<f64> = y.as_flattened().as_flattened().as_flattened().to_vec();
    assert_eq!(y[..3], [f64::INFINITY; 3]);
    assert!(y[3].is_nan(), "{y:?}");
}
