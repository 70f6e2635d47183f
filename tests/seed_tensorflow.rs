//! The seed question's numbers, as TensorFlow 1.x computes them in float32
//! (`tools/seed_reference.py` prints them): the values before training, the gradients
//! TensorFlow derives at the start, and everything after one step of gradient descent with
//! learning rate 1.

use static_graph::graph;

graph! {
    /// A graph under test.
    pub mod softmax_net {
        placeholder x: [f32; 5];
        placeholder y_true: [f32; 5];
        variable w: [f32; 5];

        let logits = multiply(x, w);
        let y = softmax(logits);
        let loss = pow(y - y_true, 2);
        let cost = mean(loss);

        minimize cost;
    }
}

use softmax_net::{Placeholders, Variables};

fn feed() -> Placeholders {
    Placeholders {
        x: [1.0, 2.0, 3.0, 4.0, 5.0],
        y_true: [3.0, 4.0, 5.0, 6.0, 7.0],
    }
}

fn assert_close(what: &str, got: &[f32], want: &[f32]) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-5,
            "{what}[{i}]: got {g}, TensorFlow {w}\n got: {got:?}\n  tf: {want:?}"
        );
    }
}

#[test]
fn values_before_training() {
    let values = softmax_net::forward(&feed(), &Variables::default());
    assert_close("LOSS", &values.loss, &[7.84, 14.44, 23.04, 33.64, 46.24]);
    assert_close("COST", &[values.cost], &[25.04]);
    assert_close("Y", &values.y, &[0.2; 5]);
    assert_close("LOGITS", &values.logits, &[0.0; 5]);
}

#[test]
fn gradients_tensorflow_derives_at_the_start() {
    let (p, v) = (feed(), Variables::default());
    let adjoints = softmax_net::adjoints(&p, &v);
    assert_close("d cost / d w", &adjoints.w, &[0.16, 0.16, 0.0, -0.32, -0.8]);
    assert_close("d cost / d logits", &adjoints.logits, &[0.16, 0.08, 0.0, -0.08, -0.16]);
    assert_close("d cost / d y", &adjoints.y, &[-1.12, -1.52, -1.92, -2.32, -2.72]);
    let (_, gradients) = softmax_net::backward(&p, &v);
    assert_close("backward's d cost / d w", &gradients.w, &[0.16, 0.16, 0.0, -0.32, -0.8]);
}

#[test]
fn one_step_of_gradient_descent_with_learning_rate_one() {
    let p = feed();
    let mut v = Variables::default();
    let before = softmax_net::sgd_step(&p, &mut v, 1.0);
    assert_close("COST before the step", &[before.cost], &[25.04]);
    assert_close("W", &v.w, &[-0.16, -0.16, 0.0, 0.32, 0.8]);
    let after = softmax_net::forward(&p, &v);
    assert_close("LOGITS", &after.logits, &[-0.16, -0.32, 0.0, 1.28, 4.0]);
    assert_close(
        "Y",
        &after.y,
        &[0.01402173, 0.01194853, 0.01645466, 0.0591815, 0.8983936],
    );
    assert_close(
        "LOSS",
        &after.loss,
        &[8.916067, 15.904554, 24.835724, 35.293324, 37.2296],
    );
    assert_close("COST", &[after.cost], &[24.435854]);
}

#[test]
fn the_diagonal_only_gradient_is_not_what_tensorflow_computes() {
    // The question's hand derivation: d_logits_i = d_y_i * y_i * (1 - y_i).
    let (p, v) = (feed(), Variables::default());
    let adjoints = softmax_net::adjoints(&p, &v);
    let y = softmax_net::forward(&p, &v).y;
    let diagonal: Vec<f32> = (0..5).map(|i| adjoints.y[i] * y[i] * (1.0 - y[i]) * p.x[i]).collect();
    assert_close(
        "diagonal-only d cost / d w",
        &diagonal,
        &[-0.1792, -0.4864, -0.9216, -1.4848, -2.176],
    );
    assert!((diagonal[4] - adjoints.w[4]).abs() > 1.0);
}

#[test]
fn the_derived_gradients_read_like_a_derivation() {
    let lines: Vec<&str> = softmax_net::GRADIENTS.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("d_logits = y * (d_y - sum(d_y * y))   (softmax rule")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("d_w = d_logits * x   (multiply rule")),
        "{lines:#?}"
    );
    assert!(softmax_net::DOT.starts_with("digraph") && softmax_net::DOT.contains("d_logits"));
}
