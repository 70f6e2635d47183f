//! Trains the digits network of `examples/digits_mlp.rs` for a few epochs and checks the
//! accuracy it reaches on held-out digits, so a broken gradient anywhere in the pipeline
//! (matmul, broadcasting, tanh, cross entropy on class ids, the batch dimension) fails CI. The
//! accuracy the graph computes (`argmax == labels`) is checked against one counted in Rust.

#[path = "../data/loader.rs"]
mod loader;

use static_graph::graph;

graph! {
    /// 8x8 images to 10 digit classes.
    pub mod mlp {
        placeholder x: [f32; batch, 64];
        placeholder labels: [usize; batch];
        variable w1: [f32; 64, 32] = glorot_uniform;
        variable b1: [f32; 32];
        variable w2: [f32; 32, 10] = glorot_uniform;
        variable b2: [f32; 10];
        let h = tanh(matmul(x, w1) + b1);
        let logits = matmul(h, w2) + b2;
        let cost = mean(sparse_softmax_cross_entropy(logits, labels));
        let accuracy = mean(argmax(logits, axis = -1) == labels);
        minimize cost;
    }
}

const BATCH: usize = 32;
const TEST: usize = 359;

#[test]
fn five_epochs_reach_95_percent_on_held_out_digits() {
    let mut data = loader::digits();
    data.scale(16.0);
    let (train, test) = data.split(0.2, 42);
    assert_eq!(test.labels.len(), TEST);
    let mut whole_test = mlp::Placeholders::<TEST>::default();
    test.batch_ids(0, &mut whole_test.x, &mut whole_test.labels);

    let mut v = mlp::Variables::init(42);
    let untrained = mlp::forward(&whole_test, &v).accuracy;
    let mut p = mlp::Placeholders::<BATCH>::default();
    let mut values = mlp::Values::<BATCH>::default();
    let mut workspace = mlp::Workspace::<BATCH>::default();
    for _ in 0..5 {
        for start in (0..train.labels.len()).step_by(BATCH) {
            train.batch_ids(start, &mut p.x, &mut p.labels);
            mlp::sgd_step_into(&p, &mut v, 0.5, &mut values, &mut workspace);
        }
    }
    let values = mlp::forward(&whole_test, &v);
    let trained = values.accuracy;
    // The graph's accuracy is the one Rust counts from the logits (359 rows: to f32 rounding).
    let counted = test.accuracy(&values.logits[..]);
    assert!((f64::from(trained) - counted).abs() < 1e-6, "{trained} vs {counted}");
    assert!(untrained < 0.3, "an untrained network guesses: {untrained}");
    assert!(trained >= 0.95, "test accuracy after 5 epochs: {trained}");
}

/// The convolutional network of `examples/digits_cnn`.
#[allow(dead_code)]
#[path = "../examples/digits_cnn/model.rs"]
mod digits_cnn;

#[test]
fn the_cnn_reaches_98_percent_on_held_out_digits() {
    let mut data = loader::digits();
    data.scale(16.0);
    let (train, test) = data.split(0.2, 42);
    let mut epochs = Vec::new();
    digits_cnn::train(&train, &test, 10, |_, e| epochs.push(e));
    let last = epochs[epochs.len() - 1];
    assert!(
        epochs[0].test < 0.9,
        "the first epoch learns gradually: {:?}",
        epochs[0]
    );
    assert!(last.test >= 0.98, "test accuracy after 10 epochs: {last:?}");
}
