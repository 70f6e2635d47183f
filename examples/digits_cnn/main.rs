//! A convolutional network on the UCI handwritten digits (8x8 images): two 3x3 convolutions
//! with `relu` and 2x2 max-pooling, then a dense layer to 10 classes, softmax cross entropy on
//! class ids and the accuracy in the graph (`model.rs`). Mini-batches of 32, plain gradient
//! descent, a fixed 80/20 split and seed; one line per epoch, and an SVG plot of the curves.
//!
//! Run with `cargo run --release --example digits_cnn`.

#[path = "../../data/loader.rs"]
mod loader;
mod model;

use plotters::prelude::*;

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
    plot(&path, &curves)?;
    println!("curves written to {}", path.display());
    Ok(())
}

/// Loss (left) and accuracies (right) per epoch.
fn plot(path: &std::path::Path, curves: &[(f32, f32, f32)]) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (960, 400)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(480);
    let epochs = curves.len() as f64;
    let max_loss = curves.iter().map(|c| f64::from(c.0)).fold(0.0, f64::max);

    let mut chart = ChartBuilder::on(&left)
        .caption("training loss", ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(40)
        .build_cartesian_2d(1.0..epochs, 0.0..max_loss * 1.05)?;
    chart.configure_mesh().x_desc("epoch").draw()?;
    chart.draw_series(LineSeries::new(
        curves.iter().enumerate().map(|(e, c)| (e as f64 + 1.0, f64::from(c.0))),
        &RED,
    ))?;

    let mut chart = ChartBuilder::on(&right)
        .caption("accuracy", ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(40)
        .build_cartesian_2d(1.0..epochs, 0.8..1.0)?;
    chart.configure_mesh().x_desc("epoch").draw()?;
    for (series, colour, label) in [(1, BLUE, "train"), (2, GREEN, "test")] {
        chart
            .draw_series(LineSeries::new(
                curves.iter().enumerate().map(|(e, c)| {
                    let value = if series == 1 { c.1 } else { c.2 };
                    (e as f64 + 1.0, f64::from(value))
                }),
                &colour,
            ))?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour));
    }
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE)
        .draw()?;
    root.present()?;
    Ok(())
}
