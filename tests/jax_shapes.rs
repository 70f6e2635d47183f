//! Self-attention over a batch of sequences with layer normalisation, indexing, reshape,
//! concat and reductions over several axes: values and gradients against JAX in float64
//! (`tools/shapes_reference.py`), to 1e-9 relative.

include!("reference/shapes.rs");

static_graph::graph! {
    /// One attention block: the graph `tools/shapes_reference.py` writes in JAX.
    pub mod block {
        placeholder x: [f64; batch, 4, 6];
        variable wq: [f64; 6, 6];
        variable wk: [f64; 6, 6];
        variable wv: [f64; 6, 6];
        variable gain: [f64; 6];
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

/// Element `i` of a tensor with offset `c`: `sin(0.7 i + c) * scale`, as the script fills it.
fn fill(values: &mut [f64], offset: f64, scale: f64) {
    for (i, v) in values.iter_mut().enumerate() {
        *v = (0.7 * i as f64 + offset).sin() * scale;
    }
}

fn assert_relative(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let error = (g - w).abs() / w.abs().max(1e-3);
        assert!(error < 1e-9, "{what}[{i}]: got {g}, JAX {w} (relative error {error:e})");
    }
}

#[test]
fn attention_block_matches_jax() {
    let mut p = block::Placeholders::<2>::default();
    let mut v = block::Variables::default();
    fill(p.x.as_flattened_mut().as_flattened_mut(), 0.0, 1.0);
    fill(v.wq.as_flattened_mut(), 1.0, 0.5);
    fill(v.wk.as_flattened_mut(), 2.0, 0.5);
    fill(v.wv.as_flattened_mut(), 3.0, 0.5);
    fill(&mut v.gain, 4.0, 1.0);

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
