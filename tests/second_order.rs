//! `jvp` and `hvp` (declared with `jvp;` and `hvp;`) against JAX in float64
//! (`tools/second_order_reference.py`: `jax.jvp` of every `let`, and `jax.jvp(jax.grad(cost))`)
//! on the seed graph, an MLP and a softmax-cross-entropy classifier, to 1e-9 relative; the
//! f32 seed graph to f32 rounding; the `_into` forms against the by-value ones; and the
//! Newton-CG fit of `examples/optimizers.rs`, which converges in a handful of steps.
//! Every `graph_case!` in the other tests also checks both against finite differences.

mod common;
#[path = "../data/loader.rs"]
mod loader;
#[path = "../examples/common/newton_cg.rs"]
mod newton_cg;

use common::{assert_f32, assert_relative};
use static_graph::graph;

#[allow(clippy::approx_constant, clippy::excessive_precision)]
mod reference {
    include!("reference/second_order.rs");
}
use reference::*;

graph! {
    /// The seed graph, in f64.
    pub mod seed {
        placeholder x: [f64; 5];
        placeholder y_true: [f64; 5];
        variable w: [f64; 5];
        let logits = x * w;
        let y = softmax(logits);
        let loss = pow(y - y_true, 2);
        let cost = mean(loss);
        minimize cost;
        jvp;
        hvp;
    }
}

graph! {
    /// The seed graph, in f32.
    pub mod seed32 {
        placeholder x: [f32; 5];
        placeholder y_true: [f32; 5];
        variable w: [f32; 5];
        let logits = x * w;
        let y = softmax(logits);
        let loss = pow(y - y_true, 2);
        let cost = mean(loss);
        minimize cost;
        jvp;
        hvp;
    }
}

graph! {
    /// A 3-5-2 MLP with `tanh`, squared error.
    pub mod mlp {
        placeholder x: [f64; batch, 3];
        placeholder y: [f64; batch, 2];
        variable w1: [f64; 3, 5];
        variable b1: [f64; 5];
        variable w2: [f64; 5, 2];
        variable b2: [f64; 2];
        let h = tanh(matmul(x, w1) + b1);
        let out = matmul(h, w2) + b2;
        let cost = mean(square(out - y));
        minimize cost;
        jvp;
        hvp;
    }
}

graph! {
    /// A linear classifier, softmax cross entropy on soft labels.
    pub mod classifier {
        placeholder x: [f64; 4, 3];
        placeholder labels: [f64; 4, 3];
        variable w: [f64; 3, 3];
        variable b: [f64; 3];
        let logits = matmul(x, w) + b;
        let cost = mean(softmax_cross_entropy(logits, labels));
        minimize cost;
        jvp;
        hvp;
    }
}

/// Copies a flat reference into a tensor's flat view.
fn fill(target: &mut [f64], source: &[f64]) {
    target.copy_from_slice(source);
}

#[test]
fn the_seed_graph_matches_jax() {
    let p = seed::Placeholders {
        x: SEED_X,
        y_true: SEED_Y_TRUE,
    };
    let v = seed::Variables { w: SEED_W };
    let direction = seed::Variables { w: SEED_DIRECTION_W };
    let (values, tangents) = seed::jvp(&p, &v, &direction);
    assert_eq!(values, seed::forward(&p, &v), "jvp's values are forward's");
    assert_relative("tangent of logits", &tangents.logits, &SEED_TANGENT_LOGITS);
    assert_relative("tangent of y", &tangents.y, &SEED_TANGENT_Y);
    assert_relative("tangent of loss", &tangents.loss, &SEED_TANGENT_LOSS);
    assert_relative("tangent of cost", &[tangents.cost], &SEED_TANGENT_COST);
    assert_relative("hvp", &seed::hvp(&p, &v, &direction).w, &SEED_HVP_W);
}

