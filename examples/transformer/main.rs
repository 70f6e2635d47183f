//! A one-layer transformer trained from scratch to reverse sequences of 8 digits: token ids in,
//! one class id (the digit) out per position. Reversing needs attention: the answer at
//! position `i` is the token at position `7 - i`, which only attention can fetch (without it,
//! the same network stays at chance, 10%).
//!
//! Everything is in the graph (`model.rs`): `gather` embeddings of the token ids plus learned
//! positions (gathered by position ids), one head of self-attention with layer norm, a
//! feed-forward block, `sparse_softmax_cross_entropy` on the class ids, and the token accuracy
//! (`argmax(logits, axis = -1) == targets`). Training is the Adam optimizer the graph declares
//! (`adam_step_into`); every batch is fresh random sequences, and the accuracy
//! reported is on 1,000 held-out ones. One line per epoch, and an SVG of the curves.
//!
//! Run with `cargo run --release --example transformer`.

mod model;
#[path = "../common/plot.rs"]
mod plot;

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
    let column = |k: usize| {
        curves
            .iter()
            .map(|c: &(f32, f32, f32)| f64::from([c.0, c.1, c.2][k]))
            .collect::<Vec<f64>>()
    };
    plot::curves(&path, &column(0), &[("train", column(1)), ("held out", column(2))], 0.0)?;
    println!("curves written to {}", path.display());
    Ok(())
}
