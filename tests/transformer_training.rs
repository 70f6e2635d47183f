//! Trains the transformer of `examples/transformer` (integer token ids, `gather` embeddings,
//! batched attention, layer norm, `sparse_softmax_cross_entropy`, accuracy by `argmax`) and
//! checks the held-out token accuracy it reaches, so that the example's promise (at least 99%)
//! is held in CI.

#[allow(dead_code)]
#[path = "../examples/transformer/model.rs"]
mod model;

#[test]
fn the_reverser_reaches_99_percent_held_out_token_accuracy() {
    let mut epochs = Vec::new();
    model::train(3, 25, |_, e| epochs.push(e));
    let first = epochs[0];
    let last = epochs[epochs.len() - 1];
    // Fresh random sequences: the first batches are near chance (10%).
    assert!(first.accuracy < 0.6, "the first epoch learns gradually: {first:?}");
    assert!(
        last.held_out >= 0.99,
        "held-out token accuracy after 75 steps: {last:?}"
    );
    assert!(last.loss < first.loss / 10.0, "the loss falls: {epochs:?}");
}