#[test]
fn the_seed_graph_in_f32_matches_jax_to_f32_rounding() {
    let f32s = |a: &[f64; 5]| a.map(|v| v as f32);
    let p = seed32::Placeholders {
        x: f32s(&SEED_X),
        y_true: f32s(&SEED_Y_TRUE),
    };
    let v = seed32::Variables { w: f32s(&SEED_W) };
    let direction = seed32::Variables {
        w: f32s(&SEED_DIRECTION_W),
    };
    let (_, tangents) = seed32::jvp(&p, &v, &direction);
    assert_f32("tangent of y", &tangents.y, &f32s(&SEED_TANGENT_Y));
    assert_f32("tangent of loss", &tangents.loss, &f32s(&SEED_TANGENT_LOSS));
    let hvp = seed32::hvp(&p, &v, &direction);
    assert_f32("hvp", &hvp.w, &f32s(&SEED_HVP_W));
}

#[test]
fn an_mlp_matches_jax() {
    let mut p = mlp::Placeholders::<4>::default();
    fill(p.x.as_flattened_mut(), &MLP_X);
    fill(p.y.as_flattened_mut(), &MLP_Y);
    let mut v = mlp::Variables::default();
    fill(v.w1.as_flattened_mut(), &MLP_W1);
    fill(&mut v.b1, &MLP_B1);
    fill(v.w2.as_flattened_mut(), &MLP_W2);
    fill(&mut v.b2, &MLP_B2);
    let mut direction = mlp::Variables::default();
    fill(direction.w1.as_flattened_mut(), &MLP_DIRECTION_W1);
    fill(&mut direction.b1, &MLP_DIRECTION_B1);
    fill(direction.w2.as_flattened_mut(), &MLP_DIRECTION_W2);
    fill(&mut direction.b2, &MLP_DIRECTION_B2);

    let (_, tangents) = mlp::jvp(&p, &v, &direction);
    assert_relative("tangent of h", tangents.h.as_flattened(), &MLP_TANGENT_H);
    assert_relative("tangent of out", tangents.out.as_flattened(), &MLP_TANGENT_OUT);
    assert_relative("tangent of cost", &[tangents.cost], &MLP_TANGENT_COST);
    let products = mlp::hvp(&p, &v, &direction);
    assert_relative("hvp w1", products.w1.as_flattened(), &MLP_HVP_W1);
    assert_relative("hvp b1", &products.b1, &MLP_HVP_B1);
    assert_relative("hvp w2", products.w2.as_flattened(), &MLP_HVP_W2);
    assert_relative("hvp b2", &products.b2, &MLP_HVP_B2);

    // The `_into` forms write the same numbers over whatever the buffers held.
    let mut workspace = mlp::Workspace::<4>::default();
    let (mut values, mut tangents_into) = (mlp::Values::<4>::default(), mlp::Values::<4>::default());
    for (_, t) in tangents_into.tensors_mut() {
        t.fill(f64::NAN);
    }
    mlp::jvp_into(&p, &v, &direction, &mut values, &mut tangents_into, &mut workspace);
    assert_eq!(tangents_into, tangents);
    let mut products_into = mlp::Gradients::default();
    for (_, t) in products_into.tensors_mut() {
        t.fill(f64::NAN);
    }
    mlp::hvp_into(&p, &v, &direction, &mut products_into, &mut workspace);
    assert_eq!(products_into, products);
}

#[test]
fn a_softmax_cross_entropy_classifier_matches_jax() {
    let mut p = classifier::Placeholders::default();
    fill(p.x.as_flattened_mut(), &CLASSIFIER_X);
    fill(p.labels.as_flattened_mut(), &CLASSIFIER_LABELS);
    let mut v = classifier::Variables::default();
    fill(v.w.as_flattened_mut(), &CLASSIFIER_W);
    fill(&mut v.b, &CLASSIFIER_B);
    let mut direction = classifier::Variables::default();
    fill(direction.w.as_flattened_mut(), &CLASSIFIER_DIRECTION_W);
    fill(&mut direction.b, &CLASSIFIER_DIRECTION_B);

    let (_, tangents) = classifier::jvp(&p, &v, &direction);
    assert_relative(
        "tangent of logits",
        tangents.logits.as_flattened(),
        &CLASSIFIER_TANGENT_LOGITS,
    );
    assert_relative("tangent of cost", &[tangents.cost], &CLASSIFIER_TANGENT_COST);
    let products = classifier::hvp(&p, &v, &direction);
    assert_relative("hvp w", products.w.as_flattened(), &CLASSIFIER_HVP_W);
    assert_relative("hvp b", &products.b, &CLASSIFIER_HVP_B);
}

