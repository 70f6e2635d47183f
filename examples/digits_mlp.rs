//! A 64-32-10 network on the UCI handwritten digits: `tanh` hidden layer, softmax cross
//! entropy on class ids, the accuracy computed in the graph, mini-batches of 32, plain
//! gradient descent. A fixed 80/20 split and seed; one line per epoch, and an SVG plot of the
//! curves.
//!
//! Run with `cargo run --release --example digits_mlp`.

#[path = "../data/loader.rs"]
mod loader;
#[path = "common/plot.rs"]
mod plot;

use static_graph::graph;

graph! {
    /// 8x8 images (64 pixels scaled to 0..1) to 10 digit classes.
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
const TRAIN: usize = 1438;
const TEST: usize = 359;
const EPOCHS: usize = 30;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = std::time::Instant::now();
    let mut data = loader::digits();
    data.scale(16.0);
    let (train, test) = data.split(0.2, 42);
    assert_eq!((train.labels.len(), test.labels.len()), (TRAIN, TEST));

    let mut whole_train = mlp::Placeholders::<TRAIN>::default();
    train.batch_ids(0, &mut whole_train.x, &mut whole_train.labels);
    let mut whole_test = mlp::Placeholders::<TEST>::default();
    test.batch_ids(0, &mut whole_test.x, &mut whole_test.labels);

    let mut v = mlp::Variables::init(42);
    let mut p = mlp::Placeholders::<BATCH>::default();
    let mut values = mlp::Values::<BATCH>::default();
    let mut workspace = mlp::Workspace::<BATCH>::default();
    let mut curves = Vec::new();
    for epoch in 1..=EPOCHS {
        for start in (0..TRAIN).step_by(BATCH) {
            train.batch_ids(start, &mut p.x, &mut p.labels);
            mlp::sgd_step_into(&p, &mut v, 0.5, &mut values, &mut workspace);
        }
        let on_train = mlp::forward(&whole_train, &v);
        let on_test = mlp::forward(&whole_test, &v);
        let (loss, train_acc, test_acc) = (on_train.cost, f64::from(on_train.accuracy), f64::from(on_test.accuracy));
        println!("epoch {epoch:2}  loss {loss:.4}  train accuracy {train_acc:.3}  test accuracy {test_acc:.3}");
        curves.push((loss, train_acc, test_acc));
    }
    println!("trained in {:.2} s", started.elapsed().as_secs_f64());

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("digits_mlp.svg");
    let column = |k: usize| {
        curves
            .iter()
            .map(|c: &(f32, f64, f64)| [f64::from(c.0), c.1, c.2][k])
            .collect::<Vec<f64>>()
    };
    plot::curves(&path, &column(0), &[("train", column(1)), ("test", column(2))], 0.8)?;
    println!("curves written to {}", path.display());
    Ok(())
}
