//! `check_gradients`, declared with `check_gradients;`: the derived gradients of an f32 and an
//! f64 graph agree with central differences in f64, and a wrong gradient does not.

use static_graph::graph;

graph! {
    /// A classifier in f32, on ids: checked on its f64 copy.
    pub mod classifier {
        placeholder x: [f32; batch, 4];
        placeholder labels: [i32; batch];
        variable w: [f32; 4, 3] = glorot_uniform;
        variable b: [f32; 3] = 0.1;
        let logits = tanh(matmul(x, w) + b);
        let cost = mean(sparse_softmax_cross_entropy(logits, labels));
        minimize cost;
        check_gradients;
    }
}

graph! {
    /// A small CNN in f64: checked on itself.
    pub mod cnn {
        placeholder x: [f64; batch, 4, 4, 1];
        variable k: [f64; 3, 3, 1, 2] = normal(0, 0.5);
        variable scale: f64 = 0.5;
        let cost = mean(pow(max_pool(conv2d(x, k, padding = same), padding = same) * scale, 2));
        minimize cost;
        check_gradients;
    }
}

#[test]
fn derived_gradients_agree_with_differences_in_f64() {
    let p = classifier::Placeholders::<3> {
        x: Box::new([[0.5, -1.0, 2.0, 0.25], [1.5, 0.5, -0.5, 1.0], [-2.0, 1.0, 0.0, 0.5]]),
        labels: Box::new([2, 0, 1]),
    };
    let check = classifier::check_gradients(&p, &classifier::Variables::init(3));
    assert_eq!(check.variables.iter().map(|c| c.name).collect::<Vec<_>>(), ["w", "b"]);
    // f32 gradients against f64 differences: f32's rounding.
    assert!(check.worst_relative() < 1e-6, "{check:?}");
    assert!(
        check.variables.iter().all(|c| c.worst_absolute > 0.0),
        "f32 rounding shows: {check:?}"
    );

    let mut p = cnn::Placeholders::<2>::default();
    for (k, x) in p.x.iter_mut().flatten().flatten().flatten().enumerate() {
        *x = (k as f64 * 0.7).sin();
    }
    let check = cnn::check_gradients(&p, &cnn::Variables::init(5));
    assert!(check.worst_relative() < 1e-8, "{check:?}");
}

#[test]
fn a_wrong_gradient_is_caught() {
    // The filters' gradient doubled, and the scale's negated: what broken rules would give.
    let mut p = cnn::Placeholders::<2>::default();
    for (k, x) in p.x.iter_mut().flatten().flatten().flatten().enumerate() {
        *x = (k as f64 * 0.7).sin();
    }
    let v = cnn::Variables::init(5);
    let (_, mut gradients) = cnn::backward(&p, &v);
    assert!(cnn::check_gradients_of(&p, &v, &gradients).worst_relative() < 1e-8);
    for g in gradients.k.as_flattened_mut().as_flattened_mut().as_flattened_mut() {
        *g *= 2.0;
    }
    gradients.scale = -gradients.scale;
    let check = cnn::check_gradients_of(&p, &v, &gradients);
    assert!(check.variables.iter().all(|c| c.worst_absolute > 1e-3), "{check:?}");
    // A NaN gradient is reported as NaN, not lost in a maximum.
    gradients.scale = f64::NAN;
    assert!(cnn::check_gradients_of(&p, &v, &gradients).worst_relative().is_nan());
}
