//! Softmax regression on Fisher's Iris: `softmax_cross_entropy(x W + b, t)`, trained by
//! full-batch gradient descent on a fixed 120/30 split.
//!
//! Run with `cargo run --release --example iris`.

#[path = "../data/loader.rs"]
mod loader;

use static_graph::graph;

graph! {
    /// Multinomial logistic regression over the 4 measurements.
    pub mod iris {
        placeholder x: [f32; batch, 4];
        placeholder t: [f32; batch, 3];
        variable w: [f32; 4, 3];
        variable b: [f32; 3];
        let logits = matmul(x, w) + b;
        let loss = softmax_cross_entropy(logits, t);
        let cost = mean(loss);
        minimize cost;
    }
}

const TRAIN: usize = 120;
const TEST: usize = 30;

fn main() {
    let data = loader::iris();
    let (mut train, mut test) = data.split(0.2, 42);
    assert_eq!((train.labels.len(), test.labels.len()), (TRAIN, TEST));
    test.standardise(&train);
    let reference = loader::DataSet {
        features: train.features.clone(),
        labels: vec![],
        classes: 3,
    };
    train.standardise(&reference);

    let mut train_batch = iris::Placeholders::<TRAIN>::default();
    train.batch(0, &mut train_batch.x, &mut train_batch.t);
    let mut test_batch = iris::Placeholders::<TEST>::default();
    test.batch(0, &mut test_batch.x, &mut test_batch.t);

    let mut v = iris::Variables::default();
    let mut values = iris::Values::<TRAIN>::default();
    let mut workspace = iris::Workspace::<TRAIN>::default();
    for epoch in 1..=200 {
        iris::sgd_step_into(&train_batch, &mut v, 0.5, &mut values, &mut workspace);
        if epoch % 20 == 0 {
            let test_values = iris::forward(&test_batch, &v);
            println!(
                "epoch {epoch:3}  loss {:.4}  train accuracy {:.3}  test accuracy {:.3}",
                values.cost,
                train.accuracy(&values.logits[..]),
                test.accuracy(&test_values.logits[..])
            );
        }
    }
    println!("\nweights (rows: sepal length, sepal width, petal length, petal width):");
    for row in &v.w {
        println!("  {row:?}");
    }
}
