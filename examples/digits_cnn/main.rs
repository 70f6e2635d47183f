//! A convolutional network on the UCI handwritten digits (8x8 images): two 3x3 convolutions
//! with `relu` and 2x2 max-pooling, then a dense layer to 10 classes, softmax cross entropy on
//! class ids and the accuracy in the graph (`model.rs`). Mini-batches of 32, plain gradient
//! descent, a fixed 80/20 split and seed; one line per epoch, and an SVG plot of the curves.
//!
//! Run with `cargo run --release --example digits_cnn`.

#[path = "../../data/loader.rs"]
mod loader;
mod model;
#[path = "../common/plot.rs"]
mod plot;

const EPOCHS: usize = 30;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = std::time::Instant::now();
    let mut data = loader::digits();
    data.scale(16.0);
    let (train, test) = data.split(0.2, 42);
    assert_eq!((train.labels.len(), test.labels.len()), (model::TRAIN, model::TEST));
    let mut curves = Vec::new();
    model::train(&train, &test, EPOCHS, |epoch, e| {
        println!(
            "epoch {epoch:2}  loss {:.4}  train accuracy {:.3}  test accuracy {:.3}",
            e.loss, e.train, e.test
        );
        curves.push((e.loss, e.train, e.test));
    });
    println!("trained in {:.2} s", started.elapsed().as_secs_f64());

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("digits_cnn.svg");
    let column = |k: usize| {
        curves
            .iter()
            .map(|c: &(f32, f32, f32)| f64::from([c.0, c.1, c.2][k]))
            .collect::<Vec<f64>>()
    };
    plot::curves(&path, &column(0), &[("train", column(1)), ("test", column(2))], 0.8)?;
    println!("curves written to {}", path.display());
    Ok(())
}