#[test]
fn the_hessian_is_linear_in_the_direction_and_symmetric() {
    // H (a d1 + d2) = a H d1 + H d2, and d1 . H d2 = d2 . H d1: what Newton-CG relies on.
    let mut p = classifier::Placeholders::default();
    fill(p.x.as_flattened_mut(), &CLASSIFIER_X);
    fill(p.labels.as_flattened_mut(), &CLASSIFIER_LABELS);
    let v = classifier::Variables::init(7);
    let (d1, d2) = (classifier::Variables::init(8), classifier::Variables::init(9));
    let flat = |g: &classifier::Gradients| -> Vec<f64> { g.tensors().iter().flat_map(|(_, t)| t.to_vec()).collect() };
    let flat_v = |g: &classifier::Variables| -> Vec<f64> { g.tensors().iter().flat_map(|(_, t)| t.to_vec()).collect() };
    let mut combined = d1.clone();
    for ((_, c), (_, b)) in combined.tensors_mut().into_iter().zip(d2.tensors()) {
        for (c, b) in c.iter_mut().zip(b) {
            *c = 3.0 * *c + b;
        }
    }
    let (h1, h2, h12) = (
        flat(&classifier::hvp(&p, &v, &d1)),
        flat(&classifier::hvp(&p, &v, &d2)),
        flat(&classifier::hvp(&p, &v, &combined)),
    );
    let want: Vec<f64> = h1.iter().zip(&h2).map(|(a, b)| 3.0 * a + b).collect();
    common::assert_close("H (3 d1 + d2)", &h12, &want, 1e-12);
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(a, b)| a * b).sum::<f64>();
    let (a, b) = (dot(&flat_v(&d1), &h2), dot(&flat_v(&d2), &h1));
    assert!(
        (a - b).abs() < 1e-12 * a.abs().max(1.0),
        "d1 . H d2 = {a}, d2 . H d1 = {b}"
    );
}

#[test]
fn newton_cg_with_hvp_converges_in_a_handful_of_steps() {
    let flowers = newton_cg::flowers();
    let (fitted, steps) = newton_cg::fit(&flowers, 1e-10, 20);
    assert!(steps.len() <= 10, "{steps:#?}");
    let (values, gradients) = newton_cg::iris::backward(&flowers, &fitted);
    let norm = gradients
        .tensors()
        .iter()
        .flat_map(|(_, g)| g.iter())
        .map(|g| g * g)
        .sum::<f64>()
        .sqrt();
    assert!(norm < 1e-10, "|gradient| {norm} after {steps:#?}");
    // Newton's superlinear finish: the gradient norm falls faster than linearly near the end.
    let norms: Vec<f64> = steps.iter().map(|s| s.gradient_norm).collect();
    let tail = &norms[norms.len() - 3..];
    assert!(tail[2] / tail[1] < (tail[1] / tail[0]).min(0.1), "{norms:?}");
    assert!(steps.iter().all(|s| s.cost >= values.cost), "the cost only falls");
    // Each step a few Hessian-vector products (the 15 parameters would allow 30), and full
    // steps: the Newton direction from `hvp` is a good one.
    let products: usize = steps.iter().map(|s| s.products).sum();
    assert!(products <= 60, "{products} Hessian-vector products: {steps:#?}");
    assert!(steps.iter().all(|s| s.step == 1.0), "{steps:#?}");
    assert!(values.accuracy > 0.95, "accuracy {}", values.accuracy);
}
