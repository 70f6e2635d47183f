//! The model of `examples/digits_cnn`: a convolutional network on the 8x8 digits, and its
//! training loop. Shared with `tests/digits_training.rs`, which trains it in CI.

use super::loader::DataSet;
use static_graph::graph;

graph! {
    /// 8x8 images (pixels scaled to 0..1) to 10 digit classes.
    pub mod cnn {
        placeholder x: [f32; batch, 64];
        placeholder labels: [usize; batch];
        variable k1: [f32; 3, 3, 1, 16] = glorot_uniform;
        variable c1: [f32; 16];
        variable k2: [f32; 3, 3, 16, 32] = glorot_uniform;
        variable c2: [f32; 32];
        variable w: [f32; 128, 10] = glorot_uniform;
        variable b: [f32; 10];
        let images = reshape(x, [batch, 8, 8, 1]);
        let h1 = max_pool(relu(conv2d(images, k1, padding = same) + c1));
        let h2 = max_pool(relu(conv2d(h1, k2, padding = same) + c2));
        let logits = matmul(reshape(h2, [batch, 128]), w) + b;
        let cost = mean(sparse_softmax_cross_entropy(logits, labels));
        let accuracy = mean(argmax(logits, axis = -1) == labels);
        minimize cost;
    }
}

/// Images per training batch.
pub const BATCH: usize = 32;
/// Training images in the fixed 80/20 split.
pub const TRAIN: usize = 1438;
/// Test images.
pub const TEST: usize = 359;

/// One epoch's loss and accuracy on the whole training set, and accuracy on the test set.
#[derive(Clone, Copy, Debug)]
pub struct Epoch {
    /// Mean loss over the training set.
    pub loss: f32,
    /// Accuracy on the training set.
    pub train: f32,
    /// Accuracy on the test set.
    pub test: f32,
}

/// Trains from seed 42 for `epochs` passes over `train` in mini-batches, with learning rate 0.1,
/// calling `report` after each.
pub fn train(train: &DataSet, test: &DataSet, epochs: usize, mut report: impl FnMut(usize, Epoch)) -> cnn::Variables {
    let mut whole_train = cnn::Placeholders::<TRAIN>::default();
    train.batch_ids(0, &mut whole_train.x, &mut whole_train.labels);
    let mut whole_test = cnn::Placeholders::<TEST>::default();
    test.batch_ids(0, &mut whole_test.x, &mut whole_test.labels);

    let mut v = cnn::Variables::init(42);
    let mut p = cnn::Placeholders::<BATCH>::default();
    let mut values = cnn::Values::<BATCH>::default();
    let mut workspace = cnn::Workspace::<BATCH>::default();
    for epoch in 1..=epochs {
        for start in (0..TRAIN).step_by(BATCH) {
            train.batch_ids(start, &mut p.x, &mut p.labels);
            cnn::sgd_step_into(&p, &mut v, 0.1, &mut values, &mut workspace);
        }
        let on_train = cnn::forward(&whole_train, &v);
        let on_test = cnn::forward(&whole_test, &v);
        report(
            epoch,
            Epoch {
                loss: on_train.cost,
                train: on_train.accuracy,
                test: on_test.accuracy,
            },
        );
    }
    v
}
