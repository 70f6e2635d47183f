//! A one-layer transformer trained from scratch to reverse sequences of 8 digits: token ids in,
//! one class id (the digit) out per position. Reversing needs attention: the answer at
//! position `i` is the token at position `7 - i`, which only attention can fetch (without it,
//! the same network stays at chance, 10%).
//!
//! Everything is in the graph (`model.rs`): `gather` embeddings of the token ids plus learned
//! positions (gathered by position ids), one head of self-attention with layer norm, a
//! feed-forward block, `sparse_softmax_cross_entropy` on the class ids, and the token accuracy
//! (`argmax(logits, axis = -1) == targets`). Training is Adam, written in Rust over the
//! generated `gradients.tensors()`; every batch is fresh random sequences, and the accuracy
//! reported is on 1,000 held-out ones. One line per epoch, and an SVG of the curves.
//!
//! Run with `cargo run --release --example transformer`.

mod model;

use plotters::prelude::*;

const EPOCHS: usize = 12;
const STEPS_PER_EPOCH: usize = 25;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = std::time::Instant::now();
    let mut curves = Vec::new();
    model::train(EPOCHS, STEPS_PER_EPOCH, |epoch, e| {
        println!(
            "epoch {epoch:2}  loss {:.4}  train accuracy {:.4}  held-out token accuracy {:.4}  ({:.2} s)",
            e.loss,
            e.accuracy,
            e.held_out,
            started.elapsed().as_secs_f64()
        );
        curves.push((e.loss, e.accuracy, e.held_out));
    });
    let last = curves.last().map_or(0.0, |c| c.2);
    println!(
        "trained in {:.2} s: held-out token accuracy {last:.4}",
        started.elapsed().as_secs_f64()
    );

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("transformer.svg");
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
        .caption("token accuracy", ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(40)
        .build_cartesian_2d(1.0..epochs, 0.0..1.0)?;
    chart.configure_mesh().x_desc("epoch").draw()?;
    for (series, colour, label) in [(1, BLUE, "train"), (2, GREEN, "held out")] {
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
