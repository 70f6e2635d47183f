//! The model of `examples/transformer`: a one-layer transformer that reverses sequences of 8
//! digits, its data and its training loop (the Adam optimizer it declares). Shared with
//! `tests/transformer_training.rs`, which trains it in CI.

use static_graph::graph;

graph! {
    /// Sequences of digit ids `[batch, seq]` to, at each position, logits over the 10 digits.
    pub mod reverser {
        placeholder tokens: [i32; batch, seq];
        placeholder positions: [i32; seq];
        placeholder targets: [i32; batch, seq];
        variable embedding: [f32; 10, 32] = normal(0, 0.3);
        variable position_table: [f32; 8, 32] = normal(0, 0.3);
        variable gain1: [f32; 32] = 1;
        variable bias1: [f32; 32];
        variable wq: [f32; 32, 32] = glorot_uniform;
        variable wk: [f32; 32, 32] = glorot_uniform;
        variable wv: [f32; 32, 32] = glorot_uniform;
        variable wo: [f32; 32, 32] = glorot_uniform;
        variable gain2: [f32; 32] = 1;
        variable bias2: [f32; 32];
        variable w1: [f32; 32, 64] = glorot_uniform;
        variable b1: [f32; 64];
        variable w2: [f32; 64, 32] = glorot_uniform;
        variable b2: [f32; 32];
        variable unembed: [f32; 32, 10] = glorot_uniform;

        // Token and position embeddings: [batch, seq, 32].
        let x = gather(embedding, tokens) + gather(position_table, positions);

        // Self-attention, one head, on the layer-normed input.
        let mu1 = mean(x, axis = -1, keepdims = true);
        let c1 = x - mu1;
        let h1 = c1 * rsqrt(mean(c1 * c1, axis = -1, keepdims = true) + 0.00001) * gain1 + bias1;
        let q = matmul(h1, wq);
        let k = matmul(h1, wk);
        let v = matmul(h1, wv);
        let attention = softmax(matmul(q, transpose(k, axes = (0, 2, 1))) * 0.17677669);
        let x1 = x + matmul(matmul(attention, v), wo);

        // Feed-forward block, on the layer-normed result.
        let mu2 = mean(x1, axis = -1, keepdims = true);
        let c2 = x1 - mu2;
        let h2 = c2 * rsqrt(mean(c2 * c2, axis = -1, keepdims = true) + 0.00001) * gain2 + bias2;
        let x2 = x1 + matmul(relu(matmul(h2, w1) + b1), w2) + b2;

        let logits = matmul(x2, unembed);
        let loss = mean(sparse_softmax_cross_entropy(logits, targets));
        let accuracy = mean(argmax(logits, axis = -1) == targets);
        minimize loss;
        optimizer adam(learning_rate = 0.003, epsilon = 0.0000001);
    }
}

/// Sequences per training batch.
pub const BATCH: usize = 64;
/// Tokens per sequence.
pub const SEQ: usize = 8;
/// Held-out sequences the accuracy is measured on.
pub const HELD_OUT: usize = 1000;

/// What one epoch of training gives: the training loss and token accuracy (means over the
/// epoch's batches), and the token accuracy on the held-out sequences after it.
#[derive(Clone, Copy, Debug)]
pub struct Epoch {
    /// Mean training loss.
    pub loss: f32,
    /// Mean training token accuracy.
    pub accuracy: f32,
    /// Token accuracy on the held-out sequences.
    pub held_out: f32,
}

/// Trains from seed 7 for `epochs` epochs of `steps` batches of fresh random sequences,
/// calling `report` after each; returns the trained variables.
pub fn train(epochs: usize, steps: usize, mut report: impl FnMut(usize, Epoch)) -> reverser::Variables {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut held_out = reverser::Placeholders::<HELD_OUT, SEQ>::default();
    fill(&mut held_out, &mut rng);

    let mut v = reverser::Variables::init(7);
    let mut adam = reverser::Adam::new();
    let mut p = reverser::Placeholders::<BATCH, SEQ>::default();
    let mut values = reverser::Values::<BATCH, SEQ>::default();
    let mut workspace = reverser::Workspace::<BATCH, SEQ>::default();
    let mut held_out_values = reverser::Values::<HELD_OUT, SEQ>::default();
    let mut held_out_workspace = reverser::Workspace::<HELD_OUT, SEQ>::default();
    for epoch in 1..=epochs {
        let (mut loss, mut accuracy) = (0.0, 0.0);
        for _ in 0..steps {
            fill(&mut p, &mut rng);
            reverser::adam_step_into(&p, &mut v, &mut adam, &mut values, &mut workspace);
            loss += values.loss / steps as f32;
            accuracy += values.accuracy / steps as f32;
        }
        reverser::forward_into(&held_out, &v, &mut held_out_values, &mut held_out_workspace);
        let held_out = held_out_values.accuracy;
        report(
            epoch,
            Epoch {
                loss,
                accuracy,
                held_out,
            },
        );
    }
    v
}

/// Fresh random sequences of digits, their reverses as targets, and the position ids.
pub fn fill<const B: usize, const S: usize>(p: &mut reverser::Placeholders<B, S>, rng: &mut Rng) {
    for (position, id) in p.positions.iter_mut().enumerate() {
        *id = position as i32;
    }
    for (tokens, targets) in p.tokens.iter_mut().zip(p.targets.iter_mut()) {
        for token in tokens.iter_mut() {
            *token = rng.below(10) as i32;
        }
        for (target, token) in targets.iter_mut().zip(tokens.iter().rev()) {
            *target = *token;
        }
    }
}

/// xorshift64: the same sequences on every machine.
pub struct Rng(pub u64);

impl Rng {
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}
