//! Self-attention over a batch of sequences with layer normalisation, indexing, reshape,
//! concat and reductions over several axes: values and gradients against JAX
//! (`tools/shapes_reference.py`), in float64 to 1e-9 relative, and in float32 to float32
//! rounding (1e-5 of each tensor's largest entry).

mod common;

use common::{assert_f32, assert_relative};

/// JAX's numbers.
mod reference {
    include!("reference/shapes.rs");
}
use reference::*;

/// The graph `tools/shapes_reference.py` writes in JAX, as module `$name` in float type `$float`.
macro_rules! attention_block {
    ($name:ident, $float:ident, $doc:literal) => {
        static_graph::graph! {
            #[doc = $doc]
            pub mod $name {
                placeholder x: [$float; batch, 4, 6];
                variable wq: [$float; 6, 6];
                variable wk: [$float; 6, 6];
                variable wv: [$float; 6, 6];
                variable gain: [$float; 6];
                let q = matmul(x, wq);
                let k = matmul(x, wk);
                let v = matmul(x, wv);
                let scores = softmax(matmul(q, transpose(k, axes = (0, 2, 1))) * 0.4);
                let h = matmul(scores, v) + x;
                let mu = mean(h, axis = -1, keepdims = true);
                let centred = h - mu;
                let var = mean(centred * centred, axis = -1, keepdims = true);
                let normed = centred / sqrt(var + 0.001) * gain;
                let first = normed[.., 0];
                let pairs = reshape(normed, [batch, 4, 3, 2]);
                let joined = concat(first, normed[.., -1, 1..4], axis = 1);
                let spread = max(pairs, axis = (1, 3)) - min(pairs, axis = (1, 3));
                let cost = mean(joined * joined) + sum(spread, axis = (0, 1));
                minimize cost;
            }
        }
    };
}

attention_block!(block, f64, "One attention block, in f64.");
attention_block!(block32, f32, "One attention block, in f32.");

/// Element `i` of a tensor with offset `c`: `sin(0.7 i + c) * scale`, as the script fills it
/// (in f64, then rounded once for an f32 tensor).
fn fill<F: Copy>(values: &mut [F], name: &str, round: fn(f64) -> F) {
    let (offset, scale) = match name {
        "x" => (0.0, 1.0),
        "wq" => (1.0, 0.5),
        "wk" => (2.0, 0.5),
        "wv" => (3.0, 0.5),
        "gain" => (4.0, 1.0),
        other => panic!("the script fills no tensor `{other}`"),
    };
    for (i, v) in values.iter_mut().enumerate() {
        *v = round((0.7 * i as f64 + offset).sin() * scale);
    }
}

#[test]
fn attention_block_matches_jax() {
    let mut p = block::Placeholders::<2>::default();
    let mut v = block::Variables::default();
    let same: fn(f64) -> f64 = |v| v;
    for (name, tensor) in p.tensors_mut().into_iter().chain(v.tensors_mut()) {
        fill(tensor, name, same);
    }

    let values = block::forward(&p, &v);
    assert_relative("cost", &[values.cost], &COST);
    assert_relative("normed", values.normed.as_flattened().as_flattened(), &NORMED);
    assert_relative("joined", values.joined.as_flattened(), &JOINED);
    assert_relative("spread", values.spread.as_flattened(), &SPREAD);

    let adjoints = block::adjoints(&p, &v);
    assert_relative("d_x", adjoints.x.as_flattened().as_flattened(), &D_X);
    let (_, gradients) = block::backward(&p, &v);
    assert_relative("d_wq", gradients.wq.as_flattened(), &D_WQ);
    assert_relative("d_wk", gradients.wk.as_flattened(), &D_WK);
    assert_relative("d_wv", gradients.wv.as_flattened(), &D_WV);
    assert_relative("d_gain", &gradients.gain, &D_GAIN);
}

#[test]
fn attention_block_in_f32_matches_jax_to_f32_rounding() {
    let mut p = block32::Placeholders::<2>::default();
    let mut v = block32::Variables::default();
    let round: fn(f64) -> f32 = |v| v as f32;
    for (name, tensor) in p.tensors_mut().into_iter().chain(v.tensors_mut()) {
        fill(tensor, name, round);
    }

    let values = block32::forward(&p, &v);
    assert_f32("cost", &[values.cost], &COST_F32);
    assert_f32("normed", values.normed.as_flattened().as_flattened(), &NORMED_F32);
    assert_f32("joined", values.joined.as_flattened(), &JOINED_F32);
    assert_f32("spread", values.spread.as_flattened(), &SPREAD_F32);
    let adjoints = block32::adjoints(&p, &v);
    assert_f32("d_x", adjoints.x.as_flattened().as_flattened(), &D_X_F32);
    assert_f32("d_wq", adjoints.wq.as_flattened(), &D_WQ_F32);
    assert_f32("d_wk", adjoints.wk.as_flattened(), &D_WK_F32);
    assert_f32("d_wv", adjoints.wv.as_flattened(), &D_WV_F32);
    assert_f32("d_gain", &adjoints.gain, &D_GAIN_F32);
}
